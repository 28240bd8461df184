/* test_diff.c - snapshots, retention, the changes between two times, the
 * diff engine (times, scopes, cliques, designs) and the reports table.
 *
 * Store-level cases run on a fresh SQLite file in /tmp/sn-unit-*, and on
 * PostgreSQL too when CALIPSO_TEST_PG_URI names a server (each process in
 * a schema of its own, dropped after); without it those are skipped.
 * Environments are small synthetic ones committed through
 * cal_store_commit(), with cliques refreshed by the clique engine, so that
 * each expectation below follows from what the test wrote.
 */
#include <sqlite3.h>

#include "analyze/diff_int.h"
#include "sn_world.h"

/* ------------------------------------------------------------------ */
/* Snapshots                                                           */
/* ------------------------------------------------------------------ */

static void test_snapshot_names(void **state)
{
	static const char *const good[] = { "week-47", "pre.change_1", "2026w47", "A", NULL };
	static const char *const bad[] = { "", "live", "2026-11-25", "now", "-7d", "@17000",
					   "a b", "x/y", "design:x", ".hidden", "é", NULL };
	char longname[80];

	(void)state;
	for (int i = 0; good[i]; i++)
		assert_int_equal(cal_store_snapshot_name_check(good[i]), 0);
	for (int i = 0; bad[i]; i++) {
		if (cal_store_snapshot_name_check(bad[i]) != CAL_EINVALID)
			fail_msg("name '%s' accepted", bad[i]);
		assert_true(*cal_error_last());
	}
	memset(longname, 'a', 65);
	longname[65] = '\0';
	assert_int_equal(cal_store_snapshot_name_check(longname), CAL_EINVALID);
}

static void test_snapshot_lifecycle(void **state)
{
	cal_store *st = fx_store(state);
	struct cal_snapshot_opts o = { .name = "s1", .note = "before the change" };
	struct world w;
	json_t *s = NULL, *list = NULL, *scan = NULL;
	int64_t ts, scan_id;

	/* Nothing to snapshot yet. */
	assert_int_equal(cal_snapshot_create(st, &s, "e", &o), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "no inventory"));
	w_init(&w, "e", 2);
	assert_int_equal(cal_store_scan_create(st, &scan_id, "e", NULL), 0);
	scan = json_pack("{s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}", "sources", "host", "h1",
			 "name", "netlink", "status", "ok", "host", "h2", "name", "netlink",
			 "status", "failed");
	assert_int_equal(cal_store_scan_update(st, scan_id, CAL_SCAN_COMPLETED_WITH_ERRORS, scan),
			 0);
	json_decref(scan);
	ts = w_commit(st, &w, "e", T0);
	assert_int_equal(cal_snapshot_create(st, &s, "e", &o), 0);
	assert_string_equal(cal_json_str(s, "name"), "s1");
	assert_int_equal(cal_json_int(s, "time_us", 0), ts);
	assert_int_equal(cal_json_int(s, "scan_id", 0), scan_id);
	assert_int_equal(json_array_size(json_object_get(s, "sources")), 2);
	assert_string_equal(cal_json_str(json_array_get(json_object_get(s, "sources"), 1),
					 "status"), "failed");
	assert_int_equal(cal_json_int(json_object_get(s, "counts"), "objects", 0), 10);
	assert_int_equal(cal_json_int(json_object_get(s, "counts"), "links", 0), 6);
	assert_string_equal(cal_json_str(s, "scope"), "env");
	assert_string_equal(cal_json_str(s, "note"), "before the change");
	assert_false(json_is_true(json_object_get(s, "pinned")));
	json_decref(s);
	/* Names are unique per environment. */
	assert_int_equal(cal_snapshot_create(st, &s, "e", &o), CAL_EEXISTS);
	o.name = "s2";
	o.pinned = true;
	assert_int_equal(cal_snapshot_create(st, NULL, "e", &o), 0);
	assert_int_equal(cal_store_snapshot_list(st, &list, "e"), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(cal_json_str(json_array_get(list, 0), "name"), "s1");
	assert_true(json_is_true(json_object_get(json_array_get(list, 1), "pinned")));
	json_decref(list);
	assert_int_equal(cal_store_snapshot_pin(st, "e", "s2", false), 0);
	assert_int_equal(cal_store_snapshot_get(st, &s, "e", "s2"), 0);
	assert_false(json_is_true(json_object_get(s, "pinned")));
	json_decref(s);
	assert_int_equal(cal_store_snapshot_get(st, &s, "e", "nope"), CAL_ENOTFOUND);
	assert_non_null(strstr(cal_error_last(), "'nope'"));
	assert_int_equal(cal_store_snapshot_remove(st, "e", "s2"), 0);
	assert_int_equal(cal_store_snapshot_remove(st, "e", "s2"), CAL_ENOTFOUND);
	assert_int_equal(cal_store_snapshot_pin(st, "e", "s2", true), CAL_ENOTFOUND);
	/* A clique scope needs a focal point with a clique. */
	o.name = "s3";
	o.clique = "h1:vnic:tap1";
	assert_int_equal(cal_snapshot_create(st, NULL, "e", &o), CAL_EINVALID);
	o.clique = "vm1";
	assert_int_equal(cal_snapshot_create(st, &s, "e", &o), 0);
	assert_string_equal(cal_json_str(s, "scope"), "clique:vm1");
	assert_int_equal(json_array_size(json_object_get(json_object_get(s, "clique_state"),
							 "nodes")), 4);
	json_decref(s);
	w_fini(&w);
}

