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
 *      (done_ts, ts]: focal points that are new or changed, and the
 *      cliques (through the member index) holding an object that appeared,
 *      disappeared or changed its status, or an end of a link that did;
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

/* Focal points from which a first computation writes without the member
 * index (see rf_run). */
#define RF_BULK_MIN 5000

/* Objects with a revision that began in (lo, hi]: new or changed; the
 * changed focal points among them are recomputed (their name, project and
 * networks are in their clique). */
#define RF_STARTED "SELECT id FROM objects WHERE env = ? AND valid_from > ? AND valid_from <= ?"

/* What can change the cliques that hold an object, in (lo, hi]: the object
 * appeared, disappeared or changed its status (health), or a link at it
 * appeared, disappeared or changed.  Other changes of an object (counters
 * aside, an otep's peers, a vedge's ports...) leave its cliques as they
 * are: cliques hold ids, links and health only.  Each part is an indexed
 * range scan (objects_from, objects_to, links_from, links_to) plus primary
 * key probes for the neighbouring revision ("+p.valid_to" keeps SQLite
 * from probing objects_to instead: every revision a commit closed ends at
 * the same time). */
#define RF_TOUCHED_SQL(st1, st2)                                                          \
	"SELECT n.id AS cid FROM objects n LEFT JOIN objects p ON p.env = n.env AND "      \
	"p.id = n.id AND +p.valid_to = n.valid_from WHERE n.env = ? AND "                  \
	"n.valid_from > ? AND n.valid_from <= ? AND "                                      \
	"(p.id IS NULL OR " st1 " IS DISTINCT FROM " st2 ") "                              \
	"UNION SELECT p.id FROM objects p LEFT JOIN objects n ON n.env = p.env AND "        \
	"n.id = p.id AND n.valid_from = p.valid_to WHERE p.env = ? AND p.valid_to > ? AND " \
	"p.valid_to <= ? AND n.id IS NULL "                                                \
	"UNION SELECT source_id FROM links WHERE env = ? AND valid_from > ? AND "           \
	"valid_from <= ? "                                                                 \
	"UNION SELECT target_id FROM links WHERE env = ? AND valid_from > ? AND "           \
	"valid_from <= ? "                                                                 \
	"UNION SELECT source_id FROM links WHERE env = ? AND valid_to > ? AND "             \
	"valid_to <= ? "                                                                   \
	"UNION SELECT target_id FROM links WHERE env = ? AND valid_to > ? AND valid_to <= ?"
#define RF_TOUCHED_SQLITE RF_TOUCHED_SQL("json_extract(n.doc, '$.status')", \
					 "json_extract(p.doc, '$.status')")
#define RF_TOUCHED_PG RF_TOUCHED_SQL("(n.doc::jsonb ->> 'status')", "(p.doc::jsonb ->> 'status')")

/* Binds (env, lo, hi) `times` times from parameter `first`. */
static int rf_bind_ranges(cal_store_stmt *s, int first, int times, const char *env, int64_t lo,
			  int64_t hi)
{
	int rc = 0;

	for (int k = 0; k < times && rc == 0; k++) {
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

	rc = cal_store_sql_prepare(st, &s, RF_STARTED);
	if (rc == 0)
		rc = rf_bind_ranges(s, 1, 1, env, lo, hi);
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
	rc = cal_store_sql_prepare(st, &s,
				   cal_store_is_postgres(st)
					   ? "SELECT DISTINCT m.focal_id FROM clique_members m WHERE "
					     "m.env = ? AND m.object_id IN (" RF_TOUCHED_PG ")"
					   : "SELECT DISTINCT m.focal_id FROM clique_members m WHERE "
					     "m.env = ? AND m.object_id IN (" RF_TOUCHED_SQLITE ")");
	if (rc == 0)
		rc = cal_store_sql_bind_text(s, 1, env);
	if (rc == 0)
		rc = rf_bind_ranges(s, 2, 6, env, lo, hi);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW)
		rc = rf_add(set, cal_store_sql_text(s, 0));
	cal_store_sql_reset(s);
	return rc < 0 ? rc : 0;
}

static int rf_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The set's ids in byte order: cliques and member rows then go into their
 * b-trees in key order (appends, not random inserts). */
static const char **rf_sorted(const struct rf_set *set)
{
	const char **v = malloc((set->ids.n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < set->ids.n; i++)
		v[i] = an_intern_key(&set->ids, (uint32_t)i);
	if (set->ids.n > 1)
		qsort(v, set->ids.n, sizeof(*v), rf_cmp_str);
	return v;
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
	const char **order = NULL;
	struct cal_clique_stats stats = { 0 };
	int64_t t0 = cal_time_mono_us(), rev, t_load = t0, t_grow = t0;
	bool full, bulk, tx = false;
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
	rc = an_graph_load(&g, st, env, &plans);
	t_load = cal_time_mono_us();
	if (rc == 0)
		rc = an_live_load(&live, st, env);
	if (rc == 0)
		rc = an_intern_init(&set.ids);
	if (rc == 0)
		rc = full ? rf_all(&set, &g, &plans, &live)
			  : rf_affected(&set, st, env, state.done_ts, ts, &g, &plans);
	if (rc == 0)
		rc = an_grower_init(&w, &g);
	/* A first computation of a large environment: member rows go in
	 * without their object index, built once at the end (a sort instead
	 * of as many random b-tree inserts).  SQLite only, where the write
	 * lock covers every environment: on PostgreSQL the index is shared
	 * by environments refreshed concurrently. */
	bulk = full && live.ids.n == 0 && set.ids.n >= RF_BULK_MIN && !cal_store_is_postgres(st);
	if (rc == 0 && bulk)
		rc = cal_store_sql_exec(st, "DROP INDEX IF EXISTS clique_members_object", "");
	if (rc == 0)
		rc = an_writer_open(&wr, st, env, rev);
	if (rc == 0 && !(order = rf_sorted(&set)))
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < set.ids.n; i++) {
		const char *id = order[i];
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
	t_grow = cal_time_mono_us();
	if (rc == 0)
		rc = an_writer_flush(&wr);
	if (rc == 0 && bulk)
		rc = cal_store_sql_exec(st, "CREATE INDEX clique_members_object ON clique_members "
					"(env, object_id)", "");
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
			      "in %lld ms%s (graph %lld ms, %u objects, %u links; grow and write "
			      "%lld ms)", env, stats.focal_points, stats.recomputed,
			      stats.changed, (long long)(stats.duration_us / 1000),
			      full ? " (all)" : "", (long long)((t_load - t0) / 1000), g.n, g.m,
			      (long long)((t_grow - t_load) / 1000));
	an_writer_free(&wr);
	an_doc_free(&d);
	an_clique_free(&c);
	an_grower_fini(&w);
	free(order);
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
