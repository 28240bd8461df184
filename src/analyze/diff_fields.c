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

/* The elements of `arr` (canonical text -> element): membership tests in
 * constant time, for arrays of thousands of elements. */
static json_t *df_array_set(const json_t *arr)
{
	json_t *set = json_object(), *e;
	size_t i;

	json_array_foreach(arr, i, e) {
		char *k = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

		if (!set || !k || json_object_set(set, k, e)) {
			free(k);
			json_decref(set);
			return NULL;
		}
		free(k);
	}
	return set;
}

/* Elements of `arr` not in `set`, into `out`. */
static int df_array_minus(json_t *out, const json_t *arr, const json_t *set)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e) {
		char *k = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		int rc = 0;

		if (!k)
			return CAL_ENOMEM;
		if (!json_object_get(set, k))
			rc = json_array_append(out, e);
		free(k);
		if (rc)
			return CAL_ENOMEM;
	}
	return 0;
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
		json_t *sa = df_array_set(a), *sb = df_array_set(b);
		int rc = added && removed && sa && sb ? 0 : CAL_ENOMEM;

		if (rc == 0)
			rc = df_array_minus(added, b, sa);
		if (rc == 0)
			rc = df_array_minus(removed, a, sb);
		json_decref(sa);
		json_decref(sb);
		if (rc == 0) {
			json_object_set_new(f, "added", added);
			json_object_set_new(f, "removed", removed);
		} else {
			json_decref(added);
			json_decref(removed);
			json_decref(f);
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
	}
	if (json_array_append_new(fields, f))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

static int df_walk(json_t *fields, const char *type, const char *path, const json_t *a,
		   const json_t *b, enum df_mode mode);

/* Elements of an array of objects by their `key` (text, no pattern
 * characters): a new map key -> element, or NULL when an element lacks the
 * key or two share it.  Hashing keeps arrays of thousands of elements
 * (an OVS bridge's ports, a tunnel endpoint's peers) linear. */
static json_t *df_array_index(const json_t *arr, const char *key)
{
	json_t *map = json_object(), *e;
	size_t i;

	if (!map)
		return NULL;
	json_array_foreach(arr, i, e) {
		const json_t *v = json_object_get(e, key);

		if (!json_is_string(v) || df_is_glob(json_string_value(v)) ||
		    json_object_get(map, json_string_value(v)) ||
		    json_object_set(map, json_string_value(v), e)) {
			json_decref(map);
			return NULL;
		}
	}
	return map;
}

/* Arrays of objects that name their elements ("interfaces" by "name",
 * "peers" by "remote_ip"): the key both arrays' elements all carry as
 * distinct plain text, with both indexes, or NULL. */
static const char *df_array_key(const json_t *a, const json_t *b, json_t **ia, json_t **ib)
{
	static const char *const keys[] = { "id", "name", "remote_ip", "ip_address",
					    "mac_address", "port", "interface", NULL };

	*ia = *ib = NULL;
	if (!json_is_array(a) || !json_is_array(b) || !json_array_size(a) ||
	    !json_array_size(b) || !json_is_object(json_array_get(a, 0)))
		return NULL;
	for (int k = 0; keys[k]; k++) {
		if (!json_object_get(json_array_get(a, 0), keys[k]))
			continue;
		*ia = df_array_index(a, keys[k]);
		*ib = *ia ? df_array_index(b, keys[k]) : NULL;
		if (*ia && *ib)
			return keys[k];
		json_decref(*ia);
		json_decref(*ib);
		*ia = *ib = NULL;
	}
	return NULL;
}

/* Keyed arrays: elements matched by their key, compared field by field
 * under "path[value]"; order does not matter. */
static int df_walk_keyed(json_t *fields, const char *type, const char *path, const json_t *a,
			 const json_t *b, const json_t *ia, const json_t *ib, const char *key,
			 enum df_mode mode)
{
	for (int side = 0; side < 2; side++) {
		const json_t *arr = side ? b : a, *other = side ? ia : ib;
		size_t i;
		json_t *e;

		json_array_foreach(arr, i, e) {
			const char *val = cal_json_str(e, key);
			const json_t *match = json_object_get(other, val);
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

	if (!top && json_is_array(a) && json_is_array(b)) {
		bool same = mode == DF_PATTERN ? df_pattern_match(a, b)
					       : json_equal((json_t *)a, (json_t *)b);
		json_t *ia, *ib;

		if (same)
			return 0;
		k = df_array_key(a, b, &ia, &ib);
		if (k) {
			rc = df_walk_keyed(fields, type, path, a, b, ia, ib, k, mode);
			json_decref(ia);
			json_decref(ib);
			return rc;
		}
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
