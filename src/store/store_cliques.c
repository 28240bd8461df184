/* store_cliques.c - the tables of cliques (src/analyze/clique_*.c writes
 * them through store.h "SQL for derived data"); store_schema.c runs this
 * DDL as the migration named "cliques".
 *
 *   clique_types    user-defined clique types (the defaults live in the
 *                   code, analyze/clique_types.c); a row with a default's
 *                   id overrides it.
 *   cliques         one revision per change of a focal point's clique,
 *                   like objects: [valid_from, valid_to), the canonical
 *                   hash of `doc`, and copies of what lists and impact
 *                   read without parsing `doc` (health, summary).
 *   clique_members  the live reverse index object -> focal points whose
 *                   clique holds it: impact is one indexed lookup, and a
 *                   refresh finds the cliques a change touches.
 *   clique_state    per environment: up to which commit time changes are
 *                   reflected, the newest revision time written, and the
 *                   hash of the clique types in force (a change of types
 *                   recomputes every clique).
 */
#include "store/store_int.h"

const char st_ddl_cliques[] =
	"CREATE TABLE clique_types ("
	"  id {KEY} PRIMARY KEY,"
	"  focal_point_type {KEY} NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  updated BIGINT NOT NULL);"
	"CREATE TABLE cliques ("
	"  env {KEY} NOT NULL,"
	"  focal_id {KEY} NOT NULL,"
	"  valid_from BIGINT NOT NULL,"
	"  valid_to BIGINT,"
	"  hash TEXT NOT NULL,"
	"  focal_type {KEY} NOT NULL,"
	"  clique_type {KEY} NOT NULL,"
	"  health TEXT NOT NULL,"
	"  summary TEXT NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  PRIMARY KEY (env, focal_id, valid_from),"
	"  CHECK (valid_to IS NULL OR valid_to > valid_from));"
	"CREATE UNIQUE INDEX cliques_live ON cliques (env, focal_id) WHERE valid_to IS NULL;"
	"CREATE INDEX cliques_from ON cliques (env, valid_from);"
	"CREATE INDEX cliques_to ON cliques (env, valid_to);"
	"CREATE TABLE clique_members ("
	"  env {KEY} NOT NULL,"
	"  object_id {KEY} NOT NULL,"
	"  focal_id {KEY} NOT NULL,"
	"  PRIMARY KEY (env, focal_id, object_id)){WITHOUT_ROWID};"
	"CREATE INDEX clique_members_object ON clique_members (env, object_id);"
	"CREATE TABLE clique_state ("
	"  env {KEY} PRIMARY KEY,"
	"  done_ts BIGINT NOT NULL,"
	"  rev_ts BIGINT NOT NULL,"
	"  types_hash TEXT NOT NULL);";
