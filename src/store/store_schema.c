/* store_schema.c - the store's tables and their migrations.
 *
 * A Calipso database has a `meta` table with application = 'calipso',
 * schema_version = N (how many migrations it has) and one row
 * "migration:<name>" per migration applied.  Opening a database:
 *   - with no tables at all: the whole schema is created;
 *   - with tables but no Calipso meta: refused (CAL_EINVALID), so that
 *     pointing --db at another program's file never writes into it;
 *   - missing some of this binary's migrations: they run, in list order,
 *     in one transaction;
 *   - with a migration this binary does not know, or a larger version:
 *     refused (CAL_EINVALID), this binary would not know what the newer
 *     tables mean.
 * Migrations are recorded by name because several people append to the
 * list at once: a database counts on which ones it has, not on their
 * positions (databases from before the names were recorded had the first
 * N).  All this is first read without a transaction, so that opening an
 * up-to-date store never waits for a writer.
 *
 * Times are int64 microseconds UTC; documents are JSON text.  Text keys
 * compare byte-wise on both engines ({KEY}), so orderings and prefix range
 * scans agree between SQLite and PostgreSQL.
 *
 * Index design (what each query uses):
 *   objects_live       the live revision of an id; unique: at most one
 *   objects_live_path  live, ordered by id_path; sub-tree range scans
 *   objects_live_type  live by type (counts, type filters)
 *   objects_live_host  live by host and source (commit's "answered" pairs,
 *                      host filters, objects_of_sources)
 *   objects_live_parent live children of an object
 *   primary key        every revision of an id, oldest first (history, and
 *                      one object at time T)
 *   objects_from/to    revisions that began or ended in a time range (the
 *                      diff between T1 and T2) and the inventory at T
 *                      (objects_to holds closed revisions only)
 * Links have the same shape with source_id/target_id indexes.  Volatile
 * fields live in per-group rows (object_volatile, link_volatile: see
 * "inventory_2" below), read with the documents they complete.
 *
 * Room left for what comes next: `commits` records every commit (time,
 * scan, answered sources) for snapshots; further tables arrive as new
 * migrations.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1: the first schema. */
static const char sc_ddl_inventory[] =
	"CREATE TABLE meta ("
	"  key {KEY} PRIMARY KEY,"
	"  value TEXT NOT NULL);"
	"CREATE TABLE environments ("
	"  name {KEY} PRIMARY KEY,"
	"  config TEXT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  updated BIGINT NOT NULL);"
	"CREATE TABLE scans ("
	"  id {ID},"
	"  env {KEY} NOT NULL,"
	"  status TEXT NOT NULL,"
	"  request TEXT NOT NULL,"
	"  result TEXT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  started BIGINT,"
	"  finished BIGINT);"
	"CREATE INDEX scans_env ON scans (env, id);"
	"CREATE INDEX scans_status ON scans (status);"
	"CREATE TABLE commits ("
	"  id {ID},"
	"  env {KEY} NOT NULL,"
	"  ts BIGINT NOT NULL,"
	"  requested_ts BIGINT NOT NULL,"
	"  scan_id BIGINT,"
	"  answered TEXT NOT NULL,"
	"  clear_all BIGINT NOT NULL,"
	"  stats TEXT NOT NULL);"
	"CREATE INDEX commits_env_ts ON commits (env, ts);"
	"CREATE TABLE objects ("
	"  env {KEY} NOT NULL,"
	"  id {KEY} NOT NULL,"
	"  valid_from BIGINT NOT NULL,"
	"  valid_to BIGINT,"
	"  hash TEXT NOT NULL,"
	"  type {KEY} NOT NULL,"
	"  host {KEY} NOT NULL,"
	"  source {KEY} NOT NULL,"
	"  name {KEY} NOT NULL,"
	"  parent_id {KEY} NOT NULL,"
	"  id_path {KEY} NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  PRIMARY KEY (env, id, valid_from),"
	"  CHECK (valid_to IS NULL OR valid_to > valid_from));"
	"CREATE UNIQUE INDEX objects_live ON objects (env, id) WHERE valid_to IS NULL;"
	"CREATE INDEX objects_live_path ON objects (env, id_path) WHERE valid_to IS NULL;"
	"CREATE INDEX objects_live_type ON objects (env, type, id_path) WHERE valid_to IS NULL;"
	"CREATE INDEX objects_live_host ON objects (env, host, source) WHERE valid_to IS NULL;"
	"CREATE INDEX objects_live_parent ON objects (env, parent_id) WHERE valid_to IS NULL;"
	"CREATE INDEX objects_from ON objects (env, valid_from);"
	"CREATE INDEX objects_to ON objects (env, valid_to);"
	"CREATE TABLE object_state ("
	"  env {KEY} NOT NULL,"
	"  id {KEY} NOT NULL,"
	"  vhash TEXT NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  PRIMARY KEY (env, id)){WITHOUT_ROWID};"
	"CREATE TABLE links ("
	"  env {KEY} NOT NULL,"
	"  id {KEY} NOT NULL,"
	"  valid_from BIGINT NOT NULL,"
	"  valid_to BIGINT,"
	"  hash TEXT NOT NULL,"
	"  link_type {KEY} NOT NULL,"
	"  source_id {KEY} NOT NULL,"
	"  target_id {KEY} NOT NULL,"
	"  host {KEY} NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  PRIMARY KEY (env, id, valid_from),"
	"  CHECK (valid_to IS NULL OR valid_to > valid_from));"
	"CREATE UNIQUE INDEX links_live ON links (env, id) WHERE valid_to IS NULL;"
	"CREATE INDEX links_live_type ON links (env, link_type) WHERE valid_to IS NULL;"
	"CREATE INDEX links_source ON links (env, source_id);"
	"CREATE INDEX links_target ON links (env, target_id);"
	"CREATE INDEX links_from ON links (env, valid_from);"
	"CREATE INDEX links_to ON links (env, valid_to);"
	"CREATE TABLE link_state ("
	"  env {KEY} NOT NULL,"
	"  id {KEY} NOT NULL,"
	"  vhash TEXT NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  PRIMARY KEY (env, id)){WITHOUT_ROWID};";

