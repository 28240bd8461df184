/* test_clique.c - clique types (validation, selection by specificity,
 * overrides), growth on hand-made graphs (every plugging style, the network
 * constraint, steps that add nothing), stored documents and their hashes,
 * and the property that incremental refreshes equal a full recomputation
 * after random sequences of changes.
 *
 * Store-backed cases run on a SQLite file and on PostgreSQL
 * (cq_store_fixture.h).
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
#include "analyze/analyze_int.h"

#include "cq_store_fixture.h"

/* ------------------------------------------------------------------ */
/* Clique types                                                        */
/* ------------------------------------------------------------------ */

static json_t *jparse(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, 0, &err);

	if (!v)
		fail_msg("bad test JSON: %s: %s", err.text, text);
	return v;
}

static void check_invalid(const char *text, const char *needle)
{
	json_t *t = jparse(text);

	assert_int_equal(cal_clique_type_check(t), CAL_EINVALID);
	if (!strstr(cal_error_last(), needle))
		fail_msg("error '%s' does not mention '%s'", cal_error_last(), needle);
	json_decref(t);
}

static void test_type_validation(void **state)
{
	json_t *ok = jparse("{\"id\": \"t1\", \"focal_point_type\": \"instance\", "
			    "\"link_types\": [\"instance-vnic\", \"network-host_pnic\"], "
			    "\"constraints\": [\"network\"], \"type_drivers\": \"vlan\"}");

	(void)state;
	assert_int_equal(cal_clique_type_check(ok), 0);
	json_decref(ok);
	check_invalid("[1]", "JSON object");
	check_invalid("{\"id\": \"a b\", \"focal_point_type\": \"instance\", "
		      "\"link_types\": [\"instance-vnic\"]}", "'id'");
	check_invalid("{\"id\": \"t\", \"focal_point_type\": \"vm\", "
		      "\"link_types\": [\"instance-vnic\"]}", "focal_point_type 'vm'");
	check_invalid("{\"id\": \"t\", \"focal_point_type\": \"instance\", \"link_types\": []}",
		      "non-empty");
	check_invalid("{\"id\": \"t\", \"focal_point_type\": \"instance\", "
		      "\"link_types\": [\"instance-vnic\", \"vnic-bridge\"]}", "#2");
	check_invalid("{\"id\": \"t\", \"focal_point_type\": \"instance\", "
		      "\"link_types\": [\"instance-vnic-vconnector\"]}", "#1");
	check_invalid("{\"id\": \"t\", \"focal_point_type\": \"instance\", "
		      "\"link_types\": [\"instance-vnic\"], \"constraints\": [\"host\"]}",
		      "constraint");
	check_invalid("{\"id\": \"t\", \"focal_point_type\": \"instance\", "
		      "\"link_types\": [\"instance-vnic\"], \"colour\": 1}", "'colour'");
	check_invalid("{\"id\": \"t\", \"focal_point_type\": \"instance\", "
		      "\"link_types\": [\"instance-vnic\"], \"type_drivers\": [1]}", "type_drivers");
}

static void test_type_defaults_and_overrides(void **state)
{
	NEED_STORE();
	json_t *all = NULL, *t, *sel = NULL;
	size_t i;
	int n_builtin = 0;

	assert_int_equal(cal_clique_types_list(f->st, &all), 0);
	json_array_foreach(all, i, t) {
		assert_int_equal(cal_clique_type_check(t), 0);
		if (json_is_true(json_object_get(t, "builtin")))
			n_builtin++;
	}
	assert_true(n_builtin >= 4);
	json_decref(all);

	/* A default cannot be removed nor silently replaced. */
	assert_int_equal(cal_clique_type_remove(f->st, "instance"), CAL_EINVALID);
	assert_int_equal(cal_clique_type_remove(f->st, "nope"), CAL_ENOTFOUND);
	t = jparse("{\"id\": \"instance\", \"focal_point_type\": \"instance\", "
		   "\"link_types\": [\"instance-vnic\"]}");
	assert_int_equal(cal_clique_type_put(f->st, t, false), CAL_EEXISTS);
	/* Overridden with --replace; removing the override restores it. */
	assert_int_equal(cal_clique_type_put(f->st, t, true), 0);
	assert_int_equal(cal_clique_type_select(f->st, &sel, "e", "instance"), 0);
	assert_int_equal(json_array_size(json_object_get(sel, "link_types")), 1);
	assert_false(json_is_true(json_object_get(sel, "builtin")));
	json_decref(sel);
	assert_int_equal(cal_clique_type_remove(f->st, "instance"), 0);
	assert_int_equal(cal_clique_type_select(f->st, &sel, "e", "instance"), 0);
	assert_true(json_array_size(json_object_get(sel, "link_types")) > 5);
	assert_true(json_is_true(json_object_get(sel, "builtin")));
	json_decref(sel);
	json_decref(t);
	/* No type for a focal point type nobody defined. */
	assert_int_equal(cal_clique_type_select(f->st, &sel, "e", "region"), CAL_ENOTFOUND);
}

static void put_type(cal_store *st, const char *text)
{
	json_t *t = jparse(text);

	if (cal_clique_type_put(st, t, false))
		fail_msg("put %s: %s", text, cal_error_last());
	json_decref(t);
}

static void put_env(cal_store *st, const char *name, const char *cfg)
{
	json_t *c = jparse(cfg);

	assert_int_equal(cal_store_env_put(st, name, c, true), 0);
	json_decref(c);
}

