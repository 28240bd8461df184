/* search_index.c - the search index (store_search.c has its tables), kept
 * in step with the live inventory after each commit: the objects whose
 * revisions began or ended since the last refresh are reindexed, nothing
 * else; the first time, every live object.
 *
 * What is searchable in an object: every scalar value of its document
 * (strings, and numbers as decimal text), at any depth, named by the path
 * of keys that leads to it ("interfaces.name"), lowercased, each distinct
 * value once (the first field that holds it: id, then name, then the
 * document's order).  Left out: fields every object has that say where
 * rather than what (paths, parent, environment, source, times), volatile
 * fields (counters, pids) and a few that every device repeats and nobody
 * searches for (flags, MTU, ifindex, OpenFlow port numbers).  An address
 * "10.1.0.5/24" is also indexed as "10.1.0.5"; CIDRs of networks (cidrs,
 * subnets, cidr) go to search_cidrs.  Values are cut at 200 bytes, at most
 * 400 per object, 32 elements of a list and 64 keys of a nested map (a
 * vedge lists every port, an otep every peer): the object's own values
 * come first, and the rest belong to the objects they name, which are
 * indexed themselves.
 *
 * One transaction under the environment's writer lock; writes in batches.
 */
#include "analyze/analyze_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define SX_TERM_MAX 200
#define SX_TERMS_MAX 400
#define SX_LIST_MAX 32 /* elements of one list indexed */
#define SX_MAP_MAX 64  /* keys of one nested map indexed */

static const char *const sx_skip[] = { CAL_F_ID_PATH, CAL_F_NAME_PATH, CAL_F_PARENT_ID,
				       CAL_F_PARENT_TYPE, CAL_F_ENV, CAL_F_SOURCE,
				       CAL_F_LAST_SCANNED, "status_timestamp", CAL_F_TYPE,
				       CAL_F_OBJECT_NAME, NULL };
/* Keys skipped at any depth. */
static const char *const sx_noise[] = { "flags", "mtu", "ifindex", "ofport", "netns_inode",
					"statistics", "master_ifindex", "link_ifindex", NULL };

/* The values of one object; strings live in the two tables (no allocation
 * per value), which are emptied for the next object. */
struct sx_terms {
	const char **term, **field;
	size_t n, cap;
	json_t *cidrs;           /* [[field, cidr]] */
	struct an_intern seen;   /* the object's values so far */
	struct an_intern fields; /* field paths */
};

static void sx_terms_clear(struct sx_terms *t)
{
	t->n = 0;
	json_array_clear(t->cidrs);
	an_intern_clear(&t->seen);
	an_intern_clear(&t->fields);
}

static void sx_terms_free(struct sx_terms *t)
{
	free(t->term);
	free(t->field);
	json_decref(t->cidrs);
	an_intern_fini(&t->seen);
	an_intern_fini(&t->fields);
	memset(t, 0, sizeof(*t));
}

static int sx_terms_init(struct sx_terms *t)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->cidrs = json_array();
	if (!t->cidrs)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = an_intern_init(&t->seen);
	if (rc == 0)
		rc = an_intern_init(&t->fields);
	return rc;
}

/* Folds `s` into out (SX_TERM_MAX + 1 bytes); returns the length. */
static size_t sx_fold(char *out, const char *s)
{
	size_t n = strlen(s);

	if (n > SX_TERM_MAX) {
		/* Cut at a UTF-8 character boundary. */
		n = SX_TERM_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		/* Newlines separate values in the haystack. */
		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c == '\n' ? ' ' : c;
	}
	out[n] = '\0';
	return n;
}

char *an_search_fold(const char *s)
{
	char *out = malloc(SX_TERM_MAX + 1);

	if (out)
		sx_fold(out, s);
	return out;
}

