/* tz.c - time zones for the scheduler's cron expressions, read from the
 * system's TZif files (/usr/share/zoneinfo, RFC 8536), without touching the
 * process-wide TZ/localtime state that other threads use.
 *
 * cal_tz_parse() is pure over a bounded buffer (fuzzed with the query
 * parser): version 1 data is skipped for version 2+ files, which carry
 * 64-bit transition times and a POSIX TZ footer ("CET-1CEST,M3.5.0,
 * M10.5.0/3") that gives offsets after the last transition.  Counts are
 * bounded and every size is checked before it is used; transitions must
 * increase, type indexes must exist, offsets stay within +-26 hours.
 * cal_tz_load() maps a zone name (letters, digits, '_', '+', '-', '/'; no
 * "..") to a file under $TZDIR or /usr/share/zoneinfo.
 *
 * Times are seconds since the epoch here; offsets are seconds east of UTC.
 */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZ_MAX_TRANSITIONS 100000
#define TZ_MAX_TYPES 256
#define TZ_MAX_FILE ((size_t)1 << 20)
#define TZ_MAX_OFFSET (26 * 3600)
#define TZ_MAX_FOOTER 256

/* A day of a POSIX TZ rule: 'J' (Jn, 1..365, no Feb 29), 'D' (n, 0..365),
 * 'M' (Mm.w.d), and the local time of day of the change. */
struct tz_date {
	char kind;
	int a, b, c;
	int32_t time;
};

struct tz_rule {
	int32_t std_off, dst_off; /* east of UTC */
	bool has_dst;
	struct tz_date start, end;
};

struct tz_type {
	int32_t off;
	bool dst;
};

struct cal_tz {
	char name[128];
	int64_t *trans;
	uint8_t *idx;
	size_t ntrans;
	struct tz_type *types;
	size_t ntypes;
	bool has_rule;
	struct tz_rule rule;
};

/* ------------------------------------------------------------------ */
/* Civil dates (proleptic Gregorian, days since 1970-01-01)            */
/* ------------------------------------------------------------------ */

int64_t cal_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void cal_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int cal_weekday_from_days(int64_t z)
{
	/* 1970-01-01 was a Thursday (4). */
	return (int)(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

bool cal_is_leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int cal_days_in_month(int64_t y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && cal_is_leap_year(y) ? 29 : mdays[m - 1];
}

static int64_t tz_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && ((a < 0) != (b < 0)));
}

/* ------------------------------------------------------------------ */
/* POSIX TZ strings (the TZif footer)                                  */
/* ------------------------------------------------------------------ */

static bool tz_parse_name(const char **p)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '<') {
		for (s++; *s && *s != '>'; s++, n++)
			if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
			      (*s >= '0' && *s <= '9') || *s == '+' || *s == '-'))
				return false;
		if (*s != '>' || n < 3)
			return false;
		*p = s + 1;
		return true;
	}
	for (; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++)
		n++;
	if (n < 3)
		return false;
	*p = s;
	return true;
}

/* [+-]hh[:mm[:ss]] with hh <= max_hours; the value in seconds. */
static bool tz_parse_hms(const char **p, int32_t *out, int max_hours)
{
	const char *s = *p;
	int sign = 1, part[3] = { 0, 0, 0 };

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (int i = 0; i < 3; i++) {
		int v = 0, digits = 0;

		if (i > 0) {
			if (*s != ':')
				break;
			s++;
		}
		while (*s >= '0' && *s <= '9' && digits < 3) {
			v = v * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 0 || (i == 0 && v > max_hours) || (i > 0 && (digits != 2 || v > 59)))
			return false;
		part[i] = v;
	}
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	*p = s;
	return true;
}

static bool tz_parse_int(const char **p, int *out, int lo, int hi)
{
	const char *s = *p;
	int v = 0, digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 4) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0 || v < lo || v > hi)
		return false;
	*out = v;
	*p = s;
	return true;
}

static bool tz_parse_date(const char **p, struct tz_date *d)
{
	const char *s = *p;

	d->time = 2 * 3600;
	d->a = d->b = d->c = 0;
	if (*s == 'J') {
		s++;
		d->kind = 'J';
		if (!tz_parse_int(&s, &d->a, 1, 365))
			return false;
	} else if (*s == 'M') {
		s++;
		d->kind = 'M';
		if (!tz_parse_int(&s, &d->a, 1, 12) || *s++ != '.' ||
		    !tz_parse_int(&s, &d->b, 1, 5) || *s++ != '.' || !tz_parse_int(&s, &d->c, 0, 6))
			return false;
	} else {
		d->kind = 'D';
		if (!tz_parse_int(&s, &d->a, 0, 365))
			return false;
	}
	if (*s == '/') {
		s++;
		if (!tz_parse_hms(&s, &d->time, 167))
			return false;
	}
	*p = s;
	return true;
}

