/* clock.c - the server's notion of "now" for schedules and token expiry.
 *
 * Normally the system clock.  With --clock-file (a test facility,
 * docs/api.md), the time written in that file (RFC 3339, "@<epoch>", any
 * form cal_time_parse() reads): re-read by srv_clock_refresh() on every
 * scheduler tick, so that a test moves time forward by rewriting the file
 * instead of sleeping for minutes.  A missing or unreadable file keeps the
 * last good time (the system clock before the first one).
 */
#include "server/server_int.h"

#include <stdio.h>
#include <string.h>

int64_t srv_now(struct srv *s)
{
	int64_t t = s ? atomic_load(&s->clock_us) : 0;

	return t > 0 ? t : cal_time_now_us();
}

/* Reads the clock file; returns true when the time changed. */
bool srv_clock_refresh(struct srv *s)
{
	char buf[128];
	FILE *f;
	size_t n;
	int64_t t;

	if (!s->opts.clock_file)
		return false;
	f = fopen(s->opts.clock_file, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (cal_time_parse(&t, buf) || t <= 0) {
		cal_log_warn("sched", "clock file %s: cannot read a time in '%s'",
			     s->opts.clock_file, buf);
		return false;
	}
	return atomic_exchange(&s->clock_us, t) != t;
}
