/* test_core.c - errors, time parsing, the model schema, ids, hashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static void test_error_messages(void **state)
{
	(void)state;
	assert_int_equal(cal_error_set(CAL_EINVALID, "bad vni '%s'", "x"), CAL_EINVALID);
	assert_string_equal(cal_error_last(), "bad vni 'x'");
	cal_error_prefix(CAL_EINVALID, "host %s", "h1");
	assert_string_equal(cal_error_last(), "host h1: bad vni 'x'");
	cal_error_set_errno(CAL_EIO, 2, "cannot open '%s'", "/nope");
	assert_string_equal(cal_error_last(), "cannot open '/nope': No such file or directory");
	cal_error_clear();
	assert_string_equal(cal_error_last(), "");
	assert_string_equal(cal_error_name(CAL_ENOTFOUND), "not found");
}

static void test_time_roundtrip(void **state)
{
	int64_t t;
	char buf[CAL_TIME_BUFSZ];

	(void)state;
	assert_int_equal(cal_time_parse(&t, "2026-11-22T08:00:00Z"), 0);
	assert_int_equal(t, 1795334400LL * 1000000);
	assert_string_equal(cal_time_format(buf, t), "2026-11-22T08:00:00.000000Z");
	assert_int_equal(cal_time_parse(&t, "2026-11-22 10:00:00.5+02:00"), 0);
	assert_int_equal(t, 1795334400LL * 1000000 + 500000);
	assert_int_equal(cal_time_parse(&t, "2026-11-22"), 0);
	assert_int_equal(t, (1795334400LL - 8 * 3600) * 1000000);
	assert_int_equal(cal_time_parse(&t, "@1700000000"), 0);
	assert_int_equal(t, 1700000000LL * 1000000);
}

static void test_time_relative(void **state)
{
	int64_t t, now = cal_time_now_us();

	(void)state;
	assert_int_equal(cal_time_parse(&t, "-7d"), 0);
	assert_true(llabs((now - 7LL * 86400 * 1000000) - t) < 5000000);
}

static void test_time_rejects(void **state)
{
	int64_t t;
	static const char *const bad[] = { "", "2026-13-01", "2026-02-30", "2026-11-22T25:00",
					   "yesterday", "2026-11-22Tx", "-5y", "@-1",
					   "2026-11-22T08:00:00Zjunk", "1969-01-01" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cal_time_parse(&t, bad[i]), CAL_EINVALID);
		assert_true(strstr(cal_error_last(), "cannot parse time") ||
			    strstr(cal_error_last(), "empty time"));
	}
}

static void test_types(void **state)
{
	(void)state;
	for (int t = 1; t < CAL_T_COUNT_; t++)
		assert_int_equal(cal_type_from_name(cal_type_name((enum cal_obj_type)t)), t);
	assert_int_equal(cal_type_from_name("bogus"), CAL_T_UNKNOWN);
	assert_int_equal(cal_type_from_name(NULL), CAL_T_UNKNOWN);
}

static void test_object_paths_and_validation(void **state)
{
	json_t *host, *pnic;

	(void)state;
	host = cal_object_new("lab", CAL_T_HOST, "h1", "h1", "h1");
	assert_non_null(host);
	assert_string_equal(cal_json_str(host, CAL_F_ID_PATH), "/lab/h1");
	assert_int_equal(cal_object_validate(host), 0);
	pnic = cal_object_new("lab", CAL_T_HOST_PNIC, "h1:host_pnic:eth0", "eth0", "h1");
	assert_int_equal(cal_object_set_parent(pnic, host), 0);
	assert_string_equal(cal_json_str(pnic, CAL_F_ID_PATH), "/lab/h1/h1:host_pnic:eth0");
	assert_string_equal(cal_json_str(pnic, CAL_F_NAME_PATH), "/lab/h1/eth0");
	assert_string_equal(cal_json_str(pnic, CAL_F_PARENT_TYPE), "host");
	json_object_set_new(pnic, "mtu", json_integer(1500));
	assert_int_equal(cal_object_validate(pnic), 0);
	json_object_set_new(pnic, "mtu", json_string("1500"));
	assert_int_equal(cal_object_validate(pnic), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "'mtu' has the wrong type"));
	json_object_set_new(pnic, "mtu", json_integer(1500));
	json_object_set_new(pnic, "colour", json_string("blue"));
	assert_int_equal(cal_object_validate(pnic), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "unknown attribute 'colour'"));
	json_decref(host);
	json_decref(pnic);
}

static void test_ids_and_links(void **state)
{
	char *id;
	json_t *a, *b, *l;

	(void)state;
	id = cal_id_host_object("h1", CAL_T_VNIC, "qdhcp-net1", "ns-1");
	assert_string_equal(id, "h1:vnic:qdhcp-net1/ns-1");
	free(id);
	id = cal_id_host_object("h1", CAL_T_VCONNECTOR, NULL, "br0");
	assert_string_equal(id, "h1:vconnector:br0");
	free(id);
	a = cal_object_new("lab", CAL_T_VNIC, "h1:vnic:tap1", "tap1", "h1");
	b = cal_object_new("lab", CAL_T_VCONNECTOR, "h1:vconnector:br0", "br0", "h1");
	l = cal_link_new("lab", a, b, "52:54:00:00:00:01", "up", "net-101", "h1");
	assert_string_equal(cal_json_str(l, CAL_F_LINK_TYPE), "vnic-vconnector");
	assert_string_equal(cal_json_str(l, CAL_F_ID), "h1:vnic:tap1|vnic-vconnector|h1:vconnector:br0");
	assert_string_equal(cal_json_str(json_object_get(l, "attributes"), "network"), "net-101");
	json_decref(a);
	json_decref(b);
	json_decref(l);
}

static void test_stable_hash_ignores_volatile(void **state)
{
	json_t *o = cal_object_new("lab", CAL_T_HOST_PNIC, "h1:host_pnic:eth0", "eth0", "h1");
	json_t *s1, *s2, *vol = NULL;
	char h1[CAL_HASH_HEXSZ], h2[CAL_HASH_HEXSZ];

	(void)state;
	json_object_set_new(o, "stats", json_pack("{s:i}", "rx_bytes", 10));
	json_object_set_new(o, CAL_F_LAST_SCANNED, json_string("2026-01-01T00:00:00Z"));
	s1 = cal_object_stable(o, &vol);
	assert_null(json_object_get(s1, "stats"));
	assert_non_null(json_object_get(vol, "stats"));
	assert_non_null(json_object_get(vol, CAL_F_LAST_SCANNED));
	json_object_set_new(o, "stats", json_pack("{s:i}", "rx_bytes", 99));
	s2 = cal_object_stable(o, NULL);
	assert_int_equal(cal_json_canonical_hash(h1, s1), 0);
	assert_int_equal(cal_json_canonical_hash(h2, s2), 0);
	assert_string_equal(h1, h2);
	json_object_set_new(s2, "mtu", json_integer(9000));
	assert_int_equal(cal_json_canonical_hash(h2, s2), 0);
	assert_string_not_equal(h1, h2);
	json_decref(o);
	json_decref(s1);
	json_decref(s2);
	json_decref(vol);
}

static void test_escape(void **state)
{
	char *s = cal_str_escape("a\nb\x1b[31m");

	(void)state;
	assert_string_equal(s, "a\\x0ab\\x1b[31m");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_time_roundtrip),
		cmocka_unit_test(test_time_relative),
		cmocka_unit_test(test_time_rejects),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_object_paths_and_validation),
		cmocka_unit_test(test_ids_and_links),
		cmocka_unit_test(test_stable_hash_ignores_volatile),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
