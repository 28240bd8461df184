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
	rc = st_insert_returning(st, out_id, "INSERT INTO reports (env, kind, format, title, "
				 "created, args, size, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
				 "RETURNING id", "ttttitit", r->env, r->kind, r->format,
				 r->title ? r->title : "", cal_time_now_us(), args,
				 (int64_t)r->length, r->content);
	free(args);
	return rc;
}

/* Where a report's content goes (rep_row()'s `arg`, NULL for none). */
struct rep_content {
	char **content;
	size_t *length;
};

static int rep_row(cal_store *st, json_t **out, db_stmt *s, void *arg)
{
	struct rep_content *c = arg;
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
	if (!*out)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (c) {
		const char *text = db_col_text(s, 8);

		*c->content = strdup(text ? text : "");
		if (!*c->content) {
			json_decref(*out);
			*out = NULL;
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
		if (c->length)
			*c->length = strlen(*c->content);
	}
	return 0;
}

#define REP_COLUMNS "id, env, kind, format, title, created, args, size"

int cal_store_report_get(cal_store *st, json_t **out, char **content, size_t *length, int64_t id)
{
	struct rep_content c = { content, length };
	int rc;

	*out = NULL;
	if (content)
		*content = NULL;
	if (length)
		*length = 0;
	if (content)
		rc = st_query_row(st, out, rep_row, &c, "SELECT " REP_COLUMNS ", content FROM "
				  "reports WHERE id = ?", "i", id);
	else
		rc = st_query_row(st, out, rep_row, NULL, "SELECT " REP_COLUMNS " FROM reports "
				  "WHERE id = ?", "i", id);
	if (rc == CAL_ENOTFOUND)
		rc = cal_error_set(CAL_ENOTFOUND, "no report %lld (`calipso report list` shows "
				   "them)", (long long)id);
	return rc;
}

int cal_store_report_list(cal_store *st, json_t **out, const char *env)
{
	if (env)
		return st_query_rows(st, out, rep_row, NULL, "SELECT " REP_COLUMNS " FROM reports "
				     "WHERE env = ? ORDER BY id DESC", "t", env);
	return st_query_rows(st, out, rep_row, NULL, "SELECT " REP_COLUMNS " FROM reports ORDER "
			     "BY id DESC", "");
}

int cal_store_report_remove(cal_store *st, int64_t id)
{
	int64_t n;
	int rc;

	rc = st_exec(st, &n, "DELETE FROM reports WHERE id = ?", "i", id);
	if (rc == 0 && n == 0)
		rc = cal_error_set(CAL_ENOTFOUND, "no report %lld", (long long)id);
	return rc;
}
