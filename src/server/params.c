/* params.c - the REST API's input checks: query strings (split,
 * percent-decoded, checked against each route's declared parameters) and
 * JSON bodies (checked against declared fields).
 *
 * Pure over bounded input (fuzzed by tests/fuzz/fuzz_params.c): at most
 * SRV_MAX_QUERY bytes and SRV_MAX_ARGS pairs; a bad %-escape, a NUL byte or
 * an empty key is refused, never guessed.  Messages name the key and quote
 * the value escaped (cal_str_escape), since they go back to the client and
 * into logs.
 */
#include "server/server_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pr_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int pr_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return CAL_EINVALID;
}

static int pr_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes [s, s+n) into out (which has room for n + 1); -1 on a bad
 * escape or a NUL. */
static long pr_decode(char *out, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = pr_hex((unsigned char)s[i + 1]);
			lo = pr_hex((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

int srv_args_parse(struct srv_args *out, const char *query, size_t len, char *err,
		   size_t errlen)
{
	size_t pos = 0, o = 0;

	memset(out, 0, sizeof(*out));
	if (len > SRV_MAX_QUERY)
		return pr_err(err, errlen, "the query string is longer than %d bytes",
			      SRV_MAX_QUERY);
	if (len == 0)
		return 0;
	/* Decoded text is never longer than the input: one buffer holds
	 * every key and value with their NULs. */
	out->buf = malloc(len * 2 + 2);
	if (!out->buf)
		return pr_err(err, errlen, "out of memory");
	while (pos <= len) {
		const char *seg = query + pos, *amp = memchr(seg, '&', len - pos), *eq;
		size_t seglen = amp ? (size_t)(amp - seg) : len - pos;
		size_t klen, vlen;
		long kn, vn;

		pos += seglen + 1;
		if (seglen == 0)
			continue; /* "a=1&&b=2", a trailing '&' */
		if (out->n == SRV_MAX_ARGS) {
			srv_args_free(out);
			return pr_err(err, errlen, "more than %d query parameters", SRV_MAX_ARGS);
		}
		eq = memchr(seg, '=', seglen);
		klen = eq ? (size_t)(eq - seg) : seglen;
		vlen = eq ? seglen - klen - 1 : 0;
		kn = pr_decode(out->buf + o, seg, klen);
		if (kn <= 0) {
			srv_args_free(out);
			return pr_err(err, errlen, kn == 0 ? "a query parameter has an empty name"
							   : "malformed query string: bad %%-escape "
							     "or NUL byte in a parameter name");
		}
		out->kv[out->n].key = out->buf + o;
		o += (size_t)kn + 1;
		vn = pr_decode(out->buf + o, eq ? eq + 1 : seg + seglen, vlen);
		if (vn < 0) {
			char *k = cal_str_escape(out->kv[out->n].key);

			pr_err(err, errlen, "malformed query string: bad %%-escape or NUL byte in "
			       "the value of '%s'", k ? k : "?");
			free(k);
			srv_args_free(out);
			return CAL_EINVALID;
		}
		out->kv[out->n].val = out->buf + o;
		o += (size_t)vn + 1;
		out->n++;
	}
	return 0;
}

void srv_args_free(struct srv_args *a)
{
	if (!a)
		return;
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

static bool pr_parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool pr_parse_bool(const char *s, bool *out)
{
	if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0) {
		*out = true;
		return true;
	}
	if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0) {
		*out = false;
		return true;
	}
	return false;
}

static bool pr_parse_time(const char *s, int64_t *out)
{
	char buf[64];
	size_t n = strlen(s);
	const char *t;

	if (cal_time_parse(out, s) == 0)
		return true;
	/* A '+' of an offset decodes to ' ' when the client did not escape
	 * it ("2026-11-22T08:00:00 02:00"): put it back after the time. */
	t = strchr(s, 'T');
	if (!t || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n + 1);
	for (char *p = buf + (t - s); *p; p++)
		if (*p == ' ')
			*p = '+';
	return cal_time_parse(out, buf) == 0;
}

static bool pr_in(const char *const *choices, const char *s)
{
	for (; choices && *choices; choices++)
		if (strcmp(*choices, s) == 0)
			return true;
	return false;
}

/* "a, b, c" of a NULL-terminated list into buf. */
static const char *pr_list(char *buf, size_t n, const char *const *items, size_t max)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; items && items[i] && o < n; i++) {
		if (i == max) {
			snprintf(buf + o, n - o, ", ...");
			break;
		}
		o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "", items[i]);
	}
	return buf;
}

