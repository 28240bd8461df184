/* metrics.c - what /metrics exposes in Prometheus' text format (0.0.4):
 *   calipso_http_requests_total{route,method,code}     by status class
 *   calipso_http_request_duration_seconds{route,method} histogram
 *   calipso_scans_total{environment,status}
 *   calipso_scan_duration_seconds{environment}          histogram
 *   calipso_scheduled_runs_total
 *   calipso_inventory_objects{environment,type}         from the store
 *   calipso_scans_pending                               from the store
 *   calipso_cache_hits_total, calipso_cache_misses_total, calipso_cache_bytes
 *   calipso_build_info{version}, calipso_start_time_seconds
 * Request counters are per route (the route table's index) and updated
 * with atomics, without a lock; scan series are few and take a mutex.
 */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double mt_req_bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
					0.05,	0.1,   0.25,   0.5,   1,    2.5 };
#define MT_REQ_NB (sizeof(mt_req_bounds) / sizeof(mt_req_bounds[0]))
static const double mt_scan_bounds[] = { 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600 };
#define MT_SCAN_NB (sizeof(mt_scan_bounds) / sizeof(mt_scan_bounds[0]))
#define MT_MAX_ENVS 256

struct mt_route {
	atomic_ullong codes[6];           /* 1xx..5xx; [0] other */
	atomic_ullong buckets[MT_REQ_NB]; /* non-cumulative */
	atomic_ullong count, sum_us;
};

struct mt_scan_series {
	char env[128];
	unsigned long long by_status[8];
	unsigned long long buckets[MT_SCAN_NB];
	unsigned long long count;
	double sum_s;
};

struct srv_metrics {
	size_t nroutes;
	struct mt_route *routes; /* nroutes + 2: static files, unmatched */
	pthread_mutex_t mu;
	struct mt_scan_series *scans;
	size_t nscans;
	atomic_ullong schedule_runs;
	int64_t started_us;
};

struct srv_metrics *srv_metrics_new(size_t nroutes)
{
	struct srv_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nroutes = nroutes;
	m->routes = calloc(nroutes + 2, sizeof(*m->routes));
	m->scans = calloc(MT_MAX_ENVS, sizeof(*m->scans));
	if (!m->routes || !m->scans) {
		srv_metrics_free(m);
		return NULL;
	}
	pthread_mutex_init(&m->mu, NULL);
	m->started_us = cal_time_now_us();
	return m;
}

void srv_metrics_free(struct srv_metrics *m)
{
	if (!m)
		return;
	if (m->routes && m->scans)
		pthread_mutex_destroy(&m->mu);
	free(m->routes);
	free(m->scans);
	free(m);
}

void srv_metrics_request(struct srv_metrics *m, int route_index, unsigned status,
			 int64_t duration_us)
{
	struct mt_route *r;
	double sec = (double)duration_us / 1e6;
	size_t b = 0;

	if (!m)
		return;
	if (route_index >= 0 && (size_t)route_index < m->nroutes)
		r = &m->routes[route_index];
	else
		r = &m->routes[m->nroutes + (route_index == -2 ? 0 : 1)];
	atomic_fetch_add(&r->codes[status >= 100 && status < 600 ? status / 100 : 0], 1);
	while (b < MT_REQ_NB && sec > mt_req_bounds[b])
		b++;
	if (b < MT_REQ_NB)
		atomic_fetch_add(&r->buckets[b], 1);
	atomic_fetch_add(&r->count, 1);
	atomic_fetch_add(&r->sum_us, (unsigned long long)(duration_us > 0 ? duration_us : 0));
}

void srv_metrics_scan(struct srv_metrics *m, const char *env, const char *status,
		      int64_t duration_us)
{
	struct mt_scan_series *sc = NULL;
	int st = cal_scan_status_from_name(status);
	double sec = (double)duration_us / 1e6;
	size_t b = 0;

	if (!m || !env)
		return;
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < m->nscans && !sc; i++)
		if (strcmp(m->scans[i].env, env) == 0)
			sc = &m->scans[i];
	if (!sc && m->nscans < MT_MAX_ENVS) {
		sc = &m->scans[m->nscans++];
		snprintf(sc->env, sizeof(sc->env), "%s", env);
	}
	if (sc) {
		if (st >= 0 && st < 8)
			sc->by_status[st]++;
		while (b < MT_SCAN_NB && sec > mt_scan_bounds[b])
			b++;
		if (b < MT_SCAN_NB)
			sc->buckets[b]++;
		sc->count++;
		sc->sum_s += sec;
	}
	pthread_mutex_unlock(&m->mu);
}

