/* analyze.h - what Calipso derives from the stored graph: cliques (a focal
 * point's path to the wire), impact analysis, search; later diff and
 * design drift (DESIGN.md "Derived data").
 *
 * Conventions: 0 or a negative CAL_E* code with cal_error_last(); the
 * caller owns what comes back through `out`.  Functions taking a cal_store
 * use it from the calling thread only.
 */
#ifndef CALIPSO_ANALYZE_H
#define CALIPSO_ANALYZE_H

#include "core/core.h"
#include "store/store.h"

/* The model's vocabulary for `calipso constants` and GET /constants:
 * {"object_types": [{"type", "attributes": [{"name", "kind", "required",
 * "volatile"}]}], "common_attributes", "link_types": [{"link_type",
 * "source_type", "target_type", "found_by"}], "clique_constraints",
 * "health", "link_states"}.  NULL when out of memory. */
json_t *cal_constants_json(void);

/* ------------------------------------------------------------------ */
/* Link types of the model (docs/model.md "Links")                      */
/* ------------------------------------------------------------------ */

struct cal_link_type_def {
	const char *name; /* "<source type>-<target type>" */
	enum cal_obj_type source, target;
	const char *found_by;
};

/* Every link type the linker makes, NULL-name terminated. */
const struct cal_link_type_def *cal_link_types(void);
bool cal_link_type_is_known(const char *name);

/* ------------------------------------------------------------------ */
/* Clique types                                                        */
/* ------------------------------------------------------------------ */

/* A clique type: {"id", "focal_point_type", "link_types": [...],
 * "environment"?, "distribution"?, "distribution_version"?,
 * "mechanism_drivers"?, "type_drivers"?, "constraints"?: ["network"],
 * "name"?}.  Defaults (docs/cliques.md) are present in every store. */
int cal_clique_types_list(cal_store *st, json_t **out);
/* Checks a clique type document; CAL_EINVALID names the type and key. */
int cal_clique_type_check(const json_t *type);
/* Validates and adds (CAL_EEXISTS unless replace). */
int cal_clique_type_put(cal_store *st, const json_t *type, bool replace);
int cal_clique_type_remove(cal_store *st, const char *id);
/* The clique type used for focal points of `focal_type` in `env`, chosen
 * by specificity: environment name, distribution and version, mechanism
 * driver, type driver, then ANY.  CAL_ENOTFOUND when none applies. */
int cal_clique_type_select(cal_store *st, json_t **out, const char *env, const char *focal_type);

/* ------------------------------------------------------------------ */
/* Cliques                                                             */
/* ------------------------------------------------------------------ */

struct cal_clique_stats {
	int focal_points;   /* considered */
	int recomputed;     /* actually grown again */
	int changed;        /* whose stored clique changed */
	int64_t duration_us;
};

/* Brings the stored cliques of `env` up to date with the inventory as of
 * commit time `ts`: after a first scan every focal point, afterwards only
 * those whose members or links changed at `ts` (found through the reverse
 * index object -> cliques).  Clique rows are revisioned like objects. */
int cal_clique_refresh(cal_store *st, const char *env, int64_t ts, struct cal_clique_stats *out);
/* Recomputes every clique of `env` from scratch (tests, repairs). */
int cal_clique_rebuild(cal_store *st, const char *env, int64_t ts, struct cal_clique_stats *out);

/* The clique of a focal point, live (at == 0) or at a time:
 * {"focal_point", "focal_point_type", "clique_type", "nodes": [object docs],
 *  "links": [link docs], "health": "ok|warning|critical|unknown"}.
 * CAL_ENOTFOUND names the id when it is no focal point. */
int cal_clique_get(cal_store *st, json_t **out, const char *env, const char *focal_id,
		   int64_t at);
/* Graphviz text of a clique document (cal_clique_get's output); NULL when
 * out of memory.  The caller free()s it. */
char *cal_clique_dot(const json_t *clique);
/* Every clique of `env` (live or at `at`), optionally of one focal point
 * type, ordered by type and id: [{"focal_point", "focal_point_type",
 * "clique_type", "health", "name", "host", "project", "networks",
 * "switches"}]. */
