/* routes_designs.c - /designs (expected states of an environment,
 * docs/snapshots.md "Designs") and /reports (diff, impact, health and
 * inventory reports in HTML, JSON or CSV, generated now and kept, or read
 * back; a report's content is answered with its own content type).  Exports
 * and reports (Graphviz layouts) run on defer workers.
 */
#include "server/server_int.h"

#include "analyze/analyze.h"
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

enum { DS_ENV, DS_NAME };

static const struct srv_param ds_params[] = {
	[DS_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[DS_NAME] = { "name", SRV_P_STR, 0, NULL, 0, 0, "one design, with its document" },
	SRV_PARAM_END,
};

static void ds_get(struct srv_req *r)
{
	const char *env = r->p[DS_ENV].s;
	json_t *out = NULL;
	int rc;

	if (srv_require_env(r, env, false) || srv_check_env_exists(r, env))
		return;
	if (r->p[DS_NAME].set)
		rc = cal_store_design_get(r->st, &out, env, r->p[DS_NAME].s);
	else
		rc = cal_store_design_list(r->st, &out, env);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, r->p[DS_NAME].set ? out : json_pack("{s:o}", "designs", out));
}

static const struct srv_field ds_body[] = {
	{ "env_name", SRV_F_STR, true, NULL, "environment" },
	{ "name", SRV_F_STR, true, NULL, "the design's name" },
	{ "from", SRV_F_STR, false, NULL, "made from a snapshot name, live or a time" },
	{ "text", SRV_F_STR, false, NULL, "a design document, YAML or JSON text" },
	{ "replace", SRV_F_BOOL, false, NULL, "replace a design of that name" },
	{ NULL, 0, false, NULL, NULL },
};

/* On a defer worker: an export reads the whole environment. */
static void ds_make(struct srv_req *r)
{
	const char *env = cal_json_str(r->json, "env_name"), *name = cal_json_str(r->json, "name");
	const char *from = cal_json_str_or_null(r->json, "from");
	const char *text = cal_json_str_or_null(r->json, "text");
	bool replace = json_is_true(json_object_get(r->json, "replace"));
	json_t *out = NULL;
	int rc;

	rc = from ? cal_design_set(r->st, &out, env, name, from, replace)
		  : cal_design_import(r->st, &out, env, name, text, strlen(text), "request body",
				      replace);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	json_object_del(out, "doc");
	srv_reply_json(r, 201, out);
}

static void ds_post(struct srv_req *r)
{
	const char *env = cal_json_str(r->json, "env_name");

	if (srv_require_env(r, env, true) || srv_check_env_exists(r, env))
		return;
	if (!json_object_get(r->json, "from") == !json_object_get(r->json, "text")) {
		srv_reply_error(r, 400, "give either 'from' (a snapshot, live or a time) or 'text' "
				"(a design document)");
		return;
	}
	srv_defer(r, ds_make);
}

