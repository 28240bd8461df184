/* design_yaml.c - YAML <-> JSON for design files, over libyaml's event
 * parser and emitter.
 *
 * Parsing follows the YAML 1.2 core schema for plain scalars (null, true,
 * false, integers, floats; everything else is text; quoted scalars are
 * always text) and the standard tags !!str !!int !!float !!bool !!null.
 * It refuses what a design never needs and a hostile file could abuse:
 * aliases (exponential expansion), several documents, duplicate or
 * non-scalar keys, NUL bytes, nesting deeper than DY_MAX_DEPTH.  Errors
 * name the file with the line and column libyaml reports.
 *
 * Emitting writes block style, keys in a fixed order (sections and
 * identity first, then byte order); a string is written plain
 * only when it would read back as the same string, else double-quoted.
 *
 * Pure: no I/O besides the caller's buffer, no globals.
 */
#include "analyze/diff_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define DY_MAX_DEPTH 64

/* ------------------------------------------------------------------ */
/* Scalars                                                             */
/* ------------------------------------------------------------------ */

/* Non-empty and made of `set`'s characters only. */
static bool dy_all(const char *s, const char *set)
{
	size_t i = 0;

	for (; s[i]; i++)
		if (!strchr(set, s[i]))
			return false;
	return i > 0;
}

static bool dy_is_null(const char *s)
{
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

static int dy_bool(const char *s)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
		return 1;
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
		return 0;
	return -1;
}

/* Integers of the core schema: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+.
 * 1: an integer in *v; 0: not one; -1: one out of range. */
static int dy_int(const char *s, json_int_t *v)
{
	const char *d = s;
	int base = 10;
	char *end;
	long long x;

	if (strncmp(s, "0o", 2) == 0 && dy_all(s + 2, "01234567")) {
		base = 8;
		d = s + 2;
	} else if (strncmp(s, "0x", 2) == 0 && dy_all(s + 2, "0123456789abcdefABCDEF")) {
		base = 16;
		d = s + 2;
	} else if (!dy_all(*s == '-' || *s == '+' ? s + 1 : s, "0123456789")) {
		return 0;
	}
	errno = 0;
	x = strtoll(d, &end, base);
	if (errno == ERANGE || *end)
		return -1;
	*v = (json_int_t)x;
	return 1;
}

/* Floats of the core schema; 1 when `s` is one (*v set). */
static int dy_float(const char *s, double *v)
{
	const char *p = s;
	bool digits = false;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0 ||
	    strcmp(s, ".nan") == 0 || strcmp(s, ".NaN") == 0 || strcmp(s, ".NAN") == 0) {
		*v = NAN;
		return 1;
	}
	while (*p >= '0' && *p <= '9') {
		p++;
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits = true;
		}
	}
	if (!digits)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return 0;
	*v = strtod(s, &end);
	return 1;
}

#define DY_TAG "tag:yaml.org,2002:"

static int dy_scalar(json_t **out, const yaml_event_t *ev, const char *what)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t len = ev->data.scalar.length;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	unsigned long line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;
	const char *want = NULL;
	json_int_t i;
	double d;
	int b, r;

	*out = NULL;
	if (memchr(s, '\0', len))
		return cal_error_set(CAL_EINVALID, "design %s: line %lu, column %lu: a NUL "
				     "character in a value", what, line, col);
	if (tag && strcmp(tag, "!") != 0) {
		if (strncmp(tag, DY_TAG, strlen(DY_TAG)) != 0)
			return cal_error_set(CAL_EINVALID, "design %s: line %lu, column %lu: "
					     "unsupported tag '%s'", what, line, col, tag);
		want = tag + strlen(DY_TAG);
	} else if (!plain) {
		want = "str";
	}
	if (want && strcmp(want, "str") == 0) {
		*out = json_stringn(s, len);
	} else if ((!want || strcmp(want, "null") == 0) && dy_is_null(s)) {
		*out = json_null();
	} else if ((!want || strcmp(want, "bool") == 0) && (b = dy_bool(s)) >= 0) {
		*out = json_boolean(b);
	} else if ((!want || strcmp(want, "int") == 0) && (r = dy_int(s, &i)) != 0) {
		if (r < 0)
			return cal_error_set(CAL_EINVALID, "design %s: line %lu, column %lu: integer "
					     "'%s' is out of range", what, line, col, s);
		*out = json_integer(i);
	} else if ((!want || strcmp(want, "float") == 0) && dy_float(s, &d)) {
		if (!isfinite(d))
			return cal_error_set(CAL_EINVALID, "design %s: line %lu, column %lu: '%s' "
					     "is not a finite number", what, line, col, s);
		*out = json_real(d);
	} else if (!want) {
		*out = json_stringn(s, len);
	} else {
		return cal_error_set(CAL_EINVALID, "design %s: line %lu, column %lu: '%s' is not "
				     "a valid !!%s", what, line, col, s, want);
	}
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------ */
/* Parser                                                              */
/* ------------------------------------------------------------------ */

struct dy_frame {
	json_t *node;
	char *key; /* a mapping's key waiting for its value */
};

