/* store_commit.c - cal_store_commit(): turns the result of a discovery into
 * revisions, writing only what changed.
 *
 * One transaction per commit, holding the environment's writer lock:
 *   1. the commit time: `ts`, or newest + 1 when `ts` is not after the
 *      newest valid_from/valid_to already stored for the environment, so
 *      that an environment's revision times strictly increase and the
 *      inventory "at T" is never ambiguous;
 *   2. one query loads the live (id, hash, host, source) of the
 *      environment into a hash map, another the hashes of its volatile
 *      groups;
 *   3. each incoming document is split into its stable part, hashed
 *      canonically, and its volatile part (store_canon.c: the same result
 *      as cal_object_stable() + cal_json_canonical_hash(), 4x faster; two
 *      threads share this work, the documents being only read):
 *        new id                 -> a revision [ts, NULL)
 *        same hash              -> no revision
 *        different hash         -> the live revision ends at ts, a new one
 *                                  starts at ts;
 *   4. live ids absent from the commit end at ts when their (host, source)
 *      answered or `clear` is set; ids of sources that did not answer are
 *      left alone.  Links are always a whole set: absent links end;
 *   5. volatile fields go to one row per (host, source) group (per host
 *      for links), {id: fields}; a group is rewritten only when the
 *      order-independent sum of its entries' hashes changed, and keeps the
 *      fields of its members that stay without being in the commit.
 * Writes go through multi-row batches (a few hundred rows per statement);
 * reads are one query per table, never one per object.
 *
 * Trust: documents come from our own builder and linker; the store checks
 * only what it relies on (objects are JSON objects, ids agree with keys).
 */
#include "store/store_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What differs between objects and links. */
struct cm_kind {
	const char *what; /* "object", "link" */
	const char *load_sql;     /* live (id, hash, host, source) */
	const char *load_vol_sql; /* volatile groups: (host, source, vhash) */
	const char *old_vol_sql;  /* one group's doc, by env, host[, source] */
	const char *insert_head, *insert_row;
	const char *close_head;
	const char *vol_head, *vol_row, *vol_tail; /* upsert of groups */
	const char *vol_delete;   /* one group, by env, host[, source] */
	bool vol_by_source;       /* groups are per (host, source), else per host */
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
	.load_vol_sql = "SELECT host, source, vhash FROM object_volatile WHERE env = ?",
	.old_vol_sql = "SELECT doc FROM object_volatile WHERE env = ? AND host = ? AND "
		       "source = ?",
	.insert_head = "INSERT INTO objects (env, id, valid_from, valid_to, hash, type, host, "
		       "source, name, parent_id, id_path, doc) VALUES ",
	.insert_row = "(?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
	.close_head = "UPDATE objects SET valid_to = ? WHERE env = ? AND valid_to IS NULL "
		      "AND id IN (",
	.vol_head = "INSERT INTO object_volatile (env, host, source, vhash, doc) VALUES ",
	.vol_row = "(?, ?, ?, ?, ?)",
	.vol_tail = " ON CONFLICT (env, host, source) DO UPDATE SET vhash = excluded.vhash, "
		    "doc = excluded.doc",
	.vol_delete = "DELETE FROM object_volatile WHERE env = ? AND host = ? AND source = ?",
	.vol_by_source = true,
	.fields = cm_object_fields,
	.nfields = 6,
	.by_source = true,
};

static const struct cm_kind cm_links = {
	.what = "link",
	.load_sql = "SELECT id, hash, host, '' FROM links WHERE env = ? AND valid_to IS NULL",
	.load_vol_sql = "SELECT host, '', vhash FROM link_volatile WHERE env = ?",
	.old_vol_sql = "SELECT doc FROM link_volatile WHERE env = ? AND host = ?",
	.insert_head = "INSERT INTO links (env, id, valid_from, valid_to, hash, link_type, "
		       "source_id, target_id, host, doc) VALUES ",
	.insert_row = "(?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
	.close_head = "UPDATE links SET valid_to = ? WHERE env = ? AND valid_to IS NULL "
		      "AND id IN (",
	.vol_head = "INSERT INTO link_volatile (env, host, vhash, doc) VALUES ",
	.vol_row = "(?, ?, ?, ?)",
	.vol_tail = " ON CONFLICT (env, host) DO UPDATE SET vhash = excluded.vhash, "
		    "doc = excluded.doc",
	.vol_delete = "DELETE FROM link_volatile WHERE env = ? AND host = ?",
	.vol_by_source = false,
	.fields = cm_link_fields,
	.nfields = 4,
	.by_source = false,
};

