/* store_sql.c - the store's connection lent to derived data (store.h "SQL
 * for derived data"): src/analyze keeps cliques and the search index in
 * tables of this database and writes them with its own SQL, in the same
 * transactions discipline as the store (the environment's writer lock).
 *
 * Nothing here interprets SQL: each function forwards to the private db
 * layer (db.h), so statement caching, batching and error messages are the
 * store's.  Single connection, single thread, like the store itself.
 */
#include "store/store_int.h"

bool cal_store_is_postgres(const cal_store *st)
{
	return db_dialect(st->db) == DB_PG;
}

int cal_store_tx_begin(cal_store *st, const char *env)
{
	int rc = db_begin(st->db);

	if (rc == 0 && env)
		rc = db_lock(st->db, env);
	if (rc && db_in_transaction(st->db))
		db_rollback(st->db);
	return rc;
}

int cal_store_tx_commit(cal_store *st)
{
	return db_commit(st->db);
}

void cal_store_tx_rollback(cal_store *st)
{
	db_rollback(st->db);
}

int cal_store_sql_prepare(cal_store *st, cal_store_stmt **out, const char *sql)
{
	return db_prepare(st->db, out, sql);
}

int cal_store_sql_bind_text(cal_store_stmt *s, int i, const char *v)
{
	return db_bind_text(s, i, v);
}

int cal_store_sql_bind_int64(cal_store_stmt *s, int i, int64_t v)
{
	return db_bind_int64(s, i, v);
}

int cal_store_sql_step(cal_store_stmt *s)
{
	return db_step(s);
}

const char *cal_store_sql_text(cal_store_stmt *s, int i)
{
	return db_col_text(s, i);
}

int64_t cal_store_sql_int64(cal_store_stmt *s, int i)
{
	return db_col_int64(s, i);
}

bool cal_store_sql_is_null(cal_store_stmt *s, int i)
{
	return db_col_is_null(s, i);
}

void cal_store_sql_reset(cal_store_stmt *s)
{
	db_reset(s);
}

int cal_store_sql_prepare_fmt(cal_store *st, cal_store_stmt **out, const char *sql,
			      const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = st_preparev(st, out, sql, fmt, ap);
	va_end(ap);
	return rc;
}

int cal_store_sql_exec(cal_store *st, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = st_execv(st, NULL, sql, fmt, ap);
	va_end(ap);
	return rc;
}

int cal_store_batch_new(cal_store_batch **out, cal_store *st, const char *head, const char *row,
			const char *sep, const char *tail, int nfixed, int ncols)
{
	return db_batch_new(out, st->db, head, row, sep, tail, nfixed, ncols);
}

void cal_store_batch_free(cal_store_batch *b)
{
	db_batch_free(b);
}

int cal_store_batch_fixed_text(cal_store_batch *b, int i, const char *v)
{
	return db_batch_fixed_text(b, i, v);
}

int cal_store_batch_fixed_int64(cal_store_batch *b, int i, int64_t v)
{
	return db_batch_fixed_int64(b, i, v);
}

int cal_store_batch_text(cal_store_batch *b, const char *v)
{
	return db_batch_text(b, v);
}

int cal_store_batch_text_take(cal_store_batch *b, char *v)
{
	return db_batch_text_take(b, v);
}

int cal_store_batch_text_ref(cal_store_batch *b, const char *v)
{
	return db_batch_text_ref(b, v);
}

int cal_store_batch_int64(cal_store_batch *b, int64_t v)
{
	return db_batch_int64(b, v);
}

int cal_store_batch_null(cal_store_batch *b)
{
	return db_batch_null(b);
}

int cal_store_batch_flush(cal_store_batch *b)
{
	return db_batch_flush(b);
}

void cal_store_batch_set_before(cal_store_batch *b, cal_store_batch *first)
{
	db_batch_set_before(b, first);
}
