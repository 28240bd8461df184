/* cmd_snapshot.c - `calipso snapshot`: named points in time of an
 * environment (create, list, show, rm, pin, unpin) and their retention
 * (policy, prune).  docs/snapshots.md.
 *
 * Unknown or taken snapshot names are bad input (exit 2, the name quoted),
 * like every other reference `calipso diff` and `design` take.
 */
#include "commands.h"
#include "analyze/analyze.h"
#include "pipeline/pipeline.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SN_CMD "snapshot"

/* A snapshot name that does not exist, or that is taken, is bad input. */
static int sn_fail(int rc)
{
	return cli_fail(SN_CMD, rc == CAL_ENOTFOUND || rc == CAL_EEXISTS ? CAL_EINVALID : rc);
}

static int sn_number(int *out, const char *opt, const char *text)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (!*text || *end || v < 0 || v > INT_MAX)
		return cli_usage_error(SN_CMD, "%s needs a number >= 0, not '%s'", opt, text);
	*out = (int)v;
	return 0;
}

static void sn_print_list(const json_t *list)
{
	static const char *const hdr[] = { "NAME", "TIME", "SCOPE", "OBJECTS", "LINKS", "PINNED",
					   "NOTE" };
	struct cli_table *t = cli_table_new(7, hdr);
	size_t i;
	json_t *s;

	json_array_foreach(list, i, s) {
		json_t *counts = json_object_get(s, "counts");
		char objs[32], links[32];
		char *note = cal_str_escape(cal_json_str(s, "note"));
		const char *row[] = { cal_json_str(s, "name"), cal_json_str(s, "time"),
				      cal_json_str(s, "scope"), objs, links,
				      json_is_true(json_object_get(s, "pinned")) ? "yes" : "",
				      note ? note : "" };

		snprintf(objs, sizeof(objs), "%lld", (long long)cal_json_int(counts, "objects", 0));
		snprintf(links, sizeof(links), "%lld", (long long)cal_json_int(counts, "links", 0));
		if (t)
			cli_table_add(t, row);
		free(note);
	}
	if (t)
		cli_table_print(t, stdout);
	cli_table_free(t);
}

static void sn_print_one(const json_t *s)
{
	json_t *counts = json_object_get(s, "counts"), *cs = json_object_get(s, "clique_state");
	char *note = cal_str_escape(cal_json_str(s, "note"));
	const char *k;
	size_t i;
	json_t *v;

	printf("snapshot   %s\n", cal_json_str(s, "name"));
	printf("env        %s\n", cal_json_str(s, "environment"));
	printf("time       %s\n", cal_json_str(s, "time"));
	printf("created    %s\n", cal_json_str(s, "created"));
	printf("scope      %s\n", cal_json_str(s, "scope"));
	if (json_is_integer(json_object_get(s, "scan_id")))
		printf("scan       %lld\n", (long long)cal_json_int(s, "scan_id", 0));
	else
		printf("scan       -\n");
	printf("pinned     %s\n", json_is_true(json_object_get(s, "pinned")) ? "yes" : "no");
	if (note && *note)
		printf("note       %s\n", note);
	free(note);
	printf("objects    %lld\nlinks      %lld\n", (long long)cal_json_int(counts, "objects", 0),
	       (long long)cal_json_int(counts, "links", 0));
	json_object_foreach(json_object_get(counts, "types"), k, v)
		printf("  %-16s %lld\n", k, (long long)json_integer_value(v));
	if (json_is_object(cs))
		printf("clique     %s (%s): health %s, %zu nodes, %zu links\n",
		       cal_json_str(cs, "focal_point"), cal_json_str(cs, "focal_point_type"),
		       cal_json_str(cs, "health"), json_array_size(json_object_get(cs, "nodes")),
		       json_array_size(json_object_get(cs, "links")));
	if (json_array_size(json_object_get(s, "sources"))) {
		static const char *const hdr[] = { "HOST", "SOURCE", "STATUS", "DETAIL" };
		struct cli_table *t = cli_table_new(4, hdr);

		printf("sources:\n");
		json_array_foreach(json_object_get(s, "sources"), i, v) {
			const char *detail = *cal_json_str(v, "error") ? cal_json_str(v, "error")
								       : cal_json_str(v, "detail");
			const char *row[] = { cal_json_str(v, "host"), cal_json_str(v, "name"),
					      cal_json_str(v, "status"), detail };

			if (t)
				cli_table_add(t, row);
		}
		if (t)
			cli_table_print(t, stdout);
		cli_table_free(t);
	}
}