static void expect_selected(cal_store *st, const char *env, const char *focal, const char *id)
{
	json_t *sel = NULL;

	if (cal_clique_type_select(st, &sel, env, focal))
		fail_msg("select %s/%s: %s", env, focal, cal_error_last());
	if (strcmp(cal_json_str(sel, "id"), id) != 0)
		fail_msg("environment %s, focal %s: selected '%s', expected '%s'", env, focal,
			 cal_json_str(sel, "id"), id);
	json_decref(sel);
}

static void test_type_selection(void **state)
{
	NEED_STORE();

	put_env(f->st, "plain", "{\"name\": \"plain\"}");
	put_env(f->st, "vlanonly", "{\"name\": \"vlanonly\", \"type_drivers\": [\"vlan\"]}");
	put_env(f->st, "mixed", "{\"name\": \"mixed\", \"type_drivers\": [\"vxlan\", \"vlan\"]}");
	put_env(f->st, "rdo", "{\"name\": \"rdo\", \"distribution\": \"RDO\", "
			      "\"distribution_version\": \"Zed\", \"mechanism_drivers\": [\"OVS\"], "
			      "\"type_drivers\": [\"vlan\"]}");
	put_env(f->st, "rdo-old", "{\"name\": \"rdo-old\", \"distribution\": \"RDO\", "
				  "\"distribution_version\": \"Queens\", "
				  "\"mechanism_drivers\": [\"OVS\"], \"type_drivers\": [\"vlan\"]}");

	/* Defaults: ANY, and the VLAN/flat variant only where every type
	 * driver is VLAN or flat. */
	expect_selected(f->st, "plain", "instance", "instance");
	expect_selected(f->st, "vlanonly", "instance", "instance-vlan");
	expect_selected(f->st, "mixed", "instance", "instance");
	expect_selected(f->st, "unknown-env", "network", "network");

	/* Specificity: mechanism driver beats type driver, distribution
	 * beats mechanism driver, distribution + version beats distribution,
	 * environment name beats them all. */
	put_type(f->st, "{\"id\": \"by-mech\", \"focal_point_type\": \"instance\", "
			"\"mechanism_drivers\": \"ovs\", \"link_types\": [\"instance-vnic\"]}");
	expect_selected(f->st, "rdo", "instance", "by-mech");
	put_type(f->st, "{\"id\": \"by-dist\", \"focal_point_type\": \"instance\", "
			"\"distribution\": \"rdo\", \"link_types\": [\"instance-vnic\"]}");
	expect_selected(f->st, "rdo", "instance", "by-dist");
	put_type(f->st, "{\"id\": \"by-version\", \"focal_point_type\": \"instance\", "
			"\"distribution\": \"RDO\", \"distribution_version\": \"Zed\", "
			"\"link_types\": [\"instance-vnic\"]}");
	expect_selected(f->st, "rdo", "instance", "by-version");
	expect_selected(f->st, "rdo-old", "instance", "by-dist");
	put_type(f->st, "{\"id\": \"by-env\", \"focal_point_type\": \"instance\", "
			"\"environment\": \"rdo\", \"link_types\": [\"instance-vnic\"]}");
	expect_selected(f->st, "rdo", "instance", "by-env");
	expect_selected(f->st, "rdo-old", "instance", "by-dist");
	/* Types for other focal points and environments are untouched. */
	expect_selected(f->st, "rdo", "network", "network-vlan");
	expect_selected(f->st, "plain", "instance", "instance");
	/* "ANY" is the same as no selector; a user type beats a default on a
	 * tie. */
	put_type(f->st, "{\"id\": \"any-user\", \"focal_point_type\": \"network\", "
			"\"environment\": \"ANY\", \"link_types\": [\"network-host_pnic\"]}");
	expect_selected(f->st, "plain", "network", "any-user");
	assert_int_equal(cal_clique_type_remove(f->st, "by-env"), 0);
	expect_selected(f->st, "rdo", "instance", "by-version");
}

/* ------------------------------------------------------------------ */
/* Growth on hand-made graphs                                          */
/* ------------------------------------------------------------------ */

static struct an_plan *plan_of(const char *text)
{
	json_t *t = jparse(text);
	struct an_plan *p = NULL;

	assert_int_equal(cal_clique_type_check(t), 0);
	assert_int_equal(an_plan_compile(&p, t), 0);
	json_decref(t);
	return p;
}

static const char *default_link_types(const char *id)
{
	static char buf[2048];
	json_t *all = NULL, *t, *lts;
	size_t i;

	/* The defaults, read from a store-less list: an in-memory SQLite. */
	cal_store *st = NULL;

	assert_int_equal(cal_store_open(&st, ":memory:"), 0);
	assert_int_equal(cal_clique_types_list(st, &all), 0);
	buf[0] = '\0';
	json_array_foreach(all, i, t) {
		if (strcmp(cal_json_str(t, "id"), id) != 0)
			continue;
		lts = json_deep_copy(t);
		json_object_del(lts, "builtin");
		{
			char *s = json_dumps(lts, JSON_COMPACT);

			snprintf(buf, sizeof(buf), "%s", s);
			free(s);
		}
		json_decref(lts);
	}
	json_decref(all);
	cal_store_close(st);
	assert_true(buf[0] != '\0');
	return buf;
}

#define OBJ(g, id, type, nets)                                                        \
	assert_int_equal(an_graph_object(g, id, type, AN_ST_NONE, "h1", id, "", nets), 0)
