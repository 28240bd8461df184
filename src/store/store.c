/* store.c - opening and closing a store, the default location, and the
 * small helpers the other store_*.c files share (JSON text, SQL building).
 *
 * cal_store_open() picks the driver from the URI: "postgresql://" or
 * "postgres://" go to libpq, anything else is a SQLite file path (an
 * optional "sqlite:" prefix is dropped).  Only the built-in default
 * location gets its missing directories created; a path the user chose
 * must exist, so that a typo is an error rather than a new empty store.
 */
#include "store/store_int.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ST_ROOT_DEFAULT "/var/lib/calipso/calipso.db"

/* The default location without $CALIPSO_DB; false when no home is known. */
static bool st_builtin_default(char *buf, size_t n)
{
	const char *xdg, *home;

	if (geteuid() == 0) {
		snprintf(buf, n, "%s", ST_ROOT_DEFAULT);
		return true;
	}
	xdg = getenv("XDG_DATA_HOME");
	if (xdg && xdg[0] == '/') {
		snprintf(buf, n, "%s/calipso/calipso.db", xdg);
		return true;
	}
	home = getenv("HOME");
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(geteuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || home[0] != '/')
		return false;
	snprintf(buf, n, "%s/.local/share/calipso/calipso.db", home);
	return true;
}

const char *cal_store_default_path(void)
{
	static _Thread_local char buf[PATH_MAX];
	const char *env = getenv("CALIPSO_DB");

	if (env && *env) {
		snprintf(buf, sizeof(buf), "%s", env);
		return buf;
	}
	if (!st_builtin_default(buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "calipso.db");
	return buf;
}

/* mkdir -p of the directory holding `path`. */
static int st_make_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST)
				return cal_error_set_errno(CAL_EIO, errno,
							   "cannot create directory '%s'", dir);
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

static bool st_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int cal_store_open(cal_store **out, const char *uri)
{
	cal_store *st;
	int rc;

	*out = NULL;
	if (!uri || !*uri)
		return cal_error_set(CAL_EINVALID, "empty database path");
	st = calloc(1, sizeof(*st));
	if (!st)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (st_has_prefix(uri, "postgresql://") || st_has_prefix(uri, "postgres://")) {
		rc = db_open_pg(&st->db, uri);
	} else {
		const char *path = uri;
		char builtin[PATH_MAX];

		if (st_has_prefix(path, "sqlite://"))
			path += strlen("sqlite://");
		else if (st_has_prefix(path, "sqlite:"))
			path += strlen("sqlite:");
		if (!*path) {
			free(st);
			return cal_error_set(CAL_EINVALID, "empty database path in '%s'", uri);
		}
		rc = 0;
		if (st_builtin_default(builtin, sizeof(builtin)) && strcmp(builtin, path) == 0)
			rc = st_make_parent(path);
		if (rc)
			cal_error_prefix(rc, "cannot open database '%s'", path);
		else
			rc = db_open_sqlite(&st->db, path);
	}
	if (rc == 0)
		rc = st_schema_migrate(st);
	if (rc) {
		cal_store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void cal_store_close(cal_store *st)
{
	if (!st)
		return;
	db_close(st->db);
	free(st);
}

/* ------------------------------------------------------------------ */
/* Shared helpers                                                      */
/* ------------------------------------------------------------------ */

char *st_json_dump(const json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!s)
		cal_error_set(CAL_ENOMEM, "cannot serialise document");
	return s;
}

int st_json_load(cal_store *st, json_t **out, const char *text, const char *what)
{
	json_error_t err;

	*out = json_loads(text ? text : "", JSON_DECODE_ANY, &err);
	if (!*out)
		return cal_error_set(CAL_EINVALID, "database '%s': stored %s is not valid JSON: %s",
				     db_name(st->db), what, err.text);
	return 0;
}

json_t *st_json_time(int64_t us, bool set)
{
	char buf[CAL_TIME_BUFSZ];

	return set ? json_string(cal_time_format(buf, us)) : json_null();
}

void st_sql_init(struct st_sql *q)
{
	memset(q, 0, sizeof(*q));
}

void st_sql_fini(struct st_sql *q)
{
	free(q->text);
	memset(q, 0, sizeof(*q));
}

void st_sql_add(struct st_sql *q, const char *text)
{
	size_t n = strlen(text);

	if (q->oom)
		return;
	if (q->len + n + 1 > q->cap) {
		size_t cap = (q->len + n + 1) * 2 + 128;
		char *t = realloc(q->text, cap);

		if (!t) {
			q->oom = true;
			return;
		}
		q->text = t;
		q->cap = cap;
	}
	memcpy(q->text + q->len, text, n + 1);
	q->len += n;
}

void st_sql_text(struct st_sql *q, const char *text, const char *v)
{
	if (q->nparams >= ST_MAX_PARAMS) {
		q->oom = true;
		return;
	}
	q->p[q->nparams].is_int = false;
	q->p[q->nparams].s = v;
	q->nparams++;
	st_sql_add(q, text);
}

void st_sql_int(struct st_sql *q, const char *text, int64_t v)
{
	if (q->nparams >= ST_MAX_PARAMS) {
		q->oom = true;
		return;
	}
	q->p[q->nparams].is_int = true;
	q->p[q->nparams].i = v;
	q->nparams++;
	st_sql_add(q, text);
}

int st_sql_prepare(cal_store *st, db_stmt **out, struct st_sql *q)
{
	db_stmt *s = NULL;
	int rc;

	*out = NULL;
	if (q->oom || !q->text)
		return cal_error_set(CAL_ENOMEM, "out of memory building a query");
	rc = db_prepare(st->db, &s, q->text);
	for (int i = 0; rc == 0 && i < q->nparams; i++)
		rc = q->p[i].is_int ? db_bind_int64(s, i + 1, q->p[i].i)
				    : db_bind_text(s, i + 1, q->p[i].s);
	if (rc) {
		db_reset(s);
		return rc;
	}
	*out = s;
	return 0;
}

char *st_prefix_upper(const char *prefix)
{
	return cal_strdup_printf("%s\xf4\x8f\xbf\xbf", prefix);
}
