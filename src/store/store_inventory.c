/* store_inventory.c - reading the inventory: objects and links, live or at
 * a past time, with filters; counts per type; the live objects of given
 * (host, source) pairs.
 *
 * Filters become SQL conditions the indexes of store_schema.c serve (exact
 * id, type, host, parent, id_path ranges); the name glob is matched here
 * with cal_glob_match(), so that it means what it means everywhere else,
 * and limit/offset then apply here too.  Live documents may be merged with
 * their volatile fields; past ones have none (volatile fields have no
 * history).
 *
 * Time travel: the revision valid at T is the one with
 * valid_from <= T < valid_to (valid_to NULL = still live).
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* Volatile groups needed by one read: (host, source) pairs -> parsed
 * {id: fields} rows.  A few groups are read one by one; beyond
 * INV_VOL_FEW, all the environment's groups in one query. */
#define INV_VOL_FEW 16

struct inv_vol {
	cal_store *st;
	const char *env;
	bool links;
	struct st_map pairs;
	json_t **rows; /* per pair; NULL when the group has no row */
	size_t cap;
	char *key;
	size_t keycap;
};

static int inv_vol_init(struct inv_vol *v, cal_store *st, const char *env, bool links)
{
	memset(v, 0, sizeof(*v));
	v->st = st;
	v->env = env;
	v->links = links;
	return st_map_init(&v->pairs);
}

static void inv_vol_fini(struct inv_vol *v)
{
	for (size_t i = 0; i < v->pairs.n; i++)
		json_decref(v->rows[i]);
	free(v->rows);
	free(v->key);
	st_map_fini(&v->pairs);
}

/* "host\0source" into v->key ("" for links' source). */
static int inv_vol_key(struct inv_vol *v, size_t *n, const char *host, const char *source)
{
	size_t lh, ls;

	host = host ? host : "";
	source = v->links || !source ? "" : source;
	lh = strlen(host);
	ls = strlen(source);
	*n = lh + ls + 1;
	if (*n + 1 > v->keycap) {
		char *k = realloc(v->key, *n + 1);

		if (!k)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		v->key = k;
		v->keycap = *n + 1;
	}
	memcpy(v->key, host, lh);
	v->key[lh] = '\0';
	memcpy(v->key + lh + 1, source, ls);
	v->key[*n] = '\0';
	return 0;
}

/* The index of (host, source), added if new. */
static int inv_vol_pair(struct inv_vol *v, uint32_t *out, const char *host, const char *source)
{
	size_t n;
	int rc = inv_vol_key(v, &n, host, source);

	if (rc == 0)
		rc = st_map_add(&v->pairs, out, v->key, n, NULL);
	if (rc == 0 && v->pairs.n > v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		json_t **rows = realloc(v->rows, cap * sizeof(*rows));

		if (!rows)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		memset(rows + v->cap, 0, (cap - v->cap) * sizeof(*rows));
		v->rows = rows;
		v->cap = cap;
	}
	return rc;
}

/* Keeps a group row read from the database when its pair was asked for. */
static int inv_vol_keep(struct inv_vol *v, const char *host, const char *source,
			const char *text)
{
	int64_t idx;
	json_t *row;
	size_t n;
	int rc;

	rc = inv_vol_key(v, &n, host, source);
	if (rc)
		return rc;
	idx = st_map_find(&v->pairs, v->key, n);
	if (idx < 0 || v->rows[idx])
		return 0;
	rc = st_json_load(v->st, &row, text, "volatile group");
	if (rc)
		return rc;
	if (!json_is_object(row)) {
		json_decref(row);
		return 0;
	}
	v->rows[idx] = row;
	return 0;
}

/* Reads the groups of the pairs registered so far. */
static int inv_vol_load(struct inv_vol *v)
{
	db_stmt *s = NULL;
	int rc = 0;

	if (v->pairs.n == 0)
		return 0;
	if (v->pairs.n > INV_VOL_FEW) {
		rc = db_prepare(v->st->db, &s, v->links
				? "SELECT host, '', doc FROM link_volatile WHERE env = ?"
				: "SELECT host, source, doc FROM object_volatile WHERE env = ?");
		if (rc == 0)
			rc = db_bind_text(s, 1, v->env);
		while (rc == 0 && (rc = db_step(s)) == DB_ROW)
			rc = inv_vol_keep(v, db_col_text(s, 0), db_col_text(s, 1),
					  db_col_text(s, 2));
		db_reset(s);
		return rc < 0 ? rc : 0;
	}
	for (size_t i = 0; i < v->pairs.n && rc == 0; i++) {
		const char *host = st_map_key(&v->pairs, (uint32_t)i);
		const char *source = host + strlen(host) + 1;

		rc = db_prepare(v->st->db, &s, v->links
				? "SELECT host, '', doc FROM link_volatile WHERE env = ? AND "
				  "host = ?"
				: "SELECT host, source, doc FROM object_volatile WHERE env = ? AND "
				  "host = ? AND source = ?");
		if (rc == 0)
			rc = db_bind_text(s, 1, v->env);
		if (rc == 0)
			rc = db_bind_text(s, 2, host);
		if (rc == 0 && !v->links)
			rc = db_bind_text(s, 3, source);
		while (rc == 0 && (rc = db_step(s)) == DB_ROW)
			rc = inv_vol_keep(v, db_col_text(s, 0), db_col_text(s, 1),
					  db_col_text(s, 2));
		db_reset(s);
		rc = rc < 0 ? rc : 0;
	}
	return rc;
}

