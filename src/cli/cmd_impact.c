/* cmd_impact.c - `calipso impact ID`: every clique holding an object, the
 * affected focal points grouped by project, host, network and switch, and
 * with --what-if down the instances and services that lose their path to
 * the wire. */
#include "commands.h"

#include "analyze/analyze.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void impact_groups(const char *title, const json_t *groups, const char *empty)
{
	const char *k;
	json_t *v;

	if (json_object_size(groups) == 0)
		return;
	printf("\nby %s:\n", title);
	json_object_foreach((json_t *)groups, k, v)
		printf("  %-40s %zu\n", *k ? k : empty, json_array_size(v));
}

static void impact_print(const json_t *r)
{
	static const char *const hdr[] = { "FOCAL TYPE", "NAME", "HOST", "PROJECT", "NETWORKS",
					   "SWITCHES", "HEALTH", "LOSES PATH" };
	const json_t *obj = json_object_get(r, "object");
	bool what_if = json_object_get(r, "lost") != NULL;
	struct cli_table *t;
	size_t i;
	json_t *e;

	printf("impact of %s (%s %s): %lld cliques\n", cal_json_str(obj, "name"),
	       cal_json_str(obj, "type"), cal_json_str(obj, "id"),
	       (long long)cal_json_int(r, "cliques", 0));
	if (what_if)
		printf("what if it goes down: %zu instances and services lose their path to the "
		       "wire\n", json_array_size(json_object_get(r, "lost")));
	printf("\n");
	t = cli_table_new(8, hdr);
	json_array_foreach(json_object_get(r, "affected"), i, e) {
		char *nets = cli_join(json_object_get(e, "networks"));
		char *sws = cli_join(json_object_get(e, "switches"));
		json_t *lp = json_object_get(e, "loses_path");
		const char *row[] = { cal_json_str(e, "focal_point_type"), cal_json_str(e, "name"),
				      cal_json_str(e, "host"), cal_json_str(e, "project"), nets, sws,
				      cal_json_str(e, "health"),
				      !lp ? "" : json_is_true(lp) ? "yes" : "no" };

		cli_table_add(t, row);
		free(nets);
		free(sws);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
	impact_groups("project", json_object_get(r, "by_project"), "(no project)");
	impact_groups("host", json_object_get(r, "by_host"), "(no host)");
	impact_groups("network", json_object_get(r, "by_network"), "");
	impact_groups("switch", json_object_get(r, "by_switch"), "");
	json_array_foreach(json_object_get(r, "notes"), i, e)
		printf("\nnote: %s\n", json_string_value(e));
}

int cmd_impact(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "what-if", required_argument, NULL, 'w' },
		{ "project", required_argument, NULL, 'p' },
		{ "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct cal_impact_opts o = { 0 };
	cal_store *st;
	json_t *r = NULL;
	const char *at = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (strcmp(optarg, "down") != 0)
				return cli_usage_error("impact", "--what-if takes \"down\" (got '%s')",
						       optarg);
			o.what_if_down = true;
			break;
		case 'p': o.project = optarg; break;
		case 'a': at = optarg; break;
		default: return cli_usage_error("impact", "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("impact", "expected one object ID");
	rc = cli_store_at(&st, &o.at, ctx, "impact", at);
	if (rc)
		return rc;
	rc = cal_impact(st, &r, cli_env(ctx), argv[optind], &o);
	if (rc)
		return cli_fail("impact", rc);
	if (ctx->json)
		cli_print_json(r);
	else
		impact_print(r);
	json_decref(r);
	return 0;
}
