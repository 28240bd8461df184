/* ovsdb_client.c - the I/O half of the OVSDB client (RFC 7047): a stream
 * to "unix:PATH" or "tcp:IP:PORT" and a JSON-RPC session over it.
 *
 * Layers, as in Open vSwitch's own client:
 *   stream:  non-blocking socket; connect, send and receive wait in poll()
 *            and never past the call's deadline;
 *   rpc:     requests get increasing integer ids; while waiting for a
 *            reply the session answers "echo" requests, hands "update"
 *            notifications to the update function and drops replies to
 *            other ids; bytes are framed by ovsdb_parser (ovsdb_parse.c)
 *            from a fixed receive buffer;
 *   session: connects lazily; the first error of a connection sticks in
 *            `status` and closes it; the next call reconnects, after a
 *            backoff that doubles with each failed attempt (100 ms up to
 *            8 s).  A read-only request whose reused connection turns out
 *            to be dead is sent once more on a new one.
 * A reconnect loses the server-side monitors: whoever monitors re-issues
 * ovsdb_monitor() after ovsdb_session_is_connected() turned false.
 * Threading: one session per thread at a time; no globals.
 * Trust: the server's bytes go through the pure parser (bounded, CAL_EPROTO
 * on anything malformed); the remote string comes from configuration.
 */
#include "discover/ovsdb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define OVSDB_RXBUF 65536
#define OVSDB_BACKOFF_MIN_MS 100
#define OVSDB_BACKOFF_MAX_MS 8000
#define OVSDB_STATUS_MAX 512

struct ovsdb_session {
	char *remote;
	int timeout_ms;
	struct sockaddr_storage addr;
	socklen_t addrlen;

	int fd;                  /* -1 while disconnected */
	struct ovsdb_parser parser;
	char rx[OVSDB_RXBUF];    /* received bytes not yet framed: rx[rx_off..rx_len) */
	size_t rx_off, rx_len;
	json_int_t next_id;

	int status;              /* first error of this connection, 0 when none */
	char status_msg[OVSDB_STATUS_MAX];
	int failures;            /* consecutive failed connection attempts */
	int64_t next_attempt_us; /* monotonic; no connection attempt before */

	ovsdb_table_update_fn update_fn;
	void *update_arg;
};

/* ------------------------------------------------------------------ */
/* Remote                                                              */
/* ------------------------------------------------------------------ */

static int ovsdb_parse_port(const char *remote, const char *p, uint16_t *port)
{
	char *end;
	long v;

	if (!*p) {
		*port = 6640;  /* OVSDB's IANA port, as ovs-vsctl assumes */
		return 0;
	}
	v = strtol(p, &end, 10);
	if (*end || v < 1 || v > 65535)
		return cal_error_set(CAL_EINVALID, "invalid port in OVSDB remote '%s'", remote);
	*port = (uint16_t)v;
	return 0;
}

static int ovsdb_parse_remote(struct ovsdb_session *s, const char *remote)
{
	memset(&s->addr, 0, sizeof(s->addr));
	if (!strncmp(remote, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;
		const char *path = remote + 5;

		if (!*path || strlen(path) >= sizeof(un->sun_path))
			return cal_error_set(CAL_EINVALID,
					     "invalid OVSDB remote '%s': socket path empty or "
					     "longer than %zu bytes", remote,
					     sizeof(un->sun_path) - 1);
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, path, strlen(path) + 1);
		s->addrlen = sizeof(*un);
		return 0;
	}
	if (!strncmp(remote, "tcp:", 4)) {
		const char *hp = remote + 4;
		char host[INET6_ADDRSTRLEN + 1];
		const char *port_s;
		uint16_t port;
		size_t hlen;

		if (*hp == '[') {
			const char *close = strchr(hp, ']');

			if (!close || (close[1] && close[1] != ':'))
				goto bad;
			hlen = (size_t)(close - hp - 1);
			hp++;
			port_s = close[1] ? close + 2 : close + 1;
		} else {
			const char *colon = strrchr(hp, ':');

			hlen = colon ? (size_t)(colon - hp) : strlen(hp);
			port_s = colon ? colon + 1 : hp + hlen;
		}
		if (hlen == 0 || hlen >= sizeof(host))
			goto bad;
		memcpy(host, hp, hlen);
		host[hlen] = '\0';
		if (ovsdb_parse_port(remote, port_s, &port) < 0)
			return CAL_EINVALID;
		struct sockaddr_in *in4 = (struct sockaddr_in *)&s->addr;
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&s->addr;

		if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
			in4->sin_family = AF_INET;
			in4->sin_port = htons(port);
			s->addrlen = sizeof(*in4);
			return 0;
		}
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons(port);
			s->addrlen = sizeof(*in6);
			return 0;
		}
		goto bad;
	}
