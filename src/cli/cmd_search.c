/* cmd_search.c - `calipso search TEXT`: objects by name, id, MAC, IP, CIDR
 * or any attribute value, best matches first, with where they are. */
#include "commands.h"

#include "analyze/analyze.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cmd_search(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'l' },
		{ "all-envs", no_argument, NULL, 'A' },
		{ "reindex", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const hdr[] = { "TYPE", "NAME", "MATCH", "FIELD", "VALUE", "NAME PATH" };
	static const char *const fields[] = { "type", "name", "match", "field", "value",
					      "name_path" };
	struct cal_search_opts o = { 0 };
	bool all = false, reindex = false;
	cal_store *st;
	json_t *hits = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if ((rc = cli_type_arg(&o.type, "search", optarg)))
				return rc;
			break;
		case 'l':
			if ((rc = cli_count_arg(&o.limit, "search", "--limit", optarg)))
				return rc;
			break;
		case 'A': all = true; break;
		case 'r': reindex = true; break;
		default: return cli_usage_error("search", "unknown option");
		}
	}
	if (reindex ? optind != argc : optind != argc - 1)
		return cli_usage_error("search", reindex ? "--reindex takes no TEXT"
						       : "expected one TEXT to search for");
	st = cli_store(ctx);
	if (!st)
		return CLI_EXIT_FAILURE;
	if (reindex) {
		struct cal_search_stats s = { 0 };

		rc = cal_search_rebuild(st, cli_env(ctx), &s);
		if (rc == 0 && !ctx->json)
			printf("search index of '%s' rebuilt: %d objects in %.2f s\n", cli_env(ctx),
			       s.indexed, s.duration_us / 1e6);
		return cli_fail("search", rc);
	}
	rc = cal_search(st, &hits, all ? NULL : cli_env(ctx), argv[optind], &o);
	if (rc)
		return cli_fail("search", rc);
	if (ctx->json) {
		cli_print_json(hits);
	} else if (json_array_size(hits) == 0) {
		printf("nothing matches '%s' in %s\n", argv[optind],
		       all ? "any environment" : cli_env(ctx));
	} else {
		cli_print_rows(hits, 6, hdr, fields);
	}
	json_decref(hits);
	return 0;
}
