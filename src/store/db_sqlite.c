/* db_sqlite.c - the SQLite driver of db.h: the embedded default store.
 *
 * One connection per cal_store, opened without SQLite's own mutexes (a
 * store is used by one thread at a time).  The file runs in WAL mode with
 * synchronous=NORMAL (a crash may lose the last commits, never corrupt the
 * file), foreign keys on, a 30 s busy timeout so that a second writer
 * waits for a large commit rather than failing, a 2 MiB page cache (reads
 * go through mmap, up to 1 GiB of the file, and small commits spill to the
 * WAL: a scan of one host stays small) and 256 MiB during the large commits
 * of big environments (db_bulk_mode()).
 *
 * WAL checkpoints (copying committed pages back into the database file)
 * run in a helper thread with its own connection, started at the first
 * commit that leaves more than SQ_CKPT_FRAMES pages in the WAL: a commit
 * returns once it is durable in the WAL instead of also paying for the
 * copy (half a second after a commit touching 100 MB of pages).  The
 * checkpoints are PASSIVE (they never wait for, nor block, readers and
 * writers); closing the store stops the helper, and the last connection's
 * close checkpoints whatever remains.
 *
 * Trust: the file may be anything (another program's database, garbage);
 * SQLite reports that as SQLITE_NOTADB/SQLITE_CORRUPT, mapped to
 * CAL_EINVALID naming the path.
 */
#include "store/db_driver.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define SQ_BUSY_TIMEOUT_MS 30000
/* SQLite's own automatic checkpoint threshold, in pages. */
#define SQ_CKPT_FRAMES 1000

/* The checkpoint helper of one connection. */
struct sq_ckpt {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t tid;
	bool started;  /* the thread runs */
	bool pending;  /* a checkpoint is wanted */
	bool stop;
	char *path;
};

struct sq_db {
	struct db base;
	sqlite3 *h;
	struct sq_ckpt ck;
};

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *st;
	int64_t changes;
};

static sqlite3 *sq_handle(db *d)
{
	return ((struct sq_db *)d)->h;
}

static int sq_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_FORMAT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return CAL_EINVALID;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return CAL_EEXISTS;
		return CAL_EINVALID;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return CAL_ETIMEOUT;
	case SQLITE_NOMEM:
		return CAL_ENOMEM;
	case SQLITE_AUTH:
	case SQLITE_PERM:
		return CAL_EPERM;
	default:
		return CAL_EIO;
	}
}

static int sq_error(db *d, int rc)
{
	const char *msg = sq_handle(d) ? sqlite3_errmsg(sq_handle(d)) : sqlite3_errstr(rc);

	if ((rc & 0xff) == SQLITE_BUSY)
		return cal_error_set(CAL_ETIMEOUT, "database '%s' is busy (locked by another "
				     "writer for more than %d s)", d->name,
				     SQ_BUSY_TIMEOUT_MS / 1000);
	return cal_error_set(sq_code(rc), "database '%s': %s", d->name, msg);
}