static int sx_add(struct sx_terms *t, const char *field, const char *value)
{
	char term[SX_TERM_MAX + 1];
	size_t n, before;
	uint32_t ti, fi;
	int rc;

	if (!*value || t->n >= SX_TERMS_MAX)
		return 0;
	n = sx_fold(term, value);
	/* Each value once, under the first field that holds it. */
	before = t->seen.n;
	rc = an_intern_add(&t->seen, &ti, term, n);
	if (rc || t->seen.n == before)
		return rc;
	rc = an_intern_add(&t->fields, &fi, field, strlen(field));
	if (rc)
		return rc;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		const char **a = realloc(t->term, cap * sizeof(*a)), **b;

		if (!a)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		t->term = a;
		b = realloc(t->field, cap * sizeof(*b));
		if (!b)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		t->field = b;
		t->cap = cap;
	}
	t->term[t->n] = an_intern_key(&t->seen, ti);
	t->field[t->n] = an_intern_key(&t->fields, fi);
	t->n++;
	return 0;
}

/* "a.b.c.d/n" or "x::y/n": a CIDR; *addr_len says where the address ends. */
static bool sx_is_cidr(const char *s, size_t *addr_len)
{
	const char *slash = strchr(s, '/');
	char addr[64];
	unsigned char buf[16];
	size_t n;

	if (!slash || slash == s || (size_t)(slash - s) >= sizeof(addr) || !slash[1])
		return false;
	for (const char *p = slash + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	n = (size_t)(slash - s);
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, buf) != 1 && inet_pton(AF_INET6, addr, buf) != 1)
		return false;
	*addr_len = n;
	return true;
}

static bool sx_is_cidr_field(const char *field)
{
	const char *last = strrchr(field, '.');

	last = last ? last + 1 : field;
	return strcmp(last, "cidrs") == 0 || strcmp(last, "cidr") == 0 ||
	       strcmp(last, "subnets") == 0;
}

static int sx_value(struct sx_terms *t, const char *field, const json_t *v)
{
	char num[32];
	size_t alen;
	int rc = 0;

	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		rc = sx_add(t, field, s);
		if (rc == 0 && sx_is_cidr(s, &alen)) {
			char addr[64];

			memcpy(addr, s, alen);
			addr[alen] = '\0';
			rc = sx_add(t, field, addr);
			if (rc == 0 && sx_is_cidr_field(field))
				json_array_append_new(t->cidrs, json_pack("[s, s]", field, s));
		}
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		rc = sx_add(t, field, num);
	}
	return rc;
}

static bool sx_skipped(enum cal_obj_type type, const char *key)
{
	for (const char *const *k = sx_skip; *k; k++)
		if (strcmp(*k, key) == 0)
			return true;
	for (const struct cal_attr_def *d = cal_type_attrs(type); d && d->name; d++)
		if (d->is_volatile && strcmp(d->name, key) == 0)
			return true;
	for (const struct cal_attr_def *d = cal_common_attrs(); d->name; d++)
		if (d->is_volatile && strcmp(d->name, key) == 0)
			return true;
	return false;
}

/* Walks a value; `path` (with room for 256 bytes) holds its field path,
 * `len` bytes long, and is put back as it was. */
static int sx_walk(struct sx_terms *t, char *path, size_t len, const json_t *v, int depth)
{
	const char *k;
	json_t *x;
	size_t i;
	int rc = 0;

	if (depth > 8 || t->n >= SX_TERMS_MAX)
		return 0;
	if (json_is_object(v)) {
		size_t nkeys = 0;

		json_object_foreach((json_t *)v, k, x) {
			bool noise = false;
			size_t kl = strlen(k), nl = len + (len ? 1 : 0) + kl;

			if (depth > 0 && nkeys++ >= SX_MAP_MAX)
				break;
			for (const char *const *nk = sx_noise; *nk; nk++)
				noise |= strcmp(*nk, k) == 0;
			if (noise || nl >= 256)
				continue;
			if (len)
				path[len] = '.';
			memcpy(path + len + (len ? 1 : 0), k, kl + 1);
			rc = sx_walk(t, path, nl, x, depth + 1);
			path[len] = '\0';
			if (rc)
				return rc;
		}
		return 0;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (i >= SX_LIST_MAX)
				break;
			rc = sx_walk(t, path, len, x, depth + 1);
			if (rc)
				return rc;
		}
		return 0;
	}
	return sx_value(t, path, v);
}