#define LNK(g, s, d, lt, net) assert_int_equal(an_graph_link(g, s, d, lt, net, AN_ST_NONE), 0)

/* One host with every plugging style and two networks per style. */
static void lab_graph(struct an_graph *g)
{
	memset(g, 0, sizeof(*g));
	OBJ(g, "sw", CAL_T_SWITCH, NULL);
	OBJ(g, "sw:p0", CAL_T_SWITCH_PNIC, NULL);
	OBJ(g, "sw:p1", CAL_T_SWITCH_PNIC, NULL);
	OBJ(g, "eth0", CAL_T_HOST_PNIC, NULL);
	OBJ(g, "eth1", CAL_T_HOST_PNIC, NULL);
	OBJ(g, "netA", CAL_T_NETWORK, NULL);
	OBJ(g, "netB", CAL_T_NETWORK, NULL);
	OBJ(g, "netC", CAL_T_NETWORK, NULL);
	OBJ(g, "kotep", CAL_T_OTEP, NULL);
	OBJ(g, "ootep", CAL_T_OTEP, NULL);
	OBJ(g, "ovs", CAL_T_VEDGE, NULL);
	OBJ(g, "brqA", CAL_T_VCONNECTOR, NULL);
	OBJ(g, "brqB", CAL_T_VCONNECTOR, NULL);
	OBJ(g, "qbr3", CAL_T_VCONNECTOR, NULL);
	/* vm1 on netA (Linux bridge), vm2 on netB (Linux bridge), vm3 on netC
	 * (OVS hybrid), vm4 on netC (OVS direct), dhcp of netC on OVS. */
	OBJ(g, "vm1", CAL_T_INSTANCE, "[\"netA\"]");
	OBJ(g, "vm2", CAL_T_INSTANCE, "[\"netB\"]");
	OBJ(g, "vm3", CAL_T_INSTANCE, "[\"netC\"]");
	OBJ(g, "vm4", CAL_T_INSTANCE, "[\"netC\"]");
	OBJ(g, "dhcpC", CAL_T_VSERVICE, "[\"netC\"]");
	OBJ(g, "tap1", CAL_T_VNIC, "netA");
	OBJ(g, "tap2", CAL_T_VNIC, "netB");
	OBJ(g, "tap3", CAL_T_VNIC, "netC");
	OBJ(g, "tap4", CAL_T_VNIC, "netC");
	OBJ(g, "nsC", CAL_T_VNIC, "netC");
	LNK(g, "sw", "sw:p0", "switch-switch_pnic", NULL);
	LNK(g, "sw", "sw:p1", "switch-switch_pnic", NULL);
	LNK(g, "eth0", "sw:p0", "host_pnic-switch_pnic", NULL);
	LNK(g, "eth1", "sw:p1", "host_pnic-switch_pnic", NULL);
	LNK(g, "eth0", "netA", "host_pnic-network", "netA");
	LNK(g, "eth0", "netB", "host_pnic-network", "netB");
	LNK(g, "eth1", "netC", "host_pnic-network", "netC");
	LNK(g, "kotep", "eth0", "otep-host_pnic", NULL);
	LNK(g, "ootep", "eth1", "otep-host_pnic", NULL);
	LNK(g, "ovs", "ootep", "vedge-otep", NULL);
	LNK(g, "ovs", "eth1", "vedge-host_pnic", NULL);
	LNK(g, "brqA", "kotep", "vconnector-otep", "netA");
	LNK(g, "brqB", "kotep", "vconnector-otep", "netB");
	LNK(g, "qbr3", "ovs", "vconnector-vedge", "netC");
	LNK(g, "vm1", "tap1", "instance-vnic", "netA");
	LNK(g, "vm2", "tap2", "instance-vnic", "netB");
	LNK(g, "vm3", "tap3", "instance-vnic", "netC");
	LNK(g, "vm4", "tap4", "instance-vnic", "netC");
	LNK(g, "dhcpC", "nsC", "vservice-vnic", "netC");
	LNK(g, "tap1", "brqA", "vnic-vconnector", "netA");
	LNK(g, "tap2", "brqB", "vnic-vconnector", "netB");
	LNK(g, "tap3", "qbr3", "vnic-vconnector", "netC");
	LNK(g, "tap4", "ovs", "vnic-vedge", "netC");
	LNK(g, "nsC", "ovs", "vnic-vedge", "netC");
	assert_int_equal(an_graph_finish(g), 0);
}

/* The member ids of a grown clique, joined by spaces in id order. */
static char *members(const struct an_graph *g, const struct an_clique *c)
{
	struct cal_buf b = { 0 };

	for (size_t i = 0; i < c->nodes.n; i++) {
		if (i)
			cal_buf_str(&b, " ");
		cal_buf_str(&b, an_intern_key(&g->ids, c->nodes.v[i]));
	}
	return b.s ? b.s : strdup("");
}

static void expect_members(const struct an_graph *g, const struct an_plan *p, const char *focal,
			   const char *want)
{
	struct an_grower w;
	struct an_clique c = { 0 };
	int64_t u = an_intern_find(&g->ids, focal, strlen(focal));
	char *got;

	assert_true(u >= 0);
	assert_int_equal(an_grower_init(&w, g), 0);
	assert_int_equal(an_grow(&w, &c, p, (uint32_t)u), 0);
	got = members(g, &c);
	if (strcmp(got, want) != 0)
		fail_msg("clique of %s (%s):\n  got  %s\n  want %s", focal, p->id, got, want);
	free(got);
	an_clique_free(&c);
	an_grower_fini(&w);
}

