/* store_canon.c - the commit's fast path for cal_object_stable() followed
 * by cal_json_canonical_hash(): one pass over a document that writes the
 * canonical text of its stable part and of its volatile part into two
 * reusable buffers, without copying the document.
 *
 * The output is byte for byte what jansson's json_dumps() gives with
 * JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY for the documents
 * cal_object_stable() returns (keys sorted byte-wise, '"', '\\' and
 * control characters escaped as jansson does, integers in decimal), and
 * the hash is the same 128-bit BLAKE2b, so stored hashes compare equal
 * with cal_json_canonical_hash() (tests/unit/test_store.c checks both).
 * Documents holding a real number fall back to the slow path (jansson
 * formats reals its own way), as does anything unexpected.
 *
 * Measured on 500,000 interface documents: ~4 us per document through
 * json_copy + json_dumps twice, ~1 us here.
 * Not thread-safe: one st_canon per caller.
 */
#include "store/store_int.h"

#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CANON_MAX_DEPTH 64

/* Volatile field names of each type (common ones included). */
static const char *canon_vol[CAL_T_COUNT_][8];
static int canon_nvol[CAL_T_COUNT_];
/* Bitmap of the first bytes of those names: most keys are ruled out by
 * one test. */
static uint64_t canon_first[CAL_T_COUNT_][4];

static void canon_init_tables(void)
{
	for (int t = 0; t < CAL_T_COUNT_; t++) {
		const struct cal_attr_def *lists[2] = { cal_common_attrs(),
							cal_type_attrs((enum cal_obj_type)t) };

		canon_nvol[t] = 0;
		for (int l = 0; l < 2; l++)
			for (const struct cal_attr_def *d = lists[l]; d->name; d++)
				if (d->is_volatile && canon_nvol[t] < 8) {
					unsigned char ch = (unsigned char)d->name[0];

					canon_vol[t][canon_nvol[t]++] = d->name;
					canon_first[t][ch >> 6] |= 1ULL << (ch & 63);
				}
	}
}

static bool canon_too_many_volatile(void)
{
	for (int t = 0; t < CAL_T_COUNT_; t++) {
		int n = 0;
		const struct cal_attr_def *lists[2] = { cal_common_attrs(),
							cal_type_attrs((enum cal_obj_type)t) };

		for (int l = 0; l < 2; l++)
			for (const struct cal_attr_def *d = lists[l]; d->name; d++)
				n += d->is_volatile;
		if (n > 8)
			return true;
	}
	return false;
}

static pthread_once_t canon_once = PTHREAD_ONCE_INIT;
static bool canon_usable;

static void canon_setup(void)
{
	canon_usable = !canon_too_many_volatile();
	if (canon_usable)
		canon_init_tables();
}

int st_canon_init(struct st_canon *c)
{
	memset(c, 0, sizeof(*c));
	/* Constant tables derived from core's schema, built once. */
	pthread_once(&canon_once, canon_setup);
	c->usable = canon_usable;
	if (sodium_init() < 0)
		return cal_error_set(CAL_EIO, "cannot initialise libsodium");
	return 0;
}

void st_canon_fini(struct st_canon *c)
{
	free(c->stable.s);
	free(c->vol.s);
	free(c->keys);
	memset(c, 0, sizeof(*c));
}

static bool canon_grow(struct st_buf *b, size_t n)
{
	size_t cap = (b->len + n + 1) * 2 + 256;
	char *s = realloc(b->s, cap);

	if (!s)
		return false;
	b->s = s;
	b->cap = cap;
	return true;
}

/* Appends n bytes; the text is NUL-terminated by canon_end(). */
static inline bool canon_put(struct st_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap && !canon_grow(b, n))
		return false;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	return true;
}

static inline bool canon_putc(struct st_buf *b, char ch)
{
	if (b->len + 2 > b->cap && !canon_grow(b, 1))
		return false;
	b->s[b->len++] = ch;
	return true;
}

static void canon_end(struct st_buf *b)
{
	b->s[b->len] = '\0';
}

static bool canon_string(struct st_buf *b, const char *s, size_t n)
{
	size_t start = 0;

	if (!canon_putc(b, '"'))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[8];
		size_t elen = 2;

		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		if (!canon_put(b, s + start, i - start))
			return false;
		switch (ch) {
		case '"': memcpy(esc, "\\\"", 2); break;
		case '\\': memcpy(esc, "\\\\", 2); break;
		case '\b': memcpy(esc, "\\b", 2); break;
		case '\f': memcpy(esc, "\\f", 2); break;
		case '\n': memcpy(esc, "\\n", 2); break;
		case '\r': memcpy(esc, "\\r", 2); break;
		case '\t': memcpy(esc, "\\t", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", ch);
			elen = 6;
		}
		if (!canon_put(b, esc, elen))
			return false;
		start = i + 1;
	}
	return canon_put(b, s + start, n - start) && canon_putc(b, '"');
}

static int canon_member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct st_canon_member *)a)->key,
		      ((const struct st_canon_member *)b)->key);
}

