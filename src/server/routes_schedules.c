/* routes_schedules.c - /scheduled_scans and /scheduled_snapshots: work
 * repeated by the scheduler, with the original API's `freq` (HOURLY,
 * DAILY, WEEKLY, MONTHLY, YEARLY) or a 5-field `cron` expression in a
 * `timezone` (default UTC).  Scans take the options of POST /scans;
 * snapshots a name prefix (each run is named PREFIX-YYYYMMDD-HHMM, UTC),
 * a note, pinning, a clique, and whether to scan first.  Records show
 * their next and last runs.  Both share one table, told apart by `kind`.
 */
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>

enum { SS_ENV, SS_ID, SS_FREQ, SS_PAGE, SS_PAGE_SIZE };

static const struct srv_param ss_params[] = {
	[SS_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[SS_ID] = { "id", SRV_P_INT, 0, NULL, 1, INT64_MAX, "one scheduled scan" },
	[SS_FREQ] = { "freq", SRV_P_ENUM, 0, srv_freqs, 0, 0, "frequency" },
	[SS_PAGE] = SRV_PARAM_PAGE,
	[SS_PAGE_SIZE] = SRV_PARAM_PAGE_SIZE,
	SRV_PARAM_END,
};

/* What differs between the two kinds. */
struct ss_kind {
	const char *kind, *what, *list_key;
	const char *const *request_keys;
};

static const char *const ss_scan_keys[] = { "clear", "scan_only_inventory", "scan_only_links",
					    "scan_only_cliques", "object_id", "log_level", NULL };
static const char *const ss_snap_keys[] = { "name_prefix", "note", "pinned", "clique", "scan",
					    NULL };

static const struct ss_kind ss_scans = { "scan", "scheduled scan", "scheduled_scans",
					 ss_scan_keys };
static const struct ss_kind ss_snaps = { "snapshot", "scheduled snapshot",
					 "scheduled_snapshots", ss_snap_keys };

static const struct ss_kind *ss_kind_of(const struct srv_req *r)
{
	return strcmp(r->route->path, "/scheduled_snapshots") == 0 ? &ss_snaps : &ss_scans;
}

static void ss_get(struct srv_req *r)
{
	const struct ss_kind *k = ss_kind_of(r);
	const char *env = r->p[SS_ENV].s;
	struct cal_schedule_query q = { .env = env, .kind = k->kind };
	json_t *arr = NULL, *sc;
	size_t i;
	int rc;

	if (srv_require_env(r, env, false))
		return;
	if (r->p[SS_ID].set) {
		rc = cal_store_schedule_get(r->st, &sc, r->p[SS_ID].i);
		if (rc == 0 && (strcmp(cal_json_str(sc, "environment"), env) != 0 ||
				strcmp(cal_json_str(sc, "kind"), k->kind) != 0)) {
			json_decref(sc);
			rc = cal_error_set(CAL_ENOTFOUND, "%s %lld not found in environment '%s'",
					   k->what, (long long)r->p[SS_ID].i, env);
		}
		if (rc == CAL_ENOTFOUND && srv_check_env_exists(r, env))
			return;
		if (rc) {
			srv_reply_cal(r, rc);
			return;
		}
		srv_reply_json(r, 200, srv_schedule_view(sc));
		return;
	}
	q.freq = r->p[SS_FREQ].s;
	q.limit = srv_page_limit(r, SS_PAGE, &q.offset);
	rc = cal_store_schedule_list(r->st, &arr, &q);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	json_array_foreach(arr, i, sc)
		srv_schedule_view(sc);
	if (json_array_size(arr) == 0 && srv_check_env_exists(r, env)) {
		json_decref(arr);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:o}", k->list_key, arr));
}

static const struct srv_field ss_body[] = {
	{ "env_name", SRV_F_STR, true, NULL, "environment to scan" },
	{ "freq", SRV_F_ENUM, false, srv_freqs,
	  "HOURLY (on the hour), DAILY (midnight), WEEKLY (Sunday midnight), MONTHLY (the 1st), "
	  "YEARLY (January 1st)" },
	{ "cron", SRV_F_STR, false, NULL,
	  "5-field cron expression (minute hour day month weekday), instead of freq" },
	{ "timezone", SRV_F_STR, false, NULL, "time zone of the expression (default UTC)" },
	{ "enabled", SRV_F_BOOL, false, NULL, "default true" },
	{ "clear", SRV_F_BOOL, false, NULL, "as POST /scans" },
	{ "scan_only_inventory", SRV_F_BOOL, false, NULL, "as POST /scans" },
	{ "scan_only_links", SRV_F_BOOL, false, NULL, "as POST /scans" },
	{ "scan_only_cliques", SRV_F_BOOL, false, NULL, "as POST /scans" },
	{ "object_id", SRV_F_STR, false, NULL, "as POST /scans" },
	{ "log_level", SRV_F_ENUM, false, srv_log_levels, "as POST /scans" },
	{ "submit_timestamp", SRV_F_STR, false, NULL, "accepted for compatibility, ignored" },
	{ NULL, 0, false, NULL, NULL },
};

static const struct srv_field ss_snap_body[] = {
	{ "env_name", SRV_F_STR, true, NULL, "environment" },
	{ "freq", SRV_F_ENUM, false, srv_freqs, "as for scheduled scans" },
	{ "cron", SRV_F_STR, false, NULL, "5-field cron expression, instead of freq" },
	{ "timezone", SRV_F_STR, false, NULL, "time zone of the expression (default UTC)" },
	{ "enabled", SRV_F_BOOL, false, NULL, "default true" },
	{ "name_prefix", SRV_F_STR, false, NULL,
	  "snapshots are named PREFIX-YYYYMMDD-HHMM (UTC; default \"scheduled\")" },
	{ "note", SRV_F_STR, false, NULL, "the snapshots' note" },
	{ "pinned", SRV_F_BOOL, false, NULL, "pin them" },
	{ "clique", SRV_F_STR, false, NULL, "a focal point: snapshots of its clique" },
	{ "scan", SRV_F_BOOL, false, NULL, "scan first, then take the snapshot" },
	{ NULL, 0, false, NULL, NULL },
};

/* The stored form of a POST/PUT body: schedule fields and the request. */
static json_t *ss_record(struct srv_req *r, const char *env)
{
	const struct ss_kind *k = ss_kind_of(r);
	const char *const *req_keys = k->request_keys;
	json_t *rec, *req = json_object();
	const char *tz = cal_json_str_or_null(r->json, "timezone");
	json_t *enabled = json_object_get(r->json, "enabled");
	int rc;

	for (size_t i = 0; req_keys[i]; i++)
		if (json_object_get(r->json, req_keys[i]))
			json_object_set(req, req_keys[i], json_object_get(r->json, req_keys[i]));
	if (k == &ss_snaps) {
		char probe[160];

		/* The prefix must make valid snapshot names. */
		snprintf(probe, sizeof(probe), "%s-20300101-0000",
			 json_object_get(req, "name_prefix") ? cal_json_str(req, "name_prefix")
							    : "scheduled");
		rc = cal_store_snapshot_name_check(probe);
		if (rc) {
			json_decref(req);
			srv_reply_cal(r, rc);
			return NULL;
		}
	}
	rec = json_pack("{s:s, s:s, s:o, s:b}", "environment", env, "kind", k->kind, "request", req,
			"enabled", !enabled || json_is_true(enabled));
	if (!rec) {
		srv_reply_error(r, 500, "out of memory");
		return NULL;
	}
	if (json_object_get(r->json, "freq"))
		json_object_set(rec, "freq", json_object_get(r->json, "freq"));
	if (json_object_get(r->json, "cron"))
		json_object_set(rec, "cron", json_object_get(r->json, "cron"));
	if (tz)
		json_object_set_new(rec, "timezone", json_string(tz));
	rc = srv_schedule_prepare(rec, srv_now(r->srv));
	if (rc) {
		srv_reply_cal(r, rc);
		json_decref(rec);
		return NULL;
	}
	return rec;
}

static void ss_post(struct srv_req *r)
{
	const char *env = cal_json_str(r->json, "env_name");
	json_t *rec, *sc = NULL;
	int64_t id = 0;
	int rc;

	if (srv_require_env(r, env, true))
		return;
	if (ss_kind_of(r) == &ss_scans ? srv_scan_request_check(r, r->json, env)
				       : srv_check_env_exists(r, env))
		return;
	rec = ss_record(r, env);
	if (!rec)
		return;
	rc = cal_store_schedule_create(r->st, &id, rec);
	json_decref(rec);
	if (rc == 0)
		rc = cal_store_schedule_get(r->st, &sc, id);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_sched_kick(r->srv->sched);
	srv_reply_json(r, 201, json_pack("{s:s, s:I, s:o}", "message",
					 ss_kind_of(r) == &ss_scans ? "created a new scheduled scan"
								    : "created a new scheduled snapshot",
					 "id", (json_int_t)id,
					 ss_kind_of(r) == &ss_scans ? "scheduled_scan" : "scheduled_snapshot",
					 srv_schedule_view(sc)));
}

enum { SSI_ENV, SSI_ID };

static const struct srv_param ss_id_params[] = {
	[SSI_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[SSI_ID] = { "id", SRV_P_INT, SRV_P_REQUIRED, NULL, 1, INT64_MAX, "the scheduled scan" },
	SRV_PARAM_END,
};

/* The schedule of the query, checked to belong to its environment. */
static int ss_find(struct srv_req *r, json_t **out)
{
	const char *env = r->p[SSI_ENV].s;
	int rc = cal_store_schedule_get(r->st, out, r->p[SSI_ID].i);

	if (rc == 0 && (strcmp(cal_json_str(*out, "environment"), env) != 0 ||
			strcmp(cal_json_str(*out, "kind"), ss_kind_of(r)->kind) != 0)) {
		json_decref(*out);
		*out = NULL;
		rc = cal_error_set(CAL_ENOTFOUND, "%s %lld not found in environment '%s'",
				   ss_kind_of(r)->what, (long long)r->p[SSI_ID].i, env);
	}
	return rc;
}

static void ss_put(struct srv_req *r)
{
	const char *env = r->p[SSI_ENV].s;
	json_t *old = NULL, *rec, *sc = NULL;
	int rc;

	if (srv_require_env(r, env, true))
		return;
	if (strcmp(cal_json_str(r->json, "env_name"), env) != 0) {
		srv_reply_error(r, 400, "the body's env_name must be the query's ('%s')", env);
		return;
	}
	rc = ss_find(r, &old);
	json_decref(old);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	if (ss_kind_of(r) == &ss_scans && srv_scan_request_check(r, r->json, env))
		return;
	rec = ss_record(r, env);
	if (!rec)
		return;
	rc = cal_store_schedule_update(r->st, r->p[SSI_ID].i, rec);
	json_decref(rec);
	if (rc == 0)
		rc = cal_store_schedule_get(r->st, &sc, r->p[SSI_ID].i);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_sched_kick(r->srv->sched);
	srv_reply_json(r, 200, srv_schedule_view(sc));
}

static void ss_delete(struct srv_req *r)
{
	json_t *old = NULL;
	int rc;

	if (srv_require_env(r, r->p[SSI_ENV].s, true))
		return;
	rc = ss_find(r, &old);
	json_decref(old);
	if (rc == 0)
		rc = cal_store_schedule_remove(r->st, r->p[SSI_ID].i);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:s, s:s}", "message", "removed", "kind",
					 ss_kind_of(r)->kind));
}