/* The terms of one object document. */
static int sx_terms_of(struct sx_terms *t, const json_t *doc)
{
	enum cal_obj_type type = cal_type_from_name(cal_json_str(doc, CAL_F_TYPE));
	char path[256];
	const char *k;
	json_t *v;
	int rc;

	sx_terms_clear(t);
	/* Id and name first: they are what is searched most. */
	rc = sx_add(t, CAL_F_ID, cal_json_str(doc, CAL_F_ID));
	if (rc == 0)
		rc = sx_add(t, CAL_F_NAME, cal_json_str(doc, CAL_F_NAME));
	json_object_foreach((json_t *)doc, k, v) {
		if (rc)
			break;
		if (strcmp(k, CAL_F_ID) == 0 || strcmp(k, CAL_F_NAME) == 0 || sx_skipped(type, k))
			continue;
		if (!json_is_object(v) && !json_is_array(v)) {
			bool noise = false;

			for (const char *const *nk = sx_noise; *nk; nk++)
				noise |= strcmp(*nk, k) == 0;
			if (noise)
				continue;
		}
		if (strlen(k) >= sizeof(path))
			continue;
		snprintf(path, sizeof(path), "%s", k);
		rc = sx_walk(t, path, strlen(path), v, 0);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

/* A whole environment's terms, gathered to be written in key order. */
struct sx_bulk {
	struct an_intern terms, ids; /* stable copies */
	struct sx_pair {
		const char *term, *id;
		int is_key;
	} *v;
	size_t n, cap;
};

struct sx_writer {
	cal_store_batch *terms, *objects, *cidrs;
	struct sx_bulk *bulk; /* full builds: terms go here, not to `terms` */
};

static void sx_writer_free(struct sx_writer *w)
{
	cal_store_batch_free(w->terms);
	cal_store_batch_free(w->objects);
	cal_store_batch_free(w->cidrs);
	memset(w, 0, sizeof(*w));
}

static int sx_writer_open(struct sx_writer *w, cal_store *st, struct sx_bulk *bulk)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->bulk = bulk;
	rc = cal_store_batch_new(&w->terms, st, "INSERT INTO search_terms (env, term, object_id, "
				 "is_key) VALUES ", "(?, ?, ?, ?)", ", ", "", 0, 4);
	if (rc == 0)
		rc = cal_store_batch_new(&w->objects, st, "INSERT INTO search_objects (env, "
					 "object_id, type, name, name_path, haystack, fields) VALUES ",
					 "(?, ?, ?, ?, ?, ?, ?)", ", ", "", 0, 7);
	if (rc == 0)
		rc = cal_store_batch_new(&w->cidrs, st, "INSERT INTO search_cidrs (env, object_id, "
					 "field, cidr) VALUES ", "(?, ?, ?, ?)", ", ",
					 " ON CONFLICT DO NOTHING", 0, 4);
	if (rc)
		sx_writer_free(w);
	return rc;
}

static int sx_writer_flush(struct sx_writer *w)
{
	int rc = cal_store_batch_flush(w->terms);

	if (rc == 0)
		rc = cal_store_batch_flush(w->objects);
	if (rc == 0)
		rc = cal_store_batch_flush(w->cidrs);
	return rc;
}

static int sx_bulk_add(struct sx_bulk *b, const char *term, const char *id, int is_key)
{
	uint32_t ti, ii;
	int rc;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 65536;
		struct sx_pair *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		b->v = v;
		b->cap = cap;
	}
	rc = an_intern_add(&b->terms, &ti, term, strlen(term));
	if (rc == 0)
		rc = an_intern_add(&b->ids, &ii, id, strlen(id));
	if (rc)
		return rc;
	/* Interned keys stay where they are: the pointers remain valid. */
	b->v[b->n].term = an_intern_key(&b->terms, ti);
	b->v[b->n].id = an_intern_key(&b->ids, ii);
	b->v[b->n].is_key = is_key;
	b->n++;
	return 0;
}

static int sx_cmp_pair(const void *a, const void *b)
{
	const struct sx_pair *x = a, *y = b;
	int c = strcmp(x->term, y->term);

	return c ? c : strcmp(x->id, y->id);
}

/* Writes a full build's terms in key order (b-tree appends), their object
 * index built once afterwards. */
