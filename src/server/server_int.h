/* server_int.h - private to src/server: the server's state, requests,
 * routes and the helpers the route files share.
 *
 * Threads: libmicrohttpd's pool (HTTP requests), the defer workers (slow
 * requests: password hashing, connection tests), the scan queue workers
 * and the scheduler.  Each thread uses its own cal_store, opened on first
 * use (srv_store()) and closed when the thread ends.
 */
#ifndef CALIPSO_SERVER_INT_H
#define CALIPSO_SERVER_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "server/server.h"

/* ------------------------------------------------------------------ */
/* Query strings and bodies (params.c, pure)                           */
/* ------------------------------------------------------------------ */

#define SRV_MAX_ARGS 64
#define SRV_MAX_QUERY 8192

/* Decoded key/value pairs of a query string, in order. */
struct srv_args {
	size_t n;
	struct {
		const char *key, *val;
	} kv[SRV_MAX_ARGS];
	char *buf; /* owns the decoded text */
};

/* Splits and percent-decodes `query` (len bytes, without the '?'):
 * '&'-separated key[=value] pairs, '+' is a space.  CAL_EINVALID with a
 * message in err for a bad escape, a NUL byte, an empty key, too many
 * pairs or too long a query. */
int srv_args_parse(struct srv_args *out, const char *query, size_t len, char *err,
		   size_t errlen);
void srv_args_free(struct srv_args *a);

enum srv_ptype {
	SRV_P_STR,
	SRV_P_INT,   /* decimal, within [min, max] */
	SRV_P_BOOL,  /* true/false/1/0 */
	SRV_P_TIME,  /* cal_time_parse(); '+' of an offset may arrive as ' ' */
	SRV_P_ENUM,  /* one of choices */
};

#define SRV_P_REQUIRED 1u
#define SRV_P_PREFIX 2u /* name is a prefix ("attributes:"): any key with it */

struct srv_param {
	const char *name;
	enum srv_ptype type;
	unsigned flags;
	const char *const *choices; /* SRV_P_ENUM, NULL-terminated */
	int64_t min, max;           /* SRV_P_INT */
	const char *doc;            /* OpenAPI description */
};

struct srv_pval {
	bool set;
	const char *s; /* the text (borrowed from the args) */
	int64_t i;     /* SRV_P_INT, SRV_P_TIME (microseconds) */
	bool b;
};

/* Checks `args` against `spec` (NULL-name terminated) and fills vals[i]
 * for spec[i]: unknown keys, repeated keys, missing required ones, wrong
 * types and values are CAL_EINVALID with a message naming the key and
 * quoting the value. */
int srv_params_check(struct srv_pval *vals, const struct srv_param *spec,
		     const struct srv_args *args, char *err, size_t errlen);

enum srv_ftype {
	SRV_F_STR,
	SRV_F_INT,
	SRV_F_BOOL,
	SRV_F_ENUM,     /* a string among choices */
	SRV_F_OBJECT,
	SRV_F_STRARRAY, /* array of strings (of choices when given) */
	SRV_F_ANY,
};

struct srv_field {
	const char *name;
	enum srv_ftype type;
	bool required;
	const char *const *choices;
	const char *doc;
};

/* Checks a JSON body: an object whose keys are all in `spec`, of the
 * declared types, with the required ones present.  `what` names it in
 * messages ("scan request").  A spec whose first name is "*" accepts any
 * object (the handler checks it with the owner's own validation). */
