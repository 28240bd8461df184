/* http.c - the HTTP side of `calipso serve`: libmicrohttpd with its own
 * thread pool (each thread an epoll loop), keep-alive, connection and body
 * limits, idle timeouts, optional TLS; the life of a request from its
 * first line to the access log; start-up and graceful shutdown.
 *
 * A request:
 *   1. the URI log callback allocates its srv_req (counted in flight);
 *   2. the first access call checks the declared body size (a body far
 *      over the limit is refused at once, one somewhat over it is read and
 *      dropped so that the client reads a clean 413);
 *   3. body bytes are gathered up to --max-body;
 *   4. the last call dispatches: route, token, query parameters, JSON body,
 *      handler; a handler may defer its work to a worker thread (the
 *      connection is suspended meanwhile and resumed with the answer);
 *   5. the completion callback records metrics and the access log line.
 * Handlers never block on long work: scans go through the queue, password
 * hashing and connection tests through the defer workers.
 *
 * Shutdown (SIGTERM, SIGINT): stop accepting, wait up to 10 s for the
 * requests in flight, stop the daemon, then the scheduler, the scan queue
 * (a running scan finishes) and the defer workers.
 *
 * Trust: everything from the client is bounded (URI by libmicrohttpd's
 * connection memory, query by params.c, body by max_body) and checked
 * before use.
 */
#include "server/server_int.h"
#include "server/mhd_dl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define HTTP_DEFAULT_MAX_BODY ((size_t)1 << 20)
/* Bodies declared larger than this many times max_body are refused
 * before they are read (the connection then closes). */
#define HTTP_DRAIN_FACTOR 16
#define HTTP_SHUTDOWN_WAIT_US (10 * 1000000LL)
/* Bodies the response cache may keep (cache.c). */
#define HTTP_CACHE_BYTES ((size_t)64 << 20)

/* ------------------------------------------------------------------ */
/* Per-thread stores                                                   */
/* ------------------------------------------------------------------ */

static void http_store_destroy(void *p)
{
	cal_store_close(p);
}

cal_store *srv_store(struct srv *s)
{
	cal_store *st = pthread_getspecific(s->store_key);

	if (st)
		return st;
	if (cal_store_open(&st, s->opts.db)) {
		cal_log_error("api", "%s", cal_error_last());
		return NULL;
	}
	pthread_setspecific(s->store_key, st);
	return st;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

static unsigned http_method(const char *m)
{
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return SRV_GET;
	if (strcmp(m, "POST") == 0)
		return SRV_POST;
	if (strcmp(m, "PUT") == 0)
		return SRV_PUT;
	if (strcmp(m, "PATCH") == 0)
		return SRV_PATCH;
	if (strcmp(m, "DELETE") == 0)
		return SRV_DELETE;
	return 0;
}

static void *http_uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct srv *s = cls;
	struct srv_req *r = calloc(1, sizeof(*r));
	const union MHD_ConnectionInfo *ci;
	const char *q;

	if (!r)
		return NULL;
	r->srv = s;
	r->conn = c;
	r->t0 = cal_time_mono_us();
	r->route_index = -1;
	r->uri = strdup(uri ? uri : "/");
	if (r->uri) {
		q = strchr(r->uri, '?');
		r->path = q ? strndup(r->uri, (size_t)(q - r->uri)) : strdup(r->uri);
	}
	ci = srv_mhd()->get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->addr,
				  sizeof(r->addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->addr,
				  sizeof(r->addr));
	}
	atomic_fetch_add(&s->inflight, 1);
	return r;
}

static void http_req_free(struct srv_req *r)
{
	free(r->uri);
	free(r->path);
	free(r->body);
	free(r->resp_body);
	json_decref(r->json);
	srv_args_free(&r->args);
	srv_user_clear(&r->user);
	if (r->resp)
		srv_mhd()->destroy_response(r->resp);
	free(r);
}

static void http_completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct srv *s = cls;
	struct srv_req *r = *con_cls;
	int64_t dur;

	(void)c;
	if (!r)
		return;
	dur = cal_time_mono_us() - r->t0;
	if (!r->answered && r->status == 0)
		r->status = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? 408 : 499;
	if (r->started) {
		srv_metrics_request(s->metrics, r->route_index, r->status, dur);
		srv_access_log_write(s->alog, r, dur);
	}
	http_req_free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

static enum MHD_Result http_send(struct srv_req *r)
{
	const struct srv_mhd_api *mhd = srv_mhd(); /* loaded: a daemon runs */
	struct MHD_Response *resp = r->resp;
	enum MHD_Result ret;
	char ra[16];