/* 2: last good report section of every (host, source). */
static const char sc_ddl_sections[] =
	"CREATE TABLE source_sections ("
	"  env {KEY} NOT NULL,"
	"  host {KEY} NOT NULL,"
	"  source {KEY} NOT NULL,"
	"  ts BIGINT NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  PRIMARY KEY (env, host, source));";

/* Inventory, second form.
 * - Volatile fields (counters, scan times) as one row per group: per
 *   (host, source) for objects, per host for links, holding {id: fields}
 *   of the group's live members.  Every scan changes the scan time of
 *   every object, so rows per object meant rewriting an environment's
 *   worth of rows at each commit; a group is one row, rewritten only when
 *   the order-independent sum of its entries' hashes (vhash) changes.
 *   Replaces the per-object tables of the first form (volatile data has no
 *   history: the next scan fills the groups again).
 * - Indexes that a changed object touches at fewer places: valid_to only
 *   for closed revisions (live ones are in the partial live indexes), and
 *   the id at the end of the host and parent keys, so that a new revision
 *   replaces its predecessor's entry in the same index page. */
static const char sc_ddl_inventory_2[] =
	"DROP TABLE object_state;"
	"DROP TABLE link_state;"
	"CREATE TABLE object_volatile ("
	"  env {KEY} NOT NULL,"
	"  host {KEY} NOT NULL,"
	"  source {KEY} NOT NULL,"
	"  vhash TEXT NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  PRIMARY KEY (env, host, source));"
	"CREATE TABLE link_volatile ("
	"  env {KEY} NOT NULL,"
	"  host {KEY} NOT NULL,"
	"  vhash TEXT NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  PRIMARY KEY (env, host));"
	"DROP INDEX objects_to;"
	"CREATE INDEX objects_to ON objects (env, valid_to) WHERE valid_to IS NOT NULL;"
	"DROP INDEX objects_live_host;"
	"CREATE INDEX objects_live_host ON objects (env, host, source, id) "
	"  WHERE valid_to IS NULL;"
	"DROP INDEX objects_live_parent;"
	"CREATE INDEX objects_live_parent ON objects (env, parent_id, id) "
	"  WHERE valid_to IS NULL;"
	"DROP INDEX links_to;"
	"CREATE INDEX links_to ON links (env, valid_to) WHERE valid_to IS NOT NULL;";

