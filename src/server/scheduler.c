/* scheduler.c - scheduled scans (and, once they exist, snapshots: the
 * record has a `kind`).  One thread; every tick (1 s, 0.2 s with a clock
 * file) it reads the server's clock (clock.c), asks the store for enabled
 * schedules whose next run has come, and for each:
 *   - computes the following run from now (a run missed while the server
 *     was down therefore runs once, at start, and the schedule goes on
 *     from the present);
 *   - claims the run with a compare-and-set on next_run, so that two
 *     servers sharing a database do not both run it;
 *   - queues a scan with the schedule's options, unless one queued by
 *     this schedule is still pending (a slow queue does not pile up runs).
 * A scheduled snapshot is named PREFIX-YYYYMMDD-HHMM (the run's time, UTC)
 * and taken at once, or after a scan it queues (request "scan": true).
 * It also purges tokens that expired more than a day ago, once a minute.
 */
#include "server/server_int.h"

#include "analyze/analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SC_TICK_MS 1000
#define SC_TICK_CLOCK_FILE_MS 200
#define SC_PURGE_EVERY_US (60 * 1000000LL)
#define SC_TOKEN_KEEP_US (24 * 3600 * 1000000LL)

struct srv_sched {
	struct srv *s;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	int64_t last_purge;
};

int srv_schedule_prepare(json_t *sc, int64_t now)
{
	const char *freq = cal_json_str_or_null(sc, "freq");
	const char *expr = cal_json_str_or_null(sc, "cron");
	const char *zone = cal_json_str_or_null(sc, "timezone");
	struct cal_cron cron;
	cal_tz *tz = NULL;
	int64_t next = 0;
	int rc;

	if (!freq == !expr)
		return cal_error_set(CAL_EINVALID, "a scheduled scan needs either 'freq' (HOURLY, "
				     "DAILY, WEEKLY, MONTHLY, YEARLY) or 'cron' (a 5-field "
				     "expression), not both");
	if (freq) {
		expr = cal_cron_freq_expr(freq);
		if (!expr)
			return cal_error_set(CAL_EINVALID, "freq '%s' is not HOURLY, DAILY, WEEKLY, "
					     "MONTHLY or YEARLY", freq);
		json_object_set_new(sc, "cron", json_string(expr));
	}
	if (!zone) {
		zone = "UTC";
		json_object_set_new(sc, "timezone", json_string(zone));
	}
	rc = cal_cron_parse(&cron, expr);
	if (rc)
		return rc;
	rc = cal_tz_load(&tz, zone);
	if (rc)
		return rc;
	rc = cal_cron_next(&next, &cron, tz, now);
	cal_tz_free(tz);
	if (rc)
		return rc;
	json_object_set_new(sc, "next_run_us", json_integer(next));
	return 0;
}

/* The run after `now` of a stored schedule; -1 when it has none (an
 * expression or zone that no longer loads: logged). */
static int64_t sc_next(const json_t *sc, int64_t now)
{
	struct cal_cron cron;
	cal_tz *tz = NULL;
	int64_t next = -1;

	if (cal_cron_parse(&cron, cal_json_str(sc, "cron")) ||
	    cal_tz_load(&tz, cal_json_str(sc, "timezone")) || cal_cron_next(&next, &cron, tz, now)) {
		cal_log_warn("sched", "schedule %lld: %s; it will not run again",
			     (long long)cal_json_int(sc, "id", 0), cal_error_last());
		next = -1;
	}
	cal_tz_free(tz);
	return next;
}

/* Whether a scan this schedule queued is still waiting. */
static bool sc_has_pending(cal_store *st, const json_t *sc)
{
	json_int_t last = cal_json_int(sc, "last_scan_id", 0);
	json_t *scan = NULL;
	bool pending;

	if (last <= 0 || cal_store_scan_get(st, &scan, last))
		return false;
	pending = strcmp(cal_json_str(scan, "status"), "pending") == 0;
	json_decref(scan);
	return pending;
}

