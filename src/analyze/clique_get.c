/* clique_get.c - one clique as a document (cal_clique_get), live or at a
 * past time, and as Graphviz text (cal_clique_dot).
 *
 * The stored revision names its members and links; their documents are
 * read as of the same time in a few batched queries (ids in IN lists of at
 * most 256), never one query per member.  A member whose document is
 * missing at that time (it should not be) appears as {"id"} so that the
 * shape stays what callers expect.
 */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

#define GET_CHUNK 256

/* " AND valid_to IS NULL" or the validity at `at`. */
static void get_valid(struct cal_buf *b, int64_t at)
{
	if (at > 0)
		cal_buf_str(b, " AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)");
	else
		cal_buf_str(b, " AND valid_to IS NULL");
}

int an_docs_by_ids(cal_store *st, json_t *out, const char *table, const char *env,
		   const char *const *ids, size_t n, int64_t at)
{
	int rc = 0;

	for (size_t first = 0; rc == 0 && first < n; first += GET_CHUNK) {
		size_t k = n - first < GET_CHUNK ? n - first : GET_CHUNK, chunk = 1;
		struct cal_buf sql = { 0 };
		cal_store_stmt *s = NULL;
		int p;

		/* Power-of-two statement sizes keep the statement cache small;
		 * the padding repeats the last id. */
		while (chunk < k)
			chunk *= 2;
		cal_buf_str(&sql, "SELECT id, doc FROM ");
		cal_buf_str(&sql, table);
		cal_buf_str(&sql, " WHERE env = ?");
		get_valid(&sql, at);
		cal_buf_str(&sql, " AND id IN (");
		for (size_t i = 0; i < chunk; i++)
			cal_buf_str(&sql, i ? ", ?" : "?");
		cal_buf_str(&sql, ")");
		if (sql.oom) {
			cal_buf_free(&sql);
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
		rc = cal_store_sql_prepare_fmt(st, &s, sql.s, at > 0 ? "tii" : "t", env, at, at);
		cal_buf_free(&sql);
		p = at > 0 ? 4 : 2;
		for (size_t i = 0; rc == 0 && i < chunk; i++)
			rc = cal_store_sql_bind_text(s, p++, ids[first + (i < k ? i : k - 1)]);
		while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
			json_error_t err;
			json_t *doc = json_loads(cal_store_sql_text(s, 1), 0, &err);

			rc = 0;
			if (!doc) {
				rc = cal_error_set(CAL_EINVALID, "stored document of '%s' is not "
						   "JSON: %s", cal_store_sql_text(s, 0), err.text);
				break;
			}
			json_object_set_new(out, cal_store_sql_text(s, 0), doc);
		}
		cal_store_sql_reset(s);
		if (rc > 0)
			rc = 0;
	}
	return rc;
}

