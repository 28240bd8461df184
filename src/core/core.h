/* core.h - Calipso's shared vocabulary: errors, logging, time, ids, the
 * object/link model and JSON helpers.
 *
 * Every other subsystem depends on this header and nothing here depends on
 * them.  Objects and links are jansson documents (json_t objects) whose
 * common fields are described in docs/model.md; the helpers below create and
 * read them so that field names are spelled in one place.
 *
 * Error convention (libgit2 style): functions return 0 or a negative CAL_E*
 * code, and leave a human message in a per-thread "last error" that names
 * the object and quotes values.  The caller owns anything returned through
 * an `out` parameter.
 */
#ifndef CALIPSO_CORE_H
#define CALIPSO_CORE_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAL_VERSION "0.1.0"

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

enum cal_error {
	CAL_OK = 0,
	CAL_ENOTFOUND = -1, /* unknown id, name, file */
	CAL_EEXISTS = -2,   /* duplicate */
	CAL_EINVALID = -3,  /* bad input from a user or a file */
	CAL_EPROTO = -4,    /* malformed data from a peer (netlink, OVSDB, HTTP) */
	CAL_ETIMEOUT = -5,
	CAL_ENOMEM = -6,
	CAL_EIO = -7,       /* a system call, socket or database failed */
	CAL_EPERM = -8,     /* missing privilege or credentials */
	CAL_EAUTH = -9,     /* authentication refused */
};

/* Sets the calling thread's last error and returns `code`, so that callers
 * can write `return cal_error_set(CAL_EINVALID, "bad vni '%s'", s);`. */
