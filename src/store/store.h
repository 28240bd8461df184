/* store.h - the temporal store: objects and links as revisions, scans,
 * environments (DESIGN.md "Time").
 *
 * Each object and link row has valid_from/valid_to (microseconds, UTC) and
 * the canonical hash of its stable document (volatile fields, see
 * cal_object_stable(), live in a side table and have no history).  The live
 * inventory is valid_to IS NULL; the inventory at time T is the rows with
 * valid_from <= T < valid_to.  A commit writes only what changed, in one
 * transaction.
 *
 * Backends: SQLite (embedded default, WAL) and PostgreSQL, selected by the
 * URI given to cal_store_open().  A cal_store is used by one thread at a
 * time; the server opens one per worker thread.
 */
#ifndef CALIPSO_STORE_H
#define CALIPSO_STORE_H

#include "core/core.h"

typedef struct cal_store cal_store;

/* Default database path: $CALIPSO_DB, else /var/lib/calipso/calipso.db for
 * root, else $XDG_DATA_HOME/calipso/calipso.db (~/.local/share/...). */
const char *cal_store_default_path(void);

/* Opens (creating and migrating as needed) the store at `uri`: a file
 * path, "sqlite:PATH", or "postgresql://..." / "postgres://...".  Errors name
 * the path: CAL_EIO when it cannot be opened or written, CAL_EINVALID when
 * the file is not a Calipso database (corrupt, or another program's). */
int cal_store_open(cal_store **out, const char *uri);
void cal_store_close(cal_store *st);

/* ------------------------------------------------------------------ */
/* Environments                                                        */
/* ------------------------------------------------------------------ */

/* Adds or replaces an environment's configuration (a JSON object, see
 * discover.h).  CAL_EEXISTS when `replace` is false and it exists. */
int cal_store_env_put(cal_store *st, const char *name, const json_t *config, bool replace);
/* *out = the configuration object.  CAL_ENOTFOUND when unknown. */
int cal_store_env_get(cal_store *st, json_t **out, const char *name);
/* Array of {"name", "config", "created", "updated"} (RFC 3339 times), by
 * name. */
int cal_store_env_list(cal_store *st, json_t **out);
/* Removes the configuration only: the environment's inventory history and
 * scans stay.  CAL_ENOTFOUND when unknown. */
int cal_store_env_remove(cal_store *st, const char *name);

/* ------------------------------------------------------------------ */
/* Scans                                                               */
/* ------------------------------------------------------------------ */

enum cal_scan_status {
	CAL_SCAN_PENDING,
	CAL_SCAN_RUNNING,
	CAL_SCAN_COMPLETED,
	CAL_SCAN_COMPLETED_WITH_ERRORS,
	CAL_SCAN_FAILED,
	CAL_SCAN_ABORTED,
};
const char *cal_scan_status_name(enum cal_scan_status s);
/* -1 when unknown. */
int cal_scan_status_from_name(const char *name);

/* Records a scan request (status pending) and returns its id. */
int cal_store_scan_create(cal_store *st, int64_t *out_id, const char *env, const json_t *request);
/* Moves a scan to `status`; `result` (may be NULL) is merged, key by key,
 * into its result object: {"sources": [...], "counts": {...}, "error":
 * "..."}.  The start time is set when it first runs (or ends without
 * running), the end time when it reaches a final status.  CAL_ENOTFOUND
 * when unknown. */
int cal_store_scan_update(cal_store *st, int64_t id, enum cal_scan_status status,
			  const json_t *result);
/* {"id", "environment", "status", "request", "result", "created",
 * "started", "finished"}: times as RFC 3339 strings, null until set.
 * CAL_ENOTFOUND when unknown. */
int cal_store_scan_get(cal_store *st, json_t **out, int64_t id);
/* Newest first; env may be NULL for all; limit <= 0 means 100. */
int cal_store_scan_list(cal_store *st, json_t **out, const char *env, int limit);
/* Marks scans left running (by a crash) as failed, with `reason` (NULL: a
 * default text) as their result's "error"; returns how many. */
int cal_store_scan_fail_stale(cal_store *st, const char *reason);

/* ------------------------------------------------------------------ */
/* Inventory                                                           */
/* ------------------------------------------------------------------ */