static void test_grow_plugging_styles(void **state)
{
	struct an_graph g;
	struct an_plan *inst = plan_of(default_link_types("instance"));
	struct an_plan *vsvc = plan_of(default_link_types("vservice"));
	struct an_plan *net = plan_of(default_link_types("network"));
	struct an_plan *port = plan_of(default_link_types("switch_pnic"));

	(void)state;
	lab_graph(&g);
	/* Linux bridge + kernel VXLAN: own bridge, otep, eth0, own network;
	 * not brqB nor netB, though they share the otep and the NIC. */
	expect_members(&g, inst, "vm1", "brqA eth0 kotep netA sw sw:p0 tap1 vm1");
	expect_members(&g, inst, "vm2", "brqB eth0 kotep netB sw sw:p0 tap2 vm2");
	/* OVS hybrid: tap, qbr, vedge, OVS otep and the NIC both reach. */
	expect_members(&g, inst, "vm3", "eth1 netC ootep ovs qbr3 sw sw:p1 tap3 vm3");
	/* OVS direct: no bridge; never back from the vedge to vm3's bridge
	 * nor to the DHCP port on the same network. */
	expect_members(&g, inst, "vm4", "eth1 netC ootep ovs sw sw:p1 tap4 vm4");
	expect_members(&g, vsvc, "dhcpC", "dhcpC eth1 netC nsC ootep ovs sw sw:p1");
	/* A network down to everything on it, and only that. */
	expect_members(&g, net, "netA", "brqA eth0 kotep netA sw sw:p0 tap1 vm1");
	expect_members(&g, net, "netC",
		       "dhcpC eth1 netC nsC ootep ovs qbr3 sw sw:p1 tap3 tap4 vm3 vm4");
	/* A switch port carries everything behind its NIC. */
	expect_members(&g, port, "sw:p0",
		       "brqA brqB eth0 kotep netA netB sw sw:p0 tap1 tap2 vm1 vm2");
	an_plan_free(inst);
	an_plan_free(vsvc);
	an_plan_free(net);
	an_plan_free(port);
	an_graph_free(&g);
}

static void test_grow_constraint_and_skips(void **state)
{
	struct an_graph g;
	struct an_plan *p;

	(void)state;
	lab_graph(&g);
	/* Without the constraint, vm1's clique takes in the neighbours'
	 * network and bridge through the shared otep and NIC. */
	p = plan_of("{\"id\": \"free\", \"focal_point_type\": \"instance\", \"link_types\": "
		    "[\"instance-vnic\", \"vnic-vconnector\", \"vconnector-otep\", "
		    "\"otep-vconnector\", \"otep-host_pnic\", \"host_pnic-network\"]}");
	expect_members(&g, p, "vm1", "brqA brqB eth0 kotep netA netB tap1 vm1");
	an_plan_free(p);
	p = plan_of("{\"id\": \"tight\", \"focal_point_type\": \"instance\", \"link_types\": "
		    "[\"instance-vnic\", \"vnic-vconnector\", \"vconnector-otep\", "
		    "\"otep-vconnector\", \"otep-host_pnic\", \"host_pnic-network\"], "
		    "\"constraints\": [\"network\"]}");
	expect_members(&g, p, "vm1", "brqA eth0 kotep netA tap1 vm1");
	an_plan_free(p);
	/* Steps that add nothing (vm1 has no vedge, no OVS port) are passed
	 * and growth goes on; the original stopped at the first. */
	p = plan_of("{\"id\": \"gaps\", \"focal_point_type\": \"instance\", \"link_types\": "
		    "[\"instance-vnic\", \"vnic-vedge\", \"vedge-otep\", \"vnic-vconnector\", "
		    "\"switch_pnic-switch\", \"vconnector-otep\", \"otep-host_pnic\"], "
		    "\"constraints\": [\"network\"]}");
	expect_members(&g, p, "vm1", "brqA eth0 kotep tap1 vm1");
	an_plan_free(p);
	/* The direction comes from the spelling: "vedge-vnic" from vm4's
	 * vedge reaches the other vnics of netC, "vnic-vedge" does not. */
	p = plan_of("{\"id\": \"back\", \"focal_point_type\": \"instance\", \"link_types\": "
		    "[\"instance-vnic\", \"vnic-vedge\", \"vedge-vnic\"], "
		    "\"constraints\": [\"network\"]}");
	expect_members(&g, p, "vm4", "nsC ovs tap4 vm4");
	an_plan_free(p);
	/* A focal point without networks is not constrained. */
	an_graph_free(&g);
	memset(&g, 0, sizeof(g));
	OBJ(&g, "vmX", CAL_T_INSTANCE, NULL);
	OBJ(&g, "tapX", CAL_T_VNIC, NULL);
	OBJ(&g, "brX", CAL_T_VCONNECTOR, NULL);
	LNK(&g, "vmX", "tapX", "instance-vnic", NULL);
	LNK(&g, "tapX", "brX", "vnic-vconnector", "netZ");
	assert_int_equal(an_graph_finish(&g), 0);
	p = plan_of(default_link_types("instance"));
	expect_members(&g, p, "vmX", "brX tapX vmX");
	an_plan_free(p);
	an_graph_free(&g);
}

