/* cmd_clique.c - `calipso clique`: one focal point's clique (its path down
 * to the wire) with nodes, links and health, as text, JSON or Graphviz;
 * without an ID, the list of cliques; --rebuild recomputes them all. */
#include "commands.h"

#include "analyze/analyze.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Members from the focal point down to the wire, for people. */
static int clique_layer(const json_t *n)
{
	static const char *const order[] = { "instance", "vservice", "vnic", "vconnector", "vedge",
					     "otep", "host_pnic", "network", "switch_pnic",
					     "switch", NULL };
	const char *t = cal_json_str(n, CAL_F_TYPE);

	for (int i = 0; order[i]; i++)
		if (strcmp(order[i], t) == 0)
			return i;
	return 100;
}

static int clique_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int d = clique_layer(x) - clique_layer(y);

	if (d)
		return d;
	d = strcmp(cal_json_str(x, CAL_F_HOST), cal_json_str(y, CAL_F_HOST));
	return d ? d : strcmp(cal_json_str(x, CAL_F_NAME), cal_json_str(y, CAL_F_NAME));
}

static void clique_print(const json_t *c)
{
	static const char *const nhdr[] = { "TYPE", "NAME", "HOST", "STATUS", "ID" };
	static const char *const lhdr[] = { "LINK TYPE", "SOURCE", "TARGET", "STATE", "NETWORK" };
	char *nets = cli_join(json_object_get(c, "networks"));
	char *sws = cli_join(json_object_get(c, "switches"));
	struct cli_table *t;
	json_t *names = json_object(), *nodes, **sorted;
	size_t i;
	json_t *v;

	printf("clique of %s (%s %s)\n", cal_json_str(c, "name"), cal_json_str(c,
	       "focal_point_type"), cal_json_str(c, "focal_point"));
	printf("clique type  %s\nhealth       %s\n", cal_json_str(c, "clique_type"),
	       cal_json_str(c, "health"));
	if (*cal_json_str(c, "host"))
		printf("host         %s\n", cal_json_str(c, "host"));
	if (*cal_json_str(c, "project"))
		printf("project      %s\n", cal_json_str(c, "project"));
	printf("networks     %s\nswitches     %s\n\n", nets && *nets ? nets : "-",
	       sws && *sws ? sws : "-");
	free(nets);
	free(sws);
	t = cli_table_new(5, nhdr);
	nodes = json_object_get(c, "nodes");
	sorted = calloc(json_array_size(nodes) + 1, sizeof(*sorted));
	if (!sorted) {
		cli_table_free(t);
		json_decref(names);
		return;
	}
	json_array_foreach(nodes, i, v)
		sorted[i] = v;
	qsort(sorted, json_array_size(nodes), sizeof(*sorted), clique_cmp);
	for (i = 0; i < json_array_size(nodes); i++) {
		v = sorted[i];
		const char *row[] = { cal_json_str(v, CAL_F_TYPE), cal_json_str(v, CAL_F_NAME),
				      cal_json_str(v, CAL_F_HOST),
				      *cal_json_str(v, CAL_F_STATUS) ? cal_json_str(v, CAL_F_STATUS)
								   : "-",
				      cal_json_str(v, CAL_F_ID) };

		cli_table_add(t, row);
		json_object_set_new(names, cal_json_str(v, CAL_F_ID),
				    json_string(cal_json_str(v, CAL_F_NAME)));
	}
	free(sorted);
	cli_table_print(t, stdout);
	cli_table_free(t);
	printf("\n");
	t = cli_table_new(5, lhdr);
	json_array_foreach(json_object_get(c, "links"), i, v) {
		const char *src = cal_json_str(v, CAL_F_SOURCE_ID);
		const char *dst = cal_json_str(v, CAL_F_TARGET_ID);
		const char *sn = cal_json_str(names, src), *dn = cal_json_str(names, dst);
		const char *row[] = { cal_json_str(v, CAL_F_LINK_TYPE), *sn ? sn : src,
				      *dn ? dn : dst, cal_json_str(v, CAL_F_STATE),
				      cal_json_str(json_object_get(v, CAL_F_ATTRIBUTES), "network") };

		cli_table_add(t, row);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
	json_decref(names);
}

static void clique_print_list(const json_t *list)
{
	static const char *const hdr[] = { "FOCAL TYPE", "NAME", "HOST", "HEALTH", "CLIQUE TYPE",
					   "FOCAL POINT" };
	static const char *const fields[] = { "focal_point_type", "name", "host", "health",
					      "clique_type", "focal_point" };

	cli_print_rows(list, 6, hdr, fields);
}

int cmd_clique(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dot", no_argument, NULL, 'd' },     { "at", required_argument, NULL, 'a' },
		{ "type", required_argument, NULL, 't' }, { "rebuild", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	bool dot = false, rebuild = false;
	const char *type = NULL;
	int64_t at = 0;
	const char *at_text = NULL;
	cal_store *st;
	json_t *doc = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dot = true; break;
		case 'r': rebuild = true; break;
		case 't':
			if ((rc = cli_type_arg(&type, "clique", optarg)))
				return rc;
			break;
		case 'a': at_text = optarg; break;
		default: return cli_usage_error("clique", "unknown option");
		}
	}
	if (optind < argc - 1)
		return cli_usage_error("clique", "expected at most one ID");
	if (rebuild && (optind < argc || at_text || dot))
		return cli_usage_error("clique", "--rebuild takes no ID, --at or --dot");
	rc = cli_store_at(&st, &at, ctx, "clique", at_text);
	if (rc)
		return rc;
	if (rebuild) {
		struct cal_clique_stats s = { 0 };

		rc = cal_clique_rebuild(st, cli_env(ctx), 0, &s);
		if (rc)
			return cli_fail("clique", rc);
		if (ctx->json) {
			doc = json_pack("{s:i, s:i, s:i, s:I}", "focal_points", s.focal_points,
					"recomputed", s.recomputed, "changed", s.changed,
					"duration_ms", (json_int_t)(s.duration_us / 1000));
			cli_print_json(doc);
			json_decref(doc);
		} else {
			printf("cliques of '%s' rebuilt: %d focal points, %d changed, %.2f s\n",
			       cli_env(ctx), s.focal_points, s.changed, s.duration_us / 1e6);
		}
		return 0;
	}
	if (optind == argc) {
		rc = cal_clique_list(st, &doc, cli_env(ctx), type, at);
		if (rc)
			return cli_fail("clique", rc);
		if (ctx->json)
			cli_print_json(doc);
		else if (json_array_size(doc) == 0)
			printf("no cliques in environment '%s' (run `calipso scan` first)\n",
			       cli_env(ctx));
		else
			clique_print_list(doc);
		json_decref(doc);
		return 0;
	}
	rc = cal_clique_get(st, &doc, cli_env(ctx), argv[optind], at);
	if (rc)
		return cli_fail("clique", rc);
	if (dot) {
		char *text = cal_clique_dot(doc);

		if (!text) {
			json_decref(doc);
			return cli_fail("clique", cal_error_set(CAL_ENOMEM, "out of memory"));
		}
		fputs(text, stdout);
		free(text);
	} else if (ctx->json) {
		cli_print_json(doc);
	} else {
		clique_print(doc);
	}
	json_decref(doc);
	return 0;
}