/* a > b, byte-wise like strcmp(); the first bytes usually decide. */
static inline bool canon_key_gt(const char *a, const char *b)
{
	if (a[0] != b[0])
		return (unsigned char)a[0] > (unsigned char)b[0];
	return strcmp(a, b) > 0;
}

/* The members of `obj` sorted by key, pushed on the member stack at
 * [*base, *base + n): iterating gives key and value together, sparing a
 * hash lookup per key. */
static bool canon_keys(struct st_canon *c, const json_t *obj, size_t *base, size_t *n)
{
	*base = c->nkeys;
	*n = json_object_size(obj);
	if (c->nkeys + *n > c->keycap) {
		size_t cap = (c->nkeys + *n) * 2 + 64;
		struct st_canon_member *keys = realloc(c->keys, cap * sizeof(*keys));

		if (!keys)
			return false;
		c->keys = keys;
		c->keycap = cap;
	}
	for (void *it = json_object_iter((json_t *)obj); it;
	     it = json_object_iter_next((json_t *)obj, it)) {
		c->keys[c->nkeys].key = json_object_iter_key(it);
		c->keys[c->nkeys].len = json_object_iter_key_len(it);
		c->keys[c->nkeys].value = json_object_iter_value(it);
		c->nkeys++;
	}
	if (*n > 32) {
		qsort(c->keys + *base, *n, sizeof(*c->keys), canon_member_cmp);
		return true;
	}
	/* Objects are small: insertion sort beats qsort's setup. */
	for (size_t i = *base + 1; i < *base + *n; i++) {
		struct st_canon_member m = c->keys[i];
		size_t j = i;

		while (j > *base && canon_key_gt(c->keys[j - 1].key, m.key)) {
			c->keys[j] = c->keys[j - 1];
			j--;
		}
		c->keys[j] = m;
	}
	return true;
}

enum canon_rc { CANON_OK, CANON_OOM, CANON_SLOW };

static enum canon_rc canon_value(struct st_canon *c, struct st_buf *b, const json_t *v,
				 int depth);

static enum canon_rc canon_member(struct st_canon *c, struct st_buf *b, bool first,
				  const struct st_canon_member *m, int depth)
{
	if ((!first && !canon_putc(b, ',')) || !canon_string(b, m->key, m->len) ||
	    !canon_putc(b, ':'))
		return CANON_OOM;
	return canon_value(c, b, m->value, depth);
}