static void sn_print_prune(const json_t *p)
{
	size_t i;
	json_t *v;

	printf("pruned history before %s: %lld object and %lld link revisions removed\n",
	       cal_json_str(p, "horizon"), (long long)cal_json_int(p, "objects_pruned", 0),
	       (long long)cal_json_int(p, "links_pruned", 0));
	json_array_foreach(json_object_get(p, "removed"), i, v)
		printf("removed snapshot %s\n", json_string_value(v));
	printf("kept %zu snapshots\n", json_array_size(json_object_get(p, "kept")));
}

static int sn_create(struct cli_ctx *ctx, cal_store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scan", no_argument, NULL, 's' }, { "clique", required_argument, NULL, 'c' },
		{ "note", required_argument, NULL, 'n' }, { "pin", no_argument, NULL, 'p' },
		{ "no-prune", no_argument, NULL, 'N' }, { NULL, 0, NULL, 0 },
	};
	struct cal_snapshot_opts o = { 0 };
	json_t *snap = NULL, *scan = NULL;
	bool do_scan = false;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': do_scan = true; break;
		case 'c': o.clique = optarg; break;
		case 'n': o.note = optarg; break;
		case 'p': o.pinned = true; break;
		case 'N': o.no_prune = true; break;
		default: return cli_usage_error(SN_CMD, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(SN_CMD, "create needs exactly one NAME");
	o.name = argv[optind];
	/* Check the name before a scan is spent on it. */
	rc = cal_store_snapshot_name_check(o.name);
	if (rc)
		return sn_fail(rc);
	if (do_scan) {
		struct cal_scan_request req = { .env = cli_env(ctx) };
		const char *status;

		rc = cal_pipeline_scan(st, &scan, &req, NULL);
		if (rc)
			return cli_fail(SN_CMD, rc);
		status = cal_json_str(scan, "status");
		if (strcmp(status, "completed") != 0 &&
		    strcmp(status, "completed_with_errors") != 0) {
			fprintf(stderr, "calipso snapshot: scan %lld %s%s%s: no snapshot taken\n",
				(long long)cal_json_int(scan, "id", 0), status,
				*cal_json_str(json_object_get(scan, "result"), "error") ? ": " : "",
				cal_json_str(json_object_get(scan, "result"), "error"));
			json_decref(scan);
			return CLI_EXIT_FAILURE;
		}
		if (strcmp(status, "completed_with_errors") == 0)
			fprintf(stderr, "calipso snapshot: scan %lld completed with errors; the "
				"snapshot records which sources answered\n",
				(long long)cal_json_int(scan, "id", 0));
		o.scan_id = cal_json_int(scan, "id", 0);
		json_decref(scan);
	}
	rc = cal_snapshot_create(st, &snap, cli_env(ctx), &o);
	if (rc)
		return sn_fail(rc);
	if (ctx->json) {
		cli_print_json(snap);
	} else {
		printf("snapshot '%s' of environment '%s' at %s (%s, %lld objects, %lld links)\n",
		       cal_json_str(snap, "name"), cal_json_str(snap, "environment"),
		       cal_json_str(snap, "time"), cal_json_str(snap, "scope"),
		       (long long)cal_json_int(json_object_get(snap, "counts"), "objects", 0),
		       (long long)cal_json_int(json_object_get(snap, "counts"), "links", 0));
		if (json_object_get(snap, "pruned"))
			sn_print_prune(json_object_get(snap, "pruned"));
	}
	json_decref(snap);
	return CLI_EXIT_OK;
}

static int sn_retention_opts(struct cal_retention *r, bool *given, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep-last", required_argument, NULL, 'l' },
		{ "keep-days", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	*given = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': rc = sn_number(&r->keep_last, "--keep-last", optarg); break;
		case 'd': rc = sn_number(&r->keep_days, "--keep-days", optarg); break;
		default: return cli_usage_error(SN_CMD, "unknown option");
		}
		if (rc)
			return rc;
		*given = true;
	}
	if (optind != argc)
		return cli_usage_error(SN_CMD, "unexpected argument '%s'", argv[optind]);
	return 0;
}