bad:
	return cal_error_set(CAL_EINVALID,
			     "invalid OVSDB remote '%s': expected unix:PATH, tcp:IPv4:PORT or "
			     "tcp:[IPv6]:PORT", remote);
}

/* ------------------------------------------------------------------ */
/* Session state                                                       */
/* ------------------------------------------------------------------ */

int ovsdb_session_new(struct ovsdb_session **out, const char *remote, int timeout_ms)
{
	struct ovsdb_session *s;
	int rc;

	*out = NULL;
	if (!remote)
		return cal_error_set(CAL_EINVALID, "no OVSDB remote given");
	s = calloc(1, sizeof(*s));
	if (!s)
		return cal_error_set(CAL_ENOMEM, "cannot allocate an OVSDB session");
	s->fd = -1;
	s->next_id = 1;
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	ovsdb_parser_init(&s->parser, OVSDB_MAX_MSG_DEFAULT);
	s->remote = strdup(remote);
	if (!s->remote) {
		rc = cal_error_set(CAL_ENOMEM, "cannot allocate an OVSDB session");
		goto fail;
	}
	rc = ovsdb_parse_remote(s, remote);
	if (rc < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	ovsdb_session_free(s);
	return rc;
}

static void ovsdb_disconnect(struct ovsdb_session *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->rx_off = s->rx_len = 0;
	ovsdb_parser_reset(&s->parser);
}

void ovsdb_session_free(struct ovsdb_session *s)
{
	if (!s)
		return;
	ovsdb_disconnect(s);
	ovsdb_parser_destroy(&s->parser);
	free(s->remote);
	free(s);
}

const char *ovsdb_session_remote(const struct ovsdb_session *s)
{
	return s->remote;
}

int ovsdb_session_status(const struct ovsdb_session *s)
{
	return s->status;
}

bool ovsdb_session_is_connected(const struct ovsdb_session *s)
{
	return s->fd >= 0;
}

void ovsdb_session_set_max_msg(struct ovsdb_session *s, size_t max_msg)
{
	s->parser.max_msg = max_msg ? max_msg : OVSDB_MAX_MSG_DEFAULT;
}

void ovsdb_session_set_update_fn(struct ovsdb_session *s, ovsdb_table_update_fn fn, void *arg)
{
	s->update_fn = fn;
	s->update_arg = arg;
}

/* Records the connection's first error (the current last-error message),
 * closes it, and returns `code` so that callers can `return
 * ovsdb_fail(...)`. */
static int ovsdb_fail(struct ovsdb_session *s, int code)
{
	if (!s->status) {
		s->status = code;
		snprintf(s->status_msg, sizeof(s->status_msg), "%s", cal_error_last());
	}
	ovsdb_disconnect(s);
	return code;
}

/* Milliseconds left until `deadline` (monotonic us), rounded up, >= 0. */
static int ovsdb_ms_left(int64_t deadline)
{
	int64_t left = deadline - cal_time_mono_us();

	if (left <= 0)
		return 0;
	left = (left + 999) / 1000;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

/* Waits for `events` on fd: 1 ready, 0 deadline passed, <0 poll failed. */
static int ovsdb_wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int ms = ovsdb_ms_left(deadline);
		int n;

		if (ms == 0)
			return 0;
		n = poll(&pfd, 1, ms);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* ------------------------------------------------------------------ */
/* Stream                                                              */
/* ------------------------------------------------------------------ */

static int ovsdb_stream_connect(struct ovsdb_session *s, int64_t deadline)
{
	int fd, err = 0, rc;
	socklen_t elen = sizeof(err);

	fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cal_error_set_errno(CAL_EIO, errno, "cannot reach OVSDB at %s", s->remote);
	if (connect(fd, (struct sockaddr *)&s->addr, s->addrlen) == 0)
		goto done;
	if (errno != EINPROGRESS && errno != EINTR) {
		rc = cal_error_set_errno(CAL_EIO, errno, "cannot reach OVSDB at %s", s->remote);
		goto fail;
	}
	rc = ovsdb_wait_fd(fd, POLLOUT, deadline);
	if (rc == 0) {
		rc = cal_error_set(CAL_ETIMEOUT,
				   "cannot reach OVSDB at %s: no answer to connect within %d ms",
				   s->remote, s->timeout_ms);
		goto fail;
	}
	if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
		rc = cal_error_set_errno(CAL_EIO, rc < 0 ? -rc : err ? err : errno,
					 "cannot reach OVSDB at %s", s->remote);
		goto fail;
	}
done:
	s->fd = fd;
	s->rx_off = s->rx_len = 0;
	ovsdb_parser_reset(&s->parser);
	return 0;
fail:
	close(fd);
	return rc;
}

static int ovsdb_stream_send(struct ovsdb_session *s, const char *buf, size_t len,
			     int64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		int rc;

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return ovsdb_fail(s, cal_error_set_errno(CAL_EIO, errno,
								 "connection to OVSDB at %s lost",
								 s->remote));
		rc = ovsdb_wait_fd(s->fd, POLLOUT, deadline);
		if (rc == 0)
			return ovsdb_fail(s, cal_error_set(CAL_ETIMEOUT,
							   "OVSDB at %s did not read a request "
							   "within %d ms", s->remote,
							   s->timeout_ms));
		if (rc < 0)
			return ovsdb_fail(s, cal_error_set_errno(CAL_EIO, -rc,
								 "connection to OVSDB at %s lost",
								 s->remote));
	}
	return 0;
}

