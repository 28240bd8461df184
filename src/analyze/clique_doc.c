/* clique_doc.c - the stored document of a clique, written as canonical JSON
 * text straight from the graph (no jansson), with its hash and the summary
 * that impact analysis reads.
 *
 * The text is exactly what jansson's JSON_COMPACT | JSON_SORT_KEYS dump of
 * the same document gives (keys written in byte order, the same string
 * escapes), so the hash equals cal_json_canonical_hash() of the parsed
 * document: tests check it.
 *
 * Summary: the focal point's name, host and project; its networks (its own
 * plus the networks in the clique); its switches (switches in the clique
 * and the switches of the switch ports in it).
 */
#include "analyze/analyze_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *an_s(const struct an_graph *g, uint32_t i)
{
	return an_intern_key(&g->strs, i);
}

static const char *an_id(const struct an_graph *g, uint32_t u)
{
	return an_intern_key(&g->ids, u);
}

static int an_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted, de-duplicated string list of networks or switches. */
struct an_strset {
	const char **v;
	size_t n, cap;
};

static int an_strset_add(struct an_strset *s, const char *x)
{
	if (!x || !*x)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], x) == 0)
			return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		const char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

static void an_buf_strset(struct cal_buf *b, struct an_strset *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), an_cmp_str);
	cal_buf_add(b, "[", 1);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			cal_buf_add(b, ",", 1);
		an_buf_json_str(b, s->v[i]);
	}
	cal_buf_add(b, "]", 1);
}

/* Position of node u in the clique's sorted members. */
static size_t an_pos(const struct an_graph *g, const struct an_clique *c, uint32_t u)
{
	size_t lo = 0, hi = c->nodes.n;
	uint32_t r = g->rank[u];

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;

		if (g->rank[c->nodes.v[m]] < r)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

int an_doc_build(struct an_doc *d, const struct an_graph *g, const struct an_clique *c)
{
	struct an_strset nets = { 0 }, sws = { 0 };
	uint32_t f = c->focal;
	struct cal_buf *b = &d->doc, *s = &d->summary;
	const char *health = an_status_name(c->health);
	unsigned char h[16];
	int rc = 0;

	b->len = 0;
	s->len = 0;
	b->oom = s->oom = false;
	if (g->type[f] == CAL_T_NETWORK)
		rc = an_strset_add(&nets, an_id(g, f));
	for (uint32_t k = g->net_off[f]; rc == 0 && k < g->net_off[f + 1]; k++)
		rc = an_strset_add(&nets, an_id(g, g->nets[k]));
	for (size_t k = 0; rc == 0 && k < c->nodes.n; k++) {
		uint32_t u = c->nodes.v[k];

		if (g->type[u] == CAL_T_NETWORK)
			rc = an_strset_add(&nets, an_id(g, u));
		else if (g->type[u] == CAL_T_SWITCH)
			rc = an_strset_add(&sws, an_id(g, u));
		else if (g->type[u] == CAL_T_SWITCH_PNIC)
			rc = an_strset_add(&sws, an_s(g, g->host[u]));
	}
	if (rc)
		goto out;
	/* Keys in byte order. */
	cal_buf_str(b, "{\"clique_type\":");
	an_buf_json_str(b, c->plan->id);
	cal_buf_str(b, ",\"focal_point\":");
	an_buf_json_str(b, an_id(g, f));
	cal_buf_str(b, ",\"focal_point_type\":");
	an_buf_json_str(b, cal_type_name((enum cal_obj_type)g->type[f]));
	cal_buf_str(b, ",\"health\":");
	an_buf_json_str(b, health);
	cal_buf_str(b, ",\"host\":");
	an_buf_json_str(b, an_s(g, g->host[f]));
	cal_buf_str(b, ",\"links\":[");
	for (size_t k = 0; k < c->links.n; k++) {
		uint32_t e = c->links.v[k];

		cal_buf_printf(b, "%s[%zu,%zu,", k ? "," : "", an_pos(g, c, g->lsrc[e]),
			       an_pos(g, c, g->ldst[e]));
		an_buf_json_str(b, an_intern_key(&g->ltypes, g->ltype[e]));
		cal_buf_add(b, "]", 1);
	}
	cal_buf_str(b, "],\"name\":");
	an_buf_json_str(b, an_s(g, g->name[f]));
	cal_buf_str(b, ",\"networks\":");
	an_buf_strset(b, &nets);
	cal_buf_str(b, ",\"nodes\":[");
	for (size_t k = 0; k < c->nodes.n; k++) {
		if (k)
			cal_buf_add(b, ",", 1);
		an_buf_json_str(b, an_id(g, c->nodes.v[k]));
	}
	cal_buf_str(b, "],\"project\":");
	an_buf_json_str(b, an_s(g, g->project[f]));
	cal_buf_str(b, ",\"switches\":");
	an_buf_strset(b, &sws);
	cal_buf_str(b, "}");

	cal_buf_str(s, "{\"focal_point_type\":");
	an_buf_json_str(s, cal_type_name((enum cal_obj_type)g->type[f]));
	cal_buf_str(s, ",\"host\":");
	an_buf_json_str(s, an_s(g, g->host[f]));
	cal_buf_str(s, ",\"name\":");
	an_buf_json_str(s, an_s(g, g->name[f]));
	cal_buf_str(s, ",\"networks\":");
	an_buf_strset(s, &nets);
	cal_buf_str(s, ",\"project\":");
	an_buf_json_str(s, an_s(g, g->project[f]));
	cal_buf_str(s, ",\"switches\":");
	an_buf_strset(s, &sws);
	cal_buf_str(s, "}");
	if (b->oom || s->oom) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	crypto_generichash(h, sizeof(h), (const unsigned char *)b->s, b->len, NULL, 0);
	sodium_bin2hex(d->hash, sizeof(d->hash), h, sizeof(h));
out:
	free(nets.v);
	free(sws.v);
	return rc;
}

void an_doc_free(struct an_doc *d)
{
	cal_buf_free(&d->doc);
	cal_buf_free(&d->summary);
}
