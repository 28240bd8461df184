/* routes_schedules.c - /scheduled_scans: scans repeated by the scheduler,
 * with the original API's `freq` (HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY)
 * or a 5-field `cron` expression in a `timezone` (default UTC), and the
 * scan options of POST /scans.  Records show their next and last runs.
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

static void ss_get(struct srv_req *r)
{
	const char *env = r->p[SS_ENV].s;
	struct cal_schedule_query q = { .env = env, .kind = "scan" };
	json_t *arr = NULL, *sc;
	size_t i;
	int rc;

	if (srv_require_env(r, env, false))
		return;
	if (r->p[SS_ID].set) {
		rc = cal_store_schedule_get(r->st, &sc, r->p[SS_ID].i);
		if (rc == 0 && (strcmp(cal_json_str(sc, "environment"), env) != 0 ||
				strcmp(cal_json_str(sc, "kind"), "scan") != 0)) {
			json_decref(sc);
			rc = cal_error_set(CAL_ENOTFOUND, "scheduled scan %lld not found in "
					   "environment '%s'", (long long)r->p[SS_ID].i, env);
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
	srv_reply_json(r, 200, json_pack("{s:o}", "scheduled_scans", arr));
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

/* The stored form of a POST/PUT body: schedule fields and the request. */
static json_t *ss_record(struct srv_req *r, const char *env)
{
	static const char *const req_keys[] = { "clear", "scan_only_inventory", "scan_only_links",
						"scan_only_cliques", "object_id", "log_level" };
	json_t *rec, *req = json_object();
	const char *tz = cal_json_str_or_null(r->json, "timezone");
	json_t *enabled = json_object_get(r->json, "enabled");
	int rc;

	for (size_t i = 0; i < sizeof(req_keys) / sizeof(req_keys[0]); i++)
		if (json_object_get(r->json, req_keys[i]))
			json_object_set(req, req_keys[i], json_object_get(r->json, req_keys[i]));
	rec = json_pack("{s:s, s:s, s:o, s:b}", "environment", env, "kind", "scan", "request", req,
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

	if (srv_require_env(r, env, true) || srv_scan_request_check(r, r->json, env))
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
					 "created a new scheduled scan", "id", (json_int_t)id,
					 "scheduled_scan", srv_schedule_view(sc)));
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
			strcmp(cal_json_str(*out, "kind"), "scan") != 0)) {
		json_decref(*out);
		*out = NULL;
		rc = cal_error_set(CAL_ENOTFOUND, "scheduled scan %lld not found in environment "
				   "'%s'", (long long)r->p[SSI_ID].i, env);
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
	if (srv_scan_request_check(r, r->json, env))
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
	srv_reply_json(r, 200, json_pack("{s:s}", "message", "scheduled scan removed"));
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
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
