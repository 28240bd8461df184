/* cmd_links.c - `calipso links`: links of an environment, filtered by type,
 * host or object, live or --at a past time. */
#include "commands.h"

#include <getopt.h>
#include <string.h>

int cmd_links(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' }, { "host", required_argument, NULL, 'H' },
		{ "object", required_argument, NULL, 'o' }, { "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const hdr[] = { "TYPE", "SOURCE", "TARGET", "NAME", "STATE", "NETWORK" };
	struct cal_query q = { 0 };
	const char *object = NULL;
	struct cli_table *t;
	cal_store *st;
	json_t *links = NULL;
	const char *at = NULL;
	size_t i;
	json_t *l;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': q.type = optarg; break;
		case 'H': q.host = optarg; break;
		case 'o': object = optarg; break;
		case 'a': at = optarg; break;
		default: return cli_usage_error("links", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("links", "unexpected argument '%s'", argv[optind]);
	rc = cli_store_at(&st, &q.at, ctx, "links", at);
	if (rc)
		return rc;
	q.env = cli_env(ctx);
	rc = cal_store_links(st, &links, &q, object);
	if (rc)
		return cli_fail("links", rc);
	if (ctx->json) {
		cli_print_json(links);
		json_decref(links);
		return 0;
	}
	t = cli_table_new(6, hdr);
	json_array_foreach(links, i, l) {
		const char *row[] = { cal_json_str(l, CAL_F_LINK_TYPE),
				      *cal_json_str(l, "source_label") ? cal_json_str(l, "source_label")
								       : cal_json_str(l, CAL_F_SOURCE_ID),
				      *cal_json_str(l, "target_label") ? cal_json_str(l, "target_label")
								       : cal_json_str(l, CAL_F_TARGET_ID),
				      cal_json_str(l, CAL_F_LINK_NAME), cal_json_str(l, CAL_F_STATE),
				      cal_json_str(json_object_get(l, "attributes"), "network") };

		cli_table_add(t, row);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
	json_decref(links);
	return 0;
}
