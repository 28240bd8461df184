/* store_bind.c - small helpers that bind a statement's parameters from a
 * format string and run it, and that read a query's rows as a JSON array
 * (or its one row as a document) through a row function: for the tables
 * of records (snapshots, designs, reports, scans, schedules, users,
 * tokens, messages, connection tests, external attributes), whose queries
 * are short and many.
 *
 * Format letters, one per parameter in order:
 *   t  const char *  text (NULL binds NULL)
 *   i  int64_t       integer (callers pass an int64_t, never an int)
 *   I  int64_t       integer, or NULL when the value is < 0
 * Trust: the SQL texts are ours; the values are bound, never spliced.
 */
#include "store/store_int.h"

#include <stdarg.h>
#include <stdlib.h>

static int sb_bindv(db_stmt *s, const char *fmt, va_list ap)
{
	int rc = 0;

	for (int i = 1; rc == 0 && fmt && *fmt; fmt++, i++) {
		switch (*fmt) {
		case 't': {
			const char *v = va_arg(ap, const char *);

			rc = v ? db_bind_text(s, i, v) : db_bind_null(s, i);
			break;
		}
		case 'i':
			rc = db_bind_int64(s, i, va_arg(ap, int64_t));
			break;
		case 'I': {
			int64_t v = va_arg(ap, int64_t);

			rc = v < 0 ? db_bind_null(s, i) : db_bind_int64(s, i, v);
			break;
		}
		default:
			rc = cal_error_set(CAL_EINVALID, "st_bind_fmt: bad format letter '%c'", *fmt);
		}
	}
	return rc;
}

int st_bind_fmt(db_stmt *s, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sb_bindv(s, fmt, ap);
	va_end(ap);
	return rc;
}

int st_preparev(cal_store *st, db_stmt **out, const char *sql, const char *fmt, va_list ap)
{
	int rc;

	*out = NULL;
	rc = db_prepare(st->db, out, sql);
	if (rc)
		return rc;
	rc = sb_bindv(*out, fmt, ap);
	if (rc) {
		db_reset(*out);
		*out = NULL;
	}
	return rc;
}

int st_exec(cal_store *st, int64_t *changes, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = st_execv(st, changes, sql, fmt, ap);
	va_end(ap);
	return rc;
}

int st_execv(cal_store *st, int64_t *changes, const char *sql, const char *fmt, va_list ap)
{
	db_stmt *s;
	int rc;

	if (changes)
		*changes = 0;
	rc = st_preparev(st, &s, sql, fmt, ap);
	if (rc)
		return rc;
	/* Statements with RETURNING produce rows: run them to the end. */
	while ((rc = db_step(s)) == DB_ROW)
		;
	if (rc == 0 && changes)
		*changes = db_changes(s);
	db_reset(s);
	return rc < 0 ? rc : 0;
}

int st_insert_returning(cal_store *st, int64_t *out_id, const char *sql, const char *fmt, ...)
{
	db_stmt *s;
	va_list ap;
	int rc;

	*out_id = 0;
	va_start(ap, fmt);
	rc = st_preparev(st, &s, sql, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	rc = db_step(s);
	if (rc == DB_ROW) {
		*out_id = db_col_int64(s, 0);
		while ((rc = db_step(s)) == DB_ROW)
			;
	} else if (rc == DB_DONE) {
		rc = cal_error_set(CAL_EIO, "database '%s': an insert returned no id",
				   db_name(st->db));
	}
	db_reset(s);
	return rc < 0 ? rc : 0;
}

int st_rows(cal_store *st, json_t **out, db_stmt *s, st_row_fn row, void *arg)
{
	json_t *arr = json_array();
	int rc = arr ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");

	*out = NULL;
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		json_t *doc = NULL;

		rc = row(st, &doc, s, arg);
		if (rc == 0 && json_array_append_new(arr, doc))
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

int st_sql_rows(cal_store *st, json_t **out, struct st_sql *q, st_row_fn row, void *arg)
{
	db_stmt *s;
	int rc;

	*out = NULL;
	rc = st_sql_prepare(st, &s, q);
	if (rc)
		return rc;
	return st_rows(st, out, s, row, arg);
}

/* The rows of `sql` as st_query_rows() gives them, or with `one` the first
 * row's document as st_query_row() does. */
static int sb_queryv(cal_store *st, json_t **out, bool one, st_row_fn row, void *arg,
		     const char *sql, const char *fmt, va_list ap)
{
	db_stmt *s;
	int rc;

	*out = NULL;
	rc = st_preparev(st, &s, sql, fmt, ap);
	if (rc)
		return rc;
	if (!one)
		return st_rows(st, out, s, row, arg);
	rc = db_step(s);
	if (rc == DB_ROW)
		rc = row(st, out, s, arg);
	else if (rc == DB_DONE)
		rc = cal_error_set(CAL_ENOTFOUND, "no such record"); /* the caller names it */
	db_reset(s);
	return rc;
}

int st_query_rows(cal_store *st, json_t **out, st_row_fn row, void *arg, const char *sql,
		  const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sb_queryv(st, out, false, row, arg, sql, fmt, ap);
	va_end(ap);
	return rc;
}

int st_query_row(cal_store *st, json_t **out, st_row_fn row, void *arg, const char *sql,
		 const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sb_queryv(st, out, true, row, arg, sql, fmt, ap);
	va_end(ap);
	return rc;
}