/* A commit whose time is not after a snapshot's lands after it: the
 * snapshot reads the same. */
static void test_snapshot_time_is_stable(void **state)
{
	cal_store *st = fx_store(state);
	struct world w;
	json_t *s;
	char *before, *after;
	int64_t t;

	w_init(&w, "e", 1);
	w_commit(st, &w, "e", T0);
	s = snap(st, "e", "s1");
	t = cal_json_int(s, "time_us", 0);
	before = inventory_text(st, "e", t);
	w_set(&w, "h1:host_pnic:eth0", "mtu", json_integer(9000));
	assert_true(w_commit(st, &w, "e", t - SEC) > t);
	after = inventory_text(st, "e", t);
	assert_string_equal(before, after);
	free(before);
	free(after);
	json_decref(s);
	w_fini(&w);
}

/* A snapshot's counts start from the previous snapshot's and add what
 * changed since: they must equal a full count. */
static void assert_counts_full(cal_store *st, const json_t *snapshot)
{
	struct cal_query q = { .env = "e" };
	json_t *types = NULL, *links = NULL, *c = json_object_get(snapshot, "counts");
	const char *k;
	json_t *v;
	json_int_t total = 0;

	assert_int_equal(cal_store_counts(st, &types, "e"), 0);
	assert_int_equal(cal_store_links(st, &links, &q, NULL), 0);
	json_object_foreach(types, k, v)
		total += json_integer_value(v);
	if (!json_equal(types, json_object_get(c, "types"))) {
		char *a = json_dumps(types, JSON_SORT_KEYS), *b = json_dumps(c, JSON_SORT_KEYS);

		fail_msg("counts %s, snapshot says %s", a, b);
	}
	assert_int_equal(cal_json_int(c, "objects", 0), total);
	assert_int_equal(cal_json_int(c, "links", 0), (json_int_t)json_array_size(links));
	json_decref(types);
	json_decref(links);
}

static void test_snapshot_counts_follow_changes(void **state)
{
	cal_store *st = fx_store(state);
	struct cal_retention r = { .keep_last = 1 };
	struct world w;
	json_t *s;

	w_init(&w, "e", 2);
	w_commit(st, &w, "e", T0);
	s = snap(st, "e", "s1");
	assert_counts_full(st, s);
	json_decref(s);
	/* A VM goes (instance and vNIC: the types shrink), a host comes, a
	 * NIC changes, then changes back. */
	w_remove(&w, "vm2");
	w_remove(&w, "h2:vnic:tap2");
	w_host(&w, "e", 3);
	w_set(&w, "h1:host_pnic:eth0", "mtu", json_integer(9000));
	w_commit(st, &w, "e", T0 + 10 * SEC);
	w_set(&w, "h1:host_pnic:eth0", "mtu", json_integer(1500));
	w_commit(st, &w, "e", T0 + 20 * SEC);
	s = snap(st, "e", "s2");
	assert_counts_full(st, s);
	json_decref(s);
	/* Every VM gone: a type disappears from the counts. */
	w_remove(&w, "vm1");
	w_remove(&w, "h1:vnic:tap1");
	w_remove(&w, "vm3");
	w_remove(&w, "h3:vnic:tap3");
	w_commit(st, &w, "e", T0 + 30 * SEC);
	assert_int_equal(cal_store_prune(st, NULL, "e", &r, 0), 0);
	s = snap(st, "e", "s3");
	assert_counts_full(st, s);
	assert_null(json_object_get(json_object_get(json_object_get(s, "counts"), "types"),
				    "instance"));
	json_decref(s);
	w_fini(&w);
}

/* ------------------------------------------------------------------ */
/* Changes between times                                               */
/* ------------------------------------------------------------------ */

static void test_changes_between_times(void **state)
{
	cal_store *st = fx_store(state);
	struct world w;
	json_t *ch = NULL, *e;
	int64_t t0, t1, t2;

	w_init(&w, "e", 2);
	t0 = w_commit(st, &w, "e", T0);
	/* t1: eth0 of h1 changes, h2's VM goes, a bridge port changes. */
	w_set(&w, "h1:host_pnic:eth0", "operstate", json_string("down"));
	w_remove(&w, "vm2");
	w_remove(&w, "h2:vnic:tap2");
	t1 = w_commit(st, &w, "e", T0 + 10 * SEC);
	/* t2: eth0 back up (same document as at t0). */
	w_set(&w, "h1:host_pnic:eth0", "operstate", json_string("up"));
	t2 = w_commit(st, &w, "e", T0 + 20 * SEC);

	assert_int_equal(cal_store_changes(st, &ch, "e", t0, t1), 0);
	e = json_object_get(json_object_get(ch, "objects"), "h1:host_pnic:eth0");
	assert_non_null(e);
	assert_string_equal(cal_json_str(json_object_get(e, "before"), "operstate"), "up");
	assert_string_equal(cal_json_str(json_object_get(e, "after"), "operstate"), "down");
	e = json_object_get(json_object_get(ch, "objects"), "vm2");
	assert_true(json_is_object(json_object_get(e, "before")));
	assert_true(json_is_null(json_object_get(e, "after")));
	assert_int_equal(json_object_size(json_object_get(ch, "objects")), 3);
	assert_int_equal(json_object_size(json_object_get(ch, "links")), 2);
	assert_null(json_object_get(json_object_get(ch, "objects"), "h1"));
	json_decref(ch);
	/* Changed and changed back: not a change between t0 and t2. */
	assert_int_equal(cal_store_changes(st, &ch, "e", t0, t2), 0);
	assert_null(json_object_get(json_object_get(ch, "objects"), "h1:host_pnic:eth0"));
	assert_int_equal(json_object_size(json_object_get(ch, "objects")), 2);
	json_decref(ch);
	/* Live is the newest. */
	assert_int_equal(cal_store_changes(st, &ch, "e", t1, 0), 0);
	assert_int_equal(json_object_size(json_object_get(ch, "objects")), 1);
	assert_int_equal(json_object_size(json_object_get(ch, "links")), 0);
	json_decref(ch);
	assert_int_equal(cal_store_changes(st, &ch, "e", t2, t1), CAL_EINVALID);
	w_fini(&w);
}

