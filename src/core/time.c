/* time.c - microsecond UTC timestamps, RFC 3339 formatting and a forgiving
 * parser for times typed by operators ("2026-11-22", "-7d", "@1700000000").
 *
 * Parsing trusts nothing: every field is range-checked, trailing garbage is
 * an error, and the message quotes the input.
 */
#include "core.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t cal_time_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t cal_time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *cal_time_format(char buf[CAL_TIME_BUFSZ], int64_t us)
{
	time_t secs = (time_t)(us / 1000000);
	long frac = (long)(us % 1000000);
	struct tm tm;

	if (frac < 0) {
		frac += 1000000;
		secs -= 1;
	}
	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, CAL_TIME_BUFSZ, "invalid");
		return buf;
	}
	snprintf(buf, CAL_TIME_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return buf;
}

static int time_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

static int time_parse_relative(int64_t *out, const char *text)
{
	char *end;
	long long n;
	int64_t unit;

	errno = 0;
	n = strtoll(text + 1, &end, 10);
	if (errno || end == text + 1 || n < 0 || n > 100LL * 365 * 86400)
		return -1;
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return -1;
	}
	if (end[1])
		return -1;
	*out = cal_time_now_us() - (int64_t)n * unit * 1000000;
	return 0;
}

int cal_time_parse(int64_t *out, const char *text)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0;
	long frac_us = 0;
	int off_sign = 0, off_h = 0, off_m = 0;
	struct tm tm;
	time_t secs;

	if (!text || !*text)
		return cal_error_set(CAL_EINVALID, "empty time");
	if (strcmp(text, "now") == 0) {
		*out = cal_time_now_us();
		return 0;
	}
	if (text[0] == '-') {
		if (time_parse_relative(out, text) == 0)
			return 0;
		goto bad;
	}
	if (text[0] == '@') {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(text + 1, &end, 10);
		if (errno || end == text + 1 || *end || v < 0 || v > 253402300799LL)
			goto bad;
		*out = (int64_t)v * 1000000;
		return 0;
	}
	if (time_digits(&p, 4, &y) || *p++ != '-' || time_digits(&p, 2, &mo) || *p++ != '-' ||
	    time_digits(&p, 2, &d))
		goto bad;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (time_digits(&p, 2, &h) || *p++ != ':' || time_digits(&p, 2, &mi))
			goto bad;
		if (*p == ':') {
			p++;
			if (time_digits(&p, 2, &s))
				goto bad;
			if (*p == '.') {
				int ndig = 0;

				p++;
				while (isdigit((unsigned char)*p)) {
					if (ndig < 6) {
						frac_us = frac_us * 10 + (*p - '0');
						ndig++;
					}
					p++;
				}
				if (ndig == 0)
					goto bad;
				while (ndig++ < 6)
					frac_us *= 10;
			}
		}
		if (h > 23 || mi > 59 || s > 60)
			goto bad;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			off_sign = *p == '+' ? 1 : -1;
			p++;
			if (time_digits(&p, 2, &off_h))
				goto bad;
			if (*p == ':')
				p++;
			if (time_digits(&p, 2, &off_m) || off_h > 23 || off_m > 59)
				goto bad;
		}
	}
	if (*p)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	secs = timegm(&tm);
	if (secs == (time_t)-1)
		goto bad;
	secs -= off_sign * (off_h * 3600 + off_m * 60);
	*out = (int64_t)secs * 1000000 + frac_us;
	return 0;
bad:
	return cal_error_set(CAL_EINVALID,
			     "cannot parse time '%s': expected RFC 3339 (2026-11-22T08:00:00Z), "
			     "a date, @epoch-seconds, now, or -N{s,m,h,d,w}",
			     text);
}
