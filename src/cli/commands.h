/* commands.h - private to src/cli: one entry point per subcommand. */
#ifndef CALIPSO_CLI_COMMANDS_H
#define CALIPSO_CLI_COMMANDS_H

#include "cli.h"

int cmd_version(struct cli_ctx *ctx, int argc, char **argv);
int cmd_scan(struct cli_ctx *ctx, int argc, char **argv);
int cmd_show(struct cli_ctx *ctx, int argc, char **argv);
int cmd_links(struct cli_ctx *ctx, int argc, char **argv);
int cmd_history(struct cli_ctx *ctx, int argc, char **argv);
int cmd_env(struct cli_ctx *ctx, int argc, char **argv);
int cmd_agent(struct cli_ctx *ctx, int argc, char **argv);
int cmd_clique(struct cli_ctx *ctx, int argc, char **argv);
int cmd_clique_type(struct cli_ctx *ctx, int argc, char **argv);
int cmd_constants(struct cli_ctx *ctx, int argc, char **argv);

/* Shared printers. */
void cli_print_scan(const json_t *scan);

#endif