struct dy_parse {
	struct dy_frame stack[DY_MAX_DEPTH];
	int depth;
	json_t *root;
	const char *what;
};

/* Adds `v` (taken) where the parser is; `is_scalar` for key handling. */
static int dy_add(struct dy_parse *p, json_t *v, const yaml_event_t *ev)
{
	unsigned long line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;
	struct dy_frame *f;

	if (p->depth == 0) {
		if (p->root) {
			json_decref(v);
			return cal_error_set(CAL_EINVALID, "design %s: line %lu: more than one "
					     "value at the top", p->what, line);
		}
		p->root = v;
		return 0;
	}
	f = &p->stack[p->depth - 1];
	if (json_is_array(f->node)) {
		if (json_array_append_new(f->node, v))
			return cal_error_set(CAL_ENOMEM, "out of memory");
		return 0;
	}
	if (!f->key) {
		/* A key: only scalars, compared as their text. */
		if (ev->type != YAML_SCALAR_EVENT) {
			json_decref(v);
			return cal_error_set(CAL_EINVALID, "design %s: line %lu, column %lu: a "
					     "mapping key must be plain text", p->what, line, col);
		}
		json_decref(v);
		f->key = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (!f->key)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		if (json_object_get(f->node, f->key))
			return cal_error_set(CAL_EINVALID, "design %s: line %lu, column %lu: key "
					     "'%s' appears twice in one mapping", p->what, line, col,
					     f->key);
		return 0;
	}
	if (json_object_set_new(f->node, f->key, v)) {
		free(f->key);
		f->key = NULL;
		return cal_error_set(CAL_EINVALID, "design %s: line %lu, column %lu: key is not "
				     "valid UTF-8 text", p->what, line, col);
	}
	free(f->key);
	f->key = NULL;
	return 0;
}

static int dy_push(struct dy_parse *p, json_t *node, const yaml_event_t *ev)
{
	int rc;

	if (!node)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (p->depth == DY_MAX_DEPTH) {
		json_decref(node);
		return cal_error_set(CAL_EINVALID, "design %s: line %lu: nested deeper than %d "
				     "levels", p->what, (unsigned long)ev->start_mark.line + 1,
				     DY_MAX_DEPTH);
	}
	/* The parent holds a reference; the frame borrows it. */
	json_incref(node);
	rc = dy_add(p, node, ev);
	if (rc) {
		json_decref(node);
		return rc;
	}
	p->stack[p->depth].node = node;
	p->stack[p->depth].key = NULL;
	p->depth++;
	return 0;
}

static void dy_pop(struct dy_parse *p)
{
	struct dy_frame *f = &p->stack[--p->depth];

	free(f->key);
	json_decref(f->node);
	f->key = NULL;
	f->node = NULL;
}

