/* store_scans.c - scan records: a request, a status that moves from
 * pending to running to a final state, times, and a result object that
 * grows as the scan reports (sources, counts, error).
 *
 * Status names are the ones operators and the original API know:
 * pending running completed completed_with_errors failed aborted.
 * Updates read, merge and write the result in one transaction, so that two
 * writers never lose each other's keys.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const scan_status_names[] = {
	[CAL_SCAN_PENDING] = "pending",
	[CAL_SCAN_RUNNING] = "running",
	[CAL_SCAN_COMPLETED] = "completed",
	[CAL_SCAN_COMPLETED_WITH_ERRORS] = "completed_with_errors",
	[CAL_SCAN_FAILED] = "failed",
	[CAL_SCAN_ABORTED] = "aborted",
};

#define SCAN_NSTATUS ((int)(sizeof(scan_status_names) / sizeof(scan_status_names[0])))

const char *cal_scan_status_name(enum cal_scan_status s)
{
	if ((int)s < 0 || (int)s >= SCAN_NSTATUS)
		return "unknown";
	return scan_status_names[s];
}

int cal_scan_status_from_name(const char *name)
{
	for (int i = 0; name && i < SCAN_NSTATUS; i++)
		if (strcmp(scan_status_names[i], name) == 0)
			return i;
	return -1;
}

static bool scan_is_final(enum cal_scan_status s)
{
	return s == CAL_SCAN_COMPLETED || s == CAL_SCAN_COMPLETED_WITH_ERRORS ||
	       s == CAL_SCAN_FAILED || s == CAL_SCAN_ABORTED;
}

int cal_store_scan_create(cal_store *st, int64_t *out_id, const char *env, const json_t *request)
{
	char *text;
	int rc;

	*out_id = 0;
	if (!env || !*env)
		return cal_error_set(CAL_EINVALID, "scan without an environment");
	if (request && !json_is_object(request))
		return cal_error_set(CAL_EINVALID, "scan request is not a JSON object");
	text = request ? st_json_dump(request) : strdup("{}");
	if (!text)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = st_insert_returning(st, out_id, "INSERT INTO scans (env, status, request, result, "
				 "created) VALUES (?, ?, ?, '{}', ?) RETURNING id", "ttti", env,
				 cal_scan_status_name(CAL_SCAN_PENDING), text, cal_time_now_us());
	free(text);
	return rc;
}

int st_scan_row(cal_store *st, json_t **out, db_stmt *s, void *arg)
{
	json_t *request = NULL, *result = NULL;
	int status = cal_scan_status_from_name(db_col_text(s, 2));
	json_error_t jerr;
	int rc;

	(void)arg;
	*out = NULL;
	rc = st_json_load(st, &request, db_col_text(s, 3), "scan request");
	if (rc == 0)
		rc = st_json_load(st, &result, db_col_text(s, 4), "scan result");
	if (rc) {
		json_decref(request);
		return rc;
	}
	*out = json_pack_ex(&jerr, 0, "{s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "id",
			    (json_int_t)db_col_int64(s, 0), "environment", db_col_text(s, 1),
			    "status", status >= 0 ? db_col_text(s, 2) : "unknown", "request",
			    request, "result", result,
			    "created", st_json_time(db_col_int64(s, 5), true),
			    "started", st_json_time(db_col_int64(s, 6), !db_col_is_null(s, 6)),
			    "finished", st_json_time(db_col_int64(s, 7), !db_col_is_null(s, 7)));
	/* Text the store did not write (not UTF-8) is said so, not called a
	 * lack of memory. */
	return *out ? 0
		    : cal_error_set(CAL_EINVALID, "database '%s': scan %lld cannot be read: %s",
				    db_name(st->db), (long long)db_col_int64(s, 0), jerr.text);
}

int cal_store_scan_get(cal_store *st, json_t **out, int64_t id)
{
	int rc = st_query_row(st, out, st_scan_row, NULL, "SELECT " ST_SCAN_COLUMNS " FROM scans "
			      "WHERE id = ?", "i", id);

	if (rc == CAL_ENOTFOUND)
		rc = cal_error_set(CAL_ENOTFOUND, "scan %lld not found", (long long)id);
	return rc;
}

