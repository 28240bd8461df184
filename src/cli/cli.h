/* cli.h - the `calipso` command line: subcommand table, shared option
 * handling and output helpers (tables for people, JSON for scripts).
 *
 * Exit codes (docs/cli.md): 0 success; 1 differences found (diff) or an
 * unhealthy result where the command says so; 2 usage error or invalid
 * input; 3 not found; 4 completed with errors (partial scan); 5 failure
 * (I/O, database, protocol); 6 permission or authentication refused.
 */
#ifndef CALIPSO_CLI_H
#define CALIPSO_CLI_H

#include "core/core.h"
#include "store/store.h"

#include <stdio.h>

enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_DIFFERENT = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_NOTFOUND = 3,
	CLI_EXIT_PARTIAL = 4,
	CLI_EXIT_FAILURE = 5,
	CLI_EXIT_PERM = 6,
};

/* Options shared by every subcommand; set by main before dispatch. */
struct cli_ctx {
	const char *db;   /* --db PATH or URI; NULL = cal_store_default_path() */
	const char *env;  /* --env NAME; NULL = the default environment */
	bool json;        /* --json */
	cal_store *store; /* opened on first use by cli_store() */
};

struct cli_command {
	const char *name;
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
	const char *summary;
	const char *usage; /* full --help text */
};

/* Every subcommand, NULL-name terminated (commands.c). */
extern const struct cli_command cli_commands[];

/* Opens the store on first use; prints the error and returns NULL. */
cal_store *cli_store(struct cli_ctx *ctx);
/* The environment to use: --env, else $CALIPSO_ENV, else "local". */
const char *cli_env(const struct cli_ctx *ctx);

/* Maps a CAL_E* code to an exit code, printing cal_error_last() as
 * "calipso <cmd>: <message>" on stderr when code != 0. */
int cli_fail(const char *cmd, int code);
/* Prints a usage error and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when argv holds -h/--help; prints the command's usage. */
bool cli_wants_help(const struct cli_command *cmd, int argc, char **argv);
const struct cli_command *cli_find_command(const char *name);

/* JSON to stdout, indented, with a final newline. */
void cli_print_json(const json_t *doc);

/* Aligned text tables. */
struct cli_table;
struct cli_table *cli_table_new(int ncols, const char *const *headers);
/* Copies the cells; NULL cells print as "-".  Returns CAL_ENOMEM. */
int cli_table_add(struct cli_table *t, const char *const *cells);
void cli_table_print(struct cli_table *t, FILE *f);
void cli_table_free(struct cli_table *t);

#endif