/* The result of a discovery, to be committed as of time `ts`.
 * `objects` and `links` map id -> document.  `answered` lists the
 * (host, source) pairs that answered: a live object whose host and source
 * answered but which is absent from `objects` is closed (deleted as of ts);
 * a live object whose source did not answer is kept untouched.  Objects
 * without a host use host "" in that list.  Links are always replaced as a
 * whole set for the environment (the linker saw every object, kept ones
 * included).  */
struct cal_commit {
	const char *env;
	int64_t ts;
	int64_t scan_id;
	const json_t *objects;
	const json_t *links;
	const json_t *answered; /* array of {"host": h, "source": s} */
	/* When true, every live object of the environment absent from
	 * `objects` is closed, whatever its source (scan --clear). */
	bool clear;
};

struct cal_commit_stats {
	int objects_added, objects_changed, objects_removed, objects_unchanged;
	int links_added, links_changed, links_removed, links_unchanged;
	int64_t ts; /* the time the revisions were written at (see below) */
	int volatile_written; /* volatile group rows written or deleted */
};

/* One transaction: revisions for what changed, volatile state for all.
 *   - Each document is split with cal_object_stable(); the stable part is
 *     compared by cal_json_canonical_hash() with the live revision: equal
 *     -> no revision (objects_unchanged); different -> the live revision
 *     ends at ts and a new one starts at ts (objects_changed); unknown id
 *     -> a new revision (objects_added).  The volatile part goes to a side
 *     table (no history), written only when it changed.
 *   - `objects` NULL means an empty set (with `answered` or `clear`, that
 *     removes); `links` NULL leaves the links untouched, an empty object
 *     removes them all.
 *   - Times: ts <= 0 means now.  Revision times of an environment strictly
 *     increase: when ts is not after the newest valid_from/valid_to already
 *     stored for the environment, newest + 1 us is used instead; out->ts
 *     tells which.
 *   - Every commit is recorded (time, scan_id, answered, stats) for the
 *     snapshots to come.
 * Writers of one environment are serialised (also across PostgreSQL
 * clients).  On failure nothing is written.  The documents are only read,
 * by the calling thread and short-lived helper threads (one per other
 * CPU) that split and hash them. */
int cal_store_commit(cal_store *st, const struct cal_commit *c, struct cal_commit_stats *out);

/* Live objects of (host, source) pairs: used to keep a failed source's
 * last good data in the next link computation.  *out maps id -> doc. */
int cal_store_objects_of_sources(cal_store *st, json_t **out, const char *env,
				 const json_t *pairs);

struct cal_query {
	const char *env;     /* required */
	int64_t at;          /* 0 = live */
	const char *id;      /* exact */
	const char *type;    /* exact */
	const char *host;    /* exact */
	const char *name;    /* glob */
	const char *parent_id;
	const char *id_path_prefix; /* sub-tree */
	bool with_volatile;  /* merge the volatile side table (live only) */
	int limit;           /* <= 0: no limit */
	int offset;
};

/* Objects matching `q`, ordered by id_path: a JSON array. */
int cal_store_objects(cal_store *st, json_t **out, const struct cal_query *q);
/* One object (live or at q->at); CAL_ENOTFOUND names the id. */
int cal_store_object_get(cal_store *st, json_t **out, const char *env, const char *id,
			 int64_t at);
/* Links: q->id = link id, q->type = link type, q->host; `object_id`
 * (may be NULL) selects links with that source or target. */
int cal_store_links(cal_store *st, json_t **out, const struct cal_query *q,
		    const char *object_id);
/* Every revision of an object or link, oldest first:
 * [{"valid_from", "valid_to", "hash", "doc"}]. */
int cal_store_history(cal_store *st, json_t **out, const char *env, const char *id);

/* Last good report sections (docs/report-format.md) per host and source,
 * so that a source that fails keeps its data: {host: {source: {"ts": us,
 * "doc": section}}} for the (host, source) pairs of `pairs` (an array of
 * {"host", "source"}), in one query. */
int cal_store_sections_get(cal_store *st, json_t **out, const char *env, const json_t *pairs);
/* Saves sources' sections as their last good ones (replacing the previous),
 * all in one transaction: `sections` is an array of {"host", "source",
 * "ts", "doc"}. */
int cal_store_sections_put(cal_store *st, const char *env, const json_t *sections);