const struct srv_route srv_routes_schedules[] = {
	{ "/scheduled_scans", SRV_GET, ss_get, SRV_USER, ss_params, NULL,
	  "scheduled scans of an environment, with their next runs", "scans" },
	{ "/scheduled_scans", SRV_POST, ss_post, SRV_USER, NULL, ss_body,
	  "schedule a scan (freq or cron, in a time zone)", "scans" },
	{ "/scheduled_scans", SRV_PUT, ss_put, SRV_USER, ss_id_params, ss_body,
	  "change a scheduled scan", "scans" },
	{ "/scheduled_scans", SRV_DELETE, ss_delete, SRV_USER, ss_id_params, NULL,
	  "remove a scheduled scan", "scans" },
	{ "/scheduled_snapshots", SRV_GET, ss_get, SRV_USER, ss_params, NULL,
	  "scheduled snapshots of an environment, with their next runs", "snapshots" },
	{ "/scheduled_snapshots", SRV_POST, ss_post, SRV_USER, NULL, ss_snap_body,
	  "take snapshots on a schedule (freq or cron, in a time zone)", "snapshots" },
	{ "/scheduled_snapshots", SRV_PUT, ss_put, SRV_USER, ss_id_params, ss_snap_body,
	  "change a scheduled snapshot", "snapshots" },
	{ "/scheduled_snapshots", SRV_DELETE, ss_delete, SRV_USER, ss_id_params, NULL,
	  "remove a scheduled snapshot", "snapshots" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