static int sx_bulk_write(struct sx_writer *w, cal_store *st, const char *env)
{
	struct sx_bulk *b = w->bulk;
	int rc;

	/* SQLite only: on PostgreSQL the index is shared by environments
	 * indexed concurrently (see clique_refresh.c). */
	bool drop = !cal_store_is_postgres(st);

	if (b->n > 1)
		qsort(b->v, b->n, sizeof(*b->v), sx_cmp_pair);
	rc = drop ? cal_store_sql_exec(st, "DROP INDEX IF EXISTS search_terms_object", "") : 0;
	for (size_t i = 0; rc == 0 && i < b->n; i++) {
		rc = cal_store_batch_text_ref(w->terms, env);
		if (rc == 0)
			rc = cal_store_batch_text_ref(w->terms, b->v[i].term);
		if (rc == 0)
			rc = cal_store_batch_text_ref(w->terms, b->v[i].id);
		if (rc == 0)
			rc = cal_store_batch_int64(w->terms, b->v[i].is_key);
	}
	if (rc == 0)
		rc = cal_store_batch_flush(w->terms);
	if (rc == 0 && drop)
		rc = cal_store_sql_exec(st, "CREATE INDEX search_terms_object ON search_terms "
					"(env, object_id)", "");
	return rc;
}

static int sx_put(struct sx_writer *w, struct sx_terms *t, const char *env, const json_t *doc)
{
	struct cal_buf hay = { 0 }, fields = { 0 };
	const char *id = cal_json_str(doc, CAL_F_ID);
	size_t i;
	json_t *c;
	int rc;

	rc = sx_terms_of(t, doc);
	if (rc)
		return rc;
	cal_buf_str(&hay, "\n");
	cal_buf_str(&fields, "\n");
	for (i = 0; rc == 0 && i < t->n; i++) {
		/* The id and name come first (sx_terms_of). */
		int is_key = strcmp(t->field[i], CAL_F_ID) == 0 || strcmp(t->field[i], CAL_F_NAME) == 0;

		cal_buf_str(&hay, t->term[i]);
		cal_buf_str(&hay, "\n");
		cal_buf_str(&fields, t->field[i]);
		cal_buf_str(&fields, "\n");
		if (w->bulk) {
			rc = sx_bulk_add(w->bulk, t->term[i], id, is_key);
			continue;
		}
		rc = cal_store_batch_text(w->terms, env);
		if (rc == 0)
			rc = cal_store_batch_text(w->terms, t->term[i]);
		if (rc == 0)
			rc = cal_store_batch_text(w->terms, id);
		if (rc == 0)
			rc = cal_store_batch_int64(w->terms, is_key);
	}
	json_array_foreach(t->cidrs, i, c) {
		if (rc)
			break;
		rc = cal_store_batch_text(w->cidrs, env);
		if (rc == 0)
			rc = cal_store_batch_text(w->cidrs, id);
		if (rc == 0)
			rc = cal_store_batch_text(w->cidrs, json_string_value(json_array_get(c, 0)));
		if (rc == 0)
			rc = cal_store_batch_text(w->cidrs, json_string_value(json_array_get(c, 1)));
	}
	if (rc == 0 && (hay.oom || fields.oom))
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cal_store_batch_text(w->objects, env);
	if (rc == 0)
		rc = cal_store_batch_text(w->objects, id);
	if (rc == 0)
		rc = cal_store_batch_text(w->objects, cal_json_str(doc, CAL_F_TYPE));
	if (rc == 0)
		rc = cal_store_batch_text(w->objects, cal_json_str(doc, CAL_F_NAME));
	if (rc == 0)
		rc = cal_store_batch_text(w->objects, cal_json_str(doc, CAL_F_NAME_PATH));
	if (rc == 0) {
		rc = cal_store_batch_text_take(w->objects, hay.s);
		hay.s = NULL;
	}
	if (rc == 0) {
		rc = cal_store_batch_text_take(w->objects, fields.s);
		fields.s = NULL;
	}
	cal_buf_free(&hay);
	cal_buf_free(&fields);
	return rc;
}

