/* store_diff.c - what changed in an environment between two times, read
 * from the revisions that began or ended in between.
 *
 * For t1 < t2, an id whose revision differs between t1 and t2 has a
 * revision that ended in (t1, t2] or one that began in (t1, t2]:
 *   before: valid_to in (t1, t2] and valid_from <= t1  (objects_to index)
 *   after:  valid_from in (t1, t2] and valid_to NULL or > t2
 *                                                       (objects_from index)
 * Revisions that began and ended inside (t1, t2] are neither and are never
 * read; ids valid across the whole interval are never read either.  So a
 * diff costs what changed, not the size of the inventory.  An id present
 * on both sides with the same canonical hash (changed, then changed back)
 * is dropped.  Live is t2 = INT64_MAX: "valid_to > t2" is then only NULL.
 *
 * Trust: stored documents are parsed with errors naming the database.
 */
#include "store/store_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cal_store_newest_time(cal_store *st, int64_t *out, const char *env)
{
	static const char *const sql[] = {
		"SELECT MAX(valid_from) FROM objects WHERE env = ?",
		"SELECT MAX(valid_to) FROM objects WHERE env = ? AND valid_to IS NOT NULL",
		"SELECT MAX(valid_from) FROM links WHERE env = ?",
		"SELECT MAX(valid_to) FROM links WHERE env = ? AND valid_to IS NOT NULL",
	};
	int64_t v;
	int rc;

	*out = 0;
	if (!env || !*env)
		return cal_error_set(CAL_EINVALID, "newest time needs an environment");
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		rc = db_query_int64(st->db, &v, NULL, sql[i], 1, (const char *const[]){ env });
		if (rc)
			return rc;
		if (v > *out)
			*out = v;
	}
	return 0;
}

/* One side's rows into map: id -> {"before"|"after": doc, "h": hash}. */
static int df_side(cal_store *st, json_t *map, const char *sql, const char *env, int64_t a,
		   int64_t b, int64_t c, const char *side)
{
	db_stmt *s;
	int rc;

	rc = cal_store_sql_prepare_fmt(st, &s, sql, "tiii", env, a, b, c);
	if (rc)
		return rc;
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		const char *id = db_col_text(s, 0), *hash = db_col_text(s, 1);
		json_t *e = json_object_get(map, id), *doc;

		rc = 0;
		if (e && strcmp(side, "after") == 0 &&
		    strcmp(cal_json_str(e, "h"), hash ? hash : "") == 0) {
			/* Changed and changed back: the same revision content. */
			json_object_del(map, id);
			continue;
		}
		rc = st_json_load(st, &doc, db_col_text(s, 2), "document");
		if (rc)
			break;
		if (!e) {
			e = json_pack("{s:s}", "h", hash ? hash : "");
			if (!e || json_object_set_new(map, id, e)) {
				json_decref(doc);
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
				break;
			}
		}
		if (json_object_set_new(e, side, doc))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	db_reset(s);
	return rc < 0 ? rc : 0;
}

/* Both sides of one table, then "before"/"after" completed with nulls. */
static int df_table(cal_store *st, json_t **out, const char *table, const char *env,
		    int64_t t1, int64_t t2)
{
	char before_sql[256], after_sql[256];
	json_t *map = json_object(), *e;
	const char *id;
	int rc;

	*out = NULL;
	if (!map)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	snprintf(before_sql, sizeof(before_sql),
		 "SELECT id, hash, doc FROM %s WHERE env = ? AND valid_to > ? AND valid_to <= ? "
		 "AND valid_from <= ?", table);
	snprintf(after_sql, sizeof(after_sql),
		 "SELECT id, hash, doc FROM %s WHERE env = ? AND valid_from > ? AND "
		 "valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)", table);
	rc = df_side(st, map, before_sql, env, t1, t2, t1, "before");
	if (rc == 0)
		rc = df_side(st, map, after_sql, env, t1, t2, t2, "after");
	if (rc) {
		json_decref(map);
		return rc;
	}
	json_object_foreach(map, id, e) {
		json_object_del(e, "h");
		if (!json_object_get(e, "before"))
			rc = json_object_set_new(e, "before", json_null());
		if (rc == 0 && !json_object_get(e, "after"))
			rc = json_object_set_new(e, "after", json_null());
		if (rc) {
			json_decref(map);
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
	}
	*out = map;
	return 0;
}

int cal_store_changes(cal_store *st, json_t **out, const char *env, int64_t t1, int64_t t2)
{
	json_t *objects = NULL, *links = NULL;
	int rc;

	*out = NULL;
	if (!env || !*env)
		return cal_error_set(CAL_EINVALID, "changes need an environment");
	if (t2 <= 0)
		t2 = INT64_MAX;
	if (t1 <= 0 || t1 > t2)
		return cal_error_set(CAL_EINVALID, "changes between %lld and %lld: the first time "
				     "must be a time before the second", (long long)t1,
				     (long long)t2);
	rc = df_table(st, &objects, "objects", env, t1, t2);
	if (rc == 0)
		rc = df_table(st, &links, "links", env, t1, t2);
	if (rc == 0) {
		*out = json_pack("{s:o, s:o}", "objects", objects, "links", links);
		objects = links = NULL;
		if (!*out)
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	json_decref(objects);
	json_decref(links);
	return rc;
}
