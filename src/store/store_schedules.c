/* store_schedules.c - scheduled work (src/server/scheduler.c): scans now,
 * snapshots when they exist; `kind` says which.
 *
 * A schedule has an environment, a 5-field cron expression in a time zone
 * (`freq` HOURLY...YEARLY is kept as given and stored with its equivalent
 * expression), the request to run (scan options), whether it is enabled,
 * and its run times: last_run, next_run (computed by the server when the
 * schedule is written and after each run), last_scan_id and a run count.
 *
 * Runs are claimed with a compare-and-set on next_run, so that two servers
 * sharing a database never both run the same occurrence.
 *
 * Trust: the server validates expressions and zones before they get here;
 * the store requires the fields it indexes.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

const char st_ddl_schedules[] =
	"CREATE TABLE schedules ("
	"  id {ID},"
	"  env {KEY} NOT NULL,"
	"  kind {KEY} NOT NULL,"
	"  freq TEXT,"
	"  cron TEXT NOT NULL,"
	"  timezone TEXT NOT NULL,"
	"  request TEXT NOT NULL,"
	"  enabled BIGINT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  updated BIGINT NOT NULL,"
	"  last_run BIGINT,"
	"  next_run BIGINT,"
	"  last_scan_id BIGINT,"
	"  runs BIGINT NOT NULL);"
	"CREATE INDEX schedules_env ON schedules (env, id);"
	"CREATE INDEX schedules_next ON schedules (next_run);";

#define SCHED_COLUMNS                                                                  \
	"id, env, kind, freq, cron, timezone, request, enabled, created, updated, last_run, " \
	"next_run, last_scan_id, runs"

static int sched_row(cal_store *st, json_t **out, db_stmt *s, void *arg)
{
	json_t *request = NULL;
	int rc = st_json_load(st, &request, db_col_text(s, 6), "schedule request");

	(void)arg;

	*out = NULL;
	if (rc)
		return rc;
	*out = json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:o, s:b, s:o, s:o, s:o, s:o, s:I, s:o, "
			 "s:I}",
			 "id", (json_int_t)db_col_int64(s, 0), "environment", db_col_text(s, 1),
			 "kind", db_col_text(s, 2), "freq",
			 db_col_is_null(s, 3) ? json_null() : json_string(db_col_text(s, 3)),
			 "cron", db_col_text(s, 4), "timezone", db_col_text(s, 5), "request",
			 request, "enabled", db_col_int64(s, 7) != 0, "created",
			 st_json_time(db_col_int64(s, 8), true), "updated",
			 st_json_time(db_col_int64(s, 9), true), "last_run",
			 st_json_time(db_col_int64(s, 10), !db_col_is_null(s, 10)), "next_run",
			 st_json_time(db_col_int64(s, 11), !db_col_is_null(s, 11)), "next_run_us",
			 (json_int_t)(db_col_is_null(s, 11) ? 0 : db_col_int64(s, 11)),
			 "last_scan_id",
			 db_col_is_null(s, 12) ? json_null() : json_integer(db_col_int64(s, 12)),
			 "runs", (json_int_t)db_col_int64(s, 13));
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

static int sched_check(const json_t *sc, bool need_env)
{
	if (!json_is_object(sc))
		return cal_error_set(CAL_EINVALID, "a schedule must be a JSON object");
	if (need_env && (!*cal_json_str(sc, "environment") || !*cal_json_str(sc, "kind")))
		return cal_error_set(CAL_EINVALID, "a schedule needs an environment and a kind");
	if (!*cal_json_str(sc, "cron") || !*cal_json_str(sc, "timezone"))
		return cal_error_set(CAL_EINVALID, "a schedule needs a cron expression and a "
				     "time zone");
	if (json_object_get(sc, "request") && !json_is_object(json_object_get(sc, "request")))
		return cal_error_set(CAL_EINVALID, "a schedule's request must be a JSON object");
	return 0;
}

static int64_t sched_next(const json_t *sc)
{
	json_int_t v = cal_json_int(sc, "next_run_us", 0);

	return v > 0 ? (int64_t)v : -1;
}

static bool sched_enabled(const json_t *sc)
{
	json_t *e = json_object_get(sc, "enabled");

	return !e || json_is_true(e);
}

/* Checks a schedule to create or update; *out: its request as stored text
 * ("{}" without one). */
