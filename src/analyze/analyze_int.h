/* analyze_int.h - private to src/analyze: the in-memory graph the clique
 * engine grows cliques on, compiled clique types, and helpers the
 * clique_*.c, impact.c and search*.c files share.
 *
 * The graph holds what growth needs and nothing else: object ids interned
 * to dense integers, each object's type, status, networks and a few names;
 * links as arrays (source, target, type, network, status) with a CSR
 * adjacency (each object's incident links, grouped by link type).  No
 * jansson between loading and writing.
 */
#ifndef CALIPSO_ANALYZE_INT_H
#define CALIPSO_ANALYZE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/analyze.h"

/* ------------------------------------------------------------------ */
/* String interning (intern.c)                                         */
/* ------------------------------------------------------------------ */

/* Byte strings -> dense indexes 0, 1, 2... in insertion order, keys copied
 * into an arena.  SipHash with a random key per table (ids are chosen by
 * tenants: no bucket flooding). */
struct an_intern {
	uint64_t *slots; /* (index + 1) | hash tag << 32; 0 = empty */
	size_t nslots;
	char **keys;
	uint32_t *lens;
	size_t n, keycap;
	struct an_chunk *arena;
	unsigned char sipkey[16];
};

int an_intern_init(struct an_intern *t);
void an_intern_fini(struct an_intern *t);
/* Index of `key`, or -1. */
int64_t an_intern_find(const struct an_intern *t, const char *key, size_t len);
/* Index of `key`, added when missing.  CAL_ENOMEM. */
int an_intern_add(struct an_intern *t, uint32_t *out, const char *key, size_t len);
/* Empties the table, keeping its memory for reuse. */
void an_intern_clear(struct an_intern *t);
static inline const char *an_intern_key(const struct an_intern *t, uint32_t i)
{
	return t->keys[i];
}

/* ------------------------------------------------------------------ */
/* Growable buffers                                                    */
/* ------------------------------------------------------------------ */

/* Text is built in core's struct cal_buf (core.h). */
/* A JSON string literal, escaped the way jansson's canonical dumps
 * (JSON_COMPACT | JSON_SORT_KEYS) write it. */
void an_buf_json_str(struct cal_buf *b, const char *s);

/* Growable uint32 array. */
struct an_u32s {
	uint32_t *v;
	size_t n, cap;
};
int an_u32s_push(struct an_u32s *a, uint32_t x);
void an_u32s_free(struct an_u32s *a);

/* ------------------------------------------------------------------ */
/* Link types of the model (link_types.c)                              */
/* ------------------------------------------------------------------ */

/* Splits "A-B" into its two object types; false when it is not two known
 * type names joined by '-'. */
bool an_link_type_split(const char *lt, enum cal_obj_type *a, enum cal_obj_type *b);

/* ------------------------------------------------------------------ */
/* Clique types compiled for growth (clique_types.c)                   */
/* ------------------------------------------------------------------ */

/* One entry "A-B" of a clique type: from reached objects of type A to
 * objects of type B, over links stored as "A-B" (A is the source) or as
 * "B-A" (A is the target). */
struct an_step {
	enum cal_obj_type from, to;
	char fwd[64], back[64]; /* stored link type names ("" when A == B: fwd only) */
};

struct an_plan {
	char *id;                 /* clique type id */
	enum cal_obj_type focal;  /* focal point type */
	struct an_step *steps;
	int nsteps;
	bool network_constraint;
	char *types_text;         /* canonical text of the type, for the types hash */
};

/* The plans in force for `env`: one per focal point type that has a
 * clique type, indexed by enum cal_obj_type (NULL when none), and a hash of
 * them all (a change recomputes every clique). */
struct an_plans {
	struct an_plan *by_type[CAL_T_COUNT_];
	char hash[CAL_HASH_HEXSZ];
};

int an_plans_load(struct an_plans *out, cal_store *st, const char *env);
void an_plans_free(struct an_plans *p);
/* Builds a plan from a clique type document (already validated). */
int an_plan_compile(struct an_plan **out, const json_t *type);
void an_plan_free(struct an_plan *p);

/* ------------------------------------------------------------------ */
/* The graph (clique_graph.c)                                          */
/* ------------------------------------------------------------------ */

enum an_status { AN_ST_NONE = 0, AN_ST_OK, AN_ST_WARNING, AN_ST_CRITICAL };

struct an_graph {
	struct an_intern ids;  /* object ids (and network ids links name) */
	uint32_t n;            /* == ids.n after loading */
	uint8_t *type;         /* enum cal_obj_type; CAL_T_UNKNOWN = not a live object */
	uint8_t *status;       /* enum an_status */
	uint32_t *host;        /* index into `strs`; 0 = "" */
	uint32_t *name;        /* index into `strs` */
	uint32_t *project;     /* index into `strs` */
	uint32_t *net_off;     /* n + 1 offsets into nets: the object's `network` */
	uint32_t *nets;        /* node indexes */
	uint32_t *rank;        /* position of the id in byte order */

	struct an_intern strs; /* host names, display names, projects; 0 = "" */
	struct an_intern ltypes; /* link type names */

	uint32_t m;
	uint32_t *lsrc, *ldst;
	uint16_t *ltype;
	int32_t *lnet;         /* node index of attributes.network, -1 */
	uint8_t *lstatus;
	/* CSR: incident links of node u are adj[adj_off[u] .. adj_off[u+1]),
	 * sorted by link type. */
	uint32_t *adj_off, *adj;
	void *build; /* loader's scratch until an_graph_finish() */
};

/* The live graph of `env`; networks and projects are read for the focal
 * point types of `plans` only (all types when NULL). */
