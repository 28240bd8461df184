/* db_pg.c - the PostgreSQL driver of db.h, over libpq.
 *
 * Statements are prepared server-side once per connection (named
 * "cal_<n>") after their `?` placeholders are numbered $1, $2...; every
 * parameter travels as text and the server infers its type from the
 * statement.  A statement runs on its first db_step() and its whole result
 * is kept client-side (PGresult) while the caller steps through the rows.
 *
 * The URI may carry a password: db_name() and every message show it
 * masked.  Server notices (e.g. "relation already exists, skipping") go to
 * the debug log of the "store" token, never to stderr.
 * Single-threaded per connection, like libpq's PGconn.
 * libpq (and the OpenSSL, Kerberos and LDAP it brings) is not linked: it
 * is loaded when the first postgresql:// URI is opened (cal_dl_load);
 * every other function here runs on a connection, so after that load.
 */
#include "store/db_driver.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_MAX_PARAMS 65535

/* libpq's functions, with its own prototypes (libpq-fe.h). */
struct pq_api {
	__typeof__(PQclear) *clear;
	__typeof__(PQcmdTuples) *cmd_tuples;
	__typeof__(PQconnectdb) *connectdb;
	__typeof__(PQerrorMessage) *error_message;
	__typeof__(PQexec) *exec;
	__typeof__(PQexecPrepared) *exec_prepared;
	__typeof__(PQfinish) *finish;
	__typeof__(PQgetisnull) *getisnull;
	__typeof__(PQgetvalue) *getvalue;
	__typeof__(PQnfields) *nfields;
	__typeof__(PQntuples) *ntuples;
	__typeof__(PQprepare) *prepare;
	__typeof__(PQresultErrorField) *result_error_field;
	__typeof__(PQresultErrorMessage) *result_error_message;
	__typeof__(PQresultStatus) *result_status;
	__typeof__(PQsetNoticeProcessor) *set_notice_processor;
	__typeof__(PQstatus) *status;
};

static struct pq_api pq;

static const struct cal_dl_sym pq_syms[] = {
	{ "PQclear", &pq.clear },
	{ "PQcmdTuples", &pq.cmd_tuples },
	{ "PQconnectdb", &pq.connectdb },
	{ "PQerrorMessage", &pq.error_message },
	{ "PQexec", &pq.exec },
	{ "PQexecPrepared", &pq.exec_prepared },
	{ "PQfinish", &pq.finish },
	{ "PQgetisnull", &pq.getisnull },
	{ "PQgetvalue", &pq.getvalue },
	{ "PQnfields", &pq.nfields },
	{ "PQntuples", &pq.ntuples },
	{ "PQprepare", &pq.prepare },
	{ "PQresultErrorField", &pq.result_error_field },
	{ "PQresultErrorMessage", &pq.result_error_message },
	{ "PQresultStatus", &pq.result_status },
	{ "PQsetNoticeProcessor", &pq.set_notice_processor },
	{ "PQstatus", &pq.status },
	{ NULL, NULL },
};

static struct cal_dl_lib pq_lib = {
	.soname = "libpq.so.5",
	.name = "libpq",
	.package = "libpq5",
	.purpose = "to use a PostgreSQL store",
	.syms = pq_syms,
};

struct pg_db {
	struct db base;
	PGconn *c;
	unsigned next_id;
	bool closing; /* the server drops prepared statements with the session */
};

struct pg_stmt {
	struct db_stmt base;
	char name[32];
	int nparams;
	const char **vals;
	bool *owned;
	PGresult *res;
	int row, nrows;
	bool ran;
	int64_t changes;
};

static PGconn *pg_conn(db *d)
{
	return ((struct pg_db *)d)->c;
}