/* One live row of the environment. */
struct cm_live {
	unsigned char hash[16];
	uint32_t pair; /* index in the pairs map */
	bool seen;     /* present in the commit */
	bool removed;  /* ended by this commit */
};

/* The volatile group of one (host, source) pair (per host for links): one
 * row holding {id: volatile fields} of its live members.  Its hash is an
 * order-independent sum of its entries' hashes, so an unchanged group is
 * recognised without building its text. */
struct cm_group {
	uint64_t sum[2];      /* of the entries' hashes, as this commit leaves it */
	uint32_t nvol;        /* entries */
	bool touched;         /* a member came, changed, went or was seen */
	bool kept;            /* some live members absent from the commit stay */
	bool stored;          /* a row exists */
	bool write;           /* its row is to be (re)written */
	unsigned char stored_hash[16];
	unsigned char new_hash[16];
	json_t *old;          /* the stored row, read when kept members need it */
};

/* One entry of a group: an id and the canonical text of its volatile
 * fields. */
struct cm_vol {
	uint32_t pair;
	const char *id;       /* a key of the commit's documents, of x->ids or of an old group */
	char *vtext;          /* in an arena of the table */
};

struct cm_ctx {
	cal_store *st;
	const struct cal_commit *c;
	int64_t ts;
	struct st_map ids;      /* live id -> index in `live` */
	struct cm_live *live;
	size_t nlive;
	struct st_map pairs;    /* "host\0source" -> index */
	bool *answered;         /* per pair */
	size_t nanswered;
	struct cm_group *groups; /* per pair */
	size_t ngroups;
	struct cm_vol *vols;
	size_t nvols, volcap;
	struct st_arena_chunk *arena; /* this thread's volatile texts */
	char *keybuf;           /* scratch for pair keys */
	size_t keycap;
	char *last_host, *last_source; /* cm_row_pair()'s cache */
	uint32_t last_pair;
	bool last_pair_set;
	db_batch *ins, *close;
	struct st_canon canon;  /* this thread's split buffers */
	int added, changed, removed, unchanged;
	size_t live_before[2];  /* live rows of objects, links when loaded */
	int64_t us_classify, us_apply; /* for the debug log */
	size_t vol_writes;
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
	x->keybuf[lh] = '\0'; /* cannot be part of either C string */
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

/* The group of `pair`, growing the array as pairs appear. */
static struct cm_group *cm_group(struct cm_ctx *x, uint32_t pair)
{
	if (pair >= x->ngroups) {
		size_t n = x->pairs.n > pair ? x->pairs.n : (size_t)pair + 1;
		struct cm_group *g;

		n = n < 2 * x->ngroups ? 2 * x->ngroups : n;
		g = realloc(x->groups, n * sizeof(*g));
		if (!g)
			return NULL;
		memset(g + x->ngroups, 0, (n - x->ngroups) * sizeof(*g));
		x->groups = g;
		x->ngroups = n;
	}
	return &x->groups[pair];
}

static void cm_groups_free(struct cm_ctx *x)
{
	for (size_t i = 0; i < x->ngroups; i++)
		json_decref(x->groups[i].old);
	free(x->groups);
	x->groups = NULL;
	x->ngroups = 0;
	free(x->vols);
	x->vols = NULL;
	x->nvols = x->volcap = 0;
}

/* The environment's live rows into x->ids / x->live, and the hashes of
 * its volatile groups: two queries. */
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
	rc = db_prepare(x->st->db, &s, k->load_vol_sql);
	if (rc)
		return rc;
	rc = db_bind_text(s, 1, x->c->env);
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		struct cm_group *g;
		uint32_t pair;

