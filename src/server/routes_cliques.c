/* routes_cliques.c - /cliques (a focal point's clique, through the clique
 * engine of src/analyze), /clique_types (read by everyone, changed by
 * admins) and /clique_constraints (the constraints of the clique types, as
 * the original API listed them).
 *
 * A clique is named by its focal point: GET /cliques?env_name=E&id=FOCAL.
 * Without an id, the focal points of the environment are listed (objects
 * of the types that clique types start from).
 */
#include "server/server_int.h"

#include "analyze/analyze.h"

#include <stdlib.h>
#include <string.h>

enum { CLQ_ENV, CLQ_ID, CLQ_FOCAL, CLQ_FOCAL_TYPE, CLQ_AT, CLQ_PAGE, CLQ_PAGE_SIZE };

static const struct srv_param clq_params[] = {
	[CLQ_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[CLQ_ID] = { "id", SRV_P_STR, 0, NULL, 0, 0, "the clique of this focal point" },
	[CLQ_FOCAL] = { "focal_point_object_id", SRV_P_STR, 0, NULL, 0, 0, "same as id" },
	[CLQ_FOCAL_TYPE] = { "focal_point_type", SRV_P_ENUM, 0, srv_object_types, 0, 0,
			     "list focal points of this type" },
	[CLQ_AT] = { "at", SRV_P_TIME, 0, NULL, 0, 0, "the clique as it was at this time" },
	[CLQ_PAGE] = SRV_PARAM_PAGE,
	[CLQ_PAGE_SIZE] = SRV_PARAM_PAGE_SIZE,
	SRV_PARAM_END,
};

static bool clq_in(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* The focal points of env: objects of the clique types' focal types. */
static void clq_list(struct srv_req *r, const char *env, int64_t at)
{
	json_t *types = NULL, *focal = json_array(), *out = json_array(), *t;
	int offset, limit, rc;
	size_t i;

	limit = srv_page_limit(r, CLQ_PAGE, &offset);
	rc = cal_clique_types_list(r->st, &types);
	json_array_foreach(types, i, t) {
		const char *ft = cal_json_str(t, "focal_point_type");

		if ((!r->p[CLQ_FOCAL_TYPE].set || strcmp(ft, r->p[CLQ_FOCAL_TYPE].s) == 0) &&
		    !clq_in(focal, ft))
			json_array_append_new(focal, json_string(ft));
	}
	json_array_foreach(focal, i, t) {
		struct cal_query q = { .env = env, .at = at, .type = json_string_value(t) };
		json_t *objs = NULL, *o;
		size_t k;

		if (rc || (int)json_array_size(out) >= limit)
			break;
		rc = cal_store_objects(r->st, &objs, &q);
		json_array_foreach(objs, k, o) {
			if (offset > 0) {
				offset--;
				continue;
			}
			if ((int)json_array_size(out) >= limit)
				break;
			json_array_append_new(
				out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id",
					       cal_json_str(o, CAL_F_ID), "focal_point",
					       cal_json_str(o, CAL_F_ID), "focal_point_object_id",
					       cal_json_str(o, CAL_F_ID), "focal_point_type",
					       cal_json_str(o, CAL_F_TYPE), "name",
					       cal_json_str(o, CAL_F_NAME), "environment", env));
		}
		json_decref(objs);
	}
	json_decref(types);
	json_decref(focal);
	if (rc) {
		json_decref(out);
		srv_reply_cal(r, rc);
		return;
	}
	if (json_array_size(out) == 0 && srv_check_env_exists(r, env)) {
		json_decref(out);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:o}", "cliques", out));
}

static void clq_get(struct srv_req *r)
{
	const char *env = r->p[CLQ_ENV].s;
	const char *id = r->p[CLQ_ID].set ? r->p[CLQ_ID].s : r->p[CLQ_FOCAL].s;
	int64_t at = r->p[CLQ_AT].set ? r->p[CLQ_AT].i : 0;
	char version[160] = "", *key = NULL;
	json_t *clique = NULL;
	int rc;

	if (srv_require_env(r, env, false))
		return;
	if (!id) {
		clq_list(r, env, at);
		return;
	}
	/* A live clique: answered from the cache while current. */
	if (!at && srv_cache_reply(r, "clique", env, id, &key, version))
		return;
	rc = cal_clique_get(r->st, &clique, env, id, at);
	if (rc == CAL_ENOTFOUND && srv_check_env_exists(r, env)) {
		free(key);
		return;
	}
	if (rc) {
		free(key);
		srv_reply_cal(r, rc);
		return;
	}
	json_object_set_new(clique, "id", json_string(id));
	json_object_set_new(clique, "focal_point_object_id", json_string(id));
	json_object_set_new(clique, "environment", json_string(env));
	srv_reply_cached(r, clique, key, version);
}

/* ------------------------------------------------------------------ */
/* Clique types                                                        */
/* ------------------------------------------------------------------ */

enum { CT_ENV, CT_ID, CT_FOCAL_TYPE, CT_LINK_TYPE, CT_NAME, CT_DIST, CT_MECH, CT_TYPE_DRV,
       CT_PAGE, CT_PAGE_SIZE };

static const struct srv_param ct_params[] = {
	[CT_ENV] = { "env_name", SRV_P_STR, 0, NULL, 0, 0, "types of this environment" },
	[CT_ID] = { "id", SRV_P_STR, 0, NULL, 0, 0, "one clique type" },
	[CT_FOCAL_TYPE] = { "focal_point_type", SRV_P_ENUM, 0, srv_object_types, 0, 0,
			    "focal point type" },
	[CT_LINK_TYPE] = { "link_type", SRV_P_ENUM, 0, srv_link_types, 0, 0,
			   "types that follow this link type" },
	[CT_NAME] = { "name", SRV_P_STR, 0, NULL, 0, 0, "name" },
	[CT_DIST] = { "distribution", SRV_P_STR, 0, NULL, 0, 0, "distribution" },
	[CT_MECH] = { "mechanism_drivers", SRV_P_STR, 0, NULL, 0, 0, "mechanism driver" },
	[CT_TYPE_DRV] = { "type_drivers", SRV_P_STR, 0, NULL, 0, 0, "type driver" },
	[CT_PAGE] = SRV_PARAM_PAGE,
	[CT_PAGE_SIZE] = SRV_PARAM_PAGE_SIZE,
	SRV_PARAM_END,
};

/* A string field equal to v, or a list holding it. */
static bool ct_field_has(const json_t *t, const char *key, const char *v)
{
	json_t *f = json_object_get(t, key);

	if (json_is_string(f))
		return strcmp(json_string_value(f), v) == 0;
	return clq_in(f, v);
}

/* GET of clique types: the types `keep` accepts, paged (page_idx), each
 * shown by `view` (NULL: as stored); the one named by parameter id_idx
 * when it is set. */
static void ct_list(struct srv_req *r, int id_idx, int page_idx,
		    bool (*keep)(const struct srv_req *r, const json_t *t),
		    json_t *(*view)(const json_t *t), const char *key)
{
	json_t *types = NULL, *out = json_array(), *t;
	int offset, limit, rc;
	size_t i;

	limit = srv_page_limit(r, page_idx, &offset);
	rc = cal_clique_types_list(r->st, &types);
	if (rc) {
		json_decref(out);
		srv_reply_cal(r, rc);
		return;
	}
	json_array_foreach(types, i, t) {
		if ((r->p[id_idx].set && strcmp(cal_json_str(t, "id"), r->p[id_idx].s)) ||
		    !keep(r, t))
			continue;
		if (srv_page_take(&offset, out, limit))
			json_array_append_new(out, view ? view(t) : json_incref(t));
	}
	json_decref(types);
	if (r->p[id_idx].set) {
		if (json_array_size(out) == 0) {
			char *e = cal_str_escape(r->p[id_idx].s);

			srv_reply_error(r, 404, "clique type '%s' not found", e ? e : "?");
			free(e);
		} else {
			srv_reply_json(r, 200, json_incref(json_array_get(out, 0)));
		}
		json_decref(out);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:o}", key, out));
}

static bool ct_keep(const struct srv_req *r, const json_t *t)
{
	return !((r->p[CT_ENV].set && !ct_field_has(t, "environment", r->p[CT_ENV].s)) ||
		 (r->p[CT_FOCAL_TYPE].set &&
		  strcmp(cal_json_str(t, "focal_point_type"), r->p[CT_FOCAL_TYPE].s)) ||
		 (r->p[CT_LINK_TYPE].set &&
		  !clq_in(json_object_get(t, "link_types"), r->p[CT_LINK_TYPE].s)) ||
		 (r->p[CT_NAME].set && !ct_field_has(t, "name", r->p[CT_NAME].s)) ||
		 (r->p[CT_DIST].set && !ct_field_has(t, "distribution", r->p[CT_DIST].s)) ||
		 (r->p[CT_MECH].set && !ct_field_has(t, "mechanism_drivers", r->p[CT_MECH].s)) ||
		 (r->p[CT_TYPE_DRV].set && !ct_field_has(t, "type_drivers", r->p[CT_TYPE_DRV].s)));
}

static void ct_get(struct srv_req *r)
{
	ct_list(r, CT_ID, CT_PAGE, ct_keep, NULL, "clique_types");
}

static const struct srv_field ct_body[] = {
	{ "*", SRV_F_ANY, false, NULL,
	  "a clique type: id, focal_point_type, link_types, and optionally name, environment, "
	  "distribution, distribution_version, mechanism_drivers, type_drivers, constraints" },
	{ NULL, 0, false, NULL, NULL },
};

static void ct_write(struct srv_req *r, bool replace)
{
	int rc = cal_clique_type_check(r->json);

	if (rc == 0)
		rc = cal_clique_type_put(r->st, r->json, replace);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, replace ? 200 : 201,
		       json_pack("{s:s, s:s}", "message",
				 replace ? "clique type replaced" : "created a new clique type", "id",
				 cal_json_str(r->json, "id")));
}