/* Merges the volatile fields of `id` (pair `pair`) over `doc`. */
static int inv_vol_merge(struct inv_vol *v, json_t *doc, uint32_t pair, const char *id)
{
	json_t *fields = v->rows[pair] ? json_object_get(v->rows[pair], id) : NULL;

	if (json_is_object(fields) && json_object_update(doc, fields))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

/* Documents read, with the volatile group each belongs to. */
struct inv_rows {
	json_t *arr;
	uint32_t *pair;
	size_t n, cap;
};

static int inv_rows_add(struct inv_rows *r, struct inv_vol *v, json_t *doc, const char *host,
			const char *source)
{
	int rc;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		uint32_t *p = realloc(r->pair, cap * sizeof(*p));

		if (!p) {
			json_decref(doc);
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
		r->pair = p;
		r->cap = cap;
	}
	if (v) {
		rc = inv_vol_pair(v, &r->pair[r->n], host, source);
		if (rc) {
			json_decref(doc);
			return rc;
		}
	}
	if (json_array_append_new(r->arr, doc))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	r->n++;
	return 0;
}

/* Merges every document's volatile fields. */
static int inv_rows_merge(struct inv_rows *r, struct inv_vol *v)
{
	int rc = inv_vol_load(v);

	for (size_t i = 0; i < r->n && rc == 0; i++) {
		json_t *doc = json_array_get(r->arr, i);

		rc = inv_vol_merge(v, doc, r->pair[i], cal_json_str(doc, CAL_F_ID));
	}
	return rc;
}

/* " AND <col> = ?" for each filter that is set. */
static void inv_eq(struct st_sql *q, const char *col, const char *v)
{
	if (!v)
		return;
	st_sql_add(q, " AND ");
	st_sql_add(q, col);
	st_sql_text(q, " = ?", v);
}

/* Validity: live, or at time `at`. */
static void inv_valid(struct st_sql *q, const char *alias, int64_t at)
{
	if (at > 0) {
		st_sql_add(q, " AND ");
		st_sql_add(q, alias);
		st_sql_int(q, ".valid_from <= ?", at);
		st_sql_add(q, " AND (");
		st_sql_add(q, alias);
		st_sql_add(q, ".valid_to IS NULL OR ");
		st_sql_add(q, alias);
		st_sql_int(q, ".valid_to > ?)", at);
	} else {
		st_sql_add(q, " AND ");
		st_sql_add(q, alias);
		st_sql_add(q, ".valid_to IS NULL");
	}
}

/* Limit and offset: in SQL when every filter is in SQL, else while
 * reading (the caller counts). */
static void inv_limit(struct st_sql *q, int limit, int offset, bool in_sql)
{
	if (!in_sql)
		return;
	if (limit > 0) {
		st_sql_int(q, " LIMIT ?", limit);
		st_sql_int(q, " OFFSET ?", offset > 0 ? offset : 0);
	}
}

struct inv_window {
	int skip, take; /* take < 0: no limit */
};

/* Applies offset/limit not done by SQL.  Returns true when the row is
 * kept; sets *stop when no more rows are wanted. */
static bool inv_window_keep(struct inv_window *w, bool *stop)
{
	*stop = false;
	if (w->skip > 0) {
		w->skip--;
		return false;
	}
	if (w->take == 0) {
		*stop = true;
		return false;
	}
	if (w->take > 0)
		w->take--;
	return true;
}

static int inv_check_query(const struct cal_query *q)
{
	if (!q || !q->env || !*q->env)
		return cal_error_set(CAL_EINVALID, "query without an environment");
	if (q->limit < 0 || q->offset < 0)
		return cal_error_set(CAL_EINVALID, "negative limit or offset");
	return 0;
}

/* One read of objects or links: its SQL, the window kept here, the
 * volatile groups merged into live rows, and the rows. */
struct inv_read {
	bool merge, glob, stop;
	struct inv_window w;
	struct inv_rows rows;
	struct inv_vol vol;
	struct st_sql sql;
};

/* Readies `r` for query `q`; inv_read_end() is due whatever this
 * returns. */
static int inv_read_begin(struct inv_read *r, cal_store *st, const struct cal_query *q,
			  bool links)
{
	int rc;

	memset(r, 0, sizeof(*r));
	st_sql_init(&r->sql);
	r->merge = q->with_volatile && q->at <= 0;
	r->glob = q->name && *q->name; /* links: matched against link_name */
	/* Offset in SQL without a limit is not portable: done here then. */
	r->w.skip = (r->glob || q->limit <= 0) ? q->offset : 0;
	r->w.take = r->glob && q->limit > 0 ? q->limit : -1;
	rc = inv_vol_init(&r->vol, st, q->env, links);
	if (rc == 0) {
		r->rows.arr = json_array();
		if (!r->rows.arr)
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	return rc;
}

/* Adds a kept row's document (taken). */
static int inv_read_add(struct inv_read *r, json_t *doc, const char *host, const char *source)
{
	return inv_rows_add(&r->rows, r->merge ? &r->vol : NULL, doc, host, source);
}

/* Merges the volatile fields, frees what the read held and gives its rows
 * (*out) when `rc` is 0. */
static int inv_read_end(struct inv_read *r, json_t **out, int rc)
{
	if (rc == 0 && r->merge)
		rc = inv_rows_merge(&r->rows, &r->vol);
	st_sql_fini(&r->sql);
	inv_vol_fini(&r->vol);
	free(r->rows.pair);
	if (rc < 0) {
		json_decref(r->rows.arr);
		return rc;
	}
	*out = r->rows.arr;
	return 0;
}

int cal_store_objects(cal_store *st, json_t **out, const struct cal_query *q)
{
	struct inv_read r;
	struct st_sql *sql = &r.sql;
	char *hi = NULL, *slash = NULL;
	db_stmt *s = NULL;
	int rc;

	*out = NULL;
	rc = inv_check_query(q);
	if (rc)
		return rc;
	rc = inv_read_begin(&r, st, q, false);
	if (rc)
		goto out;
	st_sql_add(sql, "SELECT o.name, o.doc, o.host, o.source FROM objects o");
	st_sql_text(sql, " WHERE o.env = ?", q->env);
	inv_valid(sql, "o", q->at);
	inv_eq(sql, "o.id", q->id);
	inv_eq(sql, "o.type", q->type);
	inv_eq(sql, "o.host", q->host);
	inv_eq(sql, "o.parent_id", q->parent_id);
	if (q->id_path_prefix && *q->id_path_prefix) {
		size_t n = strlen(q->id_path_prefix);
		bool dir = q->id_path_prefix[n - 1] == '/';

		/* A sub-tree: the object itself and what is below it, not its
		 * siblings that share a name prefix (host1 vs host10).  One
		 * range [P, P/+max) on the id_path index, minus the texts
		 * P<c> with c < '/' that the range also holds. */
		slash = dir ? strdup(q->id_path_prefix) : cal_strdup_printf("%s/", q->id_path_prefix);
		hi = slash ? st_prefix_upper(slash) : NULL;
		if (!hi) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			goto out;
		}
		st_sql_text(sql, " AND o.id_path >= ?", q->id_path_prefix);
		st_sql_text(sql, " AND o.id_path < ?", hi);
		if (!dir) {
			st_sql_text(sql, " AND (o.id_path = ?", q->id_path_prefix);
			st_sql_text(sql, " OR o.id_path >= ?)", slash);
		}
	}
	st_sql_add(sql, " ORDER BY o.id_path, o.id");
	inv_limit(sql, q->limit, q->offset, !r.glob);
	rc = st_sql_prepare(st, &s, sql);
	while (rc == 0 && !r.stop && (rc = db_step(s)) == DB_ROW) {
		json_t *doc;

		rc = 0;
		if (r.glob && !cal_glob_match(q->name, db_col_text(s, 0)))
			continue;
		if (!inv_window_keep(&r.w, &r.stop))
			continue;
		rc = st_json_load(st, &doc, db_col_text(s, 1), "document");
		if (rc == 0)
			rc = inv_read_add(&r, doc, db_col_text(s, 2), db_col_text(s, 3));
	}
	db_reset(s);
out:
	free(hi);
	free(slash);
	return inv_read_end(&r, out, rc);
}

int cal_store_object_get(cal_store *st, json_t **out, const char *env, const char *id,
			 int64_t at)
{
	struct cal_query q = { .env = env, .id = id, .at = at, .with_volatile = true };
	char buf[CAL_TIME_BUFSZ];
	json_t *arr;
	int rc;

	*out = NULL;
	if (!id || !*id)
		return cal_error_set(CAL_EINVALID, "empty object id");
	rc = cal_store_objects(st, &arr, &q);
	if (rc)
		return rc;
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		if (at > 0)
			return cal_error_set(CAL_ENOTFOUND, "object '%s' not found in environment "
					     "'%s' at %s", id, env, cal_time_format(buf, at));
		return cal_error_set(CAL_ENOTFOUND, "object '%s' not found in environment '%s'",
				     id, env);
	}
	*out = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	return 0;
}

