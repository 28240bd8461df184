/* test_ovsdb.c - the OVSDB client: JSON-RPC framing over replies recorded
 * from a real ovsdb-server (tests/data/ovsdb/, see record.py there),
 * message classification, OVSDB value decoding, the "ovs" section, and the
 * session against a scripted fake server (echo, ids, errors, timeouts) and
 * against a real ovsdb-server started here (reconnect after a kill, a
 * stopped server, a monitor).  Servers and sockets live in /tmp/ovt-*
 * directories removed by each test's teardown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "discover/discover.h"
#include "discover/ovsdb.h"
#include "test_data.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Feeds all of `data`, collecting messages into an array.  Returns the
 * first error, 0 otherwise. */
static int ovt_feed_all(struct ovsdb_parser *p, json_t *msgs, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		json_t *m;
		long used = ovsdb_parser_feed(p, &m, data + off, len - off);

		if (used < 0)
			return (int)used;
		if (m)
			json_array_append_new(msgs, m);
		off += (size_t)used;
		if (used == 0 && !m)
			fail_msg("parser made no progress at %zu", off);
	}
	return 0;
}

/* Parses a whole recorded reply as one message. */
static json_t *ovt_load_msg(const char *name)
{
	struct ovsdb_parser p;
	json_t *msgs = json_array(), *m;
	size_t len;
	char *data = td_read("ovsdb", name, &len);

	ovsdb_parser_init(&p, 0);
	assert_int_equal(ovt_feed_all(&p, msgs, data, len), 0);
	assert_true(ovsdb_parser_is_idle(&p));
	assert_int_equal(json_array_size(msgs), 1);
	m = json_incref(json_array_get(msgs, 0));
	json_decref(msgs);
	ovsdb_parser_destroy(&p);
	free(data);
	return m;
}

static json_t *ovt_result_of(const char *name)
{
	json_t *m = ovt_load_msg(name), *r;
	struct ovsdb_msg cm;

	assert_int_equal(ovsdb_msg_classify(&cm, m), 0);
	assert_int_equal(cm.type, OVSDB_MSG_REPLY);
	r = json_incref(cm.result);
	json_decref(m);
	return r;
}

static json_t *ovt_find(const json_t *arr, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (!strcmp(cal_json_str(v, "name"), name))
			return v;
	fail_msg("no element named '%s'", name);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Framing                                                             */
/* ------------------------------------------------------------------ */

static void test_list_dbs_reply(void **state)
{
	json_t *r;

	(void)state;
	r = ovt_result_of("list_dbs.json");
	assert_true(json_is_array(r));
	assert_string_equal(json_string_value(json_array_get(r, 0)), "Open_vSwitch");
	assert_string_equal(json_string_value(json_array_get(r, 1)), "_Server");
	json_decref(r);
}

static void test_get_schema_reply(void **state)
{
	json_t *schema, *ops, *tables, *op;
	size_t i, j;

	(void)state;
	schema = ovt_result_of("get_schema.json");
	assert_string_equal(cal_json_str(schema, "name"), "Open_vSwitch");
	tables = json_object_get(schema, "tables");
	assert_true(json_is_object(tables));
	/* Every column a scan selects exists in the recorded schema. */
	ops = ovs_scan_ops_new();
	assert_int_equal(json_array_size(ops), 5);
	json_array_foreach(ops, i, op) {
		const json_t *t = json_object_get(tables, cal_json_str(op, "table"));
		json_t *col;

		assert_non_null(t);
		json_array_foreach(json_object_get(op, "columns"), j, col) {
			const char *c = json_string_value(col);

			if (strcmp(c, "_uuid"))
				assert_non_null(json_object_get(json_object_get(t, "columns"), c));
		}
	}
	json_decref(ops);
	json_decref(schema);
}

/* Splitting a message at every byte boundary gives the same message. */
static void test_split_every_byte(void **state)
{
	static const char *const files[] = { "transact_select.json", "list_dbs.json",
					     "error_unknown_db.json" };

	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *data = td_read("ovsdb", files[f], &len);
		json_t *whole = ovt_load_msg(files[f]);

		for (size_t k = 0; k <= len; k++) {
			struct ovsdb_parser p;
			json_t *msgs = json_array();

			ovsdb_parser_init(&p, 0);
			assert_int_equal(ovt_feed_all(&p, msgs, data, k), 0);
			assert_int_equal(json_array_size(msgs), k == len ? 1 : 0);
			assert_int_equal(ovsdb_parser_finish(&p),
					 (k == 0 || k == len) ? 0 : CAL_EPROTO);
			assert_int_equal(ovt_feed_all(&p, msgs, data + k, len - k), 0);
			assert_int_equal(json_array_size(msgs), 1);
			assert_true(json_equal(json_array_get(msgs, 0), whole));
			ovsdb_parser_destroy(&p);
			json_decref(msgs);
		}
		json_decref(whole);
		free(data);
	}
}

static void test_byte_at_a_time(void **state)
{
	struct ovsdb_parser p;
	json_t *msgs = json_array(), *whole = ovt_load_msg("get_schema.json");
	size_t len;
	char *data = td_read("ovsdb", "get_schema.json", &len);

	(void)state;
	ovsdb_parser_init(&p, 0);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(ovt_feed_all(&p, msgs, data + i, 1), 0);
	assert_int_equal(json_array_size(msgs), 1);
	assert_true(json_equal(json_array_get(msgs, 0), whole));
	ovsdb_parser_destroy(&p);
	json_decref(msgs);
	json_decref(whole);
	free(data);
}

