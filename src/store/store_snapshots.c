/* store_snapshots.c - named points in time of an environment, their
 * retention, and the check that a time can be read as it was.
 *
 * A snapshot row holds a time and what describes it (the scan it follows
 * and the sources that answered, counts, an optional clique scope), never
 * a copy of the inventory: the revisions valid at its time are the
 * snapshot.  Its counts are the previous snapshot's plus what the
 * revisions between the two times added and ended, so taking one costs
 * the changes since the last, not the inventory's size.  Its time is the environment's newest revision time, read
 * under the writers' lock (db_lock(env), the lock cal_store_commit()
 * takes), so no later commit can write a revision at or before it.
 *
 * Pruning deletes, in one transaction under the same lock, the snapshots
 * the policy does not keep, then every closed revision that ended before
 * the horizon and that no kept snapshot's time falls in; the
 * snapshots_ts index answers "is there a kept snapshot in [from, to)" for
 * each candidate row that the objects_to/links_to indexes yield.  The
 * horizon is remembered (snapshot_policy.pruned_before) so that reading a
 * pruned time is refused instead of answered wrongly.
 *
 * Trust: names and notes come from users and are checked or stored as
 * text; stored JSON is parsed with errors naming the database.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Migration "snapshots" (store_schema.c). */
const char st_ddl_snapshots[] =
	"CREATE TABLE snapshots ("
	"  id {ID},"
	"  env {KEY} NOT NULL,"
	"  name {KEY} NOT NULL,"
	"  ts BIGINT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  scan_id BIGINT,"
	"  clique {KEY},"
	"  note TEXT NOT NULL,"
	"  pinned BIGINT NOT NULL,"
	"  sources TEXT NOT NULL,"
	"  counts TEXT NOT NULL,"
	"  clique_state TEXT);"
	"CREATE UNIQUE INDEX snapshots_name ON snapshots (env, name);"
	"CREATE INDEX snapshots_ts ON snapshots (env, ts);"
	"CREATE TABLE snapshot_policy ("
	"  env {KEY} PRIMARY KEY,"
	"  keep_last BIGINT NOT NULL,"
	"  keep_days BIGINT NOT NULL,"
	"  pruned_before BIGINT NOT NULL,"
	"  updated BIGINT NOT NULL);";

#define SN_DAY_US (86400LL * 1000000LL)
#define SN_NAME_MAX 64

int cal_store_snapshot_name_check(const char *name)
{
	int64_t t;
	size_t n;

	if (!name || !*name)
		return cal_error_set(CAL_EINVALID, "empty snapshot name");
	n = strlen(name);
	if (n > SN_NAME_MAX)
		return cal_error_set(CAL_EINVALID, "snapshot name '%.64s...' is longer than %d "
				     "characters", name, SN_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || (i > 0 && (c == '.' || c == '_' || c == '-'));

		if (!ok) {
			char *esc = cal_str_escape(name);
			int rc = cal_error_set(CAL_EINVALID, "snapshot name '%s': use letters, digits, "
					       "'.', '_' and '-', starting with a letter or digit",
					       esc ? esc : "?");

			free(esc);
			return rc;
		}
	}
	if (strcmp(name, "live") == 0)
		return cal_error_set(CAL_EINVALID, "snapshot name 'live' is reserved (it means the "
				     "live inventory)");
	if (cal_time_parse(&t, name) == 0) {
		cal_error_clear();
		return cal_error_set(CAL_EINVALID, "snapshot name '%s' reads as a time; choose "
				     "another", name);
	}
	cal_error_clear();
	return 0;
}

/* ------------------------------------------------------------------ */
/* Rows                                                                */
/* ------------------------------------------------------------------ */

#define SN_COLUMNS "name, env, ts, created, scan_id, clique, note, pinned, sources, counts, " \
		   "clique_state"