static enum canon_rc canon_value(struct st_canon *c, struct st_buf *b, const json_t *v,
				 int depth)
{
	char num[32];
	enum canon_rc rc = CANON_OK;

	if (depth > CANON_MAX_DEPTH)
		return CANON_SLOW;
	switch (json_typeof(v)) {
	case JSON_NULL: return canon_put(b, "null", 4) ? CANON_OK : CANON_OOM;
	case JSON_TRUE: return canon_put(b, "true", 4) ? CANON_OK : CANON_OOM;
	case JSON_FALSE: return canon_put(b, "false", 5) ? CANON_OK : CANON_OOM;
	case JSON_REAL: return CANON_SLOW;
	case JSON_INTEGER: {
		/* What "%lld" prints, without printf's machinery. */
		json_int_t i = json_integer_value(v);
		uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
		char *p = num + sizeof(num);

		do {
			*--p = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (i < 0)
			*--p = '-';
		return canon_put(b, p, (size_t)(num + sizeof(num) - p)) ? CANON_OK : CANON_OOM;
	}
	case JSON_STRING:
		return canon_string(b, json_string_value(v), json_string_length(v)) ? CANON_OK
										    : CANON_OOM;
	case JSON_ARRAY:
		if (!canon_putc(b, '['))
			return CANON_OOM;
		for (size_t i = 0; i < json_array_size(v) && rc == CANON_OK; i++) {
			if (i && !canon_putc(b, ','))
				return CANON_OOM;
			rc = canon_value(c, b, json_array_get(v, i), depth + 1);
		}
		if (rc == CANON_OK && !canon_putc(b, ']'))
			return CANON_OOM;
		return rc;
	case JSON_OBJECT: {
		size_t base, n;

		if (!canon_keys(c, v, &base, &n) || !canon_putc(b, '{'))
			return CANON_OOM;
		for (size_t i = 0; i < n && rc == CANON_OK; i++) {
			const struct st_canon_member m = c->keys[base + i];

			rc = canon_member(c, b, i == 0, &m, depth + 1);
		}
		c->nkeys = base;
		if (rc == CANON_OK && !canon_putc(b, '}'))
			return CANON_OOM;
		return rc;
	}
	}
	return CANON_SLOW;
}

static bool canon_is_volatile(enum cal_obj_type t, const char *key)
{
	unsigned char ch = (unsigned char)key[0];

	if (!(canon_first[t][ch >> 6] & (1ULL << (ch & 63))))
		return false;
	for (int i = 0; i < canon_nvol[t]; i++)
		if (strcmp(canon_vol[t][i], key) == 0)
			return true;
	return false;
}

static void canon_hex_hash(char out[CAL_HASH_HEXSZ], const struct st_buf *b)
{
	unsigned char h[16];

	crypto_generichash(h, sizeof(h), (const unsigned char *)b->s, b->len, NULL, 0);
	sodium_bin2hex(out, CAL_HASH_HEXSZ, h, sizeof(h));
}

/* Change detection of volatile fields does not need the canonical hash
 * revisions are compared by: SipHash-2-4 with 128-bit output and a fixed
 * key, several times cheaper than BLAKE2b on these short texts. */
void st_hash128(unsigned char out[16], const void *data, size_t len)
{
	static const unsigned char key[crypto_shorthash_siphashx24_KEYBYTES] = {
		'c', 'a', 'l', 'i', 'p', 's', 'o', '-', 'v', 'o', 'l', 'a', 't', 'i', 'l', 'e'
	};

	crypto_shorthash_siphashx24(out, data, len, key);
}

void st_hash_entry(unsigned char out[16], const char *id, const char *vtext)
{
	unsigned char buf[256 + 16];
	size_t n = strlen(id);
	unsigned char *p = n + 16 <= sizeof(buf) ? buf : malloc(n + 16);

	/* hash(id || hash(vtext)): the id fixed-length-separated from the
	 * text, no concatenation ambiguity. */
	st_hash128(out, vtext, strlen(vtext));
	if (!p) {
		/* Out of memory for a huge id: the text's hash alone still
		 * detects changes of this entry. */
		return;
	}
	memcpy(p, id, n);
	memcpy(p + n, out, 16);
	st_hash128(out, p, n + 16);
	if (p != buf)
		free(p);
}

bool st_buf_put(struct st_buf *b, const char *s, size_t n)
{
	if (!canon_put(b, s, n))
		return false;
	canon_end(b);
	return true;
}

bool st_buf_json_string(struct st_buf *b, const char *s, size_t n)
{
	if (!canon_string(b, s, n))
		return false;
	canon_end(b);
	return true;
}

char *st_buf_take(struct st_buf *b)
{
	char *s = b->s;

	if (!s)
		s = strdup("");
	memset(b, 0, sizeof(*b));
	return s;
}

/* The slow path, by definition right: core's own split and hash. */
static int canon_slow(struct st_canon *c, const json_t *doc)
{
	json_t *stable, *vol = NULL;
	char *s = NULL, *vs = NULL;
	int rc = 0;

	stable = cal_object_stable(doc, &vol);
	if (!stable)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = cal_json_canonical_hash(c->hash, stable);
	if (rc == 0) {
		s = st_json_dump(stable);
		vs = json_object_size(vol) > 0 ? st_json_dump(vol) : NULL;
		if (!s || (json_object_size(vol) > 0 && !vs))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	c->stable.len = c->vol.len = 0;
	c->has_vol = json_object_size(vol) > 0;
	if (rc == 0 && (!canon_put(&c->stable, s, strlen(s)) ||
			!canon_put(&c->vol, vs ? vs : "", vs ? strlen(vs) : 0)))
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	if (rc == 0) {
		canon_end(&c->stable);
		canon_end(&c->vol);
	}
	free(s);
	free(vs);
	json_decref(stable);
	json_decref(vol);
	return rc;
}

/* Documents come in runs of one type: the last name is tried first. */
static enum cal_obj_type canon_type(struct st_canon *c, const char *name)
{
	if (!name)
		return CAL_T_UNKNOWN;
	if (c->last_type_name && strcmp(c->last_type_name, name) == 0)
		return c->last_type;
	c->last_type = cal_type_from_name(name);
	c->last_type_name = c->last_type == CAL_T_UNKNOWN ? NULL : cal_type_name(c->last_type);
	return c->last_type;
}

int st_canon_split(struct st_canon *c, const json_t *doc)
{
	enum cal_obj_type t;
	enum canon_rc rc = CANON_OK;
	size_t base, n;
	bool first_s = true, first_v = true;

	if (!json_is_object(doc))
		return cal_error_set(CAL_EINVALID, "document is not a JSON object");
	if (!c->usable)
		return canon_slow(c, doc);
	t = canon_type(c, cal_json_str_or_null(doc, CAL_F_TYPE));
	c->stable.len = c->vol.len = 0;
	c->nkeys = 0;
	c->has_vol = false;
	if (!canon_keys(c, doc, &base, &n) || !canon_putc(&c->stable, '{') ||
	    !canon_putc(&c->vol, '{'))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == CANON_OK; i++) {
		const struct st_canon_member m = c->keys[base + i];
		bool vol = canon_is_volatile(t, m.key);
		bool *first = vol ? &first_v : &first_s;

		rc = canon_member(c, vol ? &c->vol : &c->stable, *first, &m, 1);
		*first = false;
		c->has_vol |= vol;
	}
	c->nkeys = 0;
	if (rc == CANON_SLOW)
		return canon_slow(c, doc);
	if (rc != CANON_OK || !canon_putc(&c->stable, '}') || !canon_putc(&c->vol, '}'))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	canon_end(&c->stable);
	canon_end(&c->vol);
	canon_hex_hash(c->hash, &c->stable);
	return 0;
}
