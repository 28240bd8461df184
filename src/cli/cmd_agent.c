/* cmd_agent.c - `calipso agent --once`: run the discovery sources of this
 * machine and print the host reports as JSON (docs/report-format.md), for
 * agentless use over SSH or for looking at what a source sees. */
#include "commands.h"
#include "pipeline/pipeline.h"

#include <getopt.h>
#include <string.h>

int cmd_agent(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	bool once = false;
	json_t *config, *reports = NULL;
	json_error_t jerr;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': once = true; break;
		case 'c': file = optarg; break;
		default: return cli_usage_error("agent", "unknown option");
		}
	}
	if (!once)
		return cli_usage_error("agent", "only --once is supported: print one report and exit");
	if (file) {
		config = json_load_file(file, 0, &jerr);
		if (!config) {
			fprintf(stderr, "calipso agent: cannot read configuration '%s': %s (line %d)\n",
				file, jerr.text, jerr.line);
			return CLI_EXIT_USAGE;
		}
	} else {
		config = cal_env_config_default(cli_env(ctx));
	}
	rc = cal_env_config_check(config);
	if (rc == 0)
		rc = cal_scan_collect(&reports, config, NULL);
	if (rc == 0)
		cli_print_json(reports);
	json_decref(reports);
	json_decref(config);
	return cli_fail("agent", rc);
}