int cal_clique_list(cal_store *st, json_t **out, const char *env, const char *focal_type,
		    int64_t at);

/* Everything derived after a commit, in one call for the scan pipeline:
 * cliques (cal_clique_refresh) and the search index.  *out (may be NULL)
 * receives {"cliques": {"focal_points", "recomputed", "changed",
 * "duration_ms"}, "search": {...}}.  Stops at the first failure. */
int cal_analyze_refresh(cal_store *st, const char *env, int64_t ts, json_t **out);

/* ------------------------------------------------------------------ */
/* Impact analysis                                                     */
/* ------------------------------------------------------------------ */

struct cal_impact_opts {
	bool what_if_down;     /* which focal points lose their path */
	const char *project;   /* only focal points of this project */
	int64_t at;            /* 0 = live */
};

/* Every clique containing `object_id`, the affected focal points grouped
 * by project, host, network and switch, and with what_if_down the
 * instances and vservices that lose their path to the wire. */
int cal_impact(cal_store *st, json_t **out, const char *env, const char *object_id,
	       const struct cal_impact_opts *opts);

/* ------------------------------------------------------------------ */
/* Search                                                              */
/* ------------------------------------------------------------------ */

struct cal_search_opts {
	const char *type;  /* only this object type */
	int limit;         /* <= 0: 50 */
};

/* Objects whose name, id, MAC, IP, CIDR or any attribute value matches
 * `text`, ranked (exact id or name first), each hit with its type,
 * name_path and the field that matched. */
int cal_search(cal_store *st, json_t **out, const char *env, const char *text,
	       const struct cal_search_opts *opts);

struct cal_search_stats {
	int indexed;  /* objects (re)indexed */
	int removed;  /* objects dropped from the index */
	bool full;    /* the whole environment was indexed */
	int64_t duration_us;
};

/* Brings the search index of `env` up to date with the inventory as of
 * commit time `ts`: the objects that changed since the last refresh, or
 * every live object the first time.  cal_analyze_refresh() calls it. */
int cal_search_refresh(cal_store *st, const char *env, int64_t ts, struct cal_search_stats *out);
/* Indexes every live object of `env` again. */
int cal_search_rebuild(cal_store *st, const char *env, struct cal_search_stats *out);

/* ------------------------------------------------------------------ */
/* Snapshots, diff and design baselines (snapshot.c, diff.c, design.c; */
/* docs/snapshots.md).  One function per operation, each returning     */
/* JSON, for the CLI and the REST server alike.                        */
/* ------------------------------------------------------------------ */

struct cal_snapshot_opts {
	const char *name;
	const char *note;    /* may be NULL */
	const char *clique;  /* focal point: a clique-scoped snapshot; NULL = env */
	int64_t scan_id;     /* the scan it follows (0: the newest finished one) */
	bool pinned;
	bool no_prune;       /* skip the retention policy's pruning afterwards */
};

/* Takes a snapshot of `env` as it is now (see cal_store_snapshot_create()
 * for the record), recording the clique of `clique` (its members and
 * health) when given, then applies the stored retention policy, if any:
 * the record gets "pruned" (cal_store_prune()'s result) then.  CAL_EINVALID
 * for a bad name, an empty environment or a focal point without a
 * clique; CAL_EEXISTS for a taken name. */
int cal_snapshot_create(cal_store *st, json_t **out, const char *env,
			const struct cal_snapshot_opts *opts);

struct cal_diff_opts {
	/* NULL or "env", "host:H", "project:P", "clique:FOCAL_ID"; NULL
	 * takes a clique-scoped snapshot's or design's own scope. */
	const char *scope;
	bool no_cliques;     /* leave clique membership and health out */
};