/* The two queries of cal_store_changes() run on the valid_to and
 * valid_from indexes: a diff costs what changed, not the inventory. */
static void test_changes_use_time_indexes(void **state)
{
	struct fx *f = *state;
	static const char *const sql[] = {
		"EXPLAIN QUERY PLAN SELECT id, hash, doc FROM objects WHERE env = 'e' AND "
		"valid_to > 1 AND valid_to <= 2 AND valid_from <= 1",
		"EXPLAIN QUERY PLAN SELECT id, hash, doc FROM objects WHERE env = 'e' AND "
		"valid_from > 1 AND valid_from <= 2 AND (valid_to IS NULL OR valid_to > 2)",
	};
	static const char *const index[] = { "objects_to", "objects_from" };
	struct world w;
	sqlite3 *h;

	w_init(&w, "e", 3);
	w_commit(fx_store(state), &w, "e", T0);
	w_fini(&w);
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *s;
		bool found = false;

		assert_int_equal(sqlite3_prepare_v2(h, sql[i], -1, &s, NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW)
			found = found || strstr((const char *)sqlite3_column_text(s, 3), index[i]);
		sqlite3_finalize(s);
		if (!found)
			fail_msg("query %d does not use %s", i, index[i]);
	}
	sqlite3_close(h);
}

/* ------------------------------------------------------------------ */
/* Diff                                                                */
/* ------------------------------------------------------------------ */

static void test_diff_times(void **state)
{
	cal_store *st = fx_store(state);
	struct world w;
	const json_t *e, *f;
	json_t *d, *s;

	w_init(&w, "e", 2);
	w_commit(st, &w, "e", T0);
	json_decref(snap(st, "e", "s1"));
	d = diff(st, "e", "s1", "live", NULL);
	assert_true(json_is_true(json_object_get(d, "equal")));
	json_decref(d);
	/* A VM added, a NIC down, a bridge port down, a link down. */
	w_host(&w, "e", 3);
	w_remove(&w, "h3");
	w_remove(&w, "h3:host_pnic:eth0");
	w_remove(&w, "h3:vconnector:br0");
	w_set(&w, "h1:host_pnic:eth0", "operstate", json_string("down"));
	w_set(&w, "h2:vconnector:br0", "interfaces",
	      json_pack("[{s:s, s:s}, {s:s, s:s}]", "name", "eth0", "operstate", "up", "name",
			"tap", "operstate", "down"));
	json_object_set_new(json_object_get(w.links, "h1:vconnector:br0|vconnector-host_pnic|"
						     "h1:host_pnic:eth0"),
			    CAL_F_STATE, json_string("down"));
	w_commit(st, &w, "e", T0 + 60 * SEC);
	s = snap(st, "e", "s2");
	d = diff(st, "e", "s1", "s2", NULL);
	assert_false(json_is_true(json_object_get(d, "equal")));
	assert_ids(d, "objects", "added", "h3:vnic:tap3,vm3");
	assert_ids(d, "objects", "removed", "");
	assert_ids(d, "objects", "changed", "h1:host_pnic:eth0,h2:vconnector:br0");
	e = changed_entry(d, "objects", "h1:host_pnic:eth0");
	f = field_of(e, "operstate");
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "before")), "up");
	assert_string_equal(json_string_value(json_object_get(f, "after")), "down");
	assert_int_equal(json_array_size(json_object_get(e, "fields")), 1);
	/* Arrays of named elements compare element by element. */
	e = changed_entry(d, "objects", "h2:vconnector:br0");
	assert_non_null(field_of(e, "interfaces[tap].operstate"));
	assert_int_equal(json_array_size(json_object_get(e, "fields")), 1);
	assert_ids(d, "links", "added", "vm3|instance-vnic|h3:vnic:tap3");
	assert_ids(d, "links", "changed", "h1:vconnector:br0|vconnector-host_pnic|"
					  "h1:host_pnic:eth0");
	assert_non_null(field_of(changed_entry(d, "links", "h1:vconnector:br0|vconnector-host_pnic|"
						  "h1:host_pnic:eth0"), "state"));
	assert_int_equal(cal_json_int(json_object_get(d, "summary"), "objects_added", 0), 2);
	assert_int_equal(cal_json_int(json_object_get(d, "summary"), "links_changed", 0), 1);
	/* vm1's clique holds the NIC that went down: its link changed but not
	 * its members; vm3's clique is new. */
	{
		size_t i;
		json_t *c;
		bool vm3 = false;

		json_array_foreach(json_object_get(d, "cliques"), i, c)
			if (strcmp(cal_json_str(c, "focal_point"), "vm3") == 0 &&
			    strcmp(cal_json_str(c, "change"), "added") == 0)
				vm3 = true;
		assert_true(vm3);
	}
	json_decref(d);
	/* The other way round: added and removed swap. */
	d = diff(st, "e", "s2", "s1", NULL);
	assert_ids(d, "objects", "removed", "h3:vnic:tap3,vm3");
	assert_ids(d, "objects", "added", "");
	f = field_of(changed_entry(d, "objects", "h1:host_pnic:eth0"), "operstate");
	assert_string_equal(json_string_value(json_object_get(f, "after")), "up");
	json_decref(d);
	/* A time between reads as the snapshot before it. */
	{
		char t[CAL_TIME_BUFSZ];

		cal_time_format(t, T0 + 30 * SEC);
		d = diff(st, "e", "s1", t, NULL);
		assert_true(json_is_true(json_object_get(d, "equal")));
		json_decref(d);
		d = diff(st, "e", t, "live", NULL);
		assert_ids(d, "objects", "added", "h3:vnic:tap3,vm3");
		json_decref(d);
	}
	json_decref(s);
	w_fini(&w);
}

