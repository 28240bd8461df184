/* clique_graph.c - the live graph of an environment, in memory, for the
 * clique engine: two queries (live objects, live links) read only the
 * columns and the few JSON fields growth needs (type, status, network,
 * project, host, name), ids are interned to integers, and links get a CSR
 * adjacency grouped by link type.
 *
 * Cost: linear in objects + links, plus one sort of the ids (their byte
 * order gives every clique a canonical member order).  A network named by
 * a link but absent from the objects becomes a node of unknown type, which
 * growth never enters.
 *
 * Trust: rows come from our own store; a JSON field of an unexpected shape
 * is ignored (no network, no status).
 */
#include "analyze/analyze_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum an_status an_status_parse(const char *s)
{
	if (!s || !*s)
		return AN_ST_NONE;
	if (strcmp(s, "ok") == 0)
		return AN_ST_OK;
	if (strcmp(s, "warning") == 0)
		return AN_ST_WARNING;
	if (strcmp(s, "critical") == 0 || strcmp(s, "error") == 0)
		return AN_ST_CRITICAL;
	return AN_ST_NONE;
}

const char *an_status_name(enum an_status s)
{
	switch (s) {
	case AN_ST_OK: return "ok";
	case AN_ST_WARNING: return "warning";
	case AN_ST_CRITICAL: return "critical";
	case AN_ST_NONE: break;
	}
	return "unknown";
}

const char *an_sql_json(cal_store *st, char *buf, size_t n, const char *col, const char *path)
{
	if (cal_store_is_postgres(st)) {
		char p[128];
		size_t k = 0;

		/* "a.b" -> '{a,b}' */
		for (const char *c = path; *c && k + 2 < sizeof(p); c++)
			p[k++] = *c == '.' ? ',' : *c;
		p[k] = '\0';
		snprintf(buf, n, "(%s::jsonb #>> '{%s}')", col, p);
	} else {
		snprintf(buf, n, "json_extract(%s, '$.%s')", col, path);
	}
	return buf;
}

/* ------------------------------------------------------------------ */
/* Building                                                            */
/* ------------------------------------------------------------------ */

struct an_pairs {
	uint32_t *a, *b;
	size_t n, cap;
};

static int an_pairs_push(struct an_pairs *p, uint32_t a, uint32_t b)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		uint32_t *na = realloc(p->a, cap * sizeof(*na)), *nb;

		if (!na)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		p->a = na;
		nb = realloc(p->b, cap * sizeof(*nb));
		if (!nb)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		p->b = nb;
		p->cap = cap;
	}
	p->a[p->n] = a;
	p->b[p->n] = b;
	p->n++;
	return 0;
}

/* Node arrays grow with the id table. */
struct an_build {
	size_t ncap, mcap;
	struct an_pairs nets; /* (node, network node) */
};

static struct an_build *an_build_of(struct an_graph *g)
{
	return g->build;
}

/* Grows the array g->arr of `old` entries to `cap` (a local), the new
 * entries zeroed; returns CAL_ENOMEM from the function using it. */
#define AN_GROW(arr, old)                                                               \
	do {                                                                            \
		void *p_ = realloc(g->arr, cap * sizeof(*g->arr));                      \
		if (!p_)                                                                \
			return cal_error_set(CAL_ENOMEM, "out of memory");              \
		g->arr = p_;                                                            \
		memset(g->arr + (old), 0, (cap - (old)) * sizeof(*g->arr));             \
	} while (0)

static int an_graph_reserve_nodes(struct an_graph *g, struct an_build *b, size_t n)
{
	size_t cap;

	if (n <= b->ncap)
		return 0;
	cap = b->ncap ? b->ncap : 1024;
	while (cap < n)
		cap *= 2;
	AN_GROW(type, b->ncap);
	AN_GROW(status, b->ncap);
	AN_GROW(host, b->ncap);
	AN_GROW(name, b->ncap);
	AN_GROW(project, b->ncap);
	b->ncap = cap;
	return 0;
}