static const char *pr_names(char *buf, size_t n, const struct srv_param *spec)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; spec && spec[i].name && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s%s", i ? ", " : "", spec[i].name,
				      spec[i].flags & SRV_P_PREFIX ? "NAME" : "");
	return buf[0] ? buf : "none";
}

static int pr_find(const struct srv_param *spec, const char *key)
{
	for (int i = 0; spec && spec[i].name; i++) {
		if (spec[i].flags & SRV_P_PREFIX) {
			size_t n = strlen(spec[i].name);

			if (strncmp(key, spec[i].name, n) == 0 && key[n])
				return i;
		} else if (strcmp(spec[i].name, key) == 0) {
			return i;
		}
	}
	return -1;
}

/* Parses val as spec says into v; false when it is not acceptable. */
static bool pr_value_ok(struct srv_pval *v, const struct srv_param *spec, const char *val)
{
	switch (spec->type) {
	case SRV_P_STR:
		return *val != '\0';
	case SRV_P_INT:
		return pr_parse_int(val, &v->i) && v->i >= spec->min && v->i <= spec->max;
	case SRV_P_BOOL:
		return pr_parse_bool(val, &v->b);
	case SRV_P_TIME:
		return pr_parse_time(val, &v->i);
	case SRV_P_ENUM:
		return pr_in(spec->choices, val);
	}
	return false;
}

int srv_params_check(struct srv_pval *vals, const struct srv_param *spec,
		     const struct srv_args *args, char *err, size_t errlen)
{
	char names[512], list[512];
	size_t nspec = 0;

	while (spec && spec[nspec].name)
		nspec++;
	memset(vals, 0, sizeof(*vals) * (nspec ? nspec : 1));
	for (size_t a = 0; a < args->n; a++) {
		const char *key = args->kv[a].key, *val = args->kv[a].val;
		int i = pr_find(spec, key);
		char *ek, *ev;
		int rc = 0;

		if (i < 0) {
			ek = cal_str_escape(key);
			pr_err(err, errlen, "unknown query parameter '%s' (expected: %s)",
			       ek ? ek : "?", pr_names(names, sizeof(names), spec));
			free(ek);
			return CAL_EINVALID;
		}
		if (vals[i].set && !(spec[i].flags & SRV_P_PREFIX)) {
			ek = cal_str_escape(key);
			pr_err(err, errlen, "query parameter '%s' is given more than once",
			       ek ? ek : "?");
			free(ek);
			return CAL_EINVALID;
		}
		vals[i].set = true;
		vals[i].s = val;
		if (pr_value_ok(&vals[i], &spec[i], val))
			continue;
		/* Only a refusal needs the escaped texts. */
		ek = cal_str_escape(key);
		ev = cal_str_escape(val);
		switch (spec[i].type) {
		case SRV_P_STR:
			rc = pr_err(err, errlen, "query parameter '%s' is empty", ek);
			break;
		case SRV_P_INT:
			if (!pr_parse_int(val, &vals[i].i))
				rc = pr_err(err, errlen, "query parameter '%s' must be an integer, "
					    "not '%s'", ek, ev);
			else
				rc = pr_err(err, errlen, "query parameter '%s' must be between %lld "
					    "and %lld, not %lld", ek, (long long)spec[i].min,
					    (long long)spec[i].max, (long long)vals[i].i);
			break;
		case SRV_P_BOOL:
			rc = pr_err(err, errlen, "query parameter '%s' must be true or false, not "
				    "'%s'", ek, ev);
			break;
		case SRV_P_TIME:
			rc = pr_err(err, errlen, "query parameter '%s' must be a time "
				    "(2026-11-22T08:00:00Z, 2026-11-22, -7d, @epoch), not '%s'", ek, ev);
			break;
		case SRV_P_ENUM:
			rc = pr_err(err, errlen, "query parameter '%s' must be one of %s; not '%s'", ek,
				    pr_list(list, sizeof(list), spec[i].choices, 24), ev);
			break;
		}
		free(ek);
		free(ev);
		return rc ? rc : CAL_EINVALID;
	}
	for (size_t i = 0; i < nspec; i++)
		if ((spec[i].flags & SRV_P_REQUIRED) && !vals[i].set)
			return pr_err(err, errlen, "query parameter '%s' is required",
				      spec[i].name);
	return 0;
}