		rc = cm_row_pair(x, &pair, db_col_text(s, 0), db_col_text(s, 1));
		if (rc)
			break;
		g = cm_group(x, pair);
		if (!g) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			break;
		}
		g->stored = cm_hex16(g->stored_hash, db_col_text(s, 2));
		/* A row whose hash cannot be read is rewritten (or deleted). */
		if (!g->stored) {
			g->stored = true;
			memset(g->stored_hash, 0, sizeof(g->stored_hash));
		}
	}
	db_reset(s);
	return rc < 0 ? rc : 0;
}

static int cm_batches(struct cm_ctx *x, const struct cm_kind *k)
{
	int rc;

	rc = db_batch_new(&x->close, x->st->db, k->close_head, "?", ", ", ")", 2, 1);
	if (rc == 0)
		rc = db_batch_new(&x->ins, x->st->db, k->insert_head, k->insert_row, ", ", "", 0,
				  5 + k->nfields);
	if (rc)
		return rc;
	/* The live revision must end before its successor starts: the
	 * unique index on live ids would refuse the pair, and the close
	 * (valid_to IS NULL) would take the new revision too.  No time
	 * condition in the close either: PostgreSQL's planner would pick the
	 * valid_from index for it and scan every revision. */
	db_batch_set_before(x->ins, x->close);
	rc = db_batch_fixed_int64(x->close, 1, x->ts);
	if (rc == 0)
		rc = db_batch_fixed_text(x->close, 2, x->c->env);
	return rc;
}

static void cm_batches_free(struct cm_ctx *x)
{
	db_batch_free(x->ins);
	db_batch_free(x->close);
	x->ins = x->close = NULL;
}

/* What one incoming document turned out to be.  Computed by
 * cm_classify() (two threads share a chunk), applied by the connection's
 * thread in cm_apply(), in the documents' order. */
enum cm_status { CM_UNCHANGED, CM_CHANGED, CM_ADDED };

struct cm_result {
	const char *id;
	const json_t *doc;
	const char *host, *source; /* its volatile group's pair */
	int64_t live;          /* index in x->live, or -1 */
	enum cm_status status;
	bool has_vol;
	char hash[CAL_HASH_HEXSZ];
	unsigned char ehash[16]; /* of (id, volatile text), when has_vol */
	char *text;            /* stable text to write (malloc'ed) */
	char *vtext;           /* volatile text (in the classifying thread's arena) */
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
	struct st_arena_chunk **arena; /* one per thread, for volatile texts */
	int rc;
	char err[512];
};

/* Reads only: the live map and arrays, the documents.  Safe to run in two
 * threads at once on different results (jansson values are only read;
 * their reference counts are atomic anyway). */
static int cm_classify(struct cm_ctx *x, const struct cm_kind *k, struct st_canon *canon,
		       struct st_arena_chunk **arena, struct cm_result *r)
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
	r->host = cal_json_str(r->doc, CAL_F_HOST);
	r->source = k->vol_by_source ? cal_json_str(r->doc, CAL_F_SOURCE) : "";
	r->has_vol = canon->has_vol;
	if (r->has_vol) {
		r->vtext = st_arena_strndup(arena, canon->vol.s, canon->vol.len);
		if (!r->vtext)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		st_hash_entry(r->ehash, r->id, r->vtext);
	}
	return 0;
}