static int an_graph_init(struct an_graph *g)
{
	struct an_build *b;
	uint32_t zero;
	int rc;

	memset(g, 0, sizeof(*g));
	b = calloc(1, sizeof(*b));
	if (!b)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	g->build = b;
	rc = an_intern_init(&g->ids);
	if (rc == 0)
		rc = an_intern_init(&g->strs);
	if (rc == 0)
		rc = an_intern_init(&g->ltypes);
	if (rc == 0)
		rc = an_intern_add(&g->strs, &zero, "", 0);
	return rc;
}

int an_graph_node(struct an_graph *g, uint32_t *out, const char *id)
{
	struct an_build *b = an_build_of(g);
	int rc;

	if (!g->ids.slots) {
		rc = an_graph_init(g);
		if (rc)
			return rc;
		b = an_build_of(g);
	}
	rc = an_intern_add(&g->ids, out, id, strlen(id));
	if (rc == 0)
		rc = an_graph_reserve_nodes(g, b, g->ids.n);
	g->n = (uint32_t)g->ids.n;
	return rc;
}

static int an_graph_reserve_links(struct an_graph *g, struct an_build *b)
{
	size_t cap;

	if (g->m < b->mcap)
		return 0;
	cap = b->mcap ? b->mcap * 2 : 1024;
	AN_GROW(lsrc, b->mcap);
	AN_GROW(ldst, b->mcap);
	AN_GROW(ltype, b->mcap);
	AN_GROW(lnet, b->mcap);
	AN_GROW(lstatus, b->mcap);
	b->mcap = cap;
	return 0;
}

#undef AN_GROW

int an_graph_link(struct an_graph *g, const char *src, const char *dst, const char *ltype,
		  const char *network, enum an_status st)
{
	uint32_t s, d, t, net = 0;
	int rc;

	rc = an_graph_node(g, &s, src);
	if (rc == 0)
		rc = an_graph_node(g, &d, dst);
	if (rc == 0 && network && *network)
		rc = an_graph_node(g, &net, network);
	if (rc == 0)
		rc = an_intern_add(&g->ltypes, &t, ltype, strlen(ltype));
	if (rc == 0 && t > 0xfff0)
		rc = cal_error_set(CAL_EINVALID, "too many link types");
	if (rc == 0)
		rc = an_graph_reserve_links(g, an_build_of(g));
	if (rc)
		return rc;
	g->lsrc[g->m] = s;
	g->ldst[g->m] = d;
	g->ltype[g->m] = (uint16_t)t;
	g->lnet[g->m] = network && *network ? (int32_t)net : -1;
	g->lstatus[g->m] = (uint8_t)st;
	g->m++;
	return 0;
}

static int an_str(struct an_graph *g, uint32_t *out, const char *s)
{
	*out = 0;
	if (!s || !*s)
		return 0;
	return an_intern_add(&g->strs, out, s, strlen(s));
}

/* The `network` field as SQL returns it: a string, or a JSON array of
 * strings ('["vxlan-101","vxlan-102"]'). */
static int an_add_networks(struct an_graph *g, struct an_build *b, uint32_t node, const char *v)
{
	json_t *arr;
	size_t i;
	json_t *x;
	uint32_t net;
	int rc = 0;

	if (!v || !*v)
		return 0;
	if (v[0] != '[') {
		rc = an_graph_node(g, &net, v);
		return rc ? rc : an_pairs_push(&b->nets, node, net);
	}
	/* Arrays only on focal points (instances, vservices): a handful. */
	arr = json_loads(v, 0, NULL);
	json_array_foreach(arr, i, x) {
		if (!json_is_string(x) || !*json_string_value(x))
			continue;
		rc = an_graph_node(g, &net, json_string_value(x));
		if (rc == 0)
			rc = an_pairs_push(&b->nets, node, net);
		if (rc)
			break;
	}
	json_decref(arr);
	return rc;
}