static void test_several_messages_in_one_read(void **state)
{
	struct ovsdb_parser p;
	size_t l1, l2;
	char *a = td_read("ovsdb", "list_dbs.json", &l1);
	char *b = td_read("ovsdb", "transact_select.json", &l2);
	const char *echo = "{\"method\":\"echo\",\"params\":[\"a \\\"}]\"],\"id\":\"e1\"}";
	char *all = cal_strdup_printf("%s\n  %s\t%s\r\n", a, b, echo);
	json_t *msgs = json_array();
	struct ovsdb_msg m;

	(void)state;
	ovsdb_parser_init(&p, 0);
	assert_int_equal(ovt_feed_all(&p, msgs, all, strlen(all)), 0);
	assert_int_equal(json_array_size(msgs), 3);
	assert_int_equal(ovsdb_msg_classify(&m, json_array_get(msgs, 0)), 0);
	assert_int_equal(json_integer_value(m.id), 2);
	assert_int_equal(ovsdb_msg_classify(&m, json_array_get(msgs, 1)), 0);
	assert_int_equal(json_integer_value(m.id), 4);
	assert_int_equal(ovsdb_msg_classify(&m, json_array_get(msgs, 2)), 0);
	assert_int_equal(m.type, OVSDB_MSG_REQUEST);
	assert_string_equal(m.method, "echo");
	/* Braces inside strings do not end the message. */
	assert_string_equal(json_string_value(json_array_get(m.params, 0)), "a \"}]");
	assert_true(ovsdb_parser_is_idle(&p));
	ovsdb_parser_destroy(&p);
	json_decref(msgs);
	free(all);
	free(a);
	free(b);
}

static void test_malformed_streams(void **state)
{
	static const char *const bad[] = {
		"[1,2]",                          /* not an object */
		"\"text\"",
		"x{}",
		"{\"id\":1,]",                     /* mismatched closer */
		"{\"id\":1,\"result\":tru}",
		"{\"id\":1 \"result\":[]}",
		"{\"id\":\"\xff\xfe\",\"result\":[]}",  /* not UTF-8 */
		"{\"id\":\"a\\u0000b\",\"result\":[]}",  /* NUL in a string */
		"{\"id\":1,\"result\":[]}}",          /* stray closer after a message */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ovsdb_parser p;
		json_t *msgs = json_array();

		ovsdb_parser_init(&p, 0);
		assert_int_equal(ovt_feed_all(&p, msgs, bad[i], strlen(bad[i])), CAL_EPROTO);
		ovsdb_parser_destroy(&p);
		json_decref(msgs);
	}
}