static void ct_post(struct srv_req *r)
{
	ct_write(r, false);
}

static void ct_put(struct srv_req *r)
{
	ct_write(r, true);
}

static const struct srv_param ct_id_params[] = {
	{ "id", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "the clique type" },
	SRV_PARAM_END,
};

static void ct_delete(struct srv_req *r)
{
	int rc = cal_clique_type_remove(r->st, r->p[0].s);

	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:s}", "message", "clique type removed"));
}

/* ------------------------------------------------------------------ */
/* Clique constraints                                                  */
/* ------------------------------------------------------------------ */

enum { CC_ID, CC_FOCAL_TYPE, CC_CONSTRAINT, CC_PAGE, CC_PAGE_SIZE };

static const char *const cc_constraints[] = { "network", NULL };

static const struct srv_param cc_params[] = {
	[CC_ID] = { "id", SRV_P_STR, 0, NULL, 0, 0, "the constraints of this clique type" },
	[CC_FOCAL_TYPE] = { "focal_point_type", SRV_P_ENUM, 0, srv_object_types, 0, 0,
			    "focal point type" },
	[CC_CONSTRAINT] = { "constraint", SRV_P_ENUM, 0, cc_constraints, 0, 0,
			    "types with this constraint" },
	[CC_PAGE] = SRV_PARAM_PAGE,
	[CC_PAGE_SIZE] = SRV_PARAM_PAGE_SIZE,
	SRV_PARAM_END,
};

