/* routes_scans.c - /scans: the scan records of an environment (with the
 * progress of a running one), POST to queue a scan (the original API's
 * fields), DELETE to abort one that has not started.
 */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SCN_ENV, SCN_ID, SCN_BASE, SCN_STATUS, SCN_PAGE, SCN_PAGE_SIZE };

static const struct srv_param scn_params[] = {
	[SCN_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[SCN_ID] = { "id", SRV_P_INT, 0, NULL, 1, INT64_MAX, "one scan" },
	[SCN_BASE] = { "base_object", SRV_P_STR, 0, NULL, 0, 0, "scans of this object_id" },
	[SCN_STATUS] = { "status", SRV_P_ENUM, 0, srv_scan_statuses, 0, 0, "status" },
	[SCN_PAGE] = SRV_PARAM_PAGE,
	[SCN_PAGE_SIZE] = SRV_PARAM_PAGE_SIZE,
	SRV_PARAM_END,
};

static void scn_get(struct srv_req *r)
{
	const char *env = r->p[SCN_ENV].s;
	struct cal_scan_query q = { .env = env };
	json_t *arr = NULL, *scan;
	char one[40];
	size_t i;
	int rc;

	if (srv_require_env(r, env, false))
		return;
	q.id = r->p[SCN_ID].set ? r->p[SCN_ID].i : 0;
	q.status = r->p[SCN_STATUS].s;
	q.base_object = r->p[SCN_BASE].s;
	q.limit = srv_page_limit(r, SCN_PAGE, &q.offset);
	rc = cal_store_scans_find(r->st, &arr, &q);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	json_array_foreach(arr, i, scan)
		srv_scan_view(r->srv, scan);
	snprintf(one, sizeof(one), "scan %lld", (long long)q.id);
	srv_reply_rows(r, arr, env, q.id ? one : NULL, "scans");
}

static const struct srv_field scn_body[] = {
	{ "env_name", SRV_F_STR, true, NULL, "environment to scan" },
	{ "object_id", SRV_F_STR, false, NULL, "scan from this object down (recorded; the "
					       "environment's sources are read whole)" },
	{ "clear", SRV_F_BOOL, false, NULL, "do not keep the last good data of failed sources" },
	{ "scan_only_inventory", SRV_F_BOOL, false, NULL, "objects only" },
	{ "scan_only_links", SRV_F_BOOL, false, NULL,
	  "recompute links from the stored objects, discover nothing" },
	{ "scan_only_cliques", SRV_F_BOOL, false, NULL, "recompute cliques only" },
	{ "log_level", SRV_F_ENUM, false, srv_log_levels, "log level (recorded)" },
	{ NULL, 0, false, NULL, NULL },
};

/* The checks POST /scans and scheduled scans share: one scan_only_* at
 * most, a known environment, an existing object_id. */
int srv_scan_request_check(struct srv_req *r, const json_t *req, const char *env)
{
	static const char *const only[] = { "scan_only_inventory", "scan_only_links",
					    "scan_only_cliques" };
	const char *object = cal_json_str_or_null(req, "object_id");
	int n = 0;

	for (size_t i = 0; i < 3; i++)
		n += json_is_true(json_object_get(req, only[i]));
	if (n > 1)
		return srv_reply_error(r, 400, "at most one of scan_only_inventory, "
				       "scan_only_links and scan_only_cliques can be true");
	if (srv_check_env_exists(r, env))
		return -1;
	if (object) {
		json_t *obj = NULL;
		int rc = cal_store_object_get(r->st, &obj, env, object, 0);

		json_decref(obj);
		if (rc == CAL_ENOTFOUND) {
			char *e = cal_str_escape(object);

			srv_reply_error(r, 400, "object_id '%s' is not an object of environment '%s'",
					e ? e : "?", env);
			free(e);
			return -1;
		}
		if (rc)
			return srv_reply_cal(r, rc);
	}
	return 0;
}

static void scn_post(struct srv_req *r)
{
	const char *env = cal_json_str(r->json, "env_name");
	json_t *scan = NULL;
	int64_t id;
	int rc;

	if (srv_require_env(r, env, true) || srv_scan_request_check(r, r->json, env))
		return;
	rc = srv_scan_enqueue(r->srv, r->st, &id, env, r->json);
	if (rc == 0)
		rc = cal_store_scan_get(r->st, &scan, id);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_message(r->st, env, "info", "scan", id, "scan %lld queued by %s", (long long)id,
		    r->user.name);
	srv_reply_json(r, 201, json_pack("{s:s, s:I, s:o}", "message",
					 "created a new scan", "id", (json_int_t)id, "scan",
					 srv_scan_view(r->srv, scan)));
}

enum { SCD_ENV, SCD_ID };

static const struct srv_param scn_delete_params[] = {
	[SCD_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[SCD_ID] = { "id", SRV_P_INT, SRV_P_REQUIRED, NULL, 1, INT64_MAX, "the scan" },
	SRV_PARAM_END,
};

static void scn_delete(struct srv_req *r)
{
	const char *env = r->p[SCD_ENV].s;
	json_t *scan = NULL;
	int rc;

	if (srv_require_env(r, env, true))
		return;
	rc = cal_store_scan_get(r->st, &scan, r->p[SCD_ID].i);
	if (rc == 0 && strcmp(cal_json_str(scan, "environment"), env) != 0)
		rc = cal_error_set(CAL_ENOTFOUND, "scan %lld not found in environment '%s'",
				   (long long)r->p[SCD_ID].i, env);
	if (rc == 0 && strcmp(cal_json_str(scan, "status"), "pending") != 0)
		rc = cal_error_set(CAL_EEXISTS, "scan %lld is %s: only a pending scan can be "
				   "aborted", (long long)r->p[SCD_ID].i,
				   cal_json_str(scan, "status"));
	json_decref(scan);
	if (rc == 0) {
		json_t *why = json_pack("{s:s}", "error", "aborted before it ran");

		rc = cal_store_scan_update(r->st, r->p[SCD_ID].i, CAL_SCAN_ABORTED, why);
		json_decref(why);
	}
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:s}", "message", "scan aborted"));
}

const struct srv_route srv_routes_scans[] = {
	{ "/scans", SRV_GET, scn_get, SRV_USER, scn_params, NULL,
	  "scans of an environment; a running one shows its progress", "scans" },
	{ "/scans", SRV_POST, scn_post, SRV_USER, NULL, scn_body, "queue a scan", "scans" },
	{ "/scans", SRV_DELETE, scn_delete, SRV_USER, scn_delete_params, NULL,
	  "abort a scan that has not started", "scans" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
