/* scan_queue.c - scans asked through the API (POST /scans) or by the
 * scheduler: recorded as pending in the store, run by worker threads
 * through cal_pipeline_run(), the same path as `calipso scan`.
 *
 * Workers claim the oldest pending scan of an environment that has no
 * running scan (cal_store_scan_claim(): one scan per environment at a
 * time, also across servers sharing a database).  Pending scans survive a
 * restart; scans left running by a crash are failed at start (http.c).
 * While a scan runs, its progress (the step the pipeline reports) is kept
 * here for GET /scans?id=...
 *
 * Request options: clear (do not keep failed sources' data),
 * scan_only_inventory, scan_only_links, scan_only_cliques (all run by the
 * pipeline, as `calipso scan --only`), object_id (recorded; the sources read whole hosts,
 * so the environment is scanned), log_level (recorded), snapshot (a
 * snapshot taken once the scan answered: POST /snapshots with "scan").
 *
 * Shutdown lets running scans finish; a worker waits at most 2 s between
 * looks at the store, so scans queued by other processes are found too.
 */
#include "server/server_int.h"

#include "analyze/analyze.h"
#include "pipeline/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SQ_IDLE_WAIT_S 2

struct srv_queue {
	struct srv *s;
	pthread_t *th;
	int nth;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	unsigned kicks;
	json_t *running; /* "<id>" -> {"id", "environment", "progress"} */
};

struct sq_progress {
	struct srv_queue *q;
	int64_t id;
};

static void sq_step(const char *what, int done, int total, void *arg)
{
	struct sq_progress *p = arg;
	char key[32], when[CAL_TIME_BUFSZ];
	json_t *entry;

	snprintf(key, sizeof(key), "%lld", (long long)p->id);
	pthread_mutex_lock(&p->q->mu);
	entry = json_object_get(p->q->running, key);
	if (entry)
		json_object_set_new(entry, "progress",
				    json_pack("{s:s, s:i, s:i, s:s}", "step", what ? what : "",
					      "done", done, "total", total, "updated",
					      cal_time_format(when, cal_time_now_us())));
	pthread_mutex_unlock(&p->q->mu);
}

json_t *srv_queue_progress(struct srv_queue *q, int64_t scan_id)
{
	char key[32];
	json_t *p = NULL;

	if (!q)
		return NULL;
	snprintf(key, sizeof(key), "%lld", (long long)scan_id);
	pthread_mutex_lock(&q->mu);
	p = json_object_get(json_object_get(q->running, key), "progress");
	p = p ? json_deep_copy(p) : NULL;
	pthread_mutex_unlock(&q->mu);
	return p;
}

json_t *srv_queue_running(struct srv_queue *q)
{
	json_t *arr = json_array(), *v;
	const char *key;

	if (!q || !arr)
		return arr;
	pthread_mutex_lock(&q->mu);
	json_object_foreach(q->running, key, v)
		json_array_append_new(arr, json_pack("{s:O, s:O}", "id", json_object_get(v, "id"),
						     "environment",
						     json_object_get(v, "environment")));
	pthread_mutex_unlock(&q->mu);
	return arr;
}

/* A snapshot asked to follow the scan (POST /snapshots with "scan", or a
 * scheduled snapshot): taken when the scan answered at all. */
static void sq_snapshot(cal_store *st, const char *env, int64_t id, const char *status,
			const json_t *spec)
{
	struct cal_snapshot_opts o = { 0 };
	json_t *snap = NULL;

	if (strcmp(status, "completed") != 0 && strcmp(status, "completed_with_errors") != 0) {
		srv_message(st, env, "error", "scan", id, "snapshot '%s' not taken: scan %lld %s",
			    cal_json_str(spec, "name"), (long long)id, status);
		return;
	}
	o.name = cal_json_str(spec, "name");
	o.note = cal_json_str_or_null(spec, "note");
	o.clique = cal_json_str_or_null(spec, "clique");
	o.pinned = json_is_true(json_object_get(spec, "pinned"));
	o.scan_id = id;
	if (cal_snapshot_create(st, &snap, env, &o))
		srv_message(st, env, "error", "scan", id, "snapshot '%s' after scan %lld failed: %s",
			    o.name, (long long)id, cal_error_last());
	else
		srv_message(st, env, "info", "scan", id, "snapshot '%s' taken after scan %lld",
			    o.name, (long long)id);
	json_decref(snap);
}

