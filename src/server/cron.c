/* cron.c - 5-field cron expressions ("minute hour day-of-month month
 * day-of-week", as cron(8)) and the next time they match in a time zone.
 *
 * Syntax per field: '*', N, N-M, with /STEP after '*', a range or a single
 * N (N/STEP = N-max/STEP); lists with ','; month and weekday names (JAN,
 * MON; any case); weekday 7 is Sunday like 0.  "@hourly", "@daily",
 * "@midnight", "@weekly", "@monthly", "@yearly" and "@annually" stand for
 * their usual expressions.  As in Vixie cron, when both day fields are
 * restricted (neither starts with '*') a day matches if either does.
 * Expressions that can never match (0 0 30 2 *) are refused.
 *
 * Times are matched on the zone's wall clock, minute by minute:
 *   - a wall-clock time skipped by a daylight-saving change (02:30 on the
 *     spring-forward night in Europe) runs as if the clock had not jumped,
 *     that is one hour later (03:30);
 *   - a wall-clock time that happens twice (autumn) runs once, at its first
 *     occurrence.
 *
 * The parser is pure over a bounded string (CAL_EINVALID quoting the
 * field); cal_cron_next() is pure given a zone.
 */
#include "server/server.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRON_MAX_LEN 256
/* cal_cron_next() gives up after this many years without a match. */
#define CRON_MAX_YEARS 9

struct cron_field {
	const char *what;
	int lo, hi;
	const char *const *names; /* names[i] is the value lo + i */
};

static const char *const cron_months[] = { "jan", "feb", "mar", "apr", "may", "jun",
					   "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const cron_days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat",
					 NULL };

static const struct cron_field cron_fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, cron_months },
	{ "day of week", 0, 7, cron_days },
};

static const struct {
	const char *name, *expr;
} cron_macros[] = {
	{ "@yearly", "0 0 1 1 *" },  { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },  { "@daily", "0 0 * * *" },    { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static const struct {
	const char *freq, *expr;
} cron_freqs[] = {
	{ "HOURLY", "0 * * * *" }, { "DAILY", "0 0 * * *" },   { "WEEKLY", "0 0 * * 0" },
	{ "MONTHLY", "0 0 1 * *" }, { "YEARLY", "0 0 1 1 *" },
};

const char *cal_cron_freq_expr(const char *freq)
{
	for (size_t i = 0; freq && i < sizeof(cron_freqs) / sizeof(cron_freqs[0]); i++)
		if (strcmp(cron_freqs[i].freq, freq) == 0)
			return cron_freqs[i].expr;
	return NULL;
}

/* A number or a name of field f at *p. */
static int cron_value(const struct cron_field *f, const char **p, int *out, const char *field)
{
	const char *s = *p;

	if (isdigit((unsigned char)*s)) {
		long v = 0;
		int digits = 0;

		while (isdigit((unsigned char)*s) && digits < 4) {
			v = v * 10 + (*s++ - '0');
			digits++;
		}
		if (isdigit((unsigned char)*s) || v < f->lo || v > f->hi)
			return cal_error_set(CAL_EINVALID, "%s '%s': values go from %d to %d",
					     f->what, field, f->lo, f->hi);
		*out = (int)v;
		*p = s;
		return 0;
	}
	if (f->names && isalpha((unsigned char)s[0]) && isalpha((unsigned char)s[1]) &&
	    isalpha((unsigned char)s[2]) && !isalpha((unsigned char)s[3])) {
		for (int i = 0; f->names[i]; i++) {
			if (strncasecmp(s, f->names[i], 3) == 0) {
				/* Months are named from 1, weekdays from 0. */
				*out = f->names == cron_months ? i + 1 : i;
				*p = s + 3;
				return 0;
			}
		}
	}
	return cal_error_set(CAL_EINVALID, "%s '%s' is not a number%s", f->what, field,
			     f->names ? " or a name" : "");
}

/* One field into a bit mask; *star tells whether it starts with '*'. */
static int cron_field_parse(const struct cron_field *f, const char *field, uint64_t *mask,
			    bool *star)
{
	const char *s = field;
	int rc;

	*mask = 0;
	*star = *field == '*';
	for (;;) {
		int a, b, step = 1;
		bool single = false;

		if (*s == '*') {
			a = f->lo;
			b = f->hi;
			s++;
		} else {
			rc = cron_value(f, &s, &a, field);
			if (rc)
				return rc;
			b = a;
			single = true;
			if (*s == '-') {
				s++;
				rc = cron_value(f, &s, &b, field);
				if (rc)
					return rc;
				if (b < a)
					return cal_error_set(CAL_EINVALID, "%s '%s': range %d-%d goes "
							     "backwards", f->what, field, a, b);
				single = false;
			}
		}
		if (*s == '/') {
			long v = 0;
			int digits = 0;

			s++;
			while (isdigit((unsigned char)*s) && digits < 4) {
				v = v * 10 + (*s++ - '0');
				digits++;
			}
			if (digits == 0 || isdigit((unsigned char)*s) || v < 1 || v > f->hi - f->lo + 1)
				return cal_error_set(CAL_EINVALID, "%s '%s': the step must be a "
						     "number from 1 to %d", f->what, field,
						     f->hi - f->lo + 1);
			step = (int)v;
			if (single)
				b = f->hi; /* N/STEP: from N to the end */
		}
		for (int v = a; v <= b; v += step)
			*mask |= (uint64_t)1 << v;
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s)
			return cal_error_set(CAL_EINVALID, "%s '%s': unexpected '%c'", f->what,
					     field, *s);
		return 0;
	}
}

/* Whether any day allowed by the fields exists in a month allowed. */
static bool cron_can_match(const struct cal_cron *c)
{
	static const int maxdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (!c->weekdays_star && !c->days_star)
		return true; /* either day field matches: some weekday always does */
	for (int m = 1; m <= 12; m++) {
		if (!(c->months & (1u << m)))
			continue;
		for (int d = 1; d <= maxdays[m - 1]; d++)
			if (c->days & (1u << d))
				return true;
	}
	return false;
}

int cal_cron_parse(struct cal_cron *out, const char *expr)
{
	char buf[CRON_MAX_LEN + 1], *fields[5], *save = NULL, *tok;
	uint64_t mask[5];
	bool star[5];
	size_t n;
	int nf = 0, rc;

	memset(out, 0, sizeof(*out));
	if (!expr)
		return cal_error_set(CAL_EINVALID, "empty cron expression");
	n = strlen(expr);
	if (n == 0 || n > CRON_MAX_LEN)
		return cal_error_set(CAL_EINVALID, "a cron expression has 1 to %d characters",
				     CRON_MAX_LEN);
	while (*expr == ' ' || *expr == '\t')
		expr++;
	if (*expr == '@') {
		for (size_t i = 0; i < sizeof(cron_macros) / sizeof(cron_macros[0]); i++)
			if (strcasecmp(expr, cron_macros[i].name) == 0)
				return cal_cron_parse(out, cron_macros[i].expr);
		return cal_error_set(CAL_EINVALID, "unknown cron shorthand '%s' (@hourly, @daily, "
				     "@weekly, @monthly, @yearly)", expr);
	}
	snprintf(buf, sizeof(buf), "%s", expr);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (nf == 5)
			return cal_error_set(CAL_EINVALID, "cron expression '%s' has more than 5 "
					     "fields (minute hour day-of-month month "
					     "day-of-week)", expr);
		fields[nf++] = tok;
	}
	if (nf != 5)
		return cal_error_set(CAL_EINVALID, "cron expression '%s' has %d field%s, not 5 "
				     "(minute hour day-of-month month day-of-week)", expr, nf,
				     nf == 1 ? "" : "s");
	for (int i = 0; i < 5; i++) {
		rc = cron_field_parse(&cron_fields[i], fields[i], &mask[i], &star[i]);
		if (rc)
			return cal_error_prefix(rc, "cron expression '%s'", expr);
	}
	out->minutes = mask[0];
	out->hours = (uint32_t)mask[1];
	out->days = (uint32_t)mask[2];
	out->months = (uint16_t)mask[3];
	/* Sunday is 0 and 7. */
	out->weekdays = (uint8_t)((mask[4] | (mask[4] >> 7)) & 0x7f);
	out->days_star = star[2];
	out->weekdays_star = star[4];
	if (!cron_can_match(out))
		return cal_error_set(CAL_EINVALID, "cron expression '%s' never matches (no such "
				     "day in the months it names)", expr);
	return 0;
}

