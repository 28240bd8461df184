/* snapshot.c - taking a snapshot: the store records the point in time
 * (store_snapshots.c); this adds what only analyze knows, the clique of a
 * clique-scoped snapshot (its members and health as the clique engine has
 * them), and applies the retention policy afterwards.
 *
 * A clique-scoped snapshot is the story's "pre snapshot" of a focal point
 * before a change: `calipso diff pre live` then compares that clique only.
 */
#include "analyze/diff_int.h"

#include <stdlib.h>
#include <string.h>

int cal_snapshot_create(cal_store *st, json_t **out, const char *env,
			const struct cal_snapshot_opts *opts)
{
	struct cal_snapshot_spec spec = { .env = env };
	struct cal_retention pol;
	json_t *clique = NULL, *snap = NULL, *pruned = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!opts || !env || !*env)
		return cal_error_set(CAL_EINVALID, "snapshot needs an environment and options");
	spec.name = opts->name;
	spec.note = opts->note;
	spec.scan_id = opts->scan_id;
	spec.pinned = opts->pinned;
	rc = cal_store_snapshot_name_check(opts->name);
	if (rc)
		return rc;
	if (opts->clique) {
		rc = df_clique_summary(st, &clique, env, opts->clique, 0);
		if (rc)
			return rc;
		if (json_is_null(clique)) {
			char *esc = cal_str_escape(opts->clique);

			json_decref(clique);
			rc = cal_error_set(CAL_EINVALID, "'%s' is not a focal point with a clique in "
					   "environment '%s' (`calipso clique ID` shows one)",
					   esc ? esc : "?", env);
			free(esc);
			return rc;
		}
		spec.clique = opts->clique;
		spec.clique_doc = clique;
	}
	rc = cal_store_snapshot_create(st, &snap, &spec);
	json_decref(clique);
	if (rc)
		return rc;
	if (!opts->no_prune) {
		rc = cal_store_retention_get(st, &pol, env);
		if (rc == 0 && (pol.keep_last > 0 || pol.keep_days > 0))
			rc = cal_store_prune(st, &pruned, env, &pol, 0);
		if (rc) {
			/* The snapshot is taken; say why pruning did not happen. */
			cal_error_prefix(rc, "snapshot '%s' taken, but pruning failed", opts->name);
			json_decref(snap);
			return rc;
		}
		if (pruned)
			json_object_set_new(snap, "pruned", pruned);
	}
	if (out)
		*out = snap;
	else
		json_decref(snap);
	return 0;
}
