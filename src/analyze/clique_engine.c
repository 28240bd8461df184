/* clique_engine.c - growth of one clique on the in-memory graph.
 *
 * Start from the focal point; for each entry "A-B" of the clique type, in
 * order, follow from every object of type A reached before this entry the
 * links stored as "A-B" (A the source) or "B-A" (A the target) to their
 * objects of type B.  With the `network` constraint, a link carrying
 * attributes.network is followed only when that network is one of the
 * focal point's (its `network` field; a network focal point is its own);
 * a focal point without networks is not constrained.  An entry that adds
 * nothing is simply passed: growth goes on with the next.
 *
 * Cost: each step scans the incident links of the reached objects of its
 * source type, and only those of its link types (the adjacency is grouped
 * by link type: two binary searches).  Membership marks carry a generation
 * number, so nothing is cleared between focal points.  Members come out in
 * the byte order of their ids, links in the order of their ends, so that
 * the same graph always gives the same document.
 */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

int an_grower_init(struct an_grower *w, const struct an_graph *g)
{
	memset(w, 0, sizeof(*w));
	w->g = g;
	w->node_mark = calloc((size_t)g->n + 1, sizeof(*w->node_mark));
	w->link_mark = calloc((size_t)g->m + 1, sizeof(*w->link_mark));
	if (!w->node_mark || !w->link_mark) {
		an_grower_fini(w);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	return 0;
}

void an_grower_fini(struct an_grower *w)
{
	free(w->node_mark);
	free(w->link_mark);
	free(w->fwd);
	free(w->back);
	memset(w, 0, sizeof(*w));
}

void an_clique_free(struct an_clique *c)
{
	an_u32s_free(&c->nodes);
	an_u32s_free(&c->links);
}

static int an_plan_bind(struct an_grower *w, const struct an_plan *p)
{
	const struct an_graph *g = w->g;
	int32_t *fwd, *back;

	if (w->plan == p)
		return 0;
	fwd = realloc(w->fwd, (size_t)(p->nsteps + 1) * sizeof(*fwd));
	if (!fwd)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	w->fwd = fwd;
	back = realloc(w->back, (size_t)(p->nsteps + 1) * sizeof(*back));
	if (!back)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	w->back = back;
	for (int i = 0; i < p->nsteps; i++) {
		const struct an_step *s = &p->steps[i];

		w->fwd[i] = (int32_t)an_intern_find(&g->ltypes, s->fwd, strlen(s->fwd));
		w->back[i] = s->back[0] ? (int32_t)an_intern_find(&g->ltypes, s->back,
								  strlen(s->back))
					: -1;
	}
	w->plan = p;
	return 0;
}

/* [lo, hi) of u's incident links of type t. */
static void an_adj_range(const struct an_graph *g, uint32_t u, uint16_t t, uint32_t *lo,
			 uint32_t *hi)
{
	uint32_t a = g->adj_off[u], b = g->adj_off[u + 1], m;

	while (a < b) {
		m = a + (b - a) / 2;
		if (g->ltype[g->adj[m]] < t)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	b = g->adj_off[u + 1];
	while (a < b) {
		m = a + (b - a) / 2;
		if (g->ltype[g->adj[m]] <= t)
			a = m + 1;
		else
			b = m;
	}
	*hi = a;
}

static bool an_net_allowed(const struct an_graph *g, int32_t net, const uint32_t *fnets,
			   uint32_t nf)
{
	if (net < 0 || nf == 0)
		return true;
	for (uint32_t i = 0; i < nf; i++)
		if (fnets[i] == (uint32_t)net)
			return true;
	return false;
}

static int an_cmp_rank(const void *a, const void *b, void *arg)
{
	const struct an_graph *g = arg;
	uint32_t x = g->rank[*(const uint32_t *)a], y = g->rank[*(const uint32_t *)b];

	return x < y ? -1 : x > y;
}

static int an_cmp_link(const void *a, const void *b, void *arg)
{
	const struct an_graph *g = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint32_t rx = g->rank[g->lsrc[x]], ry = g->rank[g->lsrc[y]];

	if (rx != ry)
		return rx < ry ? -1 : 1;
	rx = g->rank[g->ldst[x]];
	ry = g->rank[g->ldst[y]];
	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(an_intern_key(&g->ltypes, g->ltype[x]),
		      an_intern_key(&g->ltypes, g->ltype[y]));
}

static int an_follow(struct an_grower *w, struct an_clique *c, const struct an_step *s,
		     int32_t lt, bool forward, uint32_t u, const uint32_t *fnets, uint32_t nf,
		     bool constrained)
{
	const struct an_graph *g = w->g;
	uint32_t lo, hi;
	int rc;

	if (lt < 0)
		return 0;
	an_adj_range(g, u, (uint16_t)lt, &lo, &hi);
	for (uint32_t k = lo; k < hi; k++) {
		uint32_t e = g->adj[k], v;

		if (s->from == s->to)
			v = g->lsrc[e] == u ? g->ldst[e] : g->lsrc[e];
		else if (forward && g->lsrc[e] == u)
			v = g->ldst[e];
		else if (!forward && g->ldst[e] == u)
			v = g->lsrc[e];
		else
			continue;
		if (g->type[v] != s->to)
			continue;
		if (constrained && !an_net_allowed(g, g->lnet[e], fnets, nf))
			continue;
		if (w->link_mark[e] != w->gen) {
			w->link_mark[e] = w->gen;
			rc = an_u32s_push(&c->links, e);
			if (rc)
				return rc;
		}
		if (w->node_mark[v] != w->gen) {
			w->node_mark[v] = w->gen;
			rc = an_u32s_push(&c->nodes, v);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int an_grow(struct an_grower *w, struct an_clique *c, const struct an_plan *plan, uint32_t focal)
{
	const struct an_graph *g = w->g;
	const uint32_t *fnets;
	uint32_t nf, self = focal;
	enum an_status health = AN_ST_NONE;
	int rc;

	c->nodes.n = 0;
	c->links.n = 0;
	c->focal = focal;
	c->plan = plan;
	rc = an_plan_bind(w, plan);
	if (rc)
		return rc;
	if (++w->gen == 0) {
		/* Wrapped: clear the marks once every 4 billion cliques. */
		memset(w->node_mark, 0, (size_t)g->n * sizeof(*w->node_mark));
		memset(w->link_mark, 0, (size_t)g->m * sizeof(*w->link_mark));
		w->gen = 1;
	}
	if (g->type[focal] == CAL_T_NETWORK) {
		fnets = &self;
		nf = 1;
	} else {
		fnets = g->nets + g->net_off[focal];
		nf = g->net_off[focal + 1] - g->net_off[focal];
	}
	w->node_mark[focal] = w->gen;
	rc = an_u32s_push(&c->nodes, focal);
	for (int i = 0; rc == 0 && i < plan->nsteps; i++) {
		const struct an_step *s = &plan->steps[i];
		size_t reached = c->nodes.n;

		if (w->fwd[i] < 0 && w->back[i] < 0)
			continue;
		for (size_t k = 0; rc == 0 && k < reached; k++) {
			uint32_t u = c->nodes.v[k];

			if (g->type[u] != s->from)
				continue;
			rc = an_follow(w, c, s, w->fwd[i], true, u, fnets, nf,
				       plan->network_constraint);
			if (rc == 0)
				rc = an_follow(w, c, s, w->back[i], false, u, fnets, nf,
					       plan->network_constraint);
		}
	}
	if (rc)
		return rc;
	for (size_t k = 0; k < c->nodes.n; k++)
		if (g->status[c->nodes.v[k]] > health)
			health = g->status[c->nodes.v[k]];
	for (size_t k = 0; k < c->links.n; k++)
		if (g->lstatus[c->links.v[k]] > health)
			health = g->lstatus[c->links.v[k]];
	c->health = health;
	if (c->nodes.n > 1)
		qsort_r(c->nodes.v, c->nodes.n, sizeof(*c->nodes.v), an_cmp_rank, (void *)g);
	if (c->links.n > 1)
		qsort_r(c->links.v, c->links.n, sizeof(*c->links.v), an_cmp_link, (void *)g);
	return 0;
}