static void test_doc_hash_is_canonical(void **state)
{
	struct an_graph g = { 0 };
	struct an_plan *p = plan_of(default_link_types("instance"));
	struct an_grower w;
	struct an_clique c = { 0 };
	struct an_doc d = { 0 };
	char want[CAL_HASH_HEXSZ];
	json_t *doc, *sum;

	(void)state;
	/* Names that need escaping, in and out of ASCII. */
	assert_int_equal(an_graph_object(&g, "vm \"1\"\\", CAL_T_INSTANCE, AN_ST_WARNING, "h\t1",
					 "caf\xc3\xa9 \x01", "ten/ant", "[\"n\\\"1\"]"), 0);
	assert_int_equal(an_graph_object(&g, "tap/1", CAL_T_VNIC, AN_ST_CRITICAL, "h\t1", "t",
					 "", "n\"1"), 0);
	assert_int_equal(an_graph_object(&g, "n\"1", CAL_T_NETWORK, AN_ST_OK, "", "n", "", NULL),
			 0);
	LNK(&g, "vm \"1\"\\", "tap/1", "instance-vnic", "n\"1");
	assert_int_equal(an_graph_finish(&g), 0);
	assert_int_equal(an_grower_init(&w, &g), 0);
	assert_int_equal(an_grow(&w, &c, p, 0), 0);
	assert_int_equal(c.health, AN_ST_CRITICAL);
	assert_int_equal(an_doc_build(&d, &g, &c), 0);
	doc = json_loads(d.doc.s, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(cal_json_canonical_hash(want, doc), 0);
	assert_string_equal(d.hash, want);
	assert_string_equal(cal_json_str(doc, "health"), "critical");
	assert_string_equal(cal_json_str(doc, "name"), "caf\xc3\xa9 \x01");
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "networks"), 0)),
			    "n\"1");
	/* links refer to members by position */
	assert_int_equal(json_integer_value(json_array_get(json_array_get(
				 json_object_get(doc, "links"), 0), 0)), 1);
	sum = json_loads(d.summary.s, 0, NULL);
	assert_non_null(sum);
	assert_string_equal(cal_json_str(sum, "project"), "ten/ant");
	json_decref(sum);
	json_decref(doc);
	an_doc_free(&d);
	an_clique_free(&c);
	an_grower_fini(&w);
	an_graph_free(&g);
	an_plan_free(p);
}

/* ------------------------------------------------------------------ */
/* A random cloud for the store-backed cases                           */
/* ------------------------------------------------------------------ */

#define MAXH 4
#define MAXN 6
#define MAXV 40

struct vm {
	bool alive;
	int host, net, style; /* style: 0 bridge (LB nets), 1 hybrid, 2 direct */
	int status;           /* 0 none, 1 ok, 2 warning, 3 critical */
	int vnic_status;
	bool down;
};

struct cloud {
	int nhosts, nnets;
	bool ovs_net[MAXN];
	bool eth1_up[MAXH];
	int eth0_status[MAXH];
	int otep_attr[MAXH]; /* an attribute that changes no clique */
	struct vm vms[MAXV];
	unsigned seed;
};

static const char *const cl_status[] = { NULL, "ok", "warning", "critical" };

static json_t *cl_obj(json_t *objs, enum cal_obj_type t, const char *id, const char *host,
		      json_t *parent)
{
	json_t *o = cal_object_new("e1", t, id, id, host);

	cal_object_set_parent(o, parent);
	json_object_set_new(o, CAL_F_SOURCE, json_string("netlink"));
	json_object_set_new(objs, id, o);
	return o;
}

static void cl_link(json_t *links, json_t *objs, const char *s, const char *d, const char *net,
		    bool down)
{
	json_t *l = cal_link_new("e1", json_object_get(objs, s), json_object_get(objs, d), "x",
				 down ? "down" : "up", net, NULL);

	assert_non_null(l);
	json_object_set_new(links, cal_json_str(l, CAL_F_ID), l);
}