/* "STDoffset[DST[offset][,start[/time],end[/time]]]". */
static int tz_parse_rule(struct tz_rule *r, const char *s)
{
	int32_t off;

	memset(r, 0, sizeof(*r));
	if (!tz_parse_name(&s) || !tz_parse_hms(&s, &off, 24))
		return CAL_EPROTO;
	r->std_off = -off; /* POSIX offsets are west of UTC */
	r->dst_off = r->std_off;
	if (!*s)
		return 0;
	if (!tz_parse_name(&s))
		return CAL_EPROTO;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*s && *s != ',') {
		if (!tz_parse_hms(&s, &off, 24))
			return CAL_EPROTO;
		r->dst_off = -off;
	}
	/* TZif footers always carry the rule; without one we would have to
	 * guess the dates. */
	if (*s++ != ',' || !tz_parse_date(&s, &r->start) || *s++ != ',' ||
	    !tz_parse_date(&s, &r->end) || *s)
		return CAL_EPROTO;
	return 0;
}

/* Local time (seconds since the epoch, wall clock) of a rule date in y. */
static int64_t tz_date_local(const struct tz_date *d, int64_t y)
{
	int64_t day = cal_days_from_civil(y, 1, 1);

	if (d->kind == 'J') {
		day += d->a - 1 + (cal_is_leap_year(y) && d->a >= 60);
	} else if (d->kind == 'D') {
		day += d->a;
	} else {
		int64_t first = cal_days_from_civil(y, d->a, 1);
		int wd = cal_weekday_from_days(first);
		int64_t x = first + (d->c - wd + 7) % 7 + 7 * (d->b - 1);

		while (x >= first + cal_days_in_month(y, d->a))
			x -= 7;
		day = x;
	}
	return day * 86400 + d->time;
}

static int32_t tz_rule_offset(const struct tz_rule *r, int64_t t)
{
	int64_t y, start, end;
	int m, d;

	if (!r->has_dst)
		return r->std_off;
	cal_civil_from_days(tz_floor_div(t + r->std_off, 86400), &y, &m, &d);
	start = tz_date_local(&r->start, y) - r->std_off;
	end = tz_date_local(&r->end, y) - r->dst_off;
	if (start < end)
		return t >= start && t < end ? r->dst_off : r->std_off;
	/* Southern hemisphere: summer time spans the new year. */
	return t >= end && t < start ? r->std_off : r->dst_off;
}

/* ------------------------------------------------------------------ */
/* TZif                                                                */
/* ------------------------------------------------------------------ */

static uint32_t tz_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t tz_be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)tz_be32(p) << 32 | tz_be32(p + 4));
}

struct tz_hdr {
	char version;
	uint32_t isut, isstd, leap, time, type, chr;
};

static int tz_header(struct tz_hdr *h, const unsigned char *p, size_t left)
{
	if (left < 44 || memcmp(p, "TZif", 4) != 0)
		return CAL_EPROTO;
	h->version = (char)p[4];
	h->isut = tz_be32(p + 20);
	h->isstd = tz_be32(p + 24);
	h->leap = tz_be32(p + 28);
	h->time = tz_be32(p + 32);
	h->type = tz_be32(p + 36);
	h->chr = tz_be32(p + 40);
	if (h->time > TZ_MAX_TRANSITIONS || h->type > TZ_MAX_TYPES || h->leap > 10000 ||
	    h->chr > 65536 || (h->isut && h->isut != h->type) ||
	    (h->isstd && h->isstd != h->type))
		return CAL_EPROTO;
	return 0;
}

/* Size of a data block; the counts are bounded, so this cannot overflow. */
static size_t tz_block_size(const struct tz_hdr *h, size_t tsize)
{
	return (size_t)h->time * tsize + h->time + (size_t)h->type * 6 + h->chr +
	       (size_t)h->leap * (tsize + 4) + h->isstd + h->isut;
}

