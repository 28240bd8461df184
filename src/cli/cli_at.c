/* cli_at.c - the options that show, links, clique, impact and search
 * share: `--at` (live, a snapshot's name or a time, refused (exit 2,
 * quoting the input) when the store cannot read it as it was: in the
 * future, before the environment's history, or in history that retention
 * pruned: cal_ref_time(), cal_store_time_check()), `--type` and
 * `--limit`.
 */
#include "commands.h"

#include <errno.h>
#include <stdlib.h>

#include "analyze/analyze.h"

int cli_store_at(cal_store **out, int64_t *out_at, struct cli_ctx *ctx, const char *cmd,
		 const char *text)
{
	*out_at = 0;
	*out = cli_store(ctx);
	if (!*out)
		return CLI_EXIT_FAILURE;
	if (!text)
		return CLI_EXIT_OK;
	return cli_fail(cmd, cal_ref_time(*out, out_at, NULL, cli_env(ctx), text));
}

int cli_count_arg(int *out, const char *cmd, const char *option, const char *text)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v <= 0 || v > 1000000)
		return cli_usage_error(cmd, "%s takes a whole number from 1 to 1000000, not '%s'",
				       option, text);
	*out = (int)v;
	return CLI_EXIT_OK;
}

int cli_type_arg(const char **out, const char *cmd, const char *text)
{
	if (cal_type_from_name(text) == CAL_T_UNKNOWN)
		return cli_usage_error(cmd, "unknown object type '%s'", text);
	*out = text;
	return CLI_EXIT_OK;
}
