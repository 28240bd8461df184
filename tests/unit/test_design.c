/* test_design.c - design files: the YAML reader and writer (libyaml), the
 * checks a design file goes through, design patterns and the field by
 * field comparison the diff engine uses.  Pure functions, no store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/analyze.h"
#include "analyze/diff_int.h"

static json_t *yaml(const char *text)
{
	json_t *doc = NULL;

	if (dsg_yaml_parse(&doc, text, strlen(text), "t.yaml") != 0)
		fail_msg("YAML %s: %s", text, cal_error_last());
	return doc;
}

static void yaml_fails(const char *text, const char *msg_part)
{
	json_t *doc = NULL;

	if (dsg_yaml_parse(&doc, text, strlen(text), "bad.yaml") != CAL_EINVALID)
		fail_msg("accepted: %s", text);
	assert_null(doc);
	assert_non_null(strstr(cal_error_last(), "bad.yaml"));
	if (msg_part && !strstr(cal_error_last(), msg_part))
		fail_msg("'%s': message '%s' lacks '%s'", text, cal_error_last(), msg_part);
}

static void test_yaml_scalars(void **state)
{
	json_t *d;

	(void)state;
	d = yaml("a: ~\nb:\nc: null\nd: true\ne: False\nf: 42\ng: -7\nh: 0x1f\ni: 0o17\n"
		 "j: 1.5\nk: 1e3\nl: yes\nm: '42'\nn: \"true\"\no: !!str 17\np: !!int '12'\n"
		 "q: 2026-11-25\nr: vxlan-101\ns: '*'\nt: .5\n");
	assert_true(json_is_null(json_object_get(d, "a")));
	assert_true(json_is_null(json_object_get(d, "b")));
	assert_true(json_is_null(json_object_get(d, "c")));
	assert_true(json_is_true(json_object_get(d, "d")));
	assert_true(json_is_false(json_object_get(d, "e")));
	assert_int_equal(json_integer_value(json_object_get(d, "f")), 42);
	assert_int_equal(json_integer_value(json_object_get(d, "g")), -7);
	assert_int_equal(json_integer_value(json_object_get(d, "h")), 31);
	assert_int_equal(json_integer_value(json_object_get(d, "i")), 15);
	assert_true(json_real_value(json_object_get(d, "j")) == 1.5);
	assert_true(json_real_value(json_object_get(d, "k")) == 1000.0);
	/* YAML 1.2 core schema: "yes" is text. */
	assert_string_equal(json_string_value(json_object_get(d, "l")), "yes");
	assert_string_equal(json_string_value(json_object_get(d, "m")), "42");
	assert_string_equal(json_string_value(json_object_get(d, "n")), "true");
	assert_string_equal(json_string_value(json_object_get(d, "o")), "17");
	assert_int_equal(json_integer_value(json_object_get(d, "p")), 12);
	assert_string_equal(json_string_value(json_object_get(d, "q")), "2026-11-25");
	assert_string_equal(json_string_value(json_object_get(d, "r")), "vxlan-101");
	assert_string_equal(json_string_value(json_object_get(d, "s")), "*");
	assert_true(json_real_value(json_object_get(d, "t")) == 0.5);
	json_decref(d);
	d = yaml("- [1, two, {x: y}]\n- {}\n- []\n");
	assert_true(json_is_array(d));
	assert_int_equal(json_array_size(json_array_get(d, 0)), 3);
	assert_string_equal(cal_json_str(json_array_get(json_array_get(d, 0), 2), "x"), "y");
	assert_int_equal(json_object_size(json_array_get(d, 1)), 0);
	json_decref(d);
}

