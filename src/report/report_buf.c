/* report_buf.c - growable text for reports, with the escapes HTML and CSV
 * need.  Every external string (names, ids, field values from discovered
 * systems) goes through rp_html() or rp_csv() before it reaches a report.
 *
 * A buffer that runs out of memory stops growing and remembers it; the
 * writer checks once at the end (rp_take()).
 */
#include "report/report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rp_addn(struct rp_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2 + 256;
		char *p = realloc(b->s, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void rp_add(struct rp_buf *b, const char *s)
{
	rp_addn(b, s ? s : "", s ? strlen(s) : 0);
}

void rp_printf(struct rp_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	rp_addn(b, s, (size_t)n);
	free(s);
}

void rp_html(struct rp_buf *b, const char *s)
{
	const char *run = s;

	for (; s && *s; s++) {
		const char *rep = NULL;
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			if (c < 0x20 && c != '\n' && c != '\t')
				rep = "";
			else if (c == 0x7f)
				rep = "";
			break;
		}
		if (!rep)
			continue;
		rp_addn(b, run, (size_t)(s - run));
		rp_add(b, rep);
		run = s + 1;
	}
	if (run && s)
		rp_addn(b, run, (size_t)(s - run));
}

void rp_csv(struct rp_buf *b, const char *s)
{
	bool quote, formula;

	s = s ? s : "";
	quote = strpbrk(s, ",\"\r\n") != NULL;
	formula = s[0] == '=' || s[0] == '+' || s[0] == '@' || s[0] == '\t' || s[0] == '\r' ||
		  (s[0] == '-' && !(s[1] >= '0' && s[1] <= '9'));
	if (!quote && !formula) {
		rp_add(b, s);
		return;
	}
	rp_add(b, "\"");
	if (formula)
		rp_add(b, "'");
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			rp_add(b, "\"\"");
		else
			rp_addn(b, p, 1);
	}
	rp_add(b, "\"");
}

char *rp_text(const json_t *v)
{
	if (!v || json_is_null(v))
		return strdup("");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_array(v)) {
		struct rp_buf b = { 0 };
		size_t i;
		json_t *e;

		/* A list of names reads as one: "vxlan-101, vxlan-102". */
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		json_array_foreach(v, i, e) {
			rp_add(&b, i ? ", " : "");
			rp_add(&b, json_string_value(e));
		}
		return rp_take(&b);
	}
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

char *rp_take(struct rp_buf *b)
{
	char *s;

	if (b->oom) {
		free(b->s);
		memset(b, 0, sizeof(*b));
		cal_error_set(CAL_ENOMEM, "out of memory writing a report");
		return NULL;
	}
	s = b->s ? b->s : strdup("");
	memset(b, 0, sizeof(*b));
	if (!s)
		cal_error_set(CAL_ENOMEM, "out of memory writing a report");
	return s;
}
