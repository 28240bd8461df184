/* intern.c - string -> dense index tables for the clique engine's graph:
 * object ids, link type names, host and display names.
 *
 * Open addressing with linear probing over a power-of-two slot array kept
 * at most half full; each slot holds the index + 1 and 32 bits of the hash,
 * so that most probes never touch the key.  Keys live in an arena of 1 MiB
 * chunks.  SipHash-2-4 with a random key per table (libsodium), because
 * ids are names tenants choose.  Not thread-safe; one table per graph.
 */
#include "analyze/analyze_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define AN_CHUNK (1u << 20)

struct an_chunk {
	struct an_chunk *next;
	size_t used, size;
	char data[];
};

static char *an_arena_copy(struct an_intern *t, const char *s, size_t len)
{
	struct an_chunk *c = t->arena;
	char *p;

	if (!c || c->size - c->used < len + 1) {
		size_t size = len + 1 > AN_CHUNK ? len + 1 : AN_CHUNK;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->next = t->arena;
		c->used = 0;
		c->size = size;
		t->arena = c;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

int an_intern_init(struct an_intern *t)
{
	memset(t, 0, sizeof(*t));
	if (sodium_init() < 0)
		return cal_error_set(CAL_EIO, "cannot initialise libsodium");
	randombytes_buf(t->sipkey, sizeof(t->sipkey));
	t->nslots = 64;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	if (!t->slots)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

void an_intern_fini(struct an_intern *t)
{
	struct an_chunk *c = t->arena;

	while (c) {
		struct an_chunk *next = c->next;

		free(c);
		c = next;
	}
	free(t->slots);
	free(t->keys);
	free(t->lens);
	memset(t, 0, sizeof(*t));
}

static uint64_t an_hash(const struct an_intern *t, const char *key, size_t len)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const unsigned char *)key, len, t->sipkey);
	memcpy(&v, h, sizeof(v));
	return v;
}

/* The slot holding `key`, or the empty slot where it would go. */
static size_t an_slot(const struct an_intern *t, const char *key, size_t len, uint64_t h)
{
	size_t mask = t->nslots - 1, i = (size_t)h & mask;
	uint64_t tag = h >> 32;

	for (;;) {
		uint64_t s = t->slots[i];
		uint32_t idx;

		if (s == 0)
			return i;
		idx = (uint32_t)(s & 0xffffffffu) - 1;
		if ((s >> 32) == tag && t->lens[idx] == len && memcmp(t->keys[idx], key, len) == 0)
			return i;
		i = (i + 1) & mask;
	}
}

int64_t an_intern_find(const struct an_intern *t, const char *key, size_t len)
{
	uint64_t s;

	if (t->n == 0)
		return -1;
	s = t->slots[an_slot(t, key, len, an_hash(t, key, len))];
	return s ? (int64_t)(s & 0xffffffffu) - 1 : -1;
}

static int an_grow_slots(struct an_intern *t)
{
	size_t n = t->nslots * 2;
	uint64_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
	for (size_t k = 0; k < t->n; k++) {
		uint64_t h = an_hash(t, t->keys[k], t->lens[k]);
		size_t i = an_slot(t, t->keys[k], t->lens[k], h);

		t->slots[i] = ((h >> 32) << 32) | (uint64_t)(k + 1);
	}
	return 0;
}

int an_intern_add(struct an_intern *t, uint32_t *out, const char *key, size_t len)
{
	uint64_t h = an_hash(t, key, len);
	size_t i = an_slot(t, key, len, h);
	char *copy;

	if (t->slots[i]) {
		*out = (uint32_t)(t->slots[i] & 0xffffffffu) - 1;
		return 0;
	}
	if (t->n >= 0xfffffff0u)
		return cal_error_set(CAL_ENOMEM, "too many distinct strings");
	if (t->n == t->keycap) {
		size_t cap = t->keycap ? t->keycap * 2 : 256;
		char **keys = realloc(t->keys, cap * sizeof(*keys));
		uint32_t *lens;

		if (!keys)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		t->keys = keys;
		lens = realloc(t->lens, cap * sizeof(*lens));
		if (!lens)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		t->lens = lens;
		t->keycap = cap;
	}
	copy = an_arena_copy(t, key, len);
	if (!copy)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	t->keys[t->n] = copy;
	t->lens[t->n] = (uint32_t)len;
	t->slots[i] = ((h >> 32) << 32) | (uint64_t)(t->n + 1);
	*out = (uint32_t)t->n;
	t->n++;
	if (t->n * 2 > t->nslots)
		return an_grow_slots(t);
	return 0;
}

void an_intern_clear(struct an_intern *t)
{
	struct an_chunk *c = t->arena;

	/* Keep the first (newest) chunk and the slot array for reuse. */
	if (c) {
		struct an_chunk *next = c->next;

		while (next) {
			struct an_chunk *n2 = next->next;

			free(next);
			next = n2;
		}
		c->next = NULL;
		c->used = 0;
	}
	if (t->slots)
		memset(t->slots, 0, t->nslots * sizeof(*t->slots));
	t->n = 0;
}
