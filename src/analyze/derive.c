/* derive.c - what the scan pipeline runs after each commit: the cliques of
 * the environment and its search index, both brought up to date with what
 * the commit changed.  One entry point so that src/pipeline stays unaware
 * of the details.
 */
#include "analyze/analyze_int.h"

int cal_analyze_refresh(cal_store *st, const char *env, int64_t ts, json_t **out)
{
	struct cal_clique_stats cs = { 0 };
	struct cal_search_stats ss = { 0 };
	int rc;

	if (out)
		*out = NULL;
	rc = cal_clique_refresh(st, env, ts, &cs);
	if (rc)
		return cal_error_prefix(rc, "cliques of environment '%s'", env);
	rc = cal_search_refresh(st, env, ts, &ss);
	if (rc)
		return cal_error_prefix(rc, "search index of environment '%s'", env);
	if (out)
		*out = json_pack("{s:{s:i, s:i, s:i, s:I}, s:{s:i, s:i, s:b, s:I}}", "cliques",
				 "focal_points", cs.focal_points, "recomputed", cs.recomputed,
				 "changed", cs.changed, "duration_ms",
				 (json_int_t)(cs.duration_us / 1000), "search", "indexed",
				 ss.indexed, "removed", ss.removed, "full", ss.full, "duration_ms",
				 (json_int_t)(ss.duration_us / 1000));
	return 0;
}