static bool cc_keep(const struct srv_req *r, const json_t *t)
{
	return !((r->p[CC_FOCAL_TYPE].set &&
		  strcmp(cal_json_str(t, "focal_point_type"), r->p[CC_FOCAL_TYPE].s)) ||
		 (r->p[CC_CONSTRAINT].set &&
		  !clq_in(json_object_get(t, "constraints"), r->p[CC_CONSTRAINT].s)));
}

static json_t *cc_view(const json_t *t)
{
	json_t *cons = json_object_get(t, "constraints");

	return json_pack("{s:s, s:s, s:o}", "id", cal_json_str(t, "id"), "focal_point_type",
			 cal_json_str(t, "focal_point_type"), "constraints",
			 cons ? json_incref(cons) : json_array());
}

static void cc_get(struct srv_req *r)
{
	ct_list(r, CC_ID, CC_PAGE, cc_keep, cc_view, "clique_constraints");
}

const struct srv_route srv_routes_cliques[] = {
	{ "/cliques", SRV_GET, clq_get, SRV_USER, clq_params, NULL,
	  "the clique of a focal point, or the focal points of an environment", "cliques" },
	{ "/clique_types", SRV_GET, ct_get, SRV_USER, ct_params, NULL, "clique types", "cliques" },
	{ "/clique_types", SRV_POST, ct_post, SRV_ADMIN, NULL, ct_body, "add a clique type",
	  "cliques" },
	{ "/clique_types", SRV_PUT, ct_put, SRV_ADMIN, NULL, ct_body,
	  "add or replace a clique type", "cliques" },
	{ "/clique_types", SRV_DELETE, ct_delete, SRV_ADMIN, ct_id_params, NULL,
	  "remove a clique type", "cliques" },
	{ "/clique_constraints", SRV_GET, cc_get, SRV_USER, cc_params, NULL,
	  "the constraints of the clique types", "cliques" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
