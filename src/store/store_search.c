/* store_search.c - the tables of the search index (src/analyze/search*.c
 * maintains and reads them through store.h "SQL for derived data");
 * store_schema.c runs this DDL as the migration named "search".
 *
 *   search_terms    (term, object): every searchable value of a live
 *                   object, lowercased, once per object, and whether it is
 *                   the object's id or name (is_key); exact matches and
 *                   prefixes are range scans of the primary key on both
 *                   engines ({KEY} compares byte-wise).
 *   search_objects  one row per live object: type, name, name_path, and
 *                   its values joined by newlines (`haystack`,
 *                   "\nid\nname\n...\n", the field of each in `fields`), for
 *                   substring matches ('%TEXT%') and to say which field
 *                   matched.
 *   search_fts      (SQLite) an FTS5 trigram index over haystack (external
 *                   content: search_objects by its never reused `id`, so
 *                   the rows a refresh adds are those past the largest id
 *                   before it), which answers those
 *                   LIKE patterns without scanning.  The indexer writes it
 *                   with one INSERT ... SELECT per refresh (no triggers:
 *                   FTS5 flushes a segment at every statement).  On
 *                   PostgreSQL a pg_trgm GIN index does the same when the
 *                   extension can be created (the queries work without it,
 *                   scanning).
 *   search_cidrs    CIDRs (networks' subnets) for "which network holds
 *                   this IP", checked in C: a few thousand rows.
 *   search_state    per environment: up to which commit time the index
 *                   reflects the inventory.
 */
#include "store/store_int.h"

const char st_ddl_search[] =
	"CREATE TABLE search_terms ("
	"  env {KEY} NOT NULL,"
	"  term {KEY} NOT NULL,"
	"  object_id {KEY} NOT NULL,"
	"  is_key BIGINT NOT NULL,"
	"  PRIMARY KEY (env, term, object_id)){WITHOUT_ROWID};"
	"CREATE INDEX search_terms_object ON search_terms (env, object_id);"
	"CREATE TABLE search_objects ("
	"  id {ID},"
	"  env {KEY} NOT NULL,"
	"  object_id {KEY} NOT NULL,"
	"  type {KEY} NOT NULL,"
	"  name TEXT NOT NULL,"
	"  name_path TEXT NOT NULL,"
	"  haystack TEXT NOT NULL,"
	"  fields TEXT NOT NULL,"
	"  UNIQUE (env, object_id));"
	"{IF_SQLITE}"
	"CREATE VIRTUAL TABLE search_fts USING fts5(haystack, content='search_objects', "
	"  content_rowid='id', tokenize='trigram', detail='none');"
	"{END}"
	"{IF_PG}"
	"DO $$ BEGIN"
	"  CREATE EXTENSION IF NOT EXISTS pg_trgm;"
	"  CREATE INDEX search_objects_trgm ON search_objects USING gin (haystack gin_trgm_ops);"
	"EXCEPTION WHEN OTHERS THEN"
	"  RAISE NOTICE 'pg_trgm unavailable: substring search scans';"
	"END $$;"
	"{END}"
	"CREATE TABLE search_cidrs ("
	"  env {KEY} NOT NULL,"
	"  object_id {KEY} NOT NULL,"
	"  field {KEY} NOT NULL,"
	"  cidr {KEY} NOT NULL,"
	"  PRIMARY KEY (env, object_id, field, cidr));"
	"CREATE TABLE search_state ("
	"  env {KEY} PRIMARY KEY,"
	"  done_ts BIGINT NOT NULL);";