static void cl_build(const struct cloud *c, json_t **out_objs, json_t **out_links)
{
	json_t *objs = json_object(), *links = json_object();
	char id[64], a[64], b[64], n[16];

	cl_obj(objs, CAL_T_SWITCH, "sw", "sw", NULL);
	for (int k = 0; k < c->nnets; k++) {
		snprintf(n, sizeof(n), "net%d", k);
		cl_obj(objs, CAL_T_NETWORK, n, NULL, NULL);
	}
	for (int h = 0; h < c->nhosts; h++) {
		json_t *host;

		snprintf(id, sizeof(id), "h%d", h);
		host = cl_obj(objs, CAL_T_HOST, id, id, NULL);
		for (int p = 0; p < 2; p++) {
			if (p == 1 && !c->eth1_up[h])
				continue;
			snprintf(a, sizeof(a), "h%d:eth%d", h, p);
			snprintf(b, sizeof(b), "sw:h%d-eth%d", h, p);
			cl_obj(objs, CAL_T_HOST_PNIC, a, id, host);
			cl_obj(objs, CAL_T_SWITCH_PNIC, b, "sw", json_object_get(objs, "sw"));
			cl_link(links, objs, a, b, NULL, false);
			cl_link(links, objs, "sw", b, NULL, false);
		}
		snprintf(a, sizeof(a), "h%d:eth0", h);
		if (c->eth0_status[h])
			json_object_set_new(json_object_get(objs, a), CAL_F_STATUS,
					    json_string(cl_status[c->eth0_status[h]]));
		snprintf(a, sizeof(a), "h%d:kotep", h);
		json_object_set_new(cl_obj(objs, CAL_T_OTEP, a, id, host), "udp_port",
				    json_integer(4789 + c->otep_attr[h]));
		snprintf(b, sizeof(b), "h%d:eth0", h);
		cl_link(links, objs, a, b, NULL, false);
		snprintf(a, sizeof(a), "h%d:ovs", h);
		cl_obj(objs, CAL_T_VEDGE, a, id, host);
		snprintf(b, sizeof(b), "h%d:ootep", h);
		cl_obj(objs, CAL_T_OTEP, b, id, host);
		cl_link(links, objs, a, b, NULL, false);
		if (c->eth1_up[h]) {
			snprintf(id, sizeof(id), "h%d:eth1", h);
			cl_link(links, objs, b, id, NULL, false);
			cl_link(links, objs, a, id, NULL, false);
		}
	}
	for (int v = 0; v < MAXV; v++) {
		const struct vm *m = &c->vms[v];
		char vm[32], tap[32], net[16], host[16], br[32];
		json_t *inst;

		if (!m->alive)
			continue;
		snprintf(vm, sizeof(vm), "vm%d", v);
		snprintf(tap, sizeof(tap), "h%d:tap%d", m->host, v);
		snprintf(net, sizeof(net), "net%d", m->net);
		snprintf(host, sizeof(host), "h%d", m->host);
		inst = cl_obj(objs, CAL_T_INSTANCE, vm, host, json_object_get(objs, host));
		json_object_set_new(inst, "network", json_pack("[s]", net));
		if (m->status)
			json_object_set_new(inst, CAL_F_STATUS, json_string(cl_status[m->status]));
		if (m->vnic_status)
			json_object_set_new(cl_obj(objs, CAL_T_VNIC, tap, host, inst), CAL_F_STATUS,
					    json_string(cl_status[m->vnic_status]));
		else
			cl_obj(objs, CAL_T_VNIC, tap, host, inst);
		cl_link(links, objs, vm, tap, net, m->down);
		if (!c->ovs_net[m->net]) {
			char otep[32], pnic[32];

			snprintf(br, sizeof(br), "h%d:brq%d", m->host, m->net);
			if (!json_object_get(objs, br))
				cl_obj(objs, CAL_T_VCONNECTOR, br, host,
				       json_object_get(objs, host));
			cl_link(links, objs, tap, br, net, m->down);
			snprintf(otep, sizeof(otep), "h%d:kotep", m->host);
			cl_link(links, objs, br, otep, net, false);
			snprintf(pnic, sizeof(pnic), "h%d:eth0", m->host);
			cl_link(links, objs, pnic, net, net, false);
		} else {
			char ovs[32], pnic[32];

			snprintf(ovs, sizeof(ovs), "h%d:ovs", m->host);
			if (m->style == 1) {
				snprintf(br, sizeof(br), "h%d:qbr%d", m->host, v);
				cl_obj(objs, CAL_T_VCONNECTOR, br, host, json_object_get(objs, host));
				cl_link(links, objs, tap, br, net, m->down);
				cl_link(links, objs, br, ovs, net, false);
			} else {
				cl_link(links, objs, tap, ovs, net, m->down);
			}
			snprintf(pnic, sizeof(pnic), "h%d:eth1", m->host);
			if (c->eth1_up[m->host])
				cl_link(links, objs, pnic, net, net, false);
		}
	}
	*out_objs = objs;
	*out_links = links;
}

static int cl_rand(struct cloud *c, int n)
{
	return (int)(rand_r(&c->seed) % (unsigned)n);
}

static void cl_random_vm(struct cloud *c, struct vm *m)
{
	m->alive = true;
	m->host = cl_rand(c, c->nhosts);
	m->net = cl_rand(c, c->nnets);
	m->style = c->ovs_net[m->net] ? 1 + cl_rand(c, 2) : 0;
	m->status = cl_rand(c, 4);
	m->down = false;
}

static void cl_init(struct cloud *c, unsigned seed)
{
	memset(c, 0, sizeof(*c));
	c->seed = seed;
	c->nhosts = 3;
	c->nnets = 4;
	for (int k = 0; k < MAXN; k++)
		c->ovs_net[k] = k % 2 == 1;
	for (int h = 0; h < MAXH; h++)
		c->eth1_up[h] = true;
	for (int v = 0; v < MAXV / 2; v++)
		cl_random_vm(c, &c->vms[v]);
}

/* One random change; returns what it did (for failure messages). */
static const char *cl_mutate(struct cloud *c)
{
	int v = cl_rand(c, MAXV);
	struct vm *m = &c->vms[v];

	switch (cl_rand(c, 12)) {
	case 9:
		c->eth0_status[cl_rand(c, c->nhosts)] = cl_rand(c, 4);
		return "status of an eth0 changed";
	case 10:
		m->vnic_status = cl_rand(c, 4);
		return "status of a vnic changed";
	case 11:
		c->otep_attr[cl_rand(c, c->nhosts)]++;
		return "an otep changed, not its status";
	case 0:
		cl_random_vm(c, m);
		return "VM created or replaced";
	case 1:
		m->alive = false;
		return "VM deleted";
	case 2:
		if (!m->alive)
			return "nothing";
		m->net = cl_rand(c, c->nnets);
		m->style = c->ovs_net[m->net] ? 1 + cl_rand(c, 2) : 0;
		return "VM moved to another network";
	case 3:
		m->status = cl_rand(c, 4);
		return "VM status changed";
	case 4:
		m->down = !m->down;
		return "VM links up/down";
	case 5: {
		int h = cl_rand(c, c->nhosts);

		c->eth1_up[h] = !c->eth1_up[h];
		return "eth1 of a host removed or back";
	}
	case 6:
		if (c->nhosts < MAXH) {
			c->nhosts++;
			return "host added";
		}
		return "nothing";
	case 7:
		if (c->nnets < MAXN) {
			c->nnets++;
			return "network added";
		}
		return "nothing";
	default:
		if (!m->alive)
			return "nothing";
		m->host = cl_rand(c, c->nhosts);
		return "VM migrated to another host";
	}
}