static int sn_policy(struct cli_ctx *ctx, cal_store *st, int argc, char **argv)
{
	struct cal_retention r = { 0 };
	bool given;
	int rc;

	rc = cal_store_retention_get(st, &r, cli_env(ctx));
	if (rc)
		return cli_fail(SN_CMD, rc);
	rc = sn_retention_opts(&r, &given, argc, argv);
	if (rc)
		return rc;
	if (given) {
		rc = cal_store_retention_set(st, cli_env(ctx), &r);
		if (rc)
			return cli_fail(SN_CMD, rc);
	}
	if (ctx->json) {
		json_t *j = json_pack("{s:s, s:i, s:i}", "environment", cli_env(ctx), "keep_last",
				      r.keep_last, "keep_days", r.keep_days);

		cli_print_json(j);
		json_decref(j);
	} else if (r.keep_last == 0 && r.keep_days == 0) {
		printf("environment '%s': no retention policy (every snapshot and all history "
		       "kept)\n", cli_env(ctx));
	} else {
		printf("environment '%s': keep the last %d snapshots and those of the last %d days, "
		       "pinned ones always (0 = not used)\n", cli_env(ctx), r.keep_last, r.keep_days);
	}
	return CLI_EXIT_OK;
}

static int sn_prune(struct cli_ctx *ctx, cal_store *st, int argc, char **argv)
{
	struct cal_retention r = { 0 };
	json_t *res = NULL;
	bool given;
	int rc;

	rc = sn_retention_opts(&r, &given, argc, argv);
	if (rc)
		return rc;
	rc = cal_store_prune(st, &res, cli_env(ctx), given ? &r : NULL, 0);
	if (rc)
		return cli_fail(SN_CMD, rc);
	if (ctx->json)
		cli_print_json(res);
	else
		sn_print_prune(res);
	json_decref(res);
	return CLI_EXIT_OK;
}

int cmd_snapshot(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *sub;
	cal_store *st;
	json_t *res = NULL;
	int rc;

	if (argc < 2)
		return cli_usage_error(SN_CMD, "expected create, list, show, rm, pin, unpin, policy "
				       "or prune");
	sub = argv[1];
	if (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 &&
	    strcmp(sub, "rm") != 0 && strcmp(sub, "pin") != 0 && strcmp(sub, "unpin") != 0 &&
	    strcmp(sub, "policy") != 0 && strcmp(sub, "prune") != 0)
		return cli_usage_error(SN_CMD, "unknown subcommand '%s'", sub);
	if ((strcmp(sub, "show") == 0 || strcmp(sub, "rm") == 0 || strcmp(sub, "pin") == 0 ||
	     strcmp(sub, "unpin") == 0) && argc != 3)
		return cli_usage_error(SN_CMD, "%s needs exactly one NAME", sub);
	if (strcmp(sub, "list") == 0 && argc != 2)
		return cli_usage_error(SN_CMD, "list takes no arguments");
	st = cli_store(ctx);
	if (!st)
		return CLI_EXIT_FAILURE;
	if (strcmp(sub, "create") == 0)
		return sn_create(ctx, st, argc - 1, argv + 1);
	if (strcmp(sub, "policy") == 0)
		return sn_policy(ctx, st, argc - 1, argv + 1);
	if (strcmp(sub, "prune") == 0)
		return sn_prune(ctx, st, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0) {
		rc = cal_store_snapshot_list(st, &res, cli_env(ctx));
		if (rc)
			return cli_fail(SN_CMD, rc);
		if (ctx->json)
			cli_print_json(res);
		else if (json_array_size(res) == 0)
			printf("no snapshots of environment '%s' (`calipso snapshot create NAME` "
			       "takes one)\n", cli_env(ctx));
		else
			sn_print_list(res);
		json_decref(res);
		return CLI_EXIT_OK;
	}
	if (strcmp(sub, "show") == 0) {
		rc = cal_store_snapshot_get(st, &res, cli_env(ctx), argv[2]);
		if (rc)
			return sn_fail(rc);
		if (ctx->json)
			cli_print_json(res);
		else
			sn_print_one(res);
		json_decref(res);
		return CLI_EXIT_OK;
	}
	if (strcmp(sub, "rm") == 0)
		rc = cal_store_snapshot_remove(st, cli_env(ctx), argv[2]);
	else
		rc = cal_store_snapshot_pin(st, cli_env(ctx), argv[2], strcmp(sub, "pin") == 0);
	if (rc)
		return sn_fail(rc);
	if (!ctx->json)
		printf("snapshot '%s' %s\n", argv[2],
		       strcmp(sub, "rm") == 0 ? "removed (its revisions go at the next prune)"
		       : strcmp(sub, "pin") == 0 ? "pinned" : "unpinned");
	return CLI_EXIT_OK;
}
