/* test_store.c - the temporal store: environments, scans, commit semantics,
 * time travel, history, filters, timestamps, open errors.
 *
 * Every behavioural test runs twice: on a fresh SQLite file in a temporary
 * directory (/tmp/cst-*), and on PostgreSQL when CALIPSO_TEST_PG_URI names
 * a server (scripts/pg-test-server.sh start DIR prints one); each
 * PostgreSQL case starts from an empty schema of its process (cst_t<pid>,
 * dropped after), so that two runs can share a server.  Without the
 * variable the PostgreSQL cases are skipped with a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "core/core.h"
#include "store/store.h"
#include "store/store_int.h" /* st_canon_split(), checked against core */

#define FX_PREFIX "cst"
#include "store_fixture.h"

#define T0 1795334400000000LL /* 2026-11-22T08:00:00Z */
#define SEC 1000000LL

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

/* Closes and opens the store again (persistence). */
static cal_store *fx_reopen(void **state)
{
	struct fx *f = *state;

	cal_store_close(f->st);
	f->st = NULL;
	assert_int_equal(cal_store_open(&f->st, f->uri), 0);
	return f->st;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static json_t *mk_obj(const char *env, enum cal_obj_type type, const char *id, const char *name,
		      const char *host, const char *source, const json_t *parent)
{
	json_t *o = cal_object_new(env, type, id, name, host);

	assert_non_null(o);
	if (parent)
		assert_int_equal(cal_object_set_parent(o, parent), 0);
	if (source)
		json_object_set_new(o, CAL_F_SOURCE, json_string(source));
	return o;
}

static void put(json_t *map, json_t *doc)
{
	assert_int_equal(json_object_set_new(map, cal_json_str(doc, CAL_F_ID), doc), 0);
}

static json_t *answered1(const char *host, const char *source)
{
	return json_pack("[{s:s, s:s}]", "host", host, "source", source);
}

static int commit(cal_store *st, struct cal_commit_stats *stats, const char *env, int64_t ts,
		  const json_t *objects, const json_t *links, const json_t *answered, bool clear)
{
	struct cal_commit c = { .env = env, .ts = ts, .objects = objects, .links = links,
				.answered = answered, .clear = clear };

	return cal_store_commit(st, &c, stats);
}

static void assert_stats(const struct cal_commit_stats *s, int added, int changed, int removed,
			 int unchanged)
{
	assert_int_equal(s->objects_added, added);
	assert_int_equal(s->objects_changed, changed);
	assert_int_equal(s->objects_removed, removed);
	assert_int_equal(s->objects_unchanged, unchanged);
}

static size_t nrevisions(cal_store *st, const char *env, const char *id)
{
	json_t *h;
	size_t n;

	if (cal_store_history(st, &h, env, id))
		return 0;
	n = json_array_size(h);
	json_decref(h);
	return n;
}

/* A small environment "e1": host h1 with two NICs (netlink) and a bridge
 * (netlink), an OVS vedge (ovsdb), a network without host (openstack). */
static json_t *small_env(void)
{
	json_t *m = json_object();
	json_t *h1 = mk_obj("e1", CAL_T_HOST, "h1", "h1", "h1", "netlink", NULL);
	json_t *p1 = mk_obj("e1", CAL_T_HOST_PNIC, "h1:host_pnic:eth0", "eth0", "h1", "netlink",
			    h1);
	json_t *p2 = mk_obj("e1", CAL_T_HOST_PNIC, "h1:host_pnic:eth1", "eth1", "h1", "netlink",
			    h1);
	json_t *br = mk_obj("e1", CAL_T_VCONNECTOR, "h1:vconnector:br0", "br0", "h1", "netlink",
			    h1);
	json_t *ve = mk_obj("e1", CAL_T_VEDGE, "h1:vedge:ovs", "ovs", "h1", "ovsdb", h1);
	json_t *net = mk_obj("e1", CAL_T_NETWORK, "net-a", "net-a", NULL, "openstack", NULL);

	json_object_set_new(p1, "mtu", json_integer(1500));
	json_object_set_new(p2, "mtu", json_integer(9000));
	put(m, h1);
	put(m, p1);
	put(m, p2);
	put(m, br);
	put(m, ve);
	put(m, net);
	return m;
}

static json_t *small_links(const json_t *objs)
{
	json_t *m = json_object();
	json_t *l1 = cal_link_new("e1", json_object_get(objs, "h1:host_pnic:eth0"),
				  json_object_get(objs, "h1:vconnector:br0"), "eth0", "up", NULL,
				  "h1");
	json_t *l2 = cal_link_new("e1", json_object_get(objs, "h1:vconnector:br0"),
				  json_object_get(objs, "h1:vedge:ovs"), "br0", "up", "net-a", "h1");

	assert_non_null(l1);
	assert_non_null(l2);
	put(m, l1);
	put(m, l2);
	return m;
}

/* ------------------------------------------------------------------ */
/* Environments                                                        */
/* ------------------------------------------------------------------ */

static void test_env_crud(void **state)
{
	cal_store *st = fx_store(state);
	json_t *cfg = json_pack("{s:s, s:[]}", "name", "lab", "hosts");
	json_t *cfg2 = json_pack("{s:s, s:s}", "name", "lab", "default_host", "h1");
	json_t *out, *list, *arr = json_array();

	assert_int_equal(cal_store_env_put(st, "lab", cfg, false), 0);
	assert_int_equal(cal_store_env_put(st, "lab", cfg2, false), CAL_EEXISTS);
	assert_non_null(strstr(cal_error_last(), "'lab'"));
	assert_int_equal(cal_store_env_get(st, &out, "lab"), 0);
	assert_true(json_equal(out, cfg));
	json_decref(out);
	assert_int_equal(cal_store_env_put(st, "lab", cfg2, true), 0);
	assert_int_equal(cal_store_env_put(st, "alpha", cfg, false), 0);
	assert_int_equal(cal_store_env_put(st, "bad", arr, false), CAL_EINVALID);
	st = fx_reopen(state);
	assert_int_equal(cal_store_env_get(st, &out, "lab"), 0);
	assert_true(json_equal(out, cfg2));
	json_decref(out);
	assert_int_equal(cal_store_env_list(st, &list), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(cal_json_str(json_array_get(list, 0), "name"), "alpha");
	assert_string_equal(cal_json_str(json_array_get(list, 1), "name"), "lab");
	assert_true(json_equal(json_object_get(json_array_get(list, 1), "config"), cfg2));
	assert_int_equal(strlen(cal_json_str(json_array_get(list, 1), "created")), 27);
	json_decref(list);
	assert_int_equal(cal_store_env_remove(st, "lab"), 0);
	assert_int_equal(cal_store_env_get(st, &out, "lab"), CAL_ENOTFOUND);
	assert_non_null(strstr(cal_error_last(), "environment 'lab' not found"));
	assert_int_equal(cal_store_env_remove(st, "lab"), CAL_ENOTFOUND);
	assert_int_equal(cal_store_env_list(st, &list), 0);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	json_decref(cfg);
	json_decref(cfg2);
	json_decref(arr);
}

/* ------------------------------------------------------------------ */
/* Scans                                                               */
/* ------------------------------------------------------------------ */

static void test_scan_status_names(void **state)
{
	static const char *const names[] = { "pending", "running", "completed",
					     "completed_with_errors", "failed", "aborted" };

	(void)state;
	for (int i = 0; i < 6; i++) {
		assert_string_equal(cal_scan_status_name((enum cal_scan_status)i), names[i]);
		assert_int_equal(cal_scan_status_from_name(names[i]), i);
	}
	assert_int_equal(cal_scan_status_from_name("draft"), -1);
	assert_int_equal(cal_scan_status_from_name(NULL), -1);
}

static void test_scan_lifecycle(void **state)
{
	cal_store *st = fx_store(state);
	json_t *req = json_pack("{s:b}", "clear", 0);
	json_t *r1 = json_pack("{s:[s]}", "sources", "netlink");
	json_t *r2 = json_pack("{s:{s:i}}", "counts", "host", 2);
	json_t *scan, *list;
	int64_t id1, id2, id3;

	assert_int_equal(cal_store_scan_create(st, &id1, "e1", req), 0);
	assert_int_equal(cal_store_scan_create(st, &id2, "e2", NULL), 0);
	assert_int_equal(cal_store_scan_create(st, &id3, "e1", NULL), 0);
	assert_true(id1 > 0 && id2 > id1 && id3 > id2);
	assert_int_equal(cal_store_scan_get(st, &scan, id1), 0);
	assert_string_equal(cal_json_str(scan, "status"), "pending");
	assert_string_equal(cal_json_str(scan, "environment"), "e1");
	assert_true(json_equal(json_object_get(scan, "request"), req));
	assert_true(json_is_null(json_object_get(scan, "started")));
	assert_true(json_is_null(json_object_get(scan, "finished")));
	assert_true(json_is_string(json_object_get(scan, "created")));
	json_decref(scan);

	assert_int_equal(cal_store_scan_update(st, id1, CAL_SCAN_RUNNING, r1), 0);
	assert_int_equal(cal_store_scan_get(st, &scan, id1), 0);
	assert_string_equal(cal_json_str(scan, "status"), "running");
	assert_true(json_is_string(json_object_get(scan, "started")));
	assert_true(json_is_null(json_object_get(scan, "finished")));
	json_decref(scan);

	assert_int_equal(cal_store_scan_update(st, id1, CAL_SCAN_COMPLETED_WITH_ERRORS, r2), 0);
	assert_int_equal(cal_store_scan_get(st, &scan, id1), 0);
	assert_string_equal(cal_json_str(scan, "status"), "completed_with_errors");
	assert_true(json_is_string(json_object_get(scan, "finished")));
	/* Both results are kept: merged, not replaced. */
	assert_string_equal(
		json_string_value(json_array_get(
			json_object_get(json_object_get(scan, "result"), "sources"), 0)),
		"netlink");
	assert_int_equal(cal_json_int(json_object_get(json_object_get(scan, "result"), "counts"),
				      "host", 0),
			 2);
	json_decref(scan);

	assert_int_equal(cal_store_scan_list(st, &list, NULL, 0), 0);
	assert_int_equal(json_array_size(list), 3);
	assert_int_equal(cal_json_int(json_array_get(list, 0), "id", 0), id3);
	json_decref(list);
	assert_int_equal(cal_store_scan_list(st, &list, "e1", 1), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(cal_json_int(json_array_get(list, 0), "id", 0), id3);
	json_decref(list);

	/* A scan left running by a crash. */
	assert_int_equal(cal_store_scan_update(st, id3, CAL_SCAN_RUNNING, NULL), 0);
	st = fx_reopen(state);
	assert_int_equal(cal_store_scan_fail_stale(st, "calipso restarted"), 1);
	assert_int_equal(cal_store_scan_get(st, &scan, id3), 0);
	assert_string_equal(cal_json_str(scan, "status"), "failed");
	assert_string_equal(cal_json_str(json_object_get(scan, "result"), "error"),
			    "calipso restarted");
	assert_true(json_is_string(json_object_get(scan, "finished")));
	json_decref(scan);
	assert_int_equal(cal_store_scan_get(st, &scan, id2), 0);
	assert_string_equal(cal_json_str(scan, "status"), "pending");
	json_decref(scan);
	assert_int_equal(cal_store_scan_fail_stale(st, NULL), 0);

	assert_int_equal(cal_store_scan_get(st, &scan, id3 + 100), CAL_ENOTFOUND);
	assert_int_equal(cal_store_scan_update(st, id3 + 100, CAL_SCAN_RUNNING, NULL),
			 CAL_ENOTFOUND);
	json_decref(req);
	json_decref(r1);
	json_decref(r2);
}

/* ------------------------------------------------------------------ */
/* Commit semantics                                                    */
/* ------------------------------------------------------------------ */

static void test_commit_unchanged_writes_nothing(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = small_env(), *links = small_links(objs), *ans = answered1("h1", "netlink");
	json_t *hist;
	struct cal_commit_stats s;

	assert_int_equal(commit(st, &s, "e1", T0, objs, links, ans, false), 0);
	assert_stats(&s, 6, 0, 0, 0);
	assert_int_equal(s.links_added, 2);
	assert_int_equal(s.ts, T0);
	assert_int_equal(commit(st, &s, "e1", T0 + SEC, objs, links, ans, false), 0);
	assert_stats(&s, 0, 0, 0, 6);
	assert_int_equal(s.links_unchanged, 2);
	assert_int_equal(s.links_added + s.links_changed + s.links_removed, 0);
	assert_int_equal(nrevisions(st, "e1", "h1:host_pnic:eth0"), 1);
	assert_int_equal(cal_store_history(st, &hist, "e1", "h1:host_pnic:eth0"), 0);
	assert_true(json_is_null(json_object_get(json_array_get(hist, 0), "valid_to")));
	json_decref(hist);
	/* Another environment's ids are independent. */
	assert_int_equal(commit(st, &s, "e2", T0, objs, NULL, NULL, false), 0);
	assert_stats(&s, 6, 0, 0, 0);
	json_decref(objs);
	json_decref(links);
	json_decref(ans);
}

static void test_commit_changed_field_one_revision(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = small_env(), *ans = answered1("h1", "netlink");
	json_t *hist, *got;
	struct cal_commit_stats s;
	char buf[CAL_TIME_BUFSZ];

	assert_int_equal(commit(st, &s, "e1", T0, objs, NULL, ans, false), 0);
	json_object_set_new(json_object_get(objs, "h1:host_pnic:eth0"), "mtu",
			    json_integer(1400));
	assert_int_equal(commit(st, &s, "e1", T0 + SEC, objs, NULL, ans, false), 0);
	assert_stats(&s, 0, 1, 0, 5);
	assert_int_equal(cal_store_history(st, &hist, "e1", "h1:host_pnic:eth0"), 0);
	assert_int_equal(json_array_size(hist), 2);
	assert_string_equal(cal_json_str(json_array_get(hist, 0), "valid_to"),
			    cal_time_format(buf, T0 + SEC));
	assert_string_equal(cal_json_str(json_array_get(hist, 1), "valid_from"),
			    cal_time_format(buf, T0 + SEC));
	assert_int_equal(cal_json_int(json_object_get(json_array_get(hist, 1), "doc"), "mtu", 0),
			 1400);
	assert_string_not_equal(cal_json_str(json_array_get(hist, 0), "hash"),
				cal_json_str(json_array_get(hist, 1), "hash"));
	json_decref(hist);
	assert_int_equal(nrevisions(st, "e1", "h1:host_pnic:eth1"), 1);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth0", 0), 0);
	assert_int_equal(cal_json_int(got, "mtu", 0), 1400);
	json_decref(got);
	json_decref(objs);
	json_decref(ans);
}

static void test_commit_removal_by_answered_source(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = small_env(), *ans = answered1("h1", "netlink");
	json_t *hist, *got;
	struct cal_commit_stats s;

	assert_int_equal(commit(st, &s, "e1", T0, objs, NULL, ans, false), 0);
	/* eth1 (netlink, answered) and the vedge (ovsdb, silent) vanish. */
	json_object_del(objs, "h1:host_pnic:eth1");
	json_object_del(objs, "h1:vedge:ovs");
	assert_int_equal(commit(st, &s, "e1", T0 + SEC, objs, NULL, ans, false), 0);
	assert_stats(&s, 0, 0, 1, 4);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth1", 0),
			 CAL_ENOTFOUND);
	assert_non_null(strstr(cal_error_last(), "h1:host_pnic:eth1"));
	assert_int_equal(cal_store_history(st, &hist, "e1", "h1:host_pnic:eth1"), 0);
	assert_int_equal(json_array_size(hist), 1);
	assert_true(json_is_string(json_object_get(json_array_get(hist, 0), "valid_to")));
	json_decref(hist);
	/* The silent source's object is kept, untouched. */
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:vedge:ovs", 0), 0);
	json_decref(got);
	assert_int_equal(nrevisions(st, "e1", "h1:vedge:ovs"), 1);
	/* Hostless objects answer as host "". */
	json_object_del(objs, "net-a");
	json_decref(ans);
	ans = answered1("", "openstack");
	assert_int_equal(commit(st, &s, "e1", T0 + 2 * SEC, objs, NULL, ans, false), 0);
	assert_stats(&s, 0, 0, 1, 3);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "net-a", 0), CAL_ENOTFOUND);
	/* An object that comes back gets a new revision. */
	json_object_set_new(objs, "net-a",
			    mk_obj("e1", CAL_T_NETWORK, "net-a", "net-a", NULL, "openstack", NULL));
	assert_int_equal(commit(st, &s, "e1", T0 + 3 * SEC, objs, NULL, ans, false), 0);
	assert_stats(&s, 1, 0, 0, 3);
	assert_int_equal(nrevisions(st, "e1", "net-a"), 2);
	json_decref(objs);
	json_decref(ans);
}