/* Compares `a` with `b`, each "live", a snapshot name ("snapshot:NAME"
 * when a name could be read otherwise), a time (cal_time_parse()) or
 * "design:NAME":
 *   {"environment", "a": ref, "b": ref, "scope", "equal": bool,
 *    "summary": {"objects_added", "objects_removed", "objects_changed",
 *                "links_added", "links_removed", "links_changed",
 *                "cliques_added", "cliques_removed", "cliques_changed"},
 *    "objects": {"added": [...], "removed": [...], "changed": [...]},
 *    "links": {"added": [...], "removed": [...], "changed": [...]},
 *    "cliques": [{"focal_point", "change", "health": {"before", "after"},
 *                 "nodes_added", "nodes_removed", "links_added",
 *                 "links_removed"}]}
 * where each object is {"id", "type", "name", "host"}, each link {"id",
 * "link_type", "source_id", "target_id", "link_name", "state", "host"},
 * and changed ones add "fields": [{"field", "before", "after"}].
 * Volatile fields (cal_diff_volatile_fields()) are ignored.  Between two
 * times only the revisions that began or ended in between are read.
 * CAL_EINVALID, quoting the input, for an unknown snapshot or design, a
 * time that cannot be read, or a bad scope. */
int cal_diff(cal_store *st, json_t **out, const char *env, const char *a, const char *b,
	     const struct cal_diff_opts *opts);

/* The time a reference stands for: "live" (0), a snapshot name
 * ("snapshot:NAME") or a time the store can read; *desc (may be NULL)
 * receives {"ref", "kind", "name"?, "time"}.  CAL_EINVALID quoting `ref`
 * otherwise. */
int cal_ref_time(cal_store *st, int64_t *out, json_t **desc, const char *env, const char *ref);

/* The volatile fields diffs ignore: {"*": [fields of every object],
 * "<type>": [fields of that type]}, from core's attribute tables. */
json_t *cal_diff_volatile_fields(void);

/* A design document (docs/snapshots.md "Designs"):
 *   {"calipso_design": 1, "environment"?, "description"?, "scope"?,
 *    "taken_from"?, "objects": [entry], "links": [entry],
 *    "cliques": [{"focal_point", "health"?, "nodes"?, "links"?}]}
 * Entries are documents whose string values are fnmatch(3) patterns, "*"
 * matching any value and a "*" key any other field; an entry's "id" may be
 * a pattern (with "$count": N or "N..M", default "1..").
 * Parses YAML (libyaml) or JSON text and checks it: CAL_EINVALID naming
 * `what` (the file) and the place of the first problem. */
int cal_design_parse(json_t **out, const char *text, size_t len, const char *what);
/* YAML text of a design (NULL on failure, error set). */
char *cal_design_yaml(const json_t *design);
/* The design of `env` as `from` shows it (a snapshot name, "live" or a
 * time): every object and link (stable fields only, glob characters
 * escaped) and every clique, or only the clique of a clique-scoped
 * snapshot. */
int cal_design_export(cal_store *st, json_t **out, const char *env, const char *from);
/* Parses, checks and stores a design; *out (may be NULL) is its record. */
int cal_design_import(cal_store *st, json_t **out, const char *env, const char *name,
		      const char *text, size_t len, const char *what, bool replace);
/* Stores the export of `from` as design `name`. */
int cal_design_set(cal_store *st, json_t **out, const char *env, const char *name,
		   const char *from, bool replace);

/* ------------------------------------------------------------------ */
/* Simulated cloud (sim.c)                                             */
/* ------------------------------------------------------------------ */

/* N hosts, M VMs, K networks of a Neutron cloud (both plugging styles,
 * Linux-bridge and OVS networks, DHCP and router namespaces, tunnels, one
 * fabric switch), drawn from `seed`; `churn` VMs of the same cloud deleted
 * (every other one) or moved to another network. */
struct cal_sim_opts {
	int hosts, vms, networks;
	uint64_t seed;
	const char *env;     /* the reports' "environment" */
	int churn;
	uint64_t churn_seed; /* 0: derived from seed */
};

/* CAL_EINVALID naming the option out of range. */
int cal_sim_check(const struct cal_sim_opts *o);
/* The host reports (docs/report-format.md) of the simulated cloud, the
 * fabric switch's last: a JSON array. */
int cal_sim_reports(json_t **out, const struct cal_sim_opts *o);
/* The environment configuration the builder needs for them (pnic names,
 * hosts, the switch, drivers); NULL when out of memory. */
json_t *cal_sim_env_config(const struct cal_sim_opts *o);

#endif
