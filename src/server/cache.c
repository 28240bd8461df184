/* cache.c - answers of GET /inventory?id= and GET /cliques?id= (live),
 * kept as their JSON text and given again while the environment's data
 * version (cal_store_env_version()) is the one they were made under: a
 * scan, a PATCH or a clique refresh changes it, so a cached answer is
 * never stale, whichever process wrote the database.
 *
 * A fixed table of slots (direct-mapped by the key's SipHash, keyed at
 * random so that ids chosen by clients cannot aim at one slot), each with
 * its own lock stripe; a byte budget caps the memory (an answer that does
 * not fit is simply not kept).  Bodies are copied in and out.
 */
#include "server/server_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 16384
#define CACHE_STRIPES 64
#define CACHE_MAX_ENTRY ((size_t)1 << 20)

struct cache_slot {
	char *key, *version, *body;
	size_t len;
};

struct srv_cache {
	struct cache_slot slot[CACHE_SLOTS];
	pthread_mutex_t mu[CACHE_STRIPES];
	unsigned char sipkey[crypto_shorthash_KEYBYTES];
	size_t max_bytes;
	atomic_size_t bytes;
	atomic_ullong hits, misses;
};

struct srv_cache *srv_cache_new(size_t max_bytes)
{
	struct srv_cache *c = calloc(1, sizeof(*c));

	if (!c || sodium_init() < 0) {
		free(c);
		return NULL;
	}
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&c->mu[i], NULL);
	randombytes_buf(c->sipkey, sizeof(c->sipkey));
	c->max_bytes = max_bytes;
	return c;
}

static void cache_clear_slot(struct srv_cache *c, struct cache_slot *sl)
{
	if (sl->body)
		atomic_fetch_sub(&c->bytes, sl->len);
	free(sl->key);
	free(sl->version);
	free(sl->body);
	memset(sl, 0, sizeof(*sl));
}

void srv_cache_free(struct srv_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++)
		cache_clear_slot(c, &c->slot[i]);
	for (int i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_destroy(&c->mu[i]);
	free(c);
}

static size_t cache_index(const struct srv_cache *c, const char *key)
{
	uint64_t h;

	crypto_shorthash((unsigned char *)&h, (const unsigned char *)key, strlen(key), c->sipkey);
	return (size_t)(h % CACHE_SLOTS);
}

bool srv_cache_get(struct srv_cache *c, const char *key, const char *version, char **out,
		   size_t *len)
{
	size_t i;
	struct cache_slot *sl;
	bool hit = false;

	*out = NULL;
	if (!c)
		return false;
	i = cache_index(c, key);
	sl = &c->slot[i];
	pthread_mutex_lock(&c->mu[i % CACHE_STRIPES]);
	if (sl->key && strcmp(sl->key, key) == 0 && strcmp(sl->version, version) == 0) {
		*out = malloc(sl->len + 1);
		if (*out) {
			memcpy(*out, sl->body, sl->len + 1);
			*len = sl->len;
			hit = true;
		}
	}
	pthread_mutex_unlock(&c->mu[i % CACHE_STRIPES]);
	atomic_fetch_add(hit ? &c->hits : &c->misses, 1);
	return hit;
}

void srv_cache_put(struct srv_cache *c, const char *key, const char *version, const char *body,
		   size_t len)
{
	struct cache_slot fresh = { 0 }, *sl;
	size_t i;

	if (!c || len > CACHE_MAX_ENTRY)
		return;
	fresh.key = strdup(key);
	fresh.version = strdup(version);
	fresh.body = malloc(len + 1);
	if (!fresh.key || !fresh.version || !fresh.body) {
		free(fresh.key);
		free(fresh.version);
		free(fresh.body);
		return;
	}
	memcpy(fresh.body, body, len);
	fresh.body[len] = '\0';
	fresh.len = len;
	i = cache_index(c, key);
	sl = &c->slot[i];
	pthread_mutex_lock(&c->mu[i % CACHE_STRIPES]);
	cache_clear_slot(c, sl);
	if (atomic_load(&c->bytes) + len <= c->max_bytes) {
		atomic_fetch_add(&c->bytes, len);
		*sl = fresh;
		memset(&fresh, 0, sizeof(fresh));
	}
	pthread_mutex_unlock(&c->mu[i % CACHE_STRIPES]);
	free(fresh.key);
	free(fresh.version);
	free(fresh.body);
}

void srv_cache_stats(struct srv_cache *c, unsigned long long *hits, unsigned long long *misses,
		     size_t *bytes)
{
	*hits = c ? atomic_load(&c->hits) : 0;
	*misses = c ? atomic_load(&c->misses) : 0;
	*bytes = c ? atomic_load(&c->bytes) : 0;
}

bool srv_cache_reply(struct srv_req *r, const char *what, const char *env, const char *id,
		     char **key, char version[160])
{
	char *body = NULL;
	size_t len = 0;

	*key = NULL;
	version[0] = '\0';
	if (!r->srv->cache || cal_store_env_version(r->st, version, 160, env)) {
		version[0] = '\0';
		return false;
	}
	*key = cal_strdup_printf("%s\x1f%s\x1f%s", what, env, id);
	if (!*key || !srv_cache_get(r->srv->cache, *key, version, &body, &len))
		return false;
	free(*key);
	*key = NULL;
	srv_reply_raw(r, 200, "application/json", body, len);
	return true;
}

void srv_reply_cached(struct srv_req *r, json_t *doc, char *key, const char *version)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (!text) {
		free(key);
		srv_reply_error(r, 500, "out of memory");
		return;
	}
	if (key && *version)
		srv_cache_put(r->srv->cache, key, version, text, strlen(text));
	free(key);
	srv_reply_raw(r, 200, "application/json", text, strlen(text));
}
