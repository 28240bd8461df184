/* tokens.c - API tokens: 32 random bytes shown once as 64 hex digits;
 * the store keeps only their BLAKE2b-256 hash, so a copy of the database
 * gives no usable token.
 */
#include "server/server_int.h"

#include <sodium.h>
#include <string.h>

void srv_token_hash(char hash[65], const char *token)
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
	sodium_bin2hex(hash, 65, h, sizeof(h));
}

void srv_token_new(char token[65], char hash[65])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(token, 65, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	srv_token_hash(hash, token);
}
