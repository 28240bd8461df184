/* ovsdb_parse.c - the pure half of the OVSDB client: framing of the
 * JSON-RPC byte stream, classification of messages, and decoding of
 * OVSDB's value encoding (RFC 7047 5.1) into plain JSON.
 *
 * Invariants: no I/O, no globals; every function works on the bytes or
 * the JSON it is given.  The framer keeps at most max_msg bytes of one
 * message and looks at each byte once (its state survives between feeds).
 * Trust: none.  Everything here reads what a server (or a fuzzer) sent:
 * lengths, nesting and types are checked, malformed input is CAL_EPROTO.
 * Threading: a parser belongs to one session; the rest is reentrant.
 */
#include "discover/ovsdb.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Framing                                                             */
/* ------------------------------------------------------------------ */

void ovsdb_parser_init(struct ovsdb_parser *p, size_t max_msg)
{
	memset(p, 0, sizeof(*p));
	p->max_msg = max_msg ? max_msg : OVSDB_MAX_MSG_DEFAULT;
}

void ovsdb_parser_reset(struct ovsdb_parser *p)
{
	p->len = 0;
	p->depth = 0;
	p->started = false;
	p->in_string = false;
	p->escape = false;
}

void ovsdb_parser_destroy(struct ovsdb_parser *p)
{
	if (!p)
		return;
	free(p->buf);
	p->buf = NULL;
	p->cap = 0;
	ovsdb_parser_reset(p);
}

bool ovsdb_parser_is_idle(const struct ovsdb_parser *p)
{
	return !p->started;
}

int ovsdb_parser_finish(const struct ovsdb_parser *p)
{
	if (p->started)
		return cal_error_set(CAL_EPROTO, "input ends inside a message (%zu bytes "
				     "received)", p->len);
	return 0;
}

static int ovsdb_parser_append(struct ovsdb_parser *p, const char *data, size_t n)
{
	if (n > p->max_msg - p->len)
		return cal_error_set(CAL_EPROTO, "message longer than %zu bytes",
				     p->max_msg);
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		char *nb;

		while (cap < p->len + n)
			cap = cap > p->max_msg / 2 ? p->max_msg : cap * 2;
		nb = realloc(p->buf, cap);
		if (!nb)
			return cal_error_set(CAL_ENOMEM, "cannot grow the OVSDB receive buffer");
		p->buf = nb;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	return 0;
}

static bool ovsdb_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

long ovsdb_parser_feed(struct ovsdb_parser *p, json_t **out, const char *data, size_t len)
{
	size_t i = 0;
	bool done = false;
	int rc;

	*out = NULL;
	if (len > (size_t)LONG_MAX)
		len = (size_t)LONG_MAX;
	if (!p->started) {
		/* Whitespace between messages carries nothing. */
		while (i < len && ovsdb_is_space(data[i]))
			i++;
		if (i == len)
			return (long)i;
		if (data[i] != '{')
			return cal_error_set(CAL_EPROTO,
					     "byte 0x%02x where a JSON-RPC message (an object) "
					     "should start", (unsigned char)data[i]);
		p->started = true;
		data += i;
		len -= i;
	}

	size_t j = 0;

	for (; j < len && !done; j++) {
		char c = data[j];

		if (p->in_string) {
			if (p->escape)
				p->escape = false;
			else if (c == '\\')
				p->escape = true;
			else if (c == '"')
				p->in_string = false;
			continue;
		}
		switch (c) {
		case '"':
			p->in_string = true;
			break;
		case '{':
		case '[':
			if (++p->depth > OVSDB_MAX_DEPTH)
				return cal_error_set(CAL_EPROTO,
						     "message nested deeper than %d levels",
						     OVSDB_MAX_DEPTH);
			break;
		case '}':
		case ']':
			/* A stray closer drops below zero only before the
			 * message started, which cannot happen: the first byte
			 * was '{'.  Mismatched kinds are left to the parser. */
			if (--p->depth == 0)
				done = true;
			break;
		default:
			break;
		}
	}
	rc = ovsdb_parser_append(p, data, j);
	if (rc < 0)
		return rc;
	if (done) {
		json_error_t jerr;
		json_t *msg = json_loadb(p->buf, p->len, 0, &jerr);

		ovsdb_parser_reset(p);
		if (!msg)
			return cal_error_set(CAL_EPROTO, "malformed JSON: %s", jerr.text);
		*out = msg;
	}
	return (long)(i + j);
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

int ovsdb_msg_classify(struct ovsdb_msg *out, const json_t *msg)
{
	json_t *method, *id;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(msg))
		return cal_error_set(CAL_EPROTO, "message is not a JSON object");
	method = json_object_get(msg, "method");
	id = json_object_get(msg, "id");
	out->id = id;
	if (method) {
		out->method = json_string_value(method);
		out->params = json_object_get(msg, "params");
		if (!out->method)
			return cal_error_set(CAL_EPROTO, "request has a non-string method");
		if (!json_is_array(out->params))
			return cal_error_set(CAL_EPROTO, "request '%s' has no params array",
					     out->method);
		out->type = (!id || json_is_null(id)) ? OVSDB_MSG_NOTIFY : OVSDB_MSG_REQUEST;
		return 0;
	}
	if (!id)
		return cal_error_set(CAL_EPROTO, "message has neither method nor id");
	out->result = json_object_get(msg, "result");
	out->error = json_object_get(msg, "error");
	if (out->error && !json_is_null(out->error)) {
		out->type = OVSDB_MSG_ERROR;
		return 0;
	}
	out->error = NULL;
	if (!out->result)
		return cal_error_set(CAL_EPROTO, "reply has neither result nor error");
	out->type = OVSDB_MSG_REPLY;
	return 0;
}