static int ovsdb_send_json(struct ovsdb_session *s, const json_t *msg, int64_t deadline)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	int rc;

	if (!text)
		return cal_error_set(CAL_ENOMEM, "cannot serialise an OVSDB request");
	rc = ovsdb_stream_send(s, text, strlen(text), deadline);
	free(text);
	return rc;
}

/* Receives the next message into *out.  When `idle_ok`, running out of
 * time is not an error: returns 0 with *out NULL. */
static int ovsdb_recv_msg(struct ovsdb_session *s, json_t **out, int64_t deadline, bool idle_ok)
{
	*out = NULL;
	for (;;) {
		ssize_t n;
		int rc;

		if (s->rx_off < s->rx_len) {
			long used = ovsdb_parser_feed(&s->parser, out, s->rx + s->rx_off,
						      s->rx_len - s->rx_off);

			if (used < 0) {
				cal_error_prefix((int)used, "bad message from OVSDB at %s", s->remote);
				return ovsdb_fail(s, (int)used);
			}
			s->rx_off += (size_t)used;
			if (*out)
				return 0;
			continue;
		}
		s->rx_off = s->rx_len = 0;
		rc = ovsdb_wait_fd(s->fd, POLLIN, deadline);
		if (rc == 0) {
			if (idle_ok)
				return 0;
			return ovsdb_fail(s, cal_error_set(CAL_ETIMEOUT,
							   "OVSDB at %s did not answer within %d ms",
							   s->remote, s->timeout_ms));
		}
		if (rc < 0)
			return ovsdb_fail(s, cal_error_set_errno(CAL_EIO, -rc,
								 "connection to OVSDB at %s lost",
								 s->remote));
		n = recv(s->fd, s->rx, sizeof(s->rx), MSG_DONTWAIT);
		if (n > 0) {
			s->rx_len = (size_t)n;
			continue;
		}
		if (n == 0)
			return ovsdb_fail(s, cal_error_set(CAL_EIO,
							   "OVSDB at %s closed the connection",
							   s->remote));
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return ovsdb_fail(s, cal_error_set_errno(CAL_EIO, errno,
								 "connection to OVSDB at %s lost",
								 s->remote));
	}
}