static const char *pr_type_name(enum srv_ftype t)
{
	switch (t) {
	case SRV_F_STR: return "a string";
	case SRV_F_INT: return "an integer";
	case SRV_F_BOOL: return "true or false";
	case SRV_F_ENUM: return "a string";
	case SRV_F_OBJECT: return "an object";
	case SRV_F_STRARRAY: return "an array of strings";
	case SRV_F_ANY: return "a value";
	}
	return "a value";
}

int srv_body_check(const json_t *body, const struct srv_field *spec, const char *what,
		   char *err, size_t errlen)
{
	char list[512];
	const char *key;
	json_t *v;

	if (!json_is_object(body))
		return pr_err(err, errlen, "the %s must be a JSON object", what);
	if (spec && spec[0].name && strcmp(spec[0].name, "*") == 0)
		return 0; /* free-form: the handler checks it */
	json_object_foreach((json_t *)body, key, v) {
		const struct srv_field *f = NULL;
		char *ek = cal_str_escape(key);
		bool ok = true;
		int rc = 0;

		for (size_t i = 0; spec && spec[i].name; i++)
			if (strcmp(spec[i].name, key) == 0)
				f = &spec[i];
		if (!f) {
			size_t o = 0;

			list[0] = '\0';
			for (size_t i = 0; spec && spec[i].name && o < sizeof(list); i++)
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
						      i ? ", " : "", spec[i].name);
			rc = pr_err(err, errlen, "unknown field '%s' in the %s (expected: %s)",
				    ek ? ek : "?", what, list[0] ? list : "none");
			free(ek);
			return rc;
		}
		switch (f->type) {
		case SRV_F_STR: ok = json_is_string(v) && json_string_length(v) > 0; break;
		case SRV_F_INT: ok = json_is_integer(v); break;
		case SRV_F_BOOL: ok = json_is_boolean(v); break;
		case SRV_F_OBJECT: ok = json_is_object(v); break;
		case SRV_F_ANY: ok = true; break;
		case SRV_F_ENUM:
			ok = json_is_string(v);
			if (ok && !pr_in(f->choices, json_string_value(v))) {
				char *ev = cal_str_escape(json_string_value(v));

				rc = pr_err(err, errlen, "field '%s' of the %s must be one of %s; "
					    "not '%s'", ek, what,
					    pr_list(list, sizeof(list), f->choices, 24), ev);
				free(ev);
			}
			break;
		case SRV_F_STRARRAY: {
			size_t i;
			json_t *e;

			ok = json_is_array(v);
			json_array_foreach(v, i, e) {
				if (!json_is_string(e)) {
					ok = false;
					break;
				}
				if (f->choices && !pr_in(f->choices, json_string_value(e))) {
					char *ev = cal_str_escape(json_string_value(e));

					rc = pr_err(err, errlen, "field '%s' of the %s: '%s' is not "
						    "one of %s", ek, what, ev,
						    pr_list(list, sizeof(list), f->choices, 24));
					free(ev);
					break;
				}
			}
			break;
		}
		}
		if (!ok && !rc)
			rc = pr_err(err, errlen, "field '%s' of the %s must be %s%s", ek, what,
				    pr_type_name(f->type),
				    f->type == SRV_F_STR ? " (not empty)" : "");
		free(ek);
		if (rc)
			return rc;
	}
	for (size_t i = 0; spec && spec[i].name; i++)
		if (spec[i].required && !json_object_get(body, spec[i].name))
			return pr_err(err, errlen, "field '%s' is required in the %s", spec[i].name,
				      what);
	return 0;
}