/* Count of live objects per type: {"host": 3, ...}. */
int cal_store_counts(cal_store *st, json_t **out, const char *env);

/* ------------------------------------------------------------------ */
/* SQL for derived data (store_sql.c)                                  */
/* ------------------------------------------------------------------ */

/* Derived tables (cliques, the search index: store_cliques.c and
 * store_search.c hold their DDL) are read and written by src/analyze
 * through this thin layer over the store's own connection, with the
 * conventions of the store's SQL: `?` placeholders, integers as int64,
 * everything else text, statements cached by their SQL text and given back
 * with cal_store_sql_reset().  Errors name the database.  The SQL must be
 * valid on both engines; cal_store_is_postgres() tells which one runs for
 * the few spellings that differ (JSON extraction, substring search). */
typedef struct db_stmt cal_store_stmt;
typedef struct db_batch cal_store_batch;

#define CAL_STORE_DONE 0
#define CAL_STORE_ROW 1

bool cal_store_is_postgres(const cal_store *st);
/* A write transaction holding the writer lock of `env` (the lock
 * cal_store_commit() takes), so that derived data is written in step with
 * the commits it derives from.  Transactions do not nest. */
int cal_store_tx_begin(cal_store *st, const char *env);
int cal_store_tx_commit(cal_store *st);
/* Keeps the current error message; a no-op outside a transaction. */
void cal_store_tx_rollback(cal_store *st);

int cal_store_sql_prepare(cal_store *st, cal_store_stmt **out, const char *sql);
/* Prepares `sql` and binds one parameter per letter of `fmt`: 't' const
 * char * (NULL binds NULL), 'i' int64_t, 'I' int64_t or NULL when < 0
 * (callers pass int64_t, never int).  On failure *out is NULL. */
int cal_store_sql_prepare_fmt(cal_store *st, cal_store_stmt **out, const char *sql,
			      const char *fmt, ...);
int cal_store_sql_bind_text(cal_store_stmt *s, int i, const char *v); /* i from 1 */
int cal_store_sql_bind_int64(cal_store_stmt *s, int i, int64_t v);
/* CAL_STORE_ROW, CAL_STORE_DONE or a negative CAL_E* code. */
int cal_store_sql_step(cal_store_stmt *s);
/* Columns from 0; text is NULL for SQL NULL and valid until the next step. */
const char *cal_store_sql_text(cal_store_stmt *s, int i);
int64_t cal_store_sql_int64(cal_store_stmt *s, int i);
bool cal_store_sql_is_null(cal_store_stmt *s, int i);
void cal_store_sql_reset(cal_store_stmt *s);
/* Runs a statement to its end, its parameters bound as
 * cal_store_sql_prepare_fmt() binds them. */
int cal_store_sql_exec(cal_store *st, const char *sql, const char *fmt, ...);

/* Multi-row writes: head [row sep row ...] tail, many rows per statement
 * (see the store's db.h for the details).  `nfixed` parameters in head are
 * bound once with cal_store_batch_fixed_*(). */
int cal_store_batch_new(cal_store_batch **out, cal_store *st, const char *head, const char *row,
			const char *sep, const char *tail, int nfixed, int ncols);
void cal_store_batch_free(cal_store_batch *b);
int cal_store_batch_fixed_text(cal_store_batch *b, int i, const char *v);
int cal_store_batch_fixed_int64(cal_store_batch *b, int i, int64_t v);
int cal_store_batch_text(cal_store_batch *b, const char *v);      /* copied */
int cal_store_batch_text_take(cal_store_batch *b, char *v);       /* free()d by the batch */
int cal_store_batch_text_ref(cal_store_batch *b, const char *v);  /* valid until flushed */
int cal_store_batch_int64(cal_store_batch *b, int64_t v);
int cal_store_batch_null(cal_store_batch *b);
int cal_store_batch_flush(cal_store_batch *b);
/* `b` flushes `first` before each of its writes. */
void cal_store_batch_set_before(cal_store_batch *b, cal_store_batch *first);

/* ------------------------------------------------------------------ */
/* Snapshots and retention (store_snapshots.c, docs/snapshots.md)      */
/* ------------------------------------------------------------------ */

