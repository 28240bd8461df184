/* routes_snapshots.c - /snapshots (named points in time of an environment,
 * docs/snapshots.md): list and read them, take one now or after a fresh
 * scan (queued: the queue takes the snapshot when the scan ends), pin and
 * unpin, remove; and /diff, comparing any two of live, a snapshot, a time
 * and a design, field by field, with clique changes.  Taking a snapshot and
 * computing a diff run on defer workers, off the HTTP threads.
 */
#include "server/server_int.h"

#include "analyze/analyze.h"

#include <stdlib.h>
#include <string.h>

enum { SN_ENV, SN_NAME, SN_PAGE, SN_PAGE_SIZE };

static const struct srv_param sn_params[] = {
	[SN_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[SN_NAME] = { "name", SRV_P_STR, 0, NULL, 0, 0, "one snapshot" },
	[SN_PAGE] = SRV_PARAM_PAGE,
	[SN_PAGE_SIZE] = SRV_PARAM_PAGE_SIZE,
	SRV_PARAM_END,
};

static void sn_get(struct srv_req *r)
{
	const char *env = r->p[SN_ENV].s;
	json_t *arr = NULL, *page, *s;
	int offset, limit, rc;
	size_t i;

	if (srv_require_env(r, env, false) || srv_check_env_exists(r, env))
		return;
	if (r->p[SN_NAME].set) {
		rc = cal_store_snapshot_get(r->st, &s, env, r->p[SN_NAME].s);
		if (rc) {
			srv_reply_cal(r, rc);
			return;
		}
		srv_reply_json(r, 200, s);
		return;
	}
	limit = srv_page_limit(r, SN_PAGE, &offset);
	rc = cal_store_snapshot_list(r->st, &arr, env);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	page = json_array();
	json_array_foreach(arr, i, s)
		if ((int)i >= offset && (int)json_array_size(page) < limit)
			json_array_append(page, s);
	json_decref(arr);
	srv_reply_json(r, 200, json_pack("{s:o}", "snapshots", page));
}

static const struct srv_field sn_body[] = {
	{ "env_name", SRV_F_STR, true, NULL, "environment" },
	{ "name", SRV_F_STR, true, NULL, "letters, digits, '.', '_', '-'" },
	{ "note", SRV_F_STR, false, NULL, "a note" },
	{ "clique", SRV_F_STR, false, NULL, "a focal point: a snapshot of its clique" },
	{ "pinned", SRV_F_BOOL, false, NULL, "kept whatever the retention policy" },
	{ "scan", SRV_F_BOOL, false, NULL, "after a fresh scan (queued; answered 202)" },
	{ NULL, 0, false, NULL, NULL },
};

/* On a defer worker: a snapshot counts and records what it keeps. */
static void sn_take(struct srv_req *r)
{
	struct cal_snapshot_opts o = { 0 };
	json_t *snap = NULL;
	int rc;

	o.name = cal_json_str(r->json, "name");
	o.note = cal_json_str_or_null(r->json, "note");
	o.clique = cal_json_str_or_null(r->json, "clique");
	o.pinned = json_is_true(json_object_get(r->json, "pinned"));
	rc = cal_snapshot_create(r->st, &snap, cal_json_str(r->json, "env_name"), &o);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 201, snap);
}

static void sn_post(struct srv_req *r)
{
	const char *env = cal_json_str(r->json, "env_name");
	int rc;

	if (srv_require_env(r, env, true) || srv_check_env_exists(r, env))
		return;
	rc = cal_store_snapshot_name_check(cal_json_str(r->json, "name"));
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	if (json_is_true(json_object_get(r->json, "scan"))) {
		json_t *spec = json_deep_copy(r->json), *req, *scan = NULL;
		int64_t id = 0;

		/* The snapshot's own fields, without the request's. */
		json_object_del(spec, "scan");
		json_object_del(spec, "env_name");
		req = json_pack("{s:o}", "snapshot", spec);
		rc = req ? srv_scan_enqueue(r->srv, r->st, &id, env, req)
			 : cal_error_set(CAL_ENOMEM, "out of memory");
		json_decref(req);
		if (rc == 0)
			rc = cal_store_scan_get(r->st, &scan, id);
		if (rc) {
			srv_reply_cal(r, rc);
			return;
		}
		srv_reply_json(r, 202, json_pack("{s:s, s:I, s:o}", "message",
						 "a scan was queued: the snapshot is taken when it "
						 "ends", "scan_id", (json_int_t)id, "scan",
						 srv_scan_view(r->srv, scan)));
		return;
	}
	srv_defer(r, sn_take);
}