int srv_body_check(const json_t *body, const struct srv_field *spec, const char *what,
		   char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* Server state                                                        */
/* ------------------------------------------------------------------ */

struct srv_metrics;
struct srv_queue;
struct srv_sched;
struct srv_defer;
struct srv_ratelimit;
struct srv_access_log;
struct srv_cache;

struct srv {
	struct cal_server_opts opts;
	struct MHD_Daemon *daemon;
	char *ui_dir;            /* resolved, NULL when none */
	char *tls_cert, *tls_key; /* PEM text */
	pthread_key_t store_key;
	atomic_int inflight;     /* requests being answered */
	atomic_bool stopping;
	atomic_llong clock_us;   /* --clock-file's time, 0 = the system clock */
	int64_t started_us;
	unsigned short port;
	struct srv_metrics *metrics;
	struct srv_queue *queue;
	struct srv_sched *sched;
	struct srv_defer *defer;
	struct srv_ratelimit *rl;
	struct srv_access_log *alog;
	struct srv_cache *cache;
};

/* This thread's store (opened on first use), or NULL with the error set. */
cal_store *srv_store(struct srv *s);
/* The server's notion of now (microseconds): the clock file's time when
 * one is given, else the system clock. */
int64_t srv_now(struct srv *s);
/* Re-reads --clock-file (clock.c); true when the time moved. */
bool srv_clock_refresh(struct srv *s);

/* ------------------------------------------------------------------ */
/* Requests and routes                                                 */
/* ------------------------------------------------------------------ */

enum srv_method {
	SRV_GET = 1,
	SRV_POST = 2,
	SRV_PUT = 4,
	SRV_PATCH = 8,
	SRV_DELETE = 16,
};

enum srv_access {
	SRV_PUBLIC, /* no token */
	SRV_USER,   /* any valid token; the handler checks environments */
	SRV_ADMIN,  /* a token of a user with the admin role */
};

struct srv_user {
	char name[72];
	char token_hash[68];
	bool admin;
	json_t *roles; /* owned */
	int64_t expires;
};

struct srv_req;
typedef void (*srv_handler_fn)(struct srv_req *r);

struct srv_route {
	const char *path;
	unsigned method;
	srv_handler_fn fn;
	enum srv_access access;
	const struct srv_param *params; /* accepted query keys; NULL = none */
	const struct srv_field *body;   /* JSON body fields; NULL = no body */
	const char *summary;
	const char *tag;
};

#define SRV_MAX_PARAMS 24

struct srv_req {
	struct srv *srv;
	struct MHD_Connection *conn;
	const struct srv_route *route;
	int route_index;      /* metrics: -1 unmatched, -2 static files */
	unsigned method;
	const char *method_name;
	char method_other[16]; /* the name of a method we do not serve */
	char *uri;            /* raw, with the query */
	char *path;           /* decoded-free copy of the path part */
	char addr[64];        /* client address */
	int64_t t0;           /* monotonic start */
	bool started, answered;
	/* body */
	char *body;
	size_t body_len, body_cap;
	size_t body_dropped;  /* bytes read past max_body */
	bool body_too_big;
	json_t *json;
	/* parsed */
	struct srv_args args;
	struct srv_pval p[SRV_MAX_PARAMS];
	struct srv_user user;
	bool authenticated;
	cal_store *st;        /* the answering thread's store */
	/* response */
	unsigned status;
	char *resp_body;
	size_t resp_len;
	const char *ctype;
	struct MHD_Response *resp; /* ready-made (static files) */
	char allow[64];            /* 405: the Allow header */
	int retry_after;           /* 429/503: seconds, 0 = none */
	/* deferred to a worker */
	srv_handler_fn deferred_fn;
	bool deferred, deferred_done;
};

/* The route table (routes.c): every route of every routes_*.c file. */
const struct srv_route *srv_routes(size_t *n);
/* The route of (path, method); *path_known tells whether the path exists
 * with another method (-> 405, with its methods in allow). */
const struct srv_route *srv_route_find(const char *path, unsigned method, bool *path_known,
				       char *allow, size_t allowlen);
const char *srv_method_name(unsigned m);

/* Each routes_*.c file's table, NULL-path terminated. */
extern const struct srv_route srv_routes_inventory[];
extern const struct srv_route srv_routes_links[];
extern const struct srv_route srv_routes_cliques[];
extern const struct srv_route srv_routes_messages[];
extern const struct srv_route srv_routes_scans[];
extern const struct srv_route srv_routes_schedules[];
extern const struct srv_route srv_routes_meta[];
extern const struct srv_route srv_routes_envs[];
extern const struct srv_route srv_routes_conntests[];
extern const struct srv_route srv_routes_auth[];
extern const struct srv_route srv_routes_users[];
extern const struct srv_route srv_routes_analyze[];
extern const struct srv_route srv_routes_snapshots[];
extern const struct srv_route srv_routes_designs[];

/* ------------------------------------------------------------------ */
/* Replies (reply.c): every error body is built by srv_reply_error()   */
/* ------------------------------------------------------------------ */

/* 200/201 with a JSON document (taken). */
void srv_reply_json(struct srv_req *r, unsigned status, json_t *doc);
/* {"error": {"message", "code", "title"}}; returns -1 for `return`s. */
int srv_reply_error(struct srv_req *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The status of a CAL_E* code (one table) with cal_error_last(). */
int srv_reply_cal(struct srv_req *r, int code);
unsigned srv_status_of(int code);
/* A body of another type (taken). */
void srv_reply_raw(struct srv_req *r, unsigned status, const char *ctype, char *body,
		   size_t len);

/* ------------------------------------------------------------------ */
/* Authentication and authorisation (auth.c, tokens.c, ratelimit.c)    */
/* ------------------------------------------------------------------ */

/* Reads X-Auth-Token (or "Authorization: Bearer"), fills r->user.
 * Replies 401 and returns -1 when missing, unknown, expired or revoked. */
int srv_auth_request(struct srv_req *r);
bool srv_user_may(const struct srv_user *u, const char *env, bool edit);
/* Replies 403 and returns -1 when r's user may not view (edit) env. */
int srv_require_env(struct srv_req *r, const char *env, bool edit);
void srv_user_clear(struct srv_user *u);

/* A new token: 32 random bytes as 64 hex digits, and its hash (hex) for
 * the store. */
void srv_token_new(char token[65], char hash[65]);
void srv_token_hash(char hash[65], const char *token);

/* Login throttling: failures per user name and per client address. */
struct srv_ratelimit *srv_ratelimit_new(void);
void srv_ratelimit_free(struct srv_ratelimit *rl);
/* 0 when a login may be tried now, else the seconds to wait. */
int srv_ratelimit_check(struct srv_ratelimit *rl, const char *user, const char *addr,
			int64_t now_mono_us);
void srv_ratelimit_fail(struct srv_ratelimit *rl, const char *user, const char *addr,
			int64_t now_mono_us);
void srv_ratelimit_success(struct srv_ratelimit *rl, const char *user);

/* ------------------------------------------------------------------ */
/* Deferred requests (defer.c): slow work off the HTTP threads         */
/* ------------------------------------------------------------------ */

struct srv_defer *srv_defer_new(struct srv *s, int nthreads);
/* Refuses new work, runs what is queued and joins the workers. */
void srv_defer_stop(struct srv_defer *d);
void srv_defer_free(struct srv_defer *d);
/* Suspends the connection and runs fn(r) on a worker (with the worker's
 * store in r->st); the reply it sets is sent when it returns. */
void srv_defer(struct srv_req *r, srv_handler_fn fn);
/* Called by http.c after the handler: suspends the connection and queues
 * the request; false when the workers are stopping (answer 503). */
bool srv_defer_submit(struct srv_req *r);

/* ------------------------------------------------------------------ */
/* Scan queue (scan_queue.c) and scheduler (scheduler.c)               */
/* ------------------------------------------------------------------ */

struct srv_queue *srv_queue_new(struct srv *s, int nworkers);
/* Lets running scans finish, then stops the workers; pending scans stay
 * pending for the next start. */
void srv_queue_free(struct srv_queue *q);
/* Wakes a worker: a scan was queued. */
void srv_queue_kick(struct srv_queue *q);
/* A copy of a running scan's progress, or NULL. */
json_t *srv_queue_progress(struct srv_queue *q, int64_t scan_id);
/* Scans running in this server: [{"id", "environment"}]. */
json_t *srv_queue_running(struct srv_queue *q);
/* Queues a scan (status pending) from a validated request object
 * ({"env_name"...} of POST /scans); *out_id gets its id. */
int srv_scan_enqueue(struct srv *s, cal_store *st, int64_t *out_id, const char *env,
		     const json_t *request);

struct srv_sched *srv_sched_new(struct srv *s);
void srv_sched_free(struct srv_sched *sc);
void srv_sched_kick(struct srv_sched *sc);
/* Validates cron/freq/timezone of a schedule and computes next_run_us
 * from `now`; CAL_EINVALID with the reason. */
int srv_schedule_prepare(json_t *schedule, int64_t now);

/* Messages written by the server (source_system "Calipso"). */
void srv_message(cal_store *st, const char *env, const char *level, const char *origin_type,
		 int64_t origin_id, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ------------------------------------------------------------------ */
/* Response cache (cache.c)                                            */
/* ------------------------------------------------------------------ */

/* Answers kept by key while the environment's version does not change;
 * max_bytes caps the bodies kept. */
struct srv_cache *srv_cache_new(size_t max_bytes);
void srv_cache_free(struct srv_cache *c);
/* A copy of the body kept under key, when it was kept under `version`. */
bool srv_cache_get(struct srv_cache *c, const char *key, const char *version, char **out,
		   size_t *len);
void srv_cache_put(struct srv_cache *c, const char *key, const char *version, const char *body,
		   size_t len);
void srv_cache_stats(struct srv_cache *c, unsigned long long *hits, unsigned long long *misses,
		     size_t *bytes);
/* Replies with the cached answer of (what, env, id) when it is current
 * and returns true; otherwise fills key and version for
 * srv_reply_cached() and returns false. */
bool srv_cache_reply(struct srv_req *r, const char *what, const char *env, const char *id,
		     char **key, char version[160]);
/* Replies 200 with doc (taken) and keeps its text under key/version. */
void srv_reply_cached(struct srv_req *r, json_t *doc, char *key, const char *version);

/* ------------------------------------------------------------------ */
/* Observability (metrics.c, access_log.c), documents (openapi.c),     */
/* static files (static.c)                                             */
/* ------------------------------------------------------------------ */

struct srv_metrics *srv_metrics_new(size_t nroutes);
void srv_metrics_free(struct srv_metrics *m);
void srv_metrics_request(struct srv_metrics *m, int route_index, unsigned status,
			 int64_t duration_us);
void srv_metrics_scan(struct srv_metrics *m, const char *env, const char *status,
		      int64_t duration_us);
void srv_metrics_schedule_run(struct srv_metrics *m);
/* The Prometheus text exposition (malloc'ed); per-environment object
 * counts come from the store. */
char *srv_metrics_render(struct srv_metrics *m, struct srv_cache *cache, cal_store *st,
			 size_t *len);

struct srv_access_log *srv_access_log_open(const char *where);
void srv_access_log_close(struct srv_access_log *l);
void srv_access_log_write(struct srv_access_log *l, const struct srv_req *r, int64_t dur_us);
void srv_access_log_flush(struct srv_access_log *l);

json_t *srv_openapi(const struct srv *s);

/* GET/HEAD of a file under the UI directory; false when r->path is not
 * one (the caller answers 404). */
bool srv_static_serve(struct srv_req *r);
/* The default UI directory, or NULL when there is none. */
char *srv_ui_dir_default(void);

/* Reachability of an environment's targets (conntest.c). */
int srv_conntest_run(json_t **out, const json_t *config, const json_t *targets,
		     const json_t *hosts);

/* ------------------------------------------------------------------ */
/* Shared by route files (routes.c)                                    */
/* ------------------------------------------------------------------ */

/* page and page_size, the original API's paging (page from 0): the limit,
 * and the offset in *offset; p[page_idx + 1] must be page_size. */
#define SRV_PARAM_PAGE { "page", SRV_P_INT, 0, NULL, 0, 1000000, "page number, from 0" }
#define SRV_PARAM_PAGE_SIZE                                                        \
	{ "page_size", SRV_P_INT, 0, NULL, 1, 10000, "items per page (default 1000)" }
#define SRV_PARAM_END { NULL, 0, 0, NULL, 0, 0, NULL }

int srv_page_limit(const struct srv_req *r, int page_idx, int *offset);
/* 400 "unknown environment" when env does not exist (after the caller
 * found nothing). */
int srv_check_env_exists(struct srv_req *r, const char *env);
/* Paging done by a route after its own filters: whether the next item
 * that passed them goes on the page (`page`, the items kept so far),
 * counting *skip down first. */
bool srv_page_take(int *skip, const json_t *page, int limit);
/* The reply of a route that read `rows` (taken) of environment `env`:
 * when the query named one record (`one` says which, e.g. "scan 12"),
 * that record, or 404 "<one> not found in environment '<env>'"; otherwise
 * {"<key>": rows}.  Nothing found in an environment that does not exist
 * is a 400 (srv_check_env_exists()). */
void srv_reply_rows(struct srv_req *r, json_t *rows, const char *env, const char *one,
		    const char *key);
/* The object types as a NULL-terminated list (for enums). */
extern const char *const srv_object_types[];
extern const char *srv_link_types[]; /* filled by srv_routes() */
extern const char *const srv_scan_statuses[];
extern const char *const srv_log_levels[];
extern const char *const srv_message_levels[];
extern const char *const srv_freqs[];
/* routes_scans.c: the checks of a scan request (POST /scans, scheduled
 * scans): one scan_only_* at most, a known environment, an existing
 * object_id; replies 400 and returns -1 otherwise. */
int srv_scan_request_check(struct srv_req *r, const json_t *req, const char *env);
/* A scan record as the API shows it (original field names added). */
json_t *srv_scan_view(struct srv *s, json_t *scan);
/* A schedule record as the API shows it. */
json_t *srv_schedule_view(json_t *sched);

#endif