static void test_yaml_refusals(void **state)
{
	char deep[1024] = "";

	(void)state;
	yaml_fails("a: 1\na: 2\n", "line 2");
	yaml_fails("a: &x [1]\nb: *x\n", "aliases");
	yaml_fails("a: 1\n---\nb: 2\n", "second YAML document");
	yaml_fails("? [1, 2]\n: x\n", "key");
	yaml_fails("a: [1, 2\nb: 3\n", "line");
	yaml_fails("a: !!int abc\n", "!!int");
	yaml_fails("a: !custom x\n", "tag");
	yaml_fails("a: 99999999999999999999\n", "out of range");
	yaml_fails("a: .inf\n", "finite");
	yaml_fails("", "empty");
	for (int i = 0; i < 70; i++)
		strcat(deep, "[");
	yaml_fails(deep, "deeper");
	yaml_fails("a: \"x\\0y\"\n", "NUL");
}

static void test_yaml_round_trip(void **state)
{
	static const char *const strings[] = {
		"", "yes", "No", "null", "~", "123", "-4", "1.5", "1e5", ".inf", "0x1f", "0o17",
		"True", "-", "- a", ": x", "a: b", "#comment", "a #b", "'q'", "\"dq\"",
		"multi\nline", "tab\there", " leading", "trailing ", "unicode é ✓", "*", "&a", "!t",
		"%p", "@at", "`bt", "{flow}", "[seq]", "h1:vnic:qdhcp-1/ns-2", "fe80::1/64",
		"a|b|c", "x\\y", "?", "2026-11-25", "on", "OFF", NULL,
	};
	json_t *doc = json_object(), *arr = json_array(), *back = NULL;
	char *text;

	(void)state;
	for (int i = 0; strings[i]; i++)
		json_array_append_new(arr, json_string(strings[i]));
	json_object_set_new(doc, "strings", arr);
	json_object_set_new(doc, "numbers", json_pack("[i, I, f, f, f]", 0, (json_int_t)-9007199254740993LL,
						      0.1, -2.5e-8, 3.0));
	json_object_set_new(doc, "others", json_pack("[b, b, n, {}, []]", 1, 0));
	json_object_set_new(doc, "nested", json_pack("{s:{s:[{s:s}]}}", "a", "b", "c", "d"));
	json_object_set_new(doc, "key: with colon", json_string("v"));
	json_object_set_new(doc, "123", json_string("numeric key"));
	text = dsg_yaml_emit(doc, "a comment\nover two lines");
	assert_non_null(text);
	assert_int_equal(strncmp(text, "# a comment\n# over two lines\n", 29), 0);
	assert_int_equal(dsg_yaml_parse(&back, text, strlen(text), "rt.yaml"), 0);
	if (!json_equal(doc, back)) {
		char *a = json_dumps(doc, JSON_SORT_KEYS), *b = json_dumps(back, JSON_SORT_KEYS);

		fail_msg("round trip changed the document:\n%s\n%s\n--- YAML ---\n%s", a, b, text);
	}
	free(text);
	json_decref(doc);
	json_decref(back);
}

static void parse_fails(const char *text, const char *msg_part)
{
	json_t *d = NULL;

	if (cal_design_parse(&d, text, strlen(text), "d.yaml") != CAL_EINVALID)
		fail_msg("design accepted: %s", text);
	assert_null(d);
	assert_non_null(strstr(cal_error_last(), "d.yaml"));
	if (!strstr(cal_error_last(), msg_part))
		fail_msg("message '%s' lacks '%s'", cal_error_last(), msg_part);
}