	if (!resp) {
		resp = mhd->create_response_from_buffer(r->resp_len,
							r->resp_body ? r->resp_body : "",
							r->resp_body ? MHD_RESPMEM_MUST_FREE
								     : MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		r->resp_body = NULL; /* the response frees it */
		mhd->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					 r->ctype ? r->ctype : "application/json");
		mhd->add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	}
	r->resp = NULL;
	mhd->add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED && r->allow[0])
		mhd->add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", r->retry_after);
		mhd->add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	ret = mhd->queue_response(r->conn, r->status ? r->status : 500, resp);
	mhd->destroy_response(resp);
	return ret;
}

/* Route, token, parameters, body, handler. */
static void http_dispatch(struct srv_req *r)
{
	struct srv *s = r->srv;
	const struct srv_route *all;
	const char *q;
	char err[768];
	bool known;
	size_t n;
	int rc;

	if (!r->path || !r->uri) {
		srv_reply_error(r, 500, "out of memory");
		return;
	}
	r->st = srv_store(s);
	if (!r->st) {
		srv_reply_error(r, 503, "the database is not available: %s", cal_error_last());
		return;
	}
	if (!r->method) {
		srv_reply_error(r, 405, "method %s is not supported", r->method_name);
		return;
	}
	r->route = srv_route_find(r->path, r->method, &known, r->allow, sizeof(r->allow));
	if (!r->route) {
		char *p;

		if (!known && r->method == SRV_GET && srv_static_serve(r)) {
			r->route_index = -2;
			return;
		}
		p = cal_str_escape(r->path);
		if (known)
			srv_reply_error(r, 405, "%s %s is not allowed (allowed: %s)", r->method_name,
					p ? p : "?", r->allow);
		else
			srv_reply_error(r, 404, "no such resource: %s %s", r->method_name,
					p ? p : "?");
		free(p);
		return;
	}
	all = srv_routes(&n);
	r->route_index = (int)(r->route - all);
	if (r->route->access != SRV_PUBLIC && srv_auth_request(r))
		return;
	if (r->route->access == SRV_ADMIN && !r->user.admin) {
		srv_reply_error(r, 403, "%s %s needs the admin role", r->method_name,
				r->route->path);
		return;
	}
	q = strchr(r->uri, '?');
	rc = srv_args_parse(&r->args, q ? q + 1 : "", q ? strlen(q + 1) : 0, err, sizeof(err));
	if (rc == 0)
		rc = srv_params_check(r->p, r->route->params, &r->args, err, sizeof(err));
	if (rc) {
		srv_reply_error(r, 400, "%s", err);
		return;
	}
	if (r->body_too_big) {
		srv_reply_error(r, 413, "the request body is larger than %zu bytes",
				s->opts.max_body);
		return;
	}
	if (r->route->body) {
		json_error_t jerr;

		if (r->body_len == 0) {
			srv_reply_error(r, 400, "%s %s needs a JSON body", r->method_name,
					r->route->path);
			return;
		}
		r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!r->json) {
			srv_reply_error(r, 400, "malformed JSON body: %s (line %d, column %d)",
					jerr.text, jerr.line, jerr.column);
			return;
		}
		if (srv_body_check(r->json, r->route->body, "request body", err, sizeof(err))) {
			srv_reply_error(r, 400, "%s", err);
			return;
		}
	} else if (r->body_len > 0) {
		srv_reply_error(r, 400, "%s %s takes no body", r->method_name, r->route->path);
		return;
	}
	r->route->fn(r);
	if (!r->answered && !r->deferred)
		srv_reply_error(r, 500, "%s %s gave no answer", r->method_name, r->route->path);
}

