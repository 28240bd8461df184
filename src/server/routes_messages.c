/* routes_messages.c - /messages: what the server (scans, schedules) and
 * later monitoring and event listeners told operators, filtered as in the
 * original API (env_name, id, source_system, level, related_object,
 * related_object_type, start_time, end_time, paging), newest first.
 */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MSG_ENV, MSG_ID, MSG_SOURCE, MSG_LEVEL, MSG_OBJ, MSG_OBJ_TYPE, MSG_START, MSG_END,
       MSG_PAGE, MSG_PAGE_SIZE };

static const struct srv_param msg_params[] = {
	[MSG_ENV] = { "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "environment" },
	[MSG_ID] = { "id", SRV_P_INT, 0, NULL, 1, INT64_MAX, "one message" },
	[MSG_SOURCE] = { "source_system", SRV_P_STR, 0, NULL, 0, 0, "Calipso, OpenStack, ..." },
	[MSG_LEVEL] = { "level", SRV_P_ENUM, 0, srv_message_levels, 0, 0, "severity" },
	[MSG_OBJ] = { "related_object", SRV_P_STR, 0, NULL, 0, 0, "object id" },
	[MSG_OBJ_TYPE] = { "related_object_type", SRV_P_ENUM, 0, srv_object_types, 0, 0,
			   "object type" },
	[MSG_START] = { "start_time", SRV_P_TIME, 0, NULL, 0, 0, "at or after this time" },
	[MSG_END] = { "end_time", SRV_P_TIME, 0, NULL, 0, 0, "at or before this time" },
	[MSG_PAGE] = SRV_PARAM_PAGE,
	[MSG_PAGE_SIZE] = SRV_PARAM_PAGE_SIZE,
	SRV_PARAM_END,
};

static void msg_get(struct srv_req *r)
{
	const char *env = r->p[MSG_ENV].s;
	struct cal_message_query q = { .env = env };
	json_t *arr = NULL;
	char one[40];
	int rc;

	if (srv_require_env(r, env, false))
		return;
	q.id = r->p[MSG_ID].set ? r->p[MSG_ID].i : 0;
	q.source_system = r->p[MSG_SOURCE].s;
	q.level = r->p[MSG_LEVEL].s;
	q.related_object = r->p[MSG_OBJ].s;
	q.related_object_type = r->p[MSG_OBJ_TYPE].s;
	q.start = r->p[MSG_START].set ? r->p[MSG_START].i : 0;
	q.end = r->p[MSG_END].set ? r->p[MSG_END].i : 0;
	q.limit = srv_page_limit(r, MSG_PAGE, &q.offset);
	rc = cal_store_messages(r->st, &arr, &q);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	snprintf(one, sizeof(one), "message %lld", (long long)q.id);
	srv_reply_rows(r, arr, env, q.id ? one : NULL, "messages");
}

const struct srv_route srv_routes_messages[] = {
	{ "/messages", SRV_GET, msg_get, SRV_USER, msg_params, NULL,
	  "messages of an environment, newest first", "messages" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