static void *sq_ckpt_main(void *arg)
{
	struct sq_ckpt *ck = arg;
	sqlite3 *c = NULL;

	if (sqlite3_open_v2(ck->path, &c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		cal_log_warn("store", "database '%s': cannot open a connection for checkpoints: "
			     "%s", ck->path, c ? sqlite3_errmsg(c) : "out of memory");
		sqlite3_close(c);
		c = NULL;
	}
	pthread_mutex_lock(&ck->mu);
	for (;;) {
		while (!ck->pending && !ck->stop)
			pthread_cond_wait(&ck->cv, &ck->mu);
		if (!ck->pending)
			break;
		ck->pending = false;
		pthread_mutex_unlock(&ck->mu);
		if (c) {
			int rc = sqlite3_wal_checkpoint_v2(c, "main", SQLITE_CHECKPOINT_PASSIVE,
							   NULL, NULL);

			if (rc != SQLITE_OK && rc != SQLITE_BUSY)
				cal_log_debug("store", "database '%s': checkpoint: %s", ck->path,
					      sqlite3_errmsg(c));
		}
		pthread_mutex_lock(&ck->mu);
	}
	pthread_mutex_unlock(&ck->mu);
	sqlite3_close(c);
	return NULL;
}

/* Called by SQLite after each commit with the pages in the WAL. */
static int sq_wal_hook(void *arg, sqlite3 *h, const char *name, int frames)
{
	struct sq_ckpt *ck = arg;
	bool inline_ckpt = false;

	if (frames < SQ_CKPT_FRAMES)
		return SQLITE_OK;
	pthread_mutex_lock(&ck->mu);
	if (!ck->started && !ck->stop)
		ck->started = pthread_create(&ck->tid, NULL, sq_ckpt_main, ck) == 0;
	if (ck->started) {
		ck->pending = true;
		pthread_cond_signal(&ck->cv);
	} else {
		inline_ckpt = true;
	}
	pthread_mutex_unlock(&ck->mu);
	/* No thread: what SQLite's automatic checkpoint would have done. */
	if (inline_ckpt)
		sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

static void sq_ckpt_stop(struct sq_ckpt *ck)
{
	bool started;

	pthread_mutex_lock(&ck->mu);
	ck->stop = true;
	started = ck->started;
	pthread_cond_signal(&ck->cv);
	pthread_mutex_unlock(&ck->mu);
	if (started)
		pthread_join(ck->tid, NULL);
	ck->started = false;
}

static void sq_close(db *d)
{
	struct sq_db *q = (struct sq_db *)d;

	/* The helper's connection goes first, so that this one is the last
	 * and its close checkpoints the rest and removes the WAL. */
	sqlite3_wal_hook(q->h, NULL, NULL);
	sq_ckpt_stop(&q->ck);
	db_free_base(d);
	sqlite3_close(q->h);
	pthread_mutex_destroy(&q->ck.mu);
	pthread_cond_destroy(&q->ck.cv);
	free(q->ck.path);
	free(q);
}

static int sq_exec(db *d, const char *sql)
{
	int rc = sqlite3_exec(sq_handle(d), sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sq_error(d, rc);
}

static int sq_prepare(db *d, db_stmt **out, const char *sql)
{
	struct sq_stmt *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = sqlite3_prepare_v3(sq_handle(d), sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
	if (rc != SQLITE_OK) {
		free(s);
		sq_error(d, rc);
		return cal_error_prefix(CAL_EIO, "cannot prepare '%.60s'", sql);
	}
	s->base.d = d;
	*out = &s->base;
	return 0;
}

static void sq_finalize(db_stmt *st)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	sqlite3_finalize(s->st);
	free(s);
}

static int sq_bind_rc(db_stmt *st, int rc)
{
	return rc == SQLITE_OK ? 0 : sq_error(st->d, rc);
}

static int sq_bind_text(db_stmt *st, int i, const char *v, bool keep)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	return sq_bind_rc(st, sqlite3_bind_text(s->st, i, v, -1,
						keep ? SQLITE_STATIC : SQLITE_TRANSIENT));
}

static int sq_bind_int64(db_stmt *st, int i, int64_t v)
{
	return sq_bind_rc(st, sqlite3_bind_int64(((struct sq_stmt *)st)->st, i, v));
}

static int sq_bind_null(db_stmt *st, int i)
{
	return sq_bind_rc(st, sqlite3_bind_null(((struct sq_stmt *)st)->st, i));
}

static int sq_step(db_stmt *st)
{
	struct sq_stmt *s = (struct sq_stmt *)st;
	int rc = sqlite3_step(s->st);

	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE) {
		s->changes = sqlite3_changes64(sq_handle(st->d));
		return DB_DONE;
	}
	return sq_error(st->d, rc);
}

static const char *sq_col_text(db_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(((struct sq_stmt *)st)->st, i);
}

static int64_t sq_col_int64(db_stmt *st, int i)
{
	return sqlite3_column_int64(((struct sq_stmt *)st)->st, i);
}

static bool sq_col_is_null(db_stmt *st, int i)
{
	return sqlite3_column_type(((struct sq_stmt *)st)->st, i) == SQLITE_NULL;
}

static int64_t sq_changes(db_stmt *st)
{
	return ((struct sq_stmt *)st)->changes;
}

static void sq_reset(db_stmt *st)
{
	struct sq_stmt *s = (struct sq_stmt *)st;

	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
	s->changes = 0;
}

static const struct db_ops sq_ops = {
	.close = sq_close,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.bind_text = sq_bind_text,
	.bind_int64 = sq_bind_int64,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.col_text = sq_col_text,
	.col_int64 = sq_col_int64,
	.col_is_null = sq_col_is_null,
	.changes = sq_changes,
	.reset = sq_reset,
	.begin_sql = "BEGIN IMMEDIATE",
	.lock_sql = NULL,
	.bulk_on = "PRAGMA cache_size = -262144",
	.bulk_off = "PRAGMA cache_size = -2048",
};

int db_open_sqlite(db **out, const char *path)
{
	struct sq_db *q;
	int rc;

	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	q->ck.path = strdup(path);
	if (!q->ck.path) {
		free(q);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&q->ck.mu, NULL);
	pthread_cond_init(&q->ck.cv, NULL);
	rc = sqlite3_open_v2(path, &q->h,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		rc = cal_error_set(CAL_EIO, "cannot open database '%s': %s", path,
				   q->h ? sqlite3_errmsg(q->h) : sqlite3_errstr(rc));
		sqlite3_close(q->h);
		goto fail_free;
	}
	rc = db_init_base(&q->base, &sq_ops, DB_SQLITE, path);
	if (rc)
		goto fail;
	q->base.max_params = sqlite3_limit(q->h, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
	sqlite3_extended_result_codes(q->h, 1);
	sqlite3_busy_timeout(q->h, SQ_BUSY_TIMEOUT_MS);
	/* The first statement reads the file header: garbage shows here. */
	rc = sqlite3_exec(q->h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		if (sq_code(rc) == CAL_EINVALID)
			rc = cal_error_set(CAL_EINVALID, "cannot open database '%s': %s "
					   "(corrupt, or not a Calipso database)", path,
					   sqlite3_errmsg(q->h));
		else
			rc = cal_error_set(sq_code(rc), "cannot open database '%s': %s", path,
					   sqlite3_errmsg(q->h));
		goto fail;
	}
	/* SQLite silently falls back to read-only when it cannot write. */
	if (sqlite3_db_readonly(q->h, "main") == 1) {
		rc = cal_error_set(CAL_EIO, "cannot open database '%s' for writing: "
				   "permission denied or read-only file system", path);
		goto fail;
	}
	rc = sqlite3_exec(q->h,
			  "PRAGMA synchronous = NORMAL;"
			  "PRAGMA foreign_keys = ON;"
			  "PRAGMA cache_size = -2048;"
			  "PRAGMA mmap_size = 1073741824;"
			  "PRAGMA temp_store = MEMORY;"
			  "PRAGMA journal_size_limit = 67108864;",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = cal_error_set(sq_code(rc), "cannot open database '%s': %s", path,
				   sqlite3_errmsg(q->h));
		goto fail;
	}
	sqlite3_wal_hook(q->h, sq_wal_hook, &q->ck);
	*out = &q->base;
	return 0;
fail:
	db_free_base(&q->base);
	sqlite3_close(q->h);
fail_free:
	pthread_mutex_destroy(&q->ck.mu);
	pthread_cond_destroy(&q->ck.cv);
	free(q->ck.path);
	free(q);
	return rc;
}