int an_graph_load(struct an_graph *g, cal_store *st, const char *env,
		  const struct an_plans *plans);
/* Builds the adjacency and ranks once nodes and links are in (the loader
 * calls it; tests that build graphs by hand call it too). */
int an_graph_finish(struct an_graph *g);
void an_graph_free(struct an_graph *g);
/* Adds (or finds) a node; *out is its index.  For hand-made graphs. */
int an_graph_node(struct an_graph *g, uint32_t *out, const char *id);
/* Sets an object's facts; `networks` is its `network` field as SQL
 * returns it: one id, or a JSON array of ids. */
int an_graph_object(struct an_graph *g, const char *id, enum cal_obj_type type,
		    enum an_status status, const char *host, const char *name, const char *project,
		    const char *networks);
int an_graph_link(struct an_graph *g, const char *src, const char *dst, const char *ltype,
		  const char *network, enum an_status st);
enum an_status an_status_parse(const char *s);
const char *an_status_name(enum an_status s);

/* ------------------------------------------------------------------ */
/* Growth (clique_engine.c)                                            */
/* ------------------------------------------------------------------ */

struct an_clique {
	uint32_t focal;
	const struct an_plan *plan;
	struct an_u32s nodes; /* sorted by id */
	struct an_u32s links; /* sorted by (source id, target id, type) */
	enum an_status health;
};

/* Scratch space for growth, reused across focal points. */
struct an_grower {
	const struct an_graph *g;
	uint32_t gen;
	uint32_t *node_mark, *link_mark; /* == gen when in the current clique */
	/* Link type indexes of the last plan's steps in this graph. */
	const struct an_plan *plan;
	int32_t *fwd, *back;
};

int an_grower_init(struct an_grower *w, const struct an_graph *g);
void an_grower_fini(struct an_grower *w);
/* Grows the clique of `focal` with `plan` into *c (whose arrays are
 * reused).  The link types of `plan` are looked up in the graph here. */
int an_grow(struct an_grower *w, struct an_clique *c, const struct an_plan *plan, uint32_t focal);
void an_clique_free(struct an_clique *c);

/* ------------------------------------------------------------------ */
/* Clique documents (clique_doc.c)                                     */
/* ------------------------------------------------------------------ */

/* The stored document of a clique, as canonical JSON text (what jansson
 * writes with JSON_COMPACT | JSON_SORT_KEYS), its hash (BLAKE2b-128, as
 * cal_json_canonical_hash()), and the summary impact reads:
 * {"focal_point", "focal_point_type", "clique_type", "health", "name",
 *  "host", "project", "networks", "switches", "nodes": [ids],
 *  "links": [[source index, target index, "link type"], ...]}. */
struct an_doc {
	struct cal_buf doc, summary;
	char hash[CAL_HASH_HEXSZ];
};

int an_doc_build(struct an_doc *d, const struct an_graph *g, const struct an_clique *c);
void an_doc_free(struct an_doc *d);

/* ------------------------------------------------------------------ */
/* Clique rows (clique_store.c)                                        */
/* ------------------------------------------------------------------ */

/* The live cliques of an environment: focal id -> hash. */
struct an_live {
	struct an_intern ids;
	char (*hashes)[CAL_HASH_HEXSZ];
	size_t cap;
};

int an_live_load(struct an_live *out, cal_store *st, const char *env);
void an_live_free(struct an_live *l);
/* NULL when `focal` has no live clique. */
const char *an_live_hash(const struct an_live *l, const char *focal);

/* clique_state of an environment. */
struct an_state {
	bool found;
	int64_t done_ts, rev_ts;
	char types_hash[CAL_HASH_HEXSZ];
};

int an_state_get(cal_store *st, const char *env, struct an_state *out);
int an_state_put(cal_store *st, const char *env, const struct an_state *s);

/* Batched writes of revisions and member rows at time `ts`. */
struct an_writer {
	const char *env;
	int64_t ts;
	cal_store_batch *close, *insert, *mdel, *mins;
};

int an_writer_open(struct an_writer *w, cal_store *st, const char *env, int64_t ts);
/* A new revision of c (closing the live one when was_live). */
int an_writer_put(struct an_writer *w, const struct an_graph *g, const struct an_clique *c,
		  const struct an_doc *d, bool was_live);
/* Closes a live clique whose focal point is gone. */
int an_writer_remove(struct an_writer *w, const char *focal);
int an_writer_flush(struct an_writer *w);
void an_writer_free(struct an_writer *w);

/* Documents of `ids` (n of them) from `table` ("objects" or "links"),
 * live or at `at`, added to the object `out` (id -> doc); batched. */
int an_docs_by_ids(cal_store *st, json_t *out, const char *table, const char *env,
		   const char *const *ids, size_t n, int64_t at);
/* The stored document of a clique, live or at `at`; CAL_ENOTFOUND
 * without a message when there is none. */
int an_clique_row(cal_store *st, json_t **out, const char *env, const char *focal, int64_t at);

/* ------------------------------------------------------------------ */
/* Search (search_index.c)                                             */
/* ------------------------------------------------------------------ */

/* A value as the index holds it: ASCII lowercased, newlines as spaces, cut
 * at 200 bytes on a character boundary.  NULL when out of memory. */
char *an_search_fold(const char *s);

/* ------------------------------------------------------------------ */
/* SQL helpers (clique_graph.c)                                        */
/* ------------------------------------------------------------------ */

/* The SQL expression reading text at `path` ("status", "attributes.network")
 * of the JSON column `col`, in the running engine's spelling. */
const char *an_sql_json(cal_store *st, char *buf, size_t n, const char *col, const char *path);

#endif
