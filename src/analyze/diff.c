/* diff.c - one diff engine for any two of: the live inventory, a
 * snapshot, a time, a design (DESIGN.md "Time").
 *
 * Between two times (live and snapshots are times too) the entries come
 * from cal_store_changes(): only the revisions that began or ended in
 * between are read.  Against a design, the concrete side is read whole
 * (within a host scope, by host) and matched with the design's patterns
 * (design.c).  Either way the result is a map id -> {before, after}
 * oriented A -> B, filtered by the scope, then turned into added, removed
 * and changed (field by field, volatile fields ignored) objects and links,
 * and the cliques whose membership or health differ.
 *
 * Scopes: env (everything), host:H (objects and links of host H),
 * project:P (objects whose project or project_id is P, the vnics of its
 * instances, and links touching them), clique:FOCAL (the objects and links
 * of that focal point's clique on either side).
 *
 * Trust: references and scopes come from users (CLI, REST) and are
 * checked with messages that quote them; documents come from the store.
 */
#include "analyze/diff_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* References                                                          */
/* ------------------------------------------------------------------ */

static int df_bad_ref(const char *env, const char *text, const char *why)
{
	char *esc = cal_str_escape(text ? text : "");
	int rc = cal_error_set(CAL_EINVALID, "'%s' %s", esc ? esc : "?", why);

	(void)env;
	free(esc);
	return rc;
}

int df_ref_resolve(cal_store *st, struct df_ref *out, const char *env, const char *text,
		   bool allow_design)
{
	const char *name = NULL;
	json_t *rec = NULL;
	int64_t at;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!env || !*env)
		return cal_error_set(CAL_EINVALID, "no environment given");
	rc = cal_store_newest_time(st, &at, env);
	if (rc)
		return rc;
	if (at == 0)
		return cal_error_set(CAL_EINVALID, "environment '%s' has no inventory (it was "
				     "never scanned: `calipso --env %s scan`)", env, env);
	if (!text || !*text)
		return cal_error_set(CAL_EINVALID, "empty reference: use live, a snapshot name, "
				     "a time or design:NAME");
	out->text = strdup(text);
	if (!out->text)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (strcmp(text, "live") == 0) {
		out->kind = DF_REF_LIVE;
		return 0;
	}
	if (strncmp(text, "design:", 7) == 0) {
		if (!allow_design)
			return df_bad_ref(env, text, "is a design; a snapshot, a time or live is "
					  "needed here");
		rc = cal_store_design_get(st, &rec, env, text + 7);
		if (rc == CAL_ENOTFOUND)
			return cal_error_set(CAL_EINVALID, "unknown design '%s' in environment '%s' "
					     "(`calipso design list` shows them)", text + 7, env);
		if (rc)
			return rc;
		out->kind = DF_REF_DESIGN;
		out->record = rec;
		if (strncmp(cal_json_str(json_object_get(rec, "doc"), "scope"), "clique:", 7) == 0)
			out->clique = cal_json_str(json_object_get(rec, "doc"), "scope") + 7;
		return 0;
	}
	if (strncmp(text, "snapshot:", 9) == 0)
		name = text + 9;
	rc = cal_store_snapshot_get(st, &rec, env, name ? name : text);
	if (rc == 0) {
		out->kind = DF_REF_SNAPSHOT;
		out->record = rec;
		out->at = json_integer_value(json_object_get(rec, "time_us"));
		if (json_is_string(json_object_get(rec, "clique")))
			out->clique = json_string_value(json_object_get(rec, "clique"));
		return 0;
	}
	if (rc != CAL_ENOTFOUND)
		return rc;
	if (name) {
		char *esc = cal_str_escape(name);

		rc = cal_error_set(CAL_EINVALID, "unknown snapshot '%s' in environment '%s' "
				   "(`calipso snapshot list` shows them)", esc ? esc : "?", env);
		free(esc);
		return rc;
	}
	if (cal_time_parse(&at, text) != 0) {
		char *esc = cal_str_escape(text);

		rc = cal_error_set(CAL_EINVALID, "'%s' is not live, a snapshot of environment "
				   "'%s', design:NAME, nor a time (2026-11-22T08:00:00Z, "
				   "2026-11-22, -7d, @1795334400)", esc ? esc : "?", env);
		free(esc);
		return rc;
	}
	rc = cal_store_time_check(st, env, at);
	if (rc) {
		char *esc = cal_str_escape(text);

		cal_error_prefix(rc, "'%s'", esc ? esc : "?");
		free(esc);
		return rc;
	}
	out->kind = DF_REF_TIME;
	out->at = at;
	return 0;
}

void df_ref_fini(struct df_ref *r)
{
	if (!r)
		return;
	free(r->text);
	json_decref(r->record);
	memset(r, 0, sizeof(*r));
}

