/* routes_analyze.c - /search (objects whose name, id, MAC, IP, CIDR or any
 * value matches, best first) and /impact (the cliques holding an object,
 * grouped by project, host, network and switch; with what_if=down, the
 * instances and services that lose their path), through src/analyze.
 */
#include "server/server_int.h"

#include "analyze/analyze.h"

#include <string.h>

enum { SE_ENV, SE_TEXT, SE_TYPE, SE_PAGE_SIZE };

static const struct srv_param se_params[] = {
	[SE_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[SE_TEXT] = { "text", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0,
		      "what to look for (case-insensitive)" },
	[SE_TYPE] = { "type", SRV_P_ENUM, 0, srv_object_types, 0, 0, "only this object type" },
	[SE_PAGE_SIZE] = { "page_size", SRV_P_INT, 0, NULL, 1, 1000, "hits (default 50)" },
	SRV_PARAM_END,
};

static void se_get(struct srv_req *r)
{
	const char *env = r->p[SE_ENV].s;
	struct cal_search_opts o = { .type = r->p[SE_TYPE].s };
	json_t *hits = NULL;
	int rc;

	if (srv_require_env(r, env, false) || srv_check_env_exists(r, env))
		return;
	o.limit = r->p[SE_PAGE_SIZE].set ? (int)r->p[SE_PAGE_SIZE].i : 50;
	rc = cal_search(r->st, &hits, env, r->p[SE_TEXT].s, &o);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:o}", "results", hits));
}

enum { IM_ENV, IM_ID, IM_WHAT_IF, IM_PROJECT, IM_AT };

static const char *const im_what_if[] = { "down", NULL };

static const struct srv_param im_params[] = {
	[IM_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[IM_ID] = { "id", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "the object" },
	[IM_WHAT_IF] = { "what_if", SRV_P_ENUM, 0, im_what_if, 0, 0,
			 "down: which focal points lose their path without it" },
	[IM_PROJECT] = { "project", SRV_P_STR, 0, NULL, 0, 0, "only this project's focal points" },
	[IM_AT] = { "at", SRV_P_TIME, 0, NULL, 0, 0, "as it was at this time" },
	SRV_PARAM_END,
};

static void im_get(struct srv_req *r)
{
	const char *env = r->p[IM_ENV].s;
	struct cal_impact_opts o = { .project = r->p[IM_PROJECT].s };
	json_t *doc = NULL;
	int rc;

	if (srv_require_env(r, env, false) || srv_check_env_exists(r, env))
		return;
	o.what_if_down = r->p[IM_WHAT_IF].set;
	o.at = r->p[IM_AT].set ? r->p[IM_AT].i : 0;
	rc = cal_impact(r->st, &doc, env, r->p[IM_ID].s, &o);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, doc);
}

const struct srv_route srv_routes_analyze[] = {
	{ "/search", SRV_GET, se_get, SRV_USER, se_params, NULL,
	  "objects matching a text (name, id, MAC, IP, CIDR, any value), best first", "analyze" },
	{ "/impact", SRV_GET, im_get, SRV_USER, im_params, NULL,
	  "what an object affects: its cliques grouped by project, host, network, switch",
	  "analyze" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
