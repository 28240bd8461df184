/* diff_fields.c - field-by-field comparison of two documents, exact or
 * against a design entry's patterns, ignoring volatile fields.
 *
 * The volatile fields are core's (cal_common_attrs() and cal_type_attrs()
 * marked is_volatile): the store never keeps them in revisions, and a
 * design file that lists them is not held to them either.  Paths of
 * nested differences join keys with '.' ("ovs.bridge", "ports.tap1.tag").
 *
 * Pure functions over jansson values; no I/O, no globals but the
 * read-only attribute tables.
 */
#include "analyze/diff_int.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

bool df_is_volatile(const char *type, const char *field)
{
	const struct cal_attr_def *lists[2] = {
		cal_common_attrs(),
		type ? cal_type_attrs(cal_type_from_name(type)) : NULL,
	};

	for (int l = 0; l < 2; l++)
		for (const struct cal_attr_def *d = lists[l]; d && d->name; d++)
			if (d->is_volatile && strcmp(d->name, field) == 0)
				return true;
	return false;
}

bool df_is_glob(const char *s)
{
	return s && strpbrk(s, "*?[\\") != NULL;
}

/* A pattern string against a value: "*" anything, else fnmatch against
 * the string or the JSON text of a non-string. */
static bool df_match_string(const char *pattern, const json_t *v)
{
	char *text;
	bool ok;

	if (strcmp(pattern, "*") == 0)
		return true;
	if (json_is_string(v))
		return fnmatch(pattern, json_string_value(v), 0) == 0;
	if (!df_is_glob(pattern))
		return false; /* "1450" does not equal the number 1450 */
	text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	ok = text && fnmatch(pattern, text, 0) == 0;
	free(text);
	return ok;
}

bool df_pattern_match(const json_t *pattern, const json_t *value)
{
	if (!value)
		return false;
	if (json_is_string(pattern))
		return df_match_string(json_string_value(pattern), value);
	if (json_is_object(pattern)) {
		const json_t *rest = json_object_get(pattern, "*");
		const char *k;
		json_t *pv;

		if (!json_is_object(value))
			return false;
		json_object_foreach((json_t *)pattern, k, pv) {
			if (strcmp(k, "*") == 0)
				continue;
			if (!df_pattern_match(pv, json_object_get(value, k)))
				return false;
		}
		json_object_foreach((json_t *)value, k, pv) {
			if (json_object_get(pattern, k))
				continue;
			if (!rest || !df_pattern_match(rest, pv))
				return false;
		}
		return true;
	}
	if (json_is_array(pattern)) {
		if (!json_is_array(value) || json_array_size(value) != json_array_size(pattern))
			return false;
		for (size_t i = 0; i < json_array_size(pattern); i++)
			if (!df_pattern_match(json_array_get(pattern, i), json_array_get(value, i)))
				return false;
		return true;
	}
	return json_equal((json_t *)pattern, (json_t *)value);
}

static bool df_in_array(const json_t *arr, const json_t *v)
{
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (json_equal(json_array_get(arr, i), (json_t *)v))
			return true;
	return false;
}

/* One difference at `path`; arrays on both sides also get the elements
 * only one side has. */
static int df_emit(json_t *fields, const char *path, const json_t *a, const json_t *b)
{
	json_t *f = json_pack("{s:s, s:O, s:O}", "field", path, "before", a ? a : json_null(),
			      "after", b ? b : json_null());

	if (!f)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (json_is_array(a) && json_is_array(b)) {
		json_t *added = json_array(), *removed = json_array();
		size_t i;
		json_t *v;

		json_array_foreach(b, i, v)
			if (!df_in_array(a, v))
				json_array_append(added, v);
		json_array_foreach(a, i, v)
			if (!df_in_array(b, v))
				json_array_append(removed, v);
		json_object_set_new(f, "added", added);
		json_object_set_new(f, "removed", removed);
	}
	if (json_array_append_new(fields, f))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

static int df_walk(json_t *fields, const char *type, const char *path, const json_t *a,
		   const json_t *b, enum df_mode mode);

/* Arrays of objects that name their elements ("interfaces" by "name",
 * "peers" by "remote_ip"): the key both arrays' elements all carry as
 * distinct plain text, or NULL. */
static const char *df_array_key(const json_t *a, const json_t *b)
{
	static const char *const keys[] = { "id", "name", "remote_ip", "ip_address",
					    "mac_address", "port", "interface", NULL };

	if (!json_is_array(a) || !json_is_array(b) || !json_array_size(a) ||
	    !json_array_size(b))
		return NULL;
	for (int k = 0; keys[k]; k++) {
		bool ok = true;

		for (int side = 0; side < 2 && ok; side++) {
			const json_t *arr = side ? b : a;
			size_t i, j;
			json_t *e, *f;

			json_array_foreach(arr, i, e) {
				const json_t *v = json_object_get(e, keys[k]);

				ok = json_is_string(v) && !df_is_glob(json_string_value(v));
				for (j = 0; ok && j < i; j++) {
					f = json_array_get(arr, j);
					ok = !json_equal(v, json_object_get(f, keys[k]));
				}
				if (!ok)
					break;
			}
		}
		if (ok)
			return keys[k];
	}
	return NULL;
}

static const json_t *df_array_find(const json_t *arr, const char *key, const char *value)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
		if (strcmp(cal_json_str(e, key), value) == 0)
			return e;
	return NULL;
}