/* A snapshot is a named point in time of an environment: the inventory at
 * its time is every revision with valid_from <= time < valid_to.  Its time
 * is the environment's newest revision time when it is taken (under the
 * writers' lock), so that no later commit can land at or before it and
 * the snapshot reads the same forever (until pruned).
 *
 * Names: 1-64 of [A-Za-z0-9._-], starting with a letter or digit, not
 * "live" and not text cal_time_parse() accepts (so that `calipso diff`
 * never reads one for the other). */
struct cal_snapshot_spec {
	const char *env;
	const char *name;
	const char *note;         /* may be NULL */
	int64_t scan_id;          /* the scan it follows; 0 = the newest finished one */
	const char *clique;       /* focal point id for a clique-scoped snapshot, or NULL */
	const json_t *clique_doc; /* that clique as cal_clique_get() returned it (kept as
				   * the record of its members and health), or NULL */
	bool pinned;
};

/* Checks a snapshot name; CAL_EINVALID quoting it. */
int cal_store_snapshot_name_check(const char *name);

/* Records a snapshot and returns it through *out (may be NULL):
 * {"name", "environment", "time", "time_us", "created", "scan_id",
 *  "sources": the scan's sources (which answered), "scope": "env" or
 *  "clique:<id>", "clique": id or null, "clique_state": {...} or null,
 *  "note", "pinned", "counts": {"objects", "links", "types": {...}}}.
 * CAL_EEXISTS when the name is taken; CAL_EINVALID when the environment
 * has no inventory yet or the clique's focal point is not live. */
int cal_store_snapshot_create(cal_store *st, json_t **out, const struct cal_snapshot_spec *spec);
/* CAL_ENOTFOUND quoting the name. */
int cal_store_snapshot_get(cal_store *st, json_t **out, const char *env, const char *name);
/* Oldest first; env may be NULL for every environment. */
int cal_store_snapshot_list(cal_store *st, json_t **out, const char *env);
/* Removes the record; the revisions it kept go at the next prune. */
int cal_store_snapshot_remove(cal_store *st, const char *env, const char *name);
int cal_store_snapshot_pin(cal_store *st, const char *env, const char *name, bool pinned);

/* Retention of an environment's snapshots.  A snapshot is kept when it is
 * pinned, one of the `keep_last` newest, or taken less than `keep_days`
 * days ago; with neither set (both 0) every snapshot is kept.  Pruning
 * removes the other snapshots, then every closed revision that ended
 * before the horizon (now - keep_days, or now when keep_days is 0) and
 * that no kept snapshot's time falls in.  Live revisions are never
 * touched. */
struct cal_retention {
	int keep_last; /* 0 = not set */
	int keep_days; /* 0 = not set */
};

/* The stored policy (zeros when none was set). */
int cal_store_retention_get(cal_store *st, struct cal_retention *out, const char *env);
/* Saves the policy that `snapshot create` applies after each snapshot. */
int cal_store_retention_set(cal_store *st, const char *env, const struct cal_retention *r);
/* Applies `r` (NULL = the stored policy) as of time `now` (<= 0: the
 * clock).  *out (may be NULL): {"removed": [names], "kept": [names],
 * "objects_pruned", "links_pruned", "horizon"}. */
int cal_store_prune(cal_store *st, json_t **out, const char *env, const struct cal_retention *r,
		    int64_t now);

/* Whether the inventory of `env` at `at` can be read as it was:
 * CAL_EINVALID, quoting the time, when it is in the future, before the
 * environment's first revision, or in history that retention pruned (other
 * than a kept snapshot's time). */
int cal_store_time_check(cal_store *st, const char *env, int64_t at);

/* ------------------------------------------------------------------ */
/* What changed between two times (store_diff.c)                       */
/* ------------------------------------------------------------------ */

/* The objects and links of `env` whose revision at t1 differs from their
 * revision at t2 (t1 < t2; t2 <= 0 means live), read only from the
 * revisions that began or ended in between (the valid_from/valid_to
 * indexes), never from two full copies:
 *   {"objects": {id: {"before": doc or null, "after": doc or null}},
 *    "links":   {id: {"before": ..., "after": ...}}}
 * An id changed and changed back (same hash) is left out. */
int cal_store_changes(cal_store *st, json_t **out, const char *env, int64_t t1, int64_t t2);

/* The environment's newest revision time (0 when it has none). */
int cal_store_newest_time(cal_store *st, int64_t *out, const char *env);