void srv_metrics_schedule_run(struct srv_metrics *m)
{
	if (m)
		atomic_fetch_add(&m->schedule_runs, 1);
}

/* A label value with \, " and newlines escaped. */
static const char *mt_label(char *out, size_t n, const char *v)
{
	size_t o = 0;

	for (; v && *v && o + 3 < n; v++) {
		if (*v == '\\' || *v == '"') {
			out[o++] = '\\';
			out[o++] = *v;
		} else if (*v == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *v;
		}
	}
	out[o] = '\0';
	return out;
}

static void mt_requests(struct srv_metrics *m, struct cal_buf *b)
{
	const struct srv_route *routes;
	size_t n;
	static const char *const classes[] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };

	routes = srv_routes(&n);
	cal_buf_printf(b, "# HELP calipso_http_requests_total HTTP requests answered, by route "
			  "and status class.\n# TYPE calipso_http_requests_total counter\n");
	for (size_t i = 0; i < m->nroutes + 2; i++) {
		const char *path = i < m->nroutes ? routes[i].path : i == m->nroutes ? "static" : "unmatched";
		const char *meth = i < m->nroutes ? srv_method_name(routes[i].method) : "any";

		for (size_t c = 0; c < 6; c++) {
			unsigned long long v = atomic_load(&m->routes[i].codes[c]);

			if (v)
				cal_buf_printf(b, "calipso_http_requests_total{route=\"%s\","
						  "method=\"%s\",code=\"%s\"} %llu\n", path, meth,
					       classes[c], v);
		}
	}
	cal_buf_printf(b, "# HELP calipso_http_request_duration_seconds Time to answer a "
			  "request.\n# TYPE calipso_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i < m->nroutes + 2; i++) {
		const char *path = i < m->nroutes ? routes[i].path : i == m->nroutes ? "static" : "unmatched";
		const char *meth = i < m->nroutes ? srv_method_name(routes[i].method) : "any";
		unsigned long long count = atomic_load(&m->routes[i].count), cum = 0;

		if (!count)
			continue;
		for (size_t k = 0; k < MT_REQ_NB; k++) {
			cum += atomic_load(&m->routes[i].buckets[k]);
			cal_buf_printf(b, "calipso_http_request_duration_seconds_bucket{"
					  "route=\"%s\",method=\"%s\",le=\"%g\"} %llu\n", path,
				       meth, mt_req_bounds[k], cum);
		}
		cal_buf_printf(b, "calipso_http_request_duration_seconds_bucket{route=\"%s\","
				  "method=\"%s\",le=\"+Inf\"} %llu\n", path, meth, count);
		cal_buf_printf(b, "calipso_http_request_duration_seconds_sum{route=\"%s\","
				  "method=\"%s\"} %.6f\n", path, meth,
			       (double)atomic_load(&m->routes[i].sum_us) / 1e6);
		cal_buf_printf(b, "calipso_http_request_duration_seconds_count{route=\"%s\","
				  "method=\"%s\"} %llu\n", path, meth, count);
	}
}

static void mt_scans(struct srv_metrics *m, struct cal_buf *b)
{
	char env[300];

	pthread_mutex_lock(&m->mu);
	cal_buf_printf(b, "# HELP calipso_scans_total Scans this server ran, by final status.\n"
			  "# TYPE calipso_scans_total counter\n");
	for (size_t i = 0; i < m->nscans; i++)
		for (int st = 0; st < 8; st++)
			if (m->scans[i].by_status[st])
				cal_buf_printf(b, "calipso_scans_total{environment=\"%s\","
						  "status=\"%s\"} %llu\n",
					       mt_label(env, sizeof(env), m->scans[i].env),
					       cal_scan_status_name((enum cal_scan_status)st),
					       m->scans[i].by_status[st]);
	cal_buf_printf(b, "# HELP calipso_scan_duration_seconds Duration of scans this server "
			  "ran.\n# TYPE calipso_scan_duration_seconds histogram\n");
	for (size_t i = 0; i < m->nscans; i++) {
		unsigned long long cum = 0;

		mt_label(env, sizeof(env), m->scans[i].env);
		for (size_t k = 0; k < MT_SCAN_NB; k++) {
			cum += m->scans[i].buckets[k];
			cal_buf_printf(b, "calipso_scan_duration_seconds_bucket{environment=\"%s\","
					  "le=\"%g\"} %llu\n", env, mt_scan_bounds[k], cum);
		}
		cal_buf_printf(b, "calipso_scan_duration_seconds_bucket{environment=\"%s\","
				  "le=\"+Inf\"} %llu\n", env, m->scans[i].count);
		cal_buf_printf(b, "calipso_scan_duration_seconds_sum{environment=\"%s\"} %.6f\n",
			       env, m->scans[i].sum_s);
		cal_buf_printf(b, "calipso_scan_duration_seconds_count{environment=\"%s\"} %llu\n",
			       env, m->scans[i].count);
	}
	pthread_mutex_unlock(&m->mu);
}