static void cl_commit(cal_store *st, const struct cloud *c, int64_t *ts)
{
	json_t *objs, *links;
	struct cal_commit cm = { 0 };
	struct cal_commit_stats s = { 0 };

	cl_build(c, &objs, &links);
	cm.env = "e1";
	cm.objects = objs;
	cm.links = links;
	cm.clear = true;
	if (cal_store_commit(st, &cm, &s))
		fail_msg("commit: %s", cal_error_last());
	*ts = s.ts;
	json_decref(objs);
	json_decref(links);
}

static int count_rows(cal_store *st, const char *sql)
{
	cal_store_stmt *s = NULL;
	int n = -1;

	assert_int_equal(cal_store_sql_prepare(st, &s, sql), 0);
	if (cal_store_sql_step(s) == CAL_STORE_ROW)
		n = (int)cal_store_sql_int64(s, 0);
	cal_store_sql_reset(s);
	return n;
}

/* The member index holds exactly the members of the live cliques. */
static void check_members(cal_store *st)
{
	json_t *list = NULL, *e;
	size_t i;
	int total = 0;

	assert_int_equal(cal_clique_list(st, &list, "e1", NULL, 0), 0);
	json_array_foreach(list, i, e) {
		json_t *row = NULL;

		assert_int_equal(an_clique_row(st, &row, "e1", cal_json_str(e, "focal_point"), 0),
				 0);
		total += (int)json_array_size(json_object_get(row, "nodes"));
		json_decref(row);
	}
	json_decref(list);
	assert_int_equal(count_rows(st, "SELECT COUNT(*) FROM clique_members WHERE env = 'e1'"),
			 total);
}

static void test_incremental_equals_full(void **state)
{
	NEED_STORE();
	struct cloud c;
	struct cal_clique_stats s;
	int64_t ts;
	int partial = 0;

	for (unsigned seed = 1; seed <= 3; seed++) {
		cl_init(&c, seed * 7919);
		cl_commit(f->st, &c, &ts);
		assert_int_equal(cal_clique_refresh(f->st, "e1", ts, &s), 0);
		assert_true(s.changed > 0);
		for (int step = 0; step < 25; step++) {
			const char *what = cl_mutate(&c);
			int live;

			cl_commit(f->st, &c, &ts);
			if (cal_clique_refresh(f->st, "e1", ts, &s))
				fail_msg("refresh: %s", cal_error_last());
			live = count_rows(f->st, "SELECT COUNT(*) FROM cliques WHERE env = 'e1' "
					  "AND valid_to IS NULL");
			if (s.recomputed < live)
				partial++;
			/* A full recomputation finds nothing to change. */
			if (cal_clique_rebuild(f->st, "e1", 0, &s))
				fail_msg("rebuild: %s", cal_error_last());
			if (s.changed != 0)
				fail_msg("seed %u step %d (%s): the incremental refresh missed %d "
					 "cliques", seed, step, what, s.changed);
			check_members(f->st);
		}
	}
	/* And it was incremental: most refreshes recomputed only part. */
	assert_true(partial > 40);
}

static void test_constraint_in_store(void **state)
{
	NEED_STORE();
	struct cloud c;
	json_t *list = NULL, *e;
	int64_t ts;
	size_t i;

	cl_init(&c, 42);
	cl_commit(f->st, &c, &ts);
	assert_int_equal(cal_clique_refresh(f->st, "e1", ts, NULL), 0);
	assert_int_equal(cal_clique_list(f->st, &list, "e1", "instance", 0), 0);
	assert_true(json_array_size(list) > 5);
	json_array_foreach(list, i, e) {
		json_t *cl = NULL, *n, *l;
		const char *vm = cal_json_str(e, "focal_point");
		char net[16];
		size_t k;

		snprintf(net, sizeof(net), "net%d", c.vms[atoi(vm + 2)].net);
		assert_int_equal(cal_clique_get(f->st, &cl, "e1", vm, 0), 0);
		/* Its own network, a NIC and the switch, nothing of others. */
		assert_int_equal(json_array_size(json_object_get(cl, "networks")), 1);
		assert_string_equal(json_string_value(json_array_get(json_object_get(cl,
							"networks"), 0)), net);
		json_array_foreach(json_object_get(cl, "nodes"), k, n) {
			const char *t = cal_json_str(n, CAL_F_TYPE);

			if (strcmp(t, "network") == 0)
				assert_string_equal(cal_json_str(n, CAL_F_ID), net);
			if (strcmp(t, "instance") == 0)
				assert_string_equal(cal_json_str(n, CAL_F_ID), vm);
		}
		json_array_foreach(json_object_get(cl, "links"), k, l) {
			const char *ln = cal_json_str(json_object_get(l, CAL_F_ATTRIBUTES), "network");

			if (*ln)
				assert_string_equal(ln, net);
		}
		assert_string_equal(json_string_value(json_array_get(json_object_get(cl,
							"switches"), 0)), "sw");
		json_decref(cl);
	}
	json_decref(list);
}

