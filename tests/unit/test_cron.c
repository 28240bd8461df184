/* test_cron.c - cron expressions and time zones of the scheduler
 * (src/server/cron.c, tz.c): parsing and its errors, the next run in UTC,
 * in zones with daylight saving (both hemispheres, gaps and repeated
 * hours), after the last transition of a TZif file (its POSIX rule), and
 * the TZif reader's refusals.
 *
 * Expected times are calendar facts (2026-11-29 is a Sunday; Europe/Paris
 * changes on the last Sundays of March and October at 01:00 UTC).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/core.h"
#include "server/server.h"

static int64_t t_us(const char *text)
{
	int64_t us = 0;

	assert_int_equal(cal_time_parse(&us, text), 0);
	return us;
}

/* The next run of expr in zone after `after`, as RFC 3339 text. */
static const char *t_next(char buf[CAL_TIME_BUFSZ], const char *expr, const char *zone,
			  const char *after)
{
	struct cal_cron c;
	cal_tz *tz = NULL;
	int64_t next = 0;

	assert_int_equal(cal_cron_parse(&c, expr), 0);
	if (zone)
		assert_int_equal(cal_tz_load(&tz, zone), 0);
	assert_int_equal(cal_cron_next(&next, &c, tz, t_us(after)), 0);
	cal_tz_free(tz);
	return cal_time_format(buf, next);
}

#define NEXT(expr, zone, after, want)                                              \
	do {                                                                       \
		char b_[CAL_TIME_BUFSZ];                                           \
		assert_string_equal(t_next(b_, expr, zone, after), want);          \
	} while (0)

static void test_parse_errors(void **state)
{
	static const struct {
		const char *expr, *says;
	} bad[] = {
		{ "0 0 * *", "has 4 fields" },
		{ "0 0 * * * *", "more than 5 fields" },
		{ "60 * * * *", "minute '60'" },
		{ "* 24 * * *", "hour '24'" },
		{ "* * 0 * *", "day of month '0'" },
		{ "* * 32 * *", "day of month '32'" },
		{ "* * * 13 *", "month '13'" },
		{ "0 0 * * 8", "day of week '8'" },
		{ "*/0 * * * *", "step" },
		{ "*/61 * * * *", "step" },
		{ "5-1 * * * *", "backwards" },
		{ "a * * * *", "not a number" },
		{ "1,,2 * * * *", "not a number" },
		{ "1- * * * *", "not a number" },
		{ "* * * FOO *", "month 'FOO'" },
		{ "0 0 30 2 *", "never matches" },
		{ "0 0 31 4,6,9,11 *", "never matches" },
		{ "@reboot", "unknown cron shorthand" },
		{ "", "1 to 256" },
	};
	struct cal_cron c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cal_cron_parse(&c, bad[i].expr), CAL_EINVALID);
		if (!strstr(cal_error_last(), bad[i].says))
			fail_msg("'%s': message '%s' does not say '%s'", bad[i].expr,
				 cal_error_last(), bad[i].says);
	}
}

static void test_parse_fields(void **state)
{
	struct cal_cron c;

	(void)state;
	assert_int_equal(cal_cron_parse(&c, "*/15 9-17 * JAN,jul mon-FRI"), 0);
	assert_true(c.minutes == ((1ull << 0) | (1ull << 15) | (1ull << 30) | (1ull << 45)));
	assert_int_equal(c.hours, 0x3fe00);
	assert_int_equal(c.months, (1 << 1) | (1 << 7));
	assert_int_equal(c.weekdays, 0x3e);
	assert_true(c.days_star);
	assert_false(c.weekdays_star);
	/* 7 is Sunday too; N/STEP runs from N to the end. */
	assert_int_equal(cal_cron_parse(&c, "5/20 0 1 * 7"), 0);
	assert_true(c.minutes == ((1ull << 5) | (1ull << 25) | (1ull << 45)));
	assert_int_equal(c.weekdays, 1);
	assert_int_equal(cal_cron_parse(&c, "@weekly"), 0);
	assert_int_equal(c.weekdays, 1);
	assert_string_equal(cal_cron_freq_expr("WEEKLY"), "0 0 * * 0");
	assert_string_equal(cal_cron_freq_expr("HOURLY"), "0 * * * *");
	assert_null(cal_cron_freq_expr("weekly"));
}

