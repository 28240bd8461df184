/* store_int.h - private to src/store: the cal_store handle and helpers the
 * store_*.c files share (SQL text building, JSON text, small maps).
 */
#ifndef CALIPSO_STORE_INT_H
#define CALIPSO_STORE_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "store/store.h"

struct cal_store {
	db *db;
};

/* store_schema.c: checks the database is Calipso's and brings its schema
 * to the version this binary writes (the number of its migrations). */
int st_schema_migrate(cal_store *st);

/* DDL of migrations written in other files (store_schema.c lists them). */
extern const char st_ddl_auth[];      /* store_auth.c */
extern const char st_ddl_messages[];  /* store_messages.c */
extern const char st_ddl_schedules[]; /* store_schedules.c */
extern const char st_ddl_conntests[]; /* store_conntests.c */
extern const char st_ddl_external[];  /* store_external.c */

struct st_sql;

/* store_bind.c: binds parameters from a format ('t' text or NULL, 'i'
 * int64_t, 'I' int64_t or NULL when < 0), for the server's tables. */
int st_bind_fmt(db_stmt *s, const char *fmt, ...);
/* Prepares `sql` and binds its parameters; on failure *out is NULL
 * (cal_store_sql_prepare_fmt() is its variadic form). */
int st_preparev(cal_store *st, db_stmt **out, const char *sql, const char *fmt, va_list ap);
/* Prepares, binds, runs to the end; *changes (may be NULL) = rows changed. */
int st_exec(cal_store *st, int64_t *changes, const char *sql, const char *fmt, ...);
int st_execv(cal_store *st, int64_t *changes, const char *sql, const char *fmt, va_list ap);
/* Same for an INSERT ... RETURNING id. */
int st_insert_returning(cal_store *st, int64_t *out_id, const char *sql, const char *fmt, ...);

/* Makes the document of the current row of `s` in *out (the caller owns
 * it); 0 or a negative CAL_E* with the error set. */
typedef int (*st_row_fn)(cal_store *st, json_t **out, db_stmt *s, void *arg);
/* Steps the prepared statement `s` to its end and gives the documents
 * `row` makes of its rows as a JSON array (*out); resets `s`. */
int st_rows(cal_store *st, json_t **out, db_stmt *s, st_row_fn row, void *arg);
/* The same for a query built with st_sql (prepared and bound here). */
int st_sql_rows(cal_store *st, json_t **out, struct st_sql *q, st_row_fn row, void *arg);
/* The same for `sql` with its parameters bound as st_bind_fmt() does. */
int st_query_rows(cal_store *st, json_t **out, st_row_fn row, void *arg, const char *sql,
		  const char *fmt, ...);
/* The document of the first row of `sql` (bound as st_bind_fmt() does);
 * CAL_ENOTFOUND when there is none, with a bare message that the caller
 * replaces with one naming what it looked for. */
int st_query_row(cal_store *st, json_t **out, st_row_fn row, void *arg, const char *sql,
		 const char *fmt, ...);
extern const char st_ddl_cliques[]; /* store_cliques.c */
extern const char st_ddl_search[];  /* store_search.c */
extern const char st_ddl_snapshots[]; /* store_snapshots.c */
extern const char st_ddl_designs[];   /* store_designs.c */
extern const char st_ddl_reports[];   /* store_reports.c */

/* store_scans.c: a scan record as callers see it (cal_store_scan_get()),
 * from a row of ST_SCAN_COLUMNS; an st_row_fn. */
#define ST_SCAN_COLUMNS "id, env, status, request, result, created, started, finished"
int st_scan_row(cal_store *st, json_t **out, db_stmt *s, void *arg);

/* ------------------------------------------------------------------ */
/* JSON text                                                           */
/* ------------------------------------------------------------------ */

/* Canonical text (sorted keys, compact) of a document; NULL on failure
 * with the error set. */
char *st_json_dump(const json_t *doc);
/* Parses stored text; CAL_EINVALID names the database and `what`. */
int st_json_load(cal_store *st, json_t **out, const char *text, const char *what);
/* RFC 3339 string for a time, or JSON null when `set` is false. */
json_t *st_json_time(int64_t us, bool set);

/* ------------------------------------------------------------------ */
/* SQL text built on the fly, with its parameters                      */
/* ------------------------------------------------------------------ */

#define ST_MAX_PARAMS 24

struct st_sql {
	char *text;
	size_t len, cap;
	bool oom;
	int nparams;
	struct {
		bool is_int;
		int64_t i;
		const char *s; /* borrowed: must outlive the statement's run */
	} p[ST_MAX_PARAMS];
};

