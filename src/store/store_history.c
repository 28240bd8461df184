/* store_history.c - every revision of one object or link, oldest first,
 * served by the (env, id, valid_from) primary keys.
 *
 * Object ids and link ids never collide (link ids are
 * "<source>|<type>|<target>"), so an id is looked up among objects first,
 * then among links.
 */
#include "store/store_int.h"

#include <string.h>

/* One revision: {"valid_from", "valid_to", "hash", "doc"}. */
static int hist_row(cal_store *st, json_t **out, db_stmt *s, void *arg)
{
	json_t *doc;
	int rc;

	(void)arg;
	rc = st_json_load(st, &doc, db_col_text(s, 3), "document");
	if (rc)
		return rc;
	*out = json_pack("{s:o, s:o, s:s, s:o}", "valid_from",
			 st_json_time(db_col_int64(s, 0), true), "valid_to",
			 st_json_time(db_col_int64(s, 1), !db_col_is_null(s, 1)), "hash",
			 db_col_text(s, 2), "doc", doc);
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

int cal_store_history(cal_store *st, json_t **out, const char *env, const char *id)
{
	json_t *arr = NULL;
	int rc;

	*out = NULL;
	if (!env || !*env || !id || !*id)
		return cal_error_set(CAL_EINVALID, "history needs an environment and an id");
	rc = st_query_rows(st, &arr, hist_row, NULL, "SELECT valid_from, valid_to, hash, doc FROM "
			   "objects WHERE env = ? AND id = ? ORDER BY valid_from", "tt", env, id);
	if (rc == 0 && json_array_size(arr) == 0) {
		json_decref(arr);
		rc = st_query_rows(st, &arr, hist_row, NULL, "SELECT valid_from, valid_to, hash, "
				   "doc FROM links WHERE env = ? AND id = ? ORDER BY valid_from",
				   "tt", env, id);
	}
	if (rc == 0 && json_array_size(arr) == 0)
		rc = cal_error_set(CAL_ENOTFOUND, "no object or link '%s' in environment '%s'", id,
				   env);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}