/* A scheduled snapshot: now, or after a scan. */
static void sc_snapshot(struct srv_sched *sc, cal_store *st, const json_t *sched, int64_t now)
{
	int64_t id = cal_json_int(sched, "id", 0), scan_id = 0;
	const char *env = cal_json_str(sched, "environment");
	json_t *req = json_object_get(sched, "request"), *spec, *snap = NULL;
	struct cal_snapshot_opts o = { 0 };
	char name[200];
	int64_t y;
	int m, d, hh, mm;

	cal_civil_from_days(now / 1000000 / 86400, &y, &m, &d);
	hh = (int)(now / 1000000 % 86400 / 3600);
	mm = (int)(now / 1000000 % 3600 / 60);
	snprintf(name, sizeof(name), "%s-%04lld%02d%02d-%02d%02d",
		 json_object_get(req, "name_prefix") ? cal_json_str(req, "name_prefix") : "scheduled",
		 (long long)y, m, d, hh, mm);
	spec = json_pack("{s:s, s:O, s:O, s:O}", "name", name, "note",
			 json_object_get(req, "note") ? json_object_get(req, "note") : json_null(),
			 "pinned", json_object_get(req, "pinned") ? json_object_get(req, "pinned")
								  : json_false(),
			 "clique", json_object_get(req, "clique") ? json_object_get(req, "clique")
								  : json_null());
	if (json_is_true(json_object_get(req, "scan"))) {
		json_t *scan_req = json_pack("{s:I, s:O}", "schedule_id", (json_int_t)id, "snapshot",
					     spec);

		if (srv_scan_enqueue(sc->s, st, &scan_id, env, scan_req) == 0) {
			cal_store_schedule_set_scan(st, id, scan_id);
			srv_message(st, env, "info", "scheduled_snapshot", id, "scheduled snapshot "
				    "%lld queued scan %lld, then '%s'", (long long)id,
				    (long long)scan_id, name);
		} else {
			srv_message(st, env, "error", "scheduled_snapshot", id, "scheduled snapshot "
				    "%lld: cannot queue a scan: %s", (long long)id, cal_error_last());
		}
		json_decref(scan_req);
		json_decref(spec);
		return;
	}
	o.name = name;
	o.note = cal_json_str_or_null(spec, "note");
	o.clique = cal_json_str_or_null(spec, "clique");
	o.pinned = json_is_true(json_object_get(spec, "pinned"));
	if (cal_snapshot_create(st, &snap, env, &o))
		srv_message(st, env, "error", "scheduled_snapshot", id, "scheduled snapshot %lld: "
			    "'%s' failed: %s", (long long)id, name, cal_error_last());
	else
		srv_message(st, env, "info", "scheduled_snapshot", id, "scheduled snapshot %lld "
			    "took '%s'", (long long)id, name);
	json_decref(snap);
	json_decref(spec);
}