int cal_store_scan_list(cal_store *st, json_t **out, const char *env, int limit)
{
	if (limit <= 0)
		limit = 100;
	if (env)
		return st_query_rows(st, out, st_scan_row, NULL, "SELECT " ST_SCAN_COLUMNS " FROM "
				     "scans WHERE env = ? ORDER BY id DESC LIMIT ?", "ti", env,
				     (int64_t)limit);
	return st_query_rows(st, out, st_scan_row, NULL, "SELECT " ST_SCAN_COLUMNS " FROM scans "
			     "ORDER BY id DESC LIMIT ?", "i", (int64_t)limit);
}

/* Inside a transaction: merges `extra` into scan `id`'s result and sets
 * its status and times. */
static int scan_write(cal_store *st, int64_t id, enum cal_scan_status status,
		      const json_t *extra, int64_t now)
{
	db_stmt *s;
	json_t *result = NULL;
	char *text = NULL;
	int rc;

	rc = db_prepare(st->db, &s, "SELECT result FROM scans WHERE id = ?");
	if (rc)
		return rc;
	rc = db_bind_int64(s, 1, id);
	if (rc == 0)
		rc = db_step(s);
	if (rc == DB_ROW)
		rc = st_json_load(st, &result, db_col_text(s, 0), "scan result");
	else if (rc == DB_DONE)
		rc = cal_error_set(CAL_ENOTFOUND, "scan %lld not found", (long long)id);
	db_reset(s);
	if (rc)
		return rc;
	if (!json_is_object(result)) {
		json_decref(result);
		result = json_object();
	}
	if (extra && json_object_update(result, (json_t *)extra)) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	text = st_json_dump(result);
	if (!text) {
		rc = CAL_ENOMEM;
		goto out;
	}
	/* started: the first time the scan runs (or ends without running);
	 * finished: when it reaches a final status. */
	rc = st_exec(st, NULL, "UPDATE scans SET status = ?, result = ?, "
		     "started = CASE WHEN started IS NULL AND ? = 1 THEN ? ELSE started END, "
		     "finished = CASE WHEN ? = 1 THEN ? ELSE finished END WHERE id = ?",
		     "ttiiiii", cal_scan_status_name(status), text,
		     (int64_t)(status == CAL_SCAN_RUNNING || scan_is_final(status)), now,
		     (int64_t)scan_is_final(status), now, id);
out:
	free(text);
	json_decref(result);
	return rc < 0 ? rc : 0;
}

int cal_store_scan_update(cal_store *st, int64_t id, enum cal_scan_status status,
			  const json_t *result)
{
	int rc;

	if ((int)status < 0 || (int)status >= SCAN_NSTATUS)
		return cal_error_set(CAL_EINVALID, "unknown scan status %d", (int)status);
	if (result && !json_is_object(result))
		return cal_error_set(CAL_EINVALID, "result of scan %lld is not a JSON object",
				     (long long)id);
	rc = db_begin(st->db);
	if (rc == 0)
		rc = scan_write(st, id, status, result, cal_time_now_us());
	if (rc == 0)
		rc = db_commit(st->db);
	if (rc)
		db_rollback(st->db);
	return rc;
}

int cal_store_scan_fail_stale(cal_store *st, const char *reason)
{
	int64_t *ids = NULL, now = cal_time_now_us();
	size_t n = 0, cap = 0;
	json_t *extra = NULL;
	db_stmt *s;
	int rc;

	rc = db_begin(st->db);
	if (rc)
		return rc;
	rc = db_prepare(st->db, &s, "SELECT id FROM scans WHERE status = ? ORDER BY id");
	if (rc)
		goto out;
	rc = db_bind_text(s, 1, cal_scan_status_name(CAL_SCAN_RUNNING));
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			int64_t *bigger = realloc(ids, ncap * sizeof(*ids));

			if (!bigger) {
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
				break;
			}
			ids = bigger;
			cap = ncap;
		}
		ids[n++] = db_col_int64(s, 0);
		rc = 0;
	}
	db_reset(s);
	if (rc < 0)
		goto out;
	extra = json_pack("{s:s}", "error",
			  reason && *reason ? reason : "interrupted: the process running it ended");
	if (!extra) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = scan_write(st, ids[i], CAL_SCAN_FAILED, extra, now);
	if (rc == 0)
		rc = db_commit(st->db);
out:
	if (rc < 0)
		db_rollback(st->db);
	free(ids);
	json_decref(extra);
	return rc < 0 ? rc : (int)n;
}
