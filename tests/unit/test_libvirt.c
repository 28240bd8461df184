/* test_libvirt.c - domain XML parsing (tests/data/libvirt/domain-*.xml:
 * an OpenStack instance on OVS, libvirt networks, direct/ethernet/vhostuser
 * interfaces, a missing target), rejection of malformed and truncated XML,
 * and cal_libvirt_scan() against libvirt's in-process test driver with the
 * host file tests/data/libvirt/host1.xml.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discover/discover.h"
#include "test_data.h"

static json_t *lvt_parse_file(const char *name)
{
	size_t len;
	char *xml = td_read("libvirt", name, &len);
	json_t *d = NULL;

	if (cal_libvirt_parse_domain_xml(&d, xml, len) != 0)
		fail_msg("%s: %s", name, cal_error_last());
	free(xml);
	return d;
}

static const json_t *lvt_iface(const json_t *dom, size_t i)
{
	const json_t *ifc = json_array_get(json_object_get(dom, "interfaces"), i);

	assert_non_null(ifc);
	return ifc;
}

static bool lvt_is_null(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return v && json_is_null(v);
}

static void test_openstack_ovs_domain(void **state)
{
	json_t *d = lvt_parse_file("domain-ovs.xml");
	const json_t *ifc, *vp;

	(void)state;
	assert_string_equal(cal_json_str(d, "name"), "instance-0000002a");
	assert_string_equal(cal_json_str(d, "uuid"), "3b8a7c1e-2f4d-4e6a-9b0c-1d2e3f405162");
	assert_true(lvt_is_null(d, "state"));
	assert_int_equal(cal_json_int(d, "vcpus", -1), 1);
	assert_int_equal(cal_json_int(d, "memory_kb", -1), 2097152);
	/* Only <interface> devices: disks, serials, graphics are not listed. */
	assert_int_equal(json_array_size(json_object_get(d, "interfaces")), 1);
	ifc = lvt_iface(d, 0);
	assert_string_equal(cal_json_str(ifc, "type"), "bridge");
	assert_string_equal(cal_json_str(ifc, "mac"), "fa:16:3e:5d:7a:21");
	assert_string_equal(cal_json_str(ifc, "source_bridge"), "br-int");
	assert_true(lvt_is_null(ifc, "source_network"));
	assert_string_equal(cal_json_str(ifc, "target"), "tapa2f1c3d4-5b");
	assert_string_equal(cal_json_str(ifc, "model"), "virtio");
	vp = json_object_get(ifc, "virtualport");
	assert_string_equal(cal_json_str(vp, "type"), "openvswitch");
	assert_string_equal(cal_json_str(vp, "interfaceid"),
			    "a2f1c3d4-5b6e-4f70-8a9b-0c1d2e3f4a01");
	json_decref(d);
}

static void test_network_domain(void **state)
{
	json_t *d = lvt_parse_file("domain-network.xml");
	const json_t *ifc;

	(void)state;
	/* current vcpus, and currentMemory over memory, in KiB from MiB. */
	assert_int_equal(cal_json_int(d, "vcpus", -1), 2);
	assert_int_equal(cal_json_int(d, "memory_kb", -1), 768 * 1024);
	ifc = lvt_iface(d, 0);
	assert_string_equal(cal_json_str(ifc, "type"), "network");
	assert_string_equal(cal_json_str(ifc, "source_network"), "default");
	assert_string_equal(cal_json_str(ifc, "source_bridge"), "virbr0");
	assert_string_equal(cal_json_str(ifc, "target"), "vnet0");
	assert_true(lvt_is_null(ifc, "virtualport"));
	ifc = lvt_iface(d, 1);
	assert_string_equal(cal_json_str(ifc, "source_network"), "ovs-net");
	assert_true(lvt_is_null(ifc, "source_bridge"));
	assert_string_equal(cal_json_str(ifc, "model"), "rtl8139");
	assert_string_equal(cal_json_str(json_object_get(ifc, "virtualport"), "interfaceid"),
			    "09b11c53-8b5a-49e0-b6d5-17c0e2d7f5e1");
	assert_string_equal(cal_json_str(json_object_get(ifc, "virtualport"), "profileid"),
			    "menial");
	json_decref(d);
}