static int sx_state(cal_store *st, const char *env, bool *found, int64_t *done)
{
	cal_store_stmt *s = NULL;
	int rc;

	*found = false;
	*done = 0;
	rc = cal_store_sql_prepare_fmt(st, &s, "SELECT done_ts FROM search_state WHERE env = ?",
				       "t", env);
	if (rc == 0)
		rc = cal_store_sql_step(s);
	if (rc == CAL_STORE_ROW) {
		*found = true;
		*done = cal_store_sql_int64(s, 0);
		rc = 0;
	}
	cal_store_sql_reset(s);
	return rc < 0 ? rc : 0;
}

static int sx_max_id(cal_store *st, int64_t *out)
{
	cal_store_stmt *s = NULL;
	int rc;

	*out = 0;
	rc = cal_store_sql_prepare(st, &s, "SELECT COALESCE(MAX(id), 0) FROM search_objects");
	if (rc == 0)
		rc = cal_store_sql_step(s);
	if (rc == CAL_STORE_ROW) {
		*out = cal_store_sql_int64(s, 0);
		rc = 0;
	}
	cal_store_sql_reset(s);
	return rc < 0 ? rc : 0;
}

/* Objects with a revision that began or ended in (lo, hi]. */
#define SX_CHANGED                                                                      \
	"SELECT id FROM objects WHERE env = ? AND valid_from > ? AND valid_from <= ? "      \
	"UNION SELECT id FROM objects WHERE env = ? AND valid_to > ? AND valid_to <= ?"

/* Incremental: the index entries of every changed object go first, in one
 * statement per table (FTS5 writes a segment per statement). */
static int sx_forget_changed(cal_store *st, const char *env, int64_t lo, int64_t hi)
{
	static const char *const sql[] = {
		"INSERT INTO search_fts (search_fts, rowid, haystack) SELECT 'delete', id, "
		"haystack FROM search_objects WHERE env = ? AND object_id IN (" SX_CHANGED ")",
		"DELETE FROM search_terms WHERE env = ? AND object_id IN (" SX_CHANGED ")",
		"DELETE FROM search_objects WHERE env = ? AND object_id IN (" SX_CHANGED ")",
		"DELETE FROM search_cidrs WHERE env = ? AND object_id IN (" SX_CHANGED ")",
	};
	int rc = 0;

	for (size_t q = cal_store_is_postgres(st) ? 1 : 0; rc == 0 && q < 4; q++)
		rc = cal_store_sql_exec(st, sql[q], "ttiitii", env, env, lo, hi, env, lo, hi);
	return rc;
}

/* Full: every live object.  Incremental: every id with a revision that
 * began or ended in (lo, hi], with its live document when it still has
 * one (none: it is only removed). */
static int sx_source(cal_store *st, cal_store_stmt **out, const char *env, int64_t lo,
		     int64_t hi, bool full)
{
	cal_store_stmt *s = NULL;
	int rc;

	*out = NULL;
	if (full) {
		rc = cal_store_sql_prepare_fmt(st, &s, "SELECT id, doc FROM objects WHERE env = ? "
					       "AND valid_to IS NULL", "t", env);
	} else {
		rc = cal_store_sql_prepare_fmt(
			st, &s,
			"SELECT c.id, o.doc FROM (SELECT id FROM objects WHERE env = ? AND "
			"valid_from > ? AND valid_from <= ? UNION SELECT id FROM objects WHERE "
			"env = ? AND valid_to > ? AND valid_to <= ?) AS c LEFT JOIN objects o ON "
			"o.env = ? AND o.id = c.id AND o.valid_to IS NULL",
			"tiitiit", env, lo, hi, env, lo, hi, env);
	}
	if (rc)
		cal_store_sql_reset(s);
	else
		*out = s;
	return rc;
}

static int sx_reindex(cal_store *st, const char *env, int64_t lo, int64_t hi, bool full,
		      struct cal_search_stats *stats)
{
	struct sx_writer w = { 0 };
	struct sx_terms t = { 0 };
	struct sx_bulk bulk = { 0 };
	cal_store_stmt *s = NULL;
	bool sqlite = !cal_store_is_postgres(st);
	int64_t max_id = 0;
	int rc;