/* ------------------------------------------------------------------ */
/* JSON-RPC                                                            */
/* ------------------------------------------------------------------ */

static void ovsdb_dispatch_update(struct ovsdb_session *s, const json_t *params)
{
	const json_t *updates = json_array_get(params, 1);
	const char *monitor_id = json_string_value(json_array_get(params, 0));
	const char *table;
	json_t *rows;

	if (!s->update_fn || !json_is_object(updates))
		return;
	json_object_foreach((json_t *)updates, table, rows) {
		if (json_is_object(rows))
			s->update_fn(monitor_id ? monitor_id : "", table, rows, s->update_arg);
	}
}

/* Handles one message that is not the awaited reply: answers requests,
 * dispatches notifications.  Sets *matched when it is the reply to `id`. */
static int ovsdb_handle(struct ovsdb_session *s, const json_t *msg, const json_t *id,
			struct ovsdb_msg *m, bool *matched, int64_t deadline)
{
	json_t *reply;
	int rc;

	*matched = false;
	rc = ovsdb_msg_classify(m, msg);
	if (rc < 0) {
		cal_error_prefix(rc, "bad message from OVSDB at %s", s->remote);
		return ovsdb_fail(s, rc);
	}
	switch (m->type) {
	case OVSDB_MSG_REQUEST:
		/* The server probes idle clients with "echo" and drops those
		 * that do not answer; anything else it may ask is refused. */
		if (!strcmp(m->method, "echo"))
			reply = json_pack("{sOsnsO}", "result", m->params, "error", "id", m->id);
		else
			reply = json_pack("{snsssO}", "result", "error", "unknown method",
					  "id", m->id);
		if (!reply)
			return cal_error_set(CAL_ENOMEM, "cannot build an OVSDB reply");
		rc = ovsdb_send_json(s, reply, deadline);
		json_decref(reply);
		return rc;
	case OVSDB_MSG_NOTIFY:
		if (!strcmp(m->method, "update"))
			ovsdb_dispatch_update(s, m->params);
		return 0;
	case OVSDB_MSG_REPLY:
	case OVSDB_MSG_ERROR:
		if (id && json_equal(m->id, id))
			*matched = true;
		else
			cal_log_debug("ovsdb", "%s: dropped a reply to an unknown request", s->remote);
		return 0;
	}
	return 0;
}

/* Waits for the reply to `id` (NULL: just serve the connection until the
 * deadline).  *out gets the result of a successful reply. */
static int ovsdb_wait_reply(struct ovsdb_session *s, json_t **out, const char *method,
			    const json_t *id, int64_t deadline)
{
	char text[512];

	if (out)
		*out = NULL;
	for (;;) {
		struct ovsdb_msg m;
		bool matched;
		json_t *msg;
		int rc;

		rc = ovsdb_recv_msg(s, &msg, deadline, id == NULL);
		if (rc < 0)
			return rc;
		if (!msg)
			return 0;
		rc = ovsdb_handle(s, msg, id, &m, &matched, deadline);
		if (rc < 0 || !matched) {
			json_decref(msg);
			if (rc < 0)
				return rc;
			continue;
		}
		if (m.type == OVSDB_MSG_ERROR) {
			ovsdb_error_text(text, sizeof(text), m.error);
			json_decref(msg);
			return cal_error_set(CAL_EPROTO, "OVSDB at %s refused %s: %s", s->remote,
					     method, text);
		}
		*out = json_incref(m.result);
		json_decref(msg);
		return 0;
	}
}