void ovsdb_error_text(char *buf, size_t size, const json_t *error)
{
	const char *e = json_string_value(json_object_get(error, "error"));
	const json_t *details = json_object_get(error, "details");
	char *dump = NULL;

	if (!size)
		return;
	if (json_is_string(error)) {
		snprintf(buf, size, "%s", json_string_value(error));
	} else if (e && json_is_string(details)) {
		snprintf(buf, size, "%s: %s", e, json_string_value(details));
	} else if (e) {
		snprintf(buf, size, "%s", e);
	} else {
		dump = json_dumps(error, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(buf, size, "%s", dump ? dump : "unknown error");
	}
	free(dump);
}

int ovsdb_transact_check(const json_t *result, size_t n_ops)
{
	char text[512];
	size_t i, n;

	if (!json_is_array(result))
		return cal_error_set(CAL_EPROTO, "transact result is not an array");
	n = json_array_size(result);
	/* A result longer than the operations carries a commit error. */
	for (i = 0; i < n; i++) {
		const json_t *r = json_array_get(result, i);
		const json_t *err = json_object_get(r, "error");

		if (err && !json_is_null(err)) {
			ovsdb_error_text(text, sizeof(text), r);
			if (i < n_ops)
				return cal_error_set(CAL_EPROTO, "operation %zu failed: %s",
						     i + 1, text);
			return cal_error_set(CAL_EPROTO, "transaction failed: %s", text);
		}
		if (i < n_ops && !json_is_object(r))
			return cal_error_set(CAL_EPROTO, "operation %zu has no result object",
					     i + 1);
	}
	if (n < n_ops)
		return cal_error_set(CAL_EPROTO, "server answered %zu of %zu operations", n, n_ops);
	return 0;
}

int ovsdb_select_rows(json_t **out, const json_t *result, size_t index)
{
	json_t *rows = json_object_get(json_array_get(result, index), "rows");

	*out = NULL;
	if (!json_is_array(rows))
		return cal_error_set(CAL_EPROTO, "select %zu returned no rows array",
				     index + 1);
	*out = rows;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

/* An atom: string, integer, real, boolean, ["uuid", s], ["named-uuid", s].
 * Returns a new reference or NULL (not an atom). */
static json_t *ovsdb_atom_to_json(const json_t *a)
{
	switch (json_typeof(a)) {
	case JSON_STRING:
	case JSON_INTEGER:
	case JSON_REAL:
	case JSON_TRUE:
	case JSON_FALSE:
		return json_deep_copy(a);
	case JSON_ARRAY: {
		const char *tag = json_string_value(json_array_get(a, 0));
		const json_t *v = json_array_get(a, 1);

		if (json_array_size(a) == 2 && tag && json_is_string(v) &&
		    (!strcmp(tag, "uuid") || !strcmp(tag, "named-uuid")))
			return json_string(json_string_value(v));
		return NULL;
	}
	default:
		return NULL;
	}
}

/* Map keys are strings in the report whatever their OVSDB type. */
static char *ovsdb_atom_key(const json_t *atom)
{
	switch (json_typeof(atom)) {
	case JSON_STRING:
		return strdup(json_string_value(atom));
	case JSON_INTEGER:
		return cal_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(atom));
	case JSON_REAL:
		return cal_strdup_printf("%.17g", json_real_value(atom));
	case JSON_TRUE:
		return strdup("true");
	case JSON_FALSE:
		return strdup("false");
	default:
		return NULL;
	}
}

/* A datum tagged "set" or "map": its inner array, borrowed, else NULL. */
static const json_t *ovsdb_tagged(const json_t *datum, const char *tag)
{
	const char *t = json_string_value(json_array_get(datum, 0));
	const json_t *inner = json_array_get(datum, 1);

	if (json_is_array(datum) && json_array_size(datum) == 2 && t && !strcmp(t, tag) &&
	    json_is_array(inner))
		return inner;
	return NULL;
}

static int ovsdb_decode_map(json_t **out, const json_t *datum)
{
	const json_t *pairs = ovsdb_tagged(datum, "map");
	json_t *obj;
	size_t i;

	if (!pairs)
		return cal_error_set(CAL_EPROTO, "value is not a map");
	obj = json_object();
	if (!obj)
		return cal_error_set(CAL_ENOMEM, "cannot allocate a map");
	for (i = 0; i < json_array_size(pairs); i++) {
		const json_t *pair = json_array_get(pairs, i);
		json_t *katom, *v;
		char *key;

		if (!json_is_array(pair) || json_array_size(pair) != 2)
			goto bad;
		katom = ovsdb_atom_to_json(json_array_get(pair, 0));
		v = ovsdb_atom_to_json(json_array_get(pair, 1));
		key = katom ? ovsdb_atom_key(katom) : NULL;
		json_decref(katom);
		if (!key || !v) {
			free(key);
			json_decref(v);
			goto bad;
		}
		/* json_object_set_new rejects keys that are not UTF-8. */
		if (json_object_set_new(obj, key, v) < 0) {
			free(key);
			goto bad;
		}
		free(key);
	}
	*out = obj;
	return 0;
bad:
	json_decref(obj);
	return cal_error_set(CAL_EPROTO, "map has a malformed pair");
}

static int ovsdb_decode_set(json_t **out, const json_t *datum)
{
	const json_t *elems = ovsdb_tagged(datum, "set");
	json_t *arr = json_array();
	size_t i;

	if (!arr)
		return cal_error_set(CAL_ENOMEM, "cannot allocate a set");
	if (!elems) {
		/* A set of one element may be sent as the bare atom. */
		json_t *a = ovsdb_atom_to_json(datum);

		if (!a) {
			json_decref(arr);
			return cal_error_set(CAL_EPROTO, "value is not a set or an atom");
		}
		json_array_append_new(arr, a);
		*out = arr;
		return 0;
	}
	for (i = 0; i < json_array_size(elems); i++) {
		json_t *a = ovsdb_atom_to_json(json_array_get(elems, i));

		if (!a || json_array_append_new(arr, a) < 0) {
			json_decref(arr);
			return cal_error_set(CAL_EPROTO, "set has a malformed element");
		}
	}
	*out = arr;
	return 0;
}

int ovsdb_datum_to_json(json_t **out, const json_t *datum, enum ovsdb_col_kind kind)
{
	json_t *arr = NULL;
	int rc;

	*out = NULL;
	if (!datum)
		return cal_error_set(CAL_EPROTO, "row lacks a column");
	switch (kind) {
	case OVSDB_COL_MAP:
		return ovsdb_decode_map(out, datum);
	case OVSDB_COL_SET:
		return ovsdb_decode_set(out, datum);
	case OVSDB_COL_SCALAR:
	case OVSDB_COL_OPTIONAL:
		rc = ovsdb_decode_set(&arr, datum);
		if (rc < 0)
			return rc;
		if (json_array_size(arr) == 1) {
			*out = json_incref(json_array_get(arr, 0));
		} else if (json_array_size(arr) == 0 && kind == OVSDB_COL_OPTIONAL) {
			*out = json_null();
		} else {
			json_decref(arr);
			return cal_error_set(CAL_EPROTO, "value has %s elements",
					     kind == OVSDB_COL_SCALAR ? "not exactly one"
								      : "more than one");
		}
		json_decref(arr);
		return 0;
	}
	return cal_error_set(CAL_EPROTO, "unknown column kind %d", (int)kind);
}