static void test_depth_and_size_limits(void **state)
{
	struct ovsdb_parser p;
	json_t *msgs = json_array();
	char deep[2 * OVSDB_MAX_DEPTH + 64];
	size_t n = 0, len;
	char *data;

	(void)state;
	n += (size_t)sprintf(deep, "{\"id\":1,\"result\":");
	for (int i = 0; i < OVSDB_MAX_DEPTH; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	ovsdb_parser_init(&p, 0);
	assert_int_equal(ovt_feed_all(&p, msgs, deep, n), CAL_EPROTO);
	assert_non_null(strstr(cal_error_last(), "deeper"));
	ovsdb_parser_destroy(&p);

	/* A message longer than the limit fails once the limit is crossed,
	 * even before it ends. */
	data = td_read("ovsdb", "get_schema.json", &len);
	ovsdb_parser_init(&p, 1000);
	assert_int_equal(ovt_feed_all(&p, msgs, data, 1500), CAL_EPROTO);
	assert_string_equal(cal_error_last(), "message longer than 1000 bytes");
	ovsdb_parser_destroy(&p);
	/* Exactly at the limit is fine. */
	ovsdb_parser_init(&p, len);
	assert_int_equal(ovt_feed_all(&p, msgs, data, len), 0);
	assert_int_equal(json_array_size(msgs), 1);
	ovsdb_parser_destroy(&p);
	json_decref(msgs);
	free(data);
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

static void test_classify(void **state)
{
	struct ovsdb_msg m;
	json_t *j;

	(void)state;
	j = json_loads("{\"method\":\"update\",\"params\":[\"m\",{}],\"id\":null}", 0, NULL);
	assert_int_equal(ovsdb_msg_classify(&m, j), 0);
	assert_int_equal(m.type, OVSDB_MSG_NOTIFY);
	json_decref(j);
	j = json_loads("{\"method\":\"echo\",\"params\":[],\"id\":\"echo\"}", 0, NULL);
	assert_int_equal(ovsdb_msg_classify(&m, j), 0);
	assert_int_equal(m.type, OVSDB_MSG_REQUEST);
	json_decref(j);
	j = json_loads("{\"result\":null,\"error\":\"boom\",\"id\":3}", 0, NULL);
	assert_int_equal(ovsdb_msg_classify(&m, j), 0);
	assert_int_equal(m.type, OVSDB_MSG_ERROR);
	json_decref(j);

	static const char *const bad[] = {
		"{\"method\":3,\"params\":[],\"id\":1}",
		"{\"method\":\"echo\",\"params\":{},\"id\":1}",
		"{\"method\":\"echo\",\"id\":1}",
		"{\"result\":[]}",
		"{\"error\":null,\"id\":1}",
		"{}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_loads(bad[i], 0, NULL);
		assert_non_null(j);
		assert_int_equal(ovsdb_msg_classify(&m, j), CAL_EPROTO);
		json_decref(j);
	}
}

static void test_recorded_error_replies(void **state)
{
	json_t *m = ovt_load_msg("error_unknown_db.json"), *r;
	struct ovsdb_msg cm;
	char text[512];

	(void)state;
	assert_int_equal(ovsdb_msg_classify(&cm, m), 0);
	assert_int_equal(cm.type, OVSDB_MSG_ERROR);
	ovsdb_error_text(text, sizeof(text), cm.error);
	assert_string_equal(text, "unknown database: transact request specifies unknown "
				  "database Nope");
	json_decref(m);

	/* An operation that failed inside a successful reply. */
	r = ovt_result_of("error_op.json");
	assert_int_equal(ovsdb_transact_check(r, 1), CAL_EPROTO);
	assert_string_equal(cal_error_last(), "operation 1 failed: syntax error: Parsing ovsdb "
					      "operation 1 of 1 failed: No table named NoSuchTable.");
	/* Fewer results than operations. */
	assert_int_equal(ovsdb_transact_check(r, 2), CAL_EPROTO);
	json_decref(r);
	r = json_loads("[{\"rows\":[]},{\"error\":\"timed out\"}]", 0, NULL);
	assert_int_equal(ovsdb_transact_check(r, 1), CAL_EPROTO);
	assert_string_equal(cal_error_last(), "transaction failed: timed out");
	json_decref(r);
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

static void ovt_expect_datum(const char *in, enum ovsdb_col_kind kind, const char *want)
{
	json_t *d = json_loads(in, JSON_DECODE_ANY, NULL), *out, *w;

	assert_non_null(d);
	assert_int_equal(ovsdb_datum_to_json(&out, d, kind), 0);
	w = json_loads(want, JSON_DECODE_ANY, NULL);
	assert_non_null(w);
	if (!json_equal(out, w)) {
		char *got = json_dumps(out, JSON_ENCODE_ANY);

		fail_msg("%s decoded to %s, want %s", in, got, want);
	}
	json_decref(out);
	json_decref(w);
	json_decref(d);
}

static void test_datum_decoding(void **state)
{
	(void)state;
	ovt_expect_datum("[\"set\",[]]", OVSDB_COL_OPTIONAL, "null");
	ovt_expect_datum("7", OVSDB_COL_OPTIONAL, "7");
	ovt_expect_datum("[\"set\",[7]]", OVSDB_COL_OPTIONAL, "7");
	ovt_expect_datum("\"x\"", OVSDB_COL_SCALAR, "\"x\"");
	ovt_expect_datum("[\"uuid\",\"a-b\"]", OVSDB_COL_SCALAR, "\"a-b\"");
	ovt_expect_datum("[\"named-uuid\",\"row1\"]", OVSDB_COL_SCALAR, "\"row1\"");
	ovt_expect_datum("[\"set\",[10,20]]", OVSDB_COL_SET, "[10,20]");
	ovt_expect_datum("30", OVSDB_COL_SET, "[30]");
	ovt_expect_datum("[\"uuid\",\"u1\"]", OVSDB_COL_SET, "[\"u1\"]");
	ovt_expect_datum("[\"set\",[[\"uuid\",\"u1\"],[\"uuid\",\"u2\"]]]", OVSDB_COL_SET,
			 "[\"u1\",\"u2\"]");
	ovt_expect_datum("[\"map\",[]]", OVSDB_COL_MAP, "{}");
	ovt_expect_datum("[\"map\",[[\"k\",\"v\"],[\"n\",5]]]", OVSDB_COL_MAP,
			 "{\"k\":\"v\",\"n\":5}");
	ovt_expect_datum("[\"map\",[[1,[\"uuid\",\"u\"]],[true,1.5]]]", OVSDB_COL_MAP,
			 "{\"1\":\"u\",\"true\":1.5}");
	ovt_expect_datum("false", OVSDB_COL_SCALAR, "false");
}

static void test_datum_rejects(void **state)
{
	static const struct {
		const char *in;
		enum ovsdb_col_kind kind;
	} bad[] = {
		{ "[\"set\",5]", OVSDB_COL_SET },
		{ "[\"set\",[[1]]]", OVSDB_COL_SET },
		{ "[\"set\",[{}]]", OVSDB_COL_SET },
		{ "{\"a\":1}", OVSDB_COL_SCALAR },
		{ "null", OVSDB_COL_OPTIONAL },
		{ "[\"uuid\",5]", OVSDB_COL_SCALAR },
		{ "[\"uuid\",\"a\",\"b\"]", OVSDB_COL_SCALAR },
		{ "[\"set\",[1,2]]", OVSDB_COL_OPTIONAL },
		{ "[\"set\",[]]", OVSDB_COL_SCALAR },
		{ "[\"map\",[[\"k\"]]]", OVSDB_COL_MAP },
		{ "[\"map\",[[\"k\",[\"set\",[]]]]]", OVSDB_COL_MAP },
		{ "[\"map\",[[[\"set\",[]],1]]]", OVSDB_COL_MAP },
		{ "[\"map\",{}]", OVSDB_COL_MAP },
		{ "\"k\"", OVSDB_COL_MAP },
		{ "[\"bag\",[]]", OVSDB_COL_SET },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *d = json_loads(bad[i].in, JSON_DECODE_ANY, NULL), *out = NULL;

		assert_non_null(d);
		if (ovsdb_datum_to_json(&out, d, bad[i].kind) != CAL_EPROTO)
			fail_msg("'%s' was accepted", bad[i].in);
		assert_null(out);
		json_decref(d);
	}
	assert_int_equal(ovsdb_datum_to_json(&(json_t *){ NULL }, NULL, OVSDB_COL_SET), CAL_EPROTO);
}

/* ------------------------------------------------------------------ */
/* The "ovs" section                                                   */
/* ------------------------------------------------------------------ */

static void test_section_recorded(void **state)
{
	json_t *r = ovt_result_of("transact_select.json"), *sec, *br, *tun, *port, *ifc, *ports;
	char *text;

	(void)state;
	assert_int_equal(ovs_section_build(&sec, "unix:/x", r), 0);
	assert_string_equal(cal_json_str(sec, "remote"), "unix:/x");
	assert_string_equal(cal_json_str(sec, "system_id"), "ovt-system-1");
	assert_string_equal(cal_json_str(sec, "ovs_version"), "3.1.0");
	assert_string_equal(cal_json_str(sec, "db_version"), "8.3.1");
	assert_int_equal(json_array_size(json_object_get(sec, "bridges")), 2);
	br = json_array_get(json_object_get(sec, "bridges"), 0);
	tun = json_array_get(json_object_get(sec, "bridges"), 1);
	assert_string_equal(cal_json_str(br, "name"), "ovt-br0");
	assert_string_equal(cal_json_str(tun, "name"), "ovt-tun");
	assert_string_equal(cal_json_str(br, "datapath_type"), "netdev");
	assert_string_equal(cal_json_str(br, "fail_mode"), "secure");
	assert_true(json_is_null(json_object_get(tun, "fail_mode")));
	text = json_dumps(json_object_get(br, "controller"), JSON_COMPACT);
	assert_string_equal(text, "[\"tcp:127.0.0.1:6633\",\"tcp:127.0.0.1:6634\"]");
	free(text);
	assert_string_equal(cal_json_str(json_object_get(br, "external_ids"), "bridge-id"),
			    "ovt-br0");

	/* Ports sorted by name, each with its interfaces nested. */
	ports = json_object_get(br, "ports");
	assert_int_equal(json_array_size(ports), 4);
	assert_string_equal(cal_json_str(json_array_get(ports, 0), "name"), "ovt-bond");
	assert_string_equal(cal_json_str(json_array_get(ports, 3), "name"), "ovt-trunk");
	port = ovt_find(ports, "ovt-p1");
	assert_int_equal(cal_json_int(port, "tag", -1), 10);
	assert_int_equal(json_array_size(json_object_get(port, "trunks")), 0);
	assert_true(json_is_null(json_object_get(port, "vlan_mode")));
	assert_string_equal(cal_json_str(json_object_get(port, "other_config"), "segmentation_id"),
			    "103");
	assert_string_equal(cal_json_str(json_object_get(port, "other_config"), "network_type"),
			    "vxlan");
	assert_string_equal(cal_json_str(json_object_get(port, "other_config"),
					 "physical_network"), "");
	ifc = json_array_get(json_object_get(port, "interfaces"), 0);
	assert_string_equal(cal_json_str(ifc, "type"), "internal");
	assert_int_equal(cal_json_int(ifc, "ofport", -1), 3);
	assert_int_equal(cal_json_int(ifc, "ifindex", -1), 17);
	assert_int_equal(cal_json_int(ifc, "mtu", -1), 1500);
	assert_string_equal(cal_json_str(ifc, "admin_state"), "up");
	assert_string_equal(cal_json_str(ifc, "mac_in_use"), "fa:16:3e:00:00:01");
	assert_string_equal(cal_json_str(json_object_get(ifc, "external_ids"), "iface-id"),
			    "4a1b2c3d-0000-4000-8000-000000000001");
	assert_string_equal(cal_json_str(json_object_get(ifc, "external_ids"), "vm-uuid"),
			    "9f0e8d7c-0000-4000-8000-0000000000aa");
	assert_string_equal(cal_json_str(json_object_get(ifc, "external_ids"), "iface-status"),
			    "active");
	assert_int_equal(cal_json_int(json_object_get(ifc, "statistics"), "tx_bytes", -1), 2000);
	assert_true(json_is_null(json_object_get(ifc, "error")));
	assert_non_null(cal_json_str_or_null(ifc, "uuid"));

	port = ovt_find(ports, "ovt-trunk");
	text = json_dumps(json_object_get(port, "trunks"), JSON_COMPACT);
	assert_string_equal(text, "[10,20,30]");
	free(text);
	assert_string_equal(cal_json_str(port, "vlan_mode"), "trunk");
	assert_true(json_is_null(json_object_get(port, "tag")));

	port = ovt_find(ports, "ovt-bond");
	assert_int_equal(json_array_size(json_object_get(port, "interfaces")), 2);
	ifc = ovt_find(json_object_get(port, "interfaces"), "ovt-b2");
	assert_int_equal(cal_json_int(ifc, "ofport", 0), -1);
	assert_string_equal(cal_json_str(ifc, "error"),
			    "could not open network device ovt-b2 (No such device)");
	assert_true(json_is_null(json_object_get(ifc, "mtu")));

	ports = json_object_get(tun, "ports");
	ifc = json_array_get(json_object_get(ovt_find(ports, "ovt-vx"), "interfaces"), 0);
	assert_string_equal(cal_json_str(ifc, "type"), "vxlan");
	assert_string_equal(cal_json_str(json_object_get(ifc, "options"), "remote_ip"),
			    "192.0.2.2");
	assert_string_equal(cal_json_str(json_object_get(ifc, "options"), "dst_port"), "4789");
	assert_string_equal(cal_json_str(json_object_get(ifc, "options"), "key"), "flow");
	ifc = json_array_get(json_object_get(ovt_find(ports, "ovt-gnv"), "interfaces"), 0);
	assert_string_equal(cal_json_str(ifc, "type"), "geneve");
	assert_string_equal(cal_json_str(json_object_get(ifc, "options"), "key"), "5000");
	ifc = json_array_get(json_object_get(ovt_find(ports, "ovt-gre"), "interfaces"), 0);
	assert_string_equal(cal_json_str(ifc, "type"), "gre");
	ifc = json_array_get(json_object_get(ovt_find(ports, "ovt-patch-int"), "interfaces"), 0);
	assert_string_equal(cal_json_str(ifc, "type"), "patch");
	assert_string_equal(cal_json_str(json_object_get(ifc, "options"), "peer"),
			    "ovt-patch-tun");
	json_decref(sec);
	json_decref(r);
}

static void test_section_empty_db(void **state)
{
	json_t *r = ovt_result_of("transact_empty.json"), *sec;

	(void)state;
	assert_int_equal(ovs_section_build(&sec, "unix:/x", r), 0);
	assert_true(json_is_null(json_object_get(sec, "system_id")));
	assert_true(json_is_null(json_object_get(sec, "ovs_version")));
	assert_int_equal(json_array_size(json_object_get(sec, "bridges")), 0);
	json_decref(sec);
	json_decref(r);
}

/* Breaks the recorded result in one place and expects CAL_EPROTO. */
static void test_section_wrong_types(void **state)
{
	static const struct {
		int op;          /* select whose first row is changed; -1: the result */
		const char *col; /* column replaced, NULL: the row is replaced */
		const char *with;
	} cases[] = {
		{ 2, "tag", "\"ten\"" },
		{ 2, "tag", "[\"set\",[1,2]]" },
		{ 2, "interfaces", "{\"a\":1}" },
		{ 3, "name", "42" },
		{ 3, "options", "[\"set\",[]]" },
		{ 3, "_uuid", "7" },
		{ 1, "ports", "[\"map\",[]]" },
		{ 1, NULL, "[1]" },
		{ 4, "target", "[\"set\",[]]" },
		{ 2, "interfaces", "[\"set\",[\"not-a-uuid\"]]" },
		{ 3, "_uuid", "[\"uuid\",\"0ebba500-f458-4b9a-9198-21064cb10e9\"]" },
		{ 3, "statistics", "[\"map\",[[\"rx_bytes\",\"many\"]]]" },
		{ 2, "trunks", "[\"set\",[10,\"20\"]]" },
		{ 0, "ovs_version", "[\"set\",[\"a\",\"b\"]]" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *r = ovt_result_of("transact_select.json"), *sec = NULL;
		json_t *rows = json_object_get(json_array_get(r, (size_t)cases[i].op), "rows");
		json_t *with = json_loads(cases[i].with, JSON_DECODE_ANY, NULL);

		assert_true(json_array_size(rows) > 0);
		if (cases[i].col)
			json_object_set_new(json_array_get(rows, 0), cases[i].col, with);
		else
			json_array_set_new(rows, 0, with);
		if (ovs_section_build(&sec, "unix:/x", r) != CAL_EPROTO)
			fail_msg("case %zu was accepted", i);
		assert_null(sec);
		json_decref(r);
	}

	/* Missing column, missing select, rows not an array. */
	json_t *r = ovt_result_of("transact_select.json"), *sec = NULL;

	json_object_del(json_array_get(json_object_get(json_array_get(r, 3), "rows"), 0), "type");
	assert_int_equal(ovs_section_build(&sec, "unix:/x", r), CAL_EPROTO);
	assert_non_null(strstr(cal_error_last(), "Interface column 'type'"));
	json_array_remove(r, 4);
	assert_int_equal(ovs_section_build(&sec, "unix:/x", r), CAL_EPROTO);
	json_decref(r);
	r = ovt_result_of("transact_select.json");
	json_object_set_new(json_array_get(r, 2), "rows", json_object());
	assert_int_equal(ovs_section_build(&sec, "unix:/x", r), CAL_EPROTO);
	json_decref(r);
}

/* A reference to a row that is not in the result is skipped, not a crash. */
static void test_section_dangling_refs(void **state)
{
	json_t *r = ovt_result_of("transact_select.json"), *sec, *ports, *br;

	(void)state;
	/* Drop every Interface row: ports stay, with no interfaces. */
	json_object_set_new(json_array_get(r, 3), "rows", json_array());
	assert_int_equal(ovs_section_build(&sec, "unix:/x", r), 0);
	br = json_array_get(json_object_get(sec, "bridges"), 0);
	ports = json_object_get(br, "ports");
	assert_int_equal(json_array_size(ports), 4);
	assert_int_equal(json_array_size(json_object_get(json_array_get(ports, 0), "interfaces")),
			 0);
	json_decref(sec);
	json_decref(r);
}

/* ------------------------------------------------------------------ */
/* Session against a scripted fake server                              */
/* ------------------------------------------------------------------ */

struct ovt_fake {
	char dir[64];
	char path[128];
	char remote[160];
	int lfd;
	pthread_t th;
	bool running;
	int mode;
	int result;        /* 1 when the script saw what it expected */
	char note[256];
};

enum { OVT_ECHO, OVT_ERROR_REPLY, OVT_BIG_REPLY, OVT_SILENT, OVT_CLOSE_MID };

static json_t *ovt_fake_read(int fd, struct ovsdb_parser *p)
{
	char buf[4096];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		json_t *m = NULL;
		ssize_t n;

		if (poll(&pfd, 1, 5000) <= 0)
			return NULL;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return NULL;
		for (size_t off = 0; off < (size_t)n && !m;) {
			long used = ovsdb_parser_feed(p, &m, buf + off, (size_t)n - off);

			if (used < 0)
				return NULL;
			off += (size_t)used;
		}
		if (m)
			return m;
	}
}

static void ovt_fake_send(int fd, const char *text)
{
	size_t len = strlen(text);

	while (len) {
		ssize_t n = send(fd, text, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

/* Sends a recorded reply with its id replaced by `id`. */
static void ovt_fake_send_recorded(int fd, const char *name, const json_t *id)
{
	json_t *m = ovt_load_msg(name);
	char *text;

	json_object_set(m, "id", (json_t *)id);
	text = json_dumps(m, JSON_COMPACT);
	ovt_fake_send(fd, text);
	free(text);
	json_decref(m);
}

static void *ovt_fake_main(void *arg)
{
	struct ovt_fake *f = arg;
	struct ovsdb_parser p;
	json_t *req = NULL, *echo_reply = NULL;
	int fd;

	ovsdb_parser_init(&p, 0);
	fd = accept(f->lfd, NULL, NULL);
	if (fd < 0)
		goto done;
	req = ovt_fake_read(fd, &p);
	if (!req) {
		snprintf(f->note, sizeof(f->note), "no request");
		goto done;
	}
	switch (f->mode) {
	case OVT_ECHO: {
		/* Probe first, as an idle server would; then a notification,
		 * a reply to another id, and the reply in two pieces. */
		ovt_fake_send(fd, "{\"method\":\"echo\",\"params\":[\"ovt\",1],\"id\":\"echo-7\"}");
		echo_reply = ovt_fake_read(fd, &p);
		ovt_fake_send(fd, "{\"method\":\"update\",\"params\":[\"m1\",{\"Bridge\":{}}],"
				  "\"id\":null}{\"id\":999,\"result\":[\"Wrong\"],\"error\":null}");
		json_t *reply = json_pack("{s[ss]snsO}", "result", "Open_vSwitch", "_Server",
					  "error", "id", json_object_get(req, "id"));
		char *text = json_dumps(reply, JSON_COMPACT);
		size_t half = strlen(text) / 2;

		send(fd, text, half, MSG_NOSIGNAL);
		usleep(20000);
		ovt_fake_send(fd, text + half);
		free(text);
		json_decref(reply);
		json_t *want = json_loads("{\"result\":[\"ovt\",1],\"error\":null,\"id\":\"echo-7\"}",
					  0, NULL);
		f->result = echo_reply && json_equal(echo_reply, want);
		if (!f->result) {
			char *got = echo_reply ? json_dumps(echo_reply, JSON_COMPACT) : NULL;

			snprintf(f->note, sizeof(f->note), "echo reply: %s", got ? got : "none");
			free(got);
		}
		json_decref(want);
		break;
	}
	case OVT_ERROR_REPLY:
		ovt_fake_send_recorded(fd, "error_unknown_db.json", json_object_get(req, "id"));
		f->result = 1;
		break;
	case OVT_BIG_REPLY:
		ovt_fake_send_recorded(fd, "get_schema.json", json_object_get(req, "id"));
		f->result = 1;
		break;
	case OVT_CLOSE_MID:
		ovt_fake_send(fd, "{\"id\":1,\"result\":[\"Open_v");
		f->result = 1;
		break;
	default:
		break;
	}
	/* Hold the connection until the client is done with it. */
	{
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (f->mode != OVT_CLOSE_MID)
			poll(&pfd, 1, 3000);
	}
done:
	if (fd >= 0)
		close(fd);
	json_decref(req);
	json_decref(echo_reply);
	ovsdb_parser_destroy(&p);
	return NULL;
}

static int ovt_fake_setup(void **state)
{
	struct ovt_fake *f = calloc(1, sizeof(*f));
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	snprintf(f->dir, sizeof(f->dir), "/tmp/ovt-unit-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/db.sock", f->dir);
	snprintf(f->remote, sizeof(f->remote), "unix:%s", f->path);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
	    listen(f->lfd, 4) < 0)
		return -1;
	*state = f;
	return 0;
}

static void ovt_fake_start(struct ovt_fake *f, int mode)
{
	f->mode = mode;
	assert_int_equal(pthread_create(&f->th, NULL, ovt_fake_main, f), 0);
	f->running = true;
}

static int ovt_fake_teardown(void **state)
{
	struct ovt_fake *f = *state;

	if (f->running) {
		/* Unblocks an accept() that never got a client. */
		shutdown(f->lfd, SHUT_RDWR);
		pthread_join(f->th, NULL);
	}
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void ovt_update_count(const char *monitor_id, const char *table, const json_t *rows,
			     void *arg)
{
	(void)rows;
	if (!strcmp(monitor_id, "m1") && !strcmp(table, "Bridge"))
		(*(int *)arg)++;
}

static void test_session_echo_and_ids(void **state)
{
	struct ovt_fake *f = *state;
	struct ovsdb_session *s;
	json_t *dbs;
	int updates = 0;

	ovt_fake_start(f, OVT_ECHO);
	assert_int_equal(ovsdb_session_new(&s, f->remote, 3000), 0);
	ovsdb_session_set_update_fn(s, ovt_update_count, &updates);
	assert_int_equal(ovsdb_list_dbs(s, &dbs), 0);
	assert_int_equal(json_array_size(dbs), 2);
	assert_string_equal(json_string_value(json_array_get(dbs, 0)), "Open_vSwitch");
	assert_int_equal(updates, 1);
	assert_int_equal(ovsdb_session_status(s), 0);
	json_decref(dbs);
	ovsdb_session_free(s);
	pthread_join(f->th, NULL);
	f->running = false;
	if (!f->result)
		fail_msg("fake server: %s", f->note);
}

static void test_session_error_reply(void **state)
{
	struct ovt_fake *f = *state;
	struct ovsdb_session *s;
	json_t *res;
	char want[512];

	ovt_fake_start(f, OVT_ERROR_REPLY);
	assert_int_equal(ovsdb_session_new(&s, f->remote, 3000), 0);
	assert_int_equal(ovsdb_transact(s, &res, "Nope", ovs_scan_ops_new()), CAL_EPROTO);
	assert_null(res);
	snprintf(want, sizeof(want), "OVSDB at %s refused transact: unknown database: transact "
		 "request specifies unknown database Nope", f->remote);
	assert_string_equal(cal_error_last(), want);
	/* An error reply is an answer: the connection stays healthy. */
	assert_int_equal(ovsdb_session_status(s), 0);
	assert_true(ovsdb_session_is_connected(s));
	ovsdb_session_free(s);
}

static void test_session_oversize_reply(void **state)
{
	struct ovt_fake *f = *state;
	struct ovsdb_session *s;
	json_t *res;

	ovt_fake_start(f, OVT_BIG_REPLY);
	assert_int_equal(ovsdb_session_new(&s, f->remote, 3000), 0);
	ovsdb_session_set_max_msg(s, 4096);
	assert_int_equal(ovsdb_get_schema(s, &res, "Open_vSwitch"), CAL_EPROTO);
	assert_non_null(strstr(cal_error_last(), "message longer than 4096 bytes"));
	assert_non_null(strstr(cal_error_last(), f->remote));
	/* The first error sticks and the connection is closed. */
	assert_int_equal(ovsdb_session_status(s), CAL_EPROTO);
	assert_false(ovsdb_session_is_connected(s));
	ovsdb_session_free(s);
}

static void test_session_closed_mid_message(void **state)
{
	struct ovt_fake *f = *state;
	struct ovsdb_session *s;
	json_t *res;

	ovt_fake_start(f, OVT_CLOSE_MID);
	assert_int_equal(ovsdb_session_new(&s, f->remote, 3000), 0);
	/* Not retry-safe: the loss is reported, not hidden. */
	assert_int_equal(ovsdb_session_call(s, &res, "list_dbs", json_array(), false), CAL_EIO);
	assert_non_null(strstr(cal_error_last(), "closed the connection"));
	ovsdb_session_free(s);
}

static void test_session_timeout(void **state)
{
	struct ovt_fake *f = *state;
	struct ovsdb_session *s;
	json_t *res;
	int64_t t0;
	char want[256];

	/* The socket listens and the kernel accepts, but nobody answers. */
	assert_int_equal(ovsdb_session_new(&s, f->remote, 300), 0);
	t0 = cal_time_mono_us();
	assert_int_equal(ovsdb_list_dbs(s, &res), CAL_ETIMEOUT);
	assert_true(cal_time_mono_us() - t0 >= 300000);
	assert_true(cal_time_mono_us() - t0 < 2000000);
	snprintf(want, sizeof(want), "OVSDB at %s did not answer within 300 ms", f->remote);
	assert_string_equal(cal_error_last(), want);
	assert_int_equal(ovsdb_session_status(s), CAL_ETIMEOUT);
	ovsdb_session_free(s);

	assert_int_equal(cal_ovs_scan(&res, f->remote, 200), CAL_ETIMEOUT);
	assert_null(res);
}

static void test_unreachable(void **state)
{
	struct ovt_fake *f = *state;
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(in);
	char remote[256], want[320];
	json_t *res;
	int fd;

	snprintf(remote, sizeof(remote), "unix:%s/nope.sock", f->dir);
	assert_int_equal(cal_ovs_scan(&res, remote, 1000), CAL_EIO);
	snprintf(want, sizeof(want), "cannot reach OVSDB at %s: No such file or directory",
		 remote);
	assert_string_equal(cal_error_last(), want);

	/* A loopback port nobody listens on: bind one, learn it, close it. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&in, &alen), 0);
	close(fd);
	snprintf(remote, sizeof(remote), "tcp:127.0.0.1:%u", ntohs(in.sin_port));
	assert_int_equal(cal_ovs_scan(&res, remote, 1000), CAL_EIO);
	snprintf(want, sizeof(want), "cannot reach OVSDB at %s: Connection refused", remote);
	assert_string_equal(cal_error_last(), want);
	snprintf(remote, sizeof(remote), "tcp:[::1]:%u", ntohs(in.sin_port));
	assert_int_equal(cal_ovs_scan(&res, remote, 1000), CAL_EIO);
	assert_non_null(strstr(cal_error_last(), "cannot reach OVSDB at tcp:[::1]:"));
}

static void test_remotes(void **state)
{
	static const char *const bad[] = { "", "unix:", "tcp:", "tcp:127.0.0.1:0",
					   "tcp:127.0.0.1:65536", "tcp:127.0.0.1:x",
					   "tcp:ovs.example:6640", "tcp:[::1", "tcp:[::1]x",
					   "ssl:127.0.0.1:6640", "punix:/run/x.sock", "/run/x.sock" };
	static const char *const good[] = { "unix:/run/openvswitch/db.sock", "tcp:127.0.0.1:6640",
					    "tcp:127.0.0.1", "tcp:[::1]:6640", "tcp:[fe80::1]" };
	struct ovsdb_session *s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ovsdb_session_new(&s, bad[i], 100) != CAL_EINVALID)
			fail_msg("remote '%s' was accepted", bad[i]);
		assert_null(s);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (ovsdb_session_new(&s, good[i], 100) != 0)
			fail_msg("remote '%s' was refused: %s", good[i], cal_error_last());
		ovsdb_session_free(s);
	}
	unsetenv("OVS_RUNDIR");
	assert_string_equal(cal_ovs_default_remote(), "unix:/run/openvswitch/db.sock");
	setenv("OVS_RUNDIR", "/tmp/ovt-run", 1);
	assert_string_equal(cal_ovs_default_remote(), "unix:/tmp/ovt-run/db.sock");
	unsetenv("OVS_RUNDIR");
}

static void test_monitor_request(void **state)
{
	static const char *const cols[] = { "name", "ports", NULL };
	static const struct ovsdb_monitor_table t[] = { { "Bridge", cols } };
	json_t *p = ovsdb_monitor_params_new("Open_vSwitch", "m1", t, 1);
	char *text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);

	(void)state;
	assert_string_equal(text, "[\"Open_vSwitch\",\"m1\",{\"Bridge\":{\"columns\":"
				  "[\"name\",\"ports\"]}}]");
	free(text);
	json_decref(p);
}

/* ------------------------------------------------------------------ */
/* A real ovsdb-server                                                 */
/* ------------------------------------------------------------------ */

struct ovt_live {
	char dir[64];
	char sock[128];
	char remote[160];
	char db[128];
	pid_t pid;
};

static bool ovt_have(const char *path)
{
	return access(path, X_OK) == 0;
}

static int ovt_run(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int ovt_server_start(struct ovt_live *l)
{
	char remote_arg[200], log_arg[200], ctl_arg[200];
	struct stat sb;

	snprintf(remote_arg, sizeof(remote_arg), "--remote=punix:%s", l->sock);
	snprintf(log_arg, sizeof(log_arg), "--log-file=%s/ovsdb-server.log", l->dir);
	snprintf(ctl_arg, sizeof(ctl_arg), "--unixctl=%s/ctl", l->dir);
	l->pid = fork();
	if (l->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* Dies with the test binary, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 1);
		dup2(null, 2);
		execlp("ovsdb-server", "ovsdb-server", l->db, remote_arg, log_arg, ctl_arg,
		       "--no-chdir", (char *)NULL);
		_exit(127);
	}
	if (l->pid < 0)
		return -1;
	for (int i = 0; i < 500; i++) {
		if (stat(l->sock, &sb) == 0 && S_ISSOCK(sb.st_mode))
			return 0;
		usleep(10000);
	}
	return -1;
}

static void ovt_server_kill(struct ovt_live *l, int sig)
{
	if (l->pid > 0) {
		kill(l->pid, sig);
		waitpid(l->pid, NULL, 0);
		l->pid = 0;
	}
	unlink(l->sock);
}

static int ovt_live_setup(void **state)
{
	struct ovt_live *l;

	if (!ovt_have("/usr/sbin/ovsdb-server") && !ovt_have("/usr/bin/ovsdb-server"))
		return 0;
	l = calloc(1, sizeof(*l));
	snprintf(l->dir, sizeof(l->dir), "/tmp/ovt-live-XXXXXX");
	if (!mkdtemp(l->dir))
		return -1;
	snprintf(l->sock, sizeof(l->sock), "%s/db.sock", l->dir);
	snprintf(l->remote, sizeof(l->remote), "unix:%s", l->sock);
	snprintf(l->db, sizeof(l->db), "%s/conf.db", l->dir);
	char *create[] = { "ovsdb-tool", "create", l->db,
			   "/usr/share/openvswitch/vswitch.ovsschema", NULL };
	*state = l;
	if (ovt_run(create) != 0 || ovt_server_start(l) < 0)
		return -1;
	return 0;
}

static int ovt_live_teardown(void **state)
{
	struct ovt_live *l = *state;
	char *rm[] = { "rm", "-rf", NULL, NULL };

	if (!l)
		return 0;
	/* SIGKILL ends a stopped server too. */
	ovt_server_kill(l, SIGKILL);
	rm[2] = l->dir;
	ovt_run(rm);
	free(l);
	return 0;
}

static void ovt_vsctl(struct ovt_live *l, const char *a1, const char *a2)
{
	char db[200];
	char *argv[] = { "ovs-vsctl", db, "--no-wait", (char *)a1, (char *)a2, NULL };

	snprintf(db, sizeof(db), "--db=%s", l->remote);
	assert_int_equal(ovt_run(argv), 0);
}

static void test_live_server_killed_and_back(void **state)
{
	struct ovt_live *l = *state;
	struct ovsdb_session *s;
	json_t *res, *sec;

	if (!l)
		skip();
	ovt_vsctl(l, "init", NULL);
	ovt_vsctl(l, "add-br", "ovt-live0");
	assert_int_equal(ovsdb_session_new(&s, l->remote, 2000), 0);
	assert_int_equal(ovsdb_list_dbs(s, &res), 0);
	json_decref(res);
	assert_int_equal(ovsdb_get_schema(s, &res, "Open_vSwitch"), 0);
	assert_true(json_is_object(json_object_get(json_object_get(res, "tables"), "Interface")));
	json_decref(res);
	assert_true(ovsdb_session_is_connected(s));

	/* Killed between calls: the next call finds the connection dead,
	 * tries a new one and reports that nobody is there. */
	ovt_server_kill(l, SIGKILL);
	assert_int_equal(ovsdb_list_dbs(s, &res), CAL_EIO);
	assert_non_null(strstr(cal_error_last(), "cannot reach OVSDB at "));
	assert_int_equal(ovsdb_session_status(s), CAL_EIO);

	/* Back again: the session reconnects by itself (after its backoff). */
	assert_int_equal(ovt_server_start(l), 0);
	assert_int_equal(ovsdb_transact(s, &res, "Open_vSwitch", ovs_scan_ops_new()), 0);
	assert_int_equal(ovsdb_session_status(s), 0);
	assert_int_equal(ovs_section_build(&sec, l->remote, res), 0);
	assert_string_equal(cal_json_str(json_array_get(json_object_get(sec, "bridges"), 0),
					 "name"), "ovt-live0");
	json_decref(sec);
	json_decref(res);

	/* A stopped server: the call times out, the connection is dropped,
	 * and once the server runs again the next call works. */
	kill(l->pid, SIGSTOP);
	ovsdb_session_free(s);
	assert_int_equal(ovsdb_session_new(&s, l->remote, 300), 0);
	assert_int_equal(ovsdb_list_dbs(s, &res), CAL_ETIMEOUT);
	assert_false(ovsdb_session_is_connected(s));
	kill(l->pid, SIGCONT);
	assert_int_equal(ovsdb_list_dbs(s, &res), 0);
	json_decref(res);
	ovsdb_session_free(s);
}

static void ovt_live_update(const char *monitor_id, const char *table, const json_t *rows,
			    void *arg)
{
	const char *uuid;
	json_t *row;

	if (strcmp(monitor_id, "ovt") || strcmp(table, "Bridge"))
		return;
	json_object_foreach((json_t *)rows, uuid, row) {
		if (!strcmp(cal_json_str(json_object_get(row, "new"), "name"), "ovt-mon1"))
			*(int *)arg = 1;
	}
}

static void test_live_monitor(void **state)
{
	static const char *const cols[] = { "name", NULL };
	static const struct ovsdb_monitor_table t[] = { { "Bridge", cols } };
	struct ovt_live *l = *state;
	struct ovsdb_session *s;
	json_t *initial;
	int seen = 0;

	if (!l)
		skip();
	ovt_vsctl(l, "init", NULL);
	ovt_vsctl(l, "add-br", "ovt-mon0");
	assert_int_equal(ovsdb_session_new(&s, l->remote, 2000), 0);
	ovsdb_session_set_update_fn(s, ovt_live_update, &seen);
	assert_int_equal(ovsdb_monitor(s, &initial, "Open_vSwitch", "ovt", t, 1), 0);
	assert_int_equal(json_object_size(json_object_get(initial, "Bridge")), 1);
	json_decref(initial);
	ovt_vsctl(l, "add-br", "ovt-mon1");
	for (int i = 0; i < 50 && !seen; i++)
		assert_int_equal(ovsdb_session_run(s, 100), 0);
	assert_int_equal(seen, 1);
	ovsdb_session_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_dbs_reply),
		cmocka_unit_test(test_get_schema_reply),
		cmocka_unit_test(test_split_every_byte),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_several_messages_in_one_read),
		cmocka_unit_test(test_malformed_streams),
		cmocka_unit_test(test_depth_and_size_limits),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_recorded_error_replies),
		cmocka_unit_test(test_datum_decoding),
		cmocka_unit_test(test_datum_rejects),
		cmocka_unit_test(test_section_recorded),
		cmocka_unit_test(test_section_empty_db),
		cmocka_unit_test(test_section_wrong_types),
		cmocka_unit_test(test_section_dangling_refs),
		cmocka_unit_test(test_remotes),
		cmocka_unit_test(test_monitor_request),
		cmocka_unit_test_setup_teardown(test_session_echo_and_ids, ovt_fake_setup,
						ovt_fake_teardown),
		cmocka_unit_test_setup_teardown(test_session_error_reply, ovt_fake_setup,
						ovt_fake_teardown),
		cmocka_unit_test_setup_teardown(test_session_oversize_reply, ovt_fake_setup,
						ovt_fake_teardown),
		cmocka_unit_test_setup_teardown(test_session_closed_mid_message, ovt_fake_setup,
						ovt_fake_teardown),
		cmocka_unit_test_setup_teardown(test_session_timeout, ovt_fake_setup,
						ovt_fake_teardown),
		cmocka_unit_test_setup_teardown(test_unreachable, ovt_fake_setup, ovt_fake_teardown),
		cmocka_unit_test_setup_teardown(test_live_server_killed_and_back, ovt_live_setup,
						ovt_live_teardown),
		cmocka_unit_test_setup_teardown(test_live_monitor, ovt_live_setup,
						ovt_live_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
