/* users.c - API users: names, roles, Argon2id password hashes (libsodium's
 * crypto_pwhash_str with its interactive limits: about 0.1 s and 64 MiB per
 * hash, so the server runs them on its defer workers), verification that
 * spends the same time whether the user exists or not, and the first admin
 * of an empty store.
 *
 * Passwords are never stored, logged or put in an error message; buffers
 * that held one are wiped.
 */
#include "server/server.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_MIN_PASSWORD 8
#define US_MAX_PASSWORD 1024

static int us_sodium(void)
{
	if (sodium_init() < 0)
		return cal_error_set(CAL_EIO, "libsodium could not be initialised");
	return 0;
}

int cal_user_check_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 64)
		return cal_error_set(CAL_EINVALID, "a user name has 1 to 64 characters");
	for (const char *s = name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-' || *s == '@')) {
			char *e = cal_str_escape(name);

			cal_error_set(CAL_EINVALID, "user name '%s': only letters, digits, '.', '_', "
				      "'-' and '@'", e ? e : "?");
			free(e);
			return CAL_EINVALID;
		}
	return 0;
}

int cal_user_check_roles(const json_t *roles)
{
	size_t i;
	json_t *r;

	if (!json_is_array(roles))
		return cal_error_set(CAL_EINVALID, "roles must be an array of strings");
	json_array_foreach(roles, i, r) {
		const char *s = json_string_value(r), *env = NULL;
		char *e;

		if (!s)
			return cal_error_set(CAL_EINVALID, "roles must be an array of strings");
		if (strcmp(s, "admin") == 0)
			continue;
		if (strncmp(s, "view-env:", 9) == 0 || strncmp(s, "edit-env:", 9) == 0)
			env = s + 9;
		if (env && *env && strlen(env) <= 128) {
			bool ok = true;

			for (const char *c = env; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					ok = false;
			if (ok)
				continue;
		}
		e = cal_str_escape(s);
		cal_error_set(CAL_EINVALID, "role '%s' is not admin, view-env:ENV or edit-env:ENV",
			      e ? e : "?");
		free(e);
		return CAL_EINVALID;
	}
	return 0;
}

int cal_user_check_password(const char *password)
{
	size_t n = password ? strlen(password) : 0;

	if (n < US_MIN_PASSWORD || n > US_MAX_PASSWORD)
		return cal_error_set(CAL_EINVALID, "a password has %d to %d characters",
				     US_MIN_PASSWORD, US_MAX_PASSWORD);
	return 0;
}

static int us_hash(char out[crypto_pwhash_STRBYTES], const char *password)
{
	int rc = us_sodium();

	if (rc)
		return rc;
	if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return cal_error_set(CAL_ENOMEM, "not enough memory to hash a password");
	return 0;
}

int cal_user_add(cal_store *st, const char *name, const char *password, const json_t *roles,
		 bool replace)
{
	char hash[crypto_pwhash_STRBYTES];
	int rc;

	rc = cal_user_check_name(name);
	if (rc == 0)
		rc = cal_user_check_roles(roles);
	if (rc == 0)
		rc = cal_user_check_password(password);
	if (rc == 0)
		rc = us_hash(hash, password);
	if (rc == 0)
		rc = cal_store_user_put(st, name, hash, roles, replace);
	return rc;
}

int cal_user_passwd(cal_store *st, const char *name, const char *password)
{
	json_t *user = NULL;
	int rc;

	rc = cal_store_user_get(st, &user, name, false);
	if (rc == 0)
		rc = cal_user_add(st, name, password, json_object_get(user, "roles"), true);
	if (rc == 0)
		rc = cal_store_token_revoke_user(st, name, cal_time_now_us());
	json_decref(user);
	return rc;
}

int cal_user_set_roles(cal_store *st, const char *name, const json_t *roles)
{
	json_t *user = NULL;
	int rc;

	rc = cal_user_check_roles(roles);
	if (rc == 0)
		rc = cal_store_user_get(st, &user, name, true);
	if (rc == 0)
		rc = cal_store_user_put(st, name, cal_json_str(user, "password_hash"), roles, true);
	json_decref(user);
	return rc;
}

/* Verified against when the user does not exist, so that the answer takes
 * as long as a wrong password for a real user. */
static char us_dummy[crypto_pwhash_STRBYTES];
static pthread_once_t us_dummy_once = PTHREAD_ONCE_INIT;

static void us_dummy_init(void)
{
	unsigned char raw[16];
	char pw[33];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(pw, sizeof(pw), raw, sizeof(raw));
	if (us_hash(us_dummy, pw))
		us_dummy[0] = '\0';
}

int cal_user_verify(cal_store *st, json_t **out_user, const char *name, const char *password)
{
	json_t *user = NULL;
	const char *hash;
	bool ok;
	int rc;

	if (out_user)
		*out_user = NULL;
	rc = us_sodium();
	if (rc)
		return rc;
	pthread_once(&us_dummy_once, us_dummy_init);
	rc = name && *name ? cal_store_user_get(st, &user, name, true) : CAL_ENOTFOUND;
	if (rc && rc != CAL_ENOTFOUND)
		return rc;
	hash = user ? cal_json_str(user, "password_hash") : us_dummy;
	ok = crypto_pwhash_str_verify(hash, password ? password : "",
				      password ? strlen(password) : 0) == 0 &&
	     user;
	if (!ok) {
		json_decref(user);
		return cal_error_set(CAL_EAUTH, "wrong user name or password");
	}
	json_object_del(user, "password_hash");
	if (out_user)
		*out_user = user;
	else
		json_decref(user);
	return 0;
}

int cal_user_bootstrap(cal_store *st, char **out_password)
{
	unsigned char raw[18];
	char pw[32];
	json_t *roles;
	int64_t n = 0;
	int rc;

	*out_password = NULL;
	rc = us_sodium();
	if (rc == 0)
		rc = cal_store_user_count(st, &n);
	if (rc || n > 0)
		return rc;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(pw, sizeof(pw), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	roles = json_pack("[s]", "admin");
	rc = roles ? cal_user_add(st, "admin", pw, roles, false) : CAL_ENOMEM;
	json_decref(roles);
	if (rc == CAL_EEXISTS) {
		/* Another server sharing the database was first. */
		sodium_memzero(pw, sizeof(pw));
		return 0;
	}
	if (rc == 0) {
		*out_password = strdup(pw);
		if (!*out_password)
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	sodium_memzero(pw, sizeof(pw));
	return rc;
}