int an_graph_object(struct an_graph *g, const char *id, enum cal_obj_type type,
		    enum an_status status, const char *host, const char *name, const char *project,
		    const char *networks)
{
	uint32_t u;
	int rc = an_graph_node(g, &u, id);

	if (rc)
		return rc;
	g->type[u] = (uint8_t)type;
	g->status[u] = (uint8_t)status;
	rc = an_str(g, &g->host[u], host);
	if (rc == 0)
		rc = an_str(g, &g->name[u], name);
	if (rc == 0)
		rc = an_str(g, &g->project[u], project);
	if (rc == 0)
		rc = an_add_networks(g, an_build_of(g), u, networks);
	return rc;
}

static int an_load_objects(struct an_graph *g, cal_store *st, const char *env,
			   const struct an_plans *plans)
{
	char sql[2048], j1[128], j2[128], j3[128], j4[128], focal[512] = "''";
	cal_store_stmt *s = NULL;
	int rc;

	/* Documents are parsed only where it pays: the status of those that
	 * mention one (monitoring sets it on few), networks and projects of
	 * focal points. */
	for (int t = 1; t < CAL_T_COUNT_; t++)
		if (!plans || plans->by_type[t])
			snprintf(focal + strlen(focal), sizeof(focal) - strlen(focal), ", '%s'",
				 cal_type_name((enum cal_obj_type)t));
	snprintf(sql, sizeof(sql),
		 "SELECT id, type, host, name, CASE WHEN %s(doc, '\"status\"') > 0 THEN %s END, "
		 "CASE WHEN type IN (%s) THEN %s END, "
		 "CASE WHEN type IN (%s) THEN COALESCE(%s, %s) END FROM objects "
		 "WHERE env = ? AND valid_to IS NULL",
		 cal_store_is_postgres(st) ? "strpos" : "instr",
		 an_sql_json(st, j1, sizeof(j1), "doc", "status"), focal,
		 an_sql_json(st, j2, sizeof(j2), "doc", "network"), focal,
		 an_sql_json(st, j3, sizeof(j3), "doc", "project"),
		 an_sql_json(st, j4, sizeof(j4), "doc", "project_id"));
	rc = cal_store_sql_prepare_fmt(st, &s, sql, "t", env);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW)
		rc = an_graph_object(g, cal_store_sql_text(s, 0),
				     cal_type_from_name(cal_store_sql_text(s, 1)),
				     an_status_parse(cal_store_sql_text(s, 4)),
				     cal_store_sql_text(s, 2), cal_store_sql_text(s, 3),
				     cal_store_sql_text(s, 6), cal_store_sql_text(s, 5));
	cal_store_sql_reset(s);
	return rc < 0 ? rc : 0;
}

static int an_load_links(struct an_graph *g, cal_store *st, const char *env)
{
	char sql[1024], j1[128], j2[128];
	cal_store_stmt *s = NULL;
	int rc;

	snprintf(sql, sizeof(sql),
		 "SELECT source_id, target_id, link_type, %s, CASE WHEN %s(doc, '\"status\"') > 0 "
		 "THEN %s END FROM links WHERE env = ? AND valid_to IS NULL",
		 an_sql_json(st, j1, sizeof(j1), "doc", "attributes.network"),
		 cal_store_is_postgres(st) ? "strpos" : "instr",
		 an_sql_json(st, j2, sizeof(j2), "doc", "status"));
	rc = cal_store_sql_prepare_fmt(st, &s, sql, "t", env);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW)
		rc = an_graph_link(g, cal_store_sql_text(s, 0), cal_store_sql_text(s, 1),
				   cal_store_sql_text(s, 2), cal_store_sql_text(s, 3),
				   an_status_parse(cal_store_sql_text(s, 4)));
	cal_store_sql_reset(s);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ */
/* Finishing: adjacency, networks, ranks                               */
/* ------------------------------------------------------------------ */

static const struct an_graph *an_sort_graph;

static int an_cmp_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return strcmp(an_intern_key(&an_sort_graph->ids, x), an_intern_key(&an_sort_graph->ids, y));
}

static int an_cmp_ltype(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint16_t tx = an_sort_graph->ltype[x], ty = an_sort_graph->ltype[y];

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return x < y ? -1 : x > y;
}

