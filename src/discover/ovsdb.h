/* ovsdb.h - private to src/discover: the OVSDB client (RFC 7047) in three
 * layers, the way Open vSwitch's own client is built, and the decoding of
 * OVSDB's value encoding into plain JSON.
 *
 *   stream   (ovsdb_client.c)  "unix:PATH" / "tcp:IP:PORT", non-blocking
 *                              connect, send and receive bounded by poll()
 *   JSON-RPC (ovsdb_parse.c)   incremental framing of concatenated JSON
 *                              values, message classification; pure
 *   session  (ovsdb_client.c)  request ids, matching replies, answering
 *                              "echo", reconnect with backoff, list_dbs,
 *                              get_schema, transact, monitor
 *
 * Nothing outside src/discover includes this header.
 */
#ifndef CALIPSO_DISCOVER_OVSDB_H
#define CALIPSO_DISCOVER_OVSDB_H

#include "core/core.h"

#include <stdbool.h>
#include <stddef.h>

/* ------------------------------------------------------------------ */
/* JSON-RPC framing and messages (ovsdb_parse.c, pure)                 */
/* ------------------------------------------------------------------ */

/* Largest message accepted by default: the Interface table of a host
 * with tens of thousands of ports stays well below it. */
#define OVSDB_MAX_MSG_DEFAULT ((size_t)64 << 20)
/* Deepest nesting of arrays and objects in one message; OVSDB's own
 * messages need fewer than 12 levels. */
#define OVSDB_MAX_DEPTH 64

/* Assembles one JSON-RPC message at a time from a byte stream in which
 * messages follow one another with optional whitespace between them.  The
 * scanner keeps its state between calls, so each byte is looked at once
 * whatever the read sizes. */
struct ovsdb_parser {
	char *buf;        /* bytes of the message being assembled */
	size_t len, cap;
	size_t max_msg;   /* a message longer than this is CAL_EPROTO */
	int depth;        /* open arrays and objects */
	bool started;     /* the first '{' of a message was seen */
	bool in_string;
	bool escape;      /* previous byte was a backslash inside a string */
};

void ovsdb_parser_init(struct ovsdb_parser *p, size_t max_msg);
/* Drops a partial message (after an error or a reconnect). */
void ovsdb_parser_reset(struct ovsdb_parser *p);
void ovsdb_parser_destroy(struct ovsdb_parser *p);
/* True when no message is partly assembled. */
bool ovsdb_parser_is_idle(const struct ovsdb_parser *p);

/* Consumes bytes of `data` until one message is complete or the data
 * runs out.  Returns the number of bytes consumed (call again with the
 * rest) and sets *out to the completed message (the caller owns it) or to
 * NULL.  Returns CAL_EPROTO when the stream is malformed (not an object at
 * top level, bad JSON, deeper than OVSDB_MAX_DEPTH, longer than max_msg)
 * and CAL_ENOMEM; the parser must then be reset. */
long ovsdb_parser_feed(struct ovsdb_parser *p, json_t **out, const char *data, size_t len);

/* Called when the input ends: CAL_EPROTO when a message was cut short. */
int ovsdb_parser_finish(const struct ovsdb_parser *p);

enum ovsdb_msg_type {
	OVSDB_MSG_REQUEST,  /* method, params, id */
	OVSDB_MSG_NOTIFY,   /* method, params, id null */
	OVSDB_MSG_REPLY,    /* result, error null, id */
	OVSDB_MSG_ERROR,    /* error not null, id */
};

/* A classified message; every pointer is borrowed from the message. */
struct ovsdb_msg {
	enum ovsdb_msg_type type;
	const char *method;
	json_t *params;
	json_t *result;
	json_t *error;
	json_t *id;
};

/* Classifies a JSON-RPC message per RFC 7047 section 4.  CAL_EPROTO when
 * it is neither a request, a notification nor a response. */
int ovsdb_msg_classify(struct ovsdb_msg *out, const json_t *msg);

/* Human text of an OVSDB error value: "error: details" for the usual
 * {"error": ..., "details": ...} object, the string itself, or compact
 * JSON.  Always NUL-terminates buf. */
void ovsdb_error_text(char *buf, size_t size, const json_t *error);

/* Checks a transact result against the number of operations sent: every
 * operation answered and none failed.  CAL_EPROTO quoting the server's
 * error (and naming the operation) otherwise. */
int ovsdb_transact_check(const json_t *result, size_t n_ops);

/* ------------------------------------------------------------------ */
/* OVSDB values -> plain JSON (ovsdb_parse.c, pure)                    */
/* ------------------------------------------------------------------ */

/* How a column's OVSDB type maps to JSON. */
enum ovsdb_col_kind {
	OVSDB_COL_SCALAR,    /* exactly one atom -> the atom */
	OVSDB_COL_OPTIONAL,  /* zero or one atom -> the atom or null */
	OVSDB_COL_SET,       /* any number of atoms -> array */
	OVSDB_COL_MAP,       /* key/value pairs -> object (keys as strings) */
};

/* Decodes a datum (an atom, ["set", [...]], ["map", [...]], ["uuid", s],
 * ["named-uuid", s]) into plain JSON: uuids become their string.  Sets
 * the new value (the caller owns it) into *out.  CAL_EPROTO when the
 * datum does not have the shape `kind` needs. */
