/* store_sections.c - the last good report section of every (host,
 * source), so that a source that fails keeps its data (pipeline.h).
 *
 * One row per (env, host, source), replaced on every successful answer.
 * Read for a whole environment in one query.
 */
#include "store/store_int.h"

#include <stdlib.h>

int cal_store_sections_get(cal_store *st, json_t **out, const char *env)
{
	json_t *all = json_object();
	db_stmt *s = NULL;
	int rc;

	*out = NULL;
	if (!all)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = db_prepare(st->db, &s,
			"SELECT host, source, ts, doc FROM source_sections WHERE env = ?");
	if (rc == 0)
		rc = db_bind_text(s, 1, env);
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
	if (rc < 0) {
		json_decref(all);
		return rc;
	}
	*out = all;
	return 0;
}

int cal_store_sections_put(cal_store *st, const char *env, const char *host, const char *source,
			   int64_t ts, const json_t *doc)
{
	char *text = st_json_dump(doc);
	db_stmt *s = NULL;
	int rc;

	if (!text)
		return CAL_ENOMEM;
	rc = db_prepare(st->db, &s,
			"INSERT INTO source_sections (env, host, source, ts, doc) "
			"VALUES (?, ?, ?, ?, ?) ON CONFLICT (env, host, source) "
			"DO UPDATE SET ts = excluded.ts, doc = excluded.doc");
	if (rc == 0)
		rc = db_bind_text(s, 1, env);
	if (rc == 0)
		rc = db_bind_text(s, 2, host);
	if (rc == 0)
		rc = db_bind_text(s, 3, source);
	if (rc == 0)
		rc = db_bind_int64(s, 4, ts);
	if (rc == 0)
		rc = db_bind_text(s, 5, text);
	if (rc == 0)
		rc = db_step(s);
	db_reset(s);
	free(text);
	return rc < 0 ? rc : 0;
}