static bool cron_day_matches(const struct cal_cron *c, int64_t days, int d)
{
	bool dom = c->days & (1u << d);
	bool dow = c->weekdays & (1u << cal_weekday_from_days(days));

	return c->days_star || c->weekdays_star ? dom && dow : dom || dow;
}

/* The UTC time at which the wall-clock time `local` happens after
 * `after`, or -1 when it does not (its occurrences are all earlier). */
static int64_t cron_to_utc(const cal_tz *tz, int64_t local, int64_t after)
{
	int32_t before = cal_tz_offset(tz, local - 86400), later = cal_tz_offset(tz, local + 86400);
	int64_t ta = local - before, tb = local - later, best = -1;
	bool va = cal_tz_offset(tz, ta) == before, vb = cal_tz_offset(tz, tb) == later;

	if (!va && !vb)
		return ta > after ? ta : -1; /* skipped by a jump: as if it had not */
	if (va && ta > after)
		best = ta;
	if (vb && tb > after && (best < 0 || tb < best))
		best = tb;
	return best;
}

int cal_cron_next(int64_t *out_us, const struct cal_cron *c, const cal_tz *tz, int64_t after_us)
{
	int64_t after = after_us >= 0 ? after_us / 1000000 : -((-after_us + 999999) / 1000000);
	int64_t local = after + cal_tz_offset(tz, after), start_year;
	int64_t t, days, y;
	int m, d;

	/* The next whole minute of the wall clock. */
	local = local - ((local % 60) + 60) % 60 + 60;
	cal_civil_from_days(local >= 0 ? local / 86400 : -((-local + 86399) / 86400), &start_year,
			    &m, &d);
	for (;;) {
		int64_t secs;
		int hour, minute;

		days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
		secs = local - days * 86400;
		cal_civil_from_days(days, &y, &m, &d);
		if (y > start_year + CRON_MAX_YEARS)
			return cal_error_set(CAL_ENOTFOUND, "the cron expression matches no time in "
					     "the next %d years", CRON_MAX_YEARS);
		hour = (int)(secs / 3600);
		minute = (int)(secs / 60 % 60);
		if (!(c->months & (1u << m))) {
			local = cal_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) *
				86400;
			continue;
		}
		if (!cron_day_matches(c, days, d)) {
			local = (days + 1) * 86400;
			continue;
		}
		if (!(c->hours & (1u << hour))) {
			local = days * 86400 + (int64_t)(hour + 1) * 3600;
			continue;
		}
		if (!(c->minutes & ((uint64_t)1 << minute))) {
			local += 60;
			continue;
		}
		t = cron_to_utc(tz, local, after);
		if (t >= 0) {
			*out_us = t * 1000000;
			return 0;
		}
		local += 60;
	}
}
