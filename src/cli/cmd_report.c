/* cmd_report.c - `calipso report`: diff, impact, health and inventory
 * reports as one self-contained HTML file, JSON or CSV (report.h); they
 * are kept in the store (list, show, rm) unless --no-keep.  The report
 * goes to stdout, or to --out FILE.
 */
#include "commands.h"
#include "report/report.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define RP_CMD "report"

static int rp_write(const char *path, const char *content, size_t len)
{
	FILE *f;

	if (!path || strcmp(path, "-") == 0) {
		fwrite(content, 1, len, stdout);
		return 0;
	}
	f = fopen(path, "w");
	if (!f)
		return cal_error_set_errno(CAL_EIO, errno, "cannot write report to '%s'", path);
	if (fwrite(content, 1, len, f) != len || fclose(f) != 0) {
		int err = errno;

		if (ferror(f))
			fclose(f);
		return cal_error_set_errno(CAL_EIO, err, "cannot write report to '%s'", path);
	}
	return 0;
}

static void rp_print_list(const json_t *list)
{
	static const char *const hdr[] = { "ID", "CREATED", "KIND", "FORMAT", "SIZE", "TITLE" };
	struct cli_table *t = cli_table_new(6, hdr);
	size_t i;
	json_t *r;

	json_array_foreach(list, i, r) {
		char id[32], size[32];
		char *title = cal_str_escape(cal_json_str(r, "title"));
		const char *row[] = { id, cal_json_str(r, "created"), cal_json_str(r, "kind"),
				      cal_json_str(r, "format"), size, title ? title : "" };

		snprintf(id, sizeof(id), "%lld", (long long)cal_json_int(r, "id", 0));
		snprintf(size, sizeof(size), "%lld", (long long)cal_json_int(r, "size", 0));
		if (t)
			cli_table_add(t, row);
		free(title);
	}
	if (t)
		cli_table_print(t, stdout);
	cli_table_free(t);
}

static int rp_id(int64_t *out, const char *text)
{
	char *end;
	long long v = strtoll(text, &end, 10);

	if (!*text || *end || v <= 0)
		return cli_usage_error(RP_CMD, "'%s' is not a report id (`calipso report list`)",
				       text);
	*out = v;
	return 0;
}

static int rp_generate(struct cli_ctx *ctx, cal_store *st, const char *kind, int argc,
		       char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "out", required_argument, NULL, 'o' },
		{ "title", required_argument, NULL, 't' }, { "at", required_argument, NULL, 'a' },
		{ "scope", required_argument, NULL, 's' }, { "project", required_argument, NULL, 'p' },
		{ "what-if-down", no_argument, NULL, 'w' }, { "no-keep", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct cal_report_request req = { .kind = kind, .format = CAL_REPORT_HTML };
	const char *path = NULL;
	json_t *rep = NULL;
	int c, rc, f, nargs;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			f = cal_report_format_from_name(optarg);
			if (f < 0)
				return cli_usage_error(RP_CMD, "unknown format '%s': use html, json "
						       "or csv", optarg);
			req.format = (enum cal_report_format)f;
			break;
		case 'o': path = optarg; break;
		case 't': req.title = optarg; break;
		case 'a': req.at = optarg; break;
		case 's': req.scope = optarg; break;
		case 'p': req.project = optarg; break;
		case 'w': req.what_if_down = true; break;
		case 'k': req.no_keep = true; break;
		default: return cli_usage_error(RP_CMD, "unknown option");
		}
	}
	nargs = argc - optind;
	if (strcmp(kind, "diff") == 0) {
		if (nargs != 2)
			return cli_usage_error(RP_CMD, "report diff needs A and B");
		req.a = argv[optind];
		req.b = argv[optind + 1];
	} else if (strcmp(kind, "impact") == 0) {
		if (nargs != 1)
			return cli_usage_error(RP_CMD, "report impact needs one object ID");
		req.object = argv[optind];
	} else if (nargs != 0) {
		return cli_usage_error(RP_CMD, "report %s takes no arguments (--at REF picks a "
				       "snapshot or time)", kind);
	}
	if (req.scope && strcmp(kind, "diff") != 0)
		return cli_usage_error(RP_CMD, "--scope is an option of `report diff`");
	if ((req.what_if_down || req.project) && strcmp(kind, "impact") != 0)
		return cli_usage_error(RP_CMD, "--what-if-down and --project are options of "
				       "`report impact`");
	if (req.at && strcmp(kind, "diff") == 0)
		return cli_usage_error(RP_CMD, "report diff compares A and B; --at is for the "
				       "other reports");
	rc = cal_report_generate(st, &rep, cli_env(ctx), &req);
	if (rc)
		return cli_fail(RP_CMD, rc == CAL_ENOTFOUND ? CAL_EINVALID : rc);
	if (ctx->json && !path) {
		cli_print_json(rep);
	} else {
		const char *content = cal_json_str(rep, "content");

		rc = rp_write(path, content, strlen(content));
		if (rc) {
			json_decref(rep);
			return cli_fail(RP_CMD, rc);
		}
		if (ctx->json) {
			json_object_del(rep, "content");
			cli_print_json(rep);
		} else if (path) {
			if (json_object_get(rep, "id"))
				printf("report %lld (%s, %lld bytes) written to %s\n",
				       (long long)cal_json_int(rep, "id", 0), cal_json_str(rep, "format"),
				       (long long)cal_json_int(rep, "size", 0), path);
			else
				printf("report (%s, %lld bytes) written to %s\n",
				       cal_json_str(rep, "format"),
				       (long long)cal_json_int(rep, "size", 0), path);
		}
	}
	json_decref(rep);
	return CLI_EXIT_OK;
}

