/* routes_meta.c - what describes the system rather than an environment's
 * inventory: /constants (the vocabularies, object types with their
 * attributes from core's model tables), /aggregates (counts, as the
 * original API), /health (version, per-environment last scan and its
 * sources, the queue), /metrics (Prometheus), /openapi.json.
 */
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const mt_link_states[] = { "up", "down", NULL };
static const char *const mt_mech[] = { "OVS", "LXB", "VPP", "SRIOV", NULL };
static const char *const mt_type_drv[] = { "vxlan", "gre", "vlan", "flat", "local", NULL };
static const char *const mt_sources[] = { "netlink", "ovsdb", "libvirt", "openstack", NULL };

static const struct {
	const char *name;
	const char *const *values;
} mt_constants[] = {
	{ "object_types", srv_object_types },
	{ "link_types", srv_link_types },
	{ "link_states", mt_link_states },
	{ "scans_statuses", srv_scan_statuses },
	{ "scan_freqs", srv_freqs },
	{ "log_levels", srv_log_levels },
	{ "messages_severity", srv_message_levels },
	{ "mechanism_drivers", mt_mech },
	{ "type_drivers", mt_type_drv },
	{ "sources", mt_sources },
};

#define MT_NCONST (sizeof(mt_constants) / sizeof(mt_constants[0]))

static const char *mt_const_names[MT_NCONST + 1] = {
	"object_types",	  "link_types", "link_states",	     "scans_statuses",	  "scan_freqs",
	"log_levels",	  "messages_severity", "mechanism_drivers", "type_drivers", "sources",
	NULL,
};

static const char *mt_kind_name(enum cal_attr_kind k)
{
	switch (k) {
	case CAL_A_STRING: return "string";
	case CAL_A_INT: return "integer";
	case CAL_A_BOOL: return "boolean";
	case CAL_A_ARRAY: return "array";
	case CAL_A_OBJECT: return "object";
	default: return "any";
	}
}

static json_t *mt_attrs(const struct cal_attr_def *defs)
{
	json_t *arr = json_array();

	for (; arr && defs && defs->name; defs++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:b}", "name", defs->name,
						     "type", mt_kind_name(defs->kind), "required",
						     defs->required, "volatile", defs->is_volatile));
	return arr;
}

static json_t *mt_constant(size_t i)
{
	json_t *data = json_array();

	for (const char *const *v = mt_constants[i].values; data && *v; v++) {
		json_t *e = json_pack("{s:s, s:s}", "label", *v, "value", *v);

		if (e && mt_constants[i].values == srv_object_types)
			json_object_set_new(e, "attributes",
					    mt_attrs(cal_type_attrs(cal_type_from_name(*v))));
		json_array_append_new(data, e);
	}
	return json_pack("{s:s, s:o}", "name", mt_constants[i].name, "data", data);
}

static const struct srv_param mt_const_params[] = {
	{ "name", SRV_P_ENUM, 0, mt_const_names, 0, 0, "one vocabulary (all without)" },
	SRV_PARAM_END,
};

static void mt_constants_get(struct srv_req *r)
{
	json_t *all;

	for (size_t i = 0; r->p[0].set && i < MT_NCONST; i++)
		if (strcmp(mt_constants[i].name, r->p[0].s) == 0) {
			srv_reply_json(r, 200, mt_constant(i));
			return;
		}
	all = json_array();
	for (size_t i = 0; i < MT_NCONST; i++)
		json_array_append_new(all, mt_constant(i));
	srv_reply_json(r, 200, json_pack("{s:o, s:o}", "constants", all, "common_attributes",
					 mt_attrs(cal_common_attrs())));
}

/* ------------------------------------------------------------------ */
/* Aggregates                                                          */
/* ------------------------------------------------------------------ */

static const char *const mt_agg_types[] = { "environment", "message", "constant", NULL };

enum { AG_TYPE, AG_ENV };

static const struct srv_param mt_agg_params[] = {
	[AG_TYPE] = { "type", SRV_P_ENUM, SRV_P_REQUIRED, mt_agg_types, 0, 0,
		      "environment (object counts), message (by level and environment), "
		      "constant (sizes)" },
	[AG_ENV] = { "env_name", SRV_P_STR, 0, NULL, 0, 0, "environment (for type=environment)" },
	SRV_PARAM_END,
};

