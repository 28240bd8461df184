/* store_commit.c - cal_store_commit(): turns the result of a discovery into
 * revisions, writing only what changed.
 *
 * One transaction per commit, holding the environment's writer lock:
 *   1. the commit time: `ts`, or newest + 1 when `ts` is not after the
 *      newest valid_from/valid_to already stored for the environment, so
 *      that an environment's revision times strictly increase and the
 *      inventory "at T" is never ambiguous;
 *   2. one query loads the live (id, hash, host, source, volatile hash) of
 *      the environment into a hash map;
 *   3. each incoming document is split into its stable part, hashed
 *      canonically, and its volatile part (store_canon.c: the same result
 *      as cal_object_stable() + cal_json_canonical_hash(), 4x faster):
 *        new id                 -> a revision [ts, NULL)
 *        same hash              -> nothing (volatile side table only, and
 *                                  only when the volatile part changed)
 *        different hash         -> the live revision ends at ts, a new one
 *                                  starts at ts;
 *   4. live ids absent from the commit end at ts when their (host, source)
 *      answered or `clear` is set; ids of sources that did not answer are
 *      left alone.  Links are always a whole set: absent links end.
 * Writes go through multi-row batches (a few hundred rows per statement);
 * reads are one query per table, never one per object.
 *
 * Trust: documents come from our own builder and linker; the store checks
 * only what it relies on (objects are JSON objects, ids agree with keys).
 */
#include "store/store_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What differs between objects and links. */
struct cm_kind {
	const char *what; /* "object", "link" */
	const char *load_sql;       /* live (id, hash, host, source) */
	const char *load_state_sql; /* (id, vhash) of the side table */
	const char *insert_head, *insert_row;
	const char *close_head;
	const char *state_head, *state_tail;
	const char *state_delete_head;
	const char *const *fields; /* doc fields copied into columns, in order */
	int nfields;
	bool by_source; /* absent ids end only when their source answered */
};

static const char *const cm_object_fields[] = { CAL_F_TYPE, CAL_F_HOST, CAL_F_SOURCE,
						CAL_F_NAME, CAL_F_PARENT_ID, CAL_F_ID_PATH };
static const char *const cm_link_fields[] = { CAL_F_LINK_TYPE, CAL_F_SOURCE_ID,
					      CAL_F_TARGET_ID, CAL_F_HOST };

static const struct cm_kind cm_objects = {
	.what = "object",
	.load_sql = "SELECT id, hash, host, source FROM objects "
		    "WHERE env = ? AND valid_to IS NULL",
	.load_state_sql = "SELECT id, vhash FROM object_state WHERE env = ?",
	.insert_head = "INSERT INTO objects (env, id, valid_from, valid_to, hash, type, host, "
		       "source, name, parent_id, id_path, doc) VALUES ",
	.insert_row = "(?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
	.close_head = "UPDATE objects SET valid_to = ? WHERE env = ? AND valid_to IS NULL "
		      "AND valid_from < ? AND id IN (",
	.state_head = "INSERT INTO object_state (env, id, vhash, doc) VALUES ",
	.state_tail = " ON CONFLICT (env, id) DO UPDATE SET vhash = excluded.vhash, "
		      "doc = excluded.doc",
	.state_delete_head = "DELETE FROM object_state WHERE env = ? AND id IN (",
	.fields = cm_object_fields,
	.nfields = 6,
	.by_source = true,
};

static const struct cm_kind cm_links = {
	.what = "link",
	.load_sql = "SELECT id, hash, host, '' FROM links WHERE env = ? AND valid_to IS NULL",
	.load_state_sql = "SELECT id, vhash FROM link_state WHERE env = ?",
	.insert_head = "INSERT INTO links (env, id, valid_from, valid_to, hash, link_type, "
		       "source_id, target_id, host, doc) VALUES ",
	.insert_row = "(?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
	.close_head = "UPDATE links SET valid_to = ? WHERE env = ? AND valid_to IS NULL "
		      "AND valid_from < ? AND id IN (",
	.state_head = "INSERT INTO link_state (env, id, vhash, doc) VALUES ",
	.state_tail = " ON CONFLICT (env, id) DO UPDATE SET vhash = excluded.vhash, "
		      "doc = excluded.doc",
	.state_delete_head = "DELETE FROM link_state WHERE env = ? AND id IN (",
	.fields = cm_link_fields,
	.nfields = 4,
	.by_source = false,
};

