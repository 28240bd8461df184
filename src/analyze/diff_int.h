/* diff_int.h - private to src/analyze's diff.c, diff_fields.c, design.c and
 * design_yaml.c: field comparison (exact or against design patterns), the
 * design matcher, and YAML <-> JSON.
 */
#ifndef CALIPSO_ANALYZE_DIFF_INT_H
#define CALIPSO_ANALYZE_DIFF_INT_H

#include "analyze/analyze.h"

/* ------------------------------------------------------------------ */
/* Field comparison (diff_fields.c)                                    */
/* ------------------------------------------------------------------ */

enum df_mode {
	DF_EXACT,   /* two concrete documents */
	DF_PATTERN, /* `a` is a design entry: globs, "*" and the "*" key */
};

/* Appends to `fields` one {"field", "before", "after"} per difference
 * between a and b (documents of object type `type`, or of a link when
 * `type` is NULL): nested objects are compared key by key ("ovs.bridge"),
 * arrays as wholes (with "added"/"removed" elements), top-level volatile
 * fields of the type and keys starting with '$' (design metadata) are
 * skipped.  A missing field is JSON null on its side.  CAL_ENOMEM. */
int df_fields(json_t *fields, const char *type, const json_t *a, const json_t *b,
	      enum df_mode mode);
/* Whether `value` matches design pattern `pattern`: "*" matches anything;
 * other strings are fnmatch(3) patterns (against a non-string value's
 * JSON text); objects match key by key, a "*" key matching every key the
 * pattern does not name (without it, extra keys differ); arrays match
 * element by element. */
bool df_pattern_match(const json_t *pattern, const json_t *value);
/* True when `s` holds fnmatch special characters (* ? [ \). */
bool df_is_glob(const char *s);
/* Whether field `field` of objects of type `type` (NULL: a link) is
 * volatile (core's attribute tables). */
bool df_is_volatile(const char *type, const char *field);

/* ------------------------------------------------------------------ */
/* References: live, a snapshot, a time, design:NAME (diff.c)          */
/* ------------------------------------------------------------------ */

enum df_ref_kind { DF_REF_LIVE, DF_REF_SNAPSHOT, DF_REF_TIME, DF_REF_DESIGN };

struct df_ref {
	enum df_ref_kind kind;
	char *text;      /* as given */
	int64_t at;      /* the time read (0 = live) */
	json_t *record;  /* the snapshot or design record (designs with "doc") */
	const char *clique; /* a clique-scoped snapshot's or design's focal point */
};

/* Resolves `text` in `env`: "live", "design:NAME", "snapshot:NAME", a
 * snapshot name, or a time cal_time_parse() reads and the store can read
 * (cal_store_time_check()).  CAL_EINVALID quoting `text` otherwise. */
int df_ref_resolve(cal_store *st, struct df_ref *out, const char *env, const char *text,
		   bool allow_design);
void df_ref_fini(struct df_ref *r);
/* {"ref", "kind", "name"?, "time"} describing a reference. */
json_t *df_ref_json(const struct df_ref *r);

/* ------------------------------------------------------------------ */
/* Cliques at a time and between times (diff_cliques.c)                */
/* ------------------------------------------------------------------ */

/* Cliques whose revision differs between t1 < t2 (t2 0 = live), from the
 * revisions that began or ended in between: focal -> {"before": summary or
 * null, "after": summary or null}. */
int df_clique_changes(cal_store *st, json_t **out, const char *env, int64_t t1, int64_t t2);
/* The clique of `focal` at `at` reduced to what diffs compare:
 * {"focal_point", "focal_point_type", "clique_type", "health",
 *  "nodes": [ids], "links": [ids], "host", "project"}, or JSON null when
 * it had no clique then. */
int df_clique_summary(cal_store *st, json_t **out, const char *env, const char *focal,
		      int64_t at);
/* The documents (stable fields) of the objects and links whose ids are
 * the keys of `object_ids` and `link_ids`, at `at` (0 = live): arrays, in
 * a few batched queries (a clique's members, not the inventory). */
int df_docs_of(cal_store *st, json_t **objects, json_t **links, const char *env, int64_t at,
	       const json_t *object_ids, const json_t *link_ids);
/* Every clique at `at` (0 = live) in one query: focal -> summary. */
int df_clique_summaries(cal_store *st, json_t **out, const char *env, int64_t at);

/* ------------------------------------------------------------------ */
/* Designs (design.c)                                                  */
/* ------------------------------------------------------------------ */

/* Compares design document `design` with concrete objects and links
 * (arrays of documents) within scope `in_scope` (NULL: all): returns the
 * differences as the entries diff.c builds its output from, oriented
 * design -> actual:
 *   {"objects": {key: {"before": entry|null, "after": doc|null,
 *                      "fields": [...]}, ...}, "links": {...}}
 * where key is the actual id, or the entry's id pattern when nothing
 * matched it. */
typedef bool (*dsg_scope_fn)(const json_t *doc, bool is_link, void *arg);
int dsg_compare(json_t **out, const json_t *design, const json_t *objects, const json_t *links,
		dsg_scope_fn in_scope, void *arg);

/* ------------------------------------------------------------------ */
/* YAML (design_yaml.c)                                                */
/* ------------------------------------------------------------------ */

/* Parses one YAML document (YAML 1.2 core schema: plain null/true/false,
 * integers and floats resolve to those, everything else is a string)
 * into JSON.  Refuses aliases, duplicate keys, non-scalar keys, several
 * documents and nesting deeper than 64, with CAL_EINVALID naming `what`
 * and the line and column. */
int dsg_yaml_parse(json_t **out, const char *text, size_t len, const char *what);
/* Block-style YAML text of `doc` (strings quoted whenever a plain scalar
 * would read back as something else), after the comment lines of
 * `comment` (may be NULL).  NULL on failure with the error set. */
char *dsg_yaml_emit(const json_t *doc, const char *comment);

#endif