static void test_diff_bad_references(void **state)
{
	cal_store *st = fx_store(state);
	struct cal_diff_opts o = { 0 };
	struct world w;
	json_t *d = NULL;
	char future[CAL_TIME_BUFSZ], past[CAL_TIME_BUFSZ];

	w_init(&w, "e", 1);
	w_commit(st, &w, "e", T0);
	json_decref(snap(st, "e", "s1"));
	assert_int_equal(cal_diff(st, &d, "e", "s1", "nosuch", &o), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "'nosuch'"));
	assert_int_equal(cal_diff(st, &d, "e", "snapshot:nosuch", "live", &o), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "nosuch"));
	assert_int_equal(cal_diff(st, &d, "e", "design:nodesign", "live", &o), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "nodesign"));
	cal_time_format(future, cal_time_now_us() + DAY);
	assert_int_equal(cal_diff(st, &d, "e", "s1", future, &o), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "future"));
	cal_time_format(past, T0 - DAY);
	assert_int_equal(cal_diff(st, &d, "e", past, "live", &o), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "history starts"));
	assert_int_equal(cal_diff(st, &d, "e", "2026-13-45", "live", &o), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "2026-13-45"));
	assert_int_equal(cal_diff(st, &d, "other", "live", "live", &o), CAL_EINVALID);
	o.scope = "rack:7";
	assert_int_equal(cal_diff(st, &d, "e", "s1", "live", &o), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "rack:7"));
	o.scope = "clique:h1";
	assert_int_equal(cal_diff(st, &d, "e", "s1", "live", &o), CAL_EINVALID);
	assert_null(d);
	w_fini(&w);
}

static void test_diff_scopes(void **state)
{
	cal_store *st = fx_store(state);
	struct cal_snapshot_opts so = { .name = "pre", .clique = "vm1" };
	struct world w;
	json_t *d;

	w_init(&w, "e", 2);
	w_commit(st, &w, "e", T0);
	json_decref(snap(st, "e", "s1"));
	assert_int_equal(cal_snapshot_create(st, NULL, "e", &so), 0);
	w_set(&w, "h1:host_pnic:eth0", "mtu", json_integer(9000));
	w_set(&w, "h2:host_pnic:eth0", "mtu", json_integer(9000));
	w_set(&w, "h2:vnic:tap2", "operstate", json_string("down"));
	w_set(&w, "vm2", "state", json_string("shutoff"));
	w_commit(st, &w, "e", T0 + 60 * SEC);
	d = diff(st, "e", "s1", "live", "host:h1");
	assert_ids(d, "objects", "changed", "h1:host_pnic:eth0");
	assert_string_equal(cal_json_str(d, "scope"), "host:h1");
	json_decref(d);
	/* Project p2: its VM and, through instance_id, the VM's vNIC. */
	d = diff(st, "e", "s1", "live", "project:p2");
	assert_ids(d, "objects", "changed", "h2:vnic:tap2,vm2");
	json_decref(d);
	/* vm1's clique: only its members. */
	d = diff(st, "e", "s1", "live", "clique:vm1");
	assert_ids(d, "objects", "changed", "h1:host_pnic:eth0");
	json_decref(d);
	/* A clique-scoped snapshot implies its scope. */
	d = diff(st, "e", "pre", "live", NULL);
	assert_string_equal(cal_json_str(d, "scope"), "clique:vm1");
	assert_ids(d, "objects", "changed", "h1:host_pnic:eth0");
	json_decref(d);
	d = diff(st, "e", "s1", "live", "env");
	assert_ids(d, "objects", "changed",
		   "h1:host_pnic:eth0,h2:host_pnic:eth0,h2:vnic:tap2,vm2");
	json_decref(d);
	w_fini(&w);
}

