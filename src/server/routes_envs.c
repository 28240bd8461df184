/* routes_envs.c - /environment_configs: environments and their discovery
 * configuration (docs/environments.md).  Everyone reads the environments
 * they may view; admins add, replace and remove them.  Configurations are
 * checked by discover's cal_env_config_check() (unknown keys refused).
 */
#include "server/server_int.h"

#include "discover/discover.h"

#include <stdlib.h>
#include <string.h>

enum { EC_NAME, EC_DIST, EC_MECH, EC_TYPE_DRV, EC_PAGE, EC_PAGE_SIZE };

static const struct srv_param ec_params[] = {
	[EC_NAME] = { "name", SRV_P_STR, 0, NULL, 0, 0, "one environment" },
	[EC_DIST] = { "distribution", SRV_P_STR, 0, NULL, 0, 0, "distribution" },
	[EC_MECH] = { "mechanism_drivers", SRV_P_STR, 0, NULL, 0, 0, "mechanism driver" },
	[EC_TYPE_DRV] = { "type_drivers", SRV_P_STR, 0, NULL, 0, 0, "type driver" },
	[EC_PAGE] = SRV_PARAM_PAGE,
	[EC_PAGE_SIZE] = SRV_PARAM_PAGE_SIZE,
	SRV_PARAM_END,
};

static bool ec_has(const json_t *cfg, const char *key, const char *v)
{
	json_t *f = json_object_get(cfg, key), *e;
	size_t i;

	if (json_is_string(f))
		return strcmp(json_string_value(f), v) == 0;
	json_array_foreach(f, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), v) == 0)
			return true;
	return false;
}

/* The record the API shows: the configuration with its times. */
static json_t *ec_view(const json_t *e)
{
	json_t *v = json_deep_copy(json_object_get(e, "config"));

	if (!v)
		return NULL;
	json_object_set_new(v, "name", json_string(cal_json_str(e, "name")));
	json_object_set(v, "created", json_object_get(e, "created"));
	json_object_set(v, "updated", json_object_get(e, "updated"));
	return v;
}

static void ec_get(struct srv_req *r)
{
	json_t *envs = NULL, *out, *e;
	int offset, limit, rc;
	size_t i;

	if (r->p[EC_NAME].set) {
		json_t *cfg = NULL;

		if (srv_require_env(r, r->p[EC_NAME].s, false))
			return;
		rc = cal_store_env_get(r->st, &cfg, r->p[EC_NAME].s);
		if (rc) {
			srv_reply_cal(r, rc);
			return;
		}
		json_object_set_new(cfg, "name", json_string(r->p[EC_NAME].s));
		srv_reply_json(r, 200, cfg);
		return;
	}
	limit = srv_page_limit(r, EC_PAGE, &offset);
	rc = cal_store_env_list(r->st, &envs);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	out = json_array();
	json_array_foreach(envs, i, e) {
		const json_t *cfg = json_object_get(e, "config");

		if (!srv_user_may(&r->user, cal_json_str(e, "name"), false) ||
		    (r->p[EC_DIST].set && !ec_has(cfg, "distribution", r->p[EC_DIST].s)) ||
		    (r->p[EC_MECH].set && !ec_has(cfg, "mechanism_drivers", r->p[EC_MECH].s)) ||
		    (r->p[EC_TYPE_DRV].set && !ec_has(cfg, "type_drivers", r->p[EC_TYPE_DRV].s)))
			continue;
		if (offset > 0) {
			offset--;
			continue;
		}
		if ((int)json_array_size(out) < limit)
			json_array_append_new(out, ec_view(e));
	}
	json_decref(envs);
	srv_reply_json(r, 200, json_pack("{s:o}", "environment_configs", out));
}

static const struct srv_field ec_body[] = {
	{ "*", SRV_F_ANY, false, NULL,
	  "an environment configuration (docs/environments.md): name, hosts, switches, "
	  "pnic_names, distribution, ..." },
	{ NULL, 0, false, NULL, NULL },
};

static void ec_write(struct srv_req *r, bool replace)
{
	const char *name = cal_json_str(r->json, "name");
	json_t *cfg;
	int rc;

	if (!*name) {
		srv_reply_error(r, 400, "the configuration needs a 'name'");
		return;
	}
	if (replace && r->p[0].set && strcmp(r->p[0].s, name) != 0) {
		srv_reply_error(r, 400, "the body's name must be the query's ('%s')", r->p[0].s);
		return;
	}
	cfg = json_deep_copy(r->json);
	rc = cfg ? cal_env_config_check(cfg) : cal_error_set(CAL_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cal_store_env_put(r->st, name, cfg, replace);
	json_decref(cfg);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, replace ? 200 : 201,
		       json_pack("{s:s, s:s}", "message",
				 replace ? "environment configuration replaced"
					 : "created a new environment configuration",
				 "name", name));
}

static void ec_post(struct srv_req *r)
{
	ec_write(r, false);
}

static void ec_put(struct srv_req *r)
{
	ec_write(r, true);
}

static const struct srv_param ec_name_params[] = {
	{ "name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "the environment" },
	SRV_PARAM_END,
};

static void ec_delete(struct srv_req *r)
{
	int rc = cal_store_env_remove(r->st, r->p[0].s);

	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:s}", "message", "environment configuration removed"));
}

const struct srv_route srv_routes_envs[] = {
	{ "/environment_configs", SRV_GET, ec_get, SRV_USER, ec_params, NULL,
	  "environments and their discovery configuration", "environments" },
	{ "/environment_configs", SRV_POST, ec_post, SRV_ADMIN, NULL, ec_body,
	  "add an environment", "environments" },
	{ "/environment_configs", SRV_PUT, ec_put, SRV_ADMIN, ec_name_params, ec_body,
	  "replace an environment's configuration", "environments" },
	{ "/environment_configs", SRV_DELETE, ec_delete, SRV_ADMIN, ec_name_params, NULL,
	  "remove an environment's configuration (its history stays)", "environments" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
