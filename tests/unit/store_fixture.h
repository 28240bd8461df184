/* store_fixture.h - the store fixture the unit tests share (test_store.c,
 * test_server.c, and through cq_store_fixture.h and sn_world.h the clique,
 * search, impact, diff and report tests): each case gets a fresh SQLite
 * file in /tmp/<prefix>-unit-*, or, on PostgreSQL when CALIPSO_TEST_PG_URI
 * names a server (scripts/pg-test-server.sh), a fresh schema of its own
 * process (<prefix>_t<pid>, the session's search_path), so that test
 * binaries running at the same time share the server without seeing each
 * other.  Without the variable the PostgreSQL cases have no store and
 * skip (fx_store()).
 *
 * Define FX_PREFIX (a short name: "cst", "cq", ...) before including it.
 * Header-only (static inline), for tests only.
 */
#ifndef CALIPSO_TEST_STORE_FIXTURE_H
#define CALIPSO_TEST_STORE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "core/core.h"
#include "store/store.h"

#ifndef FX_PREFIX
#error "define FX_PREFIX before including store_fixture.h"
#endif

struct fx {
	bool pg;
	char dir[64];
	char path[128];
	const char *uri;   /* what the store was opened with */
	char pg_uri[1024]; /* the server's URI, in this process's own schema */
	char pg_base[512]; /* the server's URI as given */
	cal_store *st;
};

static inline void fx_pg_schema_name(char *buf, size_t n)
{
	snprintf(buf, n, FX_PREFIX "_t%ld", (long)getpid());
}

static inline int fx_pg_run(const char *uri, const char *sql)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *r;
	int ok;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect to %s: %s", uri, PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

/* Drops this process's schema on the server at `base`, and creates it
 * again empty when `create`. */
static inline int fx_pg_schema(const char *base, bool create)
{
	char schema[32], sql[256];

	fx_pg_schema_name(schema, sizeof(schema));
	snprintf(sql, sizeof(sql), "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s "
		 "CASCADE;%s%s%s", schema, create ? " CREATE SCHEMA " : "", create ? schema : "",
		 create ? ";" : "");
	return fx_pg_run(base, sql);
}

static inline void fx_rm_sqlite(struct fx *f)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
}

static inline int setup_sqlite(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/" FX_PREFIX "-unit-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	f->uri = f->path;
	if (cal_store_open(&f->st, f->uri)) {
		fprintf(stderr, "open %s: %s\n", f->uri, cal_error_last());
		rmdir(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int setup_pg(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *base = getenv("CALIPSO_TEST_PG_URI");
	char schema[32];

	if (!f)
		return -1;
	f->pg = true;
	*state = f;
	if (!base || !*base)
		return 0;
	fx_pg_schema_name(schema, sizeof(schema));
	snprintf(f->pg_base, sizeof(f->pg_base), "%s", base);
	/* libpq's "options": the session's search_path is our schema. */
	snprintf(f->pg_uri, sizeof(f->pg_uri), "%s%coptions=-csearch_path%%3D%s", base,
		 strchr(base, '?') ? '&' : '?', schema);
	f->uri = f->pg_uri;
	if (fx_pg_schema(f->pg_base, true) || cal_store_open(&f->st, f->uri)) {
		fprintf(stderr, "open %s: %s\n", f->uri, cal_error_last());
		*state = NULL;
		free(f);
		return -1;
	}
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	cal_store_close(f->st);
	if (!f->pg) {
		fx_rm_sqlite(f);
		rmdir(f->dir);
	} else if (f->pg_base[0]) {
		fx_pg_schema(f->pg_base, false);
	}
	free(f);
	return 0;
}

/* The store under test, or a skip when PostgreSQL is not configured. */
static inline cal_store *fx_store(void **state)
{
	struct fx *f = *state;

	if (!f || !f->st)
		skip();
	return f->st;
}

#endif