static void test_next_utc(void **state)
{
	(void)state;
	NEXT("*/10 * * * *", NULL, "2026-11-22T08:03:00Z", "2026-11-22T08:10:00.000000Z");
	/* Strictly after: a time that matches is not its own next run. */
	NEXT("*/10 * * * *", NULL, "2026-11-22T08:10:00Z", "2026-11-22T08:20:00.000000Z");
	NEXT("*/10 * * * *", NULL, "2026-11-22T23:55:30Z", "2026-11-23T00:00:00.000000Z");
	NEXT("* * * * *", NULL, "2026-11-22T08:03:59.999Z", "2026-11-22T08:04:00.000000Z");
	/* Wednesday 2026-11-25 -> Sunday 2026-11-29. */
	NEXT("0 0 * * 0", NULL, "2026-11-25T12:00:00Z", "2026-11-29T00:00:00.000000Z");
	NEXT("0 0 * * 0", NULL, "2026-11-29T00:00:00Z", "2026-12-06T00:00:00.000000Z");
	NEXT("0 0 1 1 *", NULL, "2026-11-25T12:00:00Z", "2027-01-01T00:00:00.000000Z");
	/* February 29th: the next leap year. */
	NEXT("0 0 29 2 *", NULL, "2026-03-01T00:00:00Z", "2028-02-29T00:00:00.000000Z");
	/* Both day fields restricted: the 13th or a Friday (2026-11-27). */
	NEXT("0 12 13 * 5", NULL, "2026-11-25T00:00:00Z", "2026-11-27T12:00:00.000000Z");
	NEXT("0 12 13 * 5", NULL, "2026-12-10T00:00:00Z", "2026-12-11T12:00:00.000000Z");
	/* One restricted, the other '*': only the restricted one counts. */
	NEXT("0 12 13 * *", NULL, "2026-11-25T00:00:00Z", "2026-12-13T12:00:00.000000Z");
	NEXT("30 4 * 2 *", NULL, "2026-11-25T00:00:00Z", "2027-02-01T04:30:00.000000Z");
	NEXT("@hourly", NULL, "2026-11-25T10:00:00Z", "2026-11-25T11:00:00.000000Z");
	NEXT("0 0 31 * *", NULL, "2026-11-25T00:00:00Z", "2026-12-31T00:00:00.000000Z");
}