/* One live row of the environment. */
struct cm_live {
	unsigned char hash[16];
	unsigned char vhash[16];
	uint32_t pair;  /* index in the pairs map */
	bool has_state; /* a volatile row exists */
	bool seen;      /* present in the commit */
};

struct cm_ctx {
	cal_store *st;
	const struct cal_commit *c;
	int64_t ts;
	struct st_map ids;      /* live id -> index in `live` */
	struct cm_live *live;
	size_t nlive;
	struct st_map pairs;    /* "host\x1fsource" -> index */
	bool *answered;         /* per pair */
	size_t nanswered;
	char *keybuf;           /* scratch for pair keys */
	size_t keycap;
	char *last_host, *last_source; /* cm_row_pair()'s cache */
	uint32_t last_pair;
	bool last_pair_set;
	db_batch *ins, *close, *state, *state_del;
	struct st_canon canon;  /* this thread's split buffers */
	int added, changed, removed, unchanged;
	int64_t us_classify, us_apply; /* for the debug log */
	size_t state_puts;
};

static signed char cm_hexval[256];
static pthread_once_t cm_hex_once = PTHREAD_ONCE_INIT;

static void cm_hex_setup(void)
{
	memset(cm_hexval, -1, sizeof(cm_hexval));
	for (int i = 0; i < 10; i++)
		cm_hexval['0' + i] = (signed char)i;
	for (int i = 0; i < 6; i++)
		cm_hexval['a' + i] = (signed char)(10 + i);
}