static void test_commit_volatile_only(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = small_env(), *ans = answered1("h1", "netlink");
	json_t *eth0 = json_object_get(objs, "h1:host_pnic:eth0");
	json_t *got, *arr;
	struct cal_commit_stats s;
	struct cal_query q = { .env = "e1", .id = "h1:host_pnic:eth0", .with_volatile = true };

	json_object_set_new(eth0, "stats", json_pack("{s:i}", "rx_bytes", 100));
	json_object_set_new(eth0, CAL_F_LAST_SCANNED, json_string("2026-11-22T08:00:00Z"));
	json_object_set_new(json_object_get(objs, "h1"), CAL_F_LAST_SCANNED,
			    json_string("2026-11-22T08:00:00Z"));
	assert_int_equal(commit(st, &s, "e1", T0, objs, NULL, ans, false), 0);
	/* One group: (h1, netlink). */
	assert_int_equal(s.volatile_written, 1);
	/* The same volatile values again: nothing written at all. */
	assert_int_equal(commit(st, &s, "e1", T0 + SEC / 2, objs, NULL, ans, false), 0);
	assert_stats(&s, 0, 0, 0, 6);
	assert_int_equal(s.volatile_written, 0);
	json_object_set_new(eth0, "stats", json_pack("{s:i}", "rx_bytes", 250));
	json_object_set_new(eth0, CAL_F_LAST_SCANNED, json_string("2026-11-22T08:00:01Z"));
	assert_int_equal(commit(st, &s, "e1", T0 + SEC, objs, NULL, ans, false), 0);
	assert_stats(&s, 0, 0, 0, 6);
	assert_int_equal(s.volatile_written, 1);
	assert_int_equal(nrevisions(st, "e1", "h1:host_pnic:eth0"), 1);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth0", 0), 0);
	assert_int_equal(cal_json_int(json_object_get(got, "stats"), "rx_bytes", 0), 250);
	assert_string_equal(cal_json_str(got, CAL_F_LAST_SCANNED), "2026-11-22T08:00:01Z");
	json_decref(got);
	/* Without the volatile table, and in the past: the stable doc only. */
	q.with_volatile = false;
	assert_int_equal(cal_store_objects(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_null(json_object_get(json_array_get(arr, 0), "stats"));
	assert_int_equal(cal_json_int(json_array_get(arr, 0), "mtu", 0), 1500);
	json_decref(arr);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth0", T0 + SEC), 0);
	assert_null(json_object_get(got, "stats"));
	json_decref(got);
	/* Volatile fields dropped: they are gone from the merged doc. */
	json_object_del(eth0, "stats");
	json_object_del(eth0, CAL_F_LAST_SCANNED);
	assert_int_equal(commit(st, &s, "e1", T0 + 2 * SEC, objs, NULL, ans, false), 0);
	assert_stats(&s, 0, 0, 0, 6);
	assert_int_equal(s.volatile_written, 1);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth0", 0), 0);
	assert_null(json_object_get(got, "stats"));
	assert_true(json_equal(got, eth0));
	json_decref(got);
	/* The last volatile field of the group goes: its row is deleted. */
	json_object_del(json_object_get(objs, "h1"), CAL_F_LAST_SCANNED);
	assert_int_equal(commit(st, &s, "e1", T0 + 3 * SEC, objs, NULL, ans, false), 0);
	assert_int_equal(s.volatile_written, 1);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1", 0), 0);
	assert_true(json_equal(got, json_object_get(objs, "h1")));
	json_decref(got);
	json_decref(objs);
	json_decref(ans);
}

/* Volatile fields of objects whose source did not answer stay with them;
 * a removed object's go; an object that moves takes its own along. */
static void test_volatile_groups(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = small_env(), *ans = answered1("h1", "netlink"), *partial, *got, *arr;
	json_t *ve = json_object_get(objs, "h1:vedge:ovs");
	struct cal_commit_stats s;
	struct cal_query q = { .env = "e1", .with_volatile = true };
	const char *key;
	json_t *doc;

	json_object_foreach(objs, key, doc)
		json_object_set_new(doc, CAL_F_LAST_SCANNED, json_string("t1"));
	json_object_set_new(ve, "stats", json_pack("{s:i}", "flows", 7));
	assert_int_equal(commit(st, &s, "e1", T0, objs, NULL, ans, false), 0);
	/* (h1, netlink), (h1, ovsdb), ("", openstack) */
	assert_int_equal(s.volatile_written, 3);

	/* netlink answers again without eth1; ovsdb is silent: the vedge
	 * keeps its fields; only part of the netlink group is sent back. */
	partial = json_deep_copy(objs);
	json_object_del(partial, "h1:vedge:ovs");
	json_object_del(partial, "h1:host_pnic:eth1");
	json_object_foreach(partial, key, doc)
		json_object_set_new(doc, CAL_F_LAST_SCANNED, json_string("t2"));
	assert_int_equal(commit(st, &s, "e1", T0 + SEC, partial, NULL, ans, false), 0);
	assert_stats(&s, 0, 0, 1, 4);
	assert_int_equal(s.volatile_written, 2);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:vedge:ovs", 0), 0);
	assert_string_equal(cal_json_str(got, CAL_F_LAST_SCANNED), "t1");
	assert_int_equal(cal_json_int(json_object_get(got, "stats"), "flows", 0), 7);
	json_decref(got);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth0", 0), 0);
	assert_string_equal(cal_json_str(got, CAL_F_LAST_SCANNED), "t2");
	json_decref(got);

	/* A group only partly in the commit, its source silent: members
	 * absent keep theirs, members present get their new values. */
	json_object_set_new(objs, "h1:vedge:ovs2",
			    mk_obj("e1", CAL_T_VEDGE, "h1:vedge:ovs2", "ovs2", "h1", "ovsdb",
				   json_object_get(objs, "h1")));
	json_object_set_new(json_object_get(objs, "h1:vedge:ovs2"), CAL_F_LAST_SCANNED,
			    json_string("t1"));
	json_object_del(partial, "h1:vedge:ovs2");
	json_object_set(partial, "h1:vedge:ovs2", json_object_get(objs, "h1:vedge:ovs2"));
	assert_int_equal(commit(st, &s, "e1", T0 + 2 * SEC, partial, NULL, ans, false), 0);
	assert_stats(&s, 1, 0, 0, 4);
	json_object_set_new(json_object_get(partial, "h1:vedge:ovs2"), CAL_F_LAST_SCANNED,
			    json_string("t3"));
	assert_int_equal(commit(st, &s, "e1", T0 + 3 * SEC, partial, NULL, ans, false), 0);
	assert_int_equal(s.volatile_written, 1);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:vedge:ovs2", 0), 0);
	assert_string_equal(cal_json_str(got, CAL_F_LAST_SCANNED), "t3");
	json_decref(got);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:vedge:ovs", 0), 0);
	assert_string_equal(cal_json_str(got, CAL_F_LAST_SCANNED), "t1");
	assert_int_equal(cal_json_int(json_object_get(got, "stats"), "flows", 0), 7);
	json_decref(got);

	/* eth0 moves to host h2: its fields follow it. */
	doc = json_object_get(partial, "h1:host_pnic:eth0");
	json_object_set_new(doc, CAL_F_HOST, json_string("h2"));
	json_object_set_new(doc, CAL_F_LAST_SCANNED, json_string("t4"));
	assert_int_equal(commit(st, &s, "e1", T0 + 4 * SEC, partial, NULL, ans, false), 0);
	assert_stats(&s, 0, 1, 0, 4);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth0", 0), 0);
	assert_string_equal(cal_json_str(got, CAL_F_HOST), "h2");
	assert_string_equal(cal_json_str(got, CAL_F_LAST_SCANNED), "t4");
	json_decref(got);

	/* A removed object's fields do not come back with it. */
	json_object_set_new(objs, "h1:host_pnic:eth1",
			    mk_obj("e1", CAL_T_HOST_PNIC, "h1:host_pnic:eth1", "eth1", "h1",
				   "netlink", json_object_get(objs, "h1")));
	json_object_set(partial, "h1:host_pnic:eth1", json_object_get(objs, "h1:host_pnic:eth1"));
	assert_int_equal(commit(st, &s, "e1", T0 + 5 * SEC, partial, NULL, ans, false), 0);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth1", 0), 0);
	assert_null(json_object_get(got, CAL_F_LAST_SCANNED));
	json_decref(got);

	/* Every object at once, each with its own group's values. */
	assert_int_equal(cal_store_objects(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 7);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		const char *id = cal_json_str(o, CAL_F_ID);

		if (strcmp(id, "h1:vedge:ovs") == 0)
			assert_string_equal(cal_json_str(o, CAL_F_LAST_SCANNED), "t1");
		else if (strcmp(id, "h1:host_pnic:eth1") == 0)
			assert_null(json_object_get(o, CAL_F_LAST_SCANNED));
		else if (strcmp(id, "h1:host_pnic:eth0") == 0)
			assert_string_equal(cal_json_str(o, CAL_F_LAST_SCANNED), "t4");
		else if (strcmp(id, "h1:vedge:ovs2") == 0)
			assert_string_equal(cal_json_str(o, CAL_F_LAST_SCANNED), "t3");
		else
			assert_string_equal(cal_json_str(o, CAL_F_LAST_SCANNED), "t2");
	}
	json_decref(arr);
	json_decref(partial);
	json_decref(objs);
	json_decref(ans);
}

/* Beyond a few groups, a listing reads all of the environment's groups in
 * one query: every object still gets its own values. */
static void test_volatile_many_groups(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = json_object(), *links = json_object(), *arr, *prev = NULL;
	struct cal_commit_stats s;
	struct cal_query q = { .env = "e1", .with_volatile = true };

	for (int h = 0; h < 40; h++) {
		char host[16], when[16];
		json_t *o;

		snprintf(host, sizeof(host), "h%02d", h);
		snprintf(when, sizeof(when), "t%02d", h);
		o = mk_obj("e1", CAL_T_HOST, host, host, host, "netlink", NULL);
		json_object_set_new(o, CAL_F_LAST_SCANNED, json_string(when));
		if (prev) {
			json_t *l = cal_link_new("e1", prev, o, "x", "up", NULL, host);

			json_object_set_new(l, CAL_F_LAST_SCANNED, json_string(when));
			json_object_set_new(links, cal_json_str(l, CAL_F_ID), l);
		}
		put(objs, o);
		prev = o;
	}
	assert_int_equal(commit(st, &s, "e1", T0, objs, links, NULL, false), 0);
	assert_int_equal(s.volatile_written, 40 + 39);
	assert_int_equal(cal_store_objects(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 40);
	for (size_t i = 0; i < 40; i++) {
		json_t *o = json_array_get(arr, i);

		assert_string_equal(cal_json_str(o, CAL_F_LAST_SCANNED) + 1,
				    cal_json_str(o, CAL_F_ID) + 1);
	}
	json_decref(arr);
	assert_int_equal(cal_store_links(st, &arr, &q, NULL), 0);
	assert_int_equal(json_array_size(arr), 39);
	for (size_t i = 0; i < 39; i++) {
		json_t *l = json_array_get(arr, i);

		assert_string_equal(cal_json_str(l, CAL_F_LAST_SCANNED) + 1,
				    cal_json_str(l, CAL_F_HOST) + 1);
	}
	json_decref(arr);
	q.host = "h07";
	assert_int_equal(cal_store_links(st, &arr, &q, NULL), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(cal_json_str(json_array_get(arr, 0), CAL_F_LAST_SCANNED), "t07");
	json_decref(arr);
	json_decref(objs);
	json_decref(links);

	/* Host and source names may hold any character. */
	objs = json_object();
	put(objs, mk_obj("e2", CAL_T_HOST, "odd", "odd", "a\x1f" "b", "c\x1f" "d", NULL));
	json_object_set_new(json_object_get(objs, "odd"), CAL_F_LAST_SCANNED, json_string("t"));
	put(objs, mk_obj("e2", CAL_T_HOST, "odd2", "odd2", "a", "b\x1f" "c\x1f" "d", NULL));
	json_object_set_new(json_object_get(objs, "odd2"), CAL_F_LAST_SCANNED, json_string("u"));
	assert_int_equal(commit(st, &s, "e2", T0, objs, NULL, NULL, false), 0);
	assert_int_equal(s.volatile_written, 2);
	assert_int_equal(commit(st, &s, "e2", T0 + 1, objs, NULL, NULL, false), 0);
	assert_int_equal(s.volatile_written, 0);
	q.env = "e2";
	q.host = NULL;
	assert_int_equal(cal_store_objects(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 2);
	assert_true(json_equal(json_array_get(arr, 0), json_object_get(objs, "odd")));
	assert_true(json_equal(json_array_get(arr, 1), json_object_get(objs, "odd2")));
	json_decref(arr);
	json_decref(objs);
}

static void test_commit_clear(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = small_env(), *links = small_links(objs), *empty = json_object();
	json_t *counts, *arr;
	struct cal_commit_stats s;
	struct cal_query q = { .env = "e1" };

	assert_int_equal(commit(st, &s, "e1", T0, objs, links, NULL, false), 0);
	/* Nobody answered: nothing is removed. */
	assert_int_equal(commit(st, &s, "e1", T0 + SEC, empty, NULL, NULL, false), 0);
	assert_stats(&s, 0, 0, 0, 0);
	assert_int_equal(s.links_removed, 0);
	assert_int_equal(cal_store_counts(st, &counts, "e1"), 0);
	assert_int_equal(cal_json_int(counts, "host_pnic", 0), 2);
	json_decref(counts);
	/* Links are a whole set: an empty set removes them. */
	assert_int_equal(commit(st, &s, "e1", T0 + 2 * SEC, objs, empty, NULL, false), 0);
	assert_int_equal(s.links_removed, 2);
	assert_int_equal(cal_store_links(st, &arr, &q, NULL), 0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	/* clear: everything absent goes, whatever its source. */
	assert_int_equal(commit(st, &s, "e1", T0 + 3 * SEC, empty, NULL, NULL, true), 0);
	assert_stats(&s, 0, 0, 6, 0);
	assert_int_equal(cal_store_objects(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	assert_int_equal(cal_store_counts(st, &counts, "e1"), 0);
	assert_int_equal(json_object_size(counts), 0);
	json_decref(counts);
	json_decref(objs);
	json_decref(links);
	json_decref(empty);
}

static void test_commit_links(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = small_env(), *links = small_links(objs), *arr;
	struct cal_commit_stats s;
	struct cal_query q = { .env = "e1" };
	json_t *l1;
	const char *l1id;

	assert_int_equal(commit(st, &s, "e1", T0, objs, links, NULL, false), 0);
	assert_int_equal(cal_store_links(st, &arr, &q, "h1:vconnector:br0"), 0);
	assert_int_equal(json_array_size(arr), 2);
	json_decref(arr);
	assert_int_equal(cal_store_links(st, &arr, &q, "h1:host_pnic:eth0"), 0);
	assert_int_equal(json_array_size(arr), 1);
	l1 = json_array_get(arr, 0);
	assert_string_equal(cal_json_str(l1, CAL_F_SOURCE_ID), "h1:host_pnic:eth0");
	l1id = cal_json_str(l1, CAL_F_ID);
	/* A link state change is a new revision. */
	json_object_set_new(json_object_get(links, l1id), CAL_F_STATE, json_string("down"));
	assert_int_equal(commit(st, &s, "e1", T0 + SEC, objs, links, NULL, false), 0);
	assert_int_equal(s.links_changed, 1);
	assert_int_equal(s.links_unchanged, 1);
	assert_int_equal(nrevisions(st, "e1", l1id), 2);
	json_decref(arr);
	q.type = "vconnector-vedge";
	assert_int_equal(cal_store_links(st, &arr, &q, NULL), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(cal_json_str(json_object_get(json_array_get(arr, 0), "attributes"),
					 "network"),
			    "net-a");
	json_decref(arr);
	q.type = NULL;
	q.at = T0;
	assert_int_equal(cal_store_links(st, &arr, &q, "h1:host_pnic:eth0"), 0);
	assert_string_equal(cal_json_str(json_array_get(arr, 0), CAL_F_STATE), "up");
	json_decref(arr);
	json_decref(objs);
	json_decref(links);
}

static void test_commit_rejects_bad_input(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = json_pack("{s:[]}", "x");
	json_t *objs2 = json_pack("{s:{s:s}}", "x", "id", "y");
	json_t *arr = json_array(), *counts;
	struct cal_commit_stats s;

	assert_int_equal(commit(st, &s, "e1", T0, objs, NULL, NULL, false), CAL_EINVALID);
	assert_int_equal(commit(st, &s, "e1", T0, objs2, NULL, NULL, false), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "'y'"));
	{
		json_t *mixed = small_env();

		json_object_set_new(mixed, "zz-bad", json_string("not an object"));
		assert_int_equal(commit(st, &s, "e1", T0, mixed, NULL, NULL, false),
				 CAL_EINVALID);
		assert_non_null(strstr(cal_error_last(), "'zz-bad' is not a JSON object"));
		json_decref(mixed);
	}
	assert_int_equal(commit(st, &s, "e1", T0, arr, NULL, NULL, false), CAL_EINVALID);
	assert_int_equal(commit(st, &s, "", T0, NULL, NULL, NULL, false), CAL_EINVALID);
	/* Nothing of a failed commit stays. */
	assert_int_equal(cal_store_counts(st, &counts, "e1"), 0);
	assert_int_equal(json_object_size(counts), 0);
	json_decref(counts);
	json_decref(objs);
	json_decref(objs2);
	json_decref(arr);
}

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

static void test_time_travel(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = small_env(), *ans = answered1("h1", "netlink");
	json_t *got, *arr;
	struct cal_commit_stats s;
	struct cal_query q = { .env = "e1", .type = "host_pnic" };

	assert_int_equal(commit(st, &s, "e1", T0, objs, NULL, ans, false), 0);
	json_object_set_new(json_object_get(objs, "h1:host_pnic:eth0"), "mtu",
			    json_integer(1400));
	json_object_del(objs, "h1:host_pnic:eth1");
	assert_int_equal(commit(st, &s, "e1", T0 + 10 * SEC, objs, NULL, ans, false), 0);

	/* Between the revisions: the older document. */
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth0", T0 + 5 * SEC),
			 0);
	assert_int_equal(cal_json_int(got, "mtu", 0), 1500);
	json_decref(got);
	/* valid_from is inclusive, valid_to exclusive. */
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth0", T0), 0);
	assert_int_equal(cal_json_int(got, "mtu", 0), 1500);
	json_decref(got);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth0", T0 + 10 * SEC),
			 0);
	assert_int_equal(cal_json_int(got, "mtu", 0), 1400);
	json_decref(got);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth0", T0 - 1),
			 CAL_ENOTFOUND);
	assert_non_null(strstr(cal_error_last(), " at 2026-11-22T07:59:59.999999Z"));
	/* The whole inventory at a time. */
	q.at = T0 + 5 * SEC;
	assert_int_equal(cal_store_objects(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 2);
	json_decref(arr);
	q.at = T0 + 10 * SEC;
	assert_int_equal(cal_store_objects(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
	q.at = 0;
	assert_int_equal(cal_store_objects(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
	json_decref(objs);
	json_decref(ans);
}

static void test_history(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = small_env(), *ans = answered1("h1", "netlink");
	json_t *h, *got;
	struct cal_commit_stats s;
	char buf[CAL_TIME_BUFSZ];
	json_t *eth0 = json_object_get(objs, "h1:host_pnic:eth0");

	for (int i = 0; i < 3; i++) {
		json_object_set_new(eth0, "mtu", json_integer(1500 + i));
		assert_int_equal(commit(st, &s, "e1", T0 + i * SEC, objs, NULL, ans, false), 0);
	}
	json_object_del(objs, "h1:host_pnic:eth0");
	assert_int_equal(commit(st, &s, "e1", T0 + 3 * SEC, objs, NULL, ans, false), 0);
	assert_int_equal(cal_store_history(st, &h, "e1", "h1:host_pnic:eth0"), 0);
	assert_int_equal(json_array_size(h), 3);
	for (int i = 0; i < 3; i++) {
		json_t *rev = json_array_get(h, (size_t)i);

		assert_string_equal(cal_json_str(rev, "valid_from"),
				    cal_time_format(buf, T0 + i * SEC));
		assert_string_equal(cal_json_str(rev, "valid_to"),
				    cal_time_format(buf, T0 + (i + 1) * SEC));
		assert_int_equal(cal_json_int(json_object_get(rev, "doc"), "mtu", 0), 1500 + i);
		assert_int_equal(strlen(cal_json_str(rev, "hash")), CAL_HASH_HEXSZ - 1);
	}
	json_decref(h);
	assert_int_equal(cal_store_history(st, &h, "e1", "nope"), CAL_ENOTFOUND);
	assert_int_equal(cal_store_object_get(st, &got, "e1", "h1:host_pnic:eth0", 0),
			 CAL_ENOTFOUND);
	json_decref(objs);
	json_decref(ans);
}

static void test_strictly_increasing_time(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = small_env(), *ans = answered1("h1", "netlink");
	json_t *h;
	struct cal_commit_stats s;
	char buf[CAL_TIME_BUFSZ];
	json_t *eth0 = json_object_get(objs, "h1:host_pnic:eth0");

	assert_int_equal(commit(st, &s, "e1", T0, objs, NULL, ans, false), 0);
	assert_int_equal(s.ts, T0);
	/* Same time again: moved one microsecond on. */
	json_object_set_new(eth0, "mtu", json_integer(1400));
	assert_int_equal(commit(st, &s, "e1", T0, objs, NULL, ans, false), 0);
	assert_int_equal(s.ts, T0 + 1);
	/* An older time (clock stepped back): after the newest. */
	json_object_set_new(eth0, "mtu", json_integer(1300));
	assert_int_equal(commit(st, &s, "e1", T0 - 60 * SEC, objs, NULL, ans, false), 0);
	assert_int_equal(s.ts, T0 + 2);
	/* A removal counts as the newest time too. */
	json_object_del(objs, "h1:host_pnic:eth1");
	assert_int_equal(commit(st, &s, "e1", T0 + 50, objs, NULL, ans, false), 0);
	assert_int_equal(s.ts, T0 + 50);
	assert_int_equal(commit(st, &s, "e1", T0 + 10, objs, NULL, ans, false), 0);
	assert_int_equal(s.ts, T0 + 51);
	assert_int_equal(cal_store_history(st, &h, "e1", "h1:host_pnic:eth0"), 0);
	assert_int_equal(json_array_size(h), 3);
	assert_string_equal(cal_json_str(json_array_get(h, 1), "valid_from"),
			    cal_time_format(buf, T0 + 1));
	assert_string_equal(cal_json_str(json_array_get(h, 2), "valid_from"),
			    cal_time_format(buf, T0 + 2));
	json_decref(h);
	/* Another environment has its own clock. */
	assert_int_equal(commit(st, &s, "e2", T0 - 60 * SEC, objs, NULL, ans, false), 0);
	assert_int_equal(s.ts, T0 - 60 * SEC);
	json_decref(objs);
	json_decref(ans);
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */
/* ------------------------------------------------------------------ */

/* The ids `q` returns, in order. */
static void assert_ids(cal_store *st, const struct cal_query *q, const char *const *ids, size_t n)
{
	json_t *arr;

	assert_int_equal(cal_store_objects(st, &arr, q), 0);
	assert_int_equal(json_array_size(arr), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(cal_json_str(json_array_get(arr, i), CAL_F_ID), ids[i]);
	json_decref(arr);
}

static void test_filters(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = json_object(), *arr, *counts, *pairs, *kept;
	json_t *h1 = mk_obj("e1", CAL_T_HOST, "host1", "host1", "host1", "netlink", NULL);
	json_t *h10 = mk_obj("e1", CAL_T_HOST, "host10", "host10", "host10", "netlink", NULL);
	struct cal_commit_stats s;
	struct cal_query q = { .env = "e1" };
	static const char *const names[] = { "eth0", "eth1", "tap0", "eth2" };

	put(objs, json_incref(h1));
	put(objs, json_incref(h10));
	for (int i = 0; i < 4; i++) {
		char id[64];

		snprintf(id, sizeof(id), "host1:host_pnic:%s", names[i]);
		put(objs, mk_obj("e1", CAL_T_HOST_PNIC, id, names[i], "host1", "netlink", h1));
		snprintf(id, sizeof(id), "host10:host_pnic:%s", names[i]);
		put(objs, mk_obj("e1", CAL_T_HOST_PNIC, id, names[i], "host10",
				 i == 3 ? "ethtool" : "netlink", h10));
	}
	assert_int_equal(commit(st, &s, "e1", T0, objs, NULL, NULL, false), 0);
	assert_stats(&s, 10, 0, 0, 0);

	q.type = "host";
	assert_ids(st, &q,
		   (const char *const[]){ "host1", "host10" }, 2);
	q.type = "host_pnic";
	q.host = "host1";
	q.name = "eth*";
	assert_ids(st, &q,
		   (const char *const[]){ "host1:host_pnic:eth0", "host1:host_pnic:eth1",
					  "host1:host_pnic:eth2" },
		   3);
	q.limit = 1;
	q.offset = 1;
	assert_ids(st, &q,
		   (const char *const[]){ "host1:host_pnic:eth1" }, 1);
	q.name = NULL;
	q.offset = 3;
	assert_ids(st, &q,
		   (const char *const[]){ "host1:host_pnic:tap0" }, 1);
	q.limit = 0;
	q.offset = 2;
	assert_ids(st, &q,
		   (const char *const[]){ "host1:host_pnic:eth2", "host1:host_pnic:tap0" }, 2);
	q.offset = 0;
	q.host = NULL;
	q.type = NULL;
	/* A sub-tree is the object and its descendants, not "host10". */
	q.id_path_prefix = cal_json_str(h1, CAL_F_ID_PATH);
	assert_int_equal(cal_store_objects(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 5);
	assert_string_equal(cal_json_str(json_array_get(arr, 0), CAL_F_ID), "host1");
	json_decref(arr);
	q.id_path_prefix = "/e1/host1/";
	assert_int_equal(cal_store_objects(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 4);
	json_decref(arr);
	q.id_path_prefix = "/e1/host";
	assert_int_equal(cal_store_objects(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	q.id_path_prefix = NULL;
	q.parent_id = "host10";
	q.name = "tap?";
	assert_ids(st, &q,
		   (const char *const[]){ "host10:host_pnic:tap0" }, 1);
	q.parent_id = NULL;
	q.name = NULL;
	q.id = "host10:host_pnic:eth1";
	assert_ids(st, &q,
		   (const char *const[]){ "host10:host_pnic:eth1" }, 1);
	q.env = "other";
	assert_ids(st, &q, NULL, 0);

	assert_int_equal(cal_store_counts(st, &counts, "e1"), 0);
	assert_int_equal(json_object_size(counts), 2);
	assert_int_equal(cal_json_int(counts, "host", 0), 2);
	assert_int_equal(cal_json_int(counts, "host_pnic", 0), 8);
	json_decref(counts);

	pairs = json_pack("[{s:s, s:s}, {s:s, s:s}]", "host", "host10", "source", "ethtool",
			  "host", "host1", "source", "nope");
	assert_int_equal(cal_store_objects_of_sources(st, &kept, "e1", pairs), 0);
	assert_int_equal(json_object_size(kept), 1);
	assert_true(json_equal(json_object_get(kept, "host10:host_pnic:eth2"),
			       json_object_get(objs, "host10:host_pnic:eth2")));
	json_decref(kept);
	json_decref(pairs);

	q.env = NULL;
	assert_int_equal(cal_store_objects(st, &arr, &q), CAL_EINVALID);
	json_decref(h1);
	json_decref(h10);
	json_decref(objs);
}

static void test_documents_round_trip(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objs = small_env(), *got;
	struct cal_commit_stats s;
	const char *key;
	json_t *doc;

	json_object_set_new(json_object_get(objs, "h1:host_pnic:eth0"), "addresses",
			    json_pack("[s, s]", "10.0.0.1/24", "fe80::1/64"));
	json_object_set_new(json_object_get(objs, "h1"), "os", json_string("Debian \u00e9t\u00e9"));
	assert_int_equal(commit(st, &s, "e1", T0, objs, NULL, NULL, false), 0);
	st = fx_reopen(state);
	json_object_foreach(objs, key, doc) {
		assert_int_equal(cal_store_object_get(st, &got, "e1", key, 0), 0);
		assert_true(json_equal(got, doc));
		json_decref(got);
	}
	json_decref(objs);
}

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

static void test_open_missing_directory(void **state)
{
	struct fx *f = *state;
	char path[160];
	cal_store *st = NULL;

	snprintf(path, sizeof(path), "%s/missing/dir/x.db", f->dir);
	assert_int_equal(cal_store_open(&st, path), CAL_EIO);
	assert_null(st);
	assert_non_null(strstr(cal_error_last(), path));
	assert_non_null(strstr(cal_error_last(), "cannot open database"));
	assert_non_null(strstr(cal_error_last(), "unable to open database file"));
	snprintf(path, sizeof(path), "sqlite:%s/missing/x.db", f->dir);
	assert_int_equal(cal_store_open(&st, path), CAL_EIO);
	assert_int_equal(cal_store_open(&st, ""), CAL_EINVALID);
}

static void test_open_corrupt_file(void **state)
{
	struct fx *f = *state;
	char path[160];
	cal_store *st = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/garbage.db", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 4096; i++)
		fputc("not a database"[i % 14], fp);
	fclose(fp);
	assert_int_equal(cal_store_open(&st, path), CAL_EINVALID);
	assert_null(st);
	assert_non_null(strstr(cal_error_last(), path));
	unlink(path);
}

static void test_open_foreign_database(void **state)
{
	struct fx *f = *state;
	char path[160];
	cal_store *st = NULL;
	sqlite3 *h;

	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "CREATE TABLE invoices (id INTEGER)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(cal_store_open(&st, path), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), path));
	assert_non_null(strstr(cal_error_last(), "not a Calipso database"));
	/* Untouched: no Calipso table was added. */
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	{
		sqlite3_stmt *s;

		assert_int_equal(sqlite3_prepare_v2(h, "SELECT COUNT(*) FROM sqlite_master", -1, &s,
						    NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(s, 0), 1);
		sqlite3_finalize(s);
	}
	sqlite3_close(h);
	unlink(path);
}

static void test_open_newer_schema(void **state)
{
	struct fx *f = *state;
	cal_store *st = NULL;
	sqlite3 *h;

	cal_store_close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "UPDATE meta SET value = '99' WHERE key = "
				      "'schema_version'", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(cal_store_open(&st, f->path), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "schema version 99, newer"));
	assert_non_null(strstr(cal_error_last(), f->path));
}

static int64_t sq_count(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	int64_t n = -1;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return n;
}

static void sq_exec(const char *path, const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* Migrations are known by name: a database from before names were
 * recorded gets them; a name this binary does not know is refused. */
static void test_open_migration_names(void **state)
{
	struct fx *f = *state;
	cal_store *st = NULL;
	int64_t names;

	cal_store_close(f->st);
	f->st = NULL;
	names = sq_count(f->path, "SELECT COUNT(*) FROM meta WHERE key LIKE 'migration:%'");
	assert_true(names > 1);
	assert_int_equal(sq_count(f->path, "SELECT value FROM meta WHERE key = 'schema_version'"),
			 names);
	sq_exec(f->path, "DELETE FROM meta WHERE key LIKE 'migration:%'");
	assert_int_equal(cal_store_open(&st, f->path), 0);
	cal_store_close(st);
	assert_int_equal(sq_count(f->path, "SELECT COUNT(*) FROM meta WHERE key LIKE "
				  "'migration:%'"), names);
	sq_exec(f->path, "INSERT INTO meta (key, value) VALUES ('migration:from_2031', 'x')");
	assert_int_equal(cal_store_open(&st, f->path), CAL_EINVALID);
	assert_null(st);
	assert_non_null(strstr(cal_error_last(), "'from_2031'"));
	assert_non_null(strstr(cal_error_last(), "upgrade calipso"));
}

static void test_default_path(void **state)
{
	char *saved = getenv("CALIPSO_DB") ? strdup(getenv("CALIPSO_DB")) : NULL;

	(void)state;
	setenv("CALIPSO_DB", "/tmp/cst-elsewhere.db", 1);
	assert_string_equal(cal_store_default_path(), "/tmp/cst-elsewhere.db");
	unsetenv("CALIPSO_DB");
	if (geteuid() == 0) {
		assert_string_equal(cal_store_default_path(), "/var/lib/calipso/calipso.db");
	} else {
		setenv("XDG_DATA_HOME", "/tmp/cst-xdg", 1);
		assert_string_equal(cal_store_default_path(), "/tmp/cst-xdg/calipso/calipso.db");
	}
	if (saved)
		setenv("CALIPSO_DB", saved, 1);
	free(saved);
}

static void test_pg_unreachable_hides_password(void **state)
{
	cal_store *st = NULL;

	(void)state;
	assert_int_equal(cal_store_open(&st, "postgresql://cst:s3cr3t@127.0.0.1:1/nodb"),
			 CAL_EIO);
	assert_null(st);
	assert_non_null(strstr(cal_error_last(), "cannot connect to PostgreSQL"));
	assert_non_null(strstr(cal_error_last(), "cst:***@127.0.0.1:1"));
	assert_null(strstr(cal_error_last(), "s3cr3t"));
}

static void test_pg_foreign_schema(void **state)
{
	struct fx *f = *state;
	cal_store *st = NULL;
	PGconn *c;
	PGresult *r;

	fx_store(state);
	cal_store_close(f->st);
	f->st = NULL;
	assert_int_equal(fx_pg_schema(f->pg_base, true), 0);
	c = PQconnectdb(f->uri);
	r = PQexec(c, "CREATE TABLE invoices (id INTEGER)");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	PQfinish(c);
	assert_int_equal(cal_store_open(&st, f->uri), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "not a Calipso database"));
}

/* ------------------------------------------------------------------ */
/* The commit's canonical split agrees with core's                     */
/* ------------------------------------------------------------------ */

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static json_t *rnd_string(void)
{
	static const char *const parts[] = { "eth0", "\"q\"", "back\\slash", "tab\there",
					     "nl\n", "\x01ctl\x1f", "\u00e9t\u00e9", "\U0001d11e",
					     "/slash/", "", "caf\u00e9 \u2028", "\x7f" };
	char buf[128] = "";
	int n = (int)(rnd() % 3) + 1;

	for (int i = 0; i < n; i++)
		strncat(buf, parts[rnd() % (sizeof(parts) / sizeof(parts[0]))],
			sizeof(buf) - strlen(buf) - 1);
	if (rnd() % 10 == 0)
		return json_stringn("nul\0inside", 11);
	return json_string(buf);
}

static json_t *rnd_value(int depth)
{
	switch (rnd() % (depth > 2 ? 5 : 7)) {
	case 0:
		if (rnd() % 8 == 0)
			return json_integer(rnd() % 2 ? INT64_MIN : INT64_MAX);
		return json_integer((json_int_t)(rnd() % 2000000) - 1000000);
	case 1: return rnd() % 2 ? json_true() : json_false();
	case 2: return json_null();
	case 3:
	case 4: return rnd_string();
	case 5: {
		json_t *a = json_array();

		for (int i = (int)(rnd() % 4); i > 0; i--)
			json_array_append_new(a, rnd_value(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();

		for (int i = (int)(rnd() % 4); i > 0; i--) {
			char key[16];

			snprintf(key, sizeof(key), "k%d", (int)(rnd() % 20));
			json_object_set_new(o, key, rnd_value(depth + 1));
		}
		return o;
	}
	}
}

static void test_canonical_split_matches_core(void **state)
{
	static const char *const keys[] = { "id", "name", "mtu", "stats", "pids",
					    CAL_F_LAST_SCANNED, "status_timestamp", "Zed", "a",
					    "addresses", "flags", "\u00e9", "ab", "abc" };
	struct st_canon c;

	(void)state;
	assert_int_equal(st_canon_init(&c), 0);
	for (int n = 0; n < 3000; n++) {
		json_t *doc = json_object(), *stable, *vol;
		char h[CAL_HASH_HEXSZ], *text;

		json_object_set_new(doc, CAL_F_TYPE,
				    json_string(cal_type_name((enum cal_obj_type)(rnd() %
										  CAL_T_COUNT_))));
		for (int k = (int)(rnd() % 10); k > 0; k--)
			json_object_set_new(doc, keys[rnd() % (sizeof(keys) / sizeof(keys[0]))],
					    rnd_value(0));
		if (n % 500 == 0) /* reals take core's path */
			json_object_set_new(doc, "load", json_real(0.1 * n));
		assert_int_equal(st_canon_split(&c, doc), 0);
		stable = cal_object_stable(doc, &vol);
		text = json_dumps(stable, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		assert_string_equal(c.stable.s, text);
		assert_int_equal(c.stable.len, strlen(text));
		free(text);
		assert_int_equal(cal_json_canonical_hash(h, stable), 0);
		assert_string_equal(c.hash, h);
		assert_int_equal(c.has_vol, json_object_size(vol) > 0);
		if (c.has_vol) {
			text = json_dumps(vol, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
			assert_string_equal(c.vol.s, text);
			free(text);
		}
		json_decref(stable);
		json_decref(vol);
		json_decref(doc);
	}
	st_canon_fini(&c);
}

#define BOTH(fn)                                                        \
	cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),    \
	cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_status_names),
		cmocka_unit_test(test_canonical_split_matches_core),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_pg_unreachable_hides_password),
		BOTH(test_env_crud),
		BOTH(test_scan_lifecycle),
		BOTH(test_commit_unchanged_writes_nothing),
		BOTH(test_commit_changed_field_one_revision),
		BOTH(test_commit_removal_by_answered_source),
		BOTH(test_commit_volatile_only),
		BOTH(test_volatile_groups),
		BOTH(test_volatile_many_groups),
		BOTH(test_commit_clear),
		BOTH(test_commit_links),
		BOTH(test_commit_rejects_bad_input),
		BOTH(test_time_travel),
		BOTH(test_history),
		BOTH(test_strictly_increasing_time),
		BOTH(test_filters),
		BOTH(test_documents_round_trip),
		cmocka_unit_test_setup_teardown(test_open_missing_directory, setup_sqlite,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_corrupt_file, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_open_foreign_database, setup_sqlite,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_newer_schema, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_open_migration_names, setup_sqlite,
						teardown),
		cmocka_unit_test_setup_teardown(test_pg_foreign_schema, setup_pg, teardown),
	};
	const char *pg = getenv("CALIPSO_TEST_PG_URI");

	cal_log_set_level(CAL_LOG_ERROR);
	if (!pg || !*pg)
		fprintf(stderr, "test_store: PostgreSQL cases skipped: CALIPSO_TEST_PG_URI is not "
			"set (scripts/pg-test-server.sh start DIR prints one)\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
