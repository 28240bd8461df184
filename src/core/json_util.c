/* json_util.c - small helpers over jansson shared by every subsystem:
 * tolerant accessors, the canonical hash used to detect changed revisions,
 * glob matching and string escaping.
 */
#include "core.h"

#include <fnmatch.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cal_json_str(const json_t *obj, const char *key)
{
	const char *s = cal_json_str_or_null(obj, key);

	return s ? s : "";
}

const char *cal_json_str_or_null(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_int_t cal_json_int(const json_t *obj, const char *key, json_int_t dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int cal_json_canonical_hash(char out[CAL_HASH_HEXSZ], const json_t *doc)
{
	unsigned char h[16];
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (!text)
		return cal_error_set(CAL_ENOMEM, "cannot serialise document");
	crypto_generichash(h, sizeof(h), (const unsigned char *)text, strlen(text), NULL, 0);
	free(text);
	sodium_bin2hex(out, CAL_HASH_HEXSZ, h, sizeof(h));
	return 0;
}

bool cal_glob_match(const char *pattern, const char *text)
{
	if (!pattern || !*pattern)
		return true;
	return fnmatch(pattern, text ? text : "", 0) == 0;
}

char *cal_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

char *cal_str_escape(const char *s)
{
	size_t n = 0;
	char *out, *o;

	if (!s)
		return strdup("");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p < 0x20 || *p >= 0x7f || *p == '\\') ? 4 : 1;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	return out;
}