static enum MHD_Result http_access_cb(void *cls, struct MHD_Connection *c, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct srv *s = cls;
	struct srv_req *r = *con_cls;

	(void)url;
	(void)version;
	if (!r)
		return MHD_NO;
	if (!r->started) {
		const char *cl = srv_mhd()->lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);

		r->started = true;
		r->method = http_method(method);
		r->method_name = strcmp(method, "HEAD") == 0 ? "HEAD" : srv_method_name(r->method);
		if (!r->method) {
			/* Kept for the answer and the log, escaped when odd. */
			size_t k = 0;

			for (; method[k] && k + 1 < sizeof(r->method_other); k++)
				r->method_other[k] = method[k] >= 'A' && method[k] <= 'Z' ? method[k] : '?';
			r->method_other[k] = '\0';
			r->method_name = r->method_other;
		}
		if (cl) {
			unsigned long long n = strtoull(cl, NULL, 10);

			if (n > s->opts.max_body * HTTP_DRAIN_FACTOR) {
				srv_reply_error(r, 413, "the request body is larger than %zu bytes",
						s->opts.max_body);
				return http_send(r);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (r->body_too_big || r->body_len + n > s->opts.max_body) {
			/* Read and dropped, to answer 413 cleanly; a body sent
			 * without a length that goes on and on is cut off. */
			r->body_too_big = true;
			r->body_dropped += n;
			return r->body_dropped > s->opts.max_body * HTTP_DRAIN_FACTOR ? MHD_NO : MHD_YES;
		}
		if (r->body_len + n + 1 > r->body_cap) {
			size_t cap = r->body_cap ? r->body_cap * 2 : 4096;
			char *b;

			while (cap < r->body_len + n + 1)
				cap *= 2;
			b = realloc(r->body, cap);
			if (!b)
				return MHD_NO;
			r->body = b;
			r->body_cap = cap;
		}
		memcpy(r->body + r->body_len, upload_data, n);
		r->body_len += n;
		r->body[r->body_len] = '\0';
		return MHD_YES;
	}
	if (r->deferred) {
		if (!r->deferred_done)
			return MHD_YES;
		return http_send(r);
	}
	http_dispatch(r);
	if (r->deferred) {
		if (srv_defer_submit(r))
			return MHD_YES;
		r->deferred = false;
		srv_reply_error(r, 503, "the server is shutting down");
	}
	return http_send(r);
}

static void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	cal_log_warn("api", "libmicrohttpd: %s", buf);
}

/* ------------------------------------------------------------------ */
/* Start-up                                                            */
/* ------------------------------------------------------------------ */

/* "ADDR:PORT" or "[V6]:PORT" into a socket address. */
static int http_parse_listen(struct sockaddr_storage *out, socklen_t *outlen, const char *spec)
{
	char host[128];
	const char *port, *end;
	long p;
	char *e;

	memset(out, 0, sizeof(*out));
	if (!spec || !*spec)
		spec = CAL_SERVER_DEFAULT_LISTEN;
	if (spec[0] == '[') {
		end = strchr(spec, ']');
		if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof(host))
			goto bad;
		memcpy(host, spec + 1, (size_t)(end - spec - 1));
		host[end - spec - 1] = '\0';
		port = end + 2;
	} else {
		end = strrchr(spec, ':');
		if (!end || (size_t)(end - spec) >= sizeof(host))
			goto bad;
		memcpy(host, spec, (size_t)(end - spec));
		host[end - spec] = '\0';
		port = end + 1;
	}
	errno = 0;
	p = strtol(port, &e, 10);
	if (!*port || *e || errno || p < 0 || p > 65535)
		goto bad;
	if (!*host)
		snprintf(host, sizeof(host), "0.0.0.0");
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)p);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
		*outlen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)out;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)p);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
		*outlen = sizeof(*a);
	}
	return 0;
bad:
	return cal_error_set(CAL_EINVALID, "--listen '%s' is not ADDRESS:PORT (127.0.0.1:8747, "
			     "[::1]:8747, 0.0.0.0:8747)", spec);
}

