/* design.c - design baselines: what an environment is expected to be,
 * exported from a snapshot or written by hand, checked on import, and
 * matched against a concrete inventory (drift is `diff design:NAME live`).
 *
 * A design entry is a document whose string values are fnmatch(3)
 * patterns: "*" matches any value, a "*" key matches every field the entry
 * does not name (without it, an extra field is a difference), nested
 * objects match key by key and arrays element by element.  An entry whose
 * id is a pattern matches every object (or link) with such an id that no
 * exact entry claims, "$count" bounding how many ("N" or "N..M" or "N..",
 * default "1..").  Concrete objects no entry matches are unexpected.
 * Exports escape the glob characters of every value, so that an exported
 * design matches exactly what it was exported from.
 *
 * Trust: design files come from users: every structural problem is
 * CAL_EINVALID naming the file and the entry; values are only compared.
 */
#include "analyze/diff_int.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DSG_FORMAT 1

/* ------------------------------------------------------------------ */
/* Checking                                                            */
/* ------------------------------------------------------------------ */

static int dsg_err(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int dsg_err(const char *what, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cal_error_set(CAL_EINVALID, "design %s: %s", what, msg);
}

/* "$count": N, "N..M" or "N.." into [min, max] (max -1: unbounded). */
static int dsg_count(const json_t *v, long *min, long *max)
{
	const char *s, *dots;
	char *end;

	*min = 1;
	*max = -1;
	if (!v)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= INT_MAX) {
		*min = *max = (long)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	dots = strstr(s, "..");
	if (!dots || dots == s)
		return -1;
	*min = strtol(s, &end, 10);
	if (end != dots || *min < 0 || *min > INT_MAX)
		return -1;
	if (dots[2] == '\0')
		return 0;
	*max = strtol(dots + 2, &end, 10);
	if (*end || *max < *min || *max > INT_MAX)
		return -1;
	return 0;
}

/* The id an entry stands for: "id", or source|link_type|target for a
 * link given by its ends.  Borrowed or malloc'ed into *owned. */
static const char *dsg_entry_id(const json_t *e, char **owned)
{
	*owned = NULL;
	if (json_is_string(json_object_get(e, CAL_F_ID)))
		return json_string_value(json_object_get(e, CAL_F_ID));
	if (json_is_string(json_object_get(e, CAL_F_SOURCE_ID)) &&
	    json_is_string(json_object_get(e, CAL_F_LINK_TYPE)) &&
	    json_is_string(json_object_get(e, CAL_F_TARGET_ID)))
		*owned = cal_id_link(cal_json_str(e, CAL_F_SOURCE_ID),
				     cal_json_str(e, CAL_F_LINK_TYPE),
				     cal_json_str(e, CAL_F_TARGET_ID));
	return *owned;
}

static int dsg_check_entries(const json_t *arr, const char *section, const char *what,
			     bool links)
{
	json_t *seen = json_object(), *e;
	size_t i;
	int rc = 0;

	if (!seen)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (arr && !json_is_array(arr)) {
		json_decref(seen);
		return dsg_err(what, "'%s' must be a list", section);
	}
	json_array_foreach(arr, i, e) {
		const char *k, *id;
		char *owned;
		json_t *v;
		long mn, mx;

		if (!json_is_object(e)) {
			rc = dsg_err(what, "%s[%zu] is not a mapping", section, i);
			break;
		}
		id = dsg_entry_id(e, &owned);
		if (!id || !*id) {
			rc = dsg_err(what, "%s[%zu] has no '%s'%s", section, i, CAL_F_ID,
				     links ? " (nor source_id, link_type and target_id)" : "");
			free(owned);
			break;
		}
		if (json_object_get(seen, id)) {
			rc = dsg_err(what, "%s[%zu]: id '%s' is listed twice", section, i, id);
			free(owned);
			break;
		}
		json_object_set_new(seen, id, json_true());
		free(owned);
		json_object_foreach(e, k, v) {
			if (*k != '$')
				continue;
			if (strcmp(k, "$count") != 0) {
				rc = dsg_err(what, "%s[%zu]: unknown key '%s' (the only '$' key is "
					     "'$count')", section, i, k);
				break;
			}
			if (dsg_count(v, &mn, &mx)) {
				rc = dsg_err(what, "%s[%zu]: '$count' must be a number, \"N..M\" or "
					     "\"N..\"", section, i);
				break;
			}
		}
		if (rc)
			break;
		if (!links && json_object_get(e, CAL_F_TYPE)) {
			const json_t *t = json_object_get(e, CAL_F_TYPE);

			if (!json_is_string(t) ||
			    (!df_is_glob(json_string_value(t)) &&
			     cal_type_from_name(json_string_value(t)) == CAL_T_UNKNOWN)) {
				rc = dsg_err(what, "%s[%zu]: unknown object type %s%s%s", section, i,
					     json_is_string(t) ? "'" : "",
					     json_is_string(t) ? json_string_value(t) : "(not a string)",
					     json_is_string(t) ? "'" : "");
				break;
			}
		}
	}
	json_decref(seen);
	return rc;
}

static int dsg_check_cliques(const json_t *arr, const char *what)
{
	static const char *const keys[] = { "focal_point", "focal_point_type", "clique_type",
					    "health", "nodes", "links", "host", "project",
					    NULL };
	size_t i;
	json_t *e;

	if (arr && !json_is_array(arr))
		return dsg_err(what, "'cliques' must be a list");
	json_array_foreach(arr, i, e) {
		const char *k;
		json_t *v;

		if (!json_is_object(e))
			return dsg_err(what, "cliques[%zu] is not a mapping", i);
		if (!json_is_string(json_object_get(e, "focal_point")) ||
		    !*cal_json_str(e, "focal_point"))
			return dsg_err(what, "cliques[%zu] has no 'focal_point'", i);
		json_object_foreach(e, k, v) {
			bool known = false;

			for (int j = 0; keys[j]; j++)
				known = known || strcmp(keys[j], k) == 0;
			if (!known)
				return dsg_err(what, "cliques[%zu]: unknown key '%s'", i, k);
			if ((strcmp(k, "nodes") == 0 || strcmp(k, "links") == 0)) {
				size_t j;
				json_t *x;

				if (!json_is_array(v))
					return dsg_err(what, "cliques[%zu]: '%s' must be a list of "
						       "ids", i, k);
				json_array_foreach(v, j, x)
					if (!json_is_string(x))
						return dsg_err(what, "cliques[%zu]: %s[%zu] is not an "
							       "id", i, k, j);
			} else if (!json_is_string(v)) {
				return dsg_err(what, "cliques[%zu]: '%s' must be text", i, k);
			}
		}
	}
	return 0;
}

static int dsg_check(const json_t *d, const char *what)
{
	static const char *const keys[] = { "calipso_design", "environment", "description",
					    "scope", "taken_from", "objects", "links", "cliques",
					    NULL };
	const json_t *fmt;
	const char *k;
	json_t *v;
	int rc;

	if (!json_is_object(d))
		return dsg_err(what, "the document is not a mapping");
	fmt = json_object_get(d, "calipso_design");
	if (!fmt)
		return dsg_err(what, "missing 'calipso_design: %d' (is this a Calipso design?)",
			       DSG_FORMAT);
	if (!json_is_integer(fmt) || json_integer_value(fmt) != DSG_FORMAT)
		return dsg_err(what, "'calipso_design' must be %d (this calipso reads format %d)",
			       DSG_FORMAT, DSG_FORMAT);
	json_object_foreach((json_t *)d, k, v) {
		bool known = false;

		for (int j = 0; keys[j]; j++)
			known = known || strcmp(keys[j], k) == 0;
		if (!known)
			return dsg_err(what, "unknown key '%s'", k);
	}
	if (json_object_get(d, "scope")) {
		const char *s = cal_json_str(d, "scope");

		if (strcmp(s, "env") != 0 && strncmp(s, "clique:", 7) != 0)
			return dsg_err(what, "'scope' must be \"env\" or \"clique:<focal point>\"");
	}
	rc = dsg_check_entries(json_object_get(d, "objects"), "objects", what, false);
	if (rc == 0)
		rc = dsg_check_entries(json_object_get(d, "links"), "links", what, true);
	if (rc == 0)
		rc = dsg_check_cliques(json_object_get(d, "cliques"), what);
	return rc;
}

/* Link entries given by their ends get their id, so that they compare
 * like exported ones. */
static int dsg_link_ids(json_t *doc)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(doc, "links"), i, e) {
		char *owned;

		if (json_object_get(e, CAL_F_ID))
			continue;
		if (!dsg_entry_id(e, &owned) ||
		    json_object_set_new(e, CAL_F_ID, json_string(owned))) {
			free(owned);
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
		free(owned);
	}
	return 0;
}