json_t *df_ref_json(const struct df_ref *r)
{
	static const char *const kinds[] = { "live", "snapshot", "time", "design" };
	char buf[CAL_TIME_BUFSZ];
	json_t *j = json_pack("{s:s, s:s}", "ref", r->text ? r->text : "", "kind", kinds[r->kind]);

	if (!j)
		return NULL;
	if (r->kind == DF_REF_SNAPSHOT || r->kind == DF_REF_DESIGN)
		json_object_set(j, "name", json_object_get(r->record, "name"));
	if (r->kind == DF_REF_SNAPSHOT || r->kind == DF_REF_TIME)
		json_object_set_new(j, "time", json_string(cal_time_format(buf, r->at)));
	else
		json_object_set_new(j, "time", json_null());
	return j;
}

int cal_ref_time(cal_store *st, int64_t *out, json_t **desc, const char *env, const char *ref)
{
	struct df_ref r;
	int rc;

	*out = 0;
	if (desc)
		*desc = NULL;
	rc = df_ref_resolve(st, &r, env, ref ? ref : "live", false);
	if (rc == 0) {
		*out = r.at;
		if (desc) {
			*desc = df_ref_json(&r);
			if (!*desc)
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
		}
	}
	df_ref_fini(&r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Scope                                                               */
/* ------------------------------------------------------------------ */

enum df_scope_kind { SC_ENV, SC_HOST, SC_PROJECT, SC_CLIQUE };

struct df_scope {
	enum df_scope_kind kind;
	const char *value;
	char *text;
	json_t *objects; /* SC_PROJECT, SC_CLIQUE: id -> true */
	json_t *links;   /* SC_CLIQUE: link id -> true */
};

static int df_scope_parse(struct df_scope *sc, const char *text)
{
	static const struct {
		const char *prefix;
		enum df_scope_kind kind;
	} kinds[] = { { "host:", SC_HOST }, { "project:", SC_PROJECT }, { "clique:", SC_CLIQUE } };

	memset(sc, 0, sizeof(*sc));
	sc->objects = json_object();
	sc->links = json_object();
	sc->text = strdup(text ? text : "env");
	if (!sc->objects || !sc->links || !sc->text)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (!text || strcmp(text, "env") == 0) {
		sc->kind = SC_ENV;
		return 0;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].prefix);

		if (strncmp(text, kinds[i].prefix, n) == 0 && text[n]) {
			sc->kind = kinds[i].kind;
			sc->value = sc->text + n;
			return 0;
		}
	}
	{
		char *esc = cal_str_escape(text);
		int rc = cal_error_set(CAL_EINVALID, "unknown scope '%s': use env, host:HOST, "
				       "project:PROJECT or clique:FOCAL_POINT_ID", esc ? esc : "?");

		free(esc);
		return rc;
	}
}

static void df_scope_fini(struct df_scope *sc)
{
	free(sc->text);
	json_decref(sc->objects);
	json_decref(sc->links);
	memset(sc, 0, sizeof(*sc));
}

static bool df_project_of(const json_t *doc, const char *p)
{
	return strcmp(cal_json_str(doc, "project_id"), p) == 0 ||
	       strcmp(cal_json_str(doc, "project"), p) == 0;
}

static bool df_in_scope(const json_t *doc, bool is_link, void *arg)
{
	const struct df_scope *sc = arg;
	const char *id;

	if (!json_is_object(doc))
		return false;
	id = cal_json_str(doc, CAL_F_ID);
	switch (sc->kind) {
	case SC_ENV:
		return true;
	case SC_HOST:
		return strcmp(cal_json_str(doc, CAL_F_HOST), sc->value) == 0;
	case SC_PROJECT:
		if (is_link)
			return json_object_get(sc->objects, cal_json_str(doc, CAL_F_SOURCE_ID)) ||
			       json_object_get(sc->objects, cal_json_str(doc, CAL_F_TARGET_ID));
		return json_object_get(sc->objects, id) || df_project_of(doc, sc->value);
	case SC_CLIQUE:
		return json_object_get(is_link ? sc->links : sc->objects, id) != NULL;
	}
	return false;
}

