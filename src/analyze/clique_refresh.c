/* clique_refresh.c - keeps the stored cliques of an environment in step
 * with its inventory (cal_clique_refresh, cal_clique_rebuild).
 *
 * One transaction under the environment's writer lock (the one commits
 * take), so no commit lands while cliques are derived:
 *   1. the refresh state says up to which commit time changes are already
 *      reflected (done_ts) and which clique types were in force;
 *   2. first time, or when the clique types changed: every focal point is
 *      recomputed.  Otherwise the focal points to recompute are found by
 *      two indexed queries over the rows that began or ended in
 *      (done_ts, ts] (objects, and both ends of links): focal points that
 *      changed themselves, and the cliques holding a changed object
 *      (the member index);
 *   3. the live graph is loaded once and each affected focal point grown
 *      again; a clique whose document hash is unchanged is not written, a
 *      changed one becomes a new revision, one whose focal point is gone is
 *      closed.
 * A link added between two objects that no clique holds cannot change any
 * clique, and a removed link that was in a clique has both its ends in that
 * clique's members: both kinds of change are found through the endpoints.
 *
 * Revision times: `ts` (the commit's), moved after the newest clique
 * revision of the environment when it is not later, so that rows of one
 * focal point never overlap.
 */
#include "analyze/analyze_int.h"

#include <stdlib.h>
#include <string.h>

/* Rows that began or ended in (lo, hi]: objects, and both ends of links. */
#define RF_CHANGED                                                                        \
	"SELECT id AS cid FROM objects WHERE env = ? AND valid_from > ? AND valid_from <= ? " \
	"UNION SELECT id FROM objects WHERE env = ? AND valid_to > ? AND valid_to <= ? "      \
	"UNION SELECT source_id FROM links WHERE env = ? AND valid_from > ? AND "             \
	"valid_from <= ? "                                                                   \
	"UNION SELECT target_id FROM links WHERE env = ? AND valid_from > ? AND "             \
	"valid_from <= ? "                                                                   \
	"UNION SELECT source_id FROM links WHERE env = ? AND valid_to > ? AND valid_to <= ? " \
	"UNION SELECT target_id FROM links WHERE env = ? AND valid_to > ? AND valid_to <= ?"

static int rf_bind_changed(cal_store_stmt *s, int first, const char *env, int64_t lo,
			   int64_t hi)
{
	int rc = 0;

	for (int k = 0; k < 6 && rc == 0; k++) {
		rc = cal_store_sql_bind_text(s, first + 3 * k, env);
		if (rc == 0)
			rc = cal_store_sql_bind_int64(s, first + 3 * k + 1, lo);
		if (rc == 0)
			rc = cal_store_sql_bind_int64(s, first + 3 * k + 2, hi);
	}
	return rc;
}

/* The set of focal points to recompute, by id. */
struct rf_set {
	struct an_intern ids;
};

static int rf_add(struct rf_set *set, const char *id)
{
	uint32_t i;

	return an_intern_add(&set->ids, &i, id, strlen(id));
}

static bool rf_is_focal(const struct an_graph *g, const struct an_plans *plans, int64_t u)
{
	return u >= 0 && g->type[u] != CAL_T_UNKNOWN && plans->by_type[g->type[u]] != NULL;
}

/* Incremental: changed focal points and the cliques holding a change. */
static int rf_affected(struct rf_set *set, cal_store *st, const char *env, int64_t lo,
		       int64_t hi, const struct an_graph *g, const struct an_plans *plans)
{
	cal_store_stmt *s = NULL;
	int rc;

	rc = cal_store_sql_prepare(st, &s, "SELECT cid FROM (" RF_CHANGED ") AS changed");
	if (rc == 0)
		rc = rf_bind_changed(s, 1, env, lo, hi);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
		const char *id = cal_store_sql_text(s, 0);

		rc = 0;
		if (id && rf_is_focal(g, plans, an_intern_find(&g->ids, id, strlen(id))))
			rc = rf_add(set, id);
	}
	cal_store_sql_reset(s);
	if (rc < 0)
		return rc;
	s = NULL;
	rc = cal_store_sql_prepare(st, &s, "SELECT DISTINCT m.focal_id FROM clique_members m "
				   "WHERE m.env = ? AND m.object_id IN (" RF_CHANGED ")");
	if (rc == 0)
		rc = cal_store_sql_bind_text(s, 1, env);
	if (rc == 0)
		rc = rf_bind_changed(s, 2, env, lo, hi);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW)
		rc = rf_add(set, cal_store_sql_text(s, 0));
	cal_store_sql_reset(s);
	return rc < 0 ? rc : 0;
}

