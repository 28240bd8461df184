/* store_sections.c - the last good report section of every (host,
 * source), so that a source that fails keeps its data (pipeline.h).
 *
 * One row per (env, host, source), replaced on every successful answer,
 * all of a scan's in one transaction.  Read only for the sources that
 * failed, in one query.
 */
#include "store/store_int.h"

#include <stdlib.h>

int cal_store_sections_get(cal_store *st, json_t **out, const char *env, const json_t *pairs)
{
	json_t *all = json_object();
	struct st_sql q;
	db_stmt *s = NULL;
	size_t i;
	json_t *p;
	int rc = 0;

	*out = NULL;
	if (!all)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (json_array_size(pairs) == 0) {
		*out = all;
		return 0;
	}
	/* Only the sources that did not answer: a few rows, never every
	 * host's sections. */
	st_sql_init(&q);
	st_sql_text(&q, "SELECT host, source, ts, doc FROM source_sections WHERE env = ? AND (",
		    env);
	json_array_foreach(pairs, i, p) {
		if (i >= (ST_MAX_PARAMS - 1) / 2)
			break;
		st_sql_text(&q, i ? " OR (host = ?" : "(host = ?", cal_json_str(p, "host"));
		st_sql_text(&q, " AND source = ?)", cal_json_str(p, "source"));
	}
	st_sql_add(&q, ")");
	rc = st_sql_prepare(st, &s, &q);
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		const char *host = db_col_text(s, 0);
		json_t *per_host = json_object_get(all, host);
		json_t *doc = NULL;

		rc = st_json_load(st, &doc, db_col_text(s, 3), "report section");
		if (rc)
			break;
		if (!per_host) {
			per_host = json_object();
			json_object_set_new(all, host, per_host);
		}
		json_object_set_new(per_host, db_col_text(s, 1),
				    json_pack("{s:I, s:o}", "ts", (json_int_t)db_col_int64(s, 2),
					      "doc", doc));
	}
	db_reset(s);
	st_sql_fini(&q);
	if (rc < 0) {
		json_decref(all);
		return rc;
	}
	/* More failed sources than one statement binds: the rest in turns. */
	if (json_array_size(pairs) > (ST_MAX_PARAMS - 1) / 2) {
		json_t *rest = json_array(), *more = NULL;
		const char *h;
		json_t *v;

		for (i = (ST_MAX_PARAMS - 1) / 2; i < json_array_size(pairs); i++)
			json_array_append(rest, json_array_get(pairs, i));
		rc = cal_store_sections_get(st, &more, env, rest);
		json_decref(rest);
		if (rc) {
			json_decref(all);
			return rc;
		}
		json_object_foreach(more, h, v) {
			json_t *per_host = json_object_get(all, h);

			if (per_host)
				json_object_update(per_host, v);
			else
				json_object_set(all, h, v);
		}
		json_decref(more);
	}
	*out = all;
	return 0;
}

/* One section's row; the statement is the caller's, prepared once. */
static int sec_put_one(db_stmt *s, const char *env, const json_t *e)
{
	/* Stored to be read back, never compared: no need for sorted keys. */
	char *text = json_dumps(json_object_get(e, "doc"), JSON_COMPACT);
	int rc;

	if (!text)
		return cal_error_set(CAL_ENOMEM, "cannot serialise the %s section of host '%s'",
				     cal_json_str(e, "source"), cal_json_str(e, "host"));
	rc = db_bind_text(s, 1, env);
	if (rc == 0)
		rc = db_bind_text(s, 2, cal_json_str(e, "host"));
	if (rc == 0)
		rc = db_bind_text(s, 3, cal_json_str(e, "source"));
	if (rc == 0)
		rc = db_bind_int64(s, 4, cal_json_int(e, "ts", 0));
	if (rc == 0)
		rc = db_bind_text(s, 5, text);
	if (rc == 0)
		rc = db_step(s);
	free(text);
	return rc < 0 ? rc : 0;
}

int cal_store_sections_put(cal_store *st, const char *env, const json_t *sections)
{
	db_stmt *s = NULL;
	size_t i;
	json_t *e;
	int rc;

	if (json_array_size(sections) == 0)
		return 0;
	rc = db_begin(st->db);
	if (rc)
		return rc;
	json_array_foreach(sections, i, e) {
		rc = db_prepare(st->db, &s,
				"INSERT INTO source_sections (env, host, source, ts, doc) "
				"VALUES (?, ?, ?, ?, ?) ON CONFLICT (env, host, source) "
				"DO UPDATE SET ts = excluded.ts, doc = excluded.doc");
		if (rc == 0)
			rc = sec_put_one(s, env, e);
		db_reset(s);
		if (rc)
			break;
	}
	if (rc == 0)
		return db_commit(st->db);
	db_rollback(st->db);
	return rc;
}
