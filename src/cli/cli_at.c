/* cli_at.c - `--at` for show, links, clique and impact: live, a snapshot's
 * name or a time, refused (exit 2, quoting the input) when the store
 * cannot read it as it was: in the future, before the environment's
 * history, or in history that retention pruned (cal_ref_time(),
 * cal_store_time_check()).
 */
#include "commands.h"
#include "analyze/analyze.h"

int cli_parse_at(cal_store *st, const char *env, const char *text, int64_t *out)
{
	*out = 0;
	if (!text)
		return 0;
	return cal_ref_time(st, out, NULL, env, text);
}
