/* cq_store_fixture.h - the store fixture of the clique, search and impact
 * tests (test_clique.c, test_search.c, test_impact.c): each case gets a
 * fresh SQLite file in /tmp/cq-unit-*, or, on PostgreSQL when
 * CALIPSO_TEST_PG_URI names a server (scripts/pg-test-server.sh), a fresh
 * schema of its own process (cq_t<pid>, the session's search_path), so that
 * test binaries running at the same time share the server without seeing
 * each other.  Without the variable the PostgreSQL cases are skipped.
 *
 * Included by one .c file per test binary: static definitions only.
 */
#ifndef CQ_STORE_FIXTURE_H
#define CQ_STORE_FIXTURE_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

struct fx {
	char dir[64];
	char path[128];
	char pg_uri[1024];
	cal_store *st;
	bool pg;
};

static void fx_schema(char *buf, size_t n)
{
	snprintf(buf, n, "cq_t%ld", (long)getpid());
}

static int fx_pg_run(const char *uri, const char *sql)
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

static int fx_pg_schema(const char *base, bool create)
{
	char schema[32], sql[256];

	fx_schema(schema, sizeof(schema));
	snprintf(sql, sizeof(sql), "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s "
		 "CASCADE;%s%s%s", schema, create ? " CREATE SCHEMA " : "", create ? schema : "",
		 create ? ";" : "");
	return fx_pg_run(base, sql);
}

static int setup_sqlite(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cq-unit-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	if (cal_store_open(&f->st, f->path)) {
		fprintf(stderr, "open %s: %s\n", f->path, cal_error_last());
		rmdir(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup_pg(void **state)
{
	const char *base = getenv("CALIPSO_TEST_PG_URI");
	char schema[32];
	struct fx *f;

	*state = NULL;
	if (!base || !*base)
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->pg = true;
	fx_schema(schema, sizeof(schema));
	/* libpq's "options": the session's search_path is our schema. */
	snprintf(f->pg_uri, sizeof(f->pg_uri), "%s%coptions=-csearch_path%%3D%s", base,
		 strchr(base, '?') ? '&' : '?', schema);
	if (fx_pg_schema(base, true) || cal_store_open(&f->st, f->pg_uri)) {
		fprintf(stderr, "open %s: %s\n", f->pg_uri, cal_error_last());
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[200];

	if (!f)
		return 0;
	cal_store_close(f->st);
	if (f->pg) {
		fx_pg_schema(getenv("CALIPSO_TEST_PG_URI"), false);
	} else {
		for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
			snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
			unlink(p);
		}
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

#define NEED_STORE()            \
	struct fx *f = *state;  \
	if (!f) {               \
		skip();         \
		return;         \
	}

#endif