static int cm_classify_range(struct cm_worker *w)
{
	for (size_t i = w->from; i < w->to; i++) {
		int rc = cm_classify(w->x, w->k, w->canon, w->arena, &w->res[i]);

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

/* Adds an entry to its group; `vtext` lives in an arena of the table. */
static int cm_vol_add(struct cm_ctx *x, uint32_t pair, const char *id, char *vtext,
		      const unsigned char ehash[16])
{
	struct cm_group *g = cm_group(x, pair);
	uint64_t h[2];

	if (!g)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (x->nvols == x->volcap) {
		size_t cap = x->volcap ? x->volcap * 2 : 4096;
		struct cm_vol *v = realloc(x->vols, cap * sizeof(*v));

		if (!v)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		x->vols = v;
		x->volcap = cap;
	}
	memcpy(h, ehash, sizeof(h));
	g->sum[0] += h[0];
	g->sum[1] += h[1];
	g->nvol++;
	x->vols[x->nvols].pair = pair;
	x->vols[x->nvols].id = id;
	x->vols[x->nvols].vtext = vtext;
	x->nvols++;
	return 0;
}

/* Turns one classified document into rows of the batches and an entry of
 * its volatile group. */
static int cm_apply(struct cm_ctx *x, const struct cm_kind *k, struct cm_result *r)
{
	struct cm_group *g;
	uint32_t pair;
	int rc = 0;

	if (r->live >= 0) {
		x->live[r->live].seen = true;
		g = cm_group(x, x->live[r->live].pair);
		if (!g)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		g->touched = true; /* the group it was in */
	}
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
	if (rc)
		return rc;
	rc = cm_row_pair(x, &pair, r->host, r->source);
	if (rc)
		return rc;
	g = cm_group(x, pair);
	if (!g)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	g->touched = true;
	if (r->has_vol) {
		rc = cm_vol_add(x, pair, r->id, r->vtext, r->ehash);
		r->vtext = NULL;
	}
	return rc;
}

static void cm_results_clear(struct cm_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(res[i].text);
	memset(res, 0, n * sizeof(*res));
}

/* Helper threads for the split and hash, besides the calling one. */
#define CM_MAX_HELPERS 7

struct cm_helpers {
	size_t n;
	struct cm_worker w[CM_MAX_HELPERS];
	struct st_canon canon[CM_MAX_HELPERS];
	struct st_arena_chunk *arena[CM_MAX_HELPERS];
};

/* One helper per other online CPU, up to CM_MAX_HELPERS. */
static int cm_helpers_init(struct cm_helpers *h)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int rc = 0;

	memset(h, 0, sizeof(*h));
	h->n = cpus > 1 ? (size_t)(cpus - 1) : 0;
	if (h->n > CM_MAX_HELPERS)
		h->n = CM_MAX_HELPERS;
	for (size_t i = 0; i < h->n && rc == 0; i++) {
		h->w[i].canon = &h->canon[i];
		h->w[i].arena = &h->arena[i];
		rc = st_canon_init(&h->canon[i]);
	}
	return rc;
}

static void cm_helpers_fini(struct cm_helpers *h)
{
	for (size_t i = 0; i < CM_MAX_HELPERS; i++) {
		st_canon_fini(&h->canon[i]);
		st_arena_free(&h->arena[i]);
	}
}

/* Classifies `n` documents in parts, one per helper thread and one here
 * (the split and hash are the commit's main CPU cost, and mostly waiting
 * on memory), then applies them in order. */
static int cm_chunk(struct cm_ctx *x, const struct cm_kind *k, struct cm_helpers *h,
		    struct cm_result *res, size_t n)
{
	struct cm_worker self = { .x = x, .k = k, .res = res, .from = 0, .to = n,
				  .canon = &x->canon, .arena = &x->arena };
	int64_t t0 = cal_time_mono_us(), t1;
	pthread_t tid[CM_MAX_HELPERS];
	bool started[CM_MAX_HELPERS] = { false };
	size_t parts = h->n + 1, part;
	int rc;

	/* Even small commits use the threads: a thread costs tens of
	 * microseconds, the transaction around it milliseconds. */
	if (parts > n)
		parts = n > 0 ? n : 1;
	part = (n + parts - 1) / parts;
	self.to = part < n ? part : n;
	for (size_t i = 0; i + 1 < parts; i++) {
		struct cm_worker *w = &h->w[i];

		w->x = x;
		w->k = k;
		w->res = res;
		w->from = (i + 1) * part;
		w->to = (i + 2) * part < n ? (i + 2) * part : n;
		w->rc = 0;
		if (w->from >= w->to)
			continue;
		started[i] = pthread_create(&tid[i], NULL, cm_worker_main, w) == 0;
		/* No thread: this part is done here. */
		if (!started[i] && cm_classify_range(w) && !self.rc)
			self.rc = w->rc;
	}
	rc = self.rc ? self.rc : cm_classify_range(&self);
	for (size_t i = 0; i + 1 < parts; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		if (rc == 0 && h->w[i].rc && h->w[i].from < h->w[i].to) {
			rc = h->w[i].rc;
			cal_error_set(rc, "%s", h->w[i].err);
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

/* The host (a copy) and source (in the map's key) of a pair. */
static int cm_pair_names(struct cm_ctx *x, uint32_t pair, char **host, const char **source)
{
	const char *key = st_map_key(&x->pairs, pair);

	*source = key + strlen(key) + 1;
	*host = strdup(key);
	if (!*host)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

/* Prepares `sql`, a statement on the stored row of group `pair`, with
 * the environment, the host and (for kinds grouped by source) the source
 * bound; on failure *out is NULL. */
static int cm_group_stmt(struct cm_ctx *x, const struct cm_kind *k, uint32_t pair,
			 const char *sql, db_stmt **out)
{
	const char *source;
	char *host;
	int rc;

	*out = NULL;
	rc = cm_pair_names(x, pair, &host, &source);
	if (rc)
		return rc;
	rc = db_prepare(x->st->db, out, sql);
	if (rc == 0)
		rc = db_bind_text(*out, 1, x->c->env);
	if (rc == 0)
		rc = db_bind_text(*out, 2, host);
	if (rc == 0 && k->vol_by_source)
		rc = db_bind_text(*out, 3, source);
	free(host); /* bound as a copy */
	if (rc) {
		db_reset(*out);
		*out = NULL;
	}
	return rc;
}

/* Reads a stored group that keeps members absent from this commit. */
static int cm_group_read(struct cm_ctx *x, const struct cm_kind *k, uint32_t pair)
{
	struct cm_group *g = &x->groups[pair];
	db_stmt *s;
	int rc;

	rc = cm_group_stmt(x, k, pair, k->old_vol_sql, &s);
	if (rc == 0)
		rc = db_step(s);
	if (rc == DB_ROW)
		rc = st_json_load(x->st, &g->old, db_col_text(s, 0), "volatile group");
	db_reset(s);
	if (rc < 0)
		return rc;
	if (!json_is_object(g->old)) {
		json_decref(g->old);
		g->old = NULL;
	}
	return 0;
}

/* Live members absent from the commit that stay (their source did not
 * answer) keep their volatile fields: taken from the stored group. */
static int cm_vol_kept(struct cm_ctx *x, const struct cm_kind *k)
{
	int rc;

	for (size_t i = 0; i < x->nlive; i++) {
		const struct cm_live *e = &x->live[i];

		if (!e->seen && !e->removed && x->groups[e->pair].touched)
			x->groups[e->pair].kept = true;
	}
	for (size_t p = 0; p < x->ngroups; p++) {
		if (x->groups[p].kept && x->groups[p].stored) {
			rc = cm_group_read(x, k, (uint32_t)p);
			if (rc)
				return rc;
		}
	}
	for (size_t i = 0; i < x->nlive; i++) {
		const struct cm_live *e = &x->live[i];
		const char *id = st_map_key(&x->ids, (uint32_t)i);
		unsigned char ehash[16];
		json_t *vol;
		char *vtext, *dump;

		if (e->seen || e->removed || !x->groups[e->pair].old)
			continue;
		vol = json_object_get(x->groups[e->pair].old, id);
		if (!json_is_object(vol) || json_object_size(vol) == 0)
			continue;
		dump = st_json_dump(vol);
		if (!dump)
			return CAL_ENOMEM;
		vtext = st_arena_strndup(&x->arena, dump, strlen(dump));
		free(dump);
		if (!vtext)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		st_hash_entry(ehash, id, vtext);
		rc = cm_vol_add(x, e->pair, id, vtext, ehash);
		if (rc)
			return rc;
	}
	return 0;
}

static int cm_vol_cmp(const void *a, const void *b)
{
	const struct cm_vol *va = a, *vb = b;

	if (va->pair != vb->pair)
		return va->pair < vb->pair ? -1 : 1;
	return strcmp(va->id, vb->id);
}

/* Deletes the row of a group left without entries. */
static int cm_vol_delete(struct cm_ctx *x, const struct cm_kind *k, uint32_t pair)
{
	db_stmt *s;
	int rc;

	rc = cm_group_stmt(x, k, pair, k->vol_delete, &s);
	if (rc == 0)
		rc = db_step(s);
	db_reset(s);
	if (rc == 0)
		x->vol_writes++;
	return rc < 0 ? rc : 0;
}

/* Appends the row of group `pair`, entries [first, end) of x->vols. */
static int cm_vol_row(struct cm_ctx *x, const struct cm_kind *k, db_batch *up, uint32_t pair,
		      size_t first, size_t end)
{
	struct st_buf text = { 0 };
	char hex[CAL_HASH_HEXSZ];
	const char *source;
	char *host = NULL;
	bool ok;
	int rc;

	ok = st_buf_put(&text, "{", 1);
	for (size_t j = first; j < end && ok; j++) {
		const struct cm_vol *v = &x->vols[j];

		ok = (j == first || st_buf_put(&text, ",", 1)) &&
		     st_buf_json_string(&text, v->id, strlen(v->id)) &&
		     st_buf_put(&text, ":", 1) && st_buf_put(&text, v->vtext, strlen(v->vtext));
	}
	if (!ok || !st_buf_put(&text, "}", 1)) {
		free(text.s);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	rc = cm_pair_names(x, pair, &host, &source);
	sodium_bin2hex(hex, sizeof(hex), x->groups[pair].new_hash, 16);
	if (rc == 0)
		rc = db_batch_text_ref(up, x->c->env);
	if (rc == 0)
		rc = db_batch_text(up, host);
	if (rc == 0 && k->vol_by_source)
		rc = db_batch_text(up, source);
	if (rc == 0)
		rc = db_batch_text(up, hex);
	free(host);
	if (rc == 0) {
		x->vol_writes++;
		return db_batch_text_take(up, st_buf_take(&text));
	}
	free(text.s);
	return rc;
}

/* Writes the groups this commit changed: a group's row is rewritten when
 * the sum of its entries' hashes differs from the stored one, deleted when
 * it has no entries left.  Unchanged groups cost no text at all. */
static int cm_vol_write(struct cm_ctx *x, const struct cm_kind *k)
{
	db_batch *up = NULL;
	size_t n = 0, i;
	int rc = 0;

	for (size_t p = 0; p < x->ngroups && rc == 0; p++) {
		struct cm_group *g = &x->groups[p];
		uint64_t mix[3] = { g->sum[0], g->sum[1], g->nvol };

		if (!g->touched)
			continue;
		if (g->nvol == 0) {
			if (g->stored)
				rc = cm_vol_delete(x, k, (uint32_t)p);
			continue;
		}
		st_hash128(g->new_hash, mix, sizeof(mix));
		g->write = !g->stored || memcmp(g->new_hash, g->stored_hash, 16) != 0;
	}
	if (rc)
		return rc;
	/* The entries of the groups to write, to the front, sorted by group
	 * then id: a group's text is the same whatever order the documents
	 * came in. */
	for (i = 0; i < x->nvols; i++) {
		if (x->groups[x->vols[i].pair].write) {
			struct cm_vol t = x->vols[n];

			x->vols[n++] = x->vols[i];
			x->vols[i] = t;
		}
	}
	if (n == 0)
		return 0;
	qsort(x->vols, n, sizeof(*x->vols), cm_vol_cmp);
	rc = db_batch_new(&up, x->st->db, k->vol_head, k->vol_row, ", ", k->vol_tail, 0,
			  k->vol_by_source ? 5 : 4);
	for (i = 0; i < n && rc == 0;) {
		size_t first = i;

		while (i < n && x->vols[i].pair == x->vols[first].pair)
			i++;
		rc = cm_vol_row(x, k, up, x->vols[first].pair, first, i);
	}
	if (rc == 0)
		rc = db_batch_flush(up);
	db_batch_free(up);
	return rc;
}

/* Objects or links: the whole diff of one table against the commit. */
static int cm_table(struct cm_ctx *x, const struct cm_kind *k, const json_t *docs)
{
	struct cm_helpers helpers = { 0 };
	struct cm_result *res = NULL;
	int64_t t0 = cal_time_mono_us(), t1, t2, t3;
	size_t n = 0;
	const char *id;
	json_t *doc;
	int rc;

	x->added = x->changed = x->removed = x->unchanged = 0;
	x->us_classify = x->us_apply = 0;
	x->vol_writes = 0;
	rc = st_map_init(&x->ids);
	if (rc == 0)
		rc = cm_helpers_init(&helpers);
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
			rc = cm_chunk(x, k, &helpers, res, n);
			n = 0;
			if (rc)
				goto out;
		}
	}
	if (n > 0) {
		rc = cm_chunk(x, k, &helpers, res, n);
		if (rc)
			goto out;
	}
	for (size_t i = 0; i < x->nlive; i++) {
		struct cm_live *e = &x->live[i];

		if (e->seen)
			continue;
		if (k->by_source && !x->c->clear && !cm_is_answered(x, e->pair))
			continue;
		/* Keys of the map stay valid until st_map_fini(), after the
		 * batches are flushed. */
		rc = db_batch_text_ref(x->close, st_map_key(&x->ids, (uint32_t)i));
		if (rc)
			goto out;
		e->removed = true;
		if (!cm_group(x, e->pair)) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			goto out;
		}
		x->groups[e->pair].touched = true;
		x->removed++;
	}
	rc = db_batch_flush(x->close);
	if (rc == 0)
		rc = db_batch_flush(x->ins);
	t2 = cal_time_mono_us();
	/* Every pair has its group from here on. */
	if (rc == 0 && x->pairs.n > 0 && !cm_group(x, (uint32_t)(x->pairs.n - 1)))
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cm_vol_kept(x, k);
	if (rc == 0)
		rc = cm_vol_write(x, k);
	if (rc)
		goto out;
	t3 = cal_time_mono_us();
	x->live_before[k == &cm_links] = x->nlive;
	cal_log_debug("store", "commit of '%s', %ss: %zu live loaded in %.3f s, %zu split and "
		      "hashed in %.3f s, rows written in %.3f s, %zu volatile groups written in "
		      "%.3f s", x->c->env, k->what, x->nlive, (double)(t1 - t0) / 1e6,
		      json_object_size(docs), (double)x->us_classify / 1e6,
		      (double)(t2 - t1 - x->us_classify) / 1e6, x->vol_writes,
		      (double)(t3 - t2) / 1e6);
out:
	if (res)
		cm_results_clear(res, CM_CHUNK);
	free(res);
	cm_helpers_fini(&helpers);
	cm_batches_free(x);
	cm_groups_free(x);
	st_arena_free(&x->arena);
	st_map_fini(&x->ids);
	free(x->live);
	x->live = NULL;
	x->nlive = 0;
	return rc;
}

/* PostgreSQL plans by its statistics of a table, which autovacuum updates
 * some time after a large change: until then, a table that grew from
 * nothing looks empty and the next commit's closes run as sequential
 * scans (0.4 s each on 500,000 rows).  A commit that wrote more than a
 * tenth of a table's live rows (and at least CM_ANALYZE_ROWS) refreshes
 * them itself. */
#define CM_ANALYZE_ROWS 10000

static void cm_analyze(cal_store *st, const char *table, size_t written, size_t live_before)
{
	char sql[64];
	int64_t t = cal_time_mono_us();

	if (db_dialect(st->db) != DB_PG || written < CM_ANALYZE_ROWS ||
	    written * 10 < live_before)
		return;
	snprintf(sql, sizeof(sql), "ANALYZE %s", table);
	if (db_exec(st->db, sql))
		cal_log_warn("store", "%s", cal_error_last());
	else
		cal_log_debug("store", "%s after writing %zu rows: %.3f s", sql, written,
			      (double)(cal_time_mono_us() - t) / 1e6);
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
		rc = cal_store_newest_time(st, &newest, c->env);
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
	stats.volatile_written = (int)x.vol_writes;
	if (c->links) {
		rc = cm_table(&x, &cm_links, c->links);
		if (rc)
			goto out;
		stats.links_added = x.added;
		stats.links_changed = x.changed;
		stats.links_removed = x.removed;
		stats.links_unchanged = x.unchanged;
		stats.volatile_written += (int)x.vol_writes;
	}
	stats.ts = x.ts;
	rc = cm_record(&x, &stats);
	if (rc == 0) {
		int64_t t = cal_time_mono_us();

		rc = db_commit(st->db);
		cal_log_debug("store", "commit of '%s': transaction committed in %.3f s", c->env,
			      (double)(cal_time_mono_us() - t) / 1e6);
	}
	if (rc == 0) {
		cm_analyze(st, "objects", (size_t)stats.objects_added + (size_t)stats.objects_changed,
			   x.live_before[0]);
		cm_analyze(st, "links", (size_t)stats.links_added + (size_t)stats.links_changed,
			   x.live_before[1]);
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
