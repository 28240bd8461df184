/* bench_cliques.c - the simulated cloud through the whole pipeline, stage by
 * stage, with the figures of docs/cliques.md and docs/performance.md:
 *
 *   generate   the host reports (cal_sim_reports)
 *   build      objects from the reports (cal_build_objects)
 *   link       links from the objects (cal_link_objects)
 *   commit     revisions into the store (cal_store_commit)
 *   cliques    every clique from scratch (cal_clique_refresh, first time)
 *   search     the search index from scratch (cal_search_refresh)
 * then timed lookups: impact of host NICs, vedges, oteps, bridges and switch
 * ports (live, and "what if down"); searches by exact name, id, MAC prefix,
 * IP and id fragment; an incremental scan after --churn VMs changed; and,
 * with --nx-out, the graph, the clique types and our cliques of --sample
 * focal points written for bench/nx_cliques.py (networkx) to recompute and
 * compare, with the time our engine took for the same focal points.
 *
 * Each stage prints wall and CPU time and the resident memory after it; the
 * process's peak RSS is printed at the end.  A benchmark, not a test: it
 * prints figures and exits 0 unless something fails outright.
 *
 *   bench_cliques [--hosts N] [--vms M] [--networks K] [--seed S] [--churn C]
 *                 [--impact N] [--search N] [--sample N] [--nx-out FILE]
 *                 [--db PATH] [--keep] [--stage STAGE]
 *
 * Stages (bench/run-cliques.sh runs them as separate processes, so that
 * each peak RSS is its own): all (default: the lot in one process);
 * inventory (generate, build, commit the objects without links);
 * links-cliques (from the stored objects: link, store the links, every
 * clique, the search index; then the timed lookups); churn (a second scan
 * with --churn VMs changed, incrementally).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "analyze/analyze.h"
#include "analyze/analyze_int.h"
#include "discover/discover.h"

static const char *bn_env = "bench";

static int64_t bn_cpu_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static long bn_rss_mb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024) / 1024;
}

static long bn_peak_mb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

struct bn_clock {
	int64_t wall, cpu;
};

static void bn_start(struct bn_clock *c)
{
	c->wall = cal_time_mono_us();
	c->cpu = bn_cpu_us();
}

/* Prints a stage line; returns its wall time in seconds. */
static double bn_stop(const struct bn_clock *c, const char *what, const char *extra)
{
	double wall = (double)(cal_time_mono_us() - c->wall) / 1e6;
	double cpu = (double)(bn_cpu_us() - c->cpu) / 1e6;

	printf("  %-22s %8.2f s wall %8.2f s cpu   rss %5ld MB   %s\n", what, wall, cpu,
	       bn_rss_mb(), extra ? extra : "");
	fflush(stdout);
	return wall;
}

static void bn_die(const char *what)
{
	fprintf(stderr, "bench_cliques: %s: %s\n", what, cal_error_last());
	exit(1);
}

static int bn_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* median, p99 and max of n durations (µs), sorted in place. */
static void bn_stats(const char *what, int64_t *v, int n)
{
	if (n == 0) {
		printf("  %-34s (none)\n", what);
		return;
	}
	qsort(v, (size_t)n, sizeof(*v), bn_cmp_i64);
	printf("  %-34s n=%-5d median %7.3f ms  p99 %7.3f ms  max %7.3f ms\n", what, n,
	       (double)v[n / 2] / 1000, (double)v[(n * 99) / 100] / 1000,
	       (double)v[n - 1] / 1000);
}

/* Ids of live objects of a type, from the store. */
static json_t *bn_ids(cal_store *st, const char *type)
{
	struct cal_query q = { .env = bn_env, .type = type };
	json_t *objs = NULL, *ids = json_array(), *o;
	size_t i;

	if (cal_store_objects(st, &objs, &q))
		bn_die("objects");
	json_array_foreach(objs, i, o)
		json_array_append_new(ids, json_string(cal_json_str(o, CAL_F_ID)));
	json_decref(objs);
	return ids;
}

/* ------------------------------------------------------------------ */

/* A fresh simulated cloud's objects: its host reports generated, then
 * built (two timed steps). */
