/* cmd_serve.c - `calipso serve`: the REST API, web UI, scan queue and
 * scheduler on the store given by --db (server.h).  Runs until SIGTERM or
 * SIGINT.  On a store without users it creates "admin" and prints its
 * password once.
 */
#include "commands.h"
#include "server/server.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int serve_int(const char *opt, const char *v, long lo, long hi, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || !*v || n < lo || n > hi)
		return cli_usage_error("serve", "%s must be a number from %ld to %ld, not '%s'", opt,
				       lo, hi, v);
	*out = n;
	return 0;
}

int cmd_serve(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "ui-dir", required_argument, NULL, 'u' },
		{ "access-log", required_argument, NULL, 'a' },
		{ "clock-file", required_argument, NULL, 'C' },
		{ "threads", required_argument, NULL, 't' },
		{ "scan-workers", required_argument, NULL, 'w' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "token-ttl", required_argument, NULL, 'L' },
		{ "no-scheduler", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct cal_server_opts o = { 0 };
	long n;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 'c': o.tls_cert = optarg; break;
		case 'k': o.tls_key = optarg; break;
		case 'u': o.ui_dir = optarg; break;
		case 'a': o.access_log = optarg; break;
		case 'C': o.clock_file = optarg; break;
		case 'S': o.no_scheduler = true; break;
		case 't':
			if ((rc = serve_int("--threads", optarg, 1, 256, &n)))
				return rc;
			o.threads = (int)n;
			break;
		case 'w':
			if ((rc = serve_int("--scan-workers", optarg, 1, 64, &n)))
				return rc;
			o.scan_workers = (int)n;
			break;
		case 'm':
			if ((rc = serve_int("--max-connections", optarg, 1, 1000000, &n)))
				return rc;
			o.max_connections = (int)n;
			break;
		case 'T':
			if ((rc = serve_int("--timeout", optarg, 1, 86400, &n)))
				return rc;
			o.timeout_s = (int)n;
			break;
		case 'b':
			if ((rc = serve_int("--max-body", optarg, 1024, 1L << 30, &n)))
				return rc;
			o.max_body = (size_t)n;
			break;
		case 'L':
			if ((rc = serve_int("--token-ttl", optarg, 1, 366L * 86400, &n)))
				return rc;
			o.token_ttl_s = (int)n;
			break;
		default: return cli_usage_error("serve", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	if (!o.tls_cert != !o.tls_key)
		return cli_usage_error("serve", "--tls-cert and --tls-key go together");
	o.db = ctx->db ? ctx->db : cal_store_default_path();
	rc = cal_server_run(&o);
	return cli_fail("serve", rc);
}
