/* store_reports.c - generated reports (HTML, JSON, CSV) kept with what
 * they were generated from, so that the fortnightly report sent to a
 * customer can be listed and sent again.
 *
 * Contents are text (every format Calipso writes is UTF-8 text); the list
 * never reads them.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* Migration "reports" (store_schema.c). */
const char st_ddl_reports[] =
	"CREATE TABLE reports ("
	"  id {ID},"
	"  env {KEY} NOT NULL,"
	"  kind {KEY} NOT NULL,"
	"  format {KEY} NOT NULL,"
	"  title TEXT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  args TEXT NOT NULL,"
	"  size BIGINT NOT NULL,"
	"  content TEXT NOT NULL);"
	"CREATE INDEX reports_env ON reports (env, id);";

int cal_store_report_put(cal_store *st, int64_t *out_id, const struct cal_report_record *r)
{
	char *args = NULL;
	db_stmt *s;
	int rc;

	*out_id = 0;
	if (!r || !r->env || !*r->env || !r->kind || !r->format || !r->content)
		return cal_error_set(CAL_EINVALID, "report without an environment, kind, format or "
				     "content");
	if (strlen(r->content) != r->length)
		return cal_error_set(CAL_EINVALID, "report content holds a NUL byte");
	args = r->args ? st_json_dump(r->args) : strdup("{}");
	if (!args)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = db_prepare(st->db, &s, "INSERT INTO reports (env, kind, format, title, created, args, "
			"size, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (rc)
		goto out;
	rc = db_bind_text(s, 1, r->env);
	if (rc == 0)
		rc = db_bind_text(s, 2, r->kind);
	if (rc == 0)
		rc = db_bind_text(s, 3, r->format);
	if (rc == 0)
		rc = db_bind_text(s, 4, r->title ? r->title : "");
	if (rc == 0)
		rc = db_bind_int64(s, 5, cal_time_now_us());
	if (rc == 0)
		rc = db_bind_text(s, 6, args);
	if (rc == 0)
		rc = db_bind_int64(s, 7, (int64_t)r->length);
	if (rc == 0)
		rc = db_bind_text(s, 8, r->content);
	if (rc == 0)
		rc = db_step(s);
	if (rc == DB_ROW) {
		*out_id = db_col_int64(s, 0);
		while ((rc = db_step(s)) == DB_ROW)
			;
	} else if (rc == DB_DONE) {
		rc = cal_error_set(CAL_EIO, "database '%s': no id for the new report",
				   db_name(st->db));
	}
	db_reset(s);
out:
	free(args);
	return rc < 0 ? rc : 0;
}

static int rep_row(cal_store *st, json_t **out, db_stmt *s)
{
	json_t *args = NULL;
	int rc;

	*out = NULL;
	rc = st_json_load(st, &args, db_col_text(s, 6), "report arguments");
	if (rc)
		return rc;
	*out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:I}",
			 "id", (json_int_t)db_col_int64(s, 0), "environment", db_col_text(s, 1),
			 "kind", db_col_text(s, 2), "format", db_col_text(s, 3),
			 "title", db_col_text(s, 4),
			 "created", st_json_time(db_col_int64(s, 5), true), "args", args,
			 "size", (json_int_t)db_col_int64(s, 7));
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

int cal_store_report_get(cal_store *st, json_t **out, char **content, size_t *length, int64_t id)
{
	db_stmt *s;
	int rc;

	*out = NULL;
	if (content)
		*content = NULL;
	if (length)
		*length = 0;
	rc = db_prepare(st->db, &s, content ? "SELECT id, env, kind, format, title, created, args, "
				    "size, content FROM reports WHERE id = ?"
				  : "SELECT id, env, kind, format, title, created, args, size, NULL "
				    "FROM reports WHERE id = ?");
	if (rc)
		return rc;
	rc = db_bind_int64(s, 1, id);
	if (rc == 0)
		rc = db_step(s);
	if (rc == DB_ROW) {
		rc = rep_row(st, out, s);
		if (rc == 0 && content) {
			const char *text = db_col_text(s, 8);

			*content = strdup(text ? text : "");
			if (!*content) {
				json_decref(*out);
				*out = NULL;
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
			} else if (length) {
				*length = strlen(*content);
			}
		}
	} else if (rc == DB_DONE) {
		rc = cal_error_set(CAL_ENOTFOUND, "no report %lld (`calipso report list` shows "
				   "them)", (long long)id);
	}
	db_reset(s);
	return rc;
}

int cal_store_report_list(cal_store *st, json_t **out, const char *env)
{
	json_t *arr = json_array();
	db_stmt *s;
	int rc;

	*out = NULL;
	if (!arr)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = db_prepare(st->db, &s, env ? "SELECT id, env, kind, format, title, created, args, "
				    "size FROM reports WHERE env = ? ORDER BY id DESC"
				  : "SELECT id, env, kind, format, title, created, args, size FROM "
				    "reports ORDER BY id DESC");
	if (rc == 0 && env)
		rc = db_bind_text(s, 1, env);
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		json_t *r;

		rc = rep_row(st, &r, s);
		if (rc == 0 && json_array_append_new(arr, r))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	db_reset(s);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

int cal_store_report_remove(cal_store *st, int64_t id)
{
	int64_t n;
	int rc;

	rc = st_run(st, &n, "DELETE FROM reports WHERE id = ?", "i", id);
	if (rc == 0 && n == 0)
		rc = cal_error_set(CAL_ENOTFOUND, "no report %lld", (long long)id);
	return rc;
}