int an_graph_finish(struct an_graph *g)
{
	struct an_build *b;
	uint32_t *order = NULL, *deg = NULL;
	int rc = 0;

	if (!g->ids.slots) {
		rc = an_graph_init(g);
		if (rc)
			return rc;
	}
	b = an_build_of(g);
	g->n = (uint32_t)g->ids.n;
	g->adj_off = calloc((size_t)g->n + 1, sizeof(*g->adj_off));
	g->adj = malloc(((size_t)g->m * 2 + 1) * sizeof(*g->adj));
	g->net_off = calloc((size_t)g->n + 1, sizeof(*g->net_off));
	g->nets = malloc((b->nets.n + 1) * sizeof(*g->nets));
	order = malloc(((size_t)g->n + 1) * sizeof(*order));
	deg = calloc((size_t)g->n + 1, sizeof(*deg));
	if (!g->adj_off || !g->adj || !g->net_off || !g->nets || !order || !deg) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	/* Adjacency: counting sort by node, then by link type per node. */
	for (uint32_t e = 0; e < g->m; e++) {
		g->adj_off[g->lsrc[e] + 1]++;
		if (g->ldst[e] != g->lsrc[e])
			g->adj_off[g->ldst[e] + 1]++;
	}
	for (uint32_t u = 0; u < g->n; u++)
		g->adj_off[u + 1] += g->adj_off[u];
	for (uint32_t e = 0; e < g->m; e++) {
		g->adj[g->adj_off[g->lsrc[e]] + deg[g->lsrc[e]]++] = e;
		if (g->ldst[e] != g->lsrc[e])
			g->adj[g->adj_off[g->ldst[e]] + deg[g->ldst[e]]++] = e;
	}
	an_sort_graph = g;
	for (uint32_t u = 0; u < g->n; u++) {
		uint32_t lo = g->adj_off[u], hi = g->adj_off[u + 1];

		if (hi - lo > 1)
			qsort(g->adj + lo, hi - lo, sizeof(*g->adj), an_cmp_ltype);
	}
	/* Networks of each node. */
	for (size_t i = 0; i < b->nets.n; i++)
		g->net_off[b->nets.a[i] + 1]++;
	for (uint32_t u = 0; u < g->n; u++)
		g->net_off[u + 1] += g->net_off[u];
	memset(deg, 0, ((size_t)g->n + 1) * sizeof(*deg));
	for (size_t i = 0; i < b->nets.n; i++)
		g->nets[g->net_off[b->nets.a[i]] + deg[b->nets.a[i]]++] = b->nets.b[i];
	/* Ranks: position of each id in byte order. */
	for (uint32_t u = 0; u < g->n; u++)
		order[u] = u;
	qsort(order, g->n, sizeof(*order), an_cmp_id);
	an_sort_graph = NULL;
	for (uint32_t i = 0; i < g->n; i++)
		deg[order[i]] = i;
	free(b->nets.a);
	free(b->nets.b);
	free(b);
	g->build = NULL;
	g->rank = deg;
	deg = NULL;
out:
	free(order);
	free(deg);
	return rc;
}

int an_graph_load(struct an_graph *g, cal_store *st, const char *env,
		  const struct an_plans *plans)
{
	int rc = an_graph_init(g);

	if (rc == 0)
		rc = an_load_objects(g, st, env, plans);
	if (rc == 0)
		rc = an_load_links(g, st, env);
	if (rc == 0)
		rc = an_graph_finish(g);
	return rc;
}

void an_graph_free(struct an_graph *g)
{
	if (!g)
		return;
	if (g->build) {
		struct an_build *b = g->build;

		free(b->nets.a);
		free(b->nets.b);
		free(b);
	}
	an_intern_fini(&g->ids);
	an_intern_fini(&g->strs);
	an_intern_fini(&g->ltypes);
	free(g->type);
	free(g->status);
	free(g->host);
	free(g->name);
	free(g->project);
	free(g->net_off);
	free(g->nets);
	free(g->rank);
	free(g->lsrc);
	free(g->ldst);
	free(g->ltype);
	free(g->lnet);
	free(g->lstatus);
	free(g->adj_off);
	free(g->adj);
	memset(g, 0, sizeof(*g));
}
