/* store_map.c - a string -> dense index hash map for the commit's working
 * sets (live ids of an environment, (host, source) pairs).
 *
 * Open addressing with linear probing over a power-of-two slot array kept
 * at most half full; keys live in an arena of large chunks (one allocation
 * per ~1 MiB of keys instead of one per id).  SipHash-2-4 with a random key
 * per map (libsodium's crypto_shorthash): the keys come from discovered
 * names, which a tenant may choose.  Not thread-safe; one map per call.
 */
#include "store/store_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MAP_CHUNK (1u << 20)

struct st_arena_chunk {
	struct st_arena_chunk *next;
	size_t used, size;
	char data[];
};

char *st_arena_strndup(struct st_arena_chunk **arena, const char *s, size_t len)
{
	struct st_arena_chunk *c = *arena;
	char *p;

	if (!c || c->size - c->used < len + 1) {
		size_t size = len + 1 > MAP_CHUNK ? len + 1 : MAP_CHUNK;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->next = *arena;
		c->used = 0;
		c->size = size;
		*arena = c;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

void st_arena_free(struct st_arena_chunk **arena)
{
	struct st_arena_chunk *c = *arena;

	while (c) {
		struct st_arena_chunk *next = c->next;

		free(c);
		c = next;
	}
	*arena = NULL;
}

int st_map_init(struct st_map *m)
{
	memset(m, 0, sizeof(*m));
	if (sodium_init() < 0)
		return cal_error_set(CAL_EIO, "cannot initialise libsodium");
	randombytes_buf(m->sipkey, sizeof(m->sipkey));
	m->nslots = 1024;
	m->slots = calloc(m->nslots, sizeof(*m->slots));
	if (!m->slots)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

void st_map_fini(struct st_map *m)
{
	st_arena_free(&m->arena);
	free(m->slots);
	free(m->keys);
	free(m->hashes);
	memset(m, 0, sizeof(*m));
}

static uint64_t map_hash(const struct st_map *m, const char *key, size_t len)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const unsigned char *)key, len, m->sipkey);
	memcpy(&v, h, sizeof(v));
	return v;
}

/* A slot holds index + 1 in its low half and the upper half of the key's
 * hash in its high half: most mismatches are settled without reading the
 * key (a cache miss). */
static inline uint64_t map_slot(uint32_t idx, uint64_t h)
{
	return (h & 0xffffffff00000000ULL) | ((uint64_t)idx + 1);
}

static bool map_key_eq(const char *stored, const char *key, size_t len)
{
	return memcmp(stored, key, len) == 0 && stored[len] == '\0';
}

int64_t st_map_find(const struct st_map *m, const char *key, size_t len)
{
	uint64_t h = map_hash(m, key, len), tag = h & 0xffffffff00000000ULL;
	size_t mask = m->nslots - 1, i = (size_t)h & mask;

	while (m->slots[i]) {
		uint64_t sl = m->slots[i];
		uint32_t idx = (uint32_t)(sl & 0xffffffffu) - 1;

		if ((sl & 0xffffffff00000000ULL) == tag && map_key_eq(m->keys[idx], key, len))
			return idx;
		i = (i + 1) & mask;
	}
	return -1;
}

static int map_grow(struct st_map *m)
{
	size_t n = m->nslots * 2, mask = n - 1;
	uint64_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	/* The hashes are kept: growing costs no rehashing. */
	for (size_t k = 0; k < m->n; k++) {
		size_t i = (size_t)m->hashes[k] & mask;

		while (slots[i])
			i = (i + 1) & mask;
		slots[i] = map_slot((uint32_t)k, m->hashes[k]);
	}
	free(m->slots);
	m->slots = slots;
	m->nslots = n;
	return 0;
}

int st_map_add(struct st_map *m, uint32_t *out, const char *key, size_t len, bool *added)
{
	uint64_t h = map_hash(m, key, len), tag = h & 0xffffffff00000000ULL;
	size_t mask = m->nslots - 1, i = (size_t)h & mask;
	char *copy;

	if (added)
		*added = false;
	while (m->slots[i]) {
		uint64_t sl = m->slots[i];
		uint32_t idx = (uint32_t)(sl & 0xffffffffu) - 1;

		if ((sl & 0xffffffff00000000ULL) == tag && map_key_eq(m->keys[idx], key, len)) {
			*out = idx;
			return 0;
		}
		i = (i + 1) & mask;
	}
	if (m->n >= UINT32_MAX - 1)
		return cal_error_set(CAL_EINVALID, "too many keys");
	if (m->n == m->keycap) {
		size_t cap = m->keycap ? m->keycap * 2 : 1024;
		const char **keys = realloc(m->keys, cap * sizeof(*keys));
		uint64_t *hashes;

		if (!keys)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		m->keys = keys;
		hashes = realloc(m->hashes, cap * sizeof(*hashes));
		if (!hashes)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		m->hashes = hashes;
		m->keycap = cap;
	}
	copy = st_arena_strndup(&m->arena, key, len);
	if (!copy)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	m->keys[m->n] = copy;
	m->hashes[m->n] = h;
	m->slots[i] = map_slot((uint32_t)m->n, h);
	*out = (uint32_t)m->n;
	m->n++;
	if (added)
		*added = true;
	if (m->n * 2 > m->nslots)
		return map_grow(m);
	return 0;
}
