/* test_search.c - the search index and its ranking: exact ids and names
 * first, then other exact values, CIDRs holding an IP, prefixes and
 * substrings; case-insensitive; LIKE wildcards taken literally; type
 * filters and limits; the index following commits incrementally (renamed,
 * removed and new objects) with the FTS index consistent; several
 * environments at once.
 *
 * Each case runs on a SQLite file and on PostgreSQL (cq_store_fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyze/analyze.h"

#include "cq_store_fixture.h"

/* ------------------------------------------------------------------ */

static json_t *obj(json_t *objs, const char *env, enum cal_obj_type t, const char *id,
		   const char *name, const char *host, json_t *parent)
{
	json_t *o = cal_object_new(env, t, id, name, host);

	cal_object_set_parent(o, parent);
	json_object_set_new(o, CAL_F_SOURCE, json_string("netlink"));
	json_object_set_new(objs, id, o);
	return o;
}

/* A small inventory: web1, web10, a vnic naming web1 in an attribute, a
 * network with a CIDR, a pnic with an address. */
static json_t *inventory(const char *env, const char *web1_name)
{
	json_t *objs = json_object(), *h, *o;

	h = obj(objs, env, CAL_T_HOST, "node-a", "node-a", "node-a", NULL);
	o = obj(objs, env, CAL_T_INSTANCE, "6f1c0d2e-aaaa-4bbb-8ccc-0123456789ab", web1_name,
		"node-a", h);
	json_object_set_new(o, "mac_address", json_string("fa:16:3e:12:34:56"));
	o = obj(objs, env, CAL_T_INSTANCE, "0a0b0c0d-1111-4222-8333-444455556666", "web10",
		"node-a", h);
	json_object_set_new(o, "mac_address", json_string("fa:16:3e:12:99:99"));
	o = obj(objs, env, CAL_T_VNIC, "node-a:vnic:tap6f1c0d2e-aa", "tap6f1c0d2e-aa", "node-a",
		h);
	json_object_set_new(o, "peer", json_pack("{s:s, s:s}", "netns", web1_name, "name",
						 "eth0"));
	json_object_set_new(o, "mac_address", json_string("fa:16:3e:12:34:56"));
	json_object_set_new(o, "addresses", json_pack("[s]", "10.5.3.4/16"));
	json_object_set_new(o, "stats", json_pack("{s:i}", "rx_bytes", 777123));
	o = obj(objs, env, CAL_T_NETWORK, "net-blue", "blue", NULL, NULL);
	json_object_set_new(o, "cidrs", json_pack("[s]", "10.5.0.0/16"));
	json_object_set_new(o, "segmentation_id", json_integer(4242));
	o = obj(objs, env, CAL_T_HOST_PNIC, "node-a:host_pnic:eth0", "eth0", "node-a", h);
	json_object_set_new(o, "addresses", json_pack("[s]", "192.168.7.20/24"));
	o = obj(objs, env, CAL_T_HOST_PNIC, "node-a:host_pnic:a_c", "a_c", "node-a", h);
	return objs;
}

static int64_t commit(cal_store *st, const char *env, json_t *objs)
{
	struct cal_commit c = { .env = env, .objects = objs, .clear = true };
	struct cal_commit_stats s = { 0 };
	struct cal_search_stats ss;

	if (cal_store_commit(st, &c, &s))
		fail_msg("commit: %s", cal_error_last());
	if (cal_search_refresh(st, env, s.ts, &ss))
		fail_msg("search refresh: %s", cal_error_last());
	json_decref(objs);
	return s.ts;
}

static json_t *search(cal_store *st, const char *env, const char *text, const char *type,
		      int limit)
{
	struct cal_search_opts o = { .type = type, .limit = limit };
	json_t *hits = NULL;

	if (cal_search(st, &hits, env, text, &o))
		fail_msg("search '%s': %s", text, cal_error_last());
	return hits;
}

/* "id:match:field" of each hit, joined by spaces. */
static char *summary(const json_t *hits)
{
	static char buf[2048];
	size_t i;
	json_t *h;

	buf[0] = '\0';
	json_array_foreach(hits, i, h)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s:%s:%s", i ? " " : "",
			 cal_json_str(h, "id"), cal_json_str(h, "match"), cal_json_str(h, "field"));
	return buf;
}

