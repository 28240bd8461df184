/* commands.c - the table of subcommands.  Each lives in its own cmd_*.c. */
#include "cli.h"

#include "commands.h"

const struct cli_command cli_commands[] = {
	{ "version", cmd_version, "print the version", "usage: calipso version\n" },
	{ NULL, NULL, NULL, NULL },
};