static int sn_row_json(cal_store *st, json_t **out, db_stmt *s, void *arg)
{
	json_t *sources = NULL, *counts = NULL, *cstate = NULL;
	const char *clique = db_col_text(s, 5);
	char *scope = NULL;
	int rc;

	(void)arg;
	*out = NULL;
	rc = st_json_load(st, &sources, db_col_text(s, 8), "snapshot sources");
	if (rc == 0)
		rc = st_json_load(st, &counts, db_col_text(s, 9), "snapshot counts");
	if (rc == 0 && !db_col_is_null(s, 10))
		rc = st_json_load(st, &cstate, db_col_text(s, 10), "snapshot clique");
	if (rc == 0) {
		scope = clique ? cal_strdup_printf("clique:%s", clique) : strdup("env");
		if (!scope)
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	if (rc == 0) {
		*out = json_pack("{s:s, s:s, s:o, s:I, s:o, s:o, s:o, s:s, s:o, s:o, s:s, s:b, "
				 "s:o}",
				 "name", db_col_text(s, 0), "environment", db_col_text(s, 1),
				 "time", st_json_time(db_col_int64(s, 2), true),
				 "time_us", (json_int_t)db_col_int64(s, 2),
				 "created", st_json_time(db_col_int64(s, 3), true),
				 "scan_id", db_col_is_null(s, 4) ? json_null()
								 : json_integer(db_col_int64(s, 4)),
				 "sources", sources, "scope", scope,
				 "clique", clique ? json_string(clique) : json_null(),
				 "clique_state", cstate ? cstate : json_null(),
				 "note", db_col_text(s, 6), "pinned", db_col_int64(s, 7) != 0,
				 "counts", counts);
		sources = counts = cstate = NULL;
		if (!*out)
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	json_decref(sources);
	json_decref(counts);
	json_decref(cstate);
	free(scope);
	return rc;
}

/* CAL_ENOTFOUND naming snapshot `name` of `env`; `hint` adds where to
 * find the names. */
static int sn_not_found(const char *env, const char *name, bool hint)
{
	char *esc = cal_str_escape(name);
	int rc = cal_error_set(CAL_ENOTFOUND, "no snapshot '%s' in environment '%s'%s",
			       esc ? esc : "?", env,
			       hint ? " (`calipso snapshot list` shows them)" : "");

	free(esc);
	return rc;
}

int cal_store_snapshot_get(cal_store *st, json_t **out, const char *env, const char *name)
{
	int rc;

	*out = NULL;
	if (!env || !name)
		return cal_error_set(CAL_EINVALID, "snapshot lookup needs an environment and a name");
	rc = st_query_row(st, out, sn_row_json, NULL, "SELECT " SN_COLUMNS " FROM snapshots "
			  "WHERE env = ? AND name = ?", "tt", env, name);
	return rc == CAL_ENOTFOUND ? sn_not_found(env, name, true) : rc;
}

int cal_store_snapshot_list(cal_store *st, json_t **out, const char *env)
{
	if (env)
		return st_query_rows(st, out, sn_row_json, NULL, "SELECT " SN_COLUMNS " FROM "
				     "snapshots WHERE env = ? ORDER BY ts, created, id", "t", env);
	return st_query_rows(st, out, sn_row_json, NULL, "SELECT " SN_COLUMNS " FROM snapshots "
			     "ORDER BY env, ts, created, id", "");
}

int cal_store_snapshot_remove(cal_store *st, const char *env, const char *name)
{
	int64_t n;
	int rc;

	if (!env || !name)
		return cal_error_set(CAL_EINVALID, "snapshot removal needs an environment and a name");
	rc = st_exec(st, &n, "DELETE FROM snapshots WHERE env = ? AND name = ?", "tt", env, name);
	return rc == 0 && n == 0 ? sn_not_found(env, name, false) : rc;
}

int cal_store_snapshot_pin(cal_store *st, const char *env, const char *name, bool pinned)
{
	int64_t n;
	int rc;

	if (!env || !name)
		return cal_error_set(CAL_EINVALID, "pinning needs an environment and a name");
	rc = st_exec(st, &n, "UPDATE snapshots SET pinned = ? WHERE env = ? AND name = ?", "itt",
		     (int64_t)pinned, env, name);
	return rc == 0 && n == 0 ? sn_not_found(env, name, false) : rc;
}

/* ------------------------------------------------------------------ */
/* Creation                                                            */
/* ------------------------------------------------------------------ */

/* The sources of scan `id` (0: the newest finished scan of env):
 * *scan_out is the scan id used (0 when there is none). */
static int sn_sources(cal_store *st, json_t **out, int64_t *scan_out, const char *env,
		      int64_t id)
{
	json_t *scan = NULL, *sources;
	bool found = true;
	int rc = 0;

	*out = NULL;
	*scan_out = 0;
	if (id <= 0) {
		rc = db_query_int64(st->db, &id, &found,
				    "SELECT MAX(id) FROM scans WHERE env = ? AND finished IS NOT NULL",
				    1, (const char *const[]){ env });
		if (rc)
			return rc;
	}
	if (found && id > 0) {
		rc = cal_store_scan_get(st, &scan, id);
		if (rc)
			return rc;
		if (strcmp(cal_json_str(scan, "environment"), env) != 0) {
			json_decref(scan);
			return cal_error_set(CAL_EINVALID, "scan %lld is of environment '%s', not "
					     "'%s'", (long long)id, cal_json_str(scan, "environment"),
					     env);
		}
		*scan_out = id;
	}
	sources = json_object_get(json_object_get(scan, "result"), "sources");
	*out = json_is_array(sources) ? json_incref(sources) : json_array();
	json_decref(scan);
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

/* Live counts: {"objects": n, "links": n, "types": {type: n}}, counted
 * over the live indexes (the first snapshot of an environment). */
static int sn_counts_full(cal_store *st, json_t **out, const char *env)
{
	json_t *types = NULL;
	json_int_t total = 0;
	int64_t links;
	const char *k;
	json_t *v;
	int rc;

	*out = NULL;
	rc = cal_store_counts(st, &types, env);
	if (rc == 0)
		rc = db_query_int64(st->db, &links, NULL, "SELECT COUNT(*) FROM links WHERE env = ? "
				    "AND valid_to IS NULL", 1, (const char *const[]){ env });
	if (rc) {
		json_decref(types);
		return rc;
	}
	json_object_foreach(types, k, v)
		total += json_integer_value(v);
	*out = json_pack("{s:I, s:I, s:o}", "objects", total, "links", (json_int_t)links, "types",
			 types);
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

/* Adds `sign` times the rows of one side of the revisions between t1 and
 * t2 (see store_diff.c) to the counts, by type for objects. */
static int sn_counts_side(cal_store *st, json_t *counts, const char *sql, const char *env,
			  int64_t a, int64_t b, int64_t c, int sign, bool objects)
{
	json_t *types = json_object_get(counts, "types");
	const char *what = objects ? "objects" : "links";
	db_stmt *s;
	int rc;

	rc = cal_store_sql_prepare_fmt(st, &s, sql, "tiii", env, a, b, c);
	if (rc)
		return rc;
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		json_int_t n = sign * (json_int_t)db_col_int64(s, 1);

		rc = 0;
		json_object_set_new(counts, what, json_integer(cal_json_int(counts, what, 0) + n));
		if (objects) {
			const char *t = db_col_text(s, 0);
			json_int_t now = cal_json_int(types, t, 0) + n;

			if (now)
				json_object_set_new(types, t, json_integer(now));
			else
				json_object_del(types, t);
		}
	}
	db_reset(s);
	return rc < 0 ? rc : 0;
}

/* The counts at `ts`: the newest earlier snapshot's, plus what the
 * revisions between its time and `ts` added and minus what they ended
 * (a cost in changes, not in inventory size); counted whole when there is
 * no earlier snapshot. */
static int sn_counts(cal_store *st, json_t **out, const char *env, int64_t ts)
{
	json_t *prev = NULL;
	db_stmt *s;
	int64_t t1 = 0;
	int rc;

	*out = NULL;
	rc = cal_store_sql_prepare_fmt(st, &s, "SELECT ts, counts FROM snapshots WHERE env = ? AND "
				       "ts <= ? ORDER BY ts DESC, id DESC LIMIT 1", "ti", env, ts);
	if (rc == 0)
		rc = db_step(s);
	if (rc == DB_ROW) {
		t1 = db_col_int64(s, 0);
		rc = st_json_load(st, &prev, db_col_text(s, 1), "snapshot counts");
	}
	db_reset(s);
	if (rc < 0)
		return rc;
	if (!json_is_object(prev) || !json_is_object(json_object_get(prev, "types"))) {
		json_decref(prev);
		return sn_counts_full(st, out, env);
	}
	if (t1 < ts) {
		rc = sn_counts_side(st, prev, "SELECT type, COUNT(*) FROM objects WHERE env = ? AND "
				    "valid_to > ? AND valid_to <= ? AND valid_from <= ? GROUP BY type",
				    env, t1, ts, t1, -1, true);
		if (rc == 0)
			rc = sn_counts_side(st, prev, "SELECT type, COUNT(*) FROM objects WHERE env = ? "
					    "AND valid_from > ? AND valid_from <= ? AND (valid_to IS "
					    "NULL OR valid_to > ?) GROUP BY type", env, t1, ts, ts, 1,
					    true);
		if (rc == 0)
			rc = sn_counts_side(st, prev, "SELECT '', COUNT(*) FROM links WHERE env = ? AND "
					    "valid_to > ? AND valid_to <= ? AND valid_from <= ?", env,
					    t1, ts, t1, -1, false);
		if (rc == 0)
			rc = sn_counts_side(st, prev, "SELECT '', COUNT(*) FROM links WHERE env = ? "
					    "AND valid_from > ? AND valid_from <= ? AND (valid_to IS "
					    "NULL OR valid_to > ?)", env, t1, ts, ts, 1, false);
	}
	if (rc) {
		json_decref(prev);
		return rc;
	}
	*out = prev;
	return 0;
}

int cal_store_snapshot_create(cal_store *st, json_t **out, const struct cal_snapshot_spec *spec)
{
	json_t *sources = NULL, *counts = NULL;
	char *stext = NULL, *ctext = NULL, *qtext = NULL;
	int64_t ts, scan_id = 0, unused;
	bool exists;
	int rc;

	if (out)
		*out = NULL;
	if (!spec || !spec->env || !*spec->env)
		return cal_error_set(CAL_EINVALID, "snapshot without an environment");
	rc = cal_store_snapshot_name_check(spec->name);
	if (rc)
		return rc;
	if (spec->clique && !*spec->clique)
		return cal_error_set(CAL_EINVALID, "snapshot '%s': empty clique focal point",
				     spec->name);
	if (spec->clique_doc) {
		qtext = st_json_dump(spec->clique_doc);
		if (!qtext)
			return CAL_ENOMEM;
	}
	rc = db_begin(st->db);
	if (rc == 0)
		rc = db_lock(st->db, spec->env);
	if (rc)
		goto out;
	rc = db_query_int64(st->db, &unused, &exists, "SELECT 1 FROM snapshots WHERE env = ? AND "
			    "name = ?", 2, (const char *const[]){ spec->env, spec->name });
	if (rc)
		goto out;
	if (exists) {
		rc = cal_error_set(CAL_EEXISTS, "snapshot '%s' already exists in environment '%s'",
				   spec->name, spec->env);
		goto out;
	}
	rc = cal_store_newest_time(st, &ts, spec->env);
	if (rc)
		goto out;
	if (ts == 0) {
		rc = cal_error_set(CAL_EINVALID, "environment '%s' has no inventory to snapshot "
				   "(run `calipso --env %s scan` first)", spec->env, spec->env);
		goto out;
	}
	if (spec->clique) {
		rc = db_query_int64(st->db, &unused, &exists, "SELECT 1 FROM objects WHERE env = ? "
				    "AND id = ? AND valid_to IS NULL", 2,
				    (const char *const[]){ spec->env, spec->clique });
		if (rc)
			goto out;
		if (!exists) {
			char *esc = cal_str_escape(spec->clique);

			rc = cal_error_set(CAL_EINVALID, "snapshot '%s': focal point '%s' is not "
					   "in environment '%s'", spec->name, esc ? esc : "?",
					   spec->env);
			free(esc);
			goto out;
		}
	}
	rc = sn_sources(st, &sources, &scan_id, spec->env, spec->scan_id);
	if (rc == 0)
		rc = sn_counts(st, &counts, spec->env, ts);
	if (rc)
		goto out;
	stext = st_json_dump(sources);
	ctext = st_json_dump(counts);
	if (!stext || !ctext) {
		rc = CAL_ENOMEM;
		goto out;
	}
	{
		db_stmt *s;

		rc = db_prepare(st->db, &s,
				"INSERT INTO snapshots (env, name, ts, created, scan_id, clique, note, "
				"pinned, sources, counts, clique_state) "
				"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
		if (rc)
			goto out;
		rc = db_bind_text(s, 1, spec->env);
		if (rc == 0)
			rc = db_bind_text(s, 2, spec->name);
		if (rc == 0)
			rc = db_bind_int64(s, 3, ts);
		if (rc == 0)
			rc = db_bind_int64(s, 4, cal_time_now_us());
		if (rc == 0)
			rc = scan_id > 0 ? db_bind_int64(s, 5, scan_id) : db_bind_null(s, 5);
		if (rc == 0)
			rc = db_bind_text(s, 6, spec->clique); /* NULL binds NULL */
		if (rc == 0)
			rc = db_bind_text(s, 7, spec->note ? spec->note : "");
		if (rc == 0)
			rc = db_bind_int64(s, 8, spec->pinned);
		if (rc == 0)
			rc = db_bind_text(s, 9, stext);
		if (rc == 0)
			rc = db_bind_text(s, 10, ctext);
		if (rc == 0)
			rc = db_bind_text(s, 11, qtext);
		if (rc == 0)
			rc = db_step(s);
		db_reset(s);
		if (rc < 0)
			goto out;
	}
	rc = db_commit(st->db);
	if (rc == 0 && out)
		rc = cal_store_snapshot_get(st, out, spec->env, spec->name);
out:
	if (rc && db_in_transaction(st->db))
		db_rollback(st->db);
	json_decref(sources);
	json_decref(counts);
	free(stext);
	free(ctext);
	free(qtext);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Retention                                                           */
/* ------------------------------------------------------------------ */

/* The stored policy and horizon; zeros when none. */
static int sn_policy_load(cal_store *st, struct cal_retention *r, int64_t *pruned_before,
			  const char *env)
{
	db_stmt *s;
	int rc;

	memset(r, 0, sizeof(*r));
	if (pruned_before)
		*pruned_before = 0;
	rc = db_prepare(st->db, &s, "SELECT keep_last, keep_days, pruned_before FROM "
			"snapshot_policy WHERE env = ?");
	if (rc)
		return rc;
	rc = db_bind_text(s, 1, env);
	if (rc == 0)
		rc = db_step(s);
	if (rc == DB_ROW) {
		r->keep_last = (int)db_col_int64(s, 0);
		r->keep_days = (int)db_col_int64(s, 1);
		if (pruned_before)
			*pruned_before = db_col_int64(s, 2);
	}
	db_reset(s);
	return rc < 0 ? rc : 0;
}

static int sn_policy_check(const struct cal_retention *r)
{
	if (r->keep_last < 0 || r->keep_days < 0)
		return cal_error_set(CAL_EINVALID, "retention: keep-last and keep-days must not be "
				     "negative (%d, %d)", r->keep_last, r->keep_days);
	if (r->keep_days > 100000)
		return cal_error_set(CAL_EINVALID, "retention: keep-days %d is beyond any history",
				     r->keep_days);
	return 0;
}

int cal_store_retention_get(cal_store *st, struct cal_retention *out, const char *env)
{
	if (!env || !*env)
		return cal_error_set(CAL_EINVALID, "retention needs an environment");
	return sn_policy_load(st, out, NULL, env);
}

int cal_store_retention_set(cal_store *st, const char *env, const struct cal_retention *r)
{
	int rc;

	if (!env || !*env || !r)
		return cal_error_set(CAL_EINVALID, "retention needs an environment and a policy");
	rc = sn_policy_check(r);
	if (rc)
		return rc;
	return st_exec(st, NULL, "INSERT INTO snapshot_policy (env, keep_last, keep_days, "
		       "pruned_before, updated) VALUES (?, ?, ?, 0, ?) ON CONFLICT (env) DO UPDATE "
		       "SET keep_last = excluded.keep_last, keep_days = excluded.keep_days, "
		       "updated = excluded.updated", "tiii", env, (int64_t)r->keep_last,
		       (int64_t)r->keep_days, cal_time_now_us());
}

/* Snapshots of env newest first: names (array) and which are kept. */
static int sn_select(cal_store *st, json_t *kept, json_t *removed, const char *env,
		     const struct cal_retention *r, int64_t now)
{
	db_stmt *s;
	int rc, rank = 0;

	rc = db_prepare(st->db, &s, "SELECT name, created, pinned FROM snapshots WHERE env = ? "
			"ORDER BY created DESC, id DESC");
	if (rc)
		return rc;
	rc = db_bind_text(s, 1, env);
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		bool keep = db_col_int64(s, 2) != 0 || (r->keep_last > 0 && rank < r->keep_last) ||
			    (r->keep_days > 0 &&
			     db_col_int64(s, 1) > now - (int64_t)r->keep_days * SN_DAY_US);

		rank++;
		rc = json_array_append_new(keep ? kept : removed, json_string(db_col_text(s, 0)));
		if (rc)
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	db_reset(s);
	return rc < 0 ? rc : 0;
}

int cal_store_prune(cal_store *st, json_t **out, const char *env, const struct cal_retention *r,
		    int64_t now)
{
	struct cal_retention stored, pol;
	json_t *kept = json_array(), *removed = json_array();
	int64_t pruned_before, horizon, nobj = 0, nlink = 0;
	size_t i;
	json_t *v;
	int rc;

	if (out)
		*out = NULL;
	if (!kept || !removed) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	if (!env || !*env) {
		rc = cal_error_set(CAL_EINVALID, "pruning needs an environment");
		goto out;
	}
	if (now <= 0)
		now = cal_time_now_us();
	rc = db_begin(st->db);
	if (rc == 0)
		rc = db_lock(st->db, env);
	if (rc == 0)
		rc = sn_policy_load(st, &stored, &pruned_before, env);
	if (rc)
		goto out;
	pol = r ? *r : stored;
	rc = sn_policy_check(&pol);
	if (rc)
		goto out;
	if (pol.keep_last == 0 && pol.keep_days == 0) {
		rc = cal_error_set(CAL_EINVALID, "no retention policy for environment '%s': give "
				   "--keep-last N and/or --keep-days D (or set them with `calipso "
				   "snapshot policy`)", env);
		goto out;
	}
	horizon = pol.keep_days > 0 ? now - (int64_t)pol.keep_days * SN_DAY_US : now;
	rc = sn_select(st, kept, removed, env, &pol, now);
	json_array_foreach(removed, i, v) {
		if (rc)
			break;
		rc = st_exec(st, NULL, "DELETE FROM snapshots WHERE env = ? AND name = ?", "tt", env,
			     json_string_value(v));
	}
	/* What no kept snapshot needs: closed before the horizon, and no
	 * snapshot time in [valid_from, valid_to). */
	if (rc == 0)
		rc = st_exec(st, &nobj, "DELETE FROM objects WHERE env = ? AND valid_to IS NOT NULL "
			     "AND valid_to <= ? AND NOT EXISTS (SELECT 1 FROM snapshots s WHERE "
			     "s.env = objects.env AND s.ts >= objects.valid_from AND "
			     "s.ts < objects.valid_to)", "ti", env, horizon);
	if (rc == 0)
		rc = st_exec(st, &nlink, "DELETE FROM links WHERE env = ? AND valid_to IS NOT NULL "
			     "AND valid_to <= ? AND NOT EXISTS (SELECT 1 FROM snapshots s WHERE "
			     "s.env = links.env AND s.ts >= links.valid_from AND "
			     "s.ts < links.valid_to)", "ti", env, horizon);
	if (rc == 0 && horizon > pruned_before)
		rc = st_exec(st, NULL, "INSERT INTO snapshot_policy (env, keep_last, keep_days, "
			     "pruned_before, updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT (env) DO "
			     "UPDATE SET pruned_before = excluded.pruned_before, updated = "
			     "excluded.updated", "tiiii", env, (int64_t)stored.keep_last,
			     (int64_t)stored.keep_days, horizon, now);
	if (rc == 0)
		rc = db_commit(st->db);
	if (rc)
		goto out;
	cal_log_info("store", "pruned environment '%s': %zu snapshots removed, %lld object and "
		     "%lld link revisions", env, json_array_size(removed), (long long)nobj,
		     (long long)nlink);
	if (out) {
		*out = json_pack("{s:O, s:O, s:I, s:I, s:o}", "removed", removed, "kept", kept,
				 "objects_pruned", (json_int_t)nobj, "links_pruned",
				 (json_int_t)nlink, "horizon", st_json_time(horizon, true));
		if (!*out)
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
out:
	if (rc && db_in_transaction(st->db))
		db_rollback(st->db);
	json_decref(kept);
	json_decref(removed);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Readable times                                                      */
/* ------------------------------------------------------------------ */

int cal_store_time_check(cal_store *st, const char *env, int64_t at)
{
	struct cal_retention pol;
	char tbuf[CAL_TIME_BUFSZ], hbuf[CAL_TIME_BUFSZ];
	int64_t first, pruned_before;
	bool found;
	int rc;

	if (!env || !*env)
		return cal_error_set(CAL_EINVALID, "time check needs an environment");
	if (at <= 0)
		return 0; /* live */
	if (at > cal_time_now_us())
		return cal_error_set(CAL_EINVALID, "time %s is in the future",
				     cal_time_format(tbuf, at));
	rc = db_query_int64(st->db, &first, &found, "SELECT MIN(valid_from) FROM objects WHERE "
			    "env = ?", 1, (const char *const[]){ env });
	if (rc)
		return rc;
	if (!found)
		return cal_error_set(CAL_EINVALID, "environment '%s' has no inventory at %s (it "
				     "was never scanned)", env, cal_time_format(tbuf, at));
	if (at < first)
		return cal_error_set(CAL_EINVALID, "environment '%s' has no inventory at %s: its "
				     "history starts at %s", env, cal_time_format(tbuf, at),
				     cal_time_format(hbuf, first));
	rc = sn_policy_load(st, &pol, &pruned_before, env);
	if (rc || at >= pruned_before)
		return rc;
	{
		db_stmt *s;

		found = false;
		rc = db_prepare(st->db, &s, "SELECT 1 FROM snapshots WHERE env = ? AND ts = ?");
		if (rc)
			return rc;
		rc = db_bind_text(s, 1, env);
		if (rc == 0)
			rc = db_bind_int64(s, 2, at);
		if (rc == 0)
			rc = db_step(s);
		found = rc == DB_ROW;
		db_reset(s);
		if (rc < 0)
			return rc;
		rc = 0;
	}
	if (rc || found)
		return rc;
	return cal_error_set(CAL_EINVALID, "the history of environment '%s' before %s was pruned "
			     "by retention: %s can only be read at a kept snapshot's time "
			     "(`calipso snapshot list`)", env, cal_time_format(hbuf, pruned_before),
			     cal_time_format(tbuf, at));
}