static void sq_run(struct srv_queue *q, cal_store *st, json_t *scan)
{
	int64_t id = cal_json_int(scan, "id", 0), t0 = cal_time_mono_us();
	const char *env = cal_json_str(scan, "environment");
	json_t *req = json_object_get(scan, "request"), *rec = NULL;
	struct sq_progress pctx = { q, id };
	struct cal_scan_progress progress = { sq_step, &pctx };
	struct cal_scan_request sr = { 0 };
	const char *status, *level;
	char key[32];
	int rc;

	snprintf(key, sizeof(key), "%lld", (long long)id);
	pthread_mutex_lock(&q->mu);
	json_object_set_new(q->running, key, json_pack("{s:I, s:s}", "id", (json_int_t)id,
						       "environment", env));
	pthread_mutex_unlock(&q->mu);
	srv_message(st, env, "info", "scan", id, "scan %lld started", (long long)id);
	cal_log_info("scan", "scan %lld of environment '%s' started", (long long)id, env);
	sr.env = env;
	sr.clear = json_is_true(json_object_get(req, "clear"));
	sr.inventory_only = json_is_true(json_object_get(req, "scan_only_inventory"));
	sr.links_only = json_is_true(json_object_get(req, "scan_only_links"));
	sr.cliques_only = json_is_true(json_object_get(req, "scan_only_cliques"));
	sr.log_level = cal_json_str_or_null(req, "log_level");
	rc = cal_pipeline_run(st, &rec, id, &sr, &progress);
	if (rc && !rec)
		cal_store_scan_get(st, &rec, id);
	status = rec ? cal_json_str(rec, "status") : "failed";
	if (json_object_get(req, "snapshot"))
		sq_snapshot(st, env, id, status, json_object_get(req, "snapshot"));
	level = strcmp(status, "completed") == 0 ? "info"
		: strcmp(status, "completed_with_errors") == 0 ? "warning" : "error";
	if (rc)
		srv_message(st, env, "error", "scan", id, "scan %lld failed: %s", (long long)id,
			    cal_error_last());
	else
		srv_message(st, env, level, "scan", id, "scan %lld %s%s%s", (long long)id, status,
			    *cal_json_str(json_object_get(rec, "result"), "error") ? ": " : "",
			    cal_json_str(json_object_get(rec, "result"), "error"));
	cal_log_info("scan", "scan %lld of environment '%s': %s", (long long)id, env, status);
	srv_metrics_scan(q->s->metrics, env, status, cal_time_mono_us() - t0);
	json_decref(rec);
	pthread_mutex_lock(&q->mu);
	json_object_del(q->running, key);
	pthread_mutex_unlock(&q->mu);
}

static void *sq_main(void *arg)
{
	struct srv_queue *q = arg;

	for (;;) {
		cal_store *st = srv_store(q->s);
		json_t *scan = NULL;
		unsigned kicks;
		int rc = 0;

		pthread_mutex_lock(&q->mu);
		if (q->stop) {
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		kicks = q->kicks;
		pthread_mutex_unlock(&q->mu);
		if (st)
			rc = cal_store_scan_claim(st, &scan);
		if (rc)
			cal_log_warn("scan", "cannot look for queued scans: %s", cal_error_last());
		if (scan) {
			sq_run(q, st, scan);
			json_decref(scan);
			continue;
		}
		pthread_mutex_lock(&q->mu);
		if (!q->stop && kicks == q->kicks) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += SQ_IDLE_WAIT_S;
			pthread_cond_timedwait(&q->cv, &q->mu, &ts);
		}
		pthread_mutex_unlock(&q->mu);
	}
}

void srv_queue_kick(struct srv_queue *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->kicks++;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

struct srv_queue *srv_queue_new(struct srv *s, int nworkers)
{
	struct srv_queue *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->s = s;
	q->running = json_object();
	q->th = calloc((size_t)nworkers, sizeof(*q->th));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (!q->running || !q->th) {
		srv_queue_free(q);
		return NULL;
	}
	for (int i = 0; i < nworkers; i++) {
		if (pthread_create(&q->th[i], NULL, sq_main, q)) {
			srv_queue_free(q);
			return NULL;
		}
		q->nth++;
	}
	return q;
}

void srv_queue_free(struct srv_queue *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (int i = 0; i < q->nth; i++)
		pthread_join(q->th[i], NULL);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	json_decref(q->running);
	free(q->th);
	free(q);
}

int srv_scan_enqueue(struct srv *s, cal_store *st, int64_t *out_id, const char *env,
		     const json_t *request)
{
	json_t *req = json_deep_copy(request);
	int rc;

	*out_id = 0;
	if (!req)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	json_object_del(req, "env_name");
	json_object_set_new(req, "environment", json_string(env));
	rc = cal_store_scan_create(st, out_id, env, req);
	json_decref(req);
	if (rc)
		return rc;
	srv_queue_kick(s->queue);
	return 0;
}