static void test_history_and_health(void **state)
{
	NEED_STORE();
	struct cloud c;
	json_t *cl = NULL;
	int64_t ts1, ts2;
	char *dot;

	cl_init(&c, 5);
	c.vms[0] = (struct vm){ .alive = true, .host = 0, .net = 0, .style = 0, .status = 1 };
	cl_commit(f->st, &c, &ts1);
	assert_int_equal(cal_clique_refresh(f->st, "e1", ts1, NULL), 0);
	assert_int_equal(cal_clique_get(f->st, &cl, "e1", "vm0", 0), 0);
	assert_string_equal(cal_json_str(cl, "health"), "ok");
	assert_string_equal(cal_json_str(cl, "focal_point_type"), "instance");
	assert_string_equal(cal_json_str(cl, "host"), "h0");
	assert_int_equal(json_array_size(json_object_get(cl, "links")), 7);
	dot = cal_clique_dot(cl);
	assert_non_null(dot);
	assert_non_null(strstr(dot, "\"vm0\" -> \"h0:tap0\" [label=\"instance-vnic\"]"));
	free(dot);
	json_decref(cl);
	/* vm0 moves to an OVS network and turns critical. */
	c.vms[0].net = 1;
	c.vms[0].style = 2;
	c.vms[0].status = 3;
	cl_commit(f->st, &c, &ts2);
	assert_int_equal(cal_clique_refresh(f->st, "e1", ts2, NULL), 0);
	assert_int_equal(cal_clique_get(f->st, &cl, "e1", "vm0", 0), 0);
	assert_string_equal(cal_json_str(cl, "health"), "critical");
	assert_string_equal(json_string_value(json_array_get(json_object_get(cl, "networks"), 0)),
			    "net1");
	json_decref(cl);
	/* As it was. */
	assert_int_equal(cal_clique_get(f->st, &cl, "e1", "vm0", ts2 - 1), 0);
	assert_string_equal(cal_json_str(cl, "health"), "ok");
	assert_string_equal(json_string_value(json_array_get(json_object_get(cl, "networks"), 0)),
			    "net0");
	dot = json_dumps(json_object_get(cl, "nodes"), 0);
	assert_non_null(strstr(dot, "h0:brq0"));
	free(dot);
	json_decref(cl);
	/* Gone: the clique closes with its focal point. */
	c.vms[0].alive = false;
	cl_commit(f->st, &c, &ts1);
	assert_int_equal(cal_clique_refresh(f->st, "e1", ts1, NULL), 0);
	assert_int_equal(cal_clique_get(f->st, &cl, "e1", "vm0", 0), CAL_ENOTFOUND);
	assert_non_null(strstr(cal_error_last(), "no object 'vm0'"));
	assert_int_equal(cal_clique_get(f->st, &cl, "e1", "vm0", ts1 - 1), 0);
	json_decref(cl);
	/* Not a focal point. */
	assert_int_equal(cal_clique_get(f->st, &cl, "e1", "h0:eth0", 0), CAL_ENOTFOUND);
	assert_non_null(strstr(cal_error_last(), "no focal point"));
}

static void test_types_change_recomputes(void **state)
{
	NEED_STORE();
	struct cloud c;
	struct cal_clique_stats s;
	json_t *cl = NULL;
	int64_t ts;

	cl_init(&c, 9);
	cl_commit(f->st, &c, &ts);
	assert_int_equal(cal_clique_refresh(f->st, "e1", ts, &s), 0);
	/* Same commit time again: nothing to do. */
	assert_int_equal(cal_clique_refresh(f->st, "e1", ts, &s), 0);
	assert_int_equal(s.recomputed, 0);
	put_type(f->st, "{\"id\": \"short\", \"focal_point_type\": \"instance\", "
			"\"environment\": \"e1\", \"link_types\": [\"instance-vnic\"]}");
	/* A new type applies at the next refresh, to every clique. */
	assert_int_equal(cal_clique_refresh(f->st, "e1", ts, &s), 0);
	assert_true(s.changed > 0);
	assert_int_equal(cal_clique_get(f->st, &cl, "e1", "vm0", 0), 0);
	assert_string_equal(cal_json_str(cl, "clique_type"), "short");
	assert_int_equal(json_array_size(json_object_get(cl, "nodes")), 2);
	json_decref(cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_validation),
		cmocka_unit_test(test_grow_plugging_styles),
		cmocka_unit_test(test_grow_constraint_and_skips),
		cmocka_unit_test(test_doc_hash_is_canonical),
#define BOTH(t)                                                      \
	cmocka_unit_test_setup_teardown(t, setup_sqlite, teardown), \
		cmocka_unit_test_setup_teardown(t, setup_pg, teardown)
		BOTH(test_type_defaults_and_overrides),
		BOTH(test_type_selection),
		BOTH(test_incremental_equals_full),
		BOTH(test_constraint_in_store),
		BOTH(test_history_and_health),
		BOTH(test_types_change_recomputes),
	};

	if (!getenv("CALIPSO_TEST_PG_URI"))
		fprintf(stderr, "test_clique: PostgreSQL cases skipped: CALIPSO_TEST_PG_URI is not "
				"set (scripts/pg-test-server.sh start DIR)\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