static void test_design_checks(void **state)
{
	json_t *d = NULL;
	static const char ok[] =
		"calipso_design: 1\n"
		"environment: lab\n"
		"objects:\n- id: a\n  type: vnic\n- id: 'h*'\n  $count: 0..\n  type: 'v*'\n"
		"links:\n- source_id: a\n  link_type: instance-vnic\n  target_id: b\n"
		"cliques:\n- focal_point: a\n  health: ok\n  nodes: [a, 'h*']\n";

	(void)state;
	assert_int_equal(cal_design_parse(&d, ok, strlen(ok), "ok.yaml"), 0);
	/* Links given by their ends get their id. */
	assert_string_equal(cal_json_str(json_array_get(json_object_get(d, "links"), 0), "id"),
			    "a|instance-vnic|b");
	json_decref(d);
	{
		const char *j = "{\"calipso_design\": 1, \"objects\": []}";

		assert_int_equal(cal_design_parse(&d, j, strlen(j), "d.json"), 0);
	}
	json_decref(d);
	parse_fails("objects: []\n", "calipso_design");
	parse_fails("calipso_design: 2\n", "must be 1");
	parse_fails("- 1\n", "not a mapping");
	parse_fails("calipso_design: 1\nobjets: []\n", "unknown key 'objets'");
	parse_fails("calipso_design: 1\nobjects: {}\n", "must be a list");
	parse_fails("calipso_design: 1\nobjects: [3]\n", "objects[0] is not a mapping");
	parse_fails("calipso_design: 1\nobjects: [{type: vnic}]\n", "objects[0] has no 'id'");
	parse_fails("calipso_design: 1\nobjects: [{id: a}, {id: a}]\n", "listed twice");
	parse_fails("calipso_design: 1\nobjects: [{id: a, $count: x}]\n", "$count");
	parse_fails("calipso_design: 1\nobjects: [{id: a, $count: 3..1}]\n", "$count");
	parse_fails("calipso_design: 1\nobjects: [{id: a, $min: 1}]\n", "'$min'");
	parse_fails("calipso_design: 1\nobjects: [{id: a, type: router}]\n", "'router'");
	parse_fails("calipso_design: 1\nlinks: [{source_id: a}]\n", "links[0] has no 'id'");
	parse_fails("calipso_design: 1\ncliques: [{health: ok}]\n", "focal_point");
	parse_fails("calipso_design: 1\ncliques: [{focal_point: a, colour: red}]\n", "colour");
	parse_fails("calipso_design: 1\ncliques: [{focal_point: a, nodes: a}]\n", "list of ids");
	parse_fails("calipso_design: 1\nscope: rack\n", "scope");
	parse_fails("{\"calipso_design\": 1,\n \"objects\": [}\n", "line 2");
	parse_fails("calipso_design: 1\nobjects:\n  - id: a\n bad indent\n", "invalid YAML");
}

/* df_pattern_match() of a pattern text against a value (both taken). */
static bool m(json_t *pattern, json_t *value)
{
	bool r = df_pattern_match(pattern, value);

	json_decref(pattern);
	json_decref(value);
	return r;
}

static void test_patterns(void **state)
{
	json_t *v = json_pack("{s:s, s:i, s:b, s:[s, s], s:{s:s, s:i}}", "name", "tap1-x", "mtu",
			      1450, "up", 1, "flags", "UP", "LOWER_UP", "ovs", "bridge", "br-int",
			      "tag", 3);

	(void)state;
	assert_true(m(json_string("*"), json_incref(v)));
	assert_true(m(json_string("tap?-*"), json_string("tap1-x")));
	assert_false(m(json_string("tap?"), json_string("tap1-x")));
	assert_true(m(json_string("14[0-9]0"), json_integer(1450)));
	assert_false(m(json_string("1450"), json_integer(1450)));
	assert_true(m(json_integer(1450), json_integer(1450)));
	assert_false(m(json_string("tap\\?-x"), json_string("tap1-x")));
	assert_true(m(json_string("tap\\?-x"), json_string("tap?-x")));
	assert_false(df_pattern_match(json_object_get(v, "name"), NULL));
	assert_true(m(json_pack("{s:s, s:s}", "name", "tap*", "*", "*"), json_incref(v)));
	/* Without the "*" key, up, flags and ovs are extra fields. */
	assert_false(m(json_pack("{s:s, s:i}", "name", "tap*", "mtu", 1450), json_incref(v)));
	assert_true(m(json_pack("{s:[s, s], s:{s:s, s:s}, s:s}", "flags", "UP", "*", "ovs",
				"bridge", "br-*", "*", "*", "*", "*"), json_incref(v)));
	/* Arrays match element by element. */
	assert_false(m(json_pack("{s:[s], s:s}", "flags", "*", "*", "*"), json_incref(v)));
	json_decref(v);
}