int cal_tz_parse(cal_tz **out, const char *name, const void *data, size_t len)
{
	const unsigned char *p = data, *end = p + len, *b;
	struct tz_hdr h;
	size_t tsize = 4, need;
	cal_tz *tz = NULL;
	int rc;

	*out = NULL;
	rc = tz_header(&h, p, len);
	if (rc)
		goto bad;
	need = tz_block_size(&h, 4);
	if (h.version >= '2') {
		/* Skip the 32-bit data: the second header and block follow. */
		if (need > len - 44)
			goto bad;
		p += 44 + need;
		rc = tz_header(&h, p, (size_t)(end - p));
		if (rc)
			goto bad;
		tsize = 8;
		need = tz_block_size(&h, 8);
	}
	if (h.type == 0 || need > (size_t)(end - p) - 44)
		goto bad;
	b = p + 44;
	tz = calloc(1, sizeof(*tz));
	if (!tz)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	snprintf(tz->name, sizeof(tz->name), "%s", name ? name : "");
	tz->ntrans = h.time;
	tz->ntypes = h.type;
	tz->trans = calloc(h.time ? h.time : 1, sizeof(*tz->trans));
	tz->idx = calloc(h.time ? h.time : 1, 1);
	tz->types = calloc(h.type, sizeof(*tz->types));
	if (!tz->trans || !tz->idx || !tz->types) {
		cal_tz_free(tz);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < h.time; i++) {
		tz->trans[i] = tsize == 8 ? tz_be64(b + i * 8) : (int32_t)tz_be32(b + i * 4);
		if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
			goto bad;
	}
	b += (size_t)h.time * tsize;
	for (size_t i = 0; i < h.time; i++) {
		tz->idx[i] = b[i];
		if (b[i] >= h.type)
			goto bad;
	}
	b += h.time;
	for (size_t i = 0; i < h.type; i++, b += 6) {
		int32_t off = (int32_t)tz_be32(b);

		if (off < -TZ_MAX_OFFSET || off > TZ_MAX_OFFSET || b[4] > 1 || b[5] >= h.chr)
			goto bad;
		tz->types[i].off = off;
		tz->types[i].dst = b[4];
	}
	b += h.chr + (size_t)h.leap * (tsize + 4) + h.isstd + h.isut;
	if (tsize == 8 && b < end) {
		/* "\n<POSIX TZ>\n"; an empty footer means no rule. */
		const unsigned char *nl;
		char footer[TZ_MAX_FOOTER + 1];
		size_t n;

		if (*b != '\n')
			goto bad;
		nl = memchr(b + 1, '\n', (size_t)(end - b - 1));
		if (!nl || (size_t)(nl - b - 1) > TZ_MAX_FOOTER)
			goto bad;
		n = (size_t)(nl - b - 1);
		memcpy(footer, b + 1, n);
		footer[n] = '\0';
		if (n > 0) {
			if (memchr(footer, '\0', n) || tz_parse_rule(&tz->rule, footer))
				goto bad;
			if (tz->rule.std_off < -TZ_MAX_OFFSET || tz->rule.std_off > TZ_MAX_OFFSET ||
			    tz->rule.dst_off < -TZ_MAX_OFFSET || tz->rule.dst_off > TZ_MAX_OFFSET)
				goto bad;
			tz->has_rule = true;
		}
	}
	*out = tz;
	return 0;
bad:
	cal_tz_free(tz);
	return cal_error_set(CAL_EPROTO, "time zone '%s': not a valid TZif file",
			     name ? name : "");
}

void cal_tz_free(cal_tz *tz)
{
	if (!tz)
		return;
	free(tz->trans);
	free(tz->idx);
	free(tz->types);
	free(tz);
}

const char *cal_tz_name(const cal_tz *tz)
{
	return tz ? tz->name : "UTC";
}

int32_t cal_tz_offset(const cal_tz *tz, int64_t t)
{
	size_t lo, hi;

	if (!tz)
		return 0;
	if (tz->ntrans == 0)
		return tz->has_rule ? tz_rule_offset(&tz->rule, t) : tz->types[0].off;
	if (t < tz->trans[0])
		return tz->types[0].off;
	if (t >= tz->trans[tz->ntrans - 1] && tz->has_rule)
		return tz_rule_offset(&tz->rule, t);
	/* The last transition at or before t. */
	lo = 0;
	hi = tz->ntrans;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->types[tz->idx[lo]].off;
}

bool cal_tz_name_is_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 100 || name[0] == '/' || name[0] == '.' || strstr(name, "..") ||
	    strstr(name, "//") || name[n - 1] == '/')
		return false;
	for (const char *s = name; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '+' || *s == '-' ||
		      *s == '/'))
			return false;
	return true;
}

int cal_tz_load(cal_tz **out, const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	unsigned char *buf = NULL;
	struct stat sb;
	ssize_t n;
	int fd, rc;

	*out = NULL;
	if (!cal_tz_name_is_valid(name))
		return cal_error_set(CAL_EINVALID, "'%s' is not a time zone name (such as UTC or "
				     "Europe/Paris)", name ? name : "");
	if (!dir || dir[0] != '/')
		dir = "/usr/share/zoneinfo";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (strcmp(name, "UTC") == 0) {
			/* A machine without tzdata still knows UTC. */
			static const unsigned char utc[] = {
				'T', 'Z', 'i', 'f', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0,
				0, 4, 0, 0, 0, 0, 0, 0, 'U', 'T', 'C', 0,
			};
			return cal_tz_parse(out, name, utc, sizeof(utc));
		}
		return cal_error_set(errno == ENOENT ? CAL_EINVALID : CAL_EIO,
				     "unknown time zone '%s' (no %s)", name, path);
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    (size_t)sb.st_size > TZ_MAX_FILE) {
		close(fd);
		return cal_error_set(CAL_EINVALID, "unknown time zone '%s' (%s is not a zone "
				     "file)", name, path);
	}
	buf = malloc((size_t)sb.st_size);
	if (!buf) {
		close(fd);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	n = read(fd, buf, (size_t)sb.st_size);
	close(fd);
	if (n != sb.st_size) {
		free(buf);
		return cal_error_set(CAL_EIO, "cannot read time zone file %s", path);
	}
	rc = cal_tz_parse(out, name, buf, (size_t)n);
	free(buf);
	if (rc == CAL_EPROTO)
		rc = cal_error_set(CAL_EINVALID, "unknown time zone '%s' (%s is not a zone file)",
				   name, path);
	return rc;
}