/* ------------------------------------------------------------------ */
/* Design baselines (store_designs.c)                                  */
/* ------------------------------------------------------------------ */

/* A design is the expected state of an environment (analyze.h describes
 * the document).  `origin` says where it came from ("snapshot week-47",
 * "file design.yaml").  CAL_EEXISTS unless replace. */
int cal_store_design_put(cal_store *st, const char *env, const char *name, const json_t *doc,
			 const char *origin, bool replace);
/* {"name", "environment", "origin", "created", "updated", "doc"};
 * CAL_ENOTFOUND quoting the name. */
int cal_store_design_get(cal_store *st, json_t **out, const char *env, const char *name);
/* The same without "doc" but with "objects", "links", "cliques" counts. */
int cal_store_design_list(cal_store *st, json_t **out, const char *env);
int cal_store_design_remove(cal_store *st, const char *env, const char *name);

/* ------------------------------------------------------------------ */
/* Generated reports (store_reports.c)                                 */
/* ------------------------------------------------------------------ */

struct cal_report_record {
	const char *env;
	const char *kind;    /* diff, impact, health, inventory */
	const char *format;  /* html, json, csv */
	const char *title;
	const json_t *args;  /* what it was generated from */
	const char *content;
	size_t length;
};

/* Keeps a report; *out_id receives its id. */
int cal_store_report_put(cal_store *st, int64_t *out_id, const struct cal_report_record *r);
/* *out: {"id", "environment", "kind", "format", "title", "created", "args",
 * "size"}; *content (may be NULL): the bytes, NUL-terminated, with their
 * length in *length (may be NULL).  CAL_ENOTFOUND quoting the id. */
int cal_store_report_get(cal_store *st, json_t **out, char **content, size_t *length, int64_t id);
/* Newest first, without contents; env may be NULL. */
int cal_store_report_list(cal_store *st, json_t **out, const char *env);
int cal_store_report_remove(cal_store *st, int64_t id);


/* ------------------------------------------------------------------ */
/* Server tables (src/server): users and tokens, messages, schedules,  */
/* connection tests, the scan queue, externally managed attributes     */
/* ------------------------------------------------------------------ */

/* Users (store_auth.c).  `password_hash` is libsodium's Argon2id string,
 * never a password; `roles` a JSON array of strings ("admin",
 * "view-env:NAME", "edit-env:NAME").  CAL_EEXISTS when `replace` is false
 * and the user exists. */
int cal_store_user_put(cal_store *st, const char *name, const char *password_hash,
		       const json_t *roles, bool replace);
/* {"name", "roles", "created", "updated"} (+ "password_hash" when asked);
 * CAL_ENOTFOUND names the user. */
int cal_store_user_get(cal_store *st, json_t **out, const char *name, bool with_hash);
/* Every user, by name, without hashes. */
int cal_store_user_list(cal_store *st, json_t **out);
int cal_store_user_count(cal_store *st, int64_t *out);
/* Removes the user and its tokens; CAL_ENOTFOUND when unknown. */
int cal_store_user_remove(cal_store *st, const char *name);

/* Tokens are stored by the hash of the token (hex), never the token. */
int cal_store_token_put(cal_store *st, const char *token_hash, const char *user,
			const char *method, int64_t issued, int64_t expires);
/* {"user", "method", "issued", "expires", "revoked" (0 = not), "roles"}
 * with times in microseconds; CAL_ENOTFOUND for an unknown token or one
 * whose user is gone. */
int cal_store_token_get(cal_store *st, json_t **out, const char *token_hash);
/* CAL_ENOTFOUND when unknown or already revoked. */
int cal_store_token_revoke(cal_store *st, const char *token_hash, int64_t now);
int cal_store_token_revoke_user(cal_store *st, const char *user, int64_t now);
/* Deletes tokens that expired or were revoked before `before`. */
int cal_store_token_purge(cal_store *st, int64_t before, int64_t *out_removed);

/* Messages (store_messages.c): documents with "environment", "level",
 * "source_system" (required), "related_object", "related_object_type",
 * "display_context", "message", "timestamp" (optional, default now),
 * "origin_id", "origin_type". */
int cal_store_message_add(cal_store *st, int64_t *out_id, const json_t *msg);

