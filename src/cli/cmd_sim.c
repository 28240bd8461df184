/* cmd_sim.c - `calipso sim`: a simulated cloud of N hosts, M VMs and K
 * networks as host reports (--out), or committed into an environment
 * (--env) through the same pipeline as a scan (builder, linker, store,
 * cliques), with the time each stage took. */
#include "commands.h"

#include "analyze/analyze.h"
#include "pipeline/pipeline.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int sim_int(const char *s, const char *opt, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return cli_usage_error("sim", "%s must be a number in %lld-%lld (got '%s')", opt, lo,
				       hi, s);
	*out = v;
	return 0;
}

static int sim_write(const json_t *reports, const char *path)
{
	int rc = strcmp(path, "-") == 0
			 ? json_dumpf(reports, stdout, JSON_COMPACT)
			 : json_dump_file(reports, path, JSON_COMPACT);

	if (rc)
		return cal_error_set(CAL_EIO, "cannot write the reports to '%s'", path);
	if (strcmp(path, "-") == 0)
		putchar('\n');
	return 0;
}

/* The environment: created, or replaced when it is a simulated one. */
static int sim_env(cal_store *st, const char *env, const json_t *cfg)
{
	json_t *old = NULL;
	int rc = cal_store_env_get(st, &old, env);

	if (rc == 0) {
		const char *desc = cal_json_str(json_object_get(old, "config"), "description");

		if (!*desc)
			desc = cal_json_str(old, "description");
		if (!strstr(desc, "calipso sim")) {
			json_decref(old);
			return cal_error_set(CAL_EEXISTS, "environment '%s' exists and is not a "
					     "simulated one; choose another --env", env);
		}
		json_decref(old);
	} else if (rc != CAL_ENOTFOUND) {
		return rc;
	}
	cal_error_clear();
	return cal_store_env_put(st, env, cfg, true);
}

static double sim_secs(int64_t us)
{
	return (double)us / 1e6;
}