static json_t *bn_sim_objects(const struct cal_sim_opts *o, const json_t *cfg)
{
	struct bn_clock c;
	json_t *reports = NULL, *objects = NULL;
	char extra[200];

	bn_start(&c);
	if (cal_sim_reports(&reports, o))
		bn_die("sim");
	snprintf(extra, sizeof(extra), "%zu host reports", json_array_size(reports));
	bn_stop(&c, "generate", extra);
	bn_start(&c);
	if (cal_build_objects(&objects, bn_env, reports, cfg))
		bn_die("build");
	json_decref(reports);
	snprintf(extra, sizeof(extra), "%zu objects", json_object_size(objects));
	bn_stop(&c, "build", extra);
	return objects;
}

/* The links of `objects` (a timed step; *seconds its time). */
static json_t *bn_link(const json_t *objects, double *seconds)
{
	struct bn_clock c;
	json_t *links = NULL;
	char extra[200];

	bn_start(&c);
	if (cal_link_objects(&links, bn_env, objects))
		bn_die("link");
	snprintf(extra, sizeof(extra), "%zu links", json_object_size(links));
	*seconds = bn_stop(&c, "link", extra);
	return links;
}

static int bn_commit(cal_store *st, const struct cal_sim_opts *o, const json_t *cfg,
		     bool churned, int64_t *ts)
{
	struct bn_clock c;
	json_t *objects, *links;
	struct cal_commit cm = { 0 };
	struct cal_commit_stats cs = { 0 };
	struct cal_clique_stats qs = { 0 };
	struct cal_search_stats ss = { 0 };
	char extra[200];
	double t_link, t_cliques;

	objects = bn_sim_objects(o, cfg);
	links = bn_link(objects, &t_link);
	bn_start(&c);
	cm.env = bn_env;
	cm.objects = objects;
	cm.links = links;
	cm.clear = true;
	if (cal_store_commit(st, &cm, &cs))
		bn_die("commit");
	json_decref(objects);
	json_decref(links);
	snprintf(extra, sizeof(extra), "objects +%d ~%d -%d, links +%d ~%d -%d",
		 cs.objects_added, cs.objects_changed, cs.objects_removed, cs.links_added,
		 cs.links_changed, cs.links_removed);
	bn_stop(&c, "commit", extra);
	*ts = cs.ts;
	bn_start(&c);
	if (cal_clique_refresh(st, bn_env, cs.ts, &qs))
		bn_die("cliques");
	snprintf(extra, sizeof(extra), "%d focal points, %d recomputed, %d written",
		 qs.focal_points, qs.recomputed, qs.changed);
	t_cliques = bn_stop(&c, churned ? "cliques (incremental)" : "cliques (from scratch)", extra);
	bn_start(&c);
	if (cal_search_refresh(st, bn_env, cs.ts, &ss))
		bn_die("search index");
	snprintf(extra, sizeof(extra), "%d objects indexed, %d removed", ss.indexed, ss.removed);
	bn_stop(&c, churned ? "search index (incr.)" : "search index", extra);
	printf("  => link + cliques: %.2f s (%s)\n", t_link + t_cliques,
	       churned ? "incremental" : "from scratch");
	return 0;
}

/* Stage "inventory": the objects of a fresh simulated cloud into the
 * store, without links (for "links-cliques" in another process). */
static void bn_inventory(cal_store *st, const struct cal_sim_opts *o, const json_t *cfg)
{
	struct bn_clock c;
	json_t *objects;
	struct cal_commit cm = { 0 };
	struct cal_commit_stats cs = { 0 };
	char extra[200];

	objects = bn_sim_objects(o, cfg);
	bn_start(&c);
	cm.env = bn_env;
	cm.objects = objects;
	cm.clear = true;
	if (cal_store_commit(st, &cm, &cs))
		bn_die("commit");
	json_decref(objects);
	snprintf(extra, sizeof(extra), "objects +%d, no links", cs.objects_added);
	bn_stop(&c, "commit objects", extra);
}

/* Stage "links-cliques": from the stored objects, every link and every
 * clique from scratch, in a process that did nothing else (its peak RSS is
 * theirs). */