static void test_diff_clique_membership(void **state)
{
	cal_store *st = fx_store(state);
	struct world w;
	const json_t *c;
	json_t *d;

	w_init(&w, "e", 1);
	w_commit(st, &w, "e", T0);
	json_decref(snap(st, "e", "s1"));
	/* The bridge loses its uplink: vm1's clique no longer reaches eth0. */
	json_object_del(w.links, "h1:vconnector:br0|vconnector-host_pnic|h1:host_pnic:eth0");
	w_commit(st, &w, "e", T0 + 60 * SEC);
	d = diff(st, "e", "s1", "live", "clique:vm1");
	assert_int_equal(json_array_size(json_object_get(d, "cliques")), 1);
	c = json_array_get(json_object_get(d, "cliques"), 0);
	assert_string_equal(cal_json_str(c, "focal_point"), "vm1");
	assert_string_equal(cal_json_str(c, "change"), "changed");
	assert_int_equal(json_array_size(json_object_get(c, "nodes_removed")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "nodes_removed"),
							     0)), "h1:host_pnic:eth0");
	assert_int_equal(json_array_size(json_object_get(c, "links_removed")), 1);
	assert_ids(d, "links", "removed", "h1:vconnector:br0|vconnector-host_pnic|"
					  "h1:host_pnic:eth0");
	json_decref(d);
	/* The env-wide diff finds the same clique from the clique revisions. */
	d = diff(st, "e", "s1", "live", NULL);
	assert_int_equal(cal_json_int(json_object_get(d, "summary"), "cliques_changed", 0), 1);
	json_decref(d);
	w_fini(&w);
}

/* ------------------------------------------------------------------ */
/* Retention                                                           */
/* ------------------------------------------------------------------ */

static void test_retention(void **state)
{
	cal_store *st = fx_store(state);
	struct cal_retention r = { .keep_last = 2 }, got;
	struct world w;
	json_t *res = NULL, *s[4], *list;
	char *text[4];
	int64_t t[4], live_before, n_before, n_after;
	struct cal_query q = { .env = "e" };
	json_t *live = NULL;
	char *live_text;

	w_init(&w, "e", 2);
	for (int i = 0; i < 4; i++) {
		char name[8];

		w_set(&w, "h1:host_pnic:eth0", "mtu", json_integer(1500 + i));
		w_commit(st, &w, "e", T0 + (int64_t)i * 100 * SEC);
		/* Changes between snapshots that no snapshot sees. */
		w_set(&w, "h2:host_pnic:eth0", "mtu", json_integer(7000 + i));
		w_commit(st, &w, "e", T0 + (int64_t)i * 100 * SEC + 50 * SEC);
		w_set(&w, "h2:host_pnic:eth0", "mtu", json_integer(1500));
		w_commit(st, &w, "e", T0 + (int64_t)i * 100 * SEC + 60 * SEC);
		snprintf(name, sizeof(name), "s%d", i);
		s[i] = snap(st, "e", name);
		t[i] = cal_json_int(s[i], "time_us", 0);
		text[i] = inventory_text(st, "e", t[i]);
	}
	assert_int_equal(cal_store_snapshot_pin(st, "e", "s0", true), 0);
	assert_int_equal(cal_store_objects(st, &live, &q), 0);
	live_text = json_dumps(live, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(live);
	(void)live_before;
	{
		json_t *h = NULL;

		assert_int_equal(cal_store_history(st, &h, "e", "h2:host_pnic:eth0"), 0);
		n_before = (int64_t)json_array_size(h);
		json_decref(h);
	}
	/* No policy: pruning refuses rather than wipe the history. */
	assert_int_equal(cal_store_prune(st, &res, "e", NULL, 0), CAL_EINVALID);
	assert_int_equal(cal_store_prune(st, &res, "e", &r, 0), 0);
	list = json_object_get(res, "removed");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_array_get(list, 0)), "s1");
	assert_int_equal(json_array_size(json_object_get(res, "kept")), 3);
	assert_true(cal_json_int(res, "objects_pruned", 0) > 0);
	json_decref(res);
	/* Kept snapshots read exactly as before; the live inventory too. */
	for (int i = 0; i < 4; i++) {
		char *now;

		if (i == 1)
			continue;
		now = inventory_text(st, "e", t[i]);
		assert_string_equal(now, text[i]);
		free(now);
		assert_int_equal(cal_store_time_check(st, "e", t[i]), 0);
	}
	assert_int_equal(cal_store_objects(st, &live, &q), 0);
	{
		char *now = json_dumps(live, JSON_COMPACT | JSON_SORT_KEYS);

		assert_string_equal(now, live_text);
		free(now);
	}
	json_decref(live);
	/* The pruned history cannot be read any more, and says so. */
	assert_int_equal(cal_store_time_check(st, "e", t[1]), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "pruned"));
	assert_int_equal(cal_store_time_check(st, "e", t[0] + 55 * SEC), CAL_EINVALID);
	{
		json_t *h = NULL;

		assert_int_equal(cal_store_history(st, &h, "e", "h2:host_pnic:eth0"), 0);
		n_after = (int64_t)json_array_size(h);
		json_decref(h);
	}
	assert_true(n_after < n_before);
	/* keep_days: snapshots older than that go too (pinned ones stay). */
	struct cal_retention days = { .keep_days = 1 };

	assert_int_equal(cal_store_prune(st, &res, "e", &days, cal_time_now_us() + 3 * DAY), 0);
	assert_int_equal(json_array_size(json_object_get(res, "kept")), 1);
	json_decref(res);
	assert_int_equal(cal_store_snapshot_list(st, &list, "e"), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(cal_json_str(json_array_get(list, 0), "name"), "s0");
	json_decref(list);
	{
		char *now = inventory_text(st, "e", t[0]);

		assert_string_equal(now, text[0]);
		free(now);
	}
	/* A stored policy applies after each snapshot. */
	assert_int_equal(cal_store_retention_set(st, "e", &r), 0);
	assert_int_equal(cal_store_retention_get(st, &got, "e"), 0);
	assert_int_equal(got.keep_last, 2);
	for (int i = 0; i < 3; i++) {
		char name[8];

		w_set(&w, "h1:host_pnic:eth0", "mtu", json_integer(2000 + i));
		w_commit(st, &w, "e", 0);
		snprintf(name, sizeof(name), "n%d", i);
		json_decref(snap(st, "e", name));
	}
	assert_int_equal(cal_store_snapshot_list(st, &list, "e"), 0);
	assert_int_equal(json_array_size(list), 3); /* s0 (pinned), n1, n2 */
	assert_string_equal(cal_json_str(json_array_get(list, 0), "name"), "s0");
	assert_string_equal(cal_json_str(json_array_get(list, 1), "name"), "n1");
	json_decref(list);
	r.keep_last = -1;
	assert_int_equal(cal_store_retention_set(st, "e", &r), CAL_EINVALID);
	for (int i = 0; i < 4; i++) {
		free(text[i]);
		json_decref(s[i]);
	}
	free(live_text);
	w_fini(&w);
}