int cmd_sim(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hosts", required_argument, NULL, 'H' },
		{ "vms", required_argument, NULL, 'v' },
		{ "networks", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "churn", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct cal_sim_opts o = { .hosts = 10, .vms = 100, .networks = 20, .seed = 1 };
	struct cal_commit_stats cs = { 0 };
	const char *out = NULL;
	json_t *reports = NULL, *cfg = NULL, *sources = NULL, *derived = NULL, *result = NULL;
	json_t *req = NULL;
	int64_t t0, t_gen, t_commit, t_derive, scan_id = 0;
	struct rusage ru;
	cal_store *st;
	long long v;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (sim_int(optarg, "--hosts", 1, 100000, &v))
				return CLI_EXIT_USAGE;
			o.hosts = (int)v;
			break;
		case 'v':
			if (sim_int(optarg, "--vms", 0, 10000000, &v))
				return CLI_EXIT_USAGE;
			o.vms = (int)v;
			break;
		case 'n':
			if (sim_int(optarg, "--networks", 1, 1000000, &v))
				return CLI_EXIT_USAGE;
			o.networks = (int)v;
			break;
		case 's':
			if (sim_int(optarg, "--seed", 0, INT64_MAX, &v))
				return CLI_EXIT_USAGE;
			o.seed = (uint64_t)v;
			break;
		case 'c':
			if (sim_int(optarg, "--churn", 0, 10000000, &v))
				return CLI_EXIT_USAGE;
			o.churn = (int)v;
			break;
		case 'o': out = optarg; break;
		default: return cli_usage_error("sim", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("sim", "unexpected argument '%s'", argv[optind]);
	if (!out && !ctx->env)
		return cli_usage_error("sim", "say where the cloud goes: --out FILE and/or --env NAME");
	o.env = ctx->env ? ctx->env : "sim";
	t0 = cal_time_mono_us();
	rc = cal_sim_reports(&reports, &o);
	if (rc)
		return cli_fail("sim", rc);
	t_gen = cal_time_mono_us() - t0;
	if (out) {
		rc = sim_write(reports, out);
		if (rc || !ctx->env) {
			json_decref(reports);
			return cli_fail("sim", rc);
		}
	}
	st = cli_store(ctx);
	if (!st) {
		json_decref(reports);
		return CLI_EXIT_FAILURE;
	}
	cfg = cal_sim_env_config(&o);
	req = json_pack("{s:s, s:{s:i, s:i, s:i, s:I, s:i}}", "environment", o.env, "simulated",
			"hosts", o.hosts, "vms", o.vms, "networks", o.networks, "seed",
			(json_int_t)o.seed, "churn", o.churn);
	rc = sim_env(st, o.env, cfg);
	if (rc == 0)
		rc = cal_store_scan_create(st, &scan_id, o.env, req);
	if (rc == 0)
		rc = cal_store_scan_update(st, scan_id, CAL_SCAN_RUNNING, NULL);
	if (rc)
		goto out;
	t0 = cal_time_mono_us();
	/* The pipeline empties the array once it has built the objects. */
	rc = cal_pipeline_commit_reports(st, reports, cfg, cal_time_now_us(), scan_id, false, false,
					 &cs, &sources);
	t_commit = cal_time_mono_us() - t0;
	if (rc) {
		cal_store_scan_update(st, scan_id, CAL_SCAN_FAILED, NULL);
		goto out;
	}
	t0 = cal_time_mono_us();
	rc = cal_analyze_refresh(st, o.env, cs.ts, &derived);
	t_derive = cal_time_mono_us() - t0;
	getrusage(RUSAGE_SELF, &ru);
	result = json_pack("{s:o, s:{s:{s:i, s:i, s:i, s:i}, s:{s:i, s:i, s:i, s:i}}, s:O?, "
			   "s:{s:f, s:f, s:f}, s:I}",
			   "sources", json_array(), "counts", "objects", "added", cs.objects_added,
			   "changed", cs.objects_changed, "removed", cs.objects_removed,
			   "unchanged", cs.objects_unchanged, "links", "added", cs.links_added,
			   "changed", cs.links_changed, "removed", cs.links_removed, "unchanged",
			   cs.links_unchanged, "derived", derived, "seconds", "generate",
			   sim_secs(t_gen), "build_link_commit", sim_secs(t_commit), "derive",
			   sim_secs(t_derive), "peak_rss_mb", (json_int_t)(ru.ru_maxrss / 1024));
	if (rc) {
		json_object_set_new(result, "error", json_string(cal_error_last()));
		cal_store_scan_update(st, scan_id, CAL_SCAN_COMPLETED_WITH_ERRORS, result);
		goto out;
	}
	rc = cal_store_scan_update(st, scan_id, CAL_SCAN_COMPLETED, result);
	if (rc)
		goto out;
	if (ctx->json) {
		json_object_set_new(result, "scan_id", json_integer(scan_id));
		cli_print_json(result);
	} else {
		printf("simulated %d hosts, %d VMs, %d networks (seed %llu%s) into environment "
		       "'%s' as scan %lld\n", o.hosts, o.vms, o.networks,
		       (unsigned long long)o.seed, o.churn ? ", churned" : "", o.env,
		       (long long)scan_id);
		printf("objects: %d added, %d changed, %d removed, %d unchanged\n",
		       cs.objects_added, cs.objects_changed, cs.objects_removed,
		       cs.objects_unchanged);
		printf("links:   %d added, %d changed, %d removed, %d unchanged\n", cs.links_added,
		       cs.links_changed, cs.links_removed, cs.links_unchanged);
		printf("cliques: %lld recomputed, %lld changed\n",
		       (long long)cal_json_int(json_object_get(derived, "cliques"), "recomputed", 0),
		       (long long)cal_json_int(json_object_get(derived, "cliques"), "changed", 0));
		printf("seconds: generate %.2f, build+link+commit %.2f, cliques and index %.2f; "
		       "peak RSS %ld MB\n", sim_secs(t_gen), sim_secs(t_commit), sim_secs(t_derive),
		       ru.ru_maxrss / 1024);
	}
out:
	json_decref(reports);
	json_decref(cfg);
	json_decref(req);
	json_decref(sources);
	json_decref(derived);
	json_decref(result);
	return cli_fail("sim", rc);
}