/* Every migration in the order they run; a database records the names of
 * those it has (see above).  A subsystem that needs tables writes its DDL
 * in its own store_<area>.c (declared in store_int.h) and appends one line
 * here with a new name; a name, once released, is never reused. */
static const struct {
	const char *name;
	const char *ddl;
} sc_migrations[] = {
	{ "inventory", sc_ddl_inventory },
	{ "sections", sc_ddl_sections },
	{ "cliques", st_ddl_cliques },
	{ "search", st_ddl_search },
	{ "inventory_2", sc_ddl_inventory_2 },
	{ "snapshots", st_ddl_snapshots },
	{ "designs", st_ddl_designs },
	{ "reports", st_ddl_reports },
	{ "auth", st_ddl_auth },
	{ "messages", st_ddl_messages },
	{ "schedules", st_ddl_schedules },
	{ "connection_tests", st_ddl_conntests },
	{ "external_attributes", st_ddl_external },
};

#define ST_SCHEMA_VERSION ((int)(sizeof(sc_migrations) / sizeof(sc_migrations[0])))

enum sc_kind { SC_EMPTY, SC_CALIPSO, SC_FOREIGN };

static int sc_meta_get(cal_store *st, char **out, const char *key)
{
	db_stmt *s;
	int rc;

	*out = NULL;
	rc = db_prepare(st->db, &s, "SELECT value FROM meta WHERE key = ?");
	if (rc)
		return rc;
	rc = db_bind_text(s, 1, key);
	if (rc == 0)
		rc = db_step(s);
	if (rc == DB_ROW) {
		*out = strdup(db_col_text(s, 0) ? db_col_text(s, 0) : "");
		rc = *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
	}
	db_reset(s);
	return rc < 0 ? rc : 0;
}

static int sc_meta_set(cal_store *st, const char *key, const char *value)
{
	db_stmt *s;
	int rc;

	rc = db_prepare(st->db, &s,
			"INSERT INTO meta (key, value) VALUES (?, ?) "
			"ON CONFLICT (key) DO UPDATE SET value = excluded.value");
	if (rc)
		return rc;
	rc = db_bind_text(s, 1, key);
	if (rc == 0)
		rc = db_bind_text(s, 2, value);
	if (rc == 0)
		rc = db_step(s);
	db_reset(s);
	return rc < 0 ? rc : 0;
}

struct sc_state {
	enum sc_kind kind;
	int version;                       /* meta schema_version */
	bool applied[ST_SCHEMA_VERSION];   /* by this binary's list */
	bool named;                        /* the database records names */
	char unknown[64];                  /* a recorded name not in the list */
};

/* Which migrations the database records by name ("migration:<name>"). */
static int sc_names(cal_store *st, struct sc_state *sc)
{
	db_stmt *s;
	int rc;

	rc = db_prepare(st->db, &s, "SELECT key FROM meta WHERE key LIKE 'migration:%'");
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		const char *name = db_col_text(s, 0) + strlen("migration:");
		bool known = false;

		sc->named = true;
		for (int i = 0; i < ST_SCHEMA_VERSION; i++) {
			if (strcmp(sc_migrations[i].name, name) == 0) {
				sc->applied[i] = true;
				known = true;
			}
		}
		if (!known && !sc->unknown[0])
			snprintf(sc->unknown, sizeof(sc->unknown), "%s", name);
		rc = 0;
	}
	db_reset(s);
	return rc < 0 ? rc : 0;
}

/* What the database holds: nothing, a Calipso schema (and which of our
 * migrations it has), or someone else's tables. */