static void expect(cal_store *st, const char *env, const char *text, const char *type,
		   const char *want)
{
	json_t *hits = search(st, env, text, type, 0);
	char *got = summary(hits);

	if (strcmp(got, want) != 0)
		fail_msg("search '%s':\n  got  %s\n  want %s", text, got, want);
	json_decref(hits);
}

static void test_ranking(void **state)
{
	NEED_STORE();
	json_t *hits;

	commit(f->st, "e1", inventory("e1", "web1"));
	/* Exact name, then an exact other field (the vnic's peer), then
	 * names starting with the text. */
	expect(f->st, "e1", "WEB1", NULL,
	       "6f1c0d2e-aaaa-4bbb-8ccc-0123456789ab:exact:name "
	       "node-a:vnic:tap6f1c0d2e-aa:exact:peer.netns "
	       "0a0b0c0d-1111-4222-8333-444455556666:prefix:name");
	/* A MAC, whatever its case: both holders, exactly. */
	expect(f->st, "e1", "FA:16:3E:12:34:56", NULL,
	       "6f1c0d2e-aaaa-4bbb-8ccc-0123456789ab:exact:mac_address "
	       "node-a:vnic:tap6f1c0d2e-aa:exact:mac_address");
	/* An IP: the address exactly, and the network whose CIDR holds it. */
	hits = search(f->st, "e1", "10.5.3.4", NULL, 0);
	assert_string_equal(summary(hits), "net-blue:cidr:cidrs "
					   "node-a:vnic:tap6f1c0d2e-aa:exact:addresses");
	assert_string_equal(cal_json_str(json_array_get(hits, 0), "value"), "10.5.0.0/16");
	assert_string_equal(cal_json_str(json_array_get(hits, 1), "value"), "10.5.3.4");
	assert_string_equal(cal_json_str(json_array_get(hits, 1), "name_path"),
			    "/e1/node-a/tap6f1c0d2e-aa");
	json_decref(hits);
	expect(f->st, "e1", "10.6.0.1", NULL, "");
	/* The start of an id: that object first, then those containing it
	 * (the vnic's id and name hold it). */
	expect(f->st, "e1", "6f1c0d2e", NULL,
	       "6f1c0d2e-aaaa-4bbb-8ccc-0123456789ab:prefix:id "
	       "node-a:vnic:tap6f1c0d2e-aa:substring:id");
	/* Numbers are values too; volatile counters are not. */
	expect(f->st, "e1", "4242", NULL, "net-blue:exact:segmentation_id");
	expect(f->st, "e1", "777123", NULL, "");
	/* Fragments of ids. */
	expect(f->st, "e1", "4bbb-8c", NULL, "6f1c0d2e-aaaa-4bbb-8ccc-0123456789ab:substring:id");
	/* LIKE's wildcards are plain characters. */
	expect(f->st, "e1", "a_c", NULL, "node-a:host_pnic:a_c:exact:name");
	expect(f->st, "e1", "a%c", NULL, "");
	/* A type filter, a limit. */
	expect(f->st, "e1", "web1", "instance",
	       "6f1c0d2e-aaaa-4bbb-8ccc-0123456789ab:exact:name "
	       "0a0b0c0d-1111-4222-8333-444455556666:prefix:name");
	hits = search(f->st, "e1", "fa:16", NULL, 2);
	assert_int_equal(json_array_size(hits), 2);
	json_decref(hits);
	/* Not searchable: paths and the environment. */
	expect(f->st, "e1", "/e1/node-a", NULL, "");
}

static void test_bad_input(void **state)
{
	NEED_STORE();
	struct cal_search_opts o = { .type = "vm" };
	json_t *hits = NULL;

	commit(f->st, "e1", inventory("e1", "web1"));
	assert_int_equal(cal_search(f->st, &hits, "e1", "   ", NULL), CAL_EINVALID);
	assert_int_equal(cal_search(f->st, &hits, "e1", "web1", &o), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "'vm'"));
	/* An environment without an index finds nothing. */
	hits = search(f->st, "nowhere", "web1", NULL, 0);
	assert_int_equal(json_array_size(hits), 0);
	json_decref(hits);
}

static int fts_ok(cal_store *st)
{
	cal_store_stmt *s = NULL;
	int rc;

	if (cal_store_is_postgres(st))
		return 0;
	rc = cal_store_sql_prepare(st, &s, "INSERT INTO search_fts (search_fts, rank) "
				   "VALUES ('integrity-check', 1)");
	if (rc == 0)
		rc = cal_store_sql_step(s);
	cal_store_sql_reset(s);
	return rc < 0 ? rc : 0;
}