/* libpq messages end with a newline and may span lines: one line. */
static void pg_one_line(char *dst, size_t n, const char *msg)
{
	size_t j = 0;

	for (const char *p = msg ? msg : ""; *p && j + 1 < n; p++)
		dst[j++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
	while (j > 0 && dst[j - 1] == ' ')
		j--;
	dst[j] = '\0';
}

static int pg_code_of(const PGresult *res)
{
	const char *state = res ? pq.result_error_field(res, PG_DIAG_SQLSTATE) : NULL;

	if (!state)
		return CAL_EIO;
	if (strcmp(state, "23505") == 0)
		return CAL_EEXISTS;
	if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
		return CAL_EINVALID;
	if (strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
	    strcmp(state, "57014") == 0)
		return CAL_ETIMEOUT;
	if (strncmp(state, "28", 2) == 0)
		return CAL_EAUTH;
	if (strcmp(state, "42501") == 0)
		return CAL_EPERM;
	return CAL_EIO;
}

static int pg_error(db *d, const PGresult *res)
{
	char msg[512];

	pg_one_line(msg, sizeof(msg),
		    res ? pq.result_error_message(res) : pq.error_message(pg_conn(d)));
	if (!msg[0])
		pg_one_line(msg, sizeof(msg), pq.error_message(pg_conn(d)));
	return cal_error_set(pg_code_of(res), "database '%s': %s", d->name, msg);
}

static void pg_notice(void *arg, const char *message)
{
	char msg[512];
	const db *d = arg;

	pg_one_line(msg, sizeof(msg), message);
	cal_log_debug("store", "%s: %s", d->name, msg);
}

/* "postgresql://user:secret@host/db?password=x" -> secrets as "***". */
static char *pg_redact(const char *uri)
{
	size_t n = strlen(uri);
	char *out = malloc(n * 2 + 8), *o;
	const char *p = uri, *scheme = strstr(uri, "://");

	if (!out)
		return NULL;
	o = out;
	if (scheme) {
		const char *auth = scheme + 3;
		const char *end = auth + strcspn(auth, "/?#");
		const char *at = memchr(auth, '@', (size_t)(end - auth));
		const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;

		if (colon) {
			memcpy(o, uri, (size_t)(colon + 1 - uri));
			o += colon + 1 - uri;
			memcpy(o, "***", 3);
			o += 3;
			p = at;
		}
	}
	while (*p) {
		if (strncmp(p, "password=", 9) == 0) {
			memcpy(o, "password=***", 12);
			o += 12;
			p += 9;
			p += strcspn(p, " &");
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

static void pg_close(db *d)
{
	struct pg_db *q = (struct pg_db *)d;

	q->closing = true;
	db_free_base(d);
	pq.finish(q->c);
	free(q);
}

static int pg_exec(db *d, const char *sql)
{
	PGresult *res = pq.exec(pg_conn(d), sql);
	ExecStatusType st = res ? pq.result_status(res) : PGRES_FATAL_ERROR;
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_error(d, res);
	pq.clear(res);
	return rc;
}

/* Numbers the `?` placeholders outside quoted text: $1, $2, ... */
static char *pg_number_params(const char *sql, int *nparams)
{
	size_t n = 0, len = strlen(sql);
	char *out, *o;
	char quote = 0;
	int k = 0;

	for (const char *p = sql; *p; p++)
		n += *p == '?';
	out = malloc(len + n * 6 + 1);
	if (!out)
		return NULL;
	o = out;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			*o++ = *p;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			*o++ = *p;
		} else if (*p == '?') {
			o += sprintf(o, "$%d", ++k);
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	*nparams = k;
	return out;
}

static int pg_prepare(db *d, db_stmt **out, const char *sql)
{
	struct pg_db *q = (struct pg_db *)d;
	struct pg_stmt *s;
	PGresult *res;
	char *text;
	int rc = 0, n = 0;

	*out = NULL;
	if (!(text = pg_number_params(sql, &n)))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	s = calloc(1, sizeof(*s));
	if (s) {
		s->vals = calloc((size_t)(n > 0 ? n : 1), sizeof(*s->vals));
		s->owned = calloc((size_t)(n > 0 ? n : 1), sizeof(*s->owned));
	}
	if (!s || !s->vals || !s->owned) {
		if (s) {
			free(s->vals);
			free(s->owned);
		}
		free(s);
		free(text);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	snprintf(s->name, sizeof(s->name), "cal_%u", q->next_id++);
	s->nparams = n;
	res = pq.prepare(q->c, s->name, text, 0, NULL);
	if (!res || pq.result_status(res) != PGRES_COMMAND_OK) {
		pg_error(d, res);
		rc = cal_error_prefix(CAL_EIO, "cannot prepare '%.60s'", sql);
		free(s->vals);
		free(s->owned);
		free(s);
	} else {
		s->base.d = d;
		*out = &s->base;
	}
	pq.clear(res);
	free(text);
	return rc;
}

static void pg_clear_values(struct pg_stmt *s)
{
	for (int i = 0; i < s->nparams; i++) {
		if (s->owned[i])
			free((char *)s->vals[i]);
		s->vals[i] = NULL;
		s->owned[i] = false;
	}
}

static void pg_reset(db_stmt *st)
{
	struct pg_stmt *s = (struct pg_stmt *)st;

	pq.clear(s->res);
	s->res = NULL;
	s->ran = false;
	s->row = -1;
	s->nrows = 0;
	s->changes = 0;
	pg_clear_values(s);
}

static void pg_finalize(db_stmt *st)
{
	struct pg_stmt *s = (struct pg_stmt *)st;
	char sql[64];
	PGresult *res;

	pg_reset(st);
	/* The connection may be going away; a failure here changes nothing. */
	snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
	if (!((struct pg_db *)st->d)->closing && pq.status(pg_conn(st->d)) == CONNECTION_OK) {
		res = pq.exec(pg_conn(st->d), sql);
		pq.clear(res);
	}
	free(s->vals);
	free(s->owned);
	free(s);
}

static int pg_set(db_stmt *st, int i, const char *v, bool owned)
{
	struct pg_stmt *s = (struct pg_stmt *)st;

	if (i < 1 || i > s->nparams) {
		if (owned)
			free((char *)v);
		return cal_error_set(CAL_EINVALID, "database '%s': no parameter %d", st->d->name,
				     i);
	}
	if (s->owned[i - 1])
		free((char *)s->vals[i - 1]);
	s->vals[i - 1] = v;
	s->owned[i - 1] = owned;
	return 0;
}

static int pg_bind_text(db_stmt *st, int i, const char *v, bool keep)
{
	char *c;

	if (keep)
		return pg_set(st, i, v, false);
	c = strdup(v);
	if (!c)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return pg_set(st, i, c, true);
}

static int pg_bind_int64(db_stmt *st, int i, int64_t v)
{
	char *c = cal_strdup_printf("%" PRId64, v);

	if (!c)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return pg_set(st, i, c, true);
}

static int pg_bind_null(db_stmt *st, int i)
{
	return pg_set(st, i, NULL, false);
}

static int pg_step(db_stmt *st)
{
	struct pg_stmt *s = (struct pg_stmt *)st;

	if (!s->ran) {
		ExecStatusType status;

		s->ran = true;
		s->res = pq.exec_prepared(pg_conn(st->d), s->name, s->nparams, s->vals, NULL, NULL,
					0);
		status = s->res ? pq.result_status(s->res) : PGRES_FATAL_ERROR;
		if (status == PGRES_TUPLES_OK) {
			s->nrows = pq.ntuples(s->res);
		} else if (status != PGRES_COMMAND_OK) {
			return pg_error(st->d, s->res);
		}
		s->row = -1;
		s->changes = strtoll(pq.cmd_tuples(s->res), NULL, 10);
	}
	if (s->row + 1 < s->nrows) {
		s->row++;
		return DB_ROW;
	}
	return DB_DONE;
}

static const char *pg_col_text(db_stmt *st, int i)
{
	struct pg_stmt *s = (struct pg_stmt *)st;

	if (!s->res || s->row < 0 || s->row >= s->nrows || i >= pq.nfields(s->res) ||
	    pq.getisnull(s->res, s->row, i))
		return NULL;
	return pq.getvalue(s->res, s->row, i);
}

static int64_t pg_col_int64(db_stmt *st, int i)
{
	const char *v = pg_col_text(st, i);

	return v ? strtoll(v, NULL, 10) : 0;
}

static bool pg_col_is_null(db_stmt *st, int i)
{
	return pg_col_text(st, i) == NULL;
}

static int64_t pg_changes(db_stmt *st)
{
	return ((struct pg_stmt *)st)->changes;
}

static const struct db_ops pg_ops = {
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.bind_text = pg_bind_text,
	.bind_int64 = pg_bind_int64,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.col_text = pg_col_text,
	.col_int64 = pg_col_int64,
	.col_is_null = pg_col_is_null,
	.changes = pg_changes,
	.reset = pg_reset,
	.begin_sql = "BEGIN",
	/* Writers of one environment take turns, whichever server they run in. */
	.lock_sql = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
};

int db_open_pg(db **out, const char *uri)
{
	struct pg_db *q;
	char *shown;
	char msg[512];
	int rc;

	*out = NULL;
	rc = cal_dl_load(&pq_lib);
	if (rc)
		return rc;
	shown = pg_redact(uri);
	q = calloc(1, sizeof(*q));
	if (!shown || !q) {
		free(shown);
		free(q);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	q->c = pq.connectdb(uri);
	if (!q->c || pq.status(q->c) != CONNECTION_OK) {
		pg_one_line(msg, sizeof(msg), q->c ? pq.error_message(q->c) : "out of memory");
		rc = cal_error_set(CAL_EIO, "cannot connect to PostgreSQL at '%s': %s", shown,
				   msg);
		goto fail;
	}
	rc = db_init_base(&q->base, &pg_ops, DB_PG, shown);
	if (rc)
		goto fail;
	q->base.max_params = PG_MAX_PARAMS;
	pq.set_notice_processor(q->c, pg_notice, &q->base);
	rc = pg_exec(&q->base, "SET client_min_messages = warning");
	if (rc)
		goto fail;
	free(shown);
	*out = &q->base;
	return 0;
fail:
	q->closing = true;
	db_free_base(&q->base);
	pq.finish(q->c);
	free(q);
	free(shown);
	return rc;
}