static int http_read_file(char **out, const char *path, const char *what)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (!f)
		return cal_error_set_errno(CAL_EIO, errno, "cannot read the %s %s", what, path);
	for (;;) {
		size_t r;

		if (cap - n < 4096) {
			char *b = realloc(buf, cap + 65536);

			if (!b || cap > (1u << 20)) {
				free(b ? b : buf);
				fclose(f);
				return cal_error_set(CAL_EINVALID, "the %s %s is too large", what,
						     path);
			}
			buf = b;
			cap += 65536;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static void http_opts_defaults(struct cal_server_opts *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (!o->listen || !*o->listen)
		o->listen = CAL_SERVER_DEFAULT_LISTEN;
	if (o->threads <= 0)
		o->threads = ncpu > 2 ? (int)ncpu * 2 : 4;
	if (o->scan_workers <= 0)
		o->scan_workers = 2;
	if (o->max_connections <= 0)
		o->max_connections = 1024;
	if (o->timeout_s <= 0)
		o->timeout_s = 30;
	if (o->max_body == 0)
		o->max_body = HTTP_DEFAULT_MAX_BODY;
	if (o->token_ttl_s <= 0)
		o->token_ttl_s = 12 * 3600;
	if (!o->out)
		o->out = stdout;
}

/* First admin, scans a crash left running. */
static int http_prepare_store(struct srv *s)
{
	cal_store *st = srv_store(s);
	char *password = NULL;
	json_t *scans = NULL;
	int rc, n;

	if (!st)
		return CAL_EIO;
	rc = cal_user_bootstrap(st, &password);
	if (rc)
		return rc;
	if (password) {
		fprintf(s->opts.out,
			"calipso serve: created user 'admin' with password %s\n"
			"calipso serve: it is shown only this once; change it with "
			"`calipso user passwd admin`\n",
			password);
		fflush(s->opts.out);
		sodium_memzero(password, strlen(password));
		free(password);
	}
	/* Scans running when the last server died: failed, with a message
	 * (the messages are a courtesy: a record that cannot be read does not
	 * keep the server from starting). */
	{
		struct cal_scan_query q = { .status = "running", .limit = 10000 };

		if (cal_store_scans_find(st, &scans, &q))
			cal_log_warn("scan", "cannot list the scans left running: %s",
				     cal_error_last());
	}
	n = cal_store_scan_fail_stale(st, "interrupted: the server running it stopped");
	if (n < 0) {
		json_decref(scans);
		return n;
	}
	if (n > 0) {
		size_t i;
		json_t *sc;

		cal_log_warn("scan", "%d scan%s left running by a previous server marked failed",
			     n, n == 1 ? "" : "s");
		json_array_foreach(scans, i, sc)
			srv_message(st, cal_json_str(sc, "environment"), "error", "scan",
				    cal_json_int(sc, "id", 0),
				    "scan %lld failed: interrupted, the server running it stopped",
				    (long long)cal_json_int(sc, "id", 0));
	}
	json_decref(scans);
	return 0;
}

static int http_start(struct srv *s)
{
	struct sockaddr_storage addr;
	socklen_t alen;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	const struct srv_mhd_api *mhd = srv_mhd();
	int rc;

	if (!mhd)
		return CAL_EIO;
	rc = http_parse_listen(&addr, &alen, s->opts.listen);
	if (rc)
		return rc;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->tls_cert) {
		if (mhd->is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			return cal_error_set(CAL_EINVALID, "this libmicrohttpd has no TLS support");
		flags |= MHD_USE_TLS;
	}
	if (s->tls_cert)
		s->daemon = mhd->start_daemon(
			flags, 0, NULL, NULL, http_access_cb, s, MHD_OPTION_EXTERNAL_LOGGER,
			http_mhd_log, s, MHD_OPTION_SOCK_ADDR, &addr,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)s->opts.threads,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->opts.max_connections,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->opts.timeout_s,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
			MHD_OPTION_URI_LOG_CALLBACK, http_uri_cb, s, MHD_OPTION_NOTIFY_COMPLETED,
			http_completed_cb, s, MHD_OPTION_HTTPS_MEM_CERT, s->tls_cert, MHD_OPTION_HTTPS_MEM_KEY,
			s->tls_key, MHD_OPTION_END);
	else
		s->daemon = mhd->start_daemon(
			flags, 0, NULL, NULL, http_access_cb, s, MHD_OPTION_EXTERNAL_LOGGER,
			http_mhd_log, s, MHD_OPTION_SOCK_ADDR, &addr,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)s->opts.threads,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->opts.max_connections,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->opts.timeout_s,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
			MHD_OPTION_URI_LOG_CALLBACK, http_uri_cb, s, MHD_OPTION_NOTIFY_COMPLETED,
			http_completed_cb, s, MHD_OPTION_END);
	(void)alen;
	if (!s->daemon)
		return cal_error_set(CAL_EIO, "cannot listen on %s (address in use, or not an "
				     "address of this machine)", s->opts.listen);
	info = mhd->get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	return 0;
}

static void http_stop(struct srv *s)
{
	int64_t deadline = cal_time_mono_us() + HTTP_SHUTDOWN_WAIT_US;
	MHD_socket fd;

	atomic_store(&s->stopping, true);
	if (s->daemon) {
		/* No new connections; let the requests in flight finish. */
		fd = srv_mhd()->quiesce_daemon(s->daemon);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
		while (atomic_load(&s->inflight) > 0 && cal_time_mono_us() < deadline) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		if (atomic_load(&s->inflight) > 0)
			cal_log_warn("api", "%d request%s still running after 10 s: closing",
				     atomic_load(&s->inflight),
				     atomic_load(&s->inflight) == 1 ? "" : "s");
	}
	/* Deferred requests resume their connections: before the daemon
	 * goes. */
	srv_defer_stop(s->defer);
	if (s->daemon) {
		srv_mhd()->stop_daemon(s->daemon);
		s->daemon = NULL;
	}
	srv_defer_free(s->defer);
	s->defer = NULL;
	srv_sched_free(s->sched);
	s->sched = NULL;
	srv_queue_free(s->queue);
	s->queue = NULL;
}