	rc = sx_terms_init(&t);
	if (rc == 0 && full)
		rc = an_intern_init(&bulk.terms);
	if (rc == 0 && full)
		rc = an_intern_init(&bulk.ids);
	/* New rows get ids past every id ever used (AUTOINCREMENT), which is
	 * how the FTS index finds them at the end. */
	if (rc == 0 && sqlite)
		rc = sx_max_id(st, &max_id);
	if (rc == 0 && full)
		rc = cal_store_sql_exec(st, "DELETE FROM search_terms WHERE env = ?", "t", env);
	if (rc == 0 && full)
		rc = cal_store_sql_exec(st, "DELETE FROM search_objects WHERE env = ?", "t", env);
	if (rc == 0 && full)
		rc = cal_store_sql_exec(st, "DELETE FROM search_cidrs WHERE env = ?", "t", env);
	if (rc == 0 && !full)
		rc = sx_forget_changed(st, env, lo, hi);
	if (rc == 0)
		rc = sx_writer_open(&w, st, full ? &bulk : NULL);
	if (rc == 0)
		rc = sx_source(st, &s, env, lo, hi, full);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
		const char *text = cal_store_sql_text(s, 1);
		json_t *doc;

		rc = 0;
		if (!text) {
			stats->removed++;
			continue;
		}
		doc = json_loads(text, 0, NULL);
		if (!doc)
			continue;
		rc = sx_put(&w, &t, env, doc);
		json_decref(doc);
		stats->indexed++;
	}
	cal_store_sql_reset(s);
	if (rc > 0)
		rc = 0;
	if (rc == 0)
		rc = sx_writer_flush(&w);
	if (rc == 0 && full)
		rc = sx_bulk_write(&w, st, env);
	/* A full build rebuilds the FTS index from the rows (entries of
	 * deleted rows included: one pass instead of one removal per row);
	 * otherwise the new rows are added. */
	if (rc == 0 && sqlite && full)
		rc = cal_store_sql_exec(st, "INSERT INTO search_fts (search_fts) VALUES ('rebuild')",
					"");
	if (rc == 0 && sqlite && !full) {
		cal_store_stmt *q = NULL;

		rc = cal_store_sql_prepare(st, &q, "INSERT INTO search_fts (rowid, haystack) "
					   "SELECT id, haystack FROM search_objects WHERE id > ?");
		if (rc == 0)
			rc = cal_store_sql_bind_int64(q, 1, max_id);
		if (rc == 0)
			rc = cal_store_sql_step(q);
		cal_store_sql_reset(q);
		if (rc > 0)
			rc = 0;
	}
	sx_writer_free(&w);
	sx_terms_free(&t);
	free(bulk.v);
	an_intern_fini(&bulk.terms);
	an_intern_fini(&bulk.ids);
	return rc;
}

int cal_search_refresh(cal_store *st, const char *env, int64_t ts, struct cal_search_stats *out)
{
	struct cal_search_stats stats = { 0 };
	int64_t t0 = cal_time_mono_us(), done;
	bool found;
	int rc;

	if (ts <= 0)
		ts = cal_time_now_us();
	rc = cal_store_tx_begin(st, env);
	if (rc)
		return rc;
	rc = sx_state(st, env, &found, &done);
	if (rc == 0 && found && ts <= done) {
		rc = cal_store_tx_commit(st);
		goto out;
	}
	stats.full = !found;
	if (rc == 0)
		rc = sx_reindex(st, env, done, ts, !found, &stats);
	if (rc == 0)
		rc = cal_store_sql_exec(st, "INSERT INTO search_state (env, done_ts) VALUES (?, ?) "
					"ON CONFLICT (env) DO UPDATE SET done_ts = excluded.done_ts",
					"ti", env, (int64_t)(found && done > ts ? done : ts));
	if (rc == 0)
		rc = cal_store_tx_commit(st);
out:
	if (rc)
		cal_store_tx_rollback(st);
	stats.duration_us = cal_time_mono_us() - t0;
	if (rc == 0 && out)
		*out = stats;
	return rc;
}

int cal_search_rebuild(cal_store *st, const char *env, struct cal_search_stats *out)
{
	int rc = cal_store_sql_exec(st, "DELETE FROM search_state WHERE env = ?", "t", env);

	return rc ? rc : cal_search_refresh(st, env, 0, out);
}
