/* an_util.c - JSON string literals in core's text buffers (struct
 * cal_buf) and growable integer arrays for src/analyze.
 *
 * an_buf_json_str() escapes exactly as jansson does in compact canonical
 * dumps, so that a document written here hashes like the same document
 * dumped by cal_json_canonical_hash().
 */
#include "analyze/analyze_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void an_buf_json_str(struct cal_buf *b, const char *s)
{
	const char *run = s;

	cal_buf_add(b, "\"", 1);
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
		cal_buf_add(b, run, (size_t)(s - run));
		cal_buf_str(b, esc);
		run = s + 1;
	}
	cal_buf_add(b, run, (size_t)(s - run));
	cal_buf_add(b, "\"", 1);
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