int cal_store_links(cal_store *st, json_t **out, const struct cal_query *q,
		    const char *object_id)
{
	struct inv_read r;
	struct st_sql *sql = &r.sql;
	db_stmt *s = NULL;
	int rc;

	*out = NULL;
	rc = inv_check_query(q);
	if (rc)
		return rc;
	rc = inv_read_begin(&r, st, q, true);
	if (rc)
		goto out;
	st_sql_add(sql, "SELECT l.doc, l.host FROM links l");
	st_sql_text(sql, " WHERE l.env = ?", q->env);
	inv_valid(sql, "l", q->at);
	inv_eq(sql, "l.id", q->id);
	inv_eq(sql, "l.link_type", q->type);
	inv_eq(sql, "l.host", q->host);
	if (object_id) {
		st_sql_text(sql, " AND (l.source_id = ?", object_id);
		st_sql_text(sql, " OR l.target_id = ?)", object_id);
	}
	st_sql_add(sql, " ORDER BY l.id");
	inv_limit(sql, q->limit, q->offset, !r.glob);
	rc = st_sql_prepare(st, &s, sql);
	while (rc == 0 && !r.stop && (rc = db_step(s)) == DB_ROW) {
		json_t *doc;

		rc = st_json_load(st, &doc, db_col_text(s, 0), "document");
		if (rc)
			break;
		if ((r.glob && !cal_glob_match(q->name, cal_json_str(doc, CAL_F_LINK_NAME))) ||
		    !inv_window_keep(&r.w, &r.stop)) {
			json_decref(doc);
			continue;
		}
		rc = inv_read_add(&r, doc, db_col_text(s, 1), "");
	}
	db_reset(s);
out:
	return inv_read_end(&r, out, rc);
}