static void test_direct_ethernet_missing_target(void **state)
{
	json_t *d = lvt_parse_file("domain-mixed.xml");
	const json_t *ifc, *vp;

	(void)state;
	assert_int_equal(cal_json_int(d, "memory_kb", -1), 524288);  /* no unit: KiB */
	assert_int_equal(json_array_size(json_object_get(d, "interfaces")), 5);
	ifc = lvt_iface(d, 0);
	assert_string_equal(cal_json_str(ifc, "type"), "direct");
	assert_string_equal(cal_json_str(ifc, "source_dev"), "eth7");
	assert_string_equal(cal_json_str(ifc, "source_mode"), "vepa");
	assert_string_equal(cal_json_str(ifc, "target"), "macvtap3");
	assert_true(lvt_is_null(ifc, "model"));
	vp = json_object_get(ifc, "virtualport");
	assert_string_equal(cal_json_str(vp, "type"), "802.1Qbg");
	assert_string_equal(cal_json_str(vp, "typeidversion"), "2");
	assert_true(json_object_get(vp, "interfaceid") == NULL);

	ifc = lvt_iface(d, 1);
	assert_string_equal(cal_json_str(ifc, "type"), "ethernet");
	assert_string_equal(cal_json_str(ifc, "target"), "ovt-tap2");
	assert_true(lvt_is_null(ifc, "source_bridge"));
	assert_true(lvt_is_null(ifc, "source_dev"));

	/* No target (an inactive domain's description), a virtualport
	 * without a type. */
	ifc = lvt_iface(d, 2);
	assert_string_equal(cal_json_str(ifc, "source_bridge"), "ovt-br9");
	assert_true(lvt_is_null(ifc, "target"));
	vp = json_object_get(ifc, "virtualport");
	assert_true(lvt_is_null(vp, "type"));
	assert_string_equal(cal_json_str(vp, "interfaceid"), "c0ffee00-0000-4000-8000-000000000003");

	ifc = lvt_iface(d, 3);
	assert_string_equal(cal_json_str(ifc, "type"), "vhostuser");
	assert_string_equal(cal_json_str(ifc, "source_mode"), "server");
	ifc = lvt_iface(d, 4);
	assert_string_equal(cal_json_str(ifc, "type"), "user");
	assert_true(lvt_is_null(ifc, "mac"));
	json_decref(d);
}

static int lvt_parse_str(json_t **out, const char *xml)
{
	return cal_libvirt_parse_domain_xml(out, xml, strlen(xml));
}

static void test_sizes(void **state)
{
	static const struct {
		const char *mem;
		json_int_t kib;
	} ok[] = {
		{ "<memory unit='GiB'>2</memory>", 2097152 },
		{ "<memory unit='G'>1</memory>", 1048576 },
		{ "<memory unit='b'>1048576</memory>", 1024 },
		{ "<memory unit='bytes'>1536</memory>", 2 },
		{ "<memory unit='MB'>1</memory>", 977 },
		{ "<memory unit='KB'>1024</memory>", 1000 },
		{ "<memory unit='k'>7</memory>", 7 },
		{ "<memory>\n  9  \n</memory>", 9 },
		{ "<memory unit='TiB'>1</memory>", 1073741824LL },
	};
	static const char *const bad[] = {
		"<memory unit='GiB'>-2</memory>",
		"<memory unit='GiB'>2x</memory>",
		"<memory unit='parsecs'>2</memory>",
		"<memory></memory>",
		"<memory unit='EiB'>99999999</memory>",
		"<memory>99999999999999999999999</memory>",
		"<vcpu>many</vcpu>",
		"<vcpu current='-1'>2</vcpu>",
		"<vcpu>4294967296</vcpu>",
	};
	char xml[512];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_t *d;

		snprintf(xml, sizeof(xml), "<domain><name>v</name>%s</domain>", ok[i].mem);
		if (lvt_parse_str(&d, xml) != 0)
			fail_msg("%s: %s", ok[i].mem, cal_error_last());
		assert_int_equal(cal_json_int(d, "memory_kb", -1), ok[i].kib);
		assert_true(lvt_is_null(d, "vcpus"));
		assert_true(lvt_is_null(d, "uuid"));
		assert_int_equal(json_array_size(json_object_get(d, "interfaces")), 0);
		json_decref(d);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *d = NULL;

		snprintf(xml, sizeof(xml), "<domain><name>v</name>%s</domain>", bad[i]);
		if (lvt_parse_str(&d, xml) != CAL_EPROTO)
			fail_msg("%s was accepted", bad[i]);
		assert_null(d);
	}
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"not xml at all",
		"<domain><name>v</name>",
		"<domain><name>v</domain></name>",
		"<node><domain><name>v</name></domain></node>",
		"<domain><uuid>x</uuid></domain>",               /* no name */
		"<domain><name>   </name></domain>",
		"<domain a='1' a='2'><name>v</name></domain>",
		"<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY e 'x'>]>"
		"<domain><name>&e;</name></domain>",
		"<domain><name>v</name></domain><domain/>",
		"<domain><name>v\xff</name></domain>",
	};
	json_t *d = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (lvt_parse_str(&d, bad[i]) != CAL_EPROTO)
			fail_msg("'%s' was accepted", bad[i]);
		assert_null(d);
	}
	assert_int_equal(lvt_parse_str(&d, "<domain><name>v</name"), CAL_EPROTO);
	assert_non_null(strstr(cal_error_last(), "malformed domain XML at line 1"));
	/* A NUL byte inside the buffer. */
	assert_int_equal(cal_libvirt_parse_domain_xml(&d, "<domain>\0<name>v</name></domain>", 32),
			 CAL_EPROTO);
	assert_int_equal(cal_libvirt_parse_domain_xml(&d, NULL, 0), CAL_EPROTO);
}