/* Object counts per environment and type; pending scans. */
static int mt_store(struct cal_buf *b, cal_store *st)
{
	json_t *envs = NULL, *e, *pending = NULL;
	struct cal_scan_query q = { .status = "pending", .limit = 100000 };
	char env[300];
	size_t i;
	int rc;

	rc = cal_store_env_list(st, &envs);
	if (rc)
		return rc;
	cal_buf_printf(b, "# HELP calipso_inventory_objects Live objects, by environment and "
			  "type.\n# TYPE calipso_inventory_objects gauge\n");
	json_array_foreach(envs, i, e) {
		json_t *counts = NULL, *v;
		const char *type;

		rc = cal_store_counts(st, &counts, cal_json_str(e, "name"));
		if (rc)
			break;
		mt_label(env, sizeof(env), cal_json_str(e, "name"));
		json_object_foreach(counts, type, v)
			cal_buf_printf(b, "calipso_inventory_objects{environment=\"%s\","
					  "type=\"%s\"} %lld\n", env, type,
				       (long long)json_integer_value(v));
		json_decref(counts);
	}
	json_decref(envs);
	if (rc == 0)
		rc = cal_store_scans_find(st, &pending, &q);
	if (rc == 0)
		cal_buf_printf(b, "# HELP calipso_scans_pending Scans waiting in the queue.\n"
				  "# TYPE calipso_scans_pending gauge\ncalipso_scans_pending %zu\n",
			       json_array_size(pending));
	json_decref(pending);
	return rc;
}

char *srv_metrics_render(struct srv_metrics *m, struct srv_cache *cache, cal_store *st,
			 size_t *len)
{
	struct cal_buf b = { 0 };
	unsigned long long hits, misses;
	size_t bytes, n;
	char *text;

	*len = 0;
	cal_buf_printf(&b, "# HELP calipso_build_info The running version.\n"
			   "# TYPE calipso_build_info gauge\n"
			   "calipso_build_info{version=\"%s\"} 1\n"
			   "# HELP calipso_start_time_seconds When the server started.\n"
			   "# TYPE calipso_start_time_seconds gauge\n"
			   "calipso_start_time_seconds %.3f\n",
		       CAL_VERSION, (double)m->started_us / 1e6);
	mt_requests(m, &b);
	mt_scans(m, &b);
	srv_cache_stats(cache, &hits, &misses, &bytes);
	cal_buf_printf(&b, "# HELP calipso_cache_hits_total Answers given from the response "
			   "cache.\n# TYPE calipso_cache_hits_total counter\n"
			   "calipso_cache_hits_total %llu\n"
			   "# HELP calipso_cache_misses_total Cacheable answers made afresh.\n"
			   "# TYPE calipso_cache_misses_total counter\n"
			   "calipso_cache_misses_total %llu\n"
			   "# HELP calipso_cache_bytes Bytes of answers the cache keeps.\n"
			   "# TYPE calipso_cache_bytes gauge\ncalipso_cache_bytes %zu\n",
		       hits, misses, bytes);
	cal_buf_printf(&b, "# HELP calipso_scheduled_runs_total Schedules that fired.\n"
			   "# TYPE calipso_scheduled_runs_total counter\n"
			   "calipso_scheduled_runs_total %llu\n", atomic_load(&m->schedule_runs));
	if (mt_store(&b, st)) {
		cal_buf_free(&b);
		return NULL;
	}
	n = b.len;
	text = cal_buf_take(&b);
	if (text)
		*len = n;
	return text;
}
