/* main.c - entry point of `calipso`: global options, then one subcommand.
 *
 * Global options may appear anywhere on the line (before or after the
 * subcommand name) and are removed before the subcommand parses its own:
 * --db PATH, --env NAME, --json, --debug TOKENS, -v/--verbose, -q/--quiet.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void main_usage(FILE *f)
{
	fprintf(f, "usage: calipso [--db PATH] [--env NAME] [--json] [--debug TOKENS] [-v] "
		   "COMMAND [ARGS]\n\n"
		   "Calipso discovers virtual networking (VMs, vNICs, bridges, Open vSwitch,\n"
		   "tunnels, namespaces, physical NICs) and answers what connects to what.\n\n"
		   "Commands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "  %-13s %s\n", c->name, c->summary);
	fprintf(f, "\nGlobal options:\n"
		   "  --db PATH|URI   database (default %s; or $CALIPSO_DB)\n"
		   "  --env NAME      environment (default $CALIPSO_ENV or \"local\")\n"
		   "  --json          JSON output for scripts\n"
		   "  --debug TOKENS  debug lines of these subsystems (netlink,ovsdb,libvirt,\n"
		   "                  openstack,store,graph,api,sched or all)\n"
		   "  -v, --verbose   informational messages; -q, --quiet only errors\n\n"
		   "`calipso COMMAND --help` describes a command.  Exit codes: docs/cli.md.\n",
		cal_store_default_path());
}

/* Takes a global option at argv[i] (with its value when it has one) and
 * returns how many arguments it used, 0 when argv[i] is not global, -1 on
 * a missing value. */
static int main_take_global(struct cli_ctx *ctx, int argc, char **argv, int i)
{
	const char *a = argv[i];
	const char *val = NULL;
	int used = 1;
	static const char *const with_value[] = { "--db", "--env", "--debug" };

	for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++) {
		size_t n = strlen(with_value[k]);

		if (strncmp(a, with_value[k], n) != 0)
			continue;
		if (a[n] == '=') {
			val = a + n + 1;
		} else if (a[n] == '\0') {
			if (i + 1 >= argc)
				return -1;
			val = argv[i + 1];
			used = 2;
		} else {
			continue;
		}
		if (k == 0)
			ctx->db = val;
		else if (k == 1)
			ctx->env = val;
		else if (cal_log_enable_debug(val))
			return -1;
		return used;
	}
	if (strcmp(a, "--json") == 0) {
		ctx->json = true;
		return 1;
	}
	if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
		cal_log_set_level(CAL_LOG_INFO);
		return 1;
	}
	if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
		cal_log_set_level(CAL_LOG_ERROR);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { 0 };
	const struct cli_command *cmd;
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	int nargs = 0, rc;

	if (!args)
		return CLI_EXIT_FAILURE;
	for (int i = 1; i < argc; i++) {
		int used;

		if (strcmp(argv[i], "--") == 0) {
			/* Everything after "--" belongs to the subcommand. */
			for (; i < argc; i++)
				args[nargs++] = argv[i];
			break;
		}
		used = main_take_global(&ctx, argc, argv, i);
		if (used < 0) {
			fprintf(stderr, "calipso: option '%s' needs a value\n", argv[i]);
			free(args);
			return CLI_EXIT_USAGE;
		}
		if (used > 0) {
			i += used - 1;
			continue;
		}
		args[nargs++] = argv[i];
	}
	if (nargs == 0 || strcmp(args[0], "help") == 0 || strcmp(args[0], "--help") == 0 ||
	    strcmp(args[0], "-h") == 0) {
		if (nargs > 1 && (cmd = cli_find_command(args[1]))) {
			fputs(cmd->usage, stdout);
			free(args);
			return CLI_EXIT_OK;
		}
		main_usage(nargs == 0 ? stderr : stdout);
		free(args);
		return nargs == 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(args[0], "--version") == 0) {
		printf("calipso %s\n", CAL_VERSION);
		free(args);
		return CLI_EXIT_OK;
	}
	cmd = cli_find_command(args[0]);
	if (!cmd) {
		fprintf(stderr, "calipso: unknown command '%s'; `calipso --help` lists them\n",
			args[0]);
		free(args);
		return CLI_EXIT_USAGE;
	}
	if (cli_wants_help(cmd, nargs, args)) {
		free(args);
		return CLI_EXIT_OK;
	}
	rc = cmd->run(&ctx, nargs, args);
	cal_store_close(ctx.store);
	free(args);
	return rc;
}
