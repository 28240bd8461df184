/* test_sim.c - the simulated cloud: reproducible from its seed, in the
 * host-report format the builder consumes, with the plumbing it claims
 * (every VM plugged one of the three ways, DHCP and router namespaces,
 * tunnels, a switch port per NIC), so that after the real builder and
 * linker every VM's and service's clique reaches a host NIC, its network
 * and a switch port; and churned, only what changed differs.
 *
 * No store: the clique engine runs on a graph built from the linker's
 * output directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/analyze.h"
#include "analyze/analyze_int.h"
#include "discover/discover.h"

static const struct cal_sim_opts small = { .hosts = 12, .vms = 150, .networks = 16, .seed = 7,
					   .env = "s" };

static json_t *reports_of(const struct cal_sim_opts *o)
{
	json_t *r = NULL;

	if (cal_sim_reports(&r, o))
		fail_msg("sim: %s", cal_error_last());
	return r;
}

/* Reports with their generation time removed (it is "now"). */
static json_t *stable(json_t *reports)
{
	size_t i;
	json_t *r;

	json_array_foreach(reports, i, r)
		json_object_del(r, "scanned_at");
	return reports;
}

static void test_reproducible_and_checked(void **state)
{
	struct cal_sim_opts o = small, bad = small;
	json_t *a, *b;

	(void)state;
	a = stable(reports_of(&o));
	b = stable(reports_of(&o));
	assert_true(json_equal(a, b));
	json_decref(b);
	o.seed = 8;
	b = stable(reports_of(&o));
	assert_false(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	bad.hosts = 0;
	assert_int_equal(cal_sim_check(&bad), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "--hosts"));
	bad = small;
	bad.networks = 0;
	assert_int_equal(cal_sim_reports(&a, &bad), CAL_EINVALID);
}

static void test_report_format(void **state)
{
	json_t *reports = reports_of(&small), *r, *ns, *l, *d;
	json_t *keys = json_object(), *vms = json_object();
	size_t i, k, j;
	int switches = 0, qdhcp = 0, qrouter = 0, tunnels = 0;

	(void)state;
	assert_int_equal(json_array_size(reports), small.hosts + 1);
	/* Every namespace key once; every ifindex once per namespace. */
	json_array_foreach(reports, i, r) {
		assert_string_equal(cal_json_str(r, "format"), "calipso-host-report/1");
		assert_string_equal(cal_json_str(r, "environment"), "s");
		json_array_foreach(json_object_get(r, "sources"), k, d)
			assert_string_equal(cal_json_str(d, "status"), "ok");
		if (strcmp(cal_json_str(r, "role"), "switch") == 0)
			switches++;
		json_array_foreach(json_object_get(json_object_get(r, "kernel"), "namespaces"), k,
				   ns) {
			json_t *idx = json_object();

			assert_null(json_object_get(keys, cal_json_str(ns, "key")));
			json_object_set_new(keys, cal_json_str(ns, "key"), json_true());
			if (strncmp(cal_json_str(ns, "name"), "qdhcp-", 6) == 0)
				qdhcp++;
			if (strncmp(cal_json_str(ns, "name"), "qrouter-", 8) == 0)
				qrouter++;
			json_array_foreach(json_object_get(ns, "links"), j, l) {
				char n[32];

				snprintf(n, sizeof(n), "%lld", (long long)cal_json_int(l, "ifindex", -1));
				assert_null(json_object_get(idx, n));
				json_object_set_new(idx, n, json_true());
			}
			json_decref(idx);
		}
		json_array_foreach(json_object_get(json_object_get(r, "libvirt"), "domains"), k, d) {
			assert_null(json_object_get(vms, cal_json_str(d, "uuid")));
			json_object_set_new(vms, cal_json_str(d, "uuid"), json_true());
		}
		json_array_foreach(json_object_get(json_object_get(r, "ovs"), "bridges"), k, d)
			json_array_foreach(json_object_get(d, "ports"), j, l)
				if (strcmp(cal_json_str(json_array_get(json_object_get(l, "interfaces"),
								       0), "type"), "vxlan") == 0)
					tunnels++;
	}
	assert_int_equal(switches, 1);
	assert_int_equal(json_object_size(vms), small.vms);
	assert_int_equal(qdhcp, small.networks);
	assert_int_equal(qrouter, (small.networks + 3) / 4);
	assert_true(tunnels > small.hosts);
	json_decref(keys);
	json_decref(vms);
	json_decref(reports);
}

/* Builder and linker output of a simulated cloud. */
static void build(const struct cal_sim_opts *o, json_t **objs, json_t **links)
{
	json_t *reports = reports_of(o), *cfg = cal_sim_env_config(o);

	assert_int_equal(cal_env_config_check(cfg), 0);
	if (cal_build_objects(objs, o->env, reports, cfg))
		fail_msg("build: %s", cal_error_last());
	if (cal_link_objects(links, o->env, *objs))
		fail_msg("link: %s", cal_error_last());
	json_decref(reports);
	json_decref(cfg);
}

static int count_type(const json_t *objs, const char *type)
{
	const char *k;
	json_t *o;
	int n = 0;

	json_object_foreach((json_t *)objs, k, o)
		n += strcmp(cal_json_str(o, CAL_F_TYPE), type) == 0;
	return n;
}