int dsg_yaml_parse(json_t **out, const char *text, size_t len, const char *what)
{
	struct dy_parse p = { .what = what ? what : "input" };
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0, docs = 0;
	bool done = false;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && rc == 0) {
		json_t *v = NULL;

		if (!yaml_parser_parse(&parser, &ev)) {
			rc = cal_error_set(CAL_EINVALID, "design %s: invalid YAML at line %lu, column "
					   "%lu: %s%s%s", p.what,
					   (unsigned long)parser.problem_mark.line + 1,
					   (unsigned long)parser.problem_mark.column + 1,
					   parser.problem ? parser.problem : "syntax error",
					   parser.context ? " " : "",
					   parser.context ? parser.context : "");
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				rc = cal_error_set(CAL_EINVALID, "design %s: line %lu: a second YAML "
						   "document ('---'); a design is one document",
						   p.what, (unsigned long)ev.start_mark.line + 1);
			break;
		case YAML_ALIAS_EVENT:
			rc = cal_error_set(CAL_EINVALID, "design %s: line %lu, column %lu: aliases "
					   "(*%s) are not supported", p.what,
					   (unsigned long)ev.start_mark.line + 1,
					   (unsigned long)ev.start_mark.column + 1,
					   (const char *)ev.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
			rc = dy_scalar(&v, &ev, p.what);
			if (rc == 0)
				rc = dy_add(&p, v, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = dy_push(&p, json_array(), &ev);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = dy_push(&p, json_object(), &ev);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (p.depth > 0)
				dy_pop(&p);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	while (p.depth > 0)
		dy_pop(&p);
	yaml_parser_delete(&parser);
	if (rc == 0 && !p.root)
		rc = cal_error_set(CAL_EINVALID, "design %s: empty document", p.what);
	if (rc) {
		json_decref(p.root);
		return rc;
	}
	*out = p.root;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Emitter                                                             */
/* ------------------------------------------------------------------ */

struct dy_out {
	char *s;
	size_t len, cap;
	bool oom;
};

static int dy_write(void *data, unsigned char *buffer, size_t size)
{
	struct dy_out *o = data;

	if (o->len + size + 1 > o->cap) {
		size_t cap = (o->len + size + 1) * 2;
		char *s = realloc(o->s, cap);

		if (!s) {
			o->oom = true;
			return 0;
		}
		o->s = s;
		o->cap = cap;
	}
	memcpy(o->s + o->len, buffer, size);
	o->len += size;
	o->s[o->len] = '\0';
	return 1;
}

/* True when `s` written plain would read back as this same string. */
static bool dy_plain_is_string(const char *s)
{
	static const char *const yaml11[] = { "y", "Y", "yes", "Yes", "YES", "n", "N", "no",
					      "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
					      NULL };
	json_int_t i;
	double d;

	if (dy_is_null(s) || dy_bool(s) >= 0 || dy_int(s, &i) != 0 || dy_float(s, &d))
		return false;
	/* Other YAML readers (1.1) would take these for booleans. */
	for (int k = 0; yaml11[k]; k++)
		if (strcmp(s, yaml11[k]) == 0)
			return false;
	return true;
}

static int dy_emit_scalar(yaml_emitter_t *e, const char *s, bool quote)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
					  !quote, 1,
					  quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
						: YAML_ANY_SCALAR_STYLE))
		return -1;
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

/* Keys a reader looks for first come first (a design's sections, an
 * entry's identity); the others in byte order. */
static int dy_rank(const char *k)
{
	static const char *const first[] = { "calipso_design", "id", "focal_point", "type",
					     "link_type", "name", "source_id", "target_id", "host",
					     "environment", "description", "scope", "taken_from",
					     "objects", "links", "cliques", NULL };

	for (int i = 0; first[i]; i++)
		if (strcmp(first[i], k) == 0)
			return i;
	return 1000;
}

static int dy_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int rx = dy_rank(x), ry = dy_rank(y);

	return rx != ry ? (rx < ry ? -1 : 1) : strcmp(x, y);
}

static int dy_emit_node(yaml_emitter_t *e, const json_t *v)
{
	yaml_event_t ev;
	char num[64];

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), k = 0;
		const char **keys = calloc(n ? n : 1, sizeof(*keys));
		const char *key;
		json_t *x;
		int rc = 0;

		if (!keys)
			return -1;
		json_object_foreach((json_t *)v, key, x)
			keys[k++] = key;
		qsort(keys, n, sizeof(*keys), dy_cmp);
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							 n ? YAML_BLOCK_MAPPING_STYLE
							   : YAML_FLOW_MAPPING_STYLE) ||
		    !yaml_emitter_emit(e, &ev))
			rc = -1;
		for (k = 0; k < n && rc == 0; k++) {
			rc = dy_emit_scalar(e, keys[k], !dy_plain_is_string(keys[k]));
			if (rc == 0)
				rc = dy_emit_node(e, json_object_get(v, keys[k]));
		}
		free(keys);
		if (rc == 0 && (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev)))
			rc = -1;
		return rc;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *x;

		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							  json_array_size(v)
								  ? YAML_BLOCK_SEQUENCE_STYLE
								  : YAML_FLOW_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(e, &ev))
			return -1;
		json_array_foreach(v, i, x)
			if (dy_emit_node(e, x))
				return -1;
		if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev))
			return -1;
		return 0;
	}
	case JSON_STRING: {
		const char *s = json_string_value(v);

		/* NUL inside a jansson string cannot be written as text. */
		if (strlen(s) != json_string_length(v))
			return -1;
		return dy_emit_scalar(e, s, !dy_plain_is_string(s));
	}
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return dy_emit_scalar(e, num, false);
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		if (!strpbrk(num, ".eE"))
			strcat(num, ".0");
		return dy_emit_scalar(e, num, false);
	case JSON_TRUE:
		return dy_emit_scalar(e, "true", false);
	case JSON_FALSE:
		return dy_emit_scalar(e, "false", false);
	case JSON_NULL:
		return dy_emit_scalar(e, "null", false);
	}
	return -1;
}

char *dsg_yaml_emit(const json_t *doc, const char *comment)
{
	struct dy_out o = { 0 };
	yaml_emitter_t e;
	yaml_event_t ev;
	int rc = 0;

	if (comment) {
		for (const char *p = comment; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			dy_write(&o, (unsigned char *)"# ", 2);
			dy_write(&o, (unsigned char *)p, n);
			dy_write(&o, (unsigned char *)"\n", 1);
			p += n + (nl ? 1 : 0);
		}
	}
	if (!yaml_emitter_initialize(&e)) {
		free(o.s);
		cal_error_set(CAL_ENOMEM, "out of memory");
		return NULL;
	}
	yaml_emitter_set_output(&e, dy_write, &o);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_emitter_set_indent(&e, 2);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(&e, &ev) ||
	    !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(&e, &ev))
		rc = -1;
	if (rc == 0)
		rc = dy_emit_node(&e, doc);
	if (rc == 0 && (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&e, &ev) ||
			!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&e, &ev)))
		rc = -1;
	if (rc == 0 && !yaml_emitter_flush(&e))
		rc = -1;
	if (rc || o.oom) {
		cal_error_set(o.oom ? CAL_ENOMEM : CAL_EINVALID, "cannot write YAML: %s",
			      e.problem ? e.problem : (o.oom ? "out of memory" : "a value is not text"));
		yaml_emitter_delete(&e);
		free(o.s);
		return NULL;
	}
	yaml_emitter_delete(&e);
	return o.s;
}