/* 32 lowercase hex digits -> 16 bytes; false when `hex` is not that. */
static bool cm_hex16(unsigned char out[16], const char *hex)
{
	if (!hex)
		return false;
	for (int i = 0; i < 16; i++) {
		int hi = cm_hexval[(unsigned char)hex[2 * i]];
		int lo = hi < 0 ? -1 : cm_hexval[(unsigned char)hex[2 * i + 1]];

		if (lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

static int cm_pair(struct cm_ctx *x, uint32_t *out, const char *host, const char *source)
{
	size_t lh = strlen(host), ls = strlen(source), n = lh + ls + 1;

	if (n + 1 > x->keycap) {
		char *b = realloc(x->keybuf, n + 1);

		if (!b)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		x->keybuf = b;
		x->keycap = n + 1;
	}
	memcpy(x->keybuf, host, lh);
	x->keybuf[lh] = '\x1f';
	memcpy(x->keybuf + lh + 1, source, ls);
	x->keybuf[n] = '\0';
	return st_map_add(&x->pairs, out, x->keybuf, n, NULL);
}

static int cm_answered_init(struct cm_ctx *x)
{
	const json_t *a = x->c->answered;
	size_t i;
	json_t *p;

	json_array_foreach(a, i, p) {
		uint32_t idx;
		int rc;

		if (!json_is_object(p) || !json_is_string(json_object_get(p, "source")))
			return cal_error_set(CAL_EINVALID, "commit of '%s': answered[%zu] is not "
					     "{\"host\", \"source\"}", x->c->env, i);
		rc = cm_pair(x, &idx, cal_json_str(p, "host"), cal_json_str(p, "source"));
		if (rc)
			return rc;
	}
	/* Pairs seen while loading get added after; the array grows then. */
	x->nanswered = x->pairs.n;
	x->answered = calloc(x->nanswered ? x->nanswered : 1, sizeof(*x->answered));
	if (!x->answered)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	for (size_t k = 0; k < x->nanswered; k++)
		x->answered[k] = true;
	return 0;
}

static bool cm_is_answered(const struct cm_ctx *x, uint32_t pair)
{
	return pair < x->nanswered && x->answered[pair];
}

/* The (host, source) pair of a live row; rows come grouped, so the last
 * pair is tried first. */
static int cm_row_pair(struct cm_ctx *x, uint32_t *out, const char *host, const char *source)
{
	host = host ? host : "";
	source = source ? source : "";
	if (x->last_pair_set &&
	    strcmp(x->last_host, host) == 0 && strcmp(x->last_source, source) == 0) {
		*out = x->last_pair;
		return 0;
	}
	free(x->last_host);
	free(x->last_source);
	x->last_host = strdup(host);
	x->last_source = strdup(source);
	x->last_pair_set = false;
	if (!x->last_host || !x->last_source)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (cm_pair(x, &x->last_pair, host, source))
		return CAL_ENOMEM;
	x->last_pair_set = true;
	*out = x->last_pair;
	return 0;
}

/* The environment's live rows into x->ids / x->live: two queries (rows,
 * then the volatile side table), cheaper than their join. */
static int cm_load(struct cm_ctx *x, const struct cm_kind *k)
{
	db_stmt *s;
	size_t cap = 0;
	int rc;

	pthread_once(&cm_hex_once, cm_hex_setup);
	rc = db_prepare(x->st->db, &s, k->load_sql);
	if (rc)
		return rc;
	rc = db_bind_text(s, 1, x->c->env);
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		const char *id = db_col_text(s, 0);
		struct cm_live *e;
		uint32_t idx;
		bool added;

		rc = st_map_add(&x->ids, &idx, id, strlen(id), &added);
		if (rc)
			break;
		if (!added) {
			rc = cal_error_set(CAL_EINVALID, "database '%s': %s '%s' has two live "
					   "revisions", db_name(x->st->db), k->what, id);
			break;
		}
		if (idx >= cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			struct cm_live *bigger = realloc(x->live, ncap * sizeof(*bigger));

			if (!bigger) {
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
				break;
			}
			x->live = bigger;
			cap = ncap;
		}
		e = &x->live[idx];
		memset(e, 0, sizeof(*e));
		if (!cm_hex16(e->hash, db_col_text(s, 1)))
			memset(e->hash, 0, sizeof(e->hash)); /* never equal: rewritten */
		rc = cm_row_pair(x, &e->pair, db_col_text(s, 2), db_col_text(s, 3));
		x->nlive = idx + 1;
	}
	db_reset(s);
	if (rc < 0)
		return rc;
	rc = db_prepare(x->st->db, &s, k->load_state_sql);
	if (rc)
		return rc;
	rc = db_bind_text(s, 1, x->c->env);
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		const char *id = db_col_text(s, 0);
		int64_t idx = st_map_find(&x->ids, id, strlen(id));

		/* A state row without a live revision is left for the next
		 * removal of that id to clean. */
		if (idx >= 0)
			x->live[idx].has_state = cm_hex16(x->live[idx].vhash, db_col_text(s, 1));
		rc = 0;
	}
	db_reset(s);
	return rc < 0 ? rc : 0;
}

static int cm_batches(struct cm_ctx *x, const struct cm_kind *k)
{
	int rc;

	rc = db_batch_new(&x->close, x->st->db, k->close_head, "?", ", ", ")", 3, 1);
	if (rc == 0)
		rc = db_batch_new(&x->ins, x->st->db, k->insert_head, k->insert_row, ", ", "", 0,
				  5 + k->nfields);
	if (rc == 0)
		rc = db_batch_new(&x->state, x->st->db, k->state_head, "(?, ?, ?, ?)", ", ",
				  k->state_tail, 0, 4);
	if (rc == 0)
		rc = db_batch_new(&x->state_del, x->st->db, k->state_delete_head, "?", ", ", ")",
				  1, 1);
	if (rc)
		return rc;
	/* The live revision must end before its successor starts: the
	 * unique index on live ids would refuse the pair. */
	db_batch_set_before(x->ins, x->close);
	rc = db_batch_fixed_int64(x->close, 1, x->ts);
	if (rc == 0)
		rc = db_batch_fixed_text(x->close, 2, x->c->env);
	if (rc == 0)
		rc = db_batch_fixed_int64(x->close, 3, x->ts);
	if (rc == 0)
		rc = db_batch_fixed_text(x->state_del, 1, x->c->env);
	return rc;
}

static void cm_batches_free(struct cm_ctx *x)
{
	db_batch_free(x->ins);
	db_batch_free(x->close);
	db_batch_free(x->state);
	db_batch_free(x->state_del);
	x->ins = x->close = x->state = x->state_del = NULL;
}

/* What one incoming document turned out to be.  Computed by
 * cm_classify() (two threads share a chunk), applied by the connection's
 * thread in cm_apply(), in the documents' order. */
enum cm_status { CM_UNCHANGED, CM_CHANGED, CM_ADDED };
enum cm_state_op { CM_STATE_KEEP, CM_STATE_PUT, CM_STATE_DELETE };

struct cm_result {
	const char *id;
	const json_t *doc;
	int64_t live;          /* index in x->live, or -1 */
	enum cm_status status;
	enum cm_state_op state;
	char hash[CAL_HASH_HEXSZ];
	char vhash[CAL_HASH_HEXSZ];
	char *text, *vtext;    /* stable / volatile text to write (malloc'ed) */
};

/* Documents per chunk: the chunk's texts of new revisions are held in
 * memory until written, so this bounds a first commit's extra memory. */
#define CM_CHUNK 8192

/* Commits of more documents than this get SQLite's larger page cache. */
#define CM_BULK_DOCS 20000

struct cm_worker {
	struct cm_ctx *x;
	const struct cm_kind *k;
	struct cm_result *res;
	size_t from, to;
	struct st_canon *canon; /* one per thread */
	int rc;
	char err[512];
};

/* Reads only: the live map and arrays, the documents.  Safe to run in two
 * threads at once on different results (jansson values are only read;
 * their reference counts are atomic anyway). */
static int cm_classify(struct cm_ctx *x, const struct cm_kind *k, struct st_canon *canon,
		       struct cm_result *r)
{
	unsigned char bin[16];
	const struct cm_live *old = NULL;
	const char *doc_id;
	int rc;

	if (!json_is_object(r->doc))
		return cal_error_set(CAL_EINVALID, "%s '%s' is not a JSON object", k->what, r->id);
	doc_id = cal_json_str_or_null(r->doc, CAL_F_ID);
	if (doc_id && strcmp(doc_id, r->id) != 0)
		return cal_error_set(CAL_EINVALID, "%s '%s' carries a different id '%s'", k->what,
				     r->id, doc_id);
	rc = st_canon_split(canon, r->doc);
	if (rc)
		return rc;
	r->live = st_map_find(&x->ids, r->id, strlen(r->id));
	if (r->live >= 0)
		old = &x->live[r->live];
	if (old && cm_hex16(bin, canon->hash) && memcmp(bin, old->hash, sizeof(bin)) == 0) {
		r->status = CM_UNCHANGED;
	} else {
		r->status = old ? CM_CHANGED : CM_ADDED;
		memcpy(r->hash, canon->hash, sizeof(r->hash));
		r->text = strndup(canon->stable.s, canon->stable.len);
		if (!r->text)
			return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	r->state = CM_STATE_KEEP;
	if (!canon->has_vol) {
		if (old && old->has_state)
			r->state = CM_STATE_DELETE;
	} else if (!(old && old->has_state && cm_hex16(bin, canon->vhash) &&
		     memcmp(bin, old->vhash, sizeof(bin)) == 0)) {
		r->state = CM_STATE_PUT;
		memcpy(r->vhash, canon->vhash, sizeof(r->vhash));
		r->vtext = strndup(canon->vol.s, canon->vol.len);
		if (!r->vtext)
			return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	return 0;
}

static int cm_classify_range(struct cm_worker *w)
{
	for (size_t i = w->from; i < w->to; i++) {
		int rc = cm_classify(w->x, w->k, w->canon, &w->res[i]);

		if (rc) {
			w->rc = rc;
			snprintf(w->err, sizeof(w->err), "%s", cal_error_last());
			return rc;
		}
	}
	return 0;
}

static void *cm_worker_main(void *arg)
{
	cm_classify_range(arg);
	return NULL;
}

/* Turns one classified document into rows of the batches. */
static int cm_apply(struct cm_ctx *x, const struct cm_kind *k, struct cm_result *r)
{
	int rc = 0;

	if (r->live >= 0)
		x->live[r->live].seen = true;
	if (r->status == CM_UNCHANGED) {
		x->unchanged++;
	} else {
		if (r->status == CM_CHANGED) {
			rc = db_batch_text_ref(x->close, r->id);
			x->changed++;
		} else {
			x->added++;
		}
		if (rc == 0)
			rc = db_batch_text_ref(x->ins, x->c->env);
		if (rc == 0)
			rc = db_batch_text_ref(x->ins, r->id);
		if (rc == 0)
			rc = db_batch_int64(x->ins, x->ts);
		if (rc == 0)
			rc = db_batch_text(x->ins, r->hash);
		/* Column values are common fields, never volatile: read from
		 * the document itself. */
		for (int f = 0; f < k->nfields && rc == 0; f++)
			rc = db_batch_text(x->ins, cal_json_str(r->doc, k->fields[f]));
		if (rc == 0) {
			rc = db_batch_text_take(x->ins, r->text);
			r->text = NULL;
		}
	}
	if (rc == 0 && r->state == CM_STATE_DELETE)
		rc = db_batch_text_ref(x->state_del, r->id);
	if (rc == 0 && r->state == CM_STATE_PUT) {
		x->state_puts++;
		rc = db_batch_text_ref(x->state, x->c->env);
		if (rc == 0)
			rc = db_batch_text_ref(x->state, r->id);
		if (rc == 0)
			rc = db_batch_text(x->state, r->vhash);
		if (rc == 0) {
			rc = db_batch_text_take(x->state, r->vtext);
			r->vtext = NULL;
		}
	}
	return rc;
}

static void cm_results_clear(struct cm_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(res[i].text);
		free(res[i].vtext);
	}
	memset(res, 0, n * sizeof(*res));
}

/* Classifies `n` documents: the second half in a helper thread while this
 * thread does the first (the split and hash are the commit's main CPU
 * cost), then applies them in order. */
static int cm_chunk(struct cm_ctx *x, const struct cm_kind *k, struct cm_worker *helper,
		    struct cm_result *res, size_t n)
{
	struct cm_worker self = { .x = x, .k = k, .res = res, .from = 0, .to = n,
				  .canon = &x->canon };
	int64_t t0 = cal_time_mono_us(), t1;
	pthread_t tid;
	bool threaded = false;
	int rc;

	if (n >= 2) {
		helper->x = x;
		helper->k = k;
		helper->res = res;
		helper->from = n / 2;
		helper->to = n;
		helper->rc = 0;
		self.to = n / 2;
		threaded = pthread_create(&tid, NULL, cm_worker_main, helper) == 0;
		if (!threaded)
			self.to = n; /* no thread: do it all here */
	}
	rc = cm_classify_range(&self);
	if (threaded) {
		pthread_join(tid, NULL);
		if (rc == 0 && helper->rc) {
			rc = helper->rc;
			cal_error_set(rc, "%s", helper->err);
		}
	}
	t1 = cal_time_mono_us();
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = cm_apply(x, k, &res[i]);
	cm_results_clear(res, n);
	x->us_classify += t1 - t0;
	x->us_apply += cal_time_mono_us() - t1;
	return rc;
}

/* Objects or links: the whole diff of one table against the commit. */
static int cm_table(struct cm_ctx *x, const struct cm_kind *k, const json_t *docs)
{
	struct st_canon helper_canon = { 0 };
	struct cm_worker helper = { .canon = &helper_canon };
	struct cm_result *res = NULL;
	int64_t t0 = cal_time_mono_us(), t1, t2;
	size_t n = 0;
	const char *id;
	json_t *doc;
	int rc;

	x->added = x->changed = x->removed = x->unchanged = 0;
	x->us_classify = x->us_apply = 0;
	x->state_puts = 0;
	rc = st_map_init(&x->ids);
	if (rc == 0)
		rc = st_canon_init(&helper_canon);
	if (rc == 0)
		rc = cm_load(x, k);
	if (rc == 0)
		rc = cm_batches(x, k);
	if (rc)
		goto out;
	res = calloc(CM_CHUNK, sizeof(*res));
	if (!res) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	t1 = cal_time_mono_us();
	json_object_foreach((json_t *)docs, id, doc) {
		res[n].id = id;
		res[n].doc = doc;
		if (++n == CM_CHUNK) {
			rc = cm_chunk(x, k, &helper, res, n);
			n = 0;
			if (rc)
				goto out;
		}
	}
	if (n > 0) {
		rc = cm_chunk(x, k, &helper, res, n);
		if (rc)
			goto out;
	}
	for (size_t i = 0; i < x->nlive; i++) {
		const struct cm_live *e = &x->live[i];

		if (e->seen)
			continue;
		if (k->by_source && !x->c->clear && !cm_is_answered(x, e->pair))
			continue;
		/* Keys of the map stay valid until st_map_fini(), after the
		 * batches are flushed. */
		rc = db_batch_text_ref(x->close, st_map_key(&x->ids, (uint32_t)i));
		if (rc == 0 && e->has_state)
			rc = db_batch_text_ref(x->state_del, st_map_key(&x->ids, (uint32_t)i));
		if (rc)
			goto out;
		x->removed++;
	}
	rc = db_batch_flush(x->close);
	if (rc == 0)
		rc = db_batch_flush(x->ins);
	if (rc == 0)
		rc = db_batch_flush(x->state_del);
	if (rc == 0)
		rc = db_batch_flush(x->state);
	t2 = cal_time_mono_us();
	cal_log_debug("store", "commit of '%s', %ss: %zu live loaded in %.3f s, %zu compared and "
		      "written in %.3f s (split and hash %.3f s, rows %.3f s, last rows %.3f s); "
		      "%zu volatile rows written",
		      x->c->env, k->what, x->nlive, (double)(t1 - t0) / 1e6,
		      json_object_size(docs), (double)(t2 - t1) / 1e6, (double)x->us_classify / 1e6,
		      (double)x->us_apply / 1e6,
		      (double)(t2 - t1 - x->us_classify - x->us_apply) / 1e6, x->state_puts);
out:
	if (res)
		cm_results_clear(res, CM_CHUNK);
	free(res);
	st_canon_fini(&helper_canon);
	cm_batches_free(x);
	st_map_fini(&x->ids);
	free(x->live);
	x->live = NULL;
	x->nlive = 0;
	return rc;
}

/* The newest valid_from/valid_to of the environment (0 when none). */
static int cm_newest(struct cm_ctx *x, int64_t *out)
{
	static const char *const sql[] = {
		"SELECT MAX(valid_from) FROM objects WHERE env = ?",
		"SELECT MAX(valid_to) FROM objects WHERE env = ?",
		"SELECT MAX(valid_from) FROM links WHERE env = ?",
		"SELECT MAX(valid_to) FROM links WHERE env = ?",
	};
	int64_t v;
	int rc;

	*out = 0;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		rc = db_query_int64(x->st->db, &v, NULL, sql[i], 1,
				    (const char *const[]){ x->c->env });
		if (rc)
			return rc;
		if (v > *out)
			*out = v;
	}
	return 0;
}

static int cm_record(struct cm_ctx *x, const struct cal_commit_stats *stats)
{
	json_t *js;
	char *stext = NULL, *atext = NULL;
	db_stmt *s;
	int rc;

	js = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "objects_added",
		       stats->objects_added, "objects_changed", stats->objects_changed,
		       "objects_removed", stats->objects_removed, "objects_unchanged",
		       stats->objects_unchanged, "links_added", stats->links_added,
		       "links_changed", stats->links_changed, "links_removed",
		       stats->links_removed, "links_unchanged", stats->links_unchanged);
	if (js)
		stext = st_json_dump(js);
	json_decref(js);
	atext = x->c->answered ? st_json_dump(x->c->answered) : strdup("[]");
	if (!stext || !atext) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	rc = db_prepare(x->st->db, &s,
			"INSERT INTO commits (env, ts, requested_ts, scan_id, answered, clear_all, "
			"stats) VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (rc)
		goto out;
	rc = db_bind_text(s, 1, x->c->env);
	if (rc == 0)
		rc = db_bind_int64(s, 2, x->ts);
	if (rc == 0)
		rc = db_bind_int64(s, 3, x->c->ts);
	if (rc == 0)
		rc = x->c->scan_id > 0 ? db_bind_int64(s, 4, x->c->scan_id) : db_bind_null(s, 4);
	if (rc == 0)
		rc = db_bind_text(s, 5, atext);
	if (rc == 0)
		rc = db_bind_int64(s, 6, x->c->clear);
	if (rc == 0)
		rc = db_bind_text(s, 7, stext);
	if (rc == 0)
		rc = db_step(s);
	db_reset(s);
out:
	free(stext);
	free(atext);
	return rc < 0 ? rc : 0;
}

int cal_store_commit(cal_store *st, const struct cal_commit *c, struct cal_commit_stats *out)
{
	struct cal_commit_stats stats = { 0 };
	struct cm_ctx x = { .st = st, .c = c };
	json_t *empty = NULL;
	int64_t newest;
	bool bulk = false;
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!c || !c->env || !*c->env)
		return cal_error_set(CAL_EINVALID, "commit without an environment");
	if ((c->objects && !json_is_object(c->objects)) || (c->links && !json_is_object(c->links)))
		return cal_error_set(CAL_EINVALID, "commit of '%s': objects and links must map "
				     "id -> document", c->env);
	if (c->answered && !json_is_array(c->answered))
		return cal_error_set(CAL_EINVALID, "commit of '%s': answered must be an array",
				     c->env);
	empty = json_object();
	rc = empty ? st_map_init(&x.pairs) : cal_error_set(CAL_ENOMEM, "out of memory");
	if (rc == 0)
		rc = st_canon_init(&x.canon);
	if (rc)
		goto out;
	rc = cm_answered_init(&x);
	if (rc)
		goto out;
	bulk = json_object_size(c->objects) + json_object_size(c->links) > CM_BULK_DOCS;
	if (bulk)
		db_bulk_mode(st->db, true);
	rc = db_begin(st->db);
	if (rc == 0)
		rc = db_lock(st->db, c->env);
	if (rc == 0)
		rc = cm_newest(&x, &newest);
	if (rc)
		goto out;
	x.ts = c->ts > 0 ? c->ts : cal_time_now_us();
	if (x.ts <= newest) {
		cal_log_debug("store", "commit of '%s' at %lld moved to %lld: not after the "
			      "newest revision", c->env, (long long)x.ts, (long long)newest + 1);
		x.ts = newest + 1;
	}
	rc = cm_table(&x, &cm_objects, c->objects ? c->objects : empty);
	if (rc)
		goto out;
	stats.objects_added = x.added;
	stats.objects_changed = x.changed;
	stats.objects_removed = x.removed;
	stats.objects_unchanged = x.unchanged;
	stats.volatile_written = (int)x.state_puts;
	if (c->links) {
		rc = cm_table(&x, &cm_links, c->links);
		if (rc)
			goto out;
		stats.links_added = x.added;
		stats.links_changed = x.changed;
		stats.links_removed = x.removed;
		stats.links_unchanged = x.unchanged;
		stats.volatile_written += (int)x.state_puts;
	}
	stats.ts = x.ts;
	rc = cm_record(&x, &stats);
	if (rc == 0) {
		int64_t t = cal_time_mono_us();

		rc = db_commit(st->db);
		cal_log_debug("store", "commit of '%s': transaction committed in %.3f s", c->env,
			      (double)(cal_time_mono_us() - t) / 1e6);
	}
	if (rc == 0 && out)
		*out = stats;
out:
	if (rc) {
		db_rollback(st->db);
		cal_error_prefix(rc, "cannot commit environment '%s'", c->env);
	}
	if (bulk)
		db_bulk_mode(st->db, false);
	st_map_fini(&x.pairs);
	st_canon_fini(&x.canon);
	free(x.answered);
	free(x.keybuf);
	free(x.last_host);
	free(x.last_source);
	json_decref(empty);
	return rc;
}