static void sc_fire(struct srv_sched *sc, cal_store *st, const json_t *sched, int64_t now)
{
	int64_t id = cal_json_int(sched, "id", 0), expected = cal_json_int(sched, "next_run_us", 0);
	int64_t next = sc_next(sched, now), scan_id = 0;
	const char *env = cal_json_str(sched, "environment");
	json_t *req;
	bool claimed = false;
	char when[CAL_TIME_BUFSZ];

	if (cal_store_schedule_claim(st, &claimed, id, expected, now, next) || !claimed)
		return;
	srv_metrics_schedule_run(sc->s->metrics);
	if (strcmp(cal_json_str(sched, "kind"), "snapshot") == 0) {
		sc_snapshot(sc, st, sched, now);
		return;
	}
	if (strcmp(cal_json_str(sched, "kind"), "scan") != 0) {
		cal_log_warn("sched", "schedule %lld: kind '%s' is not known to this server",
			     (long long)id, cal_json_str(sched, "kind"));
		return;
	}
	if (sc_has_pending(st, sched)) {
		srv_message(st, env, "warning", "scheduled_scan", id, "scheduled scan %lld: scan "
			    "%lld is still pending, no new one queued", (long long)id,
			    (long long)cal_json_int(sched, "last_scan_id", 0));
		return;
	}
	req = json_deep_copy(json_object_get(sched, "request"));
	if (!req)
		req = json_object();
	json_object_set_new(req, "schedule_id", json_integer(id));
	if (srv_scan_enqueue(sc->s, st, &scan_id, env, req)) {
		cal_log_error("sched", "schedule %lld: cannot queue a scan: %s", (long long)id,
			      cal_error_last());
		srv_message(st, env, "error", "scheduled_scan", id, "scheduled scan %lld: cannot "
			    "queue a scan: %s", (long long)id, cal_error_last());
	} else {
		cal_store_schedule_set_scan(st, id, scan_id);
		srv_message(st, env, "info", "scheduled_scan", id, "scheduled scan %lld queued scan "
			    "%lld; next run %s", (long long)id, (long long)scan_id,
			    next > 0 ? cal_time_format(when, next) : "none");
	}
	json_decref(req);
}

static void sc_tick(struct srv_sched *sc, cal_store *st)
{
	int64_t now, removed = 0;
	json_t *due = NULL, *sched;
	size_t i;

	srv_clock_refresh(sc->s);
	now = srv_now(sc->s);
	if (cal_store_schedule_due(st, &due, now)) {
		cal_log_warn("sched", "cannot read the schedules: %s", cal_error_last());
		return;
	}
	json_array_foreach(due, i, sched)
		sc_fire(sc, st, sched, now);
	json_decref(due);
	if (cal_time_mono_us() - sc->last_purge > SC_PURGE_EVERY_US) {
		sc->last_purge = cal_time_mono_us();
		if (cal_store_token_purge(st, now - SC_TOKEN_KEEP_US, &removed) == 0 && removed)
			cal_log_info("api", "%lld old token%s removed", (long long)removed,
				     removed == 1 ? "" : "s");
	}
}

static void *sc_main(void *arg)
{
	struct srv_sched *sc = arg;
	int tick_ms = sc->s->opts.clock_file ? SC_TICK_CLOCK_FILE_MS : SC_TICK_MS;

	sc->last_purge = cal_time_mono_us();
	for (;;) {
		cal_store *st = srv_store(sc->s);
		struct timespec ts;

		if (st)
			sc_tick(sc, st);
		pthread_mutex_lock(&sc->mu);
		if (!sc->stop) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)tick_ms * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&sc->cv, &sc->mu, &ts);
		}
		if (sc->stop) {
			pthread_mutex_unlock(&sc->mu);
			return NULL;
		}
		pthread_mutex_unlock(&sc->mu);
	}
}

void srv_sched_kick(struct srv_sched *sc)
{
	if (!sc)
		return;
	pthread_mutex_lock(&sc->mu);
	pthread_cond_broadcast(&sc->cv);
	pthread_mutex_unlock(&sc->mu);
}

struct srv_sched *srv_sched_new(struct srv *s)
{
	struct srv_sched *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	sc->s = s;
	pthread_mutex_init(&sc->mu, NULL);
	pthread_cond_init(&sc->cv, NULL);
	if (pthread_create(&sc->th, NULL, sc_main, sc)) {
		srv_sched_free(sc);
		return NULL;
	}
	sc->started = true;
	return sc;
}

void srv_sched_free(struct srv_sched *sc)
{
	if (!sc)
		return;
	pthread_mutex_lock(&sc->mu);
	sc->stop = true;
	pthread_cond_broadcast(&sc->cv);
	pthread_mutex_unlock(&sc->mu);
	if (sc->started)
		pthread_join(sc->th, NULL);
	pthread_mutex_destroy(&sc->mu);
	pthread_cond_destroy(&sc->cv);
	free(sc);
}
