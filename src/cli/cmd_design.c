/* cmd_design.c - `calipso design`: design baselines, the "as designed"
 * state of an environment (docs/snapshots.md).  export prints a snapshot's
 * state as a design file (YAML, or JSON with --json); import checks and
 * stores a file; set stores a snapshot's state directly; list, show, rm.
 * Drift is `calipso diff design:NAME live`.
 */
#include "commands.h"
#include "analyze/analyze.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define DS_CMD "design"
#define DS_MAX_FILE (64u << 20)

/* Unknown or taken names are bad input (exit 2). */
static int ds_fail(int rc)
{
	return cli_fail(DS_CMD, rc == CAL_ENOTFOUND || rc == CAL_EEXISTS ? CAL_EINVALID : rc);
}

/* Reads FILE ("-" = stdin) whole. */
static int ds_read(char **out, size_t *len, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 65536, n = 0;
	char *buf;

	*out = NULL;
	*len = 0;
	if (!f)
		return cal_error_set_errno(CAL_EINVALID, errno, "cannot read design file '%s'", path);
	buf = malloc(cap);
	while (buf) {
		size_t got;

		if (n + 1 >= cap) {
			char *bigger;

			if (cap >= DS_MAX_FILE) {
				free(buf);
				if (f != stdin)
					fclose(f);
				return cal_error_set(CAL_EINVALID, "design file '%s' is larger than %u "
						     "MiB", path, DS_MAX_FILE >> 20);
			}
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (buf && ferror(f)) {
		int err = errno;

		free(buf);
		if (f != stdin)
			fclose(f);
		return cal_error_set_errno(CAL_EINVALID, err, "cannot read design file '%s'", path);
	}
	if (f != stdin)
		fclose(f);
	if (!buf)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static void ds_print_doc(struct cli_ctx *ctx, const json_t *doc)
{
	char *yaml;

	if (ctx->json) {
		cli_print_json(doc);
		return;
	}
	yaml = cal_design_yaml(doc);
	if (yaml)
		fputs(yaml, stdout);
	else
		fprintf(stderr, "calipso design: %s\n", cal_error_last());
	free(yaml);
}

static void ds_print_record(const json_t *r)
{
	json_t *c = json_object_get(r, "counts");

	printf("design '%s' of environment '%s' (%s): %lld objects, %lld links, %lld cliques\n",
	       cal_json_str(r, "name"), cal_json_str(r, "environment"), cal_json_str(r, "origin"),
	       (long long)cal_json_int(c, "objects", 0), (long long)cal_json_int(c, "links", 0),
	       (long long)cal_json_int(c, "cliques", 0));
}

/* The record of a design import or set saved: JSON without the document,
 * or one line. */
static void ds_print_saved(const struct cli_ctx *ctx, json_t *res)
{
	if (ctx->json) {
		json_object_del(res, "doc");
		cli_print_json(res);
	} else {
		ds_print_record(res);
	}
}

/* Options of import and set: --replace, --from REF. */
static int ds_opts(bool *replace, const char **from, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "replace", no_argument, NULL, 'r' },
		{ "from", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': *replace = true; break;
		case 'f':
			if (!from)
				return cli_usage_error(DS_CMD, "--from is an option of `design set`");
			*from = optarg;
			break;
		default: return cli_usage_error(DS_CMD, "unknown option");
		}
	}
	return 0;
}

int cmd_design(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub, *env = cli_env(ctx), *from = NULL;
	bool replace = false;
	cal_store *st;
	json_t *res = NULL;
	int rc;

	if (argc < 2)
		return cli_usage_error(DS_CMD, "expected export, import, set, list, show or rm");
	sub = argv[1];
	if (strcmp(sub, "export") != 0 && strcmp(sub, "import") != 0 && strcmp(sub, "set") != 0 &&
	    strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 && strcmp(sub, "rm") != 0)
		return cli_usage_error(DS_CMD, "unknown subcommand '%s'", sub);
	rc = ds_opts(&replace, strcmp(sub, "set") == 0 ? &from : NULL, argc - 1, argv + 1);
	if (rc)
		return rc;
	argc -= optind + 1;
	argv += optind + 1;
	if ((strcmp(sub, "export") == 0 || strcmp(sub, "show") == 0 || strcmp(sub, "rm") == 0 ||
	     strcmp(sub, "set") == 0) && argc != 1)
		return cli_usage_error(DS_CMD, "%s needs exactly one %s", sub,
				       strcmp(sub, "export") == 0 ? "SNAPSHOT" : "NAME");
	if (strcmp(sub, "import") == 0 && argc != 2)
		return cli_usage_error(DS_CMD, "import needs FILE and NAME");
	if (strcmp(sub, "list") == 0 && argc != 0)
		return cli_usage_error(DS_CMD, "list takes no arguments");
	if (strcmp(sub, "set") == 0 && !from)
		return cli_usage_error(DS_CMD, "set needs --from SNAPSHOT (a snapshot name, live or "
				       "a time)");
	st = cli_store(ctx);
	if (!st)
		return CLI_EXIT_FAILURE;
	if (strcmp(sub, "export") == 0) {
		rc = cal_design_export(st, &res, env, argv[0]);
		if (rc)
			return ds_fail(rc);
		ds_print_doc(ctx, res);
	} else if (strcmp(sub, "import") == 0) {
		char *text = NULL;
		size_t len;

		rc = ds_read(&text, &len, argv[0]);
		if (rc == 0)
			rc = cal_design_import(st, &res, env, argv[1], text, len,
					       strcmp(argv[0], "-") == 0 ? "(stdin)" : argv[0],
					       replace);
		free(text);
		if (rc)
			return ds_fail(rc);
		ds_print_saved(ctx, res);
	} else if (strcmp(sub, "set") == 0) {
		rc = cal_design_set(st, &res, env, argv[0], from, replace);
		if (rc)
			return ds_fail(rc);
		ds_print_saved(ctx, res);
	} else if (strcmp(sub, "list") == 0) {
		size_t i;
		json_t *d;

		rc = cal_store_design_list(st, &res, env);
		if (rc)
			return cli_fail(DS_CMD, rc);
		if (ctx->json)
			cli_print_json(res);
		else if (json_array_size(res) == 0)
			printf("no designs of environment '%s' (`calipso design set NAME --from "
			       "SNAPSHOT` makes one)\n", env);
		json_array_foreach(ctx->json ? NULL : res, i, d)
			ds_print_record(d);
	} else if (strcmp(sub, "show") == 0) {
		rc = cal_store_design_get(st, &res, env, argv[0]);
		if (rc)
			return ds_fail(rc);
		ds_print_doc(ctx, json_object_get(res, "doc"));
	} else {
		rc = cal_store_design_remove(st, env, argv[0]);
		if (rc)
			return ds_fail(rc);
		if (!ctx->json)
			printf("design '%s' removed\n", argv[0]);
	}
	json_decref(res);
	return CLI_EXIT_OK;
}