int cmd_report(struct cli_ctx *ctx, int argc, char **argv)
{
	static const char *const with_value[] = { "--format", "--out", "--title", "--at",
						  "--scope", "--project", NULL };
	const char *sub;
	char **args = NULL;
	cal_store *st;
	json_t *res = NULL;
	int64_t id = 0;
	int rc;

	if (argc < 2)
		return cli_usage_error(RP_CMD, "expected diff, impact, health, inventory, list, "
				       "show or rm");
	sub = argv[1];
	if (strcmp(sub, "diff") == 0 || strcmp(sub, "impact") == 0 || strcmp(sub, "health") == 0 ||
	    strcmp(sub, "inventory") == 0) {
		int n = argc - 1;

		st = cli_store(ctx);
		if (!st)
			return CLI_EXIT_FAILURE;
		args = cli_times_as_operands(&n, argv + 1, with_value);
		if (!args)
			return cli_fail(RP_CMD, cal_error_set(CAL_ENOMEM, "out of memory"));
		rc = rp_generate(ctx, st, sub, n, args);
		free(args);
		return rc;
	}
	if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 && strcmp(sub, "rm") != 0)
		return cli_usage_error(RP_CMD, "unknown subcommand '%s'", sub);
	if (strcmp(sub, "list") == 0 && argc != 2)
		return cli_usage_error(RP_CMD, "list takes no arguments");
	if (strcmp(sub, "rm") == 0 && argc != 3)
		return cli_usage_error(RP_CMD, "rm needs one report ID");
	if (strcmp(sub, "show") == 0 && argc != 3 && !(argc == 5 && strcmp(argv[3], "--out") == 0))
		return cli_usage_error(RP_CMD, "show needs one report ID [--out FILE]");
	if (argc >= 3 && rp_id(&id, argv[2]))
		return CLI_EXIT_USAGE;
	st = cli_store(ctx);
	if (!st)
		return CLI_EXIT_FAILURE;
	if (strcmp(sub, "list") == 0) {
		rc = cal_store_report_list(st, &res, cli_env(ctx));
		if (rc)
			return cli_fail(RP_CMD, rc);
		if (ctx->json)
			cli_print_json(res);
		else if (json_array_size(res) == 0)
			printf("no reports of environment '%s'\n", cli_env(ctx));
		else
			rp_print_list(res);
	} else if (strcmp(sub, "show") == 0) {
		char *content = NULL;
		size_t len = 0;

		rc = cal_store_report_get(st, &res, &content, &len, id);
		if (rc)
			return cli_fail(RP_CMD, rc == CAL_ENOTFOUND ? CAL_EINVALID : rc);
		if (ctx->json && argc == 3) {
			json_object_set_new(res, "content", json_string(content));
			cli_print_json(res);
		} else {
			rc = rp_write(argc == 5 ? argv[4] : NULL, content, len);
		}
		free(content);
		if (rc) {
			json_decref(res);
			return cli_fail(RP_CMD, rc);
		}
	} else {
		rc = cal_store_report_remove(st, id);
		if (rc)
			return cli_fail(RP_CMD, rc == CAL_ENOTFOUND ? CAL_EINVALID : rc);
		if (!ctx->json)
			printf("report %lld removed\n", (long long)id);
	}
	json_decref(res);
	return CLI_EXIT_OK;
}
