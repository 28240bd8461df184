/* routes_links.c - /links: the links of an environment (the original API's
 * env_name, id, host, link_type, link_name, source_id, target_id, state,
 * attributes:NAME, paging; our `at` and `object_id`, either end).
 */
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>

enum {
	LNK_ENV,
	LNK_ID,
	LNK_HOST,
	LNK_TYPE,
	LNK_NAME,
	LNK_SOURCE,
	LNK_TARGET,
	LNK_OBJECT,
	LNK_STATE,
	LNK_ATTR,
	LNK_AT,
	LNK_PAGE,
	LNK_PAGE_SIZE,
};

static const char *const lnk_states[] = { "up", "down", NULL };

static const struct srv_param lnk_params[] = {
	[LNK_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[LNK_ID] = { "id", SRV_P_STR, 0, NULL, 0, 0,
		     "one link by id (<source id>|<link type>|<target id>)" },
	[LNK_HOST] = { "host", SRV_P_STR, 0, NULL, 0, 0, "host" },
	[LNK_TYPE] = { "link_type", SRV_P_ENUM, 0, srv_link_types, 0, 0, "link type" },
	[LNK_NAME] = { "link_name", SRV_P_STR, 0, NULL, 0, 0, "link name" },
	[LNK_SOURCE] = { "source_id", SRV_P_STR, 0, NULL, 0, 0, "source object id" },
	[LNK_TARGET] = { "target_id", SRV_P_STR, 0, NULL, 0, 0, "target object id" },
	[LNK_OBJECT] = { "object_id", SRV_P_STR, 0, NULL, 0, 0, "links of this object (either end)" },
	[LNK_STATE] = { "state", SRV_P_ENUM, 0, lnk_states, 0, 0, "link state" },
	[LNK_ATTR] = { "attributes:", SRV_P_STR, SRV_P_PREFIX, NULL, 0, 0,
		       "attributes:NAME=VALUE, e.g. attributes:network" },
	[LNK_AT] = { "at", SRV_P_TIME, 0, NULL, 0, 0, "the links as they were at this time" },
	[LNK_PAGE] = { "page", SRV_P_INT, 0, NULL, 0, 1000000, "page number, from 0" },
	[LNK_PAGE_SIZE] = { "page_size", SRV_P_INT, 0, NULL, 1, 10000,
			    "links per page (default 1000)" },
	{ NULL, 0, 0, NULL, 0, 0, NULL },
};

/* Whether a link matches the filters the store does not apply. */
static bool lnk_keep(const struct srv_req *r, const json_t *l)
{
	json_t *attrs = json_object_get(l, CAL_F_ATTRIBUTES);

	if (r->p[LNK_NAME].set && strcmp(cal_json_str(l, CAL_F_LINK_NAME), r->p[LNK_NAME].s))
		return false;
	if (r->p[LNK_SOURCE].set && strcmp(cal_json_str(l, CAL_F_SOURCE_ID), r->p[LNK_SOURCE].s))
		return false;
	if (r->p[LNK_TARGET].set && strcmp(cal_json_str(l, CAL_F_TARGET_ID), r->p[LNK_TARGET].s))
		return false;
	if (r->p[LNK_STATE].set && strcmp(cal_json_str(l, CAL_F_STATE), r->p[LNK_STATE].s))
		return false;
	for (size_t a = 0; a < r->args.n; a++) {
		const char *k = r->args.kv[a].key;
		json_t *v;

		if (strncmp(k, "attributes:", 11) != 0)
			continue;
		v = json_object_get(attrs, k + 11);
		if (!json_is_string(v) || strcmp(json_string_value(v), r->args.kv[a].val) != 0)
			return false;
	}
	return true;
}

static void lnk_get(struct srv_req *r)
{
	const char *env = r->p[LNK_ENV].s, *object = r->p[LNK_OBJECT].s;
	struct cal_query q = { .env = env, .with_volatile = true };
	json_t *arr = NULL, *kept, *l;
	int offset, limit, skip, rc;
	bool post;
	size_t i;

	if (srv_require_env(r, env, false))
		return;
	q.at = r->p[LNK_AT].set ? r->p[LNK_AT].i : 0;
	q.id = r->p[LNK_ID].s;
	q.type = r->p[LNK_TYPE].s;
	q.host = r->p[LNK_HOST].s;
	/* The store selects by either end: the source or target asked for,
	 * narrowed here. */
	if (!object)
		object = r->p[LNK_SOURCE].set ? r->p[LNK_SOURCE].s : r->p[LNK_TARGET].s;
	limit = srv_page_limit(r, LNK_PAGE, &offset);
	post = r->p[LNK_NAME].set || r->p[LNK_SOURCE].set || r->p[LNK_TARGET].set ||
	       r->p[LNK_STATE].set || r->p[LNK_ATTR].set;
	if (!post && !r->p[LNK_ID].set) {
		/* Nothing left to filter here: the store pages. */
		q.limit = limit;
		q.offset = offset;
		offset = 0;
	}
	rc = cal_store_links(r->st, &arr, &q, object);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	if (r->p[LNK_ID].set) {
		char *e = cal_str_escape(r->p[LNK_ID].s);
		char *one = cal_strdup_printf("link '%s'", e ? e : "?");

		srv_reply_rows(r, arr, env, one ? one : "link", "links");
		free(one);
		free(e);
		return;
	}
	skip = offset;
	kept = json_array();
	json_array_foreach(arr, i, l)
		if (lnk_keep(r, l) && srv_page_take(&skip, kept, limit))
			json_array_append(kept, l);
	json_decref(arr);
	srv_reply_rows(r, kept, env, NULL, "links");
}

const struct srv_route srv_routes_links[] = {
	{ "/links", SRV_GET, lnk_get, SRV_USER, lnk_params, NULL,
	  "links: one by id, or a page of a filtered list", "inventory" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