struct cal_message_query {
	const char *env;          /* NULL: every environment */
	int64_t id;               /* > 0: that message */
	const char *source_system, *level, *related_object, *related_object_type;
	int64_t start, end;       /* > 0: timestamp bounds, inclusive */
	int limit, offset;        /* limit <= 0: 1000 */
};
/* Newest first, each with its "id" and "viewed". */
int cal_store_messages(cal_store *st, json_t **out, const struct cal_message_query *q);
int cal_store_message_get(cal_store *st, json_t **out, int64_t id);
int cal_store_message_set_viewed(cal_store *st, int64_t id, bool viewed);
/* {"levels": {level: n}, "environments": {env: n}}; env NULL = all. */
int cal_store_message_counts(cal_store *st, json_t **out, const char *env);

/* Schedules (store_schedules.c): {"environment", "kind" ("scan"),
 * "freq" (or null), "cron", "timezone", "request" (object), "enabled",
 * "next_run_us"}; read back with "id", times as text, "next_run_us",
 * "last_run", "last_scan_id", "runs". */
int cal_store_schedule_create(cal_store *st, int64_t *out_id, const json_t *schedule);
/* Replaces freq, cron, timezone, request, enabled and next_run_us. */
int cal_store_schedule_update(cal_store *st, int64_t id, const json_t *schedule);
int cal_store_schedule_get(cal_store *st, json_t **out, int64_t id);

struct cal_schedule_query {
	const char *env, *kind, *freq; /* NULL: any */
	int limit, offset;             /* limit <= 0: 1000 */
};
int cal_store_schedule_list(cal_store *st, json_t **out, const struct cal_schedule_query *q);
int cal_store_schedule_remove(cal_store *st, int64_t id);
/* Enabled schedules whose next run is at or before `now`, soonest first. */
int cal_store_schedule_due(cal_store *st, json_t **out, int64_t now);
/* Records a run if next_run still equals `expected_next` (*out_claimed
 * tells): last_run = ran_at, next_run = next_run (< 0: none), runs + 1. */
int cal_store_schedule_claim(cal_store *st, bool *out_claimed, int64_t id, int64_t expected_next,
			     int64_t ran_at, int64_t next_run);
int cal_store_schedule_set_scan(cal_store *st, int64_t id, int64_t scan_id);

/* Connection tests (store_conntests.c): status "pending" until finished
 * with its result. */
int cal_store_conntest_create(cal_store *st, int64_t *out_id, const char *env,
			      const json_t *request);
int cal_store_conntest_finish(cal_store *st, int64_t id, const char *status,
			      const json_t *result);
/* {"id", "environment", "status", "request", "result", "submit_timestamp",
 * "response_timestamp"}, newest first; env NULL, id <= 0, status NULL
 * select all. */
int cal_store_conntests(cal_store *st, json_t **out, const char *env, int64_t id,
			const char *status, int limit, int offset);

/* The scan queue (store_scanqueue.c).  Moves the oldest pending scan of an
 * environment that has no running scan to "running" and returns its record
 * (*out NULL when there is none). */
int cal_store_scan_claim(cal_store *st, json_t **out);

struct cal_scan_query {
	const char *env;         /* NULL: all */
	int64_t id;              /* > 0: that scan */
	const char *status;      /* NULL: any */
	const char *base_object; /* request.object_id */
	int limit, offset;       /* limit <= 0: 1000 */
};
/* Scan records (cal_store_scan_get's shape), newest first. */
int cal_store_scans_find(cal_store *st, json_t **out, const struct cal_scan_query *q);

/* Externally managed attributes (store_external.c).  Merges `patch` (a
 * JSON object; a null value removes that attribute) into the object's
 * external attributes, stores them where scans never write, and writes a
 * new revision of the object carrying them under "external".  *out (may
 * be NULL) gets the live object.  CAL_ENOTFOUND for an unknown object. */
int cal_store_object_set_external(cal_store *st, json_t **out, const char *env, const char *id,
				  const json_t *patch, const char *by);
/* {id: external attributes} of the environment, for the pipeline to carry
 * onto rebuilt objects. */
int cal_store_externals(cal_store *st, json_t **out, const char *env);

/* A fingerprint of the environment's data (store_version.c): changes with
 * every recorded commit and every clique refresh.  For caches of answers. */
int cal_store_env_version(cal_store *st, char *out, size_t outlen, const char *env);

#endif
