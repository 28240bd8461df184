/* routes_conntests.c - /connection_tests: POST tries every configured
 * target of an environment now (namespaces, OVSDB, libvirt; conntest.c)
 * on a worker thread, records the result and answers with it; GET reads
 * past tests.
 */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CTS_ENV, CTS_ID, CTS_STATUS, CTS_PAGE, CTS_PAGE_SIZE };

static const char *const cts_statuses[] = { "pending", "completed", "failed", NULL };
static const char *const cts_targets[] = { "netns", "ovsdb", "libvirt", NULL };

static const struct srv_param cts_params[] = {
	[CTS_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[CTS_ID] = { "id", SRV_P_INT, 0, NULL, 1, INT64_MAX, "one test" },
	[CTS_STATUS] = { "status", SRV_P_ENUM, 0, cts_statuses, 0, 0, "status" },
	[CTS_PAGE] = SRV_PARAM_PAGE,
	[CTS_PAGE_SIZE] = SRV_PARAM_PAGE_SIZE,
	SRV_PARAM_END,
};

static void cts_get(struct srv_req *r)
{
	const char *env = r->p[CTS_ENV].s;
	json_t *arr = NULL;
	int64_t id = r->p[CTS_ID].set ? r->p[CTS_ID].i : 0;
	char one[48];
	int offset, limit, rc;

	if (srv_require_env(r, env, false))
		return;
	limit = srv_page_limit(r, CTS_PAGE, &offset);
	rc = cal_store_conntests(r->st, &arr, env, id, r->p[CTS_STATUS].s, limit, offset);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	snprintf(one, sizeof(one), "connection test %lld", (long long)id);
	srv_reply_rows(r, arr, env, id ? one : NULL, "connection_tests");
}

static const struct srv_field cts_body[] = {
	{ "env_name", SRV_F_STR, true, NULL, "environment whose targets are tried" },
	{ "test_targets", SRV_F_STRARRAY, false, cts_targets,
	  "netns, ovsdb, libvirt (default: all)" },
	{ "hosts", SRV_F_STRARRAY, false, NULL, "only these hosts and switches (default: all)" },
	{ NULL, 0, false, NULL, NULL },
};

/* On a defer worker. */
static void cts_run(struct srv_req *r)
{
	const char *env = cal_json_str(r->json, "env_name");
	json_t *cfg = NULL, *req, *result = NULL, *out = NULL;
	int64_t id = 0;
	int rc;

	rc = cal_store_env_get(r->st, &cfg, env);
	if (rc == CAL_ENOTFOUND) {
		srv_check_env_exists(r, env);
		return;
	}
	req = json_pack("{s:O, s:O}", "test_targets",
			json_object_get(r->json, "test_targets") ? json_object_get(r->json, "test_targets")
								 : json_null(),
			"hosts", json_object_get(r->json, "hosts") ? json_object_get(r->json, "hosts")
								   : json_null());
	if (rc == 0)
		rc = cal_store_conntest_create(r->st, &id, env, req);
	if (rc == 0) {
		rc = srv_conntest_run(&result, cfg, json_object_get(r->json, "test_targets"),
				      json_object_get(r->json, "hosts"));
		if (rc == 0)
			rc = cal_store_conntest_finish(r->st, id, "completed", result);
	}
	if (rc == 0)
		rc = cal_store_conntests(r->st, &out, env, id, NULL, 1, 0);
	json_decref(cfg);
	json_decref(req);
	json_decref(result);
	if (rc) {
		json_decref(out);
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 201, json_incref(json_array_get(out, 0)));
	json_decref(out);
}

static void cts_post(struct srv_req *r)
{
	if (srv_require_env(r, cal_json_str(r->json, "env_name"), true))
		return;
	srv_defer(r, cts_run);
}

const struct srv_route srv_routes_conntests[] = {
	{ "/connection_tests", SRV_GET, cts_get, SRV_USER, cts_params, NULL,
	  "past connection tests of an environment", "environments" },
	{ "/connection_tests", SRV_POST, cts_post, SRV_USER, NULL, cts_body,
	  "try each configured target of an environment now and record the result",
	  "environments" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
