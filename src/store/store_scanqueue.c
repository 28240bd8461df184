/* store_scanqueue.c - what the server's scan queue needs beyond
 * store_scans.c: claiming the next pending scan atomically (one scan per
 * environment at a time, also across servers sharing PostgreSQL), and
 * listing scans with the filters and paging of the REST API.
 *
 * Claiming is one UPDATE in a transaction that first takes the queue's
 * writer lock (SQLite's write lock; an advisory lock on PostgreSQL), so
 * that claims of all servers happen one after the other and "no running
 * scan of that environment" is read after the previous claim committed.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

int cal_store_scan_claim(cal_store *st, json_t **out)
{
	db_stmt *s;
	int64_t id = 0;
	bool found = false;
	int rc;

	*out = NULL;
	rc = db_begin(st->db);
	if (rc == 0)
		rc = db_lock(st->db, "calipso:scan-queue");
	if (rc) {
		db_rollback(st->db);
		return rc;
	}
	rc = db_prepare(st->db, &s,
			"UPDATE scans SET status = 'running', "
			"started = CASE WHEN started IS NULL THEN ? ELSE started END "
			"WHERE status = 'pending' AND id = ("
			"  SELECT p.id FROM scans p WHERE p.status = 'pending' AND NOT EXISTS ("
			"    SELECT 1 FROM scans r WHERE r.env = p.env AND r.status = 'running') "
			"  ORDER BY p.id LIMIT 1) "
			"RETURNING id");
	if (rc == 0)
		rc = st_bind_fmt(s, "i", cal_time_now_us());
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		id = db_col_int64(s, 0);
		found = true;
		rc = 0;
	}
	db_reset(s);
	if (rc == 0)
		rc = db_commit(st->db);
	if (rc) {
		db_rollback(st->db);
		return rc;
	}
	if (!found)
		return 0;
	return cal_store_scan_get(st, out, id);
}

int cal_store_scans_find(cal_store *st, json_t **out, const struct cal_scan_query *q)
{
	struct st_sql sql;
	json_t *arr = json_array();
	db_stmt *s = NULL;
	int rc, skip = q->offset > 0 ? q->offset : 0, take = q->limit > 0 ? q->limit : 1000;

	*out = NULL;
	if (!arr)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	/* The base object lives in the request document: filtered here, and
	 * the window applied after it; otherwise the window is SQL's. */
	st_sql_init(&sql);
	st_sql_add(&sql, "SELECT " ST_SCAN_COLUMNS " FROM scans WHERE 1 = 1");
	if (q->env)
		st_sql_text(&sql, " AND env = ?", q->env);
	if (q->id > 0)
		st_sql_int(&sql, " AND id = ?", q->id);
	if (q->status)
		st_sql_text(&sql, " AND status = ?", q->status);
	st_sql_add(&sql, " ORDER BY id DESC");
	if (!q->base_object) {
		st_sql_int(&sql, " LIMIT ?", take);
		st_sql_int(&sql, " OFFSET ?", skip);
		skip = 0;
	}
	rc = st_sql_prepare(st, &s, &sql);
	while (rc == 0 && take > 0 && (rc = db_step(s)) == DB_ROW) {
		json_t *scan = NULL;

		rc = st_scan_row(st, &scan, s, NULL);
		if (rc)
			break;
		if (q->base_object &&
		    strcmp(cal_json_str(json_object_get(scan, "request"), "object_id"),
			   q->base_object) != 0) {
			json_decref(scan);
			continue;
		}
		if (skip > 0) {
			skip--;
			json_decref(scan);
			continue;
		}
		take--;
		if (json_array_append_new(arr, scan))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	db_reset(s);
	st_sql_fini(&sql);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}
