/* store_bind.c - small helpers that bind a statement's parameters from a
 * format string and run it, for the server's tables (users, tokens,
 * messages, schedules, connection tests, external attributes), whose
 * queries are short and many.
 *
 * Format letters, one per parameter in order:
 *   t  const char *  text (NULL binds NULL)
 *   i  int64_t       integer (callers pass an int64_t, never an int)
 *   I  int64_t       integer, or NULL when the value is < 0
 * Trust: the SQL texts are ours; the values are bound, never spliced.
 */
#include "store/store_int.h"

#include <stdarg.h>

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

int st_exec(cal_store *st, int64_t *changes, const char *sql, const char *fmt, ...)
{
	db_stmt *s;
	va_list ap;
	int rc;

	if (changes)
		*changes = 0;
	rc = db_prepare(st->db, &s, sql);
	if (rc)
		return rc;
	va_start(ap, fmt);
	rc = sb_bindv(s, fmt, ap);
	va_end(ap);
	/* Statements with RETURNING produce rows: run them to the end. */
	while (rc == 0 && (rc = db_step(s)) == DB_ROW)
		rc = 0;
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
	rc = db_prepare(st->db, &s, sql);
	if (rc)
		return rc;
	va_start(ap, fmt);
	rc = sb_bindv(s, fmt, ap);
	va_end(ap);
	if (rc == 0)
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
