/* cmd_clique_type.c - `calipso clique-type list|add|rm|select`: the clique
 * types in force (defaults and the user's), adding user types from JSON,
 * removing them, and which type an environment uses for a focal point
 * type. */
#include "commands.h"

#include "analyze/analyze.h"

#include <stdlib.h>
#include <string.h>

static char *ctype_selectors(const json_t *t)
{
	static const char *const keys[] = { "environment", "distribution", "distribution_version",
					    "mechanism_drivers", "type_drivers", NULL };
	char buf[512] = "";

	for (const char *const *k = keys; *k; k++) {
		json_t *v = json_object_get(t, *k);
		char *text;

		if (!v)
			continue;
		text = json_is_string(v) ? strdup(json_string_value(v))
					 : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s=%s", *buf ? " " : "",
			 *k, text ? text : "");
		free(text);
	}
	return strdup(*buf ? buf : "ANY");
}

static int ctype_list(struct cli_ctx *ctx, cal_store *st)
{
	static const char *const hdr[] = { "ID", "FOCAL POINT", "SELECTORS", "STEPS", "ORIGIN",
					   "IN USE" };
	struct cli_table *t;
	json_t *all = NULL;
	size_t i;
	json_t *v;
	int rc;

	rc = cal_clique_types_list(st, &all);
	if (rc)
		return cli_fail("clique-type", rc);
	/* Which type the environment uses for each focal point type. */
	json_array_foreach(all, i, v) {
		json_t *sel = NULL;

		if (cal_clique_type_select(st, &sel, cli_env(ctx),
					   cal_json_str(v, "focal_point_type")) == 0)
			json_object_set_new(v, "in_use",
					    json_boolean(strcmp(cal_json_str(sel, "id"),
								cal_json_str(v, "id")) == 0));
		json_decref(sel);
	}
	cal_error_clear();
	if (ctx->json) {
		cli_print_json(all);
		json_decref(all);
		return 0;
	}
	t = cli_table_new(6, hdr);
	json_array_foreach(all, i, v) {
		char *sel = ctype_selectors(v);
		char steps[16];
		const char *row[6];

		snprintf(steps, sizeof(steps), "%zu", json_array_size(json_object_get(v, "link_types")));
		row[0] = cal_json_str(v, "id");
		row[1] = cal_json_str(v, "focal_point_type");
		row[2] = sel;
		row[3] = steps;
		row[4] = json_is_true(json_object_get(v, "builtin")) ? "default" : "user";
		row[5] = json_is_true(json_object_get(v, "in_use")) ? cli_env(ctx) : "";
		cli_table_add(t, row);
		free(sel);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
	json_decref(all);
	return 0;
}

static int ctype_add(struct cli_ctx *ctx, cal_store *st, int argc, char **argv)
{
	const char *file = NULL;
	bool replace = false;
	json_error_t jerr;
	json_t *doc, *list;
	size_t i;
	json_t *t;
	int rc = 0;

	for (int i2 = 2; i2 < argc; i2++) {
		if (strcmp(argv[i2], "--replace") == 0)
			replace = true;
		else if (!file)
			file = argv[i2];
		else
			return cli_usage_error("clique-type", "unexpected argument '%s'", argv[i2]);
	}
	if (!file)
		return cli_usage_error("clique-type", "add needs a FILE (or - for stdin)");
	doc = strcmp(file, "-") == 0 ? json_loadf(stdin, 0, &jerr) : json_load_file(file, 0, &jerr);
	if (!doc) {
		cal_error_set(CAL_EINVALID, "cannot read clique type '%s': %s (line %d)", file,
			      jerr.text, jerr.line);
		return cli_fail("clique-type", CAL_EINVALID);
	}
	/* One type or an array of them; all are checked before any is stored. */
	list = json_is_array(doc) ? json_incref(doc) : json_pack("[O]", doc);
	json_array_foreach(list, i, t) {
		rc = cal_clique_type_check(t);
		if (rc)
			break;
	}
	json_array_foreach(list, i, t) {
		if (rc)
			break;
		rc = cal_clique_type_put(st, t, replace);
		if (rc == 0 && !ctx->json)
			printf("clique type '%s' saved (focal point %s)\n", cal_json_str(t, "id"),
			       cal_json_str(t, "focal_point_type"));
	}
	if (rc == 0 && ctx->json)
		cli_print_json(list);
	json_decref(list);
	json_decref(doc);
	return cli_fail("clique-type", rc);
}

int cmd_clique_type(struct cli_ctx *ctx, int argc, char **argv)
{
	cal_store *st;
	json_t *sel = NULL;
	int rc;

	if (argc < 2)
		return cli_usage_error("clique-type", "expected list, add, rm or select");
	st = cli_store(ctx);
	if (!st)
		return CLI_EXIT_FAILURE;
	if (strcmp(argv[1], "list") == 0) {
		if (argc != 2)
			return cli_usage_error("clique-type", "list takes no argument");
		return ctype_list(ctx, st);
	}
	if (strcmp(argv[1], "add") == 0)
		return ctype_add(ctx, st, argc, argv);
	if (strcmp(argv[1], "rm") == 0) {
		if (argc != 3)
			return cli_usage_error("clique-type", "rm needs one ID");
		rc = cal_clique_type_remove(st, argv[2]);
		if (rc == 0 && !ctx->json)
			printf("clique type '%s' removed\n", argv[2]);
		return cli_fail("clique-type", rc);
	}
	if (strcmp(argv[1], "select") == 0) {
		if (argc != 3)
			return cli_usage_error("clique-type", "select needs a focal point type");
		if (cal_type_from_name(argv[2]) == CAL_T_UNKNOWN)
			return cli_usage_error("clique-type", "unknown object type '%s'", argv[2]);
		rc = cal_clique_type_select(st, &sel, cli_env(ctx), argv[2]);
		if (rc)
			return cli_fail("clique-type", rc);
		if (ctx->json) {
			cli_print_json(sel);
		} else {
			size_t i;
			json_t *v;

			printf("environment '%s' uses clique type '%s' for %s:\n", cli_env(ctx),
			       cal_json_str(sel, "id"), argv[2]);
			json_array_foreach(json_object_get(sel, "link_types"), i, v)
				printf("  %2zu. %s\n", i + 1, json_string_value(v));
		}
		json_decref(sel);
		return 0;
	}
	return cli_usage_error("clique-type", "unknown subcommand '%s'", argv[1]);
}
