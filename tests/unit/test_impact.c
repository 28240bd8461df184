/* test_impact.c - impact analysis on a small cloud built by hand: two hosts,
 * a Linux-bridge network and an OVS one, VMs plugged every way, DHCP
 * services, a switch.  Which instances and services lose their path when
 * a NIC, a vedge, a bridge, a switch port, the switch or a vNIC goes down;
 * the groups by project, host, network and switch; the project filter;
 * impact at a past time; unknown objects.
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
/* The cloud                                                           */
/* ------------------------------------------------------------------ */

struct cloud {
	json_t *objs, *links;
};

static json_t *obj(struct cloud *c, enum cal_obj_type t, const char *id, const char *host,
		   const char *parent)
{
	json_t *o = cal_object_new("e1", t, id, id, host);

	cal_object_set_parent(o, parent ? json_object_get(c->objs, parent) : NULL);
	json_object_set_new(o, CAL_F_SOURCE, json_string("netlink"));
	json_object_set_new(c->objs, id, o);
	return o;
}

static void lnk(struct cloud *c, const char *s, const char *d, const char *net)
{
	json_t *l = cal_link_new("e1", json_object_get(c->objs, s), json_object_get(c->objs, d),
				 "x", "up", net, NULL);

	assert_non_null(l);
	json_object_set_new(c->links, cal_json_str(l, CAL_F_ID), l);
}

static void vm(struct cloud *c, const char *name, const char *host, const char *net,
	       const char *plug, const char *project)
{
	char tap[64], br[64], ovs[64], otep[64], pnic[64];
	json_t *o = obj(c, CAL_T_INSTANCE, name, host, host);

	json_object_set_new(o, "network", json_pack("[s]", net));
	if (project)
		json_object_set_new(o, "project", json_string(project));
	snprintf(tap, sizeof(tap), "%s:tap-%s", host, name);
	obj(c, CAL_T_VNIC, tap, host, name);
	lnk(c, name, tap, net);
	snprintf(ovs, sizeof(ovs), "%s:ovs", host);
	snprintf(otep, sizeof(otep), "%s:kotep", host);
	snprintf(pnic, sizeof(pnic), "%s:eth0", host);
	if (strcmp(plug, "bridge") == 0) {
		snprintf(br, sizeof(br), "%s:brq-%s", host, net);
		if (!json_object_get(c->objs, br))
			obj(c, CAL_T_VCONNECTOR, br, host, host);
		lnk(c, tap, br, net);
		lnk(c, br, otep, net);
		lnk(c, pnic, net, net);
	} else {
		if (strcmp(plug, "hybrid") == 0) {
			snprintf(br, sizeof(br), "%s:qbr-%s", host, name);
			obj(c, CAL_T_VCONNECTOR, br, host, host);
			lnk(c, tap, br, net);
			lnk(c, br, ovs, net);
		} else {
			lnk(c, tap, ovs, net);
		}
		snprintf(pnic, sizeof(pnic), "%s:eth1", host);
		lnk(c, pnic, net, net);
	}
}

static void service(struct cloud *c, const char *name, const char *host, const char *net,
		    bool ovs)
{
	char ns[64], br[64], other[64], pnic[64];
	json_t *o = obj(c, CAL_T_VSERVICE, name, host, host);

	json_object_set_new(o, "network", json_pack("[s]", net));
	snprintf(ns, sizeof(ns), "%s:ns-%s", host, name);
	obj(c, CAL_T_VNIC, ns, host, name);
	lnk(c, name, ns, net);
	if (ovs) {
		snprintf(other, sizeof(other), "%s:ovs", host);
		lnk(c, ns, other, net);
	} else {
		snprintf(br, sizeof(br), "%s:brq-%s", host, net);
		if (!json_object_get(c->objs, br))
			obj(c, CAL_T_VCONNECTOR, br, host, host);
		lnk(c, ns, br, net);
		snprintf(other, sizeof(other), "%s:kotep", host);
		lnk(c, br, other, net);
		snprintf(pnic, sizeof(pnic), "%s:eth0", host);
		lnk(c, pnic, net, net);
	}
}

/* h1: a1 (netA, bridge, project red), b1 (netB, hybrid), b2 (netB,
 * direct), dhcp-a (netA), dhcp-b (netB on OVS); h2: a2 (netA, bridge), b3
 * (netB, direct); `with_b2` false leaves b2 out. */
static struct cloud cloud(bool with_b2)
{
	struct cloud c = { json_object(), json_object() };
	static const char *const hosts[] = { "h1", "h2" };