static int sched_request(char **out, const json_t *sc, bool create)
{
	const json_t *req = json_object_get(sc, "request");
	int rc;

	*out = NULL;
	rc = sched_check(sc, create);
	if (rc)
		return rc;
	*out = req ? st_json_dump(req) : strdup("{}");
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

int cal_store_schedule_create(cal_store *st, int64_t *out_id, const json_t *sc)
{
	int64_t now = cal_time_now_us();
	char *req;
	int rc;

	*out_id = 0;
	rc = sched_request(&req, sc, true);
	if (rc)
		return rc;
	rc = st_insert_returning(st, out_id,
			  "INSERT INTO schedules (env, kind, freq, cron, timezone, request, enabled, "
			  "created, updated, last_run, next_run, last_scan_id, runs) "
			  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, 0) RETURNING id",
			  "ttttttiiiI", cal_json_str(sc, "environment"), cal_json_str(sc, "kind"),
			  cal_json_str_or_null(sc, "freq"), cal_json_str(sc, "cron"),
			  cal_json_str(sc, "timezone"), req, (int64_t)sched_enabled(sc), now, now,
			  sched_next(sc));
	free(req);
	return rc;
}

int cal_store_schedule_update(cal_store *st, int64_t id, const json_t *sc)
{
	int64_t n = 0;
	char *req;
	int rc;

	rc = sched_request(&req, sc, false);
	if (rc)
		return rc;
	rc = st_exec(st, &n,
		    "UPDATE schedules SET freq = ?, cron = ?, timezone = ?, request = ?, "
		    "enabled = ?, updated = ?, next_run = ? WHERE id = ?",
		    "ttttiiIi", cal_json_str_or_null(sc, "freq"), cal_json_str(sc, "cron"),
		    cal_json_str(sc, "timezone"), req, (int64_t)sched_enabled(sc),
		    cal_time_now_us(), sched_next(sc), id);
	free(req);
	if (rc == 0 && n == 0)
		rc = cal_error_set(CAL_ENOTFOUND, "schedule %lld not found", (long long)id);
	return rc;
}

int cal_store_schedule_get(cal_store *st, json_t **out, int64_t id)
{
	int rc = st_query_row(st, out, sched_row, NULL, "SELECT " SCHED_COLUMNS " FROM schedules "
			      "WHERE id = ?", "i", id);

	if (rc == CAL_ENOTFOUND)
		rc = cal_error_set(CAL_ENOTFOUND, "schedule %lld not found", (long long)id);
	return rc;
}

int cal_store_schedule_list(cal_store *st, json_t **out, const struct cal_schedule_query *q)
{
	struct st_sql sql;
	int rc;

	st_sql_init(&sql);
	st_sql_add(&sql, "SELECT " SCHED_COLUMNS " FROM schedules WHERE 1 = 1");
	if (q->env)
		st_sql_text(&sql, " AND env = ?", q->env);
	if (q->kind)
		st_sql_text(&sql, " AND kind = ?", q->kind);
	if (q->freq)
		st_sql_text(&sql, " AND freq = ?", q->freq);
	st_sql_add(&sql, " ORDER BY id");
	st_sql_int(&sql, " LIMIT ?", q->limit > 0 ? q->limit : 1000);
	st_sql_int(&sql, " OFFSET ?", q->offset > 0 ? q->offset : 0);
	rc = st_sql_rows(st, out, &sql, sched_row, NULL);
	st_sql_fini(&sql);
	return rc;
}

int cal_store_schedule_remove(cal_store *st, int64_t id)
{
	int64_t n = 0;
	int rc = st_exec(st, &n, "DELETE FROM schedules WHERE id = ?", "i", id);

	if (rc == 0 && n == 0)
		rc = cal_error_set(CAL_ENOTFOUND, "schedule %lld not found", (long long)id);
	return rc;
}

int cal_store_schedule_due(cal_store *st, json_t **out, int64_t now)
{
	struct st_sql sql;
	int rc;

	st_sql_init(&sql);
	st_sql_add(&sql, "SELECT " SCHED_COLUMNS " FROM schedules WHERE enabled = 1 AND "
			 "next_run IS NOT NULL");
	st_sql_int(&sql, " AND next_run <= ? ORDER BY next_run, id", now);
	rc = st_sql_rows(st, out, &sql, sched_row, NULL);
	st_sql_fini(&sql);
	return rc;
}

int cal_store_schedule_claim(cal_store *st, bool *out_claimed, int64_t id, int64_t expected_next,
			     int64_t ran_at, int64_t next_run)
{
	int64_t n = 0;
	int rc = st_exec(st, &n,
			"UPDATE schedules SET last_run = ?, next_run = ?, runs = runs + 1 "
			"WHERE id = ? AND next_run = ?",
			"iIii", ran_at, next_run, id, expected_next);

	*out_claimed = rc == 0 && n == 1;
	return rc;
}

int cal_store_schedule_set_scan(cal_store *st, int64_t id, int64_t scan_id)
{
	return st_exec(st, NULL, "UPDATE schedules SET last_scan_id = ? WHERE id = ?", "ii",
		      scan_id, id);
}