/* ------------------------------------------------------------------ */
/* Designs                                                             */
/* ------------------------------------------------------------------ */

static void test_design_drift(void **state)
{
	cal_store *st = fx_store(state);
	struct world w;
	json_t *d, *dd, *exp = NULL, *parsed = NULL, *rec = NULL;
	char *yaml;

	w_init(&w, "e", 2);
	w_commit(st, &w, "e", T0);
	json_decref(snap(st, "e", "s1"));
	assert_int_equal(cal_design_set(st, &rec, "e", "as-built", "s1", false), 0);
	assert_int_equal(cal_json_int(json_object_get(rec, "counts"), "objects", 0), 10);
	assert_int_equal(cal_json_int(json_object_get(rec, "counts"), "cliques", 0), 2);
	json_decref(rec);
	assert_int_equal(cal_design_set(st, NULL, "e", "as-built", "s1", false), CAL_EEXISTS);
	/* Export, YAML, parse: the same document. */
	assert_int_equal(cal_design_export(st, &exp, "e", "s1"), 0);
	yaml = cal_design_yaml(exp);
	assert_non_null(yaml);
	assert_int_equal(cal_design_parse(&parsed, yaml, strlen(yaml), "test.yaml"), 0);
	assert_true(json_equal(parsed, exp));
	assert_int_equal(cal_design_import(st, NULL, "e", "from-file", yaml, strlen(yaml),
					   "test.yaml", false), 0);
	free(yaml);
	json_decref(parsed);
	json_decref(exp);
	d = diff(st, "e", "design:as-built", "live", NULL);
	assert_true(json_is_true(json_object_get(d, "equal")));
	json_decref(d);
	/* Drift: what the design expects against what is. */
	w_set(&w, "h1:host_pnic:eth0", "operstate", json_string("down"));
	w_remove(&w, "vm2");
	w_remove(&w, "h2:vnic:tap2");
	w_host(&w, "e", 3);
	w_commit(st, &w, "e", T0 + 60 * SEC);
	d = diff(st, "e", "design:as-built", "live", NULL);
	dd = diff(st, "e", "s1", "live", NULL);
	for (int i = 0; i < 3; i++) {
		static const char *const parts[] = { "added", "removed", "changed" };
		char *a = ids_of(d, "objects", parts[i]), *b = ids_of(dd, "objects", parts[i]);

		assert_string_equal(a, b);
		free(a);
		free(b);
		a = ids_of(d, "links", parts[i]);
		b = ids_of(dd, "links", parts[i]);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	assert_non_null(field_of(changed_entry(d, "objects", "h1:host_pnic:eth0"), "operstate"));
	assert_int_equal(cal_json_int(json_object_get(d, "summary"), "cliques_removed", 0), 1);
	assert_int_equal(cal_json_int(json_object_get(d, "summary"), "cliques_added", 0), 1);
	json_decref(d);
	json_decref(dd);
	/* The other way round, and design against design. */
	d = diff(st, "e", "live", "design:as-built", NULL);
	assert_ids(d, "objects", "added", "h2:vnic:tap2,vm2");
	json_decref(d);
	d = diff(st, "e", "design:as-built", "design:from-file", NULL);
	assert_true(json_is_true(json_object_get(d, "equal")));
	json_decref(d);
	w_fini(&w);
}

static void test_design_wildcards(void **state)
{
	cal_store *st = fx_store(state);
	static const char design[] =
		"calipso_design: 1\n"
		"objects:\n"
		"- id: h1\n"
		"  type: host\n"
		"  '*': '*'\n"
		"- id: 'h*:host_pnic:*'\n"
		"  $count: 2\n"
		"  operstate: up\n"
		"  mtu: '*'\n"
		"  '*': '*'\n"
		"- id: 'vm*'\n"
		"  $count: 1..3\n"
		"  type: instance\n"
		"  project_id: 'p[12]'\n"
		"  '*': '*'\n"
		"- id: '*'\n"
		"  $count: 0..\n"
		"  '*': '*'\n"
		"- id: gone\n"
		"  type: network\n"
		"links:\n"
		"- source_id: vm1\n"
		"  link_type: instance-vnic\n"
		"  target_id: h1:vnic:tap1\n"
		"  state: up\n"
		"  '*': '*'\n";
	struct world w;
	const json_t *e;
	json_t *d, *rec = NULL;

	w_init(&w, "e", 2);
	w_commit(st, &w, "e", T0);
	assert_int_equal(cal_design_import(st, &rec, "e", "loose", design, strlen(design),
					   "loose.yaml", false), 0);
	assert_int_equal(cal_json_int(json_object_get(rec, "counts"), "objects", 0), 5);
	json_decref(rec);
	d = diff(st, "e", "design:loose", "live", NULL);
	/* Only the network the design expects is missing; the catch-all takes
	 * every other object and link entry. */
	assert_ids(d, "objects", "removed", "gone");
	assert_ids(d, "objects", "added", "");
	assert_ids(d, "objects", "changed", "");
	assert_ids(d, "links", "changed", "");
	/* Links the design does not list are unexpected. */
	assert_int_equal(cal_json_int(json_object_get(d, "summary"), "links_added", 0), 5);
	json_decref(d);
	/* A NIC down breaks "operstate: up"; a third NIC breaks $count. */
	w_set(&w, "h2:host_pnic:eth0", "operstate", json_string("down"));
	w_host(&w, "e", 3);
	w_commit(st, &w, "e", T0 + 60 * SEC);
	d = diff(st, "e", "design:loose", "live", NULL);
	e = changed_entry(d, "objects", "h2:host_pnic:eth0");
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(field_of(e, "operstate"), "before")),
			    "up");
	e = changed_entry(d, "objects", "h*:host_pnic:*");
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(field_of(e, "$count"), "after")), 3);
	/* vm3 is of project p3, not p[12]. */
	e = changed_entry(d, "objects", "vm3");
	assert_non_null(field_of(e, "project_id"));
	json_decref(d);
	w_fini(&w);
}