/* Every prefix of a real description that stops before its closing tag is
 * rejected. */
static void test_truncated(void **state)
{
	size_t len;
	char *xml = td_read("libvirt", "domain-ovs.xml", &len);
	const char *end = strstr(xml, "</domain>");
	size_t stop;

	(void)state;
	assert_non_null(end);
	stop = (size_t)(end - xml) + strlen("</domain>");
	for (size_t k = 0; k < stop; k++) {
		json_t *d = NULL;

		if (cal_libvirt_parse_domain_xml(&d, xml, k) != CAL_EPROTO)
			fail_msg("prefix of %zu bytes was accepted", k);
		assert_null(d);
	}
	free(xml);
}

static void test_scan_test_driver(void **state)
{
	char uri[1200];
	json_t *sec;
	const json_t *doms, *vm1, *vm2, *vm3, *ifc;

	(void)state;
	snprintf(uri, sizeof(uri), "test://%s/libvirt/host1.xml", td_dir());
	if (uri[7] != '/')
		fail_msg("CALIPSO_TEST_DATA must be absolute for the test driver: %s", uri);
	if (cal_libvirt_scan(&sec, uri) != 0)
		fail_msg("%s", cal_error_last());
	assert_string_equal(cal_json_str(sec, "uri"), uri);
	assert_int_equal(json_array_size(json_object_get(sec, "errors")), 0);
	doms = json_object_get(sec, "domains");
	assert_int_equal(json_array_size(doms), 3);
	vm1 = json_array_get(doms, 0);
	vm2 = json_array_get(doms, 1);
	vm3 = json_array_get(doms, 2);
	assert_string_equal(cal_json_str(vm1, "name"), "ovt-vm1");
	assert_string_equal(cal_json_str(vm1, "uuid"), "6f1c4a52-0d6e-4c1b-9a55-0c3f5f2a0001");
	assert_string_equal(cal_json_str(vm1, "state"), "running");
	assert_int_equal(cal_json_int(vm1, "memory_kb", -1), 524288);
	assert_int_equal(json_array_size(json_object_get(vm1, "interfaces")), 2);
	ifc = lvt_iface(vm1, 0);
	assert_string_equal(cal_json_str(ifc, "source_bridge"), "br-int");
	assert_string_equal(cal_json_str(ifc, "target"), "tapa2f1c3d4-5b");
	assert_string_equal(cal_json_str(json_object_get(ifc, "virtualport"), "interfaceid"),
			    "a2f1c3d4-5b6e-4f70-8a9b-0c1d2e3f4a01");
	assert_string_equal(cal_json_str(lvt_iface(vm1, 1), "model"), "e1000");

	assert_string_equal(cal_json_str(vm2, "name"), "ovt-vm2");
	assert_int_equal(cal_json_int(vm2, "vcpus", -1), 2);
	assert_int_equal(json_array_size(json_object_get(vm2, "interfaces")), 3);
	assert_string_equal(cal_json_str(lvt_iface(vm2, 0), "source_network"), "default");
	assert_string_equal(cal_json_str(lvt_iface(vm2, 1), "source_dev"), "ovt-lower0");
	assert_string_equal(cal_json_str(lvt_iface(vm2, 2), "type"), "ethernet");
	assert_string_equal(cal_json_str(lvt_iface(vm2, 2), "target"), "ovt-tap9");

	assert_string_equal(cal_json_str(vm3, "name"), "ovt-vm3");
	assert_string_equal(cal_json_str(vm3, "state"), "shutoff");
	assert_int_equal(cal_json_int(vm3, "vcpus", -1), 2);
	assert_int_equal(cal_json_int(vm3, "memory_kb", -1), 2097152);
	assert_int_equal(json_array_size(json_object_get(vm3, "interfaces")), 0);
	json_decref(sec);
}

/* An URI that cannot be opened: our message, and nothing printed by
 * libvirt itself. */
static void test_scan_unopenable(void **state)
{
	char path[] = "/tmp/ovt-lvstderr-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	json_t *sec = NULL;
	char buf[256];
	ssize_t n;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	int rc = cal_libvirt_scan(&sec, "test:///tmp/ovt-no-such-dir/host.xml");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(path);
	assert_int_equal(rc, CAL_EIO);
	assert_null(sec);
	assert_non_null(strstr(cal_error_last(), "cannot open libvirt at "
						 "test:///tmp/ovt-no-such-dir/host.xml: "));
	if (n > 0) {
		buf[n] = '\0';
		fail_msg("libvirt printed: %s", buf);
	}
	assert_string_equal(cal_libvirt_default_uri(), "qemu:///system");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openstack_ovs_domain),
		cmocka_unit_test(test_network_domain),
		cmocka_unit_test(test_direct_ethernet_missing_target),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_scan_test_driver),
		cmocka_unit_test(test_scan_unopenable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
