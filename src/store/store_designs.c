/* store_designs.c - design baselines: the expected state of an
 * environment, kept as one JSON document per (environment, name).
 *
 * The store only keeps them; what a design holds and how it is compared
 * is analyze's (design.c).  A design does not depend on the revisions it
 * may have been taken from: `design set --from SNAPSHOT` copies the
 * snapshot's content, so pruning never changes a design.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* Migration "designs" (store_schema.c). */
const char st_ddl_designs[] =
	"CREATE TABLE designs ("
	"  env {KEY} NOT NULL,"
	"  name {KEY} NOT NULL,"
	"  origin TEXT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  updated BIGINT NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  PRIMARY KEY (env, name));";

static int dsg_check(const char *env, const char *name)
{
	if (!env || !*env)
		return cal_error_set(CAL_EINVALID, "design without an environment");
	if (!name || !*name)
		return cal_error_set(CAL_EINVALID, "empty design name");
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == ':' || c == '/' || c >= 0x7f || p - name >= 64) {
			char *esc = cal_str_escape(name);
			int rc = cal_error_set(CAL_EINVALID, "design name '%s': use up to 64 printable "
					       "characters without spaces, ':' or '/'",
					       esc ? esc : "?");

			free(esc);
			return rc;
		}
	}
	return 0;
}

static int dsg_not_found(const char *env, const char *name)
{
	char *esc = cal_str_escape(name);
	int rc = cal_error_set(CAL_ENOTFOUND, "no design '%s' in environment '%s' (`calipso "
			       "design list` shows them)", esc ? esc : "?", env);

	free(esc);
	return rc;
}

int cal_store_design_put(cal_store *st, const char *env, const char *name, const json_t *doc,
			 const char *origin, bool replace)
{
	int64_t now = cal_time_now_us(), unused;
	char *text = NULL;
	bool exists;
	int rc;

	rc = dsg_check(env, name);
	if (rc)
		return rc;
	if (!json_is_object(doc))
		return cal_error_set(CAL_EINVALID, "design '%s' is not a JSON object", name);
	text = st_json_dump(doc);
	if (!text)
		return CAL_ENOMEM;
	rc = db_begin(st->db);
	if (rc == 0)
		rc = db_query_int64(st->db, &unused, &exists, "SELECT 1 FROM designs WHERE env = ? "
				    "AND name = ?", 2, (const char *const[]){ env, name });
	if (rc == 0 && exists && !replace)
		rc = cal_error_set(CAL_EEXISTS, "design '%s' already exists in environment '%s' "
				   "(--replace replaces it)", name, env);
	if (rc == 0)
		rc = st_exec(st, NULL, "INSERT INTO designs (env, name, origin, created, updated, doc) "
			     "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (env, name) DO UPDATE SET "
			     "origin = excluded.origin, updated = excluded.updated, doc = excluded.doc",
			     "tttiit", env, name, origin ? origin : "", now, now, text);
	if (rc == 0)
		rc = db_commit(st->db);
	if (rc && db_in_transaction(st->db))
		db_rollback(st->db);
	free(text);
	return rc;
}

/* Counts of a design document's sections. */
static json_t *dsg_counts(const json_t *doc)
{
	return json_pack("{s:I, s:I, s:I}",
			 "objects", (json_int_t)json_array_size(json_object_get(doc, "objects")),
			 "links", (json_int_t)json_array_size(json_object_get(doc, "links")),
			 "cliques", (json_int_t)json_array_size(json_object_get(doc, "cliques")));
}

/* A design's row; `arg` points to a bool: with its document too. */
static int dsg_row(cal_store *st, json_t **out, db_stmt *s, void *arg)
{
	bool with_doc = *(const bool *)arg;
	json_t *doc = NULL, *counts;
	int rc;

	*out = NULL;
	rc = st_json_load(st, &doc, db_col_text(s, 5), "design");
	if (rc)
		return rc;
	counts = dsg_counts(doc);
	*out = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "name", db_col_text(s, 0),
			 "environment", db_col_text(s, 1), "origin", db_col_text(s, 2),
			 "created", st_json_time(db_col_int64(s, 3), true),
			 "updated", st_json_time(db_col_int64(s, 4), true),
			 "counts", counts ? counts : json_object());
	if (*out && with_doc && json_object_set(*out, "doc", doc)) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(doc);
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

#define DSG_COLUMNS "name, env, origin, created, updated, doc"

int cal_store_design_get(cal_store *st, json_t **out, const char *env, const char *name)
{
	bool with_doc = true;
	int rc;

	*out = NULL;
	rc = dsg_check(env, name);
	if (rc == 0)
		rc = st_query_row(st, out, dsg_row, &with_doc, "SELECT " DSG_COLUMNS " FROM designs "
				  "WHERE env = ? AND name = ?", "tt", env, name);
	return rc == CAL_ENOTFOUND ? dsg_not_found(env, name) : rc;
}

int cal_store_design_list(cal_store *st, json_t **out, const char *env)
{
	bool with_doc = false;

	if (env)
		return st_query_rows(st, out, dsg_row, &with_doc, "SELECT " DSG_COLUMNS " FROM "
				     "designs WHERE env = ? ORDER BY name", "t", env);
	return st_query_rows(st, out, dsg_row, &with_doc, "SELECT " DSG_COLUMNS " FROM designs "
			     "ORDER BY env, name", "");
}

int cal_store_design_remove(cal_store *st, const char *env, const char *name)
{
	int64_t n;
	int rc;

	rc = dsg_check(env, name);
	if (rc == 0)
		rc = st_exec(st, &n, "DELETE FROM designs WHERE env = ? AND name = ?", "tt", env,
			     name);
	if (rc == 0 && n == 0)
		rc = dsg_not_found(env, name);
	return rc;
}
