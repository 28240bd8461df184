/* buf.c - growable NUL-terminated text (struct cal_buf) for the modules
 * that build text piece by piece: analyze's canonical documents, reports
 * (HTML, CSV, DOT) and the server's metrics.
 *
 * A buffer that runs out of memory stops growing and remembers it (`oom`),
 * so that writers append freely and check once, when they take the text.
 * Not thread-safe: one buffer belongs to one writer.
 */
#include "core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cal_buf_add(struct cal_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (n > SIZE_MAX / 2 - b->len - 1) {
		b->oom = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
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

void cal_buf_str(struct cal_buf *b, const char *s)
{
	cal_buf_add(b, s ? s : "", s ? strlen(s) : 0);
}

void cal_buf_printf(struct cal_buf *b, const char *fmt, ...)
{
	char small[256], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		cal_buf_add(b, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cal_buf_add(b, big, (size_t)n);
	free(big);
}

char *cal_buf_take(struct cal_buf *b)
{
	char *s = b->oom ? NULL : b->s ? b->s : strdup("");

	if (b->oom)
		free(b->s);
	memset(b, 0, sizeof(*b));
	if (!s)
		cal_error_set(CAL_ENOMEM, "out of memory");
	return s;
}

void cal_buf_free(struct cal_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}