int cal_store_counts(cal_store *st, json_t **out, const char *env)
{
	json_t *counts = json_object();
	db_stmt *s;
	int rc;

	*out = NULL;
	if (!counts)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = db_prepare(st->db, &s,
			"SELECT type, COUNT(*) FROM objects WHERE env = ? AND valid_to IS NULL "
			"GROUP BY type");
	if (rc == 0) {
		rc = db_bind_text(s, 1, env ? env : "");
		while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
			rc = 0;
			if (json_object_set_new(counts, db_col_text(s, 0),
						json_integer(db_col_int64(s, 1))))
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
		}
		db_reset(s);
	}
	if (rc < 0) {
		json_decref(counts);
		return rc;
	}
	*out = counts;
	return 0;
}

int cal_store_objects_of_sources(cal_store *st, json_t **out, const char *env,
				 const json_t *pairs)
{
	struct inv_rows rows = { 0 };
	struct inv_vol vol;
	json_t *map = NULL, *p;
	db_stmt *s;
	size_t i;
	int rc;

	*out = NULL;
	if (!env || !*env || (pairs && !json_is_array(pairs)))
		return cal_error_set(CAL_EINVALID, "objects of sources: need an environment and "
				     "an array of {\"host\", \"source\"}");
	rc = inv_vol_init(&vol, st, env, false);
	rows.arr = json_array();
	map = json_object();
	if (rc == 0 && (!rows.arr || !map))
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	/* One query per (host, source) pair, served by objects_live_host. */
	json_array_foreach(pairs, i, p) {
		if (rc)
			break;
		rc = db_prepare(st->db, &s,
				"SELECT doc, host, source FROM objects WHERE env = ? AND "
				"valid_to IS NULL AND host = ? AND source = ?");
		if (rc)
			break;
		rc = db_bind_text(s, 1, env);
		if (rc == 0)
			rc = db_bind_text(s, 2, cal_json_str(p, "host"));
		if (rc == 0)
			rc = db_bind_text(s, 3, cal_json_str(p, "source"));
		while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
			json_t *doc;

			rc = st_json_load(st, &doc, db_col_text(s, 0), "document");
			if (rc == 0)
				rc = inv_rows_add(&rows, &vol, doc, db_col_text(s, 1),
						  db_col_text(s, 2));
		}
		db_reset(s);
		rc = rc < 0 ? rc : 0;
	}
	if (rc == 0)
		rc = inv_rows_merge(&rows, &vol);
	for (i = 0; rc == 0 && i < rows.n; i++) {
		json_t *doc = json_array_get(rows.arr, i);

		if (json_object_set(map, cal_json_str(doc, CAL_F_ID), doc))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	inv_vol_fini(&vol);
	free(rows.pair);
	json_decref(rows.arr);
	if (rc < 0) {
		json_decref(map);
		return rc;
	}
	*out = map;
	return 0;
}