/* A design of one clique (from a clique-scoped snapshot): its members
 * only, and drift within that clique only. */
static void test_design_of_a_clique(void **state)
{
	cal_store *st = fx_store(state);
	struct cal_snapshot_opts so = { .name = "pre", .clique = "vm1" };
	struct world w;
	json_t *rec = NULL, *doc, *d;
	size_t i;
	json_t *o;

	w_init(&w, "e", 2);
	w_commit(st, &w, "e", T0);
	assert_int_equal(cal_snapshot_create(st, NULL, "e", &so), 0);
	assert_int_equal(cal_design_set(st, &rec, "e", "vm1-design", "pre", false), 0);
	doc = json_object_get(rec, "doc");
	assert_string_equal(cal_json_str(doc, "scope"), "clique:vm1");
	assert_int_equal(json_array_size(json_object_get(doc, "objects")), 4);
	assert_int_equal(json_array_size(json_object_get(doc, "links")), 3);
	assert_int_equal(json_array_size(json_object_get(doc, "cliques")), 1);
	json_array_foreach(json_object_get(doc, "objects"), i, o)
		assert_string_equal(cal_json_str(o, CAL_F_HOST), "h1");
	json_decref(rec);
	d = diff(st, "e", "design:vm1-design", "live", NULL);
	assert_true(json_is_true(json_object_get(d, "equal")));
	assert_string_equal(cal_json_str(d, "scope"), "clique:vm1");
	json_decref(d);
	/* Outside the clique: no drift; inside: drift. */
	w_set(&w, "h2:host_pnic:eth0", "mtu", json_integer(9000));
	w_commit(st, &w, "e", T0 + 10 * SEC);
	d = diff(st, "e", "design:vm1-design", "live", NULL);
	assert_true(json_is_true(json_object_get(d, "equal")));
	json_decref(d);
	json_object_del(w.links, "h1:vconnector:br0|vconnector-host_pnic|h1:host_pnic:eth0");
	w_set(&w, "h1:vnic:tap1", "operstate", json_string("down"));
	w_commit(st, &w, "e", T0 + 20 * SEC);
	d = diff(st, "e", "design:vm1-design", "live", NULL);
	assert_ids(d, "objects", "changed", "h1:vnic:tap1");
	assert_ids(d, "links", "removed", "h1:vconnector:br0|vconnector-host_pnic|"
					  "h1:host_pnic:eth0");
	assert_int_equal(cal_json_int(json_object_get(d, "summary"), "cliques_changed", 0), 1);
	json_decref(d);
	w_fini(&w);
}

