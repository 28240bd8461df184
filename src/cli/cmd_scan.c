/* cmd_scan.c - `calipso scan`: discover an environment now and store what
 * changed.  Progress goes to stderr on a terminal; the summary (or the scan
 * record with --json) to stdout.  Exit 0 completed, 4 completed with errors,
 * 5 failed.
 */
#include "commands.h"
#include "pipeline/pipeline.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

static void scan_progress(const char *what, int done, int total, void *arg)
{
	(void)arg;
	if (total > 1)
		fprintf(stderr, "\rscanning: %-24s (%d/%d)", what, done + 1, total);
	else
		fprintf(stderr, "\rscanning: %-32s", what);
	fflush(stderr);
}

/* Prints the sources table and counts of a scan record. */
void cli_print_scan(const json_t *scan)
{
	json_t *result = json_object_get(scan, "result");
	json_t *counts = json_object_get(result, "counts");
	static const char *const hdr[] = { "HOST", "SOURCE", "STATUS", "DETAIL" };
	struct cli_table *t = cli_table_new(4, hdr);
	size_t i;
	json_t *s;

	printf("scan %lld of environment '%s': %s", (long long)cal_json_int(scan, "id", 0),
	       cal_json_str(scan, "environment"), cal_json_str(scan, "status"));
	if (json_object_get(result, "duration_ms"))
		printf(" in %.2f s", (double)cal_json_int(result, "duration_ms", 0) / 1000.0);
	printf("\n");
	json_array_foreach(json_object_get(result, "sources"), i, s) {
		const char *err = cal_json_str(s, "error");
		char *detail;

		if (*err && *cal_json_str(s, "kept_from"))
			detail = cal_strdup_printf("%s (kept data from %s)", err,
						   cal_json_str(s, "kept_from"));
		else
			detail = strdup(*err ? err : cal_json_str(s, "detail"));
		const char *row[] = { cal_json_str(s, "host"), cal_json_str(s, "name"),
				      cal_json_str(s, "status"), detail };
		if (t)
			cli_table_add(t, row);
		free(detail);
	}
	if (t && json_array_size(json_object_get(result, "sources")))
		cli_table_print(t, stdout);
	cli_table_free(t);
	/* Parts of a source that could not be read, at most a screenful. */
	json_array_foreach(json_object_get(result, "sources"), i, s) {
		json_t *errs = json_object_get(s, "errors");
		size_t k, n = json_array_size(errs);
		json_t *e;

		json_array_foreach(errs, k, e) {
			char *msg;

			if (k == 10) {
				printf("  %s %s: ... and %zu more\n", cal_json_str(s, "host"),
				       cal_json_str(s, "name"), n - k);
				break;
			}
			msg = cal_str_escape(json_is_string(e) ? json_string_value(e) : "");
			printf("  %s %s: %s\n", cal_json_str(s, "host"), cal_json_str(s, "name"),
			       msg ? msg : "");
			free(msg);
		}
	}
	static const char *const parts[] = { "objects", "links" };
	for (size_t p = 0; p < 2; p++) {
		json_t *c = json_object_get(counts, parts[p]);

		if (c)
			printf("%-8s %lld added, %lld changed, %lld removed, %lld unchanged\n",
			       p ? "links:" : "objects:", (long long)cal_json_int(c, "added", 0),
			       (long long)cal_json_int(c, "changed", 0),
			       (long long)cal_json_int(c, "removed", 0),
			       (long long)cal_json_int(c, "unchanged", 0));
	}
	/* Cliques: from the refresh after the commit, or a cliques-only scan. */
	{
		json_t *cq = json_object_get(json_object_get(result, "derived"), "cliques");

		if (!cq)
			cq = json_object_get(counts, "cliques");
		if (cq)
			printf("cliques: %lld focal points, %lld recomputed, %lld changed\n",
			       (long long)cal_json_int(cq, "focal_points", 0),
			       (long long)cal_json_int(cq, "recomputed", 0),
			       (long long)cal_json_int(cq, "changed", 0));
	}
	if (*cal_json_str(result, "error"))
		printf("error: %s\n", cal_json_str(result, "error"));
}

int cmd_scan(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "clear", no_argument, NULL, 'c' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "only", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct cal_scan_request req = { 0 };
	struct cal_scan_progress progress = { 0 };
	bool show_progress = isatty(STDERR_FILENO);
	cal_store *st;
	json_t *scan = NULL;
	const char *status;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': req.clear = true; break;
		case 'P': show_progress = false; break;
		case 'o':
			if (strcmp(optarg, "inventory") == 0)
				req.inventory_only = true;
			else if (strcmp(optarg, "links") == 0)
				req.links_only = true;
			else if (strcmp(optarg, "cliques") == 0)
				req.cliques_only = true;
			else
				return cli_usage_error("scan",
						       "--only takes inventory, links or cliques, "
						       "not '%s'",
						       optarg);
			break;
		default: return cli_usage_error("scan", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("scan", "unexpected argument '%s'", argv[optind]);
	st = cli_store(ctx);
	if (!st)
		return CLI_EXIT_FAILURE;
	req.env = cli_env(ctx);
	if (show_progress && !ctx->json)
		progress.step = scan_progress;
	rc = cal_pipeline_scan(st, &scan, &req, &progress);
	if (progress.step)
		fprintf(stderr, "\r%-48s\r", "");
	if (rc)
		return cli_fail("scan", rc);
	if (ctx->json)
		cli_print_json(scan);
	else
		cli_print_scan(scan);
	status = cal_json_str(scan, "status");
	rc = strcmp(status, "completed") == 0			? CLI_EXIT_OK
	     : strcmp(status, "completed_with_errors") == 0 ? CLI_EXIT_PARTIAL
							    : CLI_EXIT_FAILURE;
	json_decref(scan);
	return rc;
}