static int df_scope_add_ids(json_t *set, const json_t *ids)
{
	size_t i;
	json_t *v;

	json_array_foreach(ids, i, v)
		if (json_is_string(v) && json_object_set_new(set, json_string_value(v), json_true()))
			return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

/* A clique scope's members: the clique on both sides. */
static int df_scope_clique(struct df_scope *sc, const json_t *ca, const json_t *cb)
{
	int rc = 0;

	if (json_object_set_new(sc->objects, sc->value, json_true()))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (json_is_object(ca))
		rc = df_scope_add_ids(sc->objects, json_object_get(ca, "nodes"));
	if (rc == 0 && json_is_object(ca))
		rc = df_scope_add_ids(sc->links, json_object_get(ca, "links"));
	if (rc == 0 && json_is_object(cb))
		rc = df_scope_add_ids(sc->objects, json_object_get(cb, "nodes"));
	if (rc == 0 && json_is_object(cb))
		rc = df_scope_add_ids(sc->links, json_object_get(cb, "links"));
	return rc;
}

/* A project scope's members among changed objects: objects of the
 * project, and vnics whose instance is (looked up at `at` when the
 * instance itself did not change). */
static int df_scope_project(cal_store *st, struct df_scope *sc, const char *env,
			    const json_t *objects, int64_t ta, int64_t tb)
{
	const char *id;
	json_t *e;

	json_object_foreach((json_t *)objects, id, e) {
		const json_t *sides[2] = { json_object_get(e, "before"), json_object_get(e, "after") };

		for (int s = 0; s < 2; s++)
			if (json_is_object(sides[s]) && df_project_of(sides[s], sc->value))
				json_object_set_new(sc->objects, id, json_true());
	}
	json_object_foreach((json_t *)objects, id, e) {
		const json_t *sides[2] = { json_object_get(e, "before"), json_object_get(e, "after") };
		int64_t at[2] = { ta, tb };

		for (int s = 0; s < 2; s++) {
			const char *inst;
			json_t *doc = NULL;
			int rc;

			if (!json_is_object(sides[s]))
				continue;
			inst = cal_json_str(sides[s], "instance_id");
			if (!*inst || json_object_get(sc->objects, id))
				continue;
			if (json_object_get(sc->objects, inst)) {
				json_object_set_new(sc->objects, id, json_true());
				continue;
			}
			rc = cal_store_object_get(st, &doc, env, inst, at[s]);
			if (rc == CAL_ENOTFOUND) {
				cal_error_clear();
				continue;
			}
			if (rc)
				return rc;
			if (df_project_of(doc, sc->value)) {
				json_object_set_new(sc->objects, inst, json_true());
				json_object_set_new(sc->objects, id, json_true());
			}
			json_decref(doc);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

static json_t *df_object_brief(const char *key, const json_t *doc)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "id", key, "type", cal_json_str(doc, CAL_F_TYPE),
			 "name", cal_json_str(doc, CAL_F_NAME), "host", cal_json_str(doc, CAL_F_HOST));
}

static json_t *df_link_brief(const char *key, const json_t *doc)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", key,
			 "link_type", cal_json_str(doc, CAL_F_LINK_TYPE),
			 "source_id", cal_json_str(doc, CAL_F_SOURCE_ID),
			 "target_id", cal_json_str(doc, CAL_F_TARGET_ID),
			 "link_name", cal_json_str(doc, CAL_F_LINK_NAME),
			 "state", cal_json_str(doc, CAL_F_STATE),
			 "host", cal_json_str(doc, CAL_F_HOST));
}

static int df_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Entries of one table (id -> {before, after, fields?}) into
 * {"added", "removed", "changed"}, sorted by id, with field differences
 * computed for changed ones that have none yet. */
static int df_section(json_t **out, const json_t *entries, bool links)
{
	size_t n = json_object_size(entries), k = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	json_t *added = json_array(), *removed = json_array(), *changed = json_array();
	const char *key;
	json_t *e;
	int rc = 0;

	*out = NULL;
	if (!keys || !added || !removed || !changed) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	json_object_foreach((json_t *)entries, key, e)
		keys[k++] = key;
	qsort(keys, n, sizeof(*keys), df_key_cmp);
	for (k = 0; k < n && rc == 0; k++) {
		json_t *ent = json_object_get(entries, keys[k]);
		json_t *before = json_object_get(ent, "before"), *after = json_object_get(ent, "after");
		const json_t *doc = json_is_object(after) ? after : before;
		json_t *brief = links ? df_link_brief(keys[k], doc) : df_object_brief(keys[k], doc);
		json_t *fields;

		if (!brief) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			break;
		}
		if (!json_is_object(before)) {
			rc = json_array_append_new(added, brief);
			continue;
		}
		if (!json_is_object(after)) {
			rc = json_array_append_new(removed, brief);
			continue;
		}
		fields = json_object_get(ent, "fields");
		if (fields) {
			json_incref(fields);
		} else {
			fields = json_array();
			if (!fields || df_fields(fields, links ? NULL : cal_json_str(after, CAL_F_TYPE),
						 before, after, DF_EXACT)) {
				json_decref(fields);
				json_decref(brief);
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
				break;
			}
		}
		if (json_array_size(fields) == 0) {
			/* Volatile fields only: no difference. */
			json_decref(fields);
			json_decref(brief);
			continue;
		}
		json_object_set_new(brief, "fields", fields);
		rc = json_array_append_new(changed, brief);
	}
	if (rc == 0)
		*out = json_pack("{s:O, s:O, s:O}", "added", added, "removed", removed, "changed",
				 changed);
	if (rc == 0 && !*out)
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	else if (rc > 0)
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
out:
	free(keys);
	json_decref(added);
	json_decref(removed);
	json_decref(changed);
	return rc;
}

/* Entries of ids whose concrete documents differ between maps a and b
 * (id -> doc). */
