/* access_log.c - one JSON line per answered request: time, method, path
 * (without the query string), route, status, duration, user, client
 * address, response size.  Tokens and passwords travel in headers and
 * bodies, which are never logged.
 *
 * Lines are buffered and flushed every second by the main thread (and at
 * exit), so that a busy server does not make a write per request.
 */
#include "server/server_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct srv_access_log {
	FILE *f;
	bool own;
	pthread_mutex_t mu;
	char buf[65536];
};

struct srv_access_log *srv_access_log_open(const char *where)
{
	struct srv_access_log *l;

	if (where && strcmp(where, "off") == 0)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	if (!where) {
		l->f = stderr;
	} else if (strcmp(where, "-") == 0) {
		l->f = stdout;
	} else {
		l->f = fopen(where, "ae");
		l->own = true;
		if (!l->f) {
			cal_error_set_errno(CAL_EIO, errno, "cannot open the access log %s", where);
			free(l);
			return NULL;
		}
		setvbuf(l->f, l->buf, _IOFBF, sizeof(l->buf));
	}
	pthread_mutex_init(&l->mu, NULL);
	return l;
}

void srv_access_log_close(struct srv_access_log *l)
{
	if (!l)
		return;
	fflush(l->f);
	if (l->own)
		fclose(l->f);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

void srv_access_log_write(struct srv_access_log *l, const struct srv_req *r, int64_t dur_us)
{
	char when[CAL_TIME_BUFSZ];
	json_t *line;
	char *text;

	if (!l)
		return;
	line = json_pack("{s:s, s:s, s:s, s:s?, s:i, s:f, s:s?, s:s, s:I}", "time",
			 cal_time_format(when, cal_time_now_us()), "method",
			 r->method_name ? r->method_name : "?", "path", r->path ? r->path : "",
			 "route", r->route ? r->route->path : NULL, "status", (int)r->status,
			 "duration_ms", (double)dur_us / 1000.0, "user",
			 r->authenticated ? r->user.name : NULL, "addr", r->addr, "bytes",
			 (json_int_t)r->resp_len);
	text = line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
	json_decref(line);
	if (!text)
		return;
	pthread_mutex_lock(&l->mu);
	fputs(text, l->f);
	fputc('\n', l->f);
	pthread_mutex_unlock(&l->mu);
	free(text);
}

void srv_access_log_flush(struct srv_access_log *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	fflush(l->f);
	pthread_mutex_unlock(&l->mu);
}