int an_clique_row(cal_store *st, json_t **out, const char *env, const char *focal, int64_t at)
{
	struct cal_buf sql = { 0 };
	cal_store_stmt *s = NULL;
	int rc;

	*out = NULL;
	cal_buf_str(&sql, "SELECT doc FROM cliques WHERE env = ? AND focal_id = ?");
	get_valid(&sql, at);
	if (sql.oom) {
		cal_buf_free(&sql);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	rc = cal_store_sql_prepare_fmt(st, &s, sql.s, at > 0 ? "ttii" : "tt", env, focal, at, at);
	cal_buf_free(&sql);
	if (rc == 0)
		rc = cal_store_sql_step(s);
	if (rc == CAL_STORE_ROW) {
		json_error_t err;

		*out = json_loads(cal_store_sql_text(s, 0), 0, &err);
		rc = *out ? 0 : cal_error_set(CAL_EINVALID, "stored clique of '%s' is not JSON: %s",
					      focal, err.text);
	} else if (rc == CAL_STORE_DONE) {
		rc = CAL_ENOTFOUND;
	}
	cal_store_sql_reset(s);
	return rc;
}

/* Says why there is no clique: no such object, or not a focal point. */
static int get_not_found(cal_store *st, const char *env, const char *focal, int64_t at)
{
	json_t *obj = NULL;
	int rc = cal_store_object_get(st, &obj, env, focal, at);

	if (rc == CAL_ENOTFOUND)
		return cal_error_set(CAL_ENOTFOUND, "no object '%s' in environment '%s'%s", focal,
				     env, at > 0 ? " at that time" : "");
	if (rc)
		return rc;
	rc = cal_error_set(CAL_ENOTFOUND, "'%s' (%s) is no focal point of environment '%s'%s: "
			   "no clique type has focal_point_type '%s', or no clique was computed "
			   "yet (run a scan)", focal, cal_json_str(obj, CAL_F_TYPE), env,
			   at > 0 ? " at that time" : "", cal_json_str(obj, CAL_F_TYPE));
	json_decref(obj);
	return rc;
}

int cal_clique_get(cal_store *st, json_t **out, const char *env, const char *focal_id,
		   int64_t at)
{
	json_t *row = NULL, *docs = NULL, *res = NULL, *nodes_out, *links_out, *v;
	json_t *nodes, *links;
	const char **ids = NULL, **lids = NULL;
	size_t nn, nl, i;
	int rc;

	*out = NULL;
	rc = an_clique_row(st, &row, env, focal_id, at);
	if (rc == CAL_ENOTFOUND)
		return get_not_found(st, env, focal_id, at);
	if (rc)
		return rc;
	nodes = json_object_get(row, "nodes");
	links = json_object_get(row, "links");
	nn = json_array_size(nodes);
	nl = json_array_size(links);
	ids = calloc(nn + 1, sizeof(*ids));
	lids = calloc(nl + 1, sizeof(*lids));
	docs = json_object();
	if (!ids || !lids || !docs) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(nodes, i, v)
		ids[i] = json_string_value(v) ? json_string_value(v) : "";
	json_array_foreach(links, i, v) {
		size_t si = (size_t)json_integer_value(json_array_get(v, 0));
		size_t ti = (size_t)json_integer_value(json_array_get(v, 1));

		if (si >= nn || ti >= nn) {
			rc = cal_error_set(CAL_EINVALID, "stored clique of '%s' names link ends "
					   "outside its members", focal_id);
			goto out;
		}
		lids[i] = cal_id_link(ids[si], json_string_value(json_array_get(v, 2)), ids[ti]);
		if (!lids[i]) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = an_docs_by_ids(st, docs, "objects", env, ids, nn, at);
	if (rc == 0)
		rc = an_docs_by_ids(st, docs, "links", env, lids, nl, at);
	if (rc)
		goto out;
	res = json_deep_copy(row);
	nodes_out = json_array();
	links_out = json_array();
	if (!res || !nodes_out || !links_out) {
		json_decref(nodes_out);
		json_decref(links_out);
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nn; i++) {
		json_t *d = json_object_get(docs, ids[i]);

		json_array_append_new(nodes_out, d ? json_incref(d) : json_pack("{s:s}", "id", ids[i]));
	}
	for (i = 0; i < nl; i++) {
		json_t *d = json_object_get(docs, lids[i]);

		json_array_append_new(links_out, d ? json_incref(d)
						   : json_pack("{s:s}", "id", lids[i]));
	}
	json_object_set_new(res, "nodes", nodes_out);
	json_object_set_new(res, "links", links_out);
	*out = res;
	res = NULL;
out:
	if (lids)
		for (i = 0; i < nl; i++)
			free((char *)lids[i]);
	free(lids);
	free(ids);
	json_decref(row);
	json_decref(docs);
	json_decref(res);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Graphviz                                                            */
/* ------------------------------------------------------------------ */

/* A DOT string literal: quotes and backslashes escaped, newlines as DOT's
 * \n, other control bytes dropped. */
static void dot_str(struct cal_buf *b, const char *s)
{
	cal_buf_add(b, "\"", 1);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n') {
			cal_buf_add(b, "\\n", 2);
			continue;
		}
		if (c == '"' || c == '\\')
			cal_buf_add(b, "\\", 1);
		if (c >= 0x20)
			cal_buf_add(b, s, 1);
	}
	cal_buf_add(b, "\"", 1);
}

static const char *dot_color(const char *status)
{
	if (strcmp(status, "ok") == 0)
		return "darkgreen";
	if (strcmp(status, "warning") == 0)
		return "orange";
	if (strcmp(status, "critical") == 0)
		return "red";
	return "gray40";
}

char *cal_clique_dot(const json_t *clique)
{
	struct cal_buf b = { 0 };
	const char *focal = cal_json_str(clique, "focal_point");
	size_t i;
	json_t *n;

	cal_buf_str(&b, "digraph ");
	dot_str(&b, focal);
	cal_buf_str(&b, " {\n\trankdir=LR;\n\tlabel=");
	{
		char *label = cal_strdup_printf("clique of %s (%s), type %s, health %s",
						cal_json_str(clique, "name"),
						cal_json_str(clique, "focal_point_type"),
						cal_json_str(clique, "clique_type"),
						cal_json_str(clique, "health"));

		dot_str(&b, label ? label : "");
		free(label);
	}
	cal_buf_str(&b, ";\n\tnode [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
			"\tedge [fontname=\"Helvetica\", fontsize=9];\n");
	json_array_foreach(json_object_get(clique, "nodes"), i, n) {
		const char *id = cal_json_str(n, CAL_F_ID);
		char *label = cal_strdup_printf("%s\n%s", *cal_json_str(n, CAL_F_NAME)
							      ? cal_json_str(n, CAL_F_NAME) : id,
						cal_json_str(n, CAL_F_TYPE));

		cal_buf_str(&b, "\t");
		dot_str(&b, id);
		cal_buf_str(&b, " [label=");
		dot_str(&b, label ? label : id);
		cal_buf_printf(&b, ", color=%s%s];\n",
			       dot_color(cal_json_str(n, CAL_F_STATUS)),
			       strcmp(id, focal) == 0 ? ", penwidth=2" : "");
		free(label);
	}
	json_array_foreach(json_object_get(clique, "links"), i, n) {
		cal_buf_str(&b, "\t");
		dot_str(&b, cal_json_str(n, CAL_F_SOURCE_ID));
		cal_buf_str(&b, " -> ");
		dot_str(&b, cal_json_str(n, CAL_F_TARGET_ID));
		cal_buf_str(&b, " [label=");
		dot_str(&b, cal_json_str(n, CAL_F_LINK_TYPE));
		if (strcmp(cal_json_str(n, CAL_F_STATE), "down") == 0)
			cal_buf_str(&b, ", style=dashed, color=red");
		cal_buf_str(&b, "];\n");
	}
	cal_buf_str(&b, "}\n");
	if (b.oom) {
		cal_buf_free(&b);
		return NULL;
	}
	return b.s;
}

/* ------------------------------------------------------------------ */
/* Listing                                                             */
/* ------------------------------------------------------------------ */

int cal_clique_list(cal_store *st, json_t **out, const char *env, const char *focal_type,
		    int64_t at)
{
	struct cal_buf sql = { 0 };
	cal_store_stmt *s = NULL;
	json_t *arr = json_array();
	int rc;

	*out = NULL;
	if (!arr)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	cal_buf_str(&sql, "SELECT focal_id, focal_type, clique_type, health, summary FROM cliques "
			  "WHERE env = ?");
	get_valid(&sql, at);
	if (focal_type)
		cal_buf_str(&sql, " AND focal_type = ?");
	cal_buf_str(&sql, " ORDER BY focal_type, focal_id");
	if (sql.oom) {
		cal_buf_free(&sql);
		json_decref(arr);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	rc = cal_store_sql_prepare_fmt(st, &s, sql.s, at > 0 ? "tii" : "t", env, at, at);
	cal_buf_free(&sql);
	if (rc == 0 && focal_type)
		rc = cal_store_sql_bind_text(s, at > 0 ? 4 : 2, focal_type);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
		json_t *e = json_loads(cal_store_sql_text(s, 4), 0, NULL);

		rc = 0;
		if (!e)
			e = json_object();
		json_object_set_new(e, "focal_point", json_string(cal_store_sql_text(s, 0)));
		json_object_set_new(e, "focal_point_type", json_string(cal_store_sql_text(s, 1)));
		json_object_set_new(e, "clique_type", json_string(cal_store_sql_text(s, 2)));
		json_object_set_new(e, "health", json_string(cal_store_sql_text(s, 3)));
		json_array_append_new(arr, e);
	}
	cal_store_sql_reset(s);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}
