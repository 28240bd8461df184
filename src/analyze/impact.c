/* impact.c - impact analysis (cal_impact): which cliques hold an object,
 * their focal points grouped by project, host, network and switch, and,
 * "what if it goes down", which instances and services lose their path to
 * the wire.
 *
 * Live, this is one indexed query: the member index (clique_members, by
 * object) joined to the live clique rows, reading their small summaries;
 * the documents are parsed only for "what if", and only those of instances
 * and vservices.  At a past time the member index does not apply (it is
 * live only): the clique revisions valid then are filtered by a substring
 * test on their documents and confirmed by parsing.
 *
 * Losing the path: within the clique (its links, either way), without the
 * object, the focal point must still reach every network of the clique,
 * a host NIC when the clique has one, a switch port and a switch when the
 * clique has them.  A clique stores member ids and links as
 * [source, target, "A-B"]; a member's type is read from the link types.
 */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

/* The object's facts, from the row's columns (not its document). */
static int im_object(cal_store *st, json_t **out, const char *env, const char *id, int64_t at)
{
	cal_store_stmt *s = NULL;
	int rc;

	*out = NULL;
	rc = cal_store_sql_prepare_fmt(st, &s, at > 0 ? "SELECT type, name, host FROM objects "
							"WHERE env = ? AND id = ? AND valid_from "
							"<= ? AND (valid_to IS NULL OR valid_to > ?)"
						      : "SELECT type, name, host FROM objects "
							"WHERE env = ? AND id = ? AND valid_to IS NULL",
				       at > 0 ? "ttii" : "tt", env, id, at, at);
	if (rc == 0)
		rc = cal_store_sql_step(s);
	if (rc == CAL_STORE_ROW) {
		*out = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "type",
				 cal_store_sql_text(s, 0) ? cal_store_sql_text(s, 0) : "", "name",
				 cal_store_sql_text(s, 1) ? cal_store_sql_text(s, 1) : "", "host",
				 cal_store_sql_text(s, 2) ? cal_store_sql_text(s, 2) : "");
		rc = *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
	} else if (rc == CAL_STORE_DONE) {
		rc = cal_error_set(CAL_ENOTFOUND, "no object '%s' in environment '%s'%s", id, env,
				   at > 0 ? " at that time" : "");
	}
	cal_store_sql_reset(s);
	return rc;
}

static bool im_needs_doc(const char *focal_type)
{
	return strcmp(focal_type, "instance") == 0 || strcmp(focal_type, "vservice") == 0;
}

/* One affected clique: its summary fields plus focal point and type. */
static json_t *im_entry(const char *focal, const char *ftype, const char *ctype,
			const char *health, const char *summary)
{
	json_t *e = summary ? json_loads(summary, 0, NULL) : NULL;

	if (!e)
		e = json_object();
	if (!e)
		return NULL;
	json_object_set_new(e, "focal_point", json_string(focal));
	json_object_set_new(e, "focal_point_type", json_string(ftype));
	json_object_set_new(e, "clique_type", json_string(ctype));
	json_object_set_new(e, "health", json_string(health));
	return e;
}

/* Live: the member index.  Entries get "doc" (parsed) when wanted. */
static int im_live(cal_store *st, json_t *entries, const char *env, const char *id,
		   bool want_docs)
{
	cal_store_stmt *s = NULL;
	int rc;

	rc = cal_store_sql_prepare_fmt(
		st, &s,
		want_docs ? "SELECT c.focal_id, c.focal_type, c.clique_type, c.health, c.summary, "
			    "CASE WHEN c.focal_type IN ('instance', 'vservice') THEN c.doc END "
			    "FROM clique_members m JOIN cliques c ON c.env = m.env AND "
			    "c.focal_id = m.focal_id AND c.valid_to IS NULL "
			    "WHERE m.env = ? AND m.object_id = ?"
			  : "SELECT c.focal_id, c.focal_type, c.clique_type, c.health, c.summary "
			    "FROM clique_members m JOIN cliques c ON c.env = m.env AND "
			    "c.focal_id = m.focal_id AND c.valid_to IS NULL "
			    "WHERE m.env = ? AND m.object_id = ?",
		"tt", env, id);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
		json_t *e = im_entry(cal_store_sql_text(s, 0), cal_store_sql_text(s, 1),
				     cal_store_sql_text(s, 2), cal_store_sql_text(s, 3),
				     cal_store_sql_text(s, 4));

		rc = 0;
		if (!e) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			break;
		}
		if (want_docs && cal_store_sql_text(s, 5))
			json_object_set_new(e, "doc", json_loads(cal_store_sql_text(s, 5), 0, NULL));
		json_array_append_new(entries, e);
	}
	cal_store_sql_reset(s);
	return rc < 0 ? rc : 0;
}

static bool im_doc_has(const json_t *doc, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(doc, "nodes"), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
			return true;
	return false;
}