	obj(&c, CAL_T_SWITCH, "sw", "sw", NULL);
	obj(&c, CAL_T_NETWORK, "netA", NULL, NULL);
	obj(&c, CAL_T_NETWORK, "netB", NULL, NULL);
	for (int i = 0; i < 2; i++) {
		const char *h = hosts[i];
		char a[64], b[64];

		obj(&c, CAL_T_HOST, h, h, NULL);
		for (int p = 0; p < 2; p++) {
			snprintf(a, sizeof(a), "%s:eth%d", h, p);
			snprintf(b, sizeof(b), "sw:%s-eth%d", h, p);
			obj(&c, CAL_T_HOST_PNIC, a, h, h);
			obj(&c, CAL_T_SWITCH_PNIC, b, "sw", "sw");
			lnk(&c, a, b, NULL);
			lnk(&c, "sw", b, NULL);
		}
		snprintf(a, sizeof(a), "%s:kotep", h);
		obj(&c, CAL_T_OTEP, a, h, h);
		snprintf(b, sizeof(b), "%s:eth0", h);
		lnk(&c, a, b, NULL);
		snprintf(a, sizeof(a), "%s:ovs", h);
		obj(&c, CAL_T_VEDGE, a, h, h);
		snprintf(b, sizeof(b), "%s:ootep", h);
		obj(&c, CAL_T_OTEP, b, h, h);
		lnk(&c, a, b, NULL);
		snprintf(a, sizeof(a), "%s:eth1", h);
		lnk(&c, b, a, NULL);
		snprintf(b, sizeof(b), "%s:ovs", h);
		lnk(&c, b, a, NULL);
	}
	vm(&c, "a1", "h1", "netA", "bridge", "red");
	vm(&c, "b1", "h1", "netB", "hybrid", NULL);
	if (with_b2)
		vm(&c, "b2", "h1", "netB", "direct", NULL);
	vm(&c, "a2", "h2", "netA", "bridge", NULL);
	vm(&c, "b3", "h2", "netB", "direct", NULL);
	service(&c, "dhcp-a", "h1", "netA", false);
	service(&c, "dhcp-b", "h1", "netB", true);
	return c;
}

static int64_t commit(cal_store *st, bool with_b2)
{
	struct cloud c = cloud(with_b2);
	struct cal_commit cm = { .env = "e1", .objects = c.objs, .links = c.links, .clear = true };
	struct cal_commit_stats s = { 0 };

	if (cal_store_commit(st, &cm, &s))
		fail_msg("commit: %s", cal_error_last());
	if (cal_analyze_refresh(st, "e1", s.ts, NULL))
		fail_msg("refresh: %s", cal_error_last());
	json_decref(c.objs);
	json_decref(c.links);
	return s.ts;
}

/* The sorted focal points of `arr` (ids), joined by spaces. */
static char *ids(const json_t *arr, const char *key)
{
	static char buf[1024];
	size_t i;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(arr, i, v) {
		const char *s = key ? cal_json_str(v, key) : json_string_value(v);

		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "", s);
	}
	return buf;
}

static json_t *impact(cal_store *st, const char *id, bool down, const char *project,
		      int64_t at)
{
	struct cal_impact_opts o = { .what_if_down = down, .project = project, .at = at };
	json_t *r = NULL;

	if (cal_impact(st, &r, "e1", id, &o))
		fail_msg("impact of %s: %s", id, cal_error_last());
	return r;
}

/* The focal points that lose their path, sorted. */
static void expect_lost(cal_store *st, const char *id, const char *want)
{
	json_t *r = impact(st, id, true, NULL, 0), *lost = json_array(), *e;
	size_t i;

	/* `affected` is sorted by type then name: collect in that order. */
	json_array_foreach(json_object_get(r, "affected"), i, e)
		if (json_is_true(json_object_get(e, "loses_path")))
			json_array_append_new(lost, json_string(cal_json_str(e, "focal_point")));
	if (strcmp(ids(lost, NULL), want) != 0)
		fail_msg("what if %s goes down:\n  got  %s\n  want %s", id, ids(lost, NULL), want);
	assert_int_equal(json_array_size(json_object_get(r, "lost")), json_array_size(lost));
	json_decref(lost);
	json_decref(r);
}