int cal_design_parse(json_t **out, const char *text, size_t len, const char *what)
{
	json_t *doc = NULL;
	size_t i = 0;
	int rc;

	*out = NULL;
	what = what ? what : "input";
	if (!text)
		return dsg_err(what, "no text");
	if (memchr(text, '\0', len))
		return dsg_err(what, "holds a NUL byte (not a text file)");
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (i < len && text[i] == '{') {
		json_error_t err;

		doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
		if (!doc)
			return dsg_err(what, "invalid JSON at line %d, column %d: %s", err.line,
				       err.column, err.text);
	} else {
		rc = dsg_yaml_parse(&doc, text, len, what);
		if (rc)
			return rc;
	}
	rc = dsg_check(doc, what);
	if (rc == 0)
		rc = dsg_link_ids(doc);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

char *cal_design_yaml(const json_t *design)
{
	const json_t *from = json_object_get(design, "taken_from");
	char *comment, *text;

	comment = cal_strdup_printf("Calipso design of environment '%s'%s%s\n"
				    "String values are fnmatch patterns: \"*\" matches anything, "
				    "a \"*\" key any other field.\nSee docs/snapshots.md.",
				    cal_json_str(design, "environment"), from ? ", from " : "",
				    from ? cal_json_str(from, "ref") : "");
	if (!comment) {
		cal_error_set(CAL_ENOMEM, "out of memory");
		return NULL;
	}
	text = dsg_yaml_emit(design, comment);
	free(comment);
	return text;
}

/* ------------------------------------------------------------------ */
/* Matching                                                            */
/* ------------------------------------------------------------------ */

static bool dsg_glob(const char *pattern, const char *text)
{
	return fnmatch(pattern, text ? text : "", 0) == 0;
}

/* An entry applies to a document when its id (and type and host, when
 * the entry gives them as text) match. */
static bool dsg_applies(const json_t *entry, const char *entry_id, const json_t *doc)
{
	static const char *const keys[] = { CAL_F_TYPE, CAL_F_HOST, CAL_F_LINK_TYPE, NULL };

	if (!dsg_glob(entry_id, cal_json_str(doc, CAL_F_ID)))
		return false;
	for (int k = 0; keys[k]; k++) {
		const json_t *p = json_object_get(entry, keys[k]);

		if (json_is_string(p) && !df_pattern_match(p, json_object_get(doc, keys[k])))
			return false;
	}
	return true;
}

static int dsg_put(json_t *map, const char *key, const json_t *before, const json_t *after,
		   json_t *fields)
{
	json_t *e = json_pack("{s:O, s:O}", "before", before ? before : json_null(), "after",
			      after ? after : json_null());

	if (!e) {
		json_decref(fields);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	if (fields)
		json_object_set_new(e, "fields", fields);
	if (json_object_set_new(map, key, e))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

struct dsg_glob_entry {
	const json_t *entry;
	char *id;
	long count;
};

/* One section (objects or links) of a design against concrete documents. */
static int dsg_section(json_t *map, const json_t *entries, const json_t *docs, bool links,
		       dsg_scope_fn in_scope, void *arg)
{
	struct dsg_glob_entry *globs = NULL;
	size_t nglobs = 0, i;
	json_t *byid = json_object(), *claimed = json_object(), *e, *d;
	int rc = 0;

	globs = calloc(json_array_size(entries) + 1, sizeof(*globs));
	if (!byid || !claimed || !globs) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(docs, i, d)
		if (!in_scope || in_scope(d, links, arg))
			json_object_set(byid, cal_json_str(d, CAL_F_ID), d);
	/* Exact entries first: they claim their document whatever the order. */
	json_array_foreach(entries, i, e) {
		char *owned;
		const char *id = dsg_entry_id(e, &owned);
		json_t *actual, *fields;

		if (!id) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			goto out;
		}
		if (df_is_glob(id)) {
			globs[nglobs].entry = e;
			globs[nglobs].id = owned ? owned : strdup(id);
			if (!globs[nglobs++].id) {
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
				goto out;
			}
			continue;
		}
		actual = json_object_get(byid, id);
		if (!actual) {
			if (!in_scope || in_scope(e, links, arg))
				rc = dsg_put(map, id, e, NULL, NULL);
			free(owned);
			if (rc)
				goto out;
			continue;
		}
		json_object_set_new(claimed, id, json_true());
		fields = json_array();
		rc = fields ? df_fields(fields, links ? NULL : cal_json_str(actual, CAL_F_TYPE), e,
					actual, DF_PATTERN)
			    : cal_error_set(CAL_ENOMEM, "out of memory");
		if (rc == 0 && json_array_size(fields))
			rc = dsg_put(map, id, e, actual, fields);
		else
			json_decref(fields);
		free(owned);
		if (rc)
			goto out;
	}
	json_array_foreach(docs, i, d) {
		const char *id = cal_json_str(d, CAL_F_ID);
		struct dsg_glob_entry *g = NULL;
		json_t *fields;

		if (json_object_get(claimed, id) || !json_object_get(byid, id))
			continue;
		for (size_t k = 0; k < nglobs && !g; k++)
			if (dsg_applies(globs[k].entry, globs[k].id, d))
				g = &globs[k];
		if (!g) {
			rc = dsg_put(map, id, NULL, d, NULL);
			if (rc)
				goto out;
			continue;
		}
		g->count++;
		fields = json_array();
		rc = fields ? df_fields(fields, links ? NULL : cal_json_str(d, CAL_F_TYPE),
					g->entry, d, DF_PATTERN)
			    : cal_error_set(CAL_ENOMEM, "out of memory");
		if (rc == 0 && json_array_size(fields))
			rc = dsg_put(map, id, g->entry, d, fields);
		else
			json_decref(fields);
		if (rc)
			goto out;
	}
	for (size_t k = 0; k < nglobs; k++) {
		long mn, mx;
		json_t *after, *fields;

		dsg_count(json_object_get(globs[k].entry, "$count"), &mn, &mx);
		if (globs[k].count >= mn && (mx < 0 || globs[k].count <= mx))
			continue;
		if (in_scope && !in_scope(globs[k].entry, links, arg))
			continue;
		if (globs[k].count == 0) {
			rc = dsg_put(map, globs[k].id, globs[k].entry, NULL, NULL);
		} else {
			json_t *want = json_object_get(globs[k].entry, "$count");

			want = want ? json_incref(want) : json_string("1..");
			after = json_pack("{s:s, s:I}", CAL_F_ID, globs[k].id, "$count",
					  (json_int_t)globs[k].count);
			fields = want ? json_pack("[{s:s, s:o, s:I}]", "field", "$count", "before", want,
						  "after", (json_int_t)globs[k].count)
				      : NULL;
			if (after && fields) {
				rc = dsg_put(map, globs[k].id, globs[k].entry, after, fields);
			} else {
				json_decref(fields);
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
			}
			json_decref(after);
		}
		if (rc)
			goto out;
	}
out:
	for (size_t k = 0; globs && k < nglobs; k++)
		free(globs[k].id);
	free(globs);
	json_decref(byid);
	json_decref(claimed);
	return rc;
}

int dsg_compare(json_t **out, const json_t *design, const json_t *objects, const json_t *links,
		dsg_scope_fn in_scope, void *arg)
{
	json_t *o = json_object(), *l = json_object();
	int rc;

	*out = NULL;
	if (!o || !l) {
		json_decref(o);
		json_decref(l);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	rc = dsg_section(o, json_object_get(design, "objects"), objects, false, in_scope, arg);
	if (rc == 0)
		rc = dsg_section(l, json_object_get(design, "links"), links, true, in_scope, arg);
	if (rc) {
		json_decref(o);
		json_decref(l);
		return rc;
	}
	*out = json_pack("{s:o, s:o}", "objects", o, "links", l);
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------ */
/* Export                                                              */
/* ------------------------------------------------------------------ */

/* A copy of `v` with fnmatch's special characters in every string
 * escaped, so that the value matches only itself. */
static json_t *dsg_escape(const json_t *v)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = strlen(s), extra = 0;
		char *buf, *p;
		json_t *r;

		if (!df_is_glob(s))
			return json_incref((json_t *)v);
		for (size_t i = 0; i < n; i++)
			extra += strchr("*?[\\", s[i]) != NULL;
		buf = malloc(n + extra + 1);
		if (!buf)
			return NULL;
		p = buf;
		for (size_t i = 0; i < n; i++) {
			if (strchr("*?[\\", s[i]))
				*p++ = '\\';
			*p++ = s[i];
		}
		*p = '\0';
		r = json_string(buf);
		free(buf);
		return r;
	}
	if (json_is_object(v)) {
		json_t *r = json_object();
		const char *k;
		json_t *x;

		json_object_foreach((json_t *)v, k, x) {
			json_t *e = dsg_escape(x);

			if (!e || !r || json_object_set_new(r, k, e)) {
				json_decref(r);
				return NULL;
			}
		}
		return r;
	}
	if (json_is_array(v)) {
		json_t *r = json_array();
		size_t i;
		json_t *x;

		json_array_foreach(v, i, x) {
			json_t *e = dsg_escape(x);

			if (!e || !r || json_array_append_new(r, e)) {
				json_decref(r);
				return NULL;
			}
		}
		return r;
	}
	return json_incref((json_t *)v);
}

/* Stable fields only (the volatile ones are never part of a design),
 * escaped; appended to `arr`. */
static int dsg_add_entry(json_t *arr, const json_t *doc)
{
	json_t *stable = cal_object_stable(doc, NULL), *e;

	e = stable ? dsg_escape(stable) : NULL;
	json_decref(stable);
	if (!e || json_array_append_new(arr, e))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

static int dsg_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int dsg_doc_cmp(const void *a, const void *b)
{
	return strcmp(cal_json_str(*(json_t *const *)a, CAL_F_ID),
		      cal_json_str(*(json_t *const *)b, CAL_F_ID));
}

/* Sorts documents by id, for a stable file. */
static int dsg_sort_by_id(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), dsg_doc_cmp);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
	return 0;
}

static bool dsg_in_ids(const json_t *ids, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(ids, i, v)
		if (strcmp(json_string_value(v), id) == 0)
			return true;
	return false;
}

/* The entries of `docs` appended to `arr`; with `only`, those whose ids
 * its list `key` holds. */
static int dsg_add_entries(json_t *arr, const json_t *docs, const json_t *only, const char *key)
{
	size_t i;
	json_t *v;
	int rc;

	json_array_foreach(docs, i, v) {
		if (only && !dsg_in_ids(json_object_get(only, key), cal_json_str(v, CAL_F_ID)))
			continue;
		rc = dsg_add_entry(arr, v);
		if (rc)
			return rc;
	}
	return 0;
}

int cal_design_export(cal_store *st, json_t **out, const char *env, const char *from)
{
	struct df_ref ref = { 0 };
	struct cal_query q = { .env = env };
	json_t *objects = NULL, *links = NULL, *fids = NULL, *d = NULL;
	json_t *eo = json_array(), *el = json_array(), *ec = json_array();
	json_t *only = NULL; /* a clique-scoped snapshot: its clique */
	size_t i;
	json_t *v;
	int rc;

	*out = NULL;
	if (!eo || !el || !ec) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	rc = df_ref_resolve(st, &ref, env, from, false);
	if (rc)
		goto out;
	q.at = ref.at;
	if (ref.clique) {
		json_t *one;

		rc = df_clique_summary(st, &only, env, ref.clique, ref.at);
		if (rc == 0 && json_is_null(only))
			rc = cal_error_set(CAL_EINVALID, "'%s' has no clique of focal point '%s' to "
					   "export", from, ref.clique);
		if (rc)
			goto out;
		one = json_deep_copy(only);
		fids = one ? json_pack("{s:o}", ref.clique, one) : NULL;
		if (!fids) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			goto out;
		}
		/* Only its members are read, not the inventory. */
		{
			json_t *nset = json_object(), *lset = json_object();

			json_array_foreach(json_object_get(only, "nodes"), i, v)
				json_object_set_new(nset, json_string_value(v), json_true());
			json_array_foreach(json_object_get(only, "links"), i, v)
				json_object_set_new(lset, json_string_value(v), json_true());
			rc = nset && lset ? df_docs_of(st, &objects, &links, env, ref.at, nset, lset)
					  : cal_error_set(CAL_ENOMEM, "out of memory");
			json_decref(nset);
			json_decref(lset);
			if (rc == 0)
				rc = dsg_sort_by_id(objects);
			if (rc == 0)
				rc = dsg_sort_by_id(links);
			if (rc)
				goto out;
		}
	} else {
		rc = df_clique_summaries(st, &fids, env, ref.at);
		if (rc == 0)
			rc = cal_store_objects(st, &objects, &q);
		if (rc == 0)
			rc = cal_store_links(st, &links, &q, NULL);
		if (rc)
			goto out;
	}
	rc = dsg_add_entries(eo, objects, only, "nodes");
	if (rc == 0)
		rc = dsg_add_entries(el, links, only, "links");
	if (rc)
		goto out;
	{
		/* Cliques in focal point order, for a stable file. */
		size_t n = json_object_size(fids), k = 0;
		const char **keys = calloc(n ? n : 1, sizeof(*keys));
		const char *key;

		if (!keys) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			goto out;
		}
		json_object_foreach(fids, key, v)
			keys[k++] = key;
		qsort(keys, n, sizeof(*keys), dsg_key_cmp);
		for (k = 0; k < n; k++) {
			json_t *c = json_deep_copy(json_object_get(fids, keys[k])), *e;

			if (c) {
				json_object_del(c, "host");
				json_object_del(c, "project");
			}
			e = c ? dsg_escape(c) : NULL;
			json_decref(c);
			if (!e || json_array_append_new(ec, e)) {
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
				break;
			}
		}
		free(keys);
		if (rc)
			goto out;
	}
	d = json_pack("{s:i, s:s, s:s, s:o, s:O, s:O, s:O}", "calipso_design", DSG_FORMAT,
		      "environment", env, "scope", "env", "taken_from", df_ref_json(&ref),
		      "objects", eo, "links", el, "cliques", ec);
	if (d && ref.clique) {
		char *scope = cal_strdup_printf("clique:%s", ref.clique);

		if (!scope || json_object_set_new(d, "scope", json_string(scope))) {
			json_decref(d);
			d = NULL;
		}
		free(scope);
	}
	if (!d) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	*out = d;
