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
int cmd_sim(struct cli_ctx *ctx, int argc, char **argv);
int cmd_impact(struct cli_ctx *ctx, int argc, char **argv);
int cmd_search(struct cli_ctx *ctx, int argc, char **argv);
int cmd_snapshot(struct cli_ctx *ctx, int argc, char **argv);
int cmd_diff(struct cli_ctx *ctx, int argc, char **argv);
int cmd_design(struct cli_ctx *ctx, int argc, char **argv);
int cmd_report(struct cli_ctx *ctx, int argc, char **argv);
int cmd_serve(struct cli_ctx *ctx, int argc, char **argv);
int cmd_user(struct cli_ctx *ctx, int argc, char **argv);

/* Shared printers. */
void cli_print_scan(const json_t *scan);
/* A copy of argv (free() it; the strings are argv's) with the options
 * first, then "--", then the operands, so that operands that are relative
 * times ("-7d", "-1h") are not read as options; `with_value` lists the
 * long options that take a separate value.  NULL when out of memory. */
char **cli_times_as_operands(int *argc, char **argv, const char *const *with_value);
/* Opens the store (*out) and reads `--at TEXT` (NULL: live) into *out_at:
 * a snapshot name or a time the store can read as it was (cli_at.c).
 * CLI_EXIT_OK, or the exit code after the error was printed for `cmd`. */
int cli_store_at(cal_store **out, int64_t *out_at, struct cli_ctx *ctx, const char *cmd,
		 const char *text);
/* `--type TEXT`: *out = TEXT when it names an object type; otherwise a
 * usage error for `cmd` and its exit code. */
int cli_type_arg(const char **out, const char *cmd, const char *text);
/* A positive count option (--limit N): a usage error naming it otherwise. */
int cli_count_arg(int *out, const char *cmd, const char *option, const char *text);
/* The strings of a JSON array joined by ", " (malloc'ed; NULL when out of
 * memory). */
char *cli_join(const json_t *arr);
/* A table of `rows`: one column a member of `fields` (ncols, at most 16),
 * headed by `headers`, printed on stdout. */
void cli_print_rows(const json_t *rows, int ncols, const char *const *headers,
		    const char *const *fields);
/* A diff (cal_diff()) for people; summary_only: the counts. */
void cli_print_diff(const json_t *diff, bool summary_only);

#endif
