/* diff_cliques.c - the cliques a diff or a design export looks at: which
 * focal points had a clique at a time, which cliques changed between two
 * times, and one clique reduced to its membership and health.
 *
 * The clique engine (clique_*.c) keeps cliques as revisions like objects,
 * in the `cliques` table of store_cliques.c (env, focal_id, valid_from,
 * valid_to, indexed on both times), each a document that names its members
 * and links (clique_doc.c).  "Which changed between t1 and t2" reads the
 * revisions that began or ended in between, as the inventory diff does, in
 * two queries for all cliques; one clique at a time is the engine's
 * an_clique_row().  Only ids and health are compared, so the member
 * documents are never read.
 */
#include "analyze/analyze_int.h"
#include "analyze/diff_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A stored clique document (clique_doc.c: "nodes" as ids, "links" as
 * [source index, target index, link type]) reduced to the summary. */
static int dc_summary(json_t **out, const json_t *row, const char *focal)
{
	json_t *nodes = json_object_get(row, "nodes"), *links = json_array(), *l;
	size_t i, nn = json_array_size(nodes);

	*out = NULL;
	if (!links)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	json_array_foreach(json_object_get(row, "links"), i, l) {
		json_int_t si = json_integer_value(json_array_get(l, 0));
		json_int_t ti = json_integer_value(json_array_get(l, 1));
		char *id;

		if (si < 0 || ti < 0 || (size_t)si >= nn || (size_t)ti >= nn) {
			json_decref(links);
			return cal_error_set(CAL_EINVALID, "stored clique of '%s' names link ends "
					     "outside its members", focal);
		}
		id = cal_id_link(json_string_value(json_array_get(nodes, (size_t)si)),
				 json_string_value(json_array_get(l, 2)),
				 json_string_value(json_array_get(nodes, (size_t)ti)));
		if (!id || json_array_append_new(links, json_string(id))) {
			free(id);
			json_decref(links);
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
		free(id);
	}
	*out = json_pack("{s:s, s:s, s:s, s:s, s:O, s:o, s:s, s:s}", "focal_point", focal,
			 "focal_point_type", cal_json_str(row, "focal_point_type"),
			 "clique_type", cal_json_str(row, "clique_type"),
			 "health", cal_json_str(row, "health"),
			 "nodes", nodes ? nodes : json_array(), "links", links,
			 "host", cal_json_str(row, "host"), "project", cal_json_str(row, "project"));
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

/* The summary of the stored clique in the current row of `s` (focal id,
 * document). */
static int dc_row_summary(json_t **out, cal_store_stmt *s)
{
	const char *focal = cal_store_sql_text(s, 0);
	json_error_t err;
	json_t *row;
	int rc;

	*out = NULL;
	row = json_loads(cal_store_sql_text(s, 1), 0, &err);
	if (!row)
		return cal_error_set(CAL_EINVALID, "stored clique of '%s' is not JSON: %s", focal,
				     err.text);
	rc = dc_summary(out, row, focal);
	json_decref(row);
	return rc;
}

/* One side of the changed cliques: focal -> {side: summary}. */
static int dc_side(cal_store *st, json_t *map, const char *sql, const char *env,
		   const int64_t v[3], const char *side)
{
	cal_store_stmt *s;
	int rc;

	rc = cal_store_sql_prepare_fmt(st, &s, sql, "tiii", env, v[0], v[1], v[2]);
	if (rc)
		return rc;
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
		const char *focal = cal_store_sql_text(s, 0);
		json_t *sum, *e;

		rc = dc_row_summary(&sum, s);
		if (rc)
			break;
		e = json_object_get(map, focal);
		if (!e) {
			e = json_object();
			if (!e || json_object_set_new(map, focal, e)) {
				json_decref(sum);
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
				break;
			}
		}
		if (json_object_set_new(e, side, sum))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	cal_store_sql_reset(s);
	return rc < 0 ? rc : 0;
}

int df_clique_changes(cal_store *st, json_t **out, const char *env, int64_t t1, int64_t t2)
{
	json_t *map = json_object(), *e;
	const char *focal;
	int rc;

	*out = NULL;
	if (!map)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (t2 <= 0)
		t2 = INT64_MAX;
	rc = dc_side(st, map, "SELECT focal_id, doc FROM cliques WHERE env = ? AND valid_to > ? "
		     "AND valid_to <= ? AND valid_from <= ?", env, (int64_t[]){ t1, t2, t1 },
		     "before");
	if (rc == 0)
		rc = dc_side(st, map, "SELECT focal_id, doc FROM cliques WHERE env = ? AND "
			     "valid_from > ? AND valid_from <= ? AND (valid_to IS NULL OR "
			     "valid_to > ?)", env, (int64_t[]){ t1, t2, t2 }, "after");
	json_object_foreach(map, focal, e) {
		if (rc)
			break;
		if (!json_object_get(e, "before"))
			rc = json_object_set_new(e, "before", json_null());
		if (rc == 0 && !json_object_get(e, "after"))
			rc = json_object_set_new(e, "after", json_null());
		if (rc)
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	if (rc) {
		json_decref(map);
		return rc;
	}
	*out = map;
	return 0;
}

int df_clique_summaries(cal_store *st, json_t **out, const char *env, int64_t at)
{
	json_t *map = json_object();
	cal_store_stmt *s;
	int rc;

	*out = NULL;
	if (!map)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = cal_store_sql_prepare_fmt(st, &s, at > 0 ? "SELECT focal_id, doc FROM cliques "
							"WHERE env = ? AND valid_from <= ? AND "
							"(valid_to IS NULL OR valid_to > ?)"
						      : "SELECT focal_id, doc FROM cliques "
							"WHERE env = ? AND valid_to IS NULL",
				       at > 0 ? "tii" : "t", env, at, at);
	if (rc) {
		json_decref(map);
		return rc;
	}
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
		json_t *sum;

		rc = dc_row_summary(&sum, s);
		if (rc == 0 && json_object_set_new(map, cal_store_sql_text(s, 0), sum))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	cal_store_sql_reset(s);
	if (rc < 0) {
		json_decref(map);
		return rc;
	}
	*out = map;
	return 0;
}

int df_clique_summary(cal_store *st, json_t **out, const char *env, const char *focal,
		      int64_t at)
{
	json_t *row = NULL;
	int rc;

	*out = NULL;
	rc = an_clique_row(st, &row, env, focal, at);
	if (rc == CAL_ENOTFOUND) {
		cal_error_clear();
		*out = json_null();
		return 0;
	}
	if (rc)
		return rc;
	rc = dc_summary(out, row, focal);
	json_decref(row);
	return rc;
}

/* The documents of the ids in `set` (id -> anything) from `table`, at
 * `at`, as an array: batched IN queries (an_docs_by_ids). */
static int dc_docs(cal_store *st, json_t **out, const char *table, const char *env,
		   int64_t at, const json_t *set)
{
	size_t n = json_object_size(set), k = 0;
	const char **ids = calloc(n ? n : 1, sizeof(*ids));
	json_t *map = json_object(), *v;
	const char *id;
	int rc;

	*out = NULL;
	if (!ids || !map) {
		free(ids);
		json_decref(map);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	json_object_foreach((json_t *)set, id, v)
		ids[k++] = id;
	rc = n ? an_docs_by_ids(st, map, table, env, ids, n, at) : 0;
	free(ids);
	if (rc == 0) {
		*out = json_array();
		json_object_foreach(map, id, v)
			if (*out && json_array_append(*out, v))
				break;
		if (!*out)
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	json_decref(map);
	return rc;
}

int df_docs_of(cal_store *st, json_t **objects, json_t **links, const char *env, int64_t at,
	       const json_t *object_ids, const json_t *link_ids)
{
	int rc;

	*objects = *links = NULL;
	rc = dc_docs(st, objects, "objects", env, at, object_ids);
	if (rc == 0)
		rc = dc_docs(st, links, "links", env, at, link_ids);
	if (rc) {
		json_decref(*objects);
		*objects = NULL;
	}
	return rc;
}