static const struct srv_param ds_name_params[] = {
	[DS_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[DS_NAME] = { "name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "the design" },
	SRV_PARAM_END,
};

static void ds_delete(struct srv_req *r)
{
	int rc;

	if (srv_require_env(r, r->p[DS_ENV].s, true))
		return;
	rc = cal_store_design_remove(r->st, r->p[DS_ENV].s, r->p[DS_NAME].s);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:s}", "message", "design removed"));
}

/* ------------------------------------------------------------------ */
/* Reports                                                             */
/* ------------------------------------------------------------------ */

static const char *const rp_kinds[] = { "diff", "impact", "health", "inventory", NULL };
static const char *const rp_formats[] = { "html", "json", "csv", NULL };

static const char *rp_ctype(const char *format)
{
	if (strcmp(format, "html") == 0)
		return "text/html; charset=utf-8";
	if (strcmp(format, "csv") == 0)
		return "text/csv; charset=utf-8";
	return "application/json";
}

enum { RP_ENV, RP_ID, RP_KIND, RP_FORMAT, RP_A, RP_B, RP_SCOPE, RP_OBJECT, RP_WHAT_IF,
       RP_PROJECT, RP_AT };

static const char *const rp_what_if[] = { "down", NULL };

static const struct srv_param rp_params[] = {
	[RP_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[RP_ID] = { "id", SRV_P_INT, 0, NULL, 1, INT64_MAX, "a kept report: its content" },
	[RP_KIND] = { "kind", SRV_P_ENUM, 0, rp_kinds, 0, 0,
		      "a report made now (not kept): its content" },
	[RP_FORMAT] = { "format", SRV_P_ENUM, 0, rp_formats, 0, 0, "html (default), json, csv" },
	[RP_A] = { "a", SRV_P_STR, 0, NULL, 0, 0, "diff: the first reference" },
	[RP_B] = { "b", SRV_P_STR, 0, NULL, 0, 0, "diff: the second reference" },
	[RP_SCOPE] = { "scope", SRV_P_STR, 0, NULL, 0, 0, "diff: the scope" },
	[RP_OBJECT] = { "object_id", SRV_P_STR, 0, NULL, 0, 0, "impact: the object" },
	[RP_WHAT_IF] = { "what_if", SRV_P_ENUM, 0, rp_what_if, 0, 0, "impact: down" },
	[RP_PROJECT] = { "project", SRV_P_STR, 0, NULL, 0, 0, "impact: one project" },
	[RP_AT] = { "at", SRV_P_STR, 0, NULL, 0, 0, "live, a snapshot name or a time" },
	SRV_PARAM_END,
};

/* Answers a report's content with its content type. */
static void rp_content(struct srv_req *r, const char *format, const char *content, size_t len)
{
	char *body = malloc(len + 1);

	if (!body) {
		srv_reply_error(r, 500, "out of memory");
		return;
	}
	memcpy(body, content, len);
	body[len] = '\0';
	srv_reply_raw(r, 200, rp_ctype(format), body, len);
}

/* On a defer worker: a report made now, not kept. */
static void rp_now(struct srv_req *r)
{
	struct cal_report_request q = { .kind = r->p[RP_KIND].s, .no_keep = true };
	const char *format = r->p[RP_FORMAT].set ? r->p[RP_FORMAT].s : "html";
	json_t *out = NULL;
	int rc;

	q.format = (enum cal_report_format)cal_report_format_from_name(format);
	q.a = r->p[RP_A].s;
	q.b = r->p[RP_B].s;
	q.scope = r->p[RP_SCOPE].s;
	q.object = r->p[RP_OBJECT].s;
	q.what_if_down = r->p[RP_WHAT_IF].set;
	q.project = r->p[RP_PROJECT].s;
	q.at = r->p[RP_AT].s;
	rc = cal_report_generate(r->st, &out, r->p[RP_ENV].s, &q);
	if (rc == 0)
		rp_content(r, format, cal_json_str(out, "content"),
			   strlen(cal_json_str(out, "content")));
	else
		srv_reply_cal(r, rc);
	json_decref(out);
}

static void rp_get(struct srv_req *r)
{
	const char *env = r->p[RP_ENV].s;
	json_t *out = NULL;
	int rc;

	if (srv_require_env(r, env, false) || srv_check_env_exists(r, env))
		return;
	if (r->p[RP_ID].set) {
		char *content = NULL;
		size_t len = 0;

		rc = cal_store_report_get(r->st, &out, &content, &len, r->p[RP_ID].i);
		if (rc == 0 && strcmp(cal_json_str(out, "environment"), env) != 0)
			rc = cal_error_set(CAL_ENOTFOUND, "report %lld not found in environment "
					   "'%s'", (long long)r->p[RP_ID].i, env);
		if (rc == 0)
			rp_content(r, cal_json_str(out, "format"), content, len);
		else
			srv_reply_cal(r, rc);
		free(content);
		json_decref(out);
		return;
	}
	if (r->p[RP_KIND].set) {
		srv_defer(r, rp_now);
		return;
	}
	rc = cal_store_report_list(r->st, &out, env);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:o}", "reports", out));
}

static const struct srv_field rp_body[] = {
	{ "env_name", SRV_F_STR, true, NULL, "environment" },
	{ "kind", SRV_F_ENUM, true, rp_kinds, "diff, impact, health, inventory" },
	{ "format", SRV_F_ENUM, false, rp_formats, "html (default), json, csv" },
	{ "title", SRV_F_STR, false, NULL, "a title" },
	{ "a", SRV_F_STR, false, NULL, "diff: the first reference" },
	{ "b", SRV_F_STR, false, NULL, "diff: the second reference" },
	{ "scope", SRV_F_STR, false, NULL, "diff: the scope" },
	{ "object_id", SRV_F_STR, false, NULL, "impact: the object" },
	{ "what_if_down", SRV_F_BOOL, false, NULL, "impact: what loses its path" },
	{ "project", SRV_F_STR, false, NULL, "impact: one project" },
	{ "at", SRV_F_STR, false, NULL, "live, a snapshot name or a time" },
	{ NULL, 0, false, NULL, NULL },
};

/* On a defer worker: a report may lay out many graphs. */
static void rp_make(struct srv_req *r)
{
	const char *env = cal_json_str(r->json, "env_name");
	const char *format = cal_json_str_or_null(r->json, "format");
	struct cal_report_request q = { .kind = cal_json_str(r->json, "kind") };
	json_t *out = NULL;
	int rc;

	q.format = (enum cal_report_format)cal_report_format_from_name(format ? format : "html");
	q.title = cal_json_str_or_null(r->json, "title");
	q.a = cal_json_str_or_null(r->json, "a");
	q.b = cal_json_str_or_null(r->json, "b");
	q.scope = cal_json_str_or_null(r->json, "scope");
	q.object = cal_json_str_or_null(r->json, "object_id");
	q.what_if_down = json_is_true(json_object_get(r->json, "what_if_down"));
	q.project = cal_json_str_or_null(r->json, "project");
	q.at = cal_json_str_or_null(r->json, "at");
	rc = cal_report_generate(r->st, &out, env, &q);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	json_object_del(out, "content");
	srv_reply_json(r, 201, out);
}

static void rp_post(struct srv_req *r)
{
	const char *env = cal_json_str(r->json, "env_name");

	if (srv_require_env(r, env, true) || srv_check_env_exists(r, env))
		return;
	srv_defer(r, rp_make);
}

enum { RPI_ENV, RPI_ID };

static const struct srv_param rp_id_params[] = {
	[RPI_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[RPI_ID] = { "id", SRV_P_INT, SRV_P_REQUIRED, NULL, 1, INT64_MAX, "the report" },
	SRV_PARAM_END,
};

static void rp_delete(struct srv_req *r)
{
	json_t *rec = NULL;
	int rc;

	if (srv_require_env(r, r->p[RPI_ENV].s, true))
		return;
	rc = cal_store_report_get(r->st, &rec, NULL, NULL, r->p[RPI_ID].i);
	if (rc == 0 && strcmp(cal_json_str(rec, "environment"), r->p[RPI_ENV].s) != 0)
		rc = cal_error_set(CAL_ENOTFOUND, "report %lld not found in environment '%s'",
				   (long long)r->p[RPI_ID].i, r->p[RPI_ENV].s);
	json_decref(rec);
	if (rc == 0)
		rc = cal_store_report_remove(r->st, r->p[RPI_ID].i);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:s}", "message", "report removed"));
}

const struct srv_route srv_routes_designs[] = {
	{ "/designs", SRV_GET, ds_get, SRV_USER, ds_params, NULL,
	  "design baselines of an environment, or one with its document", "snapshots" },
	{ "/designs", SRV_POST, ds_post, SRV_USER, NULL, ds_body,
	  "store a design, from a snapshot or from a document", "snapshots" },
	{ "/designs", SRV_DELETE, ds_delete, SRV_USER, ds_name_params, NULL, "remove a design",
	  "snapshots" },
	{ "/reports", SRV_GET, rp_get, SRV_USER, rp_params, NULL,
	  "kept reports; with id, one's content; with kind, a report made now", "reports" },
	{ "/reports", SRV_POST, rp_post, SRV_USER, NULL, rp_body, "make and keep a report",
	  "reports" },
	{ "/reports", SRV_DELETE, rp_delete, SRV_USER, rp_id_params, NULL, "remove a report",
	  "reports" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