out:
	df_ref_fini(&ref);
	json_decref(objects);
	json_decref(links);
	json_decref(fids);
	json_decref(only);
	json_decref(eo);
	json_decref(el);
	json_decref(ec);
	return rc;
}

/* Stores design `doc` (taken) as `name` with its `origin` (malloc'ed,
 * taken; NULL when it could not be made) and gives the stored record. */
static int dsg_save(cal_store *st, json_t **out, const char *env, const char *name, json_t *doc,
		    char *origin, bool replace)
{
	int rc = origin ? cal_store_design_put(st, env, name, doc, origin, replace)
			: cal_error_set(CAL_ENOMEM, "out of memory");

	if (rc == 0 && out)
		rc = cal_store_design_get(st, out, env, name);
	free(origin);
	json_decref(doc);
	return rc;
}

int cal_design_import(cal_store *st, json_t **out, const char *env, const char *name,
		      const char *text, size_t len, const char *what, bool replace)
{
	json_t *doc = NULL;
	char *origin;
	int rc;

	if (out)
		*out = NULL;
	rc = cal_design_parse(&doc, text, len, what);
	if (rc)
		return rc;
	origin = cal_strdup_printf("file %s", what ? what : "(input)");
	return dsg_save(st, out, env, name, doc, origin, replace);
}

int cal_design_set(cal_store *st, json_t **out, const char *env, const char *name,
		   const char *from, bool replace)
{
	json_t *doc = NULL;
	char *origin;
	int rc;

	if (out)
		*out = NULL;
	rc = cal_design_export(st, &doc, env, from);
	if (rc)
		return rc;
	origin = cal_strdup_printf("%s", cal_json_str(json_object_get(doc, "taken_from"), "ref"));
	return dsg_save(st, out, env, name, doc, origin, replace);
}