static void test_next_zones(void **state)
{
	(void)state;
	/* Sunday midnight in Paris (winter, +01:00). */
	NEXT("0 0 * * 0", "Europe/Paris", "2026-11-25T12:00:00Z", "2026-11-28T23:00:00.000000Z");
	/* Summer, +02:00. */
	NEXT("0 0 * * 0", "Europe/Paris", "2026-07-01T00:00:00Z", "2026-07-04T22:00:00.000000Z");
	/* 02:30 does not exist on 2026-03-29: runs at 03:30 CEST. */
	NEXT("30 2 * * *", "Europe/Paris", "2026-03-28T12:00:00Z", "2026-03-29T01:30:00.000000Z");
	NEXT("30 2 * * *", "Europe/Paris", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00.000000Z");
	/* 02:30 happens twice on 2026-10-25: once, the first time (CEST). */
	NEXT("30 2 * * *", "Europe/Paris", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00.000000Z");
	NEXT("30 2 * * *", "Europe/Paris", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00.000000Z");
	/* Every 10 minutes across the spring jump: 01:50 CET, then 03:00 CEST. */
	NEXT("*/10 * * * *", "Europe/Paris", "2026-03-29T00:50:00Z",
	     "2026-03-29T01:00:00.000000Z");
	/* Weekdays at 09:00 in New York (EST, -05:00); Friday 2026-11-27. */
	NEXT("0 9 * * 1-5", "America/New_York", "2026-11-26T15:00:00Z",
	     "2026-11-27T14:00:00.000000Z");
	/* After the last transition of the file: the footer's rule (CEST). */
	NEXT("0 12 1 7 *", "Europe/Paris", "2040-01-01T00:00:00Z", "2040-07-01T10:00:00.000000Z");
	/* Southern hemisphere: daylight time across the new year (+11:00). */
	NEXT("0 12 1 1 *", "Australia/Sydney", "2040-06-01T00:00:00Z",
	     "2041-01-01T01:00:00.000000Z");
	/* A half-hour zone (+05:30). */
	NEXT("0 0 * * *", "Asia/Kolkata", "2026-11-25T00:00:00Z", "2026-11-25T18:30:00.000000Z");
}

static void test_tz_offsets(void **state)
{
	cal_tz *tz = NULL;

	(void)state;
	assert_int_equal(cal_tz_load(&tz, "Europe/Paris"), 0);
	assert_string_equal(cal_tz_name(tz), "Europe/Paris");
	assert_int_equal(cal_tz_offset(tz, t_us("2026-03-29T00:59:59Z") / 1000000), 3600);
	assert_int_equal(cal_tz_offset(tz, t_us("2026-03-29T01:00:00Z") / 1000000), 7200);
	assert_int_equal(cal_tz_offset(tz, t_us("2026-10-25T00:59:59Z") / 1000000), 7200);
	assert_int_equal(cal_tz_offset(tz, t_us("2026-10-25T01:00:00Z") / 1000000), 3600);
	/* Rule territory (after 2037), same changes. */
	assert_int_equal(cal_tz_offset(tz, t_us("2050-03-27T00:59:59Z") / 1000000), 3600);
	assert_int_equal(cal_tz_offset(tz, t_us("2050-03-27T01:00:00Z") / 1000000), 7200);
	cal_tz_free(tz);
	assert_int_equal(cal_tz_offset(NULL, 123456), 0);
	assert_int_equal(cal_tz_load(&tz, "UTC"), 0);
	assert_int_equal(cal_tz_offset(tz, t_us("2026-07-01T00:00:00Z") / 1000000), 0);
	cal_tz_free(tz);
}

static void test_tz_refusals(void **state)
{
	static const char *const names[] = { "../../etc/passwd", "/etc/localtime", "Europe/",
					     "Europe//Paris", "Europe/Par is", "" };
	cal_tz *tz = NULL;
	FILE *f;
	unsigned char *buf;
	long n;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(cal_tz_load(&tz, names[i]), CAL_EINVALID);
	assert_int_equal(cal_tz_load(&tz, "Mars/Olympus_Mons"), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "unknown time zone"));
	/* A directory of zones is not a zone. */
	assert_int_equal(cal_tz_load(&tz, "Europe"), CAL_EINVALID);
	/* Truncations and corruptions of a real file are refused. */
	f = fopen("/usr/share/zoneinfo/Europe/Paris", "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	assert_int_equal(cal_tz_parse(&tz, "x", buf, (size_t)n), 0);
	cal_tz_free(tz);
	for (long cut = 0; cut < n - 60; cut += 97)
		assert_int_equal(cal_tz_parse(&tz, "x", buf, (size_t)cut), CAL_EPROTO);
	buf[0] = 'X';
	assert_int_equal(cal_tz_parse(&tz, "x", buf, (size_t)n), CAL_EPROTO);
	free(buf);
}

/* Without tzdata, UTC still loads. */
static void test_tz_builtin_utc(void **state)
{
	char dir[] = "/tmp/sv-tz-XXXXXX";
	cal_tz *tz = NULL;
	char b[CAL_TIME_BUFSZ];
	struct cal_cron c;
	int64_t next;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("TZDIR", dir, 1);
	assert_int_equal(cal_tz_load(&tz, "UTC"), 0);
	{
		cal_tz *paris = NULL;

		assert_int_equal(cal_tz_load(&paris, "Europe/Paris"), CAL_EINVALID);
	}
	assert_int_equal(cal_cron_parse(&c, "0 6 * * *"), 0);
	assert_int_equal(cal_cron_next(&next, &c, tz, t_us("2026-11-25T07:00:00Z")), 0);
	assert_string_equal(cal_time_format(b, next), "2026-11-26T06:00:00.000000Z");
	cal_tz_free(tz);
	unsetenv("TZDIR");
	rmdir(dir);
}

static void test_civil(void **state)
{
	int64_t y;
	int m, d;

	(void)state;
	assert_int_equal(cal_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(cal_days_from_civil(2000, 3, 1), 11017);
	cal_civil_from_days(-1, &y, &m, &d);
	assert_true(y == 1969 && m == 12 && d == 31);
	assert_int_equal(cal_weekday_from_days(cal_days_from_civil(2026, 11, 29)), 0);
	assert_int_equal(cal_weekday_from_days(cal_days_from_civil(1969, 12, 31)), 3);
	assert_int_equal(cal_days_in_month(2028, 2), 29);
	assert_int_equal(cal_days_in_month(2100, 2), 28);
	/* Every day of 400 years round-trips. */
	for (int64_t z = cal_days_from_civil(1900, 1, 1); z < cal_days_from_civil(2300, 1, 1);
	     z++) {
		cal_civil_from_days(z, &y, &m, &d);
		assert_int_equal(cal_days_from_civil(y, m, d), z);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),   cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_next_utc),       cmocka_unit_test(test_next_zones),
		cmocka_unit_test(test_tz_offsets),     cmocka_unit_test(test_tz_refusals),
		cmocka_unit_test(test_tz_builtin_utc), cmocka_unit_test(test_civil),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
