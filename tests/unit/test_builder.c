/* test_builder.c - the model builder and the linker on a hand-written
 * report shaped like the lab: a host with a Linux-bridge network over
 * VXLAN, a container VM, a DHCP namespace, and a fabric switch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "discover/discover.h"

struct fx {
	json_t *reports, *config, *objects, *links;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[512];
	json_error_t err;

	snprintf(path, sizeof(path), "%s/reports/small-lab.json", getenv("CALIPSO_TEST_DATA"));
	f->reports = json_load_file(path, 0, &err);
	assert_non_null(f->reports);
	f->config = json_pack("{s:s, s:[s]}", "name", "lab", "pnic_names", "eth*");
	assert_int_equal(cal_build_objects(&f->objects, "lab", f->reports, f->config), 0);
	assert_int_equal(cal_link_objects(&f->links, "lab", f->objects), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	json_decref(f->reports);
	json_decref(f->config);
	json_decref(f->objects);
	json_decref(f->links);
	free(f);
	return 0;
}

static json_t *obj(struct fx *f, const char *id)
{
	json_t *o = json_object_get(f->objects, id);

	if (!o)
		fail_msg("object '%s' missing", id);
	return o;
}

static void test_objects_validate(void **state)
{
	struct fx *f = *state;
	const char *id;
	json_t *o;

	json_object_foreach(f->objects, id, o) {
		if (cal_object_validate(o))
			fail_msg("%s", cal_error_last());
	}
}

static void test_expected_objects(void **state)
{
	struct fx *f = *state;
	static const char *const ids[] = {
		"host1", "host1:host_pnic:eth0", "host1:vconnector:br-net1",
		"host1:otep:vxlan-172.31.250.1", "host1:vnic:tap-vm1", "host1:instance:vm1",
		"host1:vservice:qdhcp-net1", "host1:vnic:qdhcp-net1/ns-net1", "vxlan-101",
		"fabric", "fabric:switch_pnic:cl-h1",
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		obj(f, ids[i]);
	assert_int_equal(json_object_size(f->objects), sizeof(ids) / sizeof(ids[0]));
	assert_string_equal(cal_json_str(obj(f, "host1:vservice:qdhcp-net1"), "service_type"),
			    "dhcp");
	/* The instance vnic carries the guest MAC and is a child of the VM. */
	assert_string_equal(cal_json_str(obj(f, "host1:vnic:tap-vm1"), "mac_address"),
			    "fa:16:3e:00:00:01");
	assert_string_equal(cal_json_str(obj(f, "host1:vnic:tap-vm1"), CAL_F_PARENT_ID),
			    "host1:instance:vm1");
	assert_string_equal(cal_json_str(obj(f, "host1:vnic:tap-vm1"), "network"), "vxlan-101");
	assert_string_equal(cal_json_str(obj(f, "host1:vnic:qdhcp-net1/ns-net1"), "network"),
			    "vxlan-101");
	assert_string_equal(cal_json_str(obj(f, "host1:vnic:qdhcp-net1/ns-net1"), CAL_F_NAME_PATH),
			    "/lab/host1/qdhcp-net1/qdhcp-net1/ns-net1");
	assert_int_equal(cal_json_int(obj(f, "vxlan-101"), "segmentation_id", 0), 101);
	assert_string_equal(cal_json_str(json_array_get(json_object_get(
						obj(f, "host1:otep:vxlan-172.31.250.1"), "peers"), 0),
					 "remote_ip"),
			    "172.31.250.2");
}

static void test_expected_links(void **state)
{
	struct fx *f = *state;
	static const char *const ids[] = {
		"host1:instance:vm1|instance-vnic|host1:vnic:tap-vm1",
		"host1:vnic:tap-vm1|vnic-vconnector|host1:vconnector:br-net1",
		"host1:vservice:qdhcp-net1|vservice-vnic|host1:vnic:qdhcp-net1/ns-net1",
		"host1:vnic:qdhcp-net1/ns-net1|vnic-vconnector|host1:vconnector:br-net1",
		"host1:vconnector:br-net1|vconnector-otep|host1:otep:vxlan-172.31.250.1",
		"host1:otep:vxlan-172.31.250.1|otep-host_pnic|host1:host_pnic:eth0",
		"host1:host_pnic:eth0|host_pnic-network|vxlan-101",
		"host1:host_pnic:eth0|host_pnic-switch_pnic|fabric:switch_pnic:cl-h1",
		"fabric|switch-switch_pnic|fabric:switch_pnic:cl-h1",
	};
	json_t *l;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (!json_object_get(f->links, ids[i]))
			fail_msg("link '%s' missing", ids[i]);
	assert_int_equal(json_object_size(f->links), sizeof(ids) / sizeof(ids[0]));
	l = json_object_get(f->links, "host1:host_pnic:eth0|host_pnic-network|vxlan-101");
	assert_string_equal(cal_json_str(l, CAL_F_LINK_NAME), "Segment-101");
	assert_string_equal(cal_json_str(json_object_get(l, "attributes"), "network"), "vxlan-101");
}

static void test_down_interface_marks_link_down(void **state)
{
	struct fx *f = *state;
	json_t *reports = json_deep_copy(f->reports), *objects, *links, *l;
	json_t *ns = json_array_get(json_object_get(json_object_get(json_array_get(reports, 0),
								    "kernel"),
						    "namespaces"),
				    0);
	json_t *eth0 = json_array_get(json_object_get(ns, "links"), 1);

	json_object_set_new(eth0, "operstate", json_string("down"));
	assert_int_equal(cal_build_objects(&objects, "lab", reports, f->config), 0);
	assert_int_equal(cal_link_objects(&links, "lab", objects), 0);
	l = json_object_get(links, "host1:otep:vxlan-172.31.250.1|otep-host_pnic|host1:host_pnic:eth0");
	assert_non_null(l);
	assert_string_equal(cal_json_str(l, CAL_F_STATE), "down");
	json_decref(reports);
	json_decref(objects);
	json_decref(links);
}

static void test_builder_is_deterministic(void **state)
{
	struct fx *f = *state;
	json_t *objects;

	assert_int_equal(cal_build_objects(&objects, "lab", f->reports, f->config), 0);
	assert_true(json_equal(objects, f->objects));
	json_decref(objects);
}

static void test_bad_reports(void **state)
{
	json_t *out = NULL, *bad;

	(void)state;
	bad = json_object();
	assert_int_equal(cal_build_objects(&out, "lab", bad, NULL), CAL_EINVALID);
	json_decref(bad);
	bad = json_pack("[{s:s}]", "role", "host");
	assert_int_equal(cal_build_objects(&out, "lab", bad, NULL), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "no host"));
	json_decref(bad);
	/* Missing sections are no error: an empty host. */
	bad = json_pack("[{s:s}]", "host", "h9");
	assert_int_equal(cal_build_objects(&out, "lab", bad, NULL), 0);
	assert_int_equal(json_object_size(out), 1);
	json_decref(out);
	json_decref(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_objects_validate),
		cmocka_unit_test(test_expected_objects),
		cmocka_unit_test(test_expected_links),
		cmocka_unit_test(test_down_interface_marks_link_down),
		cmocka_unit_test(test_builder_is_deterministic),
		cmocka_unit_test(test_bad_reports),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