static void bn_links_cliques(cal_store *st)
{
	struct cal_query q = { .env = bn_env };
	struct bn_clock c, all;
	json_t *arr = NULL, *objects = json_object(), *links = NULL, *o;
	struct cal_commit cm = { 0 };
	struct cal_commit_stats cs = { 0 };
	struct cal_clique_stats qs = { 0 };
	struct cal_search_stats ss = { 0 };
	char extra[200];
	double t_link, t_commit, t_cliques;
	size_t i;

	bn_start(&all);
	bn_start(&c);
	if (cal_store_objects(st, &arr, &q))
		bn_die("objects");
	json_array_foreach(arr, i, o)
		json_object_set(objects, cal_json_str(o, CAL_F_ID), o);
	json_decref(arr);
	snprintf(extra, sizeof(extra), "%zu objects", json_object_size(objects));
	bn_stop(&c, "load objects", extra);
	links = bn_link(objects, &t_link);
	json_decref(objects);
	bn_start(&c);
	cm.env = bn_env;
	cm.links = links;
	if (cal_store_commit(st, &cm, &cs))
		bn_die("commit");
	json_decref(links);
	snprintf(extra, sizeof(extra), "links +%d", cs.links_added);
	t_commit = bn_stop(&c, "commit links", extra);
	bn_start(&c);
	if (cal_clique_refresh(st, bn_env, cs.ts, &qs))
		bn_die("cliques");
	snprintf(extra, sizeof(extra), "%d focal points, %d written", qs.focal_points,
		 qs.changed);
	t_cliques = bn_stop(&c, "cliques (from scratch)", extra);
	printf("  => links and all cliques from scratch: %.2f s (link %.2f, store links %.2f, "
	       "cliques %.2f); %.2f s cpu; peak RSS %ld MB\n", t_link + t_commit + t_cliques,
	       t_link, t_commit, t_cliques, (double)(bn_cpu_us() - all.cpu) / 1e6, bn_peak_mb());
	bn_start(&c);
	if (cal_search_refresh(st, bn_env, cs.ts, &ss))
		bn_die("search index");
	snprintf(extra, sizeof(extra), "%d objects indexed", ss.indexed);
	bn_stop(&c, "search index", extra);
}

static void bn_impact(cal_store *st, int n)
{
	static const char *const types[] = { "host_pnic", "vedge", "otep", "vconnector",
					     "switch_pnic", "instance" };
	int64_t *live = calloc((size_t)n * 6 + 1, sizeof(*live));
	int64_t *down = calloc((size_t)n * 6 + 1, sizeof(*down));
	int nl = 0, nd = 0;
	long affected = 0, lost = 0;

	printf("\nimpact (one store handle, statements cached; first call not counted):\n");
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		json_t *ids = bn_ids(st, types[t]);
		size_t m = json_array_size(ids);
		int64_t *tl = live + nl, *td = down + nd;
		int k = 0;

		for (int i = 0; i <= n && m > 0; i++) {
			const char *id = json_string_value(json_array_get(ids, (size_t)rand() % m));
			struct cal_impact_opts o = { 0 };
			json_t *r = NULL;
			int64_t t0 = cal_time_mono_us(), t1;

			if (cal_impact(st, &r, bn_env, id, &o))
				bn_die("impact");
			t1 = cal_time_mono_us();
			affected += (long)json_array_size(json_object_get(r, "affected"));
			json_decref(r);
			o.what_if_down = true;
			if (cal_impact(st, &r, bn_env, id, &o))
				bn_die("impact");
			lost += (long)json_array_size(json_object_get(r, "lost"));
			json_decref(r);
			if (i > 0) {
				tl[k] = t1 - t0;
				td[k] = cal_time_mono_us() - t1;
				k++;
			}
		}
		{
			char what[64];

			snprintf(what, sizeof(what), "%s", types[t]);
			bn_stats(what, tl, k);
			snprintf(what, sizeof(what), "%s, what if down", types[t]);
			bn_stats(what, td, k);
		}
		nl += k;
		nd += k;
		json_decref(ids);
	}
	printf("  (%ld focal points affected, %ld losing their path, over all lookups)\n",
	       affected, lost);
	bn_stats("all impact lookups", live, nl);
	bn_stats("all impact lookups, what if down", down, nd);
	free(live);
	free(down);
}