static int df_pair_maps(json_t **out, const json_t *a, const json_t *b)
{
	json_t *m = json_object();
	const char *id;
	json_t *d;

	*out = NULL;
	if (!m)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	json_object_foreach((json_t *)a, id, d) {
		json_t *other = json_object_get(b, id);

		if (other && json_equal(d, other))
			continue;
		if (json_object_set_new(m, id, json_pack("{s:O, s:O}", "before", d, "after",
							 other ? other : json_null()))) {
			json_decref(m);
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
	}
	json_object_foreach((json_t *)b, id, d) {
		if (json_object_get(a, id))
			continue;
		if (json_object_set_new(m, id, json_pack("{s:n, s:O}", "before", "after", d))) {
			json_decref(m);
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
	}
	*out = m;
	return 0;
}

/* id -> entry of a design section (patterns compared as text). */
static json_t *df_design_map(const json_t *design, const char *section)
{
	json_t *m = json_object(), *e;
	size_t i;

	json_array_foreach(json_object_get(design, section), i, e)
		if (m)
			json_object_set(m, cal_json_str(e, CAL_F_ID), e);
	return m;
}

/* Swaps before and after (and the fields' sides) of every entry. */
static void df_flip(json_t *entries)
{
	const char *id;
	json_t *e;

	json_object_foreach(entries, id, e) {
		json_t *b = json_incref(json_object_get(e, "before"));
		json_t *a = json_incref(json_object_get(e, "after"));
		json_t *fields = json_object_get(e, "fields"), *f;
		size_t i;

		json_object_set_new(e, "before", a);
		json_object_set_new(e, "after", b);
		json_array_foreach(fields, i, f) {
			json_t *fb = json_incref(json_object_get(f, "before"));
			json_t *fa = json_incref(json_object_get(f, "after"));
			json_t *ad = json_incref(json_object_get(f, "added"));
			json_t *rm = json_incref(json_object_get(f, "removed"));

			json_object_set_new(f, "before", fa);
			json_object_set_new(f, "after", fb);
			if (ad && rm) {
				json_object_set_new(f, "added", rm);
				json_object_set_new(f, "removed", ad);
			} else {
				json_decref(ad);
				json_decref(rm);
			}
		}
	}
}

/* Drops entries out of scope. */
static void df_filter(json_t *entries, bool links, const struct df_scope *sc)
{
	void *it = json_object_iter(entries);

	if (sc->kind == SC_ENV)
		return;
	while (it) {
		json_t *e = json_object_iter_value(it);
		const char *id = json_object_iter_key(it);

		it = json_object_iter_next(entries, it);
		if (!df_in_scope(json_object_get(e, "before"), links, (void *)sc) &&
		    !df_in_scope(json_object_get(e, "after"), links, (void *)sc))
			json_object_del(entries, id);
	}
}

/* ------------------------------------------------------------------ */
/* Cliques                                                             */
/* ------------------------------------------------------------------ */

/* Set difference of id lists; pattern lists (a design's) match by glob. */
static json_t *df_ids_minus(const json_t *a, const json_t *b, bool b_patterns)
{
	json_t *r = json_array();
	size_t i, j;
	json_t *x, *y;

	json_array_foreach(a, i, x) {
		bool found = false;

		json_array_foreach(b, j, y) {
			found = b_patterns ? df_pattern_match(y, x) : json_equal(x, y);
			if (found)
				break;
		}
		if (!found && r)
			json_array_append(r, x);
	}
	return r;
}

/* Patterns of `pats` that match nothing in `ids`. */
static json_t *df_patterns_unmatched(const json_t *pats, const json_t *ids)
{
	json_t *r = json_array();
	size_t i, j;
	json_t *p, *x;

	json_array_foreach(pats, i, p) {
		bool found = false;

		json_array_foreach(ids, j, x) {
			found = df_pattern_match(p, x);
			if (found)
				break;
		}
		if (!found && r)
			json_array_append(r, p);
	}
	return r;
}

/* One clique's difference between summaries a and b (either may be JSON
 * null; `a_design` when a is a design entry), or NULL when equal.  *err
 * is set on allocation failure. */
static json_t *df_clique_entry(const char *focal, const json_t *a, const json_t *b, bool a_design,
			       bool *err)
{
	json_t *e, *na, *nr, *la, *lr;
	const char *change;
	bool health_same;

	*err = false;
	if (!json_is_object(a) && !json_is_object(b))
		return NULL;
	change = !json_is_object(a) ? "added" : !json_is_object(b) ? "removed" : "changed";
	if (a_design && json_is_object(a) && json_is_object(b)) {
		const json_t *h = json_object_get(a, "health");

		health_same = !h || df_pattern_match(h, json_object_get(b, "health"));
		na = df_ids_minus(json_object_get(b, "nodes"), json_object_get(a, "nodes"), true);
		nr = df_patterns_unmatched(json_object_get(a, "nodes"), json_object_get(b, "nodes"));
		la = df_ids_minus(json_object_get(b, "links"), json_object_get(a, "links"), true);
		lr = df_patterns_unmatched(json_object_get(a, "links"), json_object_get(b, "links"));
		if (!json_object_get(a, "nodes")) {
			json_array_clear(na);
			json_array_clear(nr);
		}
		if (!json_object_get(a, "links")) {
			json_array_clear(la);
			json_array_clear(lr);
		}
	} else {
		health_same = json_is_object(a) && json_is_object(b) &&
			      strcmp(cal_json_str(a, "health"), cal_json_str(b, "health")) == 0;
		na = df_ids_minus(json_object_get(b, "nodes"), json_object_get(a, "nodes"), false);
		nr = df_ids_minus(json_object_get(a, "nodes"), json_object_get(b, "nodes"), false);
		la = df_ids_minus(json_object_get(b, "links"), json_object_get(a, "links"), false);
		lr = df_ids_minus(json_object_get(a, "links"), json_object_get(b, "links"), false);
	}
	if (!na || !nr || !la || !lr) {
		*err = true;
		e = NULL;
	} else if (strcmp(change, "changed") == 0 && health_same && !json_array_size(na) &&
		   !json_array_size(nr) && !json_array_size(la) && !json_array_size(lr)) {
		e = NULL;
	} else {
		const json_t *doc = json_is_object(b) ? b : a;

		e = json_pack("{s:s, s:s, s:s, s:{s:O, s:O}, s:O, s:O, s:O, s:O}",
			      "focal_point", focal, "focal_point_type",
			      cal_json_str(doc, "focal_point_type"), "change", change, "health",
			      "before", json_is_object(a) && json_object_get(a, "health")
					? json_object_get(a, "health") : json_null(),
			      "after", json_is_object(b) && json_object_get(b, "health")
					? json_object_get(b, "health") : json_null(),
			      "nodes_added", na, "nodes_removed", nr, "links_added", la,
			      "links_removed", lr);
		*err = e == NULL;
	}
	json_decref(na);
	json_decref(nr);
	json_decref(la);
	json_decref(lr);
	return e;
}

/* The summary of a clique on one side: a snapshot's recorded state when it
 * recorded this clique, else the clique engine's at that time. */
static int df_side_clique(cal_store *st, json_t **out, const char *env, const struct df_ref *r,
			  const char *focal)
{
	const json_t *rec = json_object_get(r->record, "clique_state");

	if (r->kind == DF_REF_SNAPSHOT && json_is_object(rec) &&
	    strcmp(cal_json_str(rec, "focal_point"), focal) == 0) {
		*out = json_incref((json_t *)rec);
		return 0;
	}
	return df_clique_summary(st, out, env, focal, r->at);
}

/* A design's clique entry for `focal`, or JSON null. */
static json_t *df_design_clique(const json_t *design, const char *focal)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(design, "cliques"), i, c)
		if (strcmp(cal_json_str(c, "focal_point"), focal) == 0)
			return json_incref(c);
	return json_null();
}