/* Every focal point of the graph and every live clique. */
static int rf_all(struct rf_set *set, const struct an_graph *g, const struct an_plans *plans,
		  const struct an_live *live)
{
	int rc = 0;

	for (uint32_t u = 0; rc == 0 && u < g->n; u++)
		if (rf_is_focal(g, plans, u))
			rc = rf_add(set, an_intern_key(&g->ids, u));
	for (size_t i = 0; rc == 0 && i < live->ids.n; i++)
		rc = rf_add(set, an_intern_key(&live->ids, (uint32_t)i));
	return rc;
}

static int rf_run(cal_store *st, const char *env, int64_t ts, bool force,
		  struct cal_clique_stats *out)
{
	struct an_plans plans = { 0 };
	struct an_graph g = { 0 };
	struct an_live live = { 0 };
	struct an_state state;
	struct an_grower w = { 0 };
	struct an_clique c = { 0 };
	struct an_doc d = { 0 };
	struct an_writer wr = { 0 };
	struct rf_set set = { 0 };
	struct cal_clique_stats stats = { 0 };
	int64_t t0 = cal_time_mono_us(), rev;
	bool full, tx = false;
	int rc;

	if (!env || !*env)
		return cal_error_set(CAL_EINVALID, "clique refresh without an environment");
	if (ts <= 0)
		ts = cal_time_now_us();
	rc = cal_store_tx_begin(st, env);
	if (rc)
		return rc;
	tx = true;
	rc = an_state_get(st, env, &state);
	if (rc == 0)
		rc = an_plans_load(&plans, st, env);
	if (rc)
		goto out;
	full = force || !state.found || strcmp(state.types_hash, plans.hash) != 0;
	if (!full && ts <= state.done_ts) {
		/* Nothing new since the last refresh. */
		rc = cal_store_tx_commit(st);
		tx = false;
		goto out;
	}
	rev = state.found && ts <= state.rev_ts ? state.rev_ts + 1 : ts;
	rc = an_graph_load(&g, st, env);
	if (rc == 0)
		rc = an_live_load(&live, st, env);
	if (rc == 0)
		rc = an_intern_init(&set.ids);
	if (rc == 0)
		rc = full ? rf_all(&set, &g, &plans, &live)
			  : rf_affected(&set, st, env, state.done_ts, ts, &g, &plans);
	if (rc == 0)
		rc = an_grower_init(&w, &g);
	if (rc == 0)
		rc = an_writer_open(&wr, st, env, rev);
	for (size_t i = 0; rc == 0 && i < set.ids.n; i++) {
		const char *id = an_intern_key(&set.ids, (uint32_t)i);
		int64_t u = an_intern_find(&g.ids, id, strlen(id));
		const char *old = an_live_hash(&live, id);

		stats.focal_points++;
		if (!rf_is_focal(&g, &plans, u)) {
			if (old) {
				rc = an_writer_remove(&wr, id);
				stats.changed++;
			}
			continue;
		}
		rc = an_grow(&w, &c, plans.by_type[g.type[u]], (uint32_t)u);
		if (rc == 0)
			rc = an_doc_build(&d, &g, &c);
		if (rc)
			break;
		stats.recomputed++;
		if (old && strcmp(old, d.hash) == 0)
			continue;
		rc = an_writer_put(&wr, &g, &c, &d, old != NULL);
		stats.changed++;
	}
	if (rc == 0)
		rc = an_writer_flush(&wr);
	if (rc)
		goto out;
	state.done_ts = state.done_ts > ts ? state.done_ts : ts;
	if (stats.changed)
		state.rev_ts = rev;
	snprintf(state.types_hash, sizeof(state.types_hash), "%s", plans.hash);
	rc = an_state_put(st, env, &state);
	if (rc == 0)
		rc = cal_store_tx_commit(st);
	tx = false;
out:
	if (tx || rc)
		cal_store_tx_rollback(st);
	stats.duration_us = cal_time_mono_us() - t0;
	if (rc == 0 && out)
		*out = stats;
	if (rc == 0)
		cal_log_debug("graph", "cliques of '%s': %d focal points, %d recomputed, %d changed "
			      "in %lld ms%s", env, stats.focal_points, stats.recomputed,
			      stats.changed, (long long)(stats.duration_us / 1000),
			      full ? " (all)" : "");
	an_writer_free(&wr);
	an_doc_free(&d);
	an_clique_free(&c);
	an_grower_fini(&w);
	an_intern_fini(&set.ids);
	an_live_free(&live);
	an_graph_free(&g);
	an_plans_free(&plans);
	return rc;
}

int cal_clique_refresh(cal_store *st, const char *env, int64_t ts, struct cal_clique_stats *out)
{
	return rf_run(st, env, ts, false, out);
}

int cal_clique_rebuild(cal_store *st, const char *env, int64_t ts, struct cal_clique_stats *out)
{
	return rf_run(st, env, ts, true, out);
}