int ovsdb_datum_to_json(json_t **out, const json_t *datum, enum ovsdb_col_kind kind);

/* The "rows" array of the select result at `index` of a transact result,
 * borrowed; CAL_EPROTO when absent. */
int ovsdb_select_rows(json_t **out, const json_t *result, size_t index);

/* ------------------------------------------------------------------ */
/* Session (ovsdb_client.c)                                            */
/* ------------------------------------------------------------------ */

struct ovsdb_session;

/* Called for each table of an "update" notification of a monitor:
 * `rows` maps row uuid -> {"old": ..., "new": ...} as RFC 7047 4.1.6
 * sends it (borrowed, valid during the call). */
typedef void (*ovsdb_table_update_fn)(const char *monitor_id, const char *table,
				      const json_t *rows, void *arg);

/* Creates a session for `remote` ("unix:PATH", "tcp:IPv4:PORT",
 * "tcp:[IPv6]:PORT"; the port defaults to 6640); connects lazily, on the
 * first call.  Each call is bounded by timeout_ms (connect, backoff, send
 * and the wait for the reply; <= 0 means 5000).  Calls block the thread:
 * an event loop runs them on a worker.
 * CAL_EINVALID on a remote that cannot be parsed. */
int ovsdb_session_new(struct ovsdb_session **out, const char *remote, int timeout_ms);
void ovsdb_session_free(struct ovsdb_session *s);
const char *ovsdb_session_remote(const struct ovsdb_session *s);
/* The first error of the current connection (it sticks until the session
 * reconnects), or of the last connection attempt; 0 when healthy. */
int ovsdb_session_status(const struct ovsdb_session *s);
bool ovsdb_session_is_connected(const struct ovsdb_session *s);
/* Largest message accepted from the server (OVSDB_MAX_MSG_DEFAULT). */
void ovsdb_session_set_max_msg(struct ovsdb_session *s, size_t max_msg);
/* Receives monitor updates; fn may be NULL to drop them. */
void ovsdb_session_set_update_fn(struct ovsdb_session *s, ovsdb_table_update_fn fn,
				 void *arg);

/* Sends one request and waits for its reply, answering the server's
 * "echo" requests and dispatching notifications meanwhile.  `params` is
 * taken (consumed even on failure).  *out gets the "result" (the caller
 * owns it).  When the connection dropped since the previous call and
 * `retry_safe` (the request has no effect that must not be repeated), the
 * request is sent again once on a new connection.
 * CAL_EIO (unreachable, connection lost), CAL_ETIMEOUT, CAL_EPROTO (bad
 * message, or an error reply: the message quotes the server's text). */
int ovsdb_session_call(struct ovsdb_session *s, json_t **out, const char *method,
		       json_t *params, bool retry_safe);

/* ["Open_vSwitch", "_Server", ...] as an array of strings. */
int ovsdb_list_dbs(struct ovsdb_session *s, json_t **out);
/* The schema of `db` (a JSON object). */
int ovsdb_get_schema(struct ovsdb_session *s, json_t **out, const char *db);
/* Runs `ops` (an array of operations, taken) on `db`; *out is the array
 * of operation results, already checked with ovsdb_transact_check().
 * Retried on a new connection only when every operation is a "select". */
int ovsdb_transact(struct ovsdb_session *s, json_t **out, const char *db, json_t *ops);

/* A "select" operation of `columns` (NULL-terminated; NULL = all) of every
 * row of `table`.  NULL on allocation failure. */
json_t *ovsdb_op_select(const char *table, const char *const *columns);

/* One table of a monitor request: its columns (NULL-terminated). */
struct ovsdb_monitor_table {
	const char *table;
	const char *const *columns;
};

/* The params of a "monitor" request (RFC 7047 4.1.5) for `db` under
 * `monitor_id`, asking for the initial rows and every later change.
 * NULL on allocation failure. */
json_t *ovsdb_monitor_params_new(const char *db, const char *monitor_id,
				 const struct ovsdb_monitor_table *tables, size_t n_tables);

/* Starts a monitor; *out gets the initial table updates (the caller owns
 * them).  Later changes reach the update function during any call or
 * ovsdb_session_run(). */
int ovsdb_monitor(struct ovsdb_session *s, json_t **out, const char *db,
		  const char *monitor_id, const struct ovsdb_monitor_table *tables,
		  size_t n_tables);

/* Waits up to timeout_ms for messages from the server, answering echo
 * requests and dispatching notifications; returns 0 when the time ran
 * out with the connection healthy, CAL_EIO when it dropped. */
int ovsdb_session_run(struct ovsdb_session *s, int timeout_ms);

/* ------------------------------------------------------------------ */
/* The "ovs" report section (ovs_source.c)                             */
/* ------------------------------------------------------------------ */

/* The operations of one scan, in the order ovs_section_build() reads
 * their results: Open_vSwitch, Bridge, Port, Interface, Controller. */
json_t *ovs_scan_ops_new(void);

/* Builds the "ovs" section from the result of ovs_scan_ops_new()'s
 * transact (pure: also fed by the fuzzer).  Resolves Bridge.ports,
 * Port.interfaces and Bridge.controller through hash tables; sorts by
 * name.  CAL_EPROTO on a result of the wrong shape. */
int ovs_section_build(json_t **out, const char *remote, const json_t *result);

#endif