enum { SNI_ENV, SNI_NAME };

static const struct srv_param sn_name_params[] = {
	[SNI_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[SNI_NAME] = { "name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "the snapshot" },
	SRV_PARAM_END,
};

static const struct srv_field sn_patch_body[] = {
	{ "pinned", SRV_F_BOOL, true, NULL, "pin or unpin" },
	{ NULL, 0, false, NULL, NULL },
};

static void sn_patch(struct srv_req *r)
{
	const char *env = r->p[SNI_ENV].s, *name = r->p[SNI_NAME].s;
	json_t *s = NULL;
	int rc;

	if (srv_require_env(r, env, true))
		return;
	rc = cal_store_snapshot_pin(r->st, env, name, json_is_true(json_object_get(r->json,
										   "pinned")));
	if (rc == 0)
		rc = cal_store_snapshot_get(r->st, &s, env, name);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, s);
}

static void sn_delete(struct srv_req *r)
{
	int rc;

	if (srv_require_env(r, r->p[SNI_ENV].s, true))
		return;
	rc = cal_store_snapshot_remove(r->st, r->p[SNI_ENV].s, r->p[SNI_NAME].s);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:s}", "message", "snapshot removed"));
}

/* ------------------------------------------------------------------ */
/* Diff                                                                */
/* ------------------------------------------------------------------ */

enum { DF_ENV, DF_A, DF_B, DF_SCOPE, DF_NO_CLIQUES };

static const struct srv_param df_params[] = {
	[DF_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[DF_A] = { "a", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0,
		   "live, a snapshot name, a time, or design:NAME" },
	[DF_B] = { "b", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "the same, compared with a" },
	[DF_SCOPE] = { "scope", SRV_P_STR, 0, NULL, 0, 0, "env, host:H, project:P, clique:ID" },
	[DF_NO_CLIQUES] = { "no_cliques", SRV_P_BOOL, 0, NULL, 0, 0,
			    "leave clique membership and health out" },
	SRV_PARAM_END,
};

/* On a defer worker: a diff between distant times reads many revisions. */
static void df_compute(struct srv_req *r)
{
	struct cal_diff_opts o = { .scope = r->p[DF_SCOPE].s, .no_cliques = r->p[DF_NO_CLIQUES].b };
	json_t *diff = NULL;
	int rc;

	rc = cal_diff(r->st, &diff, r->p[DF_ENV].s, r->p[DF_A].s, r->p[DF_B].s, &o);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, diff);
}

static void df_get(struct srv_req *r)
{
	const char *env = r->p[DF_ENV].s;

	if (srv_require_env(r, env, false) || srv_check_env_exists(r, env))
		return;
	srv_defer(r, df_compute);
}

const struct srv_route srv_routes_snapshots[] = {
	{ "/snapshots", SRV_GET, sn_get, SRV_USER, sn_params, NULL,
	  "snapshots of an environment, oldest first, or one", "snapshots" },
	{ "/snapshots", SRV_POST, sn_post, SRV_USER, NULL, sn_body,
	  "take a snapshot now, or after a fresh scan", "snapshots" },
	{ "/snapshots", SRV_PATCH, sn_patch, SRV_USER, sn_name_params, sn_patch_body,
	  "pin or unpin a snapshot", "snapshots" },
	{ "/snapshots", SRV_DELETE, sn_delete, SRV_USER, sn_name_params, NULL,
	  "remove a snapshot", "snapshots" },
	{ "/diff", SRV_GET, df_get, SRV_USER, df_params, NULL,
	  "compare live, snapshots, times and designs", "snapshots" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
