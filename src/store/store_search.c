/* store_search.c - the tables of the search index (src/analyze/search*.c
 * maintains and reads them through store.h "SQL for derived data");
 * store_schema.c runs this DDL as the migration named "search".
 *
 *   search_terms    (term, object, field): every searchable value of a
 *                   live object, lowercased; exact matches and prefixes
 *                   are range scans of the primary key on both engines
 *                   ({KEY} compares byte-wise).
 *   search_objects  one row per live object: type, name, name_path, and
 *                   its terms joined by newlines (`haystack`, with the
 *                   matching `fields`) for substring matches, which no
 *                   b-tree serves: a scan of narrow rows.
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
	"  field {KEY} NOT NULL,"
	"  PRIMARY KEY (env, term, object_id, field));"
	"CREATE INDEX search_terms_object ON search_terms (env, object_id);"
	"CREATE TABLE search_objects ("
	"  env {KEY} NOT NULL,"
	"  object_id {KEY} NOT NULL,"
	"  type {KEY} NOT NULL,"
	"  name TEXT NOT NULL,"
	"  name_path TEXT NOT NULL,"
	"  haystack TEXT NOT NULL,"
	"  fields TEXT NOT NULL,"
	"  PRIMARY KEY (env, object_id));"
	"CREATE TABLE search_cidrs ("
	"  env {KEY} NOT NULL,"
	"  object_id {KEY} NOT NULL,"
	"  field {KEY} NOT NULL,"
	"  cidr {KEY} NOT NULL,"
	"  PRIMARY KEY (env, object_id, field, cidr));"
	"CREATE TABLE search_state ("
	"  env {KEY} PRIMARY KEY,"
	"  done_ts BIGINT NOT NULL);";