int cal_server_run(const struct cal_server_opts *opts)
{
	struct srv *s = calloc(1, sizeof(*s));
	sigset_t set, old;
	size_t nroutes;
	int rc = 0;

	if (!s)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	s->opts = *opts;
	http_opts_defaults(&s->opts);
	s->started_us = cal_time_now_us();
	if (!s->opts.db) {
		free(s);
		return cal_error_set(CAL_EINVALID, "no database given");
	}
	if (!s->opts.tls_cert != !s->opts.tls_key) {
		free(s);
		return cal_error_set(CAL_EINVALID, "--tls-cert and --tls-key go together");
	}
	/* libmicrohttpd before anything that touches the store or starts a
	 * thread: without it there is no server to start. */
	if (!srv_mhd()) {
		free(s);
		return CAL_EIO;
	}
	if (pthread_key_create(&s->store_key, http_store_destroy)) {
		free(s);
		return cal_error_set(CAL_ENOMEM, "cannot create a thread key");
	}
	/* Every thread started from here on inherits the blocked signals;
	 * this thread waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	if (s->opts.tls_cert) {
		rc = http_read_file(&s->tls_cert, s->opts.tls_cert, "TLS certificate");
		if (rc == 0)
			rc = http_read_file(&s->tls_key, s->opts.tls_key, "TLS key");
		if (rc)
			goto out;
	}
	if (s->opts.ui_dir && !*s->opts.ui_dir) {
		s->ui_dir = NULL;
	} else if (s->opts.ui_dir) {
		s->ui_dir = realpath(s->opts.ui_dir, NULL);
		if (!s->ui_dir) {
			rc = cal_error_set_errno(CAL_EINVALID, errno, "--ui-dir %s", s->opts.ui_dir);
			goto out;
		}
	} else {
		s->ui_dir = srv_ui_dir_default();
	}
	srv_clock_refresh(s);
	srv_routes(&nroutes);
	s->metrics = srv_metrics_new(nroutes);
	s->rl = srv_ratelimit_new();
	s->cache = srv_cache_new(HTTP_CACHE_BYTES);
	s->alog = srv_access_log_open(s->opts.access_log);
	if (!s->metrics || !s->rl || !s->cache || (!s->alog && s->opts.access_log &&
				     strcmp(s->opts.access_log, "off") != 0)) {
		rc = s->alog || !s->opts.access_log ? cal_error_set(CAL_ENOMEM, "out of memory")
						    : CAL_EIO;
		goto out;
	}
	rc = http_prepare_store(s);
	if (rc)
		goto out;
	s->defer = srv_defer_new(s, 4);
	s->queue = srv_queue_new(s, s->opts.scan_workers);
	if (!s->defer || !s->queue) {
		rc = cal_error_set(CAL_ENOMEM, "cannot start the worker threads");
		goto stop;
	}
	if (!s->opts.no_scheduler) {
		s->sched = srv_sched_new(s);
		if (!s->sched) {
			rc = cal_error_set(CAL_ENOMEM, "cannot start the scheduler");
			goto stop;
		}
	}
	rc = http_start(s);
	if (rc)
		goto stop;
	fprintf(s->opts.out, "calipso serve: listening on %s://%.*s:%u (web UI: %s)\n",
		s->tls_cert ? "https" : "http",
		(int)(strrchr(s->opts.listen, ':') - s->opts.listen), s->opts.listen, s->port,
		s->ui_dir ? s->ui_dir : "none");
	fflush(s->opts.out);
	cal_log_info("api", "serving %s with %d threads", s->opts.db, s->opts.threads);
	for (;;) {
		struct timespec ts = { 1, 0 };
		int sig = sigtimedwait(&set, NULL, &ts);

		if (sig == SIGTERM || sig == SIGINT) {
			cal_log_info("api", "signal %d: shutting down", sig);
			break;
		}
		srv_access_log_flush(s->alog);
		if (s->opts.no_scheduler)
			srv_clock_refresh(s);
	}
stop:
	http_stop(s);
out:
	http_store_destroy(pthread_getspecific(s->store_key));
	pthread_setspecific(s->store_key, NULL);
	srv_access_log_close(s->alog);
	srv_ratelimit_free(s->rl);
	srv_cache_free(s->cache);
	srv_metrics_free(s->metrics);
	pthread_key_delete(s->store_key);
	free(s->ui_dir);
	free(s->tls_cert);
	if (s->tls_key)
		sodium_memzero(s->tls_key, strlen(s->tls_key));
	free(s->tls_key);
	free(s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