static const json_t *fld(const json_t *fields, const char *name)
{
	size_t i;
	json_t *f;

	json_array_foreach(fields, i, f)
		if (strcmp(cal_json_str(f, "field"), name) == 0)
			return f;
	return NULL;
}

static void test_fields(void **state)
{
	json_t *a = json_pack("{s:s, s:s, s:s, s:{s:i}, s:s, s:[{s:s, s:s}, {s:s, s:s}], "
			      "s:[s, s], s:{s:s, s:i}}",
			      "id", "n", "type", "vnic", "operstate", "up", "stats", "rx", 1,
			      "last_scanned", "t1", "interfaces", "name", "a", "state", "up", "name",
			      "b", "state", "up", "flags", "UP", "BROADCAST", "ovs", "bridge",
			      "br-int", "tag", 1);
	json_t *b = json_pack("{s:s, s:s, s:s, s:{s:i}, s:s, s:[{s:s, s:s}, {s:s, s:s}], "
			      "s:[s], s:{s:s, s:i}, s:i}",
			      "id", "n", "type", "vnic", "operstate", "down", "stats", "rx", 9,
			      "last_scanned", "t2", "interfaces", "name", "b", "state", "up", "name",
			      "c", "state", "up", "flags", "UP", "ovs", "bridge", "br-int", "tag", 2,
			      "mtu", 9000);
	json_t *fields = json_array(), *pat, *f2 = json_array();
	const json_t *f;

	(void)state;
	assert_int_equal(df_fields(fields, "vnic", a, b, DF_EXACT), 0);
	/* Volatile fields (stats, last_scanned) are not differences. */
	assert_null(fld(fields, "stats"));
	assert_null(fld(fields, "last_scanned"));
	f = fld(fields, "operstate");
	assert_string_equal(cal_json_str(f, "before"), "up");
	assert_string_equal(cal_json_str(f, "after"), "down");
	assert_non_null(fld(fields, "ovs.tag"));
	assert_null(fld(fields, "ovs.bridge"));
	/* Named elements: a gone, c new, b the same whatever the order. */
	assert_non_null(fld(fields, "interfaces[a]"));
	assert_true(json_is_null(json_object_get(fld(fields, "interfaces[a]"), "after")));
	assert_non_null(fld(fields, "interfaces[c]"));
	assert_null(fld(fields, "interfaces[b]"));
	f = fld(fields, "flags");
	assert_string_equal(json_string_value(json_array_get(json_object_get(f, "removed"), 0)),
			    "BROADCAST");
	assert_int_equal(json_array_size(json_object_get(f, "added")), 0);
	assert_true(json_is_null(json_object_get(fld(fields, "mtu"), "before")));
	assert_int_equal(json_array_size(fields), 6);
	/* A host's stats are not volatile: a difference. */
	json_object_set_new(a, "type", json_string("host"));
	json_object_set_new(b, "type", json_string("host"));
	assert_int_equal(df_fields(f2, "host", a, b, DF_EXACT), 0);
	assert_non_null(fld(f2, "stats.rx"));
	/* Pattern mode: "$" keys skipped, "*" key absorbs the rest. */
	pat = json_pack("{s:s, s:s, s:i, s:s}", "id", "n", "operstate", "d*", "$count", 4, "*", "*");
	json_array_clear(f2);
	assert_int_equal(df_fields(f2, "vnic", pat, b, DF_PATTERN), 0);
	assert_int_equal(json_array_size(f2), 0);
	json_object_set_new(pat, "operstate", json_string("up"));
	assert_int_equal(df_fields(f2, "vnic", pat, b, DF_PATTERN), 0);
	assert_int_equal(json_array_size(f2), 1);
	json_decref(pat);
	json_decref(a);
	json_decref(b);
	json_decref(fields);
	json_decref(f2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_scalars),
		cmocka_unit_test(test_yaml_refusals),
		cmocka_unit_test(test_yaml_round_trip),
		cmocka_unit_test(test_design_checks),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