static void test_volatile_fields_documented(void **state)
{
	json_t *v = cal_diff_volatile_fields(), *arr;
	const char *dir = getenv("CALIPSO_TEST_DATA"), *k;
	char path[512], line[512];
	FILE *f;
	json_t *doc = json_object();
	bool in_table = false;

	(void)state;
	assert_non_null(v);
	/* The code's list: every field core marks volatile, nothing else. */
	assert_true(df_is_volatile("vnic", "stats"));
	assert_true(df_is_volatile("instance", "pids"));
	assert_true(df_is_volatile(NULL, "last_scanned"));
	assert_false(df_is_volatile("vnic", "operstate"));
	assert_false(df_is_volatile("host", "stats"));
	json_object_foreach(v, k, arr) {
		size_t i;
		json_t *fld;

		json_array_foreach(arr, i, fld)
			assert_true(df_is_volatile(strcmp(k, "*") ? k : NULL,
						   json_string_value(fld)));
	}
	/* docs/snapshots.md lists exactly these: "| type | fields |" rows
	 * between the markers. */
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/../../docs/snapshots.md", dir);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s", path);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "<!-- volatile-fields:begin -->")) {
			in_table = true;
			continue;
		}
		if (strstr(line, "<!-- volatile-fields:end -->"))
			break;
		if (in_table && line[0] == '|' && !strstr(line, "---") && !strstr(line, "| type")) {
			char type[64], fields[400];
			json_t *list = json_array();
			char *save = NULL;

			assert_int_equal(sscanf(line, "| %63[^ |] | %399[^|]|", type, fields), 2);
			for (char *t = strtok_r(fields, ", `", &save); t;
			     t = strtok_r(NULL, ", `", &save))
				if (*t && *t != '\n')
					json_array_append_new(list, json_string(t));
			json_object_set_new(doc, strcmp(type, "(every)") == 0 ? "*" : type, list);
		}
	}
	fclose(f);
	if (!json_equal(doc, v)) {
		char *a = json_dumps(doc, JSON_SORT_KEYS), *b = json_dumps(v, JSON_SORT_KEYS);

		fail_msg("docs/snapshots.md lists %s; the code has %s", a, b);
	}
	json_decref(doc);
	json_decref(v);
}

/* ------------------------------------------------------------------ */
/* Reports table                                                       */
/* ------------------------------------------------------------------ */

static void test_reports_table(void **state)
{
	cal_store *st = fx_store(state);
	struct cal_report_record r = { .env = "e", .kind = "diff", .format = "csv", .title = "t",
				       .content = "a,b\r\n1,2\r\n", .length = 10 };
	json_t *meta = NULL, *list = NULL, *args = json_pack("{s:s}", "a", "s1");
	int64_t id1, id2;
	char *content = NULL;
	size_t len;

	r.args = args;
	assert_int_equal(cal_store_report_put(st, &id1, &r), 0);
	r.format = "html";
	r.content = "<html></html>";
	r.length = strlen(r.content);
	assert_int_equal(cal_store_report_put(st, &id2, &r), 0);
	assert_true(id2 > id1);
	assert_int_equal(cal_store_report_get(st, &meta, &content, &len, id1), 0);
	assert_string_equal(content, "a,b\r\n1,2\r\n");
	assert_int_equal(len, 10);
	assert_string_equal(cal_json_str(json_object_get(meta, "args"), "a"), "s1");
	assert_int_equal(cal_json_int(meta, "size", 0), 10);
	free(content);
	json_decref(meta);
	assert_int_equal(cal_store_report_list(st, &list, "e"), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_int_equal(cal_json_int(json_array_get(list, 0), "id", 0), id2);
	assert_null(json_object_get(json_array_get(list, 0), "content"));
	json_decref(list);
	assert_int_equal(cal_store_report_remove(st, id1), 0);
	assert_int_equal(cal_store_report_remove(st, id1), CAL_ENOTFOUND);
	assert_int_equal(cal_store_report_get(st, &meta, NULL, NULL, id1), CAL_ENOTFOUND);
	r.length = 3; /* says a NUL is inside */
	assert_int_equal(cal_store_report_put(st, &id1, &r), CAL_EINVALID);
	json_decref(args);
}

#define BOTH(fn)                                                         \
	cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),    \
	cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_names),
		cmocka_unit_test(test_volatile_fields_documented),
		BOTH(test_snapshot_lifecycle),
		BOTH(test_snapshot_time_is_stable),
		BOTH(test_snapshot_counts_follow_changes),
		BOTH(test_changes_between_times),
		cmocka_unit_test_setup_teardown(test_changes_use_time_indexes, setup_sqlite,
						teardown),
		BOTH(test_diff_times),
		BOTH(test_diff_bad_references),
		BOTH(test_diff_scopes),
		BOTH(test_diff_clique_membership),
		BOTH(test_retention),
		BOTH(test_design_drift),
		BOTH(test_design_wildcards),
		BOTH(test_design_of_a_clique),
		BOTH(test_reports_table),
	};

	if (!getenv("CALIPSO_TEST_PG_URI"))
		fprintf(stderr, "test_diff: CALIPSO_TEST_PG_URI is not set: PostgreSQL cases "
			"are skipped (scripts/pg-test-server.sh start DIR prints one)\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
