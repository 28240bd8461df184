/* store_conntests.c - connection tests (the original API's
 * /connection_tests): a request to try each configured target of an
 * environment (namespaces, OVSDB remotes, libvirt URIs), its status
 * (pending, running, completed) and its results, kept for later reading.
 *
 * Trust: requests and results are built by the server.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

const char st_ddl_conntests[] =
	"CREATE TABLE connection_tests ("
	"  id {ID},"
	"  env {KEY} NOT NULL,"
	"  status TEXT NOT NULL,"
	"  request TEXT NOT NULL,"
	"  result TEXT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  finished BIGINT);"
	"CREATE INDEX connection_tests_env ON connection_tests (env, id);";

int cal_store_conntest_create(cal_store *st, int64_t *out_id, const char *env,
			      const json_t *request)
{
	char *text;
	int rc;

	*out_id = 0;
	if (!env || !*env || !json_is_object(request))
		return cal_error_set(CAL_EINVALID, "a connection test needs an environment and "
				     "a request object");
	text = st_json_dump(request);
	if (!text)
		return CAL_ENOMEM;
	rc = st_insert_returning(st, out_id,
			  "INSERT INTO connection_tests (env, status, request, result, created, "
			  "finished) VALUES (?, 'pending', ?, '{}', ?, NULL) RETURNING id",
			  "tti", env, text, cal_time_now_us());
	free(text);
	return rc;
}

int cal_store_conntest_finish(cal_store *st, int64_t id, const char *status, const json_t *result)
{
	int64_t n = 0;
	char *text;
	int rc;

	if (!status || !json_is_object(result))
		return cal_error_set(CAL_EINVALID, "a connection test result needs a status and "
				     "an object");
	text = st_json_dump(result);
	if (!text)
		return CAL_ENOMEM;
	rc = st_exec(st, &n, "UPDATE connection_tests SET status = ?, result = ?, finished = ? "
			    "WHERE id = ?", "ttii", status, text, cal_time_now_us(), id);
	free(text);
	if (rc == 0 && n == 0)
		rc = cal_error_set(CAL_ENOTFOUND, "connection test %lld not found", (long long)id);
	return rc;
}

static int ct_row(cal_store *st, json_t **out, db_stmt *s, void *arg)
{
	json_t *req = NULL, *res = NULL;
	int rc = st_json_load(st, &req, db_col_text(s, 3), "connection test request");

	(void)arg;

	if (rc == 0)
		rc = st_json_load(st, &res, db_col_text(s, 4), "connection test result");
	if (rc) {
		json_decref(req);
		return rc;
	}
	*out = json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o}", "id",
			 (json_int_t)db_col_int64(s, 0), "environment", db_col_text(s, 1), "status",
			 db_col_text(s, 2), "request", req, "result", res, "submit_timestamp",
			 st_json_time(db_col_int64(s, 5), true), "response_timestamp",
			 st_json_time(db_col_int64(s, 6), !db_col_is_null(s, 6)));
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

int cal_store_conntests(cal_store *st, json_t **out, const char *env, int64_t id,
			const char *status, int limit, int offset)
{
	struct st_sql sql;
	int rc;

	st_sql_init(&sql);
	st_sql_add(&sql, "SELECT id, env, status, request, result, created, finished "
			 "FROM connection_tests WHERE 1 = 1");
	if (env)
		st_sql_text(&sql, " AND env = ?", env);
	if (id > 0)
		st_sql_int(&sql, " AND id = ?", id);
	if (status)
		st_sql_text(&sql, " AND status = ?", status);
	st_sql_add(&sql, " ORDER BY id DESC");
	st_sql_int(&sql, " LIMIT ?", limit > 0 ? limit : 1000);
	st_sql_int(&sql, " OFFSET ?", offset > 0 ? offset : 0);
	rc = st_sql_rows(st, out, &sql, ct_row, NULL);
	st_sql_fini(&sql);
	return rc;
}
