/* db_driver.h - private to db.c, db_sqlite.c and db_pg.c: what a driver
 * implements behind db.h.  The generic layer (db.c) owns the statement
 * cache, transactions bookkeeping and batches; drivers only talk to their
 * engine.
 */
#ifndef CALIPSO_STORE_DB_DRIVER_H
#define CALIPSO_STORE_DB_DRIVER_H

#include <stddef.h>

#include "store/db.h"

struct db_ops {
	void (*close)(db *d);
	int (*exec)(db *d, const char *sql);
	int (*prepare)(db *d, db_stmt **out, const char *sql);
	void (*finalize)(db_stmt *s);
	/* `keep`: the caller keeps `v` alive until reset, so the driver may
	 * point at it instead of copying. */
	int (*bind_text)(db_stmt *s, int i, const char *v, bool keep);
	int (*bind_int64)(db_stmt *s, int i, int64_t v);
	int (*bind_null)(db_stmt *s, int i);
	int (*step)(db_stmt *s);
	const char *(*col_text)(db_stmt *s, int i);
	int64_t (*col_int64)(db_stmt *s, int i);
	bool (*col_is_null)(db_stmt *s, int i);
	int64_t (*changes)(db_stmt *s);
	void (*reset)(db_stmt *s);
	const char *begin_sql;
	/* NULL when the transaction's own lock is enough. */
	const char *lock_sql;
	/* db_bulk_mode(); NULL when there is nothing to tune. */
	const char *bulk_on, *bulk_off;
};

struct db_cache_slot {
	char *sql;
	db_stmt *stmt;
};

struct db {
	const struct db_ops *ops;
	enum db_dialect dialect;
	char *name;
	bool in_tx;
	int max_params;
	struct db_cache_slot *cache; /* open addressing, power-of-two size */
	size_t cache_cap, cache_len;
};

/* Embedded first in each driver's statement. */
struct db_stmt {
	db *d;
	bool busy; /* handed out by db_prepare(), not yet reset */
};

/* Called by the drivers' open functions once their handle works. */
int db_init_base(db *d, const struct db_ops *ops, enum db_dialect dialect, const char *name);
/* Frees what db_init_base() and the cache hold (finalising statements). */
void db_free_base(db *d);

#endif
