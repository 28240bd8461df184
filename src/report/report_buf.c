/* report_buf.c - the escapes HTML and CSV need, written into core's text
 * buffers (struct cal_buf).  Every external string (names, ids, field
 * values from discovered systems) goes through rp_html() or rp_csv()
 * before it reaches a report.
 */
#include "report/report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rp_html(struct cal_buf *b, const char *s)
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
		cal_buf_add(b, run, (size_t)(s - run));
		cal_buf_str(b, rep);
		run = s + 1;
	}
	if (run && s)
		cal_buf_add(b, run, (size_t)(s - run));
}

void rp_csv(struct cal_buf *b, const char *s)
{
	bool quote, formula;

	s = s ? s : "";
	quote = strpbrk(s, ",\"\r\n") != NULL;
	formula = s[0] == '=' || s[0] == '+' || s[0] == '@' || s[0] == '\t' || s[0] == '\r' ||
		  (s[0] == '-' && !(s[1] >= '0' && s[1] <= '9'));
	if (!quote && !formula) {
		cal_buf_str(b, s);
		return;
	}
	cal_buf_str(b, "\"");
	if (formula)
		cal_buf_str(b, "'");
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			cal_buf_str(b, "\"\"");
		else
			cal_buf_add(b, p, 1);
	}
	cal_buf_str(b, "\"");
}

char *rp_text(const json_t *v)
{
	if (!v || json_is_null(v))
		return strdup("");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_array(v)) {
		struct cal_buf b = { 0 };
		size_t i;
		json_t *e;

		/* A list of names reads as one: "vxlan-101, vxlan-102". */
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		json_array_foreach(v, i, e) {
			cal_buf_str(&b, i ? ", " : "");
			cal_buf_str(&b, json_string_value(e));
		}
		return cal_buf_take(&b);
	}
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}
