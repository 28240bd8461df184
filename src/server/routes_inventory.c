/* routes_inventory.c - /inventory: objects of an environment, live or at a
 * time, as the original API serves them (env_name, id, id_path, parent_id,
 * parent_path, sub_tree, type, paging) with our filters (name glob, host,
 * at); and PATCH for attributes managed by external systems (a
 * provisioning application's names), stored under the object's
 * "external" attribute and kept across scans (store_external.c).
 */
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>

enum {
	INV_ENV,
	INV_ID,
	INV_ID_PATH,
	INV_PARENT_ID,
	INV_PARENT_PATH,
	INV_SUB_TREE,
	INV_TYPE,
	INV_NAME,
	INV_HOST,
	INV_AT,
	INV_PAGE,
	INV_PAGE_SIZE,
};

static const struct srv_param inv_params[] = {
	[INV_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[INV_ID] = { "id", SRV_P_STR, 0, NULL, 0, 0, "one object by id" },
	[INV_ID_PATH] = { "id_path", SRV_P_STR, 0, NULL, 0, 0, "the object at this id_path" },
	[INV_PARENT_ID] = { "parent_id", SRV_P_STR, 0, NULL, 0, 0, "children of this object" },
	[INV_PARENT_PATH] = { "parent_path", SRV_P_STR, 0, NULL, 0, 0,
			      "objects under this id_path (children, or all with sub_tree)" },
	[INV_SUB_TREE] = { "sub_tree", SRV_P_BOOL, 0, NULL, 0, 0,
			   "with parent_path: the whole sub-tree, not only children" },
	[INV_TYPE] = { "type", SRV_P_ENUM, 0, srv_object_types, 0, 0, "object type" },
	[INV_NAME] = { "name", SRV_P_STR, 0, NULL, 0, 0, "name (glob)" },
	[INV_HOST] = { "host", SRV_P_STR, 0, NULL, 0, 0, "host the object lives on" },
	[INV_AT] = { "at", SRV_P_TIME, 0, NULL, 0, 0, "the inventory as it was at this time" },
	[INV_PAGE] = { "page", SRV_P_INT, 0, NULL, 0, 1000000, "page number, from 0" },
	[INV_PAGE_SIZE] = { "page_size", SRV_P_INT, 0, NULL, 1, 10000,
			    "objects per page (default 1000)" },
	{ NULL, 0, 0, NULL, 0, 0, NULL },
};

/* Whether `path` is a child (or with sub_tree any descendant) of `parent`. */
static bool inv_under(const char *path, const char *parent, bool sub_tree)
{
	size_t n = strlen(parent);

	if (strncmp(path, parent, n) != 0 || path[n] != '/' || !path[n + 1])
		return false;
	return sub_tree || !strchr(path + n + 1, '/');
}

static void inv_get(struct srv_req *r)
{
	const char *env = r->p[INV_ENV].s, *id_path = r->p[INV_ID_PATH].s;
	const char *parent_path = r->p[INV_PARENT_PATH].s;
	struct cal_query q = { .env = env, .with_volatile = true };
	bool post = false;
	json_t *arr = NULL;
	int offset, limit, rc;

	if (srv_require_env(r, env, false))
		return;
	q.at = r->p[INV_AT].set ? r->p[INV_AT].i : 0;
	if (r->p[INV_ID].set) {
		json_t *obj = NULL;
		char version[160] = "", *key = NULL;

		/* The live object: answered from the cache while current. */
		if (!q.at && srv_cache_reply(r, "inventory", env, r->p[INV_ID].s, &key, version))
			return;
		rc = cal_store_object_get(r->st, &obj, env, r->p[INV_ID].s, q.at);
		if (rc == CAL_ENOTFOUND && srv_check_env_exists(r, env)) {
			free(key);
			return;
		}
		if (rc) {
			free(key);
			srv_reply_cal(r, rc);
			return;
		}
		srv_reply_cached(r, obj, key, version);
		return;
	}
	limit = srv_page_limit(r, INV_PAGE, &offset);
	q.type = r->p[INV_TYPE].s;
	q.host = r->p[INV_HOST].s;
	q.name = r->p[INV_NAME].s;
	q.parent_id = r->p[INV_PARENT_ID].s;
	/* id_path and parent_path select by path prefix in the store; the
	 * exact path or the depth are checked here, and so is the page. */
	if (id_path || parent_path) {
		if (id_path && parent_path) {
			srv_reply_error(r, 400, "id_path and parent_path cannot be used together");
			return;
		}
		q.id_path_prefix = id_path ? id_path : parent_path;
		post = true;
	} else {
		q.limit = limit;
		q.offset = offset;
	}
	rc = cal_store_objects(r->st, &arr, &q);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	if (post) {
		json_t *kept = json_array(), *o;
		size_t i;
		int skip = offset;

		json_array_foreach(arr, i, o) {
			const char *p = cal_json_str(o, CAL_F_ID_PATH);
			bool keep = id_path ? strcmp(p, id_path) == 0
					    : inv_under(p, parent_path, r->p[INV_SUB_TREE].b);

			if (keep && srv_page_take(&skip, kept, limit))
				json_array_append(kept, o);
		}
		json_decref(arr);
		arr = kept;
	}
	srv_reply_rows(r, arr, env, NULL, "objects");
}

/* ------------------------------------------------------------------ */
/* PATCH                                                               */
/* ------------------------------------------------------------------ */

enum { PAT_ENV, PAT_ID };

static const struct srv_param inv_patch_params[] = {
	[PAT_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[PAT_ID] = { "id", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "the object to change" },
	{ NULL, 0, 0, NULL, 0, 0, NULL },
};

static const struct srv_field inv_patch_body[] = {
	{ "external", SRV_F_OBJECT, true, NULL,
	  "attributes set by an external system; a null value removes one" },
	{ NULL, 0, false, NULL, NULL },
};

#define INV_MAX_EXTERNAL 64
#define INV_MAX_EXTERNAL_VALUE 1024

static int inv_check_external(struct srv_req *r, const json_t *ext)
{
	const char *key;
	json_t *v;

	if (json_object_size(ext) > INV_MAX_EXTERNAL)
		return srv_reply_error(r, 400, "at most %d external attributes at once",
				       INV_MAX_EXTERNAL);
	json_object_foreach((json_t *)ext, key, v) {
		size_t n = strlen(key);
		bool ok = n > 0 && n <= 64;

		for (const char *c = key; ok && *c; c++)
			ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			     (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.' ||
			     *c == ':';
		if (!ok) {
			char *e = cal_str_escape(key);

			srv_reply_error(r, 400, "external attribute name '%s': 1 to 64 letters, "
					"digits, '_', '-', '.' or ':'", e ? e : "?");
			free(e);
			return -1;
		}
		if (!(json_is_string(v) || json_is_number(v) || json_is_boolean(v) ||
		      json_is_null(v)))
			return srv_reply_error(r, 400, "external attribute '%s' must be a string, "
					       "a number, true/false, or null to remove it", key);
		if (json_is_string(v) && json_string_length(v) > INV_MAX_EXTERNAL_VALUE)
			return srv_reply_error(r, 400, "external attribute '%s' is longer than %d "
					       "bytes", key, INV_MAX_EXTERNAL_VALUE);
	}
	return 0;
}

static void inv_patch(struct srv_req *r)
{
	const char *env = r->p[PAT_ENV].s, *id = r->p[PAT_ID].s;
	json_t *ext = json_object_get(r->json, "external"), *obj = NULL;
	int rc;

	if (srv_require_env(r, env, true) || inv_check_external(r, ext))
		return;
	rc = cal_store_object_set_external(r->st, &obj, env, id, ext, r->user.name);
	if (rc == CAL_ENOTFOUND && srv_check_env_exists(r, env))
		return;
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, obj);
}

const struct srv_route srv_routes_inventory[] = {
	{ "/inventory", SRV_GET, inv_get, SRV_USER, inv_params, NULL,
	  "inventory objects: one by id, or a page of a filtered list", "inventory" },
	{ "/inventory", SRV_PATCH, inv_patch, SRV_USER, inv_patch_params, inv_patch_body,
	  "set attributes managed by an external system (kept across scans)", "inventory" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