int cal_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same, appending ": strerror(errnum)". */
int cal_error_set_errno(int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefixes the current message with more context ("scan host1: ..."). */
int cal_error_prefix(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The last message of this thread; never NULL ("" when none). */
const char *cal_error_last(void);
void cal_error_clear(void);
/* Short stable name of a code: "not found", "invalid", ... */
const char *cal_error_name(int code);

/* ------------------------------------------------------------------ */
/* Logging                                                             */
/* ------------------------------------------------------------------ */

enum cal_log_level {
	CAL_LOG_ERROR = 0,
	CAL_LOG_WARN = 1,
	CAL_LOG_INFO = 2,
	CAL_LOG_DEBUG = 3,
};

/* Every line names its subsystem token ("netlink", "ovsdb", "store", ...).
 * Non-printable bytes in the formatted message are escaped, so external
 * strings (interface names, API fields) cannot forge log lines. */
void cal_log(int level, const char *token, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cal_logv(int level, const char *token, const char *fmt, va_list ap);
#define cal_log_error(tok, ...) cal_log(CAL_LOG_ERROR, tok, __VA_ARGS__)
#define cal_log_warn(tok, ...) cal_log(CAL_LOG_WARN, tok, __VA_ARGS__)
#define cal_log_info(tok, ...) cal_log(CAL_LOG_INFO, tok, __VA_ARGS__)
#define cal_log_debug(tok, ...) cal_log(CAL_LOG_DEBUG, tok, __VA_ARGS__)

/* Threshold for all tokens (default CAL_LOG_WARN). */
void cal_log_set_level(int level);
/* "netlink,ovsdb" or "all": debug lines of those tokens are printed
 * whatever the level.  Returns CAL_EINVALID on an empty list. */
int cal_log_enable_debug(const char *tokens);
bool cal_log_is_debug(const char *token);
/* Lines go to stderr by default; a server may send them elsewhere. */
typedef void (*cal_log_sink_fn)(int level, const char *token, const char *line, void *arg);
void cal_log_set_sink(cal_log_sink_fn fn, void *arg);

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

/* Times are microseconds since the epoch, UTC, in an int64_t. */
int64_t cal_time_now_us(void);
/* Monotonic microseconds, for durations. */
int64_t cal_time_mono_us(void);
/* "2026-11-25T12:40:22.123456Z" into buf (at least CAL_TIME_BUFSZ). */
#define CAL_TIME_BUFSZ 32
const char *cal_time_format(char buf[CAL_TIME_BUFSZ], int64_t us);
/* Accepts RFC 3339 ("2026-11-25T12:40:22Z", fraction and offset optional,
 * a space instead of T), a date alone ("2026-11-25" = midnight UTC),
 * "@<epoch seconds>", "now", and "-<n>{s,m,h,d,w}" relative to now.
 * Returns CAL_EINVALID with a message quoting the input. */
int cal_time_parse(int64_t *out, const char *text);

/* ------------------------------------------------------------------ */
/* Object and link model (docs/model.md)                               */
/* ------------------------------------------------------------------ */

/* Common fields of every object. */
#define CAL_F_ID "id"
#define CAL_F_TYPE "type"
#define CAL_F_NAME "name"
#define CAL_F_OBJECT_NAME "object_name"
#define CAL_F_PARENT_ID "parent_id"
#define CAL_F_PARENT_TYPE "parent_type"
#define CAL_F_ID_PATH "id_path"
#define CAL_F_NAME_PATH "name_path"
#define CAL_F_HOST "host"
#define CAL_F_ENV "environment"
#define CAL_F_LAST_SCANNED "last_scanned"
#define CAL_F_SOURCE "source" /* which discovery source produced it */
#define CAL_F_STATUS "status"

/* Links. */
#define CAL_F_SOURCE_ID "source_id"
#define CAL_F_TARGET_ID "target_id"
#define CAL_F_LINK_TYPE "link_type"
#define CAL_F_LINK_NAME "link_name"
#define CAL_F_STATE "state"
#define CAL_F_ATTRIBUTES "attributes"

/* Known object types; the string form is what documents carry. */
enum cal_obj_type {
	CAL_T_UNKNOWN = 0,
	CAL_T_ENVIRONMENT,
	CAL_T_REGION,
	CAL_T_AVAILABILITY_ZONE,
	CAL_T_AGGREGATE,
	CAL_T_PROJECT,
	CAL_T_HOST,
	CAL_T_INSTANCE,
	CAL_T_VNIC,
	CAL_T_VSERVICE,
	CAL_T_NETWORK,
	CAL_T_PORT,
	CAL_T_VCONNECTOR,
	CAL_T_VEDGE,
	CAL_T_OTEP,
	CAL_T_HOST_PNIC,
	CAL_T_SWITCH,
	CAL_T_SWITCH_PNIC,
	CAL_T_NETWORK_AGENT,
	CAL_T_COUNT_
};

const char *cal_type_name(enum cal_obj_type t);
/* CAL_T_UNKNOWN when `name` is not a known type. */
enum cal_obj_type cal_type_from_name(const char *name);

/* Attribute value kinds used by the per-type schema. */
enum cal_attr_kind {
	CAL_A_STRING,
	CAL_A_INT,
	CAL_A_BOOL,
	CAL_A_ARRAY,
	CAL_A_OBJECT,
	CAL_A_ANY,
};

struct cal_attr_def {
	const char *name;
	enum cal_attr_kind kind;
	bool required;
	bool is_volatile; /* excluded from revisions and diffs (counters, times) */
};

/* The typed attributes of `t` (NULL-name terminated), common fields
 * excluded. */
const struct cal_attr_def *cal_type_attrs(enum cal_obj_type t);
/* The fields every object may carry (id, type, name, paths, status...). */
const struct cal_attr_def *cal_common_attrs(void);

/* Checks common fields and the typed attributes of an object document.
 * Returns CAL_EINVALID naming the object and field. */
int cal_object_validate(const json_t *obj);

/* Creates an object document with its common fields.  `host` may be NULL
 * for objects that live nowhere in particular (networks, projects).
 * Returns NULL on allocation failure. */
json_t *cal_object_new(const char *env, enum cal_obj_type type, const char *id,
		       const char *name, const char *host);

/* Sets parent_id/parent_type and derives id_path and name_path from the
 * parent's paths (the parent's id_path + "/" + own id).  Pass a NULL
 * parent for objects directly under the environment. */
int cal_object_set_parent(json_t *obj, const json_t *parent);

/* Accessors that return "" rather than NULL for a missing string. */
const char *cal_json_str(const json_t *obj, const char *key);
/* NULL when missing or not a string. */
const char *cal_json_str_or_null(const json_t *obj, const char *key);
json_int_t cal_json_int(const json_t *obj, const char *key, json_int_t dflt);

/* Deterministic ids (DESIGN.md "Identity").
 * Host objects: "<host>:<kind>:<name>"; an object inside a network
 * namespace other than the host's own carries "<namespace>/<name>" as its
 * name part.  Links: "<source_id>|<link_type>|<target_id>".
 * Return malloc'ed strings (NULL on allocation failure). */
char *cal_id_host_object(const char *host, enum cal_obj_type type, const char *ns,
			 const char *name);
char *cal_id_link(const char *source_id, const char *link_type, const char *target_id);

/* Creates a link document.  The link type is "<source type>-<target
 * type>".  `network` (may be NULL) goes to attributes.network, which the
 * clique `network` constraint reads. */
json_t *cal_link_new(const char *env, const json_t *source, const json_t *target,
		     const char *link_name, const char *state, const char *network,
		     const char *host);

/* Splits a document into what revisions keep and what they ignore:
 * returns a new document without the volatile fields of its type, and
 * puts those fields into *volatile_out (a new object, maybe empty) when
 * volatile_out is not NULL. */
json_t *cal_object_stable(const json_t *obj, json_t **volatile_out);

/* Canonical serialisation (sorted keys, compact) and its 128-bit BLAKE2b
 * hash in hex (33 bytes with NUL).  Returns CAL_ENOMEM on failure. */
#define CAL_HASH_HEXSZ 33
int cal_json_canonical_hash(char out[CAL_HASH_HEXSZ], const json_t *doc);

/* Glob match (fnmatch semantics) helper shared by filters. */
bool cal_glob_match(const char *pattern, const char *text);

/* ------------------------------------------------------------------ */
/* Optional libraries, loaded on first use (dl.c)                      */
/* ------------------------------------------------------------------ */

/* A shared library that only some commands call (libpq for PostgreSQL
 * stores, libcurl for OpenStack, ...) is not linked into the programs: its
 * user describes it in one static struct cal_dl_lib and calls
 * cal_dl_load() before its first call.  The first call opens it with
 * dlopen(RTLD_LAZY | RTLD_LOCAL), resolves every symbol of `syms` into its
 * slot (a function pointer declared with the library's own prototype),
 * then runs `init`; the handle is never closed.  The outcome is kept: a
 * library that failed fails the same way on every later call. */
struct cal_dl_sym {
	const char *name; /* "PQconnectdb" */
	void *slot;       /* where its address goes: &api.connectdb */
};

struct cal_dl_lib {
	const char *soname;            /* "libpq.so.5" */
	const char *name;              /* in messages: "libpq" */
	const char *package;           /* the Debian package shipping it: "libpq5" */
	const char *purpose;           /* "to use a PostgreSQL store" */
	const struct cal_dl_sym *syms; /* ends with a NULL name */
	/* Runs once, after every symbol is resolved; NULL for none.  Returns
	 * 0 or a negative CAL_E* with the error set.  It must not load
	 * another library (the loader's lock is held). */
	int (*init)(void);
	/* The loader's own state: leave zero. */
	int dl_state;
	int dl_code;
	char dl_err[384];
};

/* 0 once `lib` is loaded.  Else (every time) CAL_EIO, or what `init`
 * returned, with a message such as "cannot load libpq (libpq.so.5):
 * libpq.so.5: cannot open shared object file: No such file or directory;
 * install Debian's libpq5 to use a PostgreSQL store".  Thread-safe; after
 * the first call, one atomic load. */
int cal_dl_load(struct cal_dl_lib *lib);

/* ------------------------------------------------------------------ */
/* Small string helpers                                                */
/* ------------------------------------------------------------------ */

/* asprintf that returns NULL on failure instead of an undefined pointer. */
char *cal_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Escapes bytes outside printable ASCII as \xNN into a new string. */
char *cal_str_escape(const char *s);

/* Growable text (buf.c), zero-initialised: `s` NUL-terminated (NULL while
 * empty).  Appending after an allocation failure does nothing and sets
 * `oom`; cal_buf_take() reports it. */
struct cal_buf {
	char *s;
	size_t len, cap;
	bool oom;
};

void cal_buf_add(struct cal_buf *b, const char *s, size_t n);
/* Appends `s` (NULL as ""). */
void cal_buf_str(struct cal_buf *b, const char *s);
void cal_buf_printf(struct cal_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (malloc'ed, "" when empty), leaving the buffer empty; NULL with
 * CAL_ENOMEM set when it ran out of memory. */
char *cal_buf_take(struct cal_buf *b);
void cal_buf_free(struct cal_buf *b);

#endif
