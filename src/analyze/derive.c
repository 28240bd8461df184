/* derive.c - what the scan pipeline runs after each commit: the cliques of
 * the environment, brought up to date incrementally.  One entry point so
 * that src/pipeline stays unaware of the details.
 */
#include "analyze/analyze_int.h"

int cal_analyze_refresh(cal_store *st, const char *env, int64_t ts, json_t **out)
{
	struct cal_clique_stats cs = { 0 };
	int rc;

	if (out)
		*out = NULL;
	rc = cal_clique_refresh(st, env, ts, &cs);
	if (rc)
		return cal_error_prefix(rc, "cliques of environment '%s'", env);
	if (out)
		*out = json_pack("{s:{s:i, s:i, s:i, s:I}}", "cliques", "focal_points",
				 cs.focal_points, "recomputed", cs.recomputed, "changed", cs.changed,
				 "duration_ms", (json_int_t)(cs.duration_us / 1000));
	return 0;
}
