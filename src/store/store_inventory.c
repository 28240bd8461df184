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

/* Parses a stored document and, when `vtext` is given, merges the volatile
 * fields over it. */
static int inv_doc(cal_store *st, json_t **out, const char *text, const char *vtext)
{
	json_t *doc, *vol;
	int rc;

	*out = NULL;
	rc = st_json_load(st, &doc, text, "document");
	if (rc)
		return rc;
	if (vtext) {
		rc = st_json_load(st, &vol, vtext, "volatile state");
		if (rc) {
			json_decref(doc);
			return rc;
		}
		if (json_is_object(vol) && json_object_update(doc, vol))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
		json_decref(vol);
		if (rc) {
			json_decref(doc);
			return rc;
		}
	}
	*out = doc;
	return 0;
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

int cal_store_objects(cal_store *st, json_t **out, const struct cal_query *q)
{
	bool merge, glob, stop = false;
	struct inv_window w;
	struct st_sql sql;
	json_t *arr = NULL;
	char *hi = NULL, *slash = NULL;
	db_stmt *s = NULL;
	int rc;

	*out = NULL;
	rc = inv_check_query(q);
	if (rc)
		return rc;
	merge = q->with_volatile && q->at <= 0;
	glob = q->name && *q->name;
	/* Offset in SQL without a limit is not portable: done here then. */
	w.skip = (glob || q->limit <= 0) ? q->offset : 0;
	w.take = glob && q->limit > 0 ? q->limit : -1;
	st_sql_init(&sql);
	st_sql_add(&sql, merge ? "SELECT o.name, o.doc, s.doc FROM objects o LEFT JOIN "
			       "object_state s ON s.env = o.env AND s.id = o.id"
			       : "SELECT o.name, o.doc, NULL FROM objects o");
	st_sql_text(&sql, " WHERE o.env = ?", q->env);
	inv_valid(&sql, "o", q->at);
	inv_eq(&sql, "o.id", q->id);
	inv_eq(&sql, "o.type", q->type);
	inv_eq(&sql, "o.host", q->host);
	inv_eq(&sql, "o.parent_id", q->parent_id);
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
		st_sql_text(&sql, " AND o.id_path >= ?", q->id_path_prefix);
		st_sql_text(&sql, " AND o.id_path < ?", hi);
		if (!dir) {
			st_sql_text(&sql, " AND (o.id_path = ?", q->id_path_prefix);
			st_sql_text(&sql, " OR o.id_path >= ?)", slash);
		}
	}
	st_sql_add(&sql, " ORDER BY o.id_path, o.id");
	inv_limit(&sql, q->limit, q->offset, !glob);
	arr = json_array();
	if (!arr) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	rc = st_sql_prepare(st, &s, &sql);
	while (rc == 0 && !stop && (rc = db_step(s)) == DB_ROW) {
		json_t *doc;

		rc = 0;
		if (glob && !cal_glob_match(q->name, db_col_text(s, 0)))
			continue;
		if (!inv_window_keep(&w, &stop))
			continue;
		rc = inv_doc(st, &doc, db_col_text(s, 1), merge ? db_col_text(s, 2) : NULL);
		if (rc == 0 && json_array_append_new(arr, doc))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	db_reset(s);
out:
	st_sql_fini(&sql);
	free(hi);
	free(slash);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
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
	bool merge, glob, stop = false;
	struct inv_window w;
	struct st_sql sql;
	json_t *arr = NULL;
	db_stmt *s = NULL;
	int rc;

	*out = NULL;
	rc = inv_check_query(q);
	if (rc)
		return rc;
	merge = q->with_volatile && q->at <= 0;
	glob = q->name && *q->name; /* matched against link_name */
	w.skip = (glob || q->limit <= 0) ? q->offset : 0;
	w.take = glob && q->limit > 0 ? q->limit : -1;
	st_sql_init(&sql);
	st_sql_add(&sql, merge ? "SELECT l.doc, s.doc FROM links l LEFT JOIN link_state s "
			       "ON s.env = l.env AND s.id = l.id"
			       : "SELECT l.doc, NULL FROM links l");
	st_sql_text(&sql, " WHERE l.env = ?", q->env);
	inv_valid(&sql, "l", q->at);
	inv_eq(&sql, "l.id", q->id);
	inv_eq(&sql, "l.link_type", q->type);
	inv_eq(&sql, "l.host", q->host);
	if (object_id) {
		st_sql_text(&sql, " AND (l.source_id = ?", object_id);
		st_sql_text(&sql, " OR l.target_id = ?)", object_id);
	}
	st_sql_add(&sql, " ORDER BY l.id");
	inv_limit(&sql, q->limit, q->offset, !glob);
	arr = json_array();
	if (!arr) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	rc = st_sql_prepare(st, &s, &sql);
	while (rc == 0 && !stop && (rc = db_step(s)) == DB_ROW) {
		json_t *doc;

		rc = inv_doc(st, &doc, db_col_text(s, 0), merge ? db_col_text(s, 1) : NULL);
		if (rc)
			break;
		if ((glob && !cal_glob_match(q->name, cal_json_str(doc, CAL_F_LINK_NAME))) ||
		    !inv_window_keep(&w, &stop)) {
			json_decref(doc);
			continue;
		}
		if (json_array_append_new(arr, doc))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	db_reset(s);
out:
	st_sql_fini(&sql);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
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
	json_t *map = json_object(), *p;
	db_stmt *s;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!map)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (!env || !*env || (pairs && !json_is_array(pairs))) {
		json_decref(map);
		return cal_error_set(CAL_EINVALID, "objects of sources: need an environment and "
				     "an array of {\"host\", \"source\"}");
	}
	/* One query per (host, source) pair, served by objects_live_host. */
	json_array_foreach(pairs, i, p) {
		rc = db_prepare(st->db, &s,
				"SELECT o.id, o.doc, s.doc FROM objects o LEFT JOIN object_state s "
				"ON s.env = o.env AND s.id = o.id WHERE o.env = ? AND "
				"o.valid_to IS NULL AND o.host = ? AND o.source = ?");
		if (rc)
			break;
		rc = db_bind_text(s, 1, env);
		if (rc == 0)
			rc = db_bind_text(s, 2, cal_json_str(p, "host"));
		if (rc == 0)
			rc = db_bind_text(s, 3, cal_json_str(p, "source"));
		while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
			json_t *doc;

			rc = inv_doc(st, &doc, db_col_text(s, 1), db_col_text(s, 2));
			if (rc == 0 && json_object_set_new(map, db_col_text(s, 0), doc))
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
		}
		db_reset(s);
		if (rc < 0)
			break;
		rc = 0;
	}
	if (rc < 0) {
		json_decref(map);
		return rc;
	}
	*out = map;
	return 0;
}
