/* db.h - private to src/store: one small SQL interface over two drivers,
 * SQLite (db_sqlite.c) and PostgreSQL through libpq (db_pg.c).
 *
 * The store's SQL is written once, with `?` placeholders (the PostgreSQL
 * driver numbers them $1, $2...; every `?` outside '...' and "..." is a
 * placeholder, so PostgreSQL's jsonb `?` operators are spelled with their
 * functions, jsonb_exists() and the like), in the subset both engines accept:
 * partial indexes, INSERT ... ON CONFLICT ... DO UPDATE, RETURNING,
 * LIMIT/OFFSET.  The few DDL words that differ are spelled through
 * db_ddl() tokens.  Integers are int64, every other value is text (JSON
 * documents included).
 *
 * Statements are prepared once per connection and cached by their SQL text:
 * db_prepare() hands out the cached statement, which the caller binds,
 * steps, and gives back with db_reset().  A statement is therefore used by
 * one caller at a time; two different SQL texts may be in use together.
 *
 * Errors: every function returns 0 (or DB_ROW/DB_DONE for db_step) or a
 * negative CAL_E* code with the message set through cal_error_set(),
 * naming the database.  A connection is used by one thread at a time.
 */
#ifndef CALIPSO_STORE_DB_H
#define CALIPSO_STORE_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

typedef struct db db;
typedef struct db_stmt db_stmt;
typedef struct db_batch db_batch;

enum db_dialect {
	DB_SQLITE,
	DB_PG,
};

/* Return values of db_step(). */
#define DB_DONE 0
#define DB_ROW 1

/* Opens a SQLite file (created when missing; its directory must exist).
 * CAL_EIO when the file cannot be opened for writing, CAL_EINVALID when it
 * is not a SQLite database.  Messages name `path`. */
int db_open_sqlite(db **out, const char *path);
/* Connects to PostgreSQL with a libpq URI or conninfo string.  CAL_EIO
 * when the server cannot be reached; messages show the URI without its
 * password. */
int db_open_pg(db **out, const char *uri);
/* Closes the connection, finalising cached statements; NULL is a no-op.
 * An open transaction is rolled back. */
void db_close(db *d);

enum db_dialect db_dialect(const db *d);
/* What error messages call the database: the path, or the URI with its
 * password masked. */
const char *db_name(const db *d);

/* Runs SQL text without parameters or rows (several statements allowed,
 * separated by ';').  For schema changes and pragmas. */
int db_exec(db *d, const char *sql);
/* Same, after replacing the dialect tokens of a DDL template:
 *   {ID}   an auto-numbered int64 primary key column type
 *   {KEY}  a text type that compares byte-wise (used for ids, paths,
 *          names: identical ordering and range scans on both engines)
 *   {WITHOUT_ROWID}  after a CREATE TABLE's closing parenthesis: the
 *          table is stored in its primary key's b-tree (SQLite; nothing
 *          on PostgreSQL), for small rows always reached by that key
 *   {IF_SQLITE} ... {END}, {IF_PG} ... {END}  text kept for that engine
 *          only (virtual tables, extensions, triggers); no nesting
 * Other text is passed through. */
int db_exec_ddl(db *d, const char *ddl);

/* The cached prepared statement for `sql` (prepared on first use).  The
 * statement belongs to `d`; give it back with db_reset(). */
int db_prepare(db *d, db_stmt **out, const char *sql);
/* Parameters are numbered from 1.  Text is copied; NULL text binds NULL. */
int db_bind_text(db_stmt *s, int i, const char *v);
int db_bind_int64(db_stmt *s, int i, int64_t v);
int db_bind_null(db_stmt *s, int i);
/* Runs the statement on the first call, then moves to the next row:
 * DB_ROW with a row to read, DB_DONE at the end, or a negative code. */
int db_step(db_stmt *s);
/* Columns are numbered from 0.  Text is NULL for SQL NULL and stays valid
 * until the next db_step() or db_reset() of this statement. */
const char *db_col_text(db_stmt *s, int i);
int64_t db_col_int64(db_stmt *s, int i);
bool db_col_is_null(db_stmt *s, int i);
/* Rows changed by the last write this statement ran to DB_DONE. */
int64_t db_changes(db_stmt *s);
/* Ends the current run and clears the bindings; the statement may be
 * prepared again with db_prepare().  NULL is a no-op. */
void db_reset(db_stmt *s);

/* Write transactions.  db_begin() takes the write lock at once on SQLite
 * (BEGIN IMMEDIATE, so two writers never deadlock on a lock upgrade).
 * Transactions do not nest: db_begin() inside one is CAL_EINVALID.
 * db_rollback() outside a transaction is a no-op. */
int db_begin(db *d);
int db_commit(db *d);
int db_rollback(db *d);
bool db_in_transaction(const db *d);
/* Inside a transaction: serialises writers of `key` (an environment name)
 * across connections until the transaction ends.  SQLite's write lock
 * already covers the whole file; PostgreSQL takes an advisory lock. */
int db_lock(db *d, const char *key);

/* Large writes: lets SQLite keep up to 256 MiB of pages in memory (the
 * default is 64 MiB) until called again with false.  A no-op on
 * PostgreSQL, whose server manages its own memory. */
int db_bulk_mode(db *d, bool on);

/* Convenience: the first column of the first row of `sql` bound with the
 * text parameters `args` (n of them) as an int64; *found tells whether a
 * row with a non-NULL value came back (found may be NULL). */
int db_query_int64(db *d, int64_t *out, bool *found, const char *sql, int n,
		   const char *const *args);

/* ------------------------------------------------------------------ */
/* Multi-row writes                                                    */
/* ------------------------------------------------------------------ */

/* A batch accumulates rows and writes them many per statement:
 *   head  [row sep row sep ... row]  tail
 * e.g. head "INSERT INTO t (a, b) VALUES ", row "(?, ?)", sep ", ", tail ""
 * or   head "DELETE FROM t WHERE env = ? AND id IN (", row "?", sep ", ",
 *      tail ")" with one fixed parameter (the `?` in head, bound once with
 *      db_batch_fixed_*(), before the rows' parameters).
 * Statements are cached for power-of-two row counts, so a batch costs at
 * most a handful of prepared statements.  Values are copied unless given
 * with db_batch_text_take().  Rows are written when the batch is full and
 * on db_batch_flush(); db_batch_free() drops unwritten rows. */
int db_batch_new(db_batch **out, db *d, const char *head, const char *row, const char *sep,
		 const char *tail, int nfixed, int ncols);
void db_batch_free(db_batch *b);
int db_batch_fixed_text(db_batch *b, int i, const char *v);  /* i from 1 */
int db_batch_fixed_int64(db_batch *b, int i, int64_t v);
/* Appends the next value of the current row; a row is complete after
 * `ncols` values and is written when the batch is full. */
int db_batch_text(db_batch *b, const char *v);
int db_batch_text_take(db_batch *b, char *v); /* takes ownership (free()) */
/* No copy: `v` must stay valid until the batch is flushed or freed. */
int db_batch_text_ref(db_batch *b, const char *v);
int db_batch_int64(db_batch *b, int64_t v);
int db_batch_null(db_batch *b);
int db_batch_flush(db_batch *b);
/* Makes every write of `b` flush `first` before: for rows that depend on
 * another batch's rows (close the old revision, then insert the new one
 * under a unique index).  `first` must outlive `b`'s writes. */
void db_batch_set_before(db_batch *b, db_batch *first);
/* Rows changed by everything this batch wrote. */
int64_t db_batch_changes(const db_batch *b);

#endif