static void bn_search(cal_store *st, int n)
{
	json_t *inst = bn_ids(st, "instance"), *vnics = NULL, *v;
	struct cal_query q = { .env = bn_env, .type = "vnic", .limit = n + 1 };
	int64_t *t[5];
	int k[5] = { 0 };
	static const char *const kinds[] = { "search exact name", "search exact id",
					     "search MAC prefix", "search IP", "search id fragment" };
	size_t m = json_array_size(inst);

	printf("\nsearch (limit 50):\n");
	if (cal_store_objects(st, &vnics, &q))
		bn_die("vnics");
	for (int i = 0; i < 5; i++)
		t[i] = calloc((size_t)n + 2, sizeof(**t));
	for (int i = 0; i <= n && m > 0; i++) {
		const char *id = json_string_value(json_array_get(inst, (size_t)rand() % m));
		json_t *obj = NULL;
		char text[5][64];

		if (cal_store_object_get(st, &obj, bn_env, id, 0))
			bn_die("object");
		snprintf(text[0], sizeof(text[0]), "%s", cal_json_str(obj, CAL_F_NAME));
		snprintf(text[1], sizeof(text[1]), "%s", id);
		snprintf(text[2], sizeof(text[2]), "%.11s", cal_json_str(obj, "mac_address"));
		v = json_array_get(vnics, (size_t)i % (json_array_size(vnics) ? json_array_size(vnics) : 1));
		snprintf(text[3], sizeof(text[3]), "%s", json_string_value(json_array_get(
			json_object_get(v, "addresses"), 0)) ? json_string_value(json_array_get(
			json_object_get(v, "addresses"), 0)) : "10.100.0.2");
		text[3][strcspn(text[3], "/")] = '\0';
		snprintf(text[4], sizeof(text[4]), "%.6s", id + 9);
		json_decref(obj);
		for (int kind = 0; kind < 5; kind++) {
			struct cal_search_opts so = { 0 };
			json_t *hits = NULL;
			int64_t t0 = cal_time_mono_us();

			if (cal_search(st, &hits, bn_env, text[kind], &so))
				bn_die("search");
			if (i > 0)
				t[kind][k[kind]++] = cal_time_mono_us() - t0;
			if (kind <= 1 && (json_array_size(hits) == 0 ||
					  strcmp(cal_json_str(json_array_get(hits, 0), "id"), id) != 0)) {
				fprintf(stderr, "bench_cliques: search '%s' did not find %s first\n",
					text[kind], id);
				exit(1);
			}
			json_decref(hits);
		}
	}
	for (int kind = 0; kind < 5; kind++) {
		bn_stats(kinds[kind], t[kind], k[kind]);
		free(t[kind]);
	}
	json_decref(inst);
	json_decref(vnics);
}

/* ------------------------------------------------------------------ */
/* The networkx comparison: export, and our time for the same sample    */
/* ------------------------------------------------------------------ */