static int sc_inspect(cal_store *st, struct sc_state *sc)
{
	const char *count_all, *count_meta;
	int64_t ntables, nmeta;
	char *app = NULL, *ver = NULL;
	int rc;

	memset(sc, 0, sizeof(*sc));
	sc->kind = SC_FOREIGN;
	if (db_dialect(st->db) == DB_PG) {
		count_all = "SELECT COUNT(*) FROM information_schema.tables "
			    "WHERE table_schema = current_schema()";
		count_meta = "SELECT COUNT(*) FROM information_schema.tables "
			     "WHERE table_schema = current_schema() AND table_name = 'meta'";
	} else {
		count_all = "SELECT COUNT(*) FROM sqlite_master "
			    "WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_'";
		count_meta = "SELECT COUNT(*) FROM sqlite_master "
			     "WHERE type = 'table' AND name = 'meta'";
	}
	rc = db_query_int64(st->db, &ntables, NULL, count_all, 0, NULL);
	if (rc == 0)
		rc = db_query_int64(st->db, &nmeta, NULL, count_meta, 0, NULL);
	if (rc)
		return rc;
	if (ntables == 0) {
		sc->kind = SC_EMPTY;
		return 0;
	}
	if (nmeta == 0)
		return 0;
	rc = sc_meta_get(st, &app, "application");
	if (rc == 0)
		rc = sc_meta_get(st, &ver, "schema_version");
	if (rc == 0 && app && strcmp(app, "calipso") == 0 && ver) {
		char *end;
		long v = strtol(ver, &end, 10);

		if (*end == '\0' && v > 0 && v < 1000000) {
			sc->kind = SC_CALIPSO;
			sc->version = (int)v;
		}
	}
	free(app);
	free(ver);
	if (rc == 0 && sc->kind == SC_CALIPSO)
		rc = sc_names(st, sc);
	/* Databases from before names were recorded counted migrations in
	 * list order. */
	if (rc == 0 && sc->kind == SC_CALIPSO && !sc->named)
		for (int i = 0; i < ST_SCHEMA_VERSION && i < sc->version; i++)
			sc->applied[i] = true;
	return rc;
}

static int sc_check(cal_store *st, const struct sc_state *sc)
{
	if (sc->kind == SC_FOREIGN)
		return cal_error_set(CAL_EINVALID, "database '%s' is not a Calipso database "
				     "(it holds another program's tables)", db_name(st->db));
	if (sc->kind == SC_CALIPSO && sc->version > ST_SCHEMA_VERSION)
		return cal_error_set(CAL_EINVALID, "database '%s' has schema version %d, newer "
				     "than this calipso supports (%d): upgrade calipso",
				     db_name(st->db), sc->version, ST_SCHEMA_VERSION);
	if (sc->kind == SC_CALIPSO && sc->unknown[0])
		return cal_error_set(CAL_EINVALID, "database '%s' has schema changes newer than "
				     "this calipso knows ('%s'): upgrade calipso",
				     db_name(st->db), sc->unknown);
	return 0;
}

static bool sc_pending(const struct sc_state *sc)
{
	if (sc->kind != SC_CALIPSO || !sc->named)
		return true;
	for (int i = 0; i < ST_SCHEMA_VERSION; i++)
		if (!sc->applied[i])
			return true;
	return false;
}

int st_schema_migrate(cal_store *st)
{
	struct sc_state sc;
	char num[16], key[96];
	int rc;

	rc = sc_inspect(st, &sc);
	if (rc == 0)
		rc = sc_check(st, &sc);
	if (rc || !sc_pending(&sc))
		return rc;
	/* Creating or migrating: look again under the write lock, another
	 * process may have done it meanwhile. */
	rc = db_begin(st->db);
	if (rc == 0)
		rc = db_lock(st->db, "calipso:schema");
	if (rc == 0)
		rc = sc_inspect(st, &sc);
	if (rc == 0)
		rc = sc_check(st, &sc);
	if (rc)
		goto fail;
	/* The missing migrations, in list order; each is recorded by name,
	 * so that the order in which they were added to the list matters
	 * only between migrations that depend on one another. */
	for (int i = 0; i < ST_SCHEMA_VERSION; i++) {
		if (!sc.applied[i]) {
			rc = db_exec_ddl(st->db, sc_migrations[i].ddl);
			if (rc) {
				cal_error_prefix(rc, "cannot migrate database '%s' (%s)",
						 db_name(st->db), sc_migrations[i].name);
				goto fail;
			}
			cal_log_info("store", "database '%s': schema change '%s' applied",
				     db_name(st->db), sc_migrations[i].name);
		}
		snprintf(key, sizeof(key), "migration:%s", sc_migrations[i].name);
		rc = sc_meta_set(st, key, "applied");
		if (rc)
			goto fail;
	}
	snprintf(num, sizeof(num), "%d", ST_SCHEMA_VERSION);
	rc = sc_meta_set(st, "application", "calipso");
	if (rc == 0)
		rc = sc_meta_set(st, "schema_version", num);
	if (rc == 0)
		rc = db_commit(st->db);
	if (rc == 0)
		return 0;
fail:
	db_rollback(st->db);
	return rc;
}