static void test_incremental(void **state)
{
	NEED_STORE();
	struct cal_search_stats ss;
	json_t *objs, *hits;

	commit(f->st, "e1", inventory("e1", "web1"));
	/* Renamed: the new name is found, the old one no longer. */
	commit(f->st, "e1", inventory("e1", "shop1"));
	expect(f->st, "e1", "shop1", "instance", "6f1c0d2e-aaaa-4bbb-8ccc-0123456789ab:exact:name");
	expect(f->st, "e1", "web1", "instance", "0a0b0c0d-1111-4222-8333-444455556666:prefix:name");
	assert_int_equal(fts_ok(f->st), 0);
	/* Removed, and a new one. */
	objs = inventory("e1", "shop1");
	json_object_del(objs, "0a0b0c0d-1111-4222-8333-444455556666");
	obj(objs, "e1", CAL_T_INSTANCE, "cafe0000-0000-4000-8000-00000000beef", "db7", "node-a",
	    json_object_get(objs, "node-a"));
	commit(f->st, "e1", objs);
	expect(f->st, "e1", "web10", NULL, "");
	expect(f->st, "e1", "db7", NULL, "cafe0000-0000-4000-8000-00000000beef:exact:name");
	expect(f->st, "e1", "beef", NULL, "cafe0000-0000-4000-8000-00000000beef:substring:id");
	assert_int_equal(fts_ok(f->st), 0);
	/* Nothing changed: nothing reindexed. */
	objs = inventory("e1", "shop1");
	json_object_del(objs, "0a0b0c0d-1111-4222-8333-444455556666");
	obj(objs, "e1", CAL_T_INSTANCE, "cafe0000-0000-4000-8000-00000000beef", "db7", "node-a",
	    json_object_get(objs, "node-a"));
	{
		struct cal_commit c = { .env = "e1", .objects = objs, .clear = true };
		struct cal_commit_stats s = { 0 };

		assert_int_equal(cal_store_commit(f->st, &c, &s), 0);
		assert_int_equal(cal_search_refresh(f->st, "e1", s.ts, &ss), 0);
		assert_int_equal(ss.indexed, 0);
		assert_false(ss.full);
		json_decref(objs);
	}
	/* A full rebuild gives the same answers. */
	assert_int_equal(cal_search_rebuild(f->st, "e1", &ss), 0);
	assert_true(ss.full);
	assert_int_equal(fts_ok(f->st), 0);
	hits = search(f->st, "e1", "db7", NULL, 0);
	assert_string_equal(summary(hits), "cafe0000-0000-4000-8000-00000000beef:exact:name");
	json_decref(hits);
}

static void test_every_environment(void **state)
{
	NEED_STORE();
	json_t *hits, *cfg;

	commit(f->st, "e1", inventory("e1", "web1"));
	commit(f->st, "e2", inventory("e2", "web1"));
	cfg = json_object();
	assert_int_equal(cal_store_env_put(f->st, "e1", cfg, true), 0);
	assert_int_equal(cal_store_env_put(f->st, "e2", cfg, true), 0);
	json_decref(cfg);
	hits = search(f->st, NULL, "web1", "instance", 0);
	/* Both environments' web1 first, then both web10. */
	assert_int_equal(json_array_size(hits), 4);
	assert_string_equal(cal_json_str(json_array_get(hits, 0), "match"), "exact");
	assert_string_equal(cal_json_str(json_array_get(hits, 1), "match"), "exact");
	assert_string_not_equal(cal_json_str(json_array_get(hits, 0), "environment"),
				cal_json_str(json_array_get(hits, 1), "environment"));
	assert_string_equal(cal_json_str(json_array_get(hits, 3), "match"), "prefix");
	json_decref(hits);
}

int main(void)
{
#define BOTH(t)                                                      \
	cmocka_unit_test_setup_teardown(t, setup_sqlite, teardown), \
		cmocka_unit_test_setup_teardown(t, setup_pg, teardown)
	const struct CMUnitTest tests[] = {
		BOTH(test_ranking),
		BOTH(test_bad_input),
		BOTH(test_incremental),
		BOTH(test_every_environment),
	};

	if (!getenv("CALIPSO_TEST_PG_URI"))
		fprintf(stderr, "test_search: PostgreSQL cases skipped: CALIPSO_TEST_PG_URI is not "
				"set (scripts/pg-test-server.sh start DIR)\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