static void mt_aggregates_get(struct srv_req *r)
{
	const char *type = r->p[AG_TYPE].s, *env = r->p[AG_ENV].s;
	json_t *agg = NULL;
	int rc = 0;

	if (strcmp(type, "environment") == 0) {
		if (!env) {
			srv_reply_error(r, 400, "type=environment needs env_name");
			return;
		}
		if (srv_require_env(r, env, false) || srv_check_env_exists(r, env))
			return;
		rc = cal_store_counts(r->st, &agg, env);
		if (rc == 0)
			agg = json_pack("{s:s, s:s, s:{s:o}}", "type", type, "env_name", env,
					"aggregates", "object_types", agg);
	} else if (strcmp(type, "message") == 0) {
		json_t *counts = NULL, *envs, *levels = json_object(), *byenv = json_object();
		json_t *all = NULL, *e;
		size_t i;

		if (env && (srv_require_env(r, env, false) || srv_check_env_exists(r, env))) {
			json_decref(levels);
			json_decref(byenv);
			return;
		}
		/* Only the environments the caller may view. */
		rc = cal_store_env_list(r->st, &all);
		json_array_foreach(all, i, e) {
			const char *name = cal_json_str(e, "name");
			const char *k;
			json_t *v;

			if (rc || (env && strcmp(env, name) != 0) ||
			    !srv_user_may(&r->user, name, false))
				continue;
			rc = cal_store_message_counts(r->st, &counts, name);
			if (rc)
				break;
			json_object_foreach(json_object_get(counts, "levels"), k, v)
				json_object_set_new(levels, k,
						    json_integer(cal_json_int(levels, k, 0) +
								 json_integer_value(v)));
			envs = json_object_get(counts, "environments");
			json_object_update(byenv, envs);
			json_decref(counts);
		}
		json_decref(all);
		agg = json_pack("{s:s, s:{s:o, s:o}}", "type", type, "aggregates", "levels", levels,
				"environments", byenv);
	} else {
		json_t *names = json_object();

		for (size_t i = 0; i < MT_NCONST; i++) {
			size_t n = 0;

			while (mt_constants[i].values[n])
				n++;
			json_object_set_new(names, mt_constants[i].name, json_integer((json_int_t)n));
		}
		agg = json_pack("{s:s, s:{s:o}}", "type", type, "aggregates", "names", names);
	}
	if (rc) {
		json_decref(agg);
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, agg);
}

/* ------------------------------------------------------------------ */
/* Health, metrics, OpenAPI                                            */
/* ------------------------------------------------------------------ */

static void mt_health_get(struct srv_req *r)
{
	json_t *envs = NULL, *out = json_object(), *e;
	char now[CAL_TIME_BUFSZ], started[CAL_TIME_BUFSZ];
	size_t i;
	int rc;

	rc = cal_store_env_list(r->st, &envs);
	json_array_foreach(envs, i, e) {
		const char *name = cal_json_str(e, "name");
		struct cal_scan_query q = { .env = name, .limit = 20 };
		json_t *scans = NULL, *last = NULL, *sources = json_array(), *s;
		size_t k;

		if (rc || !srv_user_may(&r->user, name, false)) {
			json_decref(sources);
			continue;
		}
		/* The newest finished scan says what the inventory is made of. */
		rc = cal_store_scans_find(r->st, &scans, &q);
		json_array_foreach(scans, k, s)
			if (!last && !json_is_null(json_object_get(s, "finished")))
				last = s;
		json_array_foreach(json_object_get(json_object_get(last, "result"), "sources"), k, s)
			json_array_append_new(sources,
					      json_pack("{s:s, s:s, s:s, s:s}", "host",
							cal_json_str(s, "host"), "source",
							cal_json_str(s, "name"), "status",
							cal_json_str(s, "status"), "error",
							cal_json_str(s, "error")));
		json_object_set_new(
			out, name,
			last ? json_pack("{s:{s:O, s:O, s:O, s:O}, s:o}", "last_scan", "id",
					 json_object_get(last, "id"), "status",
					 json_object_get(last, "status"), "started",
					 json_object_get(last, "started"), "finished",
					 json_object_get(last, "finished"), "sources", sources)
			     : json_pack("{s:n, s:o}", "last_scan", "sources", sources));
		json_decref(scans);
	}
	json_decref(envs);
	if (rc) {
		json_decref(out);
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200,
		       json_pack("{s:s, s:s, s:s, s:s, s:o, s:{s:o}, s:b}", "status", "ok",
				 "version", CAL_VERSION, "time",
				 cal_time_format(now, srv_now(r->srv)), "started",
				 cal_time_format(started, r->srv->started_us), "environments", out,
				 "scan_queue", "running", srv_queue_running(r->srv->queue),
				 "scheduler", r->srv->sched != NULL));
}

static void mt_metrics_get(struct srv_req *r)
{
	size_t len;
	char *text = srv_metrics_render(r->srv->metrics, r->srv->cache, r->st, &len);

	if (!text) {
		srv_reply_cal(r, CAL_EIO);
		return;
	}
	srv_reply_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

static void mt_openapi_get(struct srv_req *r)
{
	srv_reply_json(r, 200, srv_openapi(r->srv));
}

const struct srv_route srv_routes_meta[] = {
	{ "/constants", SRV_GET, mt_constants_get, SRV_USER, mt_const_params, NULL,
	  "vocabularies: object types and their attributes, link types, statuses, levels",
	  "meta" },
	{ "/aggregates", SRV_GET, mt_aggregates_get, SRV_USER, mt_agg_params, NULL,
	  "counts of objects, messages, constants", "meta" },
	{ "/health", SRV_GET, mt_health_get, SRV_USER, NULL, NULL,
	  "version, and per environment the last scan and its sources", "meta" },
	{ "/metrics", SRV_GET, mt_metrics_get, SRV_ADMIN, NULL, NULL,
	  "Prometheus metrics: requests, scans, object counts", "meta" },
	{ "/openapi.json", SRV_GET, mt_openapi_get, SRV_USER, NULL, NULL,
	  "this API's OpenAPI 3 document", "meta" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