static void bn_nx_export(cal_store *st, int sample, const char *path)
{
	struct an_plans plans;
	struct an_graph g = { 0 };
	struct an_grower w;
	struct an_clique c = { 0 };
	struct bn_clock clk;
	uint32_t *pick;
	int npick = 0;
	double t_load, t_grow;
	FILE *f;

	printf("\nnetworkx comparison (%d sampled focal points):\n", sample);
	if (an_plans_load(&plans, st, bn_env))
		bn_die("plans");
	bn_start(&clk);
	if (an_graph_load(&g, st, bn_env, &plans))
		bn_die("graph");
	t_load = bn_stop(&clk, "ours: load graph", NULL);
	pick = calloc((size_t)sample + 1, sizeof(*pick));
	/* A sample of every focal point type, drawn at random. */
	for (int tries = 0; npick < sample && tries < sample * 1000; tries++) {
		uint32_t u = (uint32_t)((unsigned)rand() % g.n);
		bool dup = false;

		if (g.type[u] == CAL_T_UNKNOWN || !plans.by_type[g.type[u]])
			continue;
		for (int i = 0; i < npick && !dup; i++)
			dup = pick[i] == u;
		if (!dup)
			pick[npick++] = u;
	}
	if (an_grower_init(&w, &g))
		bn_die("grower");
	/* The best of five runs (the machine may be shared). */
	t_grow = 1e9;
	for (int run = 0; run < 5; run++) {
		int64_t t0 = cal_time_mono_us();
		double t;

		for (int i = 0; i < npick; i++)
			if (an_grow(&w, &c, plans.by_type[g.type[pick[i]]], pick[i]))
				bn_die("grow");
		t = (double)(cal_time_mono_us() - t0) / 1e6;
		if (t < t_grow)
			t_grow = t;
	}
	printf("  %-22s %8.4f s (best of 5)\n", "ours: grow the sample", t_grow);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	/* The graph as growth sees it, the plans, the sample and our cliques. */
	fprintf(f, "{\"timing\": {\"load_s\": %.6f, \"grow_s\": %.6f},\n\"types\": {", t_load,
		t_grow);
	for (int t = 1, first = 1; t < CAL_T_COUNT_; t++) {
		const struct an_plan *p = plans.by_type[t];

		if (!p)
			continue;
		fprintf(f, "%s\"%s\": {\"id\": \"%s\", \"network\": %s, \"steps\": [", first ? "" : ", ",
			cal_type_name((enum cal_obj_type)t), p->id,
			p->network_constraint ? "true" : "false");
		for (int i = 0; i < p->nsteps; i++)
			fprintf(f, "%s[\"%s\", \"%s\"]", i ? ", " : "", cal_type_name(p->steps[i].from),
				cal_type_name(p->steps[i].to));
		fprintf(f, "]}");
		first = 0;
	}
	fprintf(f, "},\n\"nodes\": [\n");
	for (uint32_t u = 0; u < g.n; u++) {
		struct cal_buf b = { 0 };

		cal_buf_str(&b, "[");
		an_buf_json_str(&b, an_intern_key(&g.ids, u));
		cal_buf_printf(&b, ", \"%s\", [", cal_type_name((enum cal_obj_type)g.type[u]));
		for (uint32_t k = g.net_off[u]; k < g.net_off[u + 1]; k++) {
			if (k > g.net_off[u])
				cal_buf_str(&b, ", ");
			an_buf_json_str(&b, an_intern_key(&g.ids, g.nets[k]));
		}
		cal_buf_str(&b, "]]");
		fprintf(f, "%s%s\n", b.s, u + 1 < g.n ? "," : "");
		cal_buf_free(&b);
	}
	fprintf(f, "],\n\"links\": [\n");
	for (uint32_t e = 0; e < g.m; e++) {
		struct cal_buf b = { 0 };

		cal_buf_str(&b, "[");
		an_buf_json_str(&b, an_intern_key(&g.ids, g.lsrc[e]));
		cal_buf_str(&b, ", ");
		an_buf_json_str(&b, an_intern_key(&g.ids, g.ldst[e]));
		cal_buf_str(&b, ", ");
		an_buf_json_str(&b, an_intern_key(&g.ltypes, g.ltype[e]));
		cal_buf_str(&b, ", ");
		if (g.lnet[e] >= 0)
			an_buf_json_str(&b, an_intern_key(&g.ids, (uint32_t)g.lnet[e]));
		else
			cal_buf_str(&b, "null");
		cal_buf_str(&b, "]");
		fprintf(f, "%s%s\n", b.s, e + 1 < g.m ? "," : "");
		cal_buf_free(&b);
	}
	fprintf(f, "],\n\"cliques\": {\n");
	for (int i = 0; i < npick; i++) {
		struct cal_buf b = { 0 };

		if (an_grow(&w, &c, plans.by_type[g.type[pick[i]]], pick[i]))
			bn_die("grow");
		an_buf_json_str(&b, an_intern_key(&g.ids, pick[i]));
		cal_buf_str(&b, ": {\"nodes\": [");
		for (size_t k = 0; k < c.nodes.n; k++) {
			if (k)
				cal_buf_str(&b, ", ");
			an_buf_json_str(&b, an_intern_key(&g.ids, c.nodes.v[k]));
		}
		cal_buf_str(&b, "], \"links\": [");
		for (size_t k = 0; k < c.links.n; k++) {
			uint32_t e = c.links.v[k];

			cal_buf_str(&b, k ? ", [" : "[");
			an_buf_json_str(&b, an_intern_key(&g.ids, g.lsrc[e]));
			cal_buf_str(&b, ", ");
			an_buf_json_str(&b, an_intern_key(&g.ltypes, g.ltype[e]));
			cal_buf_str(&b, ", ");
			an_buf_json_str(&b, an_intern_key(&g.ids, g.ldst[e]));
			cal_buf_str(&b, "]");
		}
		cal_buf_str(&b, "]}");
		fprintf(f, "%s%s\n", b.s, i + 1 < npick ? "," : "");
		cal_buf_free(&b);
	}
	fprintf(f, "}}\n");
	fclose(f);
	printf("  wrote %s: %u objects, %u links, %d cliques\n", path, g.n, g.m, npick);
	free(pick);
	an_clique_free(&c);
	an_grower_fini(&w);
	an_graph_free(&g);
	an_plans_free(&plans);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hosts", required_argument, NULL, 'H' }, { "vms", required_argument, NULL, 'v' },
		{ "networks", required_argument, NULL, 'n' }, { "seed", required_argument, NULL, 's' },
		{ "churn", required_argument, NULL, 'c' }, { "impact", required_argument, NULL, 'i' },
		{ "search", required_argument, NULL, 'q' }, { "sample", required_argument, NULL, 'S' },
		{ "nx-out", required_argument, NULL, 'x' }, { "db", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' }, { "stage", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *stage = "all";
	struct cal_sim_opts o = { .hosts = 1000, .vms = 20000, .networks = 2000, .seed = 1,
				  .env = bn_env };
	int churn = 50, nimpact = 200, nsearch = 100, sample = 1000, c;
	const char *nx_out = NULL, *dbpath = NULL;
	char dir[64] = "", path[128];
	bool keep = false;
	cal_store *st = NULL;
	json_t *cfg;
	int64_t ts;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'H': o.hosts = atoi(optarg); break;
		case 'v': o.vms = atoi(optarg); break;
		case 'n': o.networks = atoi(optarg); break;
		case 's': o.seed = strtoull(optarg, NULL, 10); break;
		case 'c': churn = atoi(optarg); break;
		case 'i': nimpact = atoi(optarg); break;
		case 'q': nsearch = atoi(optarg); break;
		case 'S': sample = atoi(optarg); break;
		case 'x': nx_out = optarg; break;
		case 'd': dbpath = optarg; break;
		case 'k': keep = true; break;
		case 'g': stage = optarg; break;
		default:
			fprintf(stderr, "usage: bench_cliques [--hosts N] [--vms M] [--networks K] "
					"[--seed S] [--churn C] [--impact N] [--search N] [--sample N] "
					"[--nx-out FILE] [--db PATH] [--keep]\n"
					"       [--stage all|inventory|links-cliques|churn]\n");
			return 2;
		}
	}
	if (cal_sim_check(&o))
		bn_die("options");
	srand((unsigned)o.seed);
	if (!dbpath) {
		snprintf(dir, sizeof(dir), "/tmp/cq-bench-XXXXXX");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
		snprintf(path, sizeof(path), "%s/bench.db", dir);
		dbpath = path;
	}
	if (cal_store_open(&st, dbpath))
		bn_die("open");
	cfg = cal_sim_env_config(&o);
	if (cal_store_env_put(st, bn_env, cfg, true))
		bn_die("environment");
	printf("simulated cloud: %d hosts, %d VMs, %d networks (seed %llu), store %s\n", o.hosts,
	       o.vms, o.networks, (unsigned long long)o.seed, dbpath);
	if (strcmp(stage, "inventory") == 0) {
		printf("\nstage inventory: objects only, no links:\n");
		bn_inventory(st, &o, cfg);
	} else if (strcmp(stage, "links-cliques") == 0) {
		printf("\nstage links-cliques: from the stored objects:\n");
		bn_links_cliques(st);
	} else if (strcmp(stage, "churn") == 0) {
		printf("\nscan after %d VMs deleted or moved:\n", churn);
		o.churn = churn;
		bn_commit(st, &o, cfg, true, &ts);
	} else if (strcmp(stage, "all") == 0) {
		printf("\nfirst scan, from scratch:\n");
		bn_commit(st, &o, cfg, false, &ts);
		printf("  peak RSS so far: %ld MB\n", bn_peak_mb());
	} else {
		fprintf(stderr, "bench_cliques: unknown stage '%s'\n", stage);
		return 2;
	}
	if (strcmp(stage, "inventory") != 0 && strcmp(stage, "churn") != 0) {
		if (nimpact > 0)
			bn_impact(st, nimpact);
		if (nsearch > 0)
			bn_search(st, nsearch);
	}
	if (strcmp(stage, "all") == 0 && churn > 0) {
		printf("\nsecond scan, %d VMs deleted or moved:\n", churn);
		o.churn = churn;
		bn_commit(st, &o, cfg, true, &ts);
	}
	if (nx_out)
		bn_nx_export(st, sample, nx_out);
	printf("\npeak RSS of the whole run: %ld MB\n", bn_peak_mb());
	json_decref(cfg);
	cal_store_close(st);
	if (*dir && !keep) {
		static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };

		for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
			char p[160];

			snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
			unlink(p);
		}
		rmdir(dir);
	}
	return 0;
}