/* Whether a clique summary belongs to the scope (its focal point's host
 * or project, or the scoped clique). */
static bool df_clique_in_scope(const struct df_scope *sc, const char *focal, const json_t *a,
			       const json_t *b)
{
	switch (sc->kind) {
	case SC_ENV:
		return true;
	case SC_CLIQUE:
		return strcmp(focal, sc->value) == 0;
	case SC_HOST:
		return (json_is_object(a) && strcmp(cal_json_str(a, "host"), sc->value) == 0) ||
		       (json_is_object(b) && strcmp(cal_json_str(b, "host"), sc->value) == 0);
	case SC_PROJECT:
		return json_object_get(sc->objects, focal) ||
		       (json_is_object(a) && strcmp(cal_json_str(a, "project"), sc->value) == 0) ||
		       (json_is_object(b) && strcmp(cal_json_str(b, "project"), sc->value) == 0);
	}
	return false;
}

struct df_ctx {
	cal_store *st;
	const char *env;
	struct df_ref a, b;
	struct df_scope scope;
	json_t *objects, *links; /* entries oriented a -> b */
	json_t *cliques;         /* array of clique entries */
	bool no_cliques;
};

static int df_add_clique(struct df_ctx *x, const char *focal, const json_t *ca, const json_t *cb,
			 bool a_design)
{
	bool err;
	json_t *e;

	if (!df_clique_in_scope(&x->scope, focal, ca, cb))
		return 0;
	e = df_clique_entry(focal, ca, cb, a_design, &err);
	if (err)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (e && json_array_append_new(x->cliques, e))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

/* Cliques between two times: the ones whose revisions changed (or the
 * scoped clique, which a snapshot may have recorded itself). */
static int df_cliques_times(struct df_ctx *x, int64_t t1, int64_t t2)
{
	json_t *ch = NULL, *e;
	const char *focal;
	int rc;

	if (x->scope.kind == SC_CLIQUE) {
		json_t *ca = NULL, *cb = NULL;

		rc = df_side_clique(x->st, &ca, x->env, &x->a, x->scope.value);
		if (rc == 0)
			rc = df_side_clique(x->st, &cb, x->env, &x->b, x->scope.value);
		if (rc == 0)
			rc = df_add_clique(x, x->scope.value, ca, cb, false);
		json_decref(ca);
		json_decref(cb);
		return rc;
	}
	rc = df_clique_changes(x->st, &ch, x->env, t1, t2);
	if (rc)
		return rc;
	json_object_foreach(ch, focal, e) {
		/* Entries are oldest -> newest; a diff may run newest -> oldest. */
		bool fwd = (x->a.at > 0 ? x->a.at : INT64_MAX) < (x->b.at > 0 ? x->b.at : INT64_MAX);
		json_t *old = json_object_get(e, "before"), *new = json_object_get(e, "after");

		rc = df_add_clique(x, focal, fwd ? old : new, fwd ? new : old, false);
		if (rc)
			break;
	}
	json_decref(ch);
	return rc;
}

/* Cliques of a design against a concrete side (design is `a` when
 * design_is_a): the concrete side's cliques read in one query. */
static int df_cliques_design(struct df_ctx *x, const struct df_ref *d, const struct df_ref *c,
			     bool design_is_a)
{
	const json_t *design = json_object_get(d->record, "doc");
	const json_t *rec = json_object_get(c->record, "clique_state");
	json_t *listed = json_object(), *all = NULL, *e;
	const char *focal;
	size_t i;
	int rc;

	if (!listed)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (x->scope.kind == SC_CLIQUE) {
		/* One clique: read that one only. */
		json_t *one = NULL;

		rc = df_side_clique(x->st, &one, x->env, c, x->scope.value);
		all = rc == 0 ? json_object() : NULL;
		if (rc == 0 && (!all || (json_is_object(one) &&
					 json_object_set(all, x->scope.value, one))))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
		json_decref(one);
	} else {
		rc = df_clique_summaries(x->st, &all, x->env, c->at);
		/* A snapshot's own record of its clique stands for that clique. */
		if (rc == 0 && c->kind == DF_REF_SNAPSHOT && json_is_object(rec))
			json_object_set(all, cal_json_str(rec, "focal_point"), (json_t *)rec);
	}
	json_array_foreach(json_object_get(design, "cliques"), i, e) {
		const json_t *cc;

		if (rc)
			break;
		focal = cal_json_str(e, "focal_point");
		json_object_set_new(listed, focal, json_true());
		cc = json_object_get(all, focal);
		if (!cc)
			cc = json_null();
		rc = design_is_a ? df_add_clique(x, focal, e, cc, true)
				 : df_add_clique(x, focal, cc, e, false);
	}
	/* Cliques the design does not know of are unexpected, when it lists
	 * cliques at all and is not about one clique only. */
	if (rc == 0 && json_array_size(json_object_get(design, "cliques")) && !d->clique &&
	    x->scope.kind != SC_CLIQUE) {
		json_object_foreach(all, focal, e) {
			if (json_object_get(listed, focal))
				continue;
			rc = design_is_a ? df_add_clique(x, focal, json_null(), e, true)
					 : df_add_clique(x, focal, e, json_null(), false);
			if (rc)
				break;
		}
	}
	json_decref(all);
	json_decref(listed);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The engine                                                          */
/* ------------------------------------------------------------------ */

/* Both sides are times (live, snapshots, times). */
static int df_times(struct df_ctx *x)
{
	int64_t ea = x->a.at > 0 ? x->a.at : INT64_MAX, eb = x->b.at > 0 ? x->b.at : INT64_MAX;
	int64_t t1 = ea < eb ? ea : eb, t2 = ea < eb ? eb : ea;
	json_t *ch = NULL;
	int rc;

	if (ea == eb) {
		x->objects = json_object();
		x->links = json_object();
		return x->objects && x->links ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
	}
	rc = cal_store_changes(x->st, &ch, x->env, t1, t2 == INT64_MAX ? 0 : t2);
	if (rc)
		return rc;
	x->objects = json_incref(json_object_get(ch, "objects"));
	x->links = json_incref(json_object_get(ch, "links"));
	json_decref(ch);
	if (ea > eb) {
		df_flip(x->objects);
		df_flip(x->links);
	}
	if (x->scope.kind == SC_PROJECT) {
		rc = df_scope_project(x->st, &x->scope, x->env, x->objects, x->a.at, x->b.at);
		if (rc)
			return rc;
	}
	df_filter(x->objects, false, &x->scope);
	df_filter(x->links, true, &x->scope);
	if (!x->no_cliques)
		rc = df_cliques_times(x, t1, t2 == INT64_MAX ? 0 : t2);
	return rc;
}

/* A design against a concrete side, or two designs. */
static int df_designs(struct df_ctx *x)
{
	bool a_design = x->a.kind == DF_REF_DESIGN, b_design = x->b.kind == DF_REF_DESIGN;
	const struct df_ref *d = a_design ? &x->a : &x->b, *c = a_design ? &x->b : &x->a;
	struct cal_query q = { .env = x->env, .at = c->at };
	json_t *objects = NULL, *links = NULL, *res = NULL;
	int rc;

	if (a_design && b_design) {
		const json_t *da = json_object_get(x->a.record, "doc");
		const json_t *db = json_object_get(x->b.record, "doc");
		json_t *ma = df_design_map(da, "objects"), *mb = df_design_map(db, "objects");

		rc = df_pair_maps(&x->objects, ma, mb);
		json_decref(ma);
		json_decref(mb);
		ma = df_design_map(da, "links");
		mb = df_design_map(db, "links");
		if (rc == 0)
			rc = df_pair_maps(&x->links, ma, mb);
		json_decref(ma);
		json_decref(mb);
		if (rc == 0) {
			df_filter(x->objects, false, &x->scope);
			df_filter(x->links, true, &x->scope);
		}
		if (rc == 0 && !x->no_cliques) {
			size_t i;
			json_t *v;

			/* Both are designs: their clique entries compare as text. */
			json_array_foreach(json_object_get(da, "cliques"), i, v) {
				const char *f = cal_json_str(v, "focal_point");
				json_t *o = df_design_clique(db, f);

				if (rc == 0)
					rc = df_add_clique(x, f, v, o, false);
				json_decref(o);
			}
			json_array_foreach(json_object_get(db, "cliques"), i, v) {
				const char *f = cal_json_str(v, "focal_point");
				json_t *o = df_design_clique(da, f);

				if (rc == 0 && json_is_null(o))
					rc = df_add_clique(x, f, o, v, false);
				json_decref(o);
			}
		}
		return rc;
	}
	if (x->scope.kind == SC_HOST)
		q.host = x->scope.value;
	if (x->scope.kind == SC_CLIQUE) {
		/* A clique's members only, not the inventory. */
		rc = df_docs_of(x->st, &objects, &links, x->env, c->at, x->scope.objects,
				x->scope.links);
	} else {
		rc = cal_store_objects(x->st, &objects, &q);
		if (rc == 0)
			rc = cal_store_links(x->st, &links, &q, NULL);
	}
	if (rc == 0 && x->scope.kind == SC_PROJECT) {
		size_t i;
		json_t *o;

		/* The project's objects, then the vnics of its instances. */
		json_array_foreach(objects, i, o)
			if (df_project_of(o, x->scope.value))
				json_object_set_new(x->scope.objects, cal_json_str(o, CAL_F_ID),
						    json_true());
		json_array_foreach(objects, i, o)
			if (json_object_get(x->scope.objects, cal_json_str(o, "instance_id")))
				json_object_set_new(x->scope.objects, cal_json_str(o, CAL_F_ID),
						    json_true());
	}
	if (rc == 0)
		rc = dsg_compare(&res, json_object_get(d->record, "doc"), objects, links,
				 x->scope.kind == SC_ENV ? NULL : df_in_scope, &x->scope);
	if (rc == 0) {
		x->objects = json_incref(json_object_get(res, "objects"));
		x->links = json_incref(json_object_get(res, "links"));
		if (!a_design) {
			df_flip(x->objects);
			df_flip(x->links);
		}
	}
	if (rc == 0 && !x->no_cliques)
		rc = df_cliques_design(x, d, c, a_design);
	json_decref(objects);
	json_decref(links);
	json_decref(res);
	return rc;
}

/* The scope: given, or the clique a scoped snapshot or design is of. */
static int df_choose_scope(struct df_ctx *x, const char *given)
{
	char *implied = NULL;
	int rc;

	if (!given && (x->a.clique || x->b.clique)) {
		if (x->a.clique && x->b.clique && strcmp(x->a.clique, x->b.clique) != 0)
			return cal_error_set(CAL_EINVALID, "'%s' is of clique '%s' and '%s' of "
					     "clique '%s': choose one with --scope", x->a.text,
					     x->a.clique, x->b.text, x->b.clique);
		implied = cal_strdup_printf("clique:%s", x->a.clique ? x->a.clique : x->b.clique);
		if (!implied)
			return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	rc = df_scope_parse(&x->scope, given ? given : implied);
	free(implied);
	if (rc == 0 && x->scope.kind == SC_CLIQUE) {
		json_t *ca = NULL, *cb = NULL;

		if (x->a.kind == DF_REF_DESIGN)
			ca = df_design_clique(json_object_get(x->a.record, "doc"), x->scope.value);
		else
			rc = df_side_clique(x->st, &ca, x->env, &x->a, x->scope.value);
		if (rc == 0 && x->b.kind == DF_REF_DESIGN)
			cb = df_design_clique(json_object_get(x->b.record, "doc"), x->scope.value);
		else if (rc == 0)
			rc = df_side_clique(x->st, &cb, x->env, &x->b, x->scope.value);
		if (rc == 0 && !json_is_object(ca) && !json_is_object(cb))
			rc = cal_error_set(CAL_EINVALID, "scope '%s': '%s' has no clique in '%s' "
					   "nor in '%s'", x->scope.text, x->scope.value, x->a.text,
					   x->b.text);
		if (rc == 0)
			rc = df_scope_clique(&x->scope, ca, cb);
		json_decref(ca);
		json_decref(cb);
	}
	return rc;
}

static json_t *df_summary(const json_t *o, const json_t *l, const json_t *cliques)
{
	int ca = 0, cr = 0, cc = 0;
	size_t i;
	json_t *c;

	json_array_foreach(cliques, i, c) {
		const char *ch = cal_json_str(c, "change");

		ca += strcmp(ch, "added") == 0;
		cr += strcmp(ch, "removed") == 0;
		cc += strcmp(ch, "changed") == 0;
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:i}",
			 "objects_added", (json_int_t)json_array_size(json_object_get(o, "added")),
			 "objects_removed", (json_int_t)json_array_size(json_object_get(o, "removed")),
			 "objects_changed", (json_int_t)json_array_size(json_object_get(o, "changed")),
			 "links_added", (json_int_t)json_array_size(json_object_get(l, "added")),
			 "links_removed", (json_int_t)json_array_size(json_object_get(l, "removed")),
			 "links_changed", (json_int_t)json_array_size(json_object_get(l, "changed")),
			 "cliques_added", ca, "cliques_removed", cr, "cliques_changed", cc);
}

static int df_clique_cmp(const void *a, const void *b)
{
	return strcmp(cal_json_str(*(json_t *const *)a, "focal_point"),
		      cal_json_str(*(json_t *const *)b, "focal_point"));
}

/* Sorts clique entries by focal point, for stable output. */
static void df_sort_cliques(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), df_clique_cmp);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

int cal_diff(cal_store *st, json_t **out, const char *env, const char *a, const char *b,
	     const struct cal_diff_opts *opts)
{
	struct df_ctx x = { .st = st, .env = env };
	json_t *so = NULL, *sl = NULL, *summary, *res;
	bool equal;
	int rc;

	*out = NULL;
	x.no_cliques = opts && opts->no_cliques;
	x.cliques = json_array();
	if (!x.cliques)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = df_ref_resolve(st, &x.a, env, a, true);
	if (rc == 0)
		rc = df_ref_resolve(st, &x.b, env, b, true);
	if (rc == 0)
		rc = df_choose_scope(&x, opts ? opts->scope : NULL);
	if (rc)
		goto out;
	if (x.a.kind == DF_REF_DESIGN || x.b.kind == DF_REF_DESIGN)
		rc = df_designs(&x);
	else
		rc = df_times(&x);
	if (rc == 0)
		rc = df_section(&so, x.objects, false);
	if (rc == 0)
		rc = df_section(&sl, x.links, true);
	if (rc)
		goto out;
	df_sort_cliques(x.cliques);
	summary = df_summary(so, sl, x.cliques);
	equal = json_array_size(x.cliques) == 0;
	for (int t = 0; t < 2; t++) {
		const json_t *sec = t ? sl : so;

		equal = equal && !json_array_size(json_object_get(sec, "added")) &&
			!json_array_size(json_object_get(sec, "removed")) &&
			!json_array_size(json_object_get(sec, "changed"));
	}
	res = json_pack("{s:s, s:o, s:o, s:s, s:b, s:o, s:O, s:O, s:O}", "environment", env,
			"a", df_ref_json(&x.a), "b", df_ref_json(&x.b), "scope", x.scope.text,
			"equal", equal, "summary", summary, "objects", so, "links", sl, "cliques",
			x.cliques);
	if (!res) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	*out = res;
out:
	df_ref_fini(&x.a);
	df_ref_fini(&x.b);
	df_scope_fini(&x.scope);
	json_decref(x.objects);
	json_decref(x.links);
	json_decref(x.cliques);
	json_decref(so);
	json_decref(sl);
	return rc;
}

json_t *cal_diff_volatile_fields(void)
{
	json_t *r = json_object(), *common = json_array();

	if (!r || !common) {
		json_decref(r);
		json_decref(common);
		return NULL;
	}
	for (const struct cal_attr_def *d = cal_common_attrs(); d->name; d++)
		if (d->is_volatile)
			json_array_append_new(common, json_string(d->name));
	json_object_set_new(r, "*", common);
	for (int t = 1; t < CAL_T_COUNT_; t++) {
		json_t *f = json_array();

		for (const struct cal_attr_def *d = cal_type_attrs((enum cal_obj_type)t);
		     f && d->name; d++)
			if (d->is_volatile)
				json_array_append_new(f, json_string(d->name));
		if (json_array_size(f))
			json_object_set_new(r, cal_type_name((enum cal_obj_type)t), f);
		else
			json_decref(f);
	}
	return r;
}
