/* an_util.c - growable text and integer buffers for src/analyze.
 *
 * Text buffers remember an allocation failure (`oom`) instead of failing
 * each append, so builders append freely and check once at the end.
 * an_buf_json_str() escapes exactly as jansson does in compact canonical
 * dumps, so that a document written here hashes like the same document
 * dumped by cal_json_canonical_hash().
 */
#include "analyze/analyze_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void an_buf_add(struct an_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
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

void an_buf_str(struct an_buf *b, const char *s)
{
	an_buf_add(b, s, strlen(s));
}

void an_buf_printf(struct an_buf *b, const char *fmt, ...)
{
	char small[256];
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
		an_buf_add(b, small, (size_t)n);
		return;
	}
	{
		char *big = malloc((size_t)n + 1);

		if (!big) {
			b->oom = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		an_buf_add(b, big, (size_t)n);
		free(big);
	}
}

void an_buf_json_str(struct an_buf *b, const char *s)
{
	const char *run = s;

	an_buf_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *esc = NULL;
		char u[8];

		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			if (c < 0x20) {
				snprintf(u, sizeof(u), "\\u%04X", c);
				esc = u;
			}
		}
		if (!esc)
			continue;
		an_buf_add(b, run, (size_t)(s - run));
		an_buf_str(b, esc);
		run = s + 1;
	}
	an_buf_add(b, run, (size_t)(s - run));
	an_buf_add(b, "\"", 1);
}

void an_buf_free(struct an_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

int an_u32s_push(struct an_u32s *a, uint32_t x)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		uint32_t *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = x;
	return 0;
}

void an_u32s_free(struct an_u32s *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}
