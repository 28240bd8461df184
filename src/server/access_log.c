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

/* Appends s as the contents of a JSON string: quotes, backslashes,
 * control bytes and bytes outside ASCII escaped, so that a line is always
 * valid JSON whatever the client sent in its path. */
static size_t al_escape(char *out, size_t n, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; s && *s && o + 7 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[c >> 4];
			out[o + 5] = hex[c & 15];
			o += 6;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return o;
}

void srv_access_log_write(struct srv_access_log *l, const struct srv_req *r, int64_t dur_us)
{
	char when[CAL_TIME_BUFSZ], path[1024], user[160], addr[80];

	if (!l)
		return;
	/* Formatted by hand: this runs for every request. */
	al_escape(path, sizeof(path), r->path ? r->path : "");
	al_escape(user, sizeof(user), r->authenticated ? r->user.name : "");
	al_escape(addr, sizeof(addr), r->addr);
	cal_time_format(when, cal_time_now_us());
	pthread_mutex_lock(&l->mu);
	fprintf(l->f,
		"{\"time\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",%s%s%s\"status\":%u,"
		"\"duration_ms\":%.3f,%s%s%s\"addr\":\"%s\",\"bytes\":%zu}\n",
		when, r->method_name ? r->method_name : "?", path, r->route ? "\"route\":\"" : "",
		r->route ? r->route->path : "", r->route ? "\"," : "", r->status,
		(double)dur_us / 1000.0, r->authenticated ? "\"user\":\"" : "", user,
		r->authenticated ? "\"," : "", addr, r->resp_len);
	pthread_mutex_unlock(&l->mu);
}

void srv_access_log_flush(struct srv_access_log *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	fflush(l->f);
	pthread_mutex_unlock(&l->mu);
}