static int ovsdb_backoff_ms(int failures)
{
	int ms = OVSDB_BACKOFF_MIN_MS;

	for (int i = 1; i < failures && ms < OVSDB_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < OVSDB_BACKOFF_MAX_MS ? ms : OVSDB_BACKOFF_MAX_MS;
}

/* Connects when disconnected, honouring the backoff.  *fresh tells whether
 * this call made the connection. */
static int ovsdb_ensure_connected(struct ovsdb_session *s, int64_t deadline, bool *fresh)
{
	int64_t now = cal_time_mono_us();
	int rc;

	*fresh = false;
	if (s->fd >= 0)
		return 0;
	if (now < s->next_attempt_us) {
		if (s->next_attempt_us >= deadline)
			return cal_error_set(s->status ? s->status : CAL_EIO, "%s (next attempt "
					     "in %d ms)", s->status_msg[0] ? s->status_msg :
					     "OVSDB unreachable", ovsdb_ms_left(s->next_attempt_us));
		struct timespec ts = {
			.tv_sec = (s->next_attempt_us - now) / 1000000,
			.tv_nsec = ((s->next_attempt_us - now) % 1000000) * 1000,
		};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (s->failures > 0 || s->status)
		cal_log_debug("ovsdb", "reconnecting to %s", s->remote);
	rc = ovsdb_stream_connect(s, deadline);
	if (rc < 0) {
		s->failures++;
		s->next_attempt_us = cal_time_mono_us() + 1000LL * ovsdb_backoff_ms(s->failures);
		s->status = rc;
		snprintf(s->status_msg, sizeof(s->status_msg), "%s", cal_error_last());
		return rc;
	}
	s->failures = 0;
	s->next_attempt_us = 0;
	s->status = 0;
	s->status_msg[0] = '\0';
	*fresh = true;
	return 0;
}

int ovsdb_session_call(struct ovsdb_session *s, json_t **out, const char *method,
		       json_t *params, bool retry_safe)
{
	int64_t deadline = cal_time_mono_us() + 1000LL * s->timeout_ms;
	json_t *req = NULL, *id = NULL;
	int rc;

	*out = NULL;
	if (!params)
		return cal_error_set(CAL_ENOMEM, "cannot build OVSDB request '%s'", method);
	for (int attempt = 0;; attempt++) {
		bool fresh;

		rc = ovsdb_ensure_connected(s, deadline, &fresh);
		if (rc < 0)
			goto done;
		json_decref(req);
		id = json_integer(s->next_id++);
		req = json_pack("{sssOso}", "method", method, "params", params, "id", id);
		if (!req) {
			rc = cal_error_set(CAL_ENOMEM, "cannot build OVSDB request '%s'", method);
			goto done;
		}
		rc = ovsdb_send_json(s, req, deadline);
		if (rc == 0)
			rc = ovsdb_wait_reply(s, out, method, id, deadline);
		/* A connection that died while idle shows it only now; a
		 * request without side effects may go again, once. */
		if (rc == CAL_EIO && !fresh && retry_safe && attempt == 0) {
			cal_log_debug("ovsdb", "%s: %s; retrying on a new connection", s->remote,
				      cal_error_last());
			continue;
		}
		break;
	}
done:
	json_decref(req);
	json_decref(params);
	return rc;
}

int ovsdb_session_run(struct ovsdb_session *s, int timeout_ms)
{
	int64_t deadline = cal_time_mono_us() + 1000LL * (timeout_ms > 0 ? timeout_ms : 0);

	if (s->fd < 0)
		return cal_error_set(s->status ? s->status : CAL_EIO, "%s",
				     s->status_msg[0] ? s->status_msg : "OVSDB session not connected");
	return ovsdb_wait_reply(s, NULL, "", NULL, deadline);
}

/* ------------------------------------------------------------------ */
/* Methods                                                             */
/* ------------------------------------------------------------------ */

int ovsdb_list_dbs(struct ovsdb_session *s, json_t **out)
{
	json_t *res;
	size_t i;
	int rc;

	*out = NULL;
	rc = ovsdb_session_call(s, &res, "list_dbs", json_array(), true);
	if (rc < 0)
		return rc;
	for (i = 0; json_is_array(res) && i < json_array_size(res); i++)
		if (!json_is_string(json_array_get(res, i)))
			break;
	if (!json_is_array(res) || i < json_array_size(res)) {
		json_decref(res);
		return cal_error_set(CAL_EPROTO, "OVSDB at %s answered list_dbs with something "
				     "other than an array of names", s->remote);
	}
	*out = res;
	return 0;
}

int ovsdb_get_schema(struct ovsdb_session *s, json_t **out, const char *db)
{
	json_t *res;
	int rc;

	*out = NULL;
	rc = ovsdb_session_call(s, &res, "get_schema", json_pack("[s]", db), true);
	if (rc < 0)
		return rc;
	if (!json_is_object(res) || !json_is_object(json_object_get(res, "tables"))) {
		json_decref(res);
		return cal_error_set(CAL_EPROTO, "OVSDB at %s sent a schema of '%s' without "
				     "tables", s->remote, db);
	}
	*out = res;
	return 0;
}

int ovsdb_transact(struct ovsdb_session *s, json_t **out, const char *db, json_t *ops)
{
	json_t *params = NULL, *res = NULL;
	bool all_select = true;
	size_t i, n;
	int rc;

	*out = NULL;
	if (!json_is_array(ops)) {
		json_decref(ops);
		return cal_error_set(CAL_EINVALID, "OVSDB transact needs an array of operations");
	}
	n = json_array_size(ops);
	for (i = 0; i < n; i++) {
		const char *op = json_string_value(json_object_get(json_array_get(ops, i), "op"));

		if (!op || strcmp(op, "select"))
			all_select = false;
	}
	params = json_pack("[s]", db);
	if (!params || json_array_extend(params, ops) < 0) {
		json_decref(params);
		json_decref(ops);
		return cal_error_set(CAL_ENOMEM, "cannot build an OVSDB transaction");
	}
	json_decref(ops);
	rc = ovsdb_session_call(s, &res, "transact", params, all_select);
	if (rc < 0)
		return rc;
	rc = ovsdb_transact_check(res, n);
	if (rc < 0) {
		json_decref(res);
		return cal_error_prefix(rc, "OVSDB at %s, database '%s'", s->remote, db);
	}
	*out = res;
	return 0;
}

json_t *ovsdb_op_select(const char *table, const char *const *columns)
{
	json_t *op = json_pack("{sssss[]}", "op", "select", "table", table, "where");
	json_t *cols;

	if (!op || !columns)
		return op;
	cols = json_array();
	if (!cols || json_object_set_new(op, "columns", cols) < 0) {
		json_decref(op);
		return NULL;
	}
	for (; *columns; columns++) {
		if (json_array_append_new(cols, json_string(*columns)) < 0) {
			json_decref(op);
			return NULL;
		}
	}
	return op;
}

json_t *ovsdb_monitor_params_new(const char *db, const char *monitor_id,
				 const struct ovsdb_monitor_table *tables, size_t n_tables)
{
	json_t *reqs = json_object();
	json_t *params = json_pack("[ssO]", db, monitor_id, reqs);

	json_decref(reqs);
	if (!params)
		return NULL;
	for (size_t i = 0; i < n_tables; i++) {
		json_t *req = json_object();
		json_t *cols = json_array();

		if (!req || !cols || json_object_set_new(req, "columns", cols) < 0 ||
		    json_object_set_new(reqs, tables[i].table, req) < 0) {
			json_decref(req);
			json_decref(params);
			return NULL;
		}
		for (const char *const *c = tables[i].columns; c && *c; c++) {
			if (json_array_append_new(cols, json_string(*c)) < 0) {
				json_decref(params);
				return NULL;
			}
		}
	}
	return params;
}

int ovsdb_monitor(struct ovsdb_session *s, json_t **out, const char *db,
		  const char *monitor_id, const struct ovsdb_monitor_table *tables,
		  size_t n_tables)
{
	json_t *res;
	int rc;

	*out = NULL;
	rc = ovsdb_session_call(s, &res, "monitor",
				ovsdb_monitor_params_new(db, monitor_id, tables, n_tables), true);
	if (rc < 0)
		return rc;
	if (!json_is_object(res)) {
		json_decref(res);
		return cal_error_set(CAL_EPROTO, "OVSDB at %s answered monitor with something "
				     "other than table updates", s->remote);
	}
	*out = res;
	return 0;
}