void st_sql_init(struct st_sql *q);
void st_sql_fini(struct st_sql *q);
void st_sql_add(struct st_sql *q, const char *text);
/* Appends `text` (which holds one `?`) and records its parameter. */
void st_sql_text(struct st_sql *q, const char *text, const char *v);
void st_sql_int(struct st_sql *q, const char *text, int64_t v);
/* Prepares the statement and binds the recorded parameters. */
int st_sql_prepare(cal_store *st, db_stmt **out, struct st_sql *q);

/* The [lo, hi) range of texts that start with `prefix`:
 * hi = prefix + U+10FFFF, larger than any UTF-8 text with that prefix
 * (byte-wise order on both engines).  Returns a malloc'ed hi. */
char *st_prefix_upper(const char *prefix);

/* ------------------------------------------------------------------ */
/* Canonical split and hash (store_canon.c)                            */
/* ------------------------------------------------------------------ */

struct st_buf {
	char *s; /* NUL-terminated */
	size_t len, cap;
};

struct st_canon_member {
	const char *key;
	size_t len;
	const json_t *value;
};

/* Reusable state for st_canon_split(). */
struct st_canon {
	bool usable;
	struct st_buf stable, vol; /* canonical texts of the last split */
	bool has_vol;              /* the volatile part is not empty */
	char hash[CAL_HASH_HEXSZ];  /* of `stable` */
	struct st_canon_member *keys; /* stack of sorted members */
	size_t nkeys, keycap;
	const char *last_type_name;   /* static: cal_type_name()'s */
	enum cal_obj_type last_type;
};

int st_canon_init(struct st_canon *c);
void st_canon_fini(struct st_canon *c);
/* Same result as cal_object_stable(doc, &vol) followed by the canonical
 * dump of both parts and cal_json_canonical_hash() of the stable one, in
 * one pass.
 * CAL_EINVALID when `doc` is not an object. */
int st_canon_split(struct st_canon *c, const json_t *doc);

/* Text buffers (an st_buf starts zeroed; its text is NUL-terminated). */
bool st_buf_put(struct st_buf *b, const char *s, size_t n);
/* `s` as a JSON string, escaped as the canonical form escapes. */
bool st_buf_json_string(struct st_buf *b, const char *s, size_t n);
/* The text (malloc'ed, "" when empty); the buffer is empty after. */
char *st_buf_take(struct st_buf *b);

/* 128-bit change detectors for volatile fields (SipHash, fixed key): of a
 * text, and of one group entry (an id and its volatile text). */
void st_hash128(unsigned char out[16], const void *data, size_t len);
void st_hash_entry(unsigned char out[16], const char *id, const char *vtext);

/* ------------------------------------------------------------------ */
/* Arenas: strings copied into large chunks, freed all at once          */
/* (store_map.c).  An arena is a `struct st_arena_chunk *` set to NULL.   */
/* ------------------------------------------------------------------ */

struct st_arena_chunk;
/* A NUL-terminated copy of len bytes; NULL when out of memory. */
char *st_arena_strndup(struct st_arena_chunk **arena, const char *s, size_t len);
void st_arena_free(struct st_arena_chunk **arena);

/* ------------------------------------------------------------------ */
/* String -> index map (store_map.c)                                   */
/* ------------------------------------------------------------------ */

/* Maps byte strings to dense indexes 0, 1, 2... in insertion order, with
 * the keys copied into an arena.  Keyed SipHash (random key per map), so
 * that ids chosen by tenants cannot flood one bucket.  For the hundreds of
 * thousands of ids of one commit. */
struct st_map {
	uint64_t *slots; /* index + 1, and a hash tag; 0 = empty */
	size_t nslots;
	const char **keys;
	uint64_t *hashes; /* of each key */
	size_t n, keycap;
	struct st_arena_chunk *arena;
	unsigned char sipkey[16];
};

int st_map_init(struct st_map *m);
void st_map_fini(struct st_map *m);
/* The index of `key` (len bytes), or -1. */
int64_t st_map_find(const struct st_map *m, const char *key, size_t len);
/* The index of `key`, added when missing (*added tells). */
int st_map_add(struct st_map *m, uint32_t *out, const char *key, size_t len, bool *added);
/* The stored copy of key `i` (NUL-terminated). */
static inline const char *st_map_key(const struct st_map *m, uint32_t i)
{
	return m->keys[i];
}

#endif
