/* cmd_env.c - `calipso env add|list|show|rm`: environments and their
 * discovery configuration (docs/environments.md). */
#include "commands.h"
#include "pipeline/pipeline.h"

#include <getopt.h>
#include <string.h>

static int env_add(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "replace", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *name;
	bool replace = false;
	json_t *config;
	json_error_t jerr;
	cal_store *st;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': file = optarg; break;
		case 'r': replace = true; break;
		default: return cli_usage_error("env", "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("env", "env add needs exactly one NAME");
	name = argv[optind];
	if (file) {
		config = strcmp(file, "-") == 0 ? json_loadf(stdin, 0, &jerr)
						: json_load_file(file, 0, &jerr);
		if (!config) {
			fprintf(stderr, "calipso env: cannot read configuration '%s': %s (line %d)\n",
				file, jerr.text, jerr.line);
			return CLI_EXIT_USAGE;
		}
		json_object_set_new(config, "name", json_string(name));
	} else {
		config = cal_env_config_default(name);
	}
	rc = cal_env_config_check(config);
	if (rc) {
		json_decref(config);
		return cli_fail("env", rc);
	}
	st = cli_store(ctx);
	if (!st) {
		json_decref(config);
		return CLI_EXIT_FAILURE;
	}
	rc = cal_store_env_put(st, name, config, replace);
	if (rc == 0 && !ctx->json)
		printf("environment '%s' %s with %zu hosts\n", name, replace ? "saved" : "added",
		       json_array_size(json_object_get(config, "hosts")));
	else if (rc == 0)
		cli_print_json(config);
	json_decref(config);
	if (rc == CAL_EEXISTS) {
		fprintf(stderr, "calipso env: environment '%s' exists; use --replace\n", name);
		return CLI_EXIT_USAGE;
	}
	return cli_fail("env", rc);
}

static int env_list(struct cli_ctx *ctx)
{
	static const char *const hdr[] = { "NAME", "HOSTS", "SWITCHES", "UPDATED" };
	cal_store *st = cli_store(ctx);
	struct cli_table *t;
	json_t *list;
	size_t i;
	json_t *e;
	int rc;

	if (!st)
		return CLI_EXIT_FAILURE;
	rc = cal_store_env_list(st, &list);
	if (rc)
		return cli_fail("env", rc);
	if (ctx->json) {
		cli_print_json(list);
		json_decref(list);
		return 0;
	}
	t = cli_table_new(4, hdr);
	json_array_foreach(list, i, e) {
		json_t *cfg = json_object_get(e, "config");
		char nh[16], ns[16];
		const char *row[4];

		snprintf(nh, sizeof(nh), "%zu", json_array_size(json_object_get(cfg, "hosts")));
		snprintf(ns, sizeof(ns), "%zu", json_array_size(json_object_get(cfg, "switches")));
		row[0] = cal_json_str(e, "name");
		row[1] = nh;
		row[2] = ns;
		row[3] = cal_json_str(e, "updated");
		cli_table_add(t, row);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
	json_decref(list);
	return 0;
}

int cmd_env(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	cal_store *st;
	json_t *cfg;
	int rc;

	if (strcmp(sub, "add") == 0)
		return env_add(ctx, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return env_list(ctx);
	if (strcmp(sub, "show") == 0 || strcmp(sub, "rm") == 0) {
		const char *name = argc > 2 ? argv[2] : cli_env(ctx);

		st = cli_store(ctx);
		if (!st)
			return CLI_EXIT_FAILURE;
		if (strcmp(sub, "rm") == 0) {
			rc = cal_store_env_remove(st, name);
			if (rc == 0 && !ctx->json)
				printf("environment '%s' removed\n", name);
			return cli_fail("env", rc);
		}
		rc = cal_store_env_get(st, &cfg, name);
		if (rc)
			return cli_fail("env", rc);
		cli_print_json(cfg);
		json_decref(cfg);
		return 0;
	}
	return cli_usage_error("env", "unknown subcommand '%s'", sub);
}
