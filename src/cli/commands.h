/* commands.h - private to src/cli: one entry point per subcommand. */
#ifndef CALIPSO_CLI_COMMANDS_H
#define CALIPSO_CLI_COMMANDS_H

#include "cli.h"

int cmd_version(struct cli_ctx *ctx, int argc, char **argv);

#endif
