/* routes.c - the API's route table (every routes_*.c file's routes, in one
 * array whose indexes the metrics use), route lookup, and what the route
 * files share: paging, constants, the API views of scans and schedules.
 *
 * Paths are exact (the original API passes ids as query parameters); one
 * trailing '/' is ignored.  The same table drives dispatch and
 * /openapi.json, so the document lists exactly what is served.
 */
#include "server/server_int.h"

#include "analyze/analyze.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct srv_route *const rt_tables[] = {
	srv_routes_inventory, srv_routes_links,	  srv_routes_cliques,	srv_routes_analyze,
	srv_routes_snapshots, srv_routes_designs, srv_routes_messages,	srv_routes_scans,
	srv_routes_schedules, srv_routes_envs,	  srv_routes_conntests, srv_routes_auth,
	srv_routes_users,     srv_routes_meta,
};

/* The link types the linker makes (analyze's single list), filled when
 * the route table is built. */
#define RT_MAX_LINK_TYPES 128
const char *srv_link_types[RT_MAX_LINK_TYPES + 1];

static void rt_link_types(void)
{
	const struct cal_link_type_def *d = cal_link_types();
	size_t n = 0;

	for (; d && d[n].name && n < RT_MAX_LINK_TYPES; n++)
		srv_link_types[n] = d[n].name;
	srv_link_types[n] = NULL;
}

static struct srv_route *rt_all;
static size_t rt_n;
static pthread_once_t rt_once = PTHREAD_ONCE_INIT;

static void rt_init(void)
{
	size_t n = 0, k = 0;

	rt_link_types();
	for (size_t t = 0; t < sizeof(rt_tables) / sizeof(rt_tables[0]); t++)
		for (const struct srv_route *r = rt_tables[t]; r->path; r++)
			n++;
	rt_all = calloc(n ? n : 1, sizeof(*rt_all));
	if (!rt_all)
		return;
	for (size_t t = 0; t < sizeof(rt_tables) / sizeof(rt_tables[0]); t++)
		for (const struct srv_route *r = rt_tables[t]; r->path; r++)
			rt_all[k++] = *r;
	rt_n = n;
}

const struct srv_route *srv_routes(size_t *n)
{
	pthread_once(&rt_once, rt_init);
	*n = rt_n;
	return rt_all;
}

const char *srv_method_name(unsigned m)
{
	switch (m) {
	case SRV_GET: return "GET";
	case SRV_POST: return "POST";
	case SRV_PUT: return "PUT";
	case SRV_PATCH: return "PATCH";
	case SRV_DELETE: return "DELETE";
	default: return "?";
	}
}

static bool rt_path_eq(const char *route, const char *path)
{
	size_t n = strlen(route);

	return strncmp(route, path, n) == 0 && (path[n] == '\0' || (path[n] == '/' && !path[n + 1]));
}

const struct srv_route *srv_route_find(const char *path, unsigned method, bool *path_known,
				       char *allow, size_t allowlen)
{
	const struct srv_route *all;
	size_t n, o = 0;

	all = srv_routes(&n);
	*path_known = false;
	if (allowlen)
		allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!rt_path_eq(all[i].path, path))
			continue;
		if (all[i].method == method)
			return &all[i];
		*path_known = true;
		if (o < allowlen)
			o += (size_t)snprintf(allow + o, allowlen - o, "%s%s", o ? ", " : "",
					      srv_method_name(all[i].method));
	}
	return NULL;
}

int srv_page_limit(const struct srv_req *r, int page_idx, int *offset)
{
	int64_t page = r->p[page_idx].set ? r->p[page_idx].i : 0;
	int64_t size = r->p[page_idx + 1].set ? r->p[page_idx + 1].i : 1000;

	/* Both are bounded by their declarations (1e6 pages of 1e4). */
	*offset = (int)(page * size);
	return (int)size;
}

int srv_check_env_exists(struct srv_req *r, const char *env)
{
	json_t *cfg = NULL;
	int rc = cal_store_env_get(r->st, &cfg, env);

	json_decref(cfg);
	if (rc == CAL_ENOTFOUND) {
		char *e = cal_str_escape(env);

		srv_reply_error(r, 400, "unknown environment '%s'", e ? e : "?");
		free(e);
		return -1;
	}
	if (rc)
		return srv_reply_cal(r, rc);
	return 0;
}

bool srv_page_take(int *skip, const json_t *page, int limit)
{
	if (*skip > 0) {
		(*skip)--;
		return false;
	}
	return (int)json_array_size(page) < limit;
}

void srv_reply_rows(struct srv_req *r, json_t *rows, const char *env, const char *one,
		    const char *key)
{
	if (one && json_array_size(rows) == 0) {
		if (srv_check_env_exists(r, env) == 0)
			srv_reply_error(r, 404, "%s not found in environment '%s'", one, env);
	} else if (one) {
		srv_reply_json(r, 200, json_incref(json_array_get(rows, 0)));
	} else if (json_array_size(rows) > 0 || srv_check_env_exists(r, env) == 0) {
		srv_reply_json(r, 200, json_pack("{s:O}", key, rows));
	}
	json_decref(rows);
}

const char *const srv_object_types[] = {
	"environment", "region",   "availability_zone", "aggregate",	 "project",
	"host",	       "instance", "vnic",		"vservice",	 "network",
	"port",	       "vconnector", "vedge",		"otep",		 "host_pnic",
	"switch",      "switch_pnic", "network_agent", NULL,
};


const char *const srv_scan_statuses[] = { "draft",  "pending", "running",
					  "completed", "completed_with_errors", "failed",
					  "aborted", NULL };
const char *const srv_log_levels[] = { "critical", "error", "warning", "info", "debug", NULL };
const char *const srv_message_levels[] = { "panic",   "alert",  "critical", "error", "warning",
					   "notice",  "info",   "debug",    NULL };
const char *const srv_freqs[] = { "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY", NULL };

json_t *srv_scan_view(struct srv *s, json_t *scan)
{
	json_t *req = json_object_get(scan, "request"), *progress;
	const char *key;
	json_t *v;

	if (!scan)
		return NULL;
	/* The original API's names, beside ours. */
	json_object_set(scan, "submit_timestamp", json_object_get(scan, "created"));
	json_object_set(scan, "start_timestamp", json_object_get(scan, "started"));
	json_object_set(scan, "end_timestamp", json_object_get(scan, "finished"));
	json_object_foreach(req, key, v)
		if (!json_object_get(scan, key) && strcmp(key, "env_name") != 0)
			json_object_set(scan, key, v);
	if (strcmp(cal_json_str(scan, "status"), "running") == 0 &&
	    (progress = srv_queue_progress(s->queue, cal_json_int(scan, "id", 0))))
		json_object_set_new(scan, "progress", progress);
	return scan;
}

json_t *srv_schedule_view(json_t *sched)
{
	json_t *req = json_object_get(sched, "request");
	const char *key;
	json_t *v;

	if (!sched)
		return NULL;
	json_object_del(sched, "next_run_us");
	json_object_set(sched, "scheduled_timestamp", json_object_get(sched, "next_run"));
	json_object_foreach(req, key, v)
		if (!json_object_get(sched, key))
			json_object_set(sched, key, v);
	return sched;
}