/* Keyed arrays: elements matched by `key`, compared field by field under
 * "path[value]"; order does not matter. */
static int df_walk_keyed(json_t *fields, const char *type, const char *path, const json_t *a,
			 const json_t *b, const char *key, enum df_mode mode)
{
	for (int side = 0; side < 2; side++) {
		const json_t *arr = side ? b : a, *other = side ? a : b;
		size_t i;
		json_t *e;

		json_array_foreach(arr, i, e) {
			const char *val = cal_json_str(e, key);
			const json_t *match = df_array_find(other, key, val);
			char *sub;
			int rc;

			if (side == 1 && match)
				continue; /* compared from a's side */
			sub = cal_strdup_printf("%s[%s]", path, val);
			if (!sub)
				return cal_error_set(CAL_ENOMEM, "out of memory");
			if (!match)
				rc = side ? df_emit(fields, sub, NULL, e) : df_emit(fields, sub, e, NULL);
			else
				rc = df_walk(fields, type, sub, e, match, mode);
			free(sub);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int df_walk(json_t *fields, const char *type, const char *path, const json_t *a,
		   const json_t *b, enum df_mode mode)
{
	bool top = *path == '\0';
	const json_t *rest;
	const char *k;
	json_t *v;
	int rc = 0;

	if (!top && (k = df_array_key(a, b)) != NULL) {
		bool same = mode == DF_PATTERN ? df_pattern_match(a, b)
					       : json_equal((json_t *)a, (json_t *)b);

		return same ? 0 : df_walk_keyed(fields, type, path, a, b, k, mode);
	}
	if (!json_is_object(a) || !json_is_object(b)) {
		bool same = mode == DF_PATTERN ? df_pattern_match(a, b)
					       : json_equal((json_t *)a, (json_t *)b);

		return same ? 0 : df_emit(fields, path, a, b);
	}
	rest = mode == DF_PATTERN ? json_object_get(a, "*") : NULL;
	json_object_foreach((json_t *)a, k, v) {
		char *sub;

		if ((top && (*k == '$' || df_is_volatile(type, k))) ||
		    (mode == DF_PATTERN && strcmp(k, "*") == 0))
			continue;
		sub = top ? strdup(k) : cal_strdup_printf("%s.%s", path, k);
		if (!sub)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		if (!json_object_get(b, k))
			rc = df_emit(fields, sub, v, NULL);
		else
			rc = df_walk(fields, type, sub, v, json_object_get(b, k), mode);
		free(sub);
		if (rc)
			return rc;
	}
	json_object_foreach((json_t *)b, k, v) {
		char *sub;

		if (json_object_get(a, k) || (top && (*k == '$' || df_is_volatile(type, k))))
			continue;
		if (rest && df_pattern_match(rest, v))
			continue;
		sub = top ? strdup(k) : cal_strdup_printf("%s.%s", path, k);
		if (!sub)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		rc = df_emit(fields, sub, NULL, v);
		free(sub);
		if (rc)
			return rc;
	}
	return 0;
}

int df_fields(json_t *fields, const char *type, const json_t *a, const json_t *b,
	      enum df_mode mode)
{
	return df_walk(fields, type, "", a, b, mode);
}