static void test_what_if_down(void **state)
{
	NEED_STORE();

	commit(f->st, true);
	/* The NIC of the Linux-bridge network, and its switch port. */
	expect_lost(f->st, "h1:eth0", "a1 dhcp-a");
	expect_lost(f->st, "sw:h1-eth0", "a1 dhcp-a");
	/* The NIC under OVS, the vedge, the OVS tunnel endpoint. */
	expect_lost(f->st, "h1:eth1", "b1 b2 dhcp-b");
	expect_lost(f->st, "h1:ovs", "b1 b2 dhcp-b");
	expect_lost(f->st, "h2:ovs", "b3");
	/* A VM's own bridge and vNIC. */
	expect_lost(f->st, "h1:qbr-b1", "b1");
	expect_lost(f->st, "h1:tap-b2", "b2");
	/* The Linux bridge of netA on h1: a1 and the DHCP server. */
	expect_lost(f->st, "h1:brq-netA", "a1 dhcp-a");
	/* The switch: everyone. */
	expect_lost(f->st, "sw", "a1 a2 b1 b2 b3 dhcp-a dhcp-b");
	/* An object in no path: nobody. */
	expect_lost(f->st, "h2:kotep", "a2");
	expect_lost(f->st, "h1", "");
}

static void test_groups_and_filters(void **state)
{
	NEED_STORE();
	json_t *r, *e;
	size_t i;

	commit(f->st, true);
	r = impact(f->st, "h1:eth0", false, NULL, 0);
	/* Without "what if": who is in the cliques, no verdicts. */
	assert_null(json_object_get(r, "lost"));
	json_array_foreach(json_object_get(r, "affected"), i, e)
		assert_null(json_object_get(e, "loses_path"));
	assert_string_equal(ids(json_object_get(r, "affected"), "focal_point"),
			    "a1 netA sw:h1-eth0 dhcp-a");
	assert_string_equal(ids(json_object_get(json_object_get(r, "by_project"), "red"), NULL),
			    "a1");
	assert_string_equal(ids(json_object_get(json_object_get(r, "by_project"), ""), NULL),
			    "netA sw:h1-eth0 dhcp-a");
	assert_string_equal(ids(json_object_get(json_object_get(r, "by_host"), "h1"), NULL),
			    "a1 dhcp-a");
	assert_string_equal(ids(json_object_get(json_object_get(r, "by_network"), "netA"), NULL),
			    "a1 netA sw:h1-eth0 dhcp-a");
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "by_switch"), "sw")),
			 4);
	assert_null(json_object_get(json_object_get(r, "by_network"), "netB"));
	assert_string_equal(cal_json_str(json_object_get(r, "object"), "type"), "host_pnic");
	/* dhcp-a has no project: said so. */
	assert_int_equal(json_array_size(json_object_get(r, "notes")), 1);
	json_decref(r);
	r = impact(f->st, "h1:eth0", true, "red", 0);
	assert_string_equal(ids(json_object_get(r, "affected"), "focal_point"), "a1");
	assert_string_equal(ids(json_object_get(r, "lost"), NULL), "a1");
	assert_int_equal(json_array_size(json_object_get(r, "notes")), 0);
	json_decref(r);
}

static void test_at_a_past_time(void **state)
{
	NEED_STORE();
	int64_t t1;
	json_t *r = NULL;

	t1 = commit(f->st, true);
	commit(f->st, false);
	expect_lost(f->st, "h1:eth1", "b1 dhcp-b");
	r = impact(f->st, "h1:eth1", true, NULL, t1);
	assert_string_equal(ids(json_object_get(r, "lost"), NULL), "b1 b2 dhcp-b");
	json_decref(r);
	/* Gone now, there then. */
	assert_int_equal(cal_impact(f->st, &r, "e1", "h1:tap-b2", NULL), CAL_ENOTFOUND);
	assert_non_null(strstr(cal_error_last(), "h1:tap-b2"));
	r = impact(f->st, "h1:tap-b2", true, NULL, t1);
	assert_string_equal(ids(json_object_get(r, "lost"), NULL), "b2");
	json_decref(r);
	assert_int_equal(cal_impact(f->st, &r, "e1", "nope", NULL), CAL_ENOTFOUND);
}

int main(void)
{
#define BOTH(t)                                                      \
	cmocka_unit_test_setup_teardown(t, setup_sqlite, teardown), \
		cmocka_unit_test_setup_teardown(t, setup_pg, teardown)
	const struct CMUnitTest tests[] = {
		BOTH(test_what_if_down),
		BOTH(test_groups_and_filters),
		BOTH(test_at_a_past_time),
	};

	if (!getenv("CALIPSO_TEST_PG_URI"))
		fprintf(stderr, "test_impact: PostgreSQL cases skipped: CALIPSO_TEST_PG_URI is not "
				"set (scripts/pg-test-server.sh start DIR)\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