/* At a past time: the revisions valid then that name the object. */
static int im_at(cal_store *st, json_t *entries, const char *env, const char *id, int64_t at,
		 bool want_docs)
{
	struct cal_buf needle = { 0 };
	cal_store_stmt *s = NULL;
	int rc;

	an_buf_json_str(&needle, id);
	if (needle.oom) {
		cal_buf_free(&needle);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	rc = cal_store_sql_prepare_fmt(
		st, &s,
		cal_store_is_postgres(st)
			? "SELECT focal_id, focal_type, clique_type, health, summary, doc FROM cliques "
			  "WHERE env = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?) "
			  "AND strpos(doc, ?) > 0"
			: "SELECT focal_id, focal_type, clique_type, health, summary, doc FROM cliques "
			  "WHERE env = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?) "
			  "AND instr(doc, ?) > 0",
		"tiit", env, at, at, needle.s);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
		json_t *doc = json_loads(cal_store_sql_text(s, 5), 0, NULL), *e;

		rc = 0;
		if (!doc || !im_doc_has(doc, id)) {
			json_decref(doc);
			continue;
		}
		e = im_entry(cal_store_sql_text(s, 0), cal_store_sql_text(s, 1),
			     cal_store_sql_text(s, 2), cal_store_sql_text(s, 3),
			     cal_store_sql_text(s, 4));
		if (!e) {
			json_decref(doc);
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			break;
		}
		if (want_docs && im_needs_doc(cal_json_str(e, "focal_point_type")))
			json_object_set_new(e, "doc", doc);
		else
			json_decref(doc);
		json_array_append_new(entries, e);
	}
	cal_store_sql_reset(s);
	cal_buf_free(&needle);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ */
/* What if it goes down                                                */
/* ------------------------------------------------------------------ */

static const char *im_side_type(char *buf, size_t n, const char *lt, bool source)
{
	const char *dash = strchr(lt ? lt : "", '-');

	if (!dash) {
		buf[0] = '\0';
		return buf;
	}
	if (source)
		snprintf(buf, n, "%.*s", (int)(dash - lt), lt);
	else
		snprintf(buf, n, "%s", dash + 1);
	return buf;
}

/* Sets "loses_path" and "unreachable" on an instance or vservice entry. */
static int im_what_if(json_t *e, const char *id)
{
	json_t *doc = json_object_get(e, "doc"), *nodes, *links, *l, *lost;
	const char *focal = cal_json_str(e, "focal_point");
	size_t n, i, head = 0, tail = 0;
	uint8_t *type = NULL; /* 1 network, 2 host_pnic, 3 switch_pnic, 4 switch */
	bool *seen = NULL;
	bool has[5] = { false }, ok[5] = { false };
	size_t *queue = NULL, f = (size_t)-1, gone = (size_t)-1;
	int rc = 0;

	nodes = json_object_get(doc, "nodes");
	links = json_object_get(doc, "links");
	n = json_array_size(nodes);
	lost = json_array();
	type = calloc(n + 1, sizeof(*type));
	seen = calloc(n + 1, sizeof(*seen));
	queue = calloc(n + 1, sizeof(*queue));
	if (!lost || !type || !seen || !queue) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *m = json_string_value(json_array_get(nodes, i));

		if (m && strcmp(m, focal) == 0)
			f = i;
		if (m && strcmp(m, id) == 0)
			gone = i;
	}
	json_array_foreach(links, i, l) {
		size_t ends[2] = { (size_t)json_integer_value(json_array_get(l, 0)),
				   (size_t)json_integer_value(json_array_get(l, 1)) };
		const char *lt = json_string_value(json_array_get(l, 2));

		for (int k = 0; k < 2; k++) {
			char t[64];

			if (ends[k] >= n)
				continue;
			im_side_type(t, sizeof(t), lt, k == 0);
			if (strcmp(t, "network") == 0)
				type[ends[k]] = 1;
			else if (strcmp(t, "host_pnic") == 0)
				type[ends[k]] = 2;
			else if (strcmp(t, "switch_pnic") == 0)
				type[ends[k]] = 3;
			else if (strcmp(t, "switch") == 0)
				type[ends[k]] = 4;
		}
	}
	/* Breadth first from the focal point over the clique's links. */
	if (f != (size_t)-1 && f != gone) {
		seen[f] = true;
		queue[tail++] = f;
	}
	while (head < tail) {
		size_t u = queue[head++];

		json_array_foreach(links, i, l) {
			size_t a = (size_t)json_integer_value(json_array_get(l, 0));
			size_t b = (size_t)json_integer_value(json_array_get(l, 1));
			size_t v;

			if (a >= n || b >= n)
				continue;
			if (a == u)
				v = b;
			else if (b == u)
				v = a;
			else
				continue;
			if (v == gone || seen[v])
				continue;
			seen[v] = true;
			queue[tail++] = v;
		}
	}
	for (i = 0; i < n; i++) {
		has[type[i]] = true;
		ok[type[i]] |= seen[i];
		if (type[i] && !seen[i])
			json_array_append(lost, json_array_get(nodes, i));
	}
	{
		bool loses = f == (size_t)-1 || f == gone;

		for (i = 0; i < n && !loses; i++)
			if (type[i] == 1 && !seen[i])
				loses = true;
		for (int k = 2; k <= 4; k++)
			if (has[k] && !ok[k])
				loses = true;
		json_object_set_new(e, "loses_path", json_boolean(loses));
		json_object_set(e, "unreachable", lost);
	}
out:
	json_decref(lost);
	free(type);
	free(seen);
	free(queue);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Grouping                                                            */
/* ------------------------------------------------------------------ */

static void im_group_add(json_t *groups, const char *key, const char *focal)
{
	json_t *list = json_object_get(groups, key);

	if (!list) {
		list = json_array();
		json_object_set_new(groups, key, list);
	}
	json_array_append_new(list, json_string(focal));
}

static int im_cmp_entry(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(cal_json_str(x, "focal_point_type"), cal_json_str(y, "focal_point_type"));

	if (c)
		return c;
	c = strcmp(cal_json_str(x, "name"), cal_json_str(y, "name"));
	return c ? c : strcmp(cal_json_str(x, "focal_point"), cal_json_str(y, "focal_point"));
}

static void im_sort(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v;

	if (n < 2)
		return;
	v = malloc(n * sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), im_cmp_entry);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

int cal_impact(cal_store *st, json_t **out, const char *env, const char *object_id,
	       const struct cal_impact_opts *opts)
{
	struct cal_impact_opts none = { 0 };
	json_t *obj = NULL, *entries = NULL, *kept = NULL, *res = NULL, *lost = NULL;
	json_t *by_project, *by_host, *by_net, *by_sw, *notes, *e;
	int no_project = 0, rc;
	size_t i;

	*out = NULL;
	if (!opts)
		opts = &none;
	if (!env || !*env || !object_id || !*object_id)
		return cal_error_set(CAL_EINVALID, "impact needs an environment and an object id");
	rc = im_object(st, &obj, env, object_id, opts->at);
	if (rc)
		return rc;
	entries = json_array();
	kept = json_array();
	lost = json_array();
	if (!entries || !kept || !lost) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	rc = opts->at > 0 ? im_at(st, entries, env, object_id, opts->at, opts->what_if_down)
			  : im_live(st, entries, env, object_id, opts->what_if_down);
	if (rc)
		goto out;
	res = json_pack("{s:s, s:O, s:I, s:s?, s:i}", "environment", env, "object", obj, "at",
			(json_int_t)opts->at, "what_if", opts->what_if_down ? "down" : NULL,
			"cliques", (int)json_array_size(entries));
	by_project = json_object();
	by_host = json_object();
	by_net = json_object();
	by_sw = json_object();
	notes = json_array();
	if (!res || !by_project || !by_host || !by_net || !by_sw || !notes) {
		json_decref(by_project);
		json_decref(by_host);
		json_decref(by_net);
		json_decref(by_sw);
		json_decref(notes);
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	json_object_set_new(res, "by_project", by_project);
	json_object_set_new(res, "by_host", by_host);
	json_object_set_new(res, "by_network", by_net);
	json_object_set_new(res, "by_switch", by_sw);
	json_object_set_new(res, "notes", notes);
	json_array_foreach(entries, i, e) {
		if (opts->project && strcmp(cal_json_str(e, "project"), opts->project) != 0)
			continue;
		if (opts->what_if_down && json_object_get(e, "doc")) {
			rc = im_what_if(e, object_id);
			if (rc)
				goto out;
		}
		json_object_del(e, "doc");
		json_array_append(kept, e);
	}
	/* Groups and verdicts in the order of the list: type, then name. */
	im_sort(kept);
	json_array_foreach(kept, i, e) {
		const char *focal = cal_json_str(e, "focal_point");
		size_t k;
		json_t *v;

		if (json_is_true(json_object_get(e, "loses_path")))
			json_array_append_new(lost, json_string(focal));
		if (!*cal_json_str(e, "project") && im_needs_doc(cal_json_str(e, "focal_point_type")))
			no_project++;
		im_group_add(by_project, cal_json_str(e, "project"), focal);
		im_group_add(by_host, cal_json_str(e, "host"), focal);
		json_array_foreach(json_object_get(e, "networks"), k, v)
			im_group_add(by_net, json_string_value(v), focal);
		json_array_foreach(json_object_get(e, "switches"), k, v)
			im_group_add(by_sw, json_string_value(v), focal);
	}
	json_object_set(res, "affected", kept);
	if (opts->what_if_down)
		json_object_set(res, "lost", lost);
	if (no_project)
		json_array_append_new(notes, json_string("instances and services without a "
							 "project (no OpenStack discovery yet) are "
							 "grouped under \"\""));
	if (opts->at > 0 && json_array_size(entries))
		json_array_append_new(notes, json_string("at a past time the cliques valid then "
							 "are read"));
	*out = res;
	res = NULL;
out:
	json_decref(obj);
	json_decref(entries);
	json_decref(kept);
	json_decref(lost);
	json_decref(res);
	return rc;
}