static void test_every_path_reaches_the_wire(void **state)
{
	json_t *objs, *links, *defaults = NULL, *t;
	struct an_graph g = { 0 };
	struct an_plan *plans[CAL_T_COUNT_] = { 0 };
	struct an_grower w;
	struct an_clique c = { 0 };
	cal_store *st = NULL;
	const char *k;
	json_t *o;
	size_t i;
	int styles[3] = { 0 }, checked = 0;

	(void)state;
	build(&small, &objs, &links);
	assert_int_equal(count_type(objs, "instance"), small.vms);
	assert_int_equal(count_type(objs, "network"), small.networks);
	assert_int_equal(count_type(objs, "host_pnic"), 2 * small.hosts);
	assert_int_equal(count_type(objs, "switch_pnic"), 2 * small.hosts);
	assert_int_equal(count_type(objs, "vservice"), small.networks + (small.networks + 3) / 4);
	/* The graph of what the linker found, and the default plans. */
	json_object_foreach(objs, k, o) {
		json_t *nets = json_object_get(o, "network");
		char *text = nets ? json_dumps(nets, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

		assert_int_equal(an_graph_object(&g, k, cal_type_from_name(cal_json_str(o, "type")),
						 AN_ST_NONE, cal_json_str(o, "host"),
						 cal_json_str(o, "name"), "",
						 json_is_string(nets) ? json_string_value(nets) : text),
				 0);
		free(text);
	}
	json_object_foreach(links, k, o)
		assert_int_equal(an_graph_link(&g, cal_json_str(o, CAL_F_SOURCE_ID),
					       cal_json_str(o, CAL_F_TARGET_ID),
					       cal_json_str(o, CAL_F_LINK_TYPE),
					       cal_json_str_or_null(json_object_get(o, "attributes"),
								    "network"),
					       AN_ST_NONE), 0);
	assert_int_equal(an_graph_finish(&g), 0);
	assert_int_equal(cal_store_open(&st, ":memory:"), 0);
	assert_int_equal(cal_clique_types_list(st, &defaults), 0);
	json_array_foreach(defaults, i, t) {
		enum cal_obj_type ft = cal_type_from_name(cal_json_str(t, "focal_point_type"));

		/* This cloud is VXLAN: the ANY types apply. */
		if (!json_object_get(t, "type_drivers"))
			assert_int_equal(an_plan_compile(&plans[ft], t), 0);
	}
	assert_int_equal(an_grower_init(&w, &g), 0);
	for (uint32_t u = 0; u < g.n; u++) {
		int pnics = 0, nets = 0, ports = 0, bridges = 0, vedges = 0;

		if (g.type[u] != CAL_T_INSTANCE && g.type[u] != CAL_T_VSERVICE)
			continue;
		assert_int_equal(an_grow(&w, &c, plans[g.type[u]], u), 0);
		for (size_t n = 0; n < c.nodes.n; n++) {
			switch (g.type[c.nodes.v[n]]) {
			case CAL_T_HOST_PNIC: pnics++; break;
			case CAL_T_NETWORK: nets++; break;
			case CAL_T_SWITCH_PNIC: ports++; break;
			case CAL_T_VCONNECTOR: bridges++; break;
			case CAL_T_VEDGE: vedges++; break;
			default: break;
			}
		}
		if (pnics < 1 || nets < 1 || ports < 1)
			fail_msg("clique of %s: %d host NICs, %d networks, %d switch ports",
				 an_intern_key(&g.ids, u), pnics, nets, ports);
		if (g.type[u] == CAL_T_INSTANCE) {
			/* One of the three plugging styles, all of them seen. */
			assert_int_equal(pnics, 1);
			assert_int_equal(nets, 1);
			styles[bridges == 1 && vedges == 0 ? 0 : bridges == 1 ? 1 : 2]++;
			if (bridges == 0)
				assert_int_equal(vedges, 1);
		}
		checked++;
	}
	assert_int_equal(checked, count_type(objs, "instance") + count_type(objs, "vservice"));
	assert_true(styles[0] > 0 && styles[1] > 0 && styles[2] > 0);
	an_clique_free(&c);
	an_grower_fini(&w);
	for (int i2 = 0; i2 < CAL_T_COUNT_; i2++)
		an_plan_free(plans[i2]);
	an_graph_free(&g);
	cal_store_close(st);
	json_decref(defaults);
	json_decref(objs);
	json_decref(links);
}

static void test_churn_changes_little(void **state)
{
	struct cal_sim_opts o = small;
	json_t *a, *b, *la, *lb;
	const char *k;
	json_t *v;
	int changed_instances = 0, gone = 0, changed = 0;

	(void)state;
	build(&o, &a, &la);
	o.churn = 10;
	build(&o, &b, &lb);
	json_object_foreach(a, k, v) {
		json_t *w = json_object_get(b, k);

		json_object_del(v, CAL_F_LAST_SCANNED);
		if (w)
			json_object_del(w, CAL_F_LAST_SCANNED);
		if (!w) {
			gone += strcmp(cal_json_str(v, "type"), "instance") == 0;
			continue;
		}
		if (!json_equal(v, w)) {
			changed++;
			changed_instances += strcmp(cal_json_str(v, "type"), "instance") == 0;
		}
	}
	/* Half deleted, half moved (a VM drawn twice counts once). */
	assert_true(gone >= 1 && gone <= 5);
	assert_true(changed_instances >= 1 && changed_instances <= 5);
	/* Beyond the VMs: their bridges, vedges, tunnel endpoints, NICs. */
	assert_true(changed < (int)json_object_size(a) / 4);
	json_decref(a);
	json_decref(b);
	json_decref(la);
	json_decref(lb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reproducible_and_checked),
		cmocka_unit_test(test_report_format),
		cmocka_unit_test(test_every_path_reaches_the_wire),
		cmocka_unit_test(test_churn_changes_little),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
