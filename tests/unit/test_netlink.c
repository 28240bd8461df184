/* test_netlink.c - the kernel source's pure parts: rtnetlink parsers over
 * dumps captured from real namespaces (tests/data/netlink/a, b: see
 * capture.sh) and hand-made messages (handmade/, make_handmade.py: bond,
 * dummy, VLAN filtering, unknown attributes), cross-references (ports,
 * members, veth peers through nsids), malformed and truncated input, nsid
 * requests and replies, and the /proc helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "discover/kernel_private.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

struct blob {
	uint32_t *data; /* aligned like a receive buffer */
	size_t len;
};

static struct blob load(const char *rel)
{
	const char *dir = getenv("CALIPSO_TEST_DATA");
	char path[1024];
	struct blob b = { 0 };
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/netlink/%s", dir ? dir : "tests/data", rel);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b.data = calloc((size_t)n / 4 + 2, 4);
	assert_non_null(b.data);
	b.len = fread(b.data, 1, (size_t)n, f);
	fclose(f);
	assert_int_equal(b.len, (size_t)n);
	return b;
}

/* Runs the namespace's captured dumps through the collector, like the
 * live reader does, and resolves with `map`. */
static json_t *ns_links(const char *ns, const char *own_key, const struct nl_nsid_entry *map,
			size_t nmap)
{
	static const char *const files[] = { "links.bin", "addrs.bin", "fdb.bin" };
	struct nl_link_index *idx;
	struct nl_collect c;
	json_t *links;

	assert_int_equal(nl_collect_init(&c), 0);
	for (size_t i = 0; i < 3; i++) {
		char rel[64];
		struct blob b;

		snprintf(rel, sizeof(rel), "%s/%s", ns, files[i]);
		/* Hand-made sets have links only. */
		if (i > 0 && strcmp(ns, "handmade") == 0)
			continue;
		b = load(rel);
		assert_int_equal(nl_collect_buffer(&c, b.data, b.len), 0);
		free(b.data);
	}
	assert_int_equal(json_array_size(c.errors), 0);
	assert_int_equal(nl_collect_take(&links, &idx, &c), 0);
	nl_collect_fini(&c);
	if (own_key)
		assert_int_equal(nl_links_resolve(links, idx, own_key, map, nmap), 0);
	nl_link_index_free(idx);
	return links;
}

static json_t *find(const json_t *arr, const char *key, const char *name)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o)
		if (strcmp(cal_json_str(o, key), name) == 0)
			return o;
	fail_msg("no '%s' = '%s'", key, name);
	return NULL;
}

static json_t *path(const json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	return b ? json_object_get(v, b) : v;
}

static bool has_str(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static bool has_pair(const json_t *arr, const char *k1, const char *v1, const char *k2,
		     const char *v2)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o)
		if (strcmp(cal_json_str(o, k1), v1) == 0 && strcmp(cal_json_str(o, k2), v2) == 0)
			return true;
	return false;
}

static json_t *addr_of(const json_t *link, const char *address)
{
	return find(json_object_get(link, "addresses"), "address", address);
}

/* The message of `name` in a captured link dump (a copy, with room). */
static struct nlmsghdr *link_msg(const char *ns, const char *name, size_t extra)
{
	char rel[64];
	struct blob b;
	size_t off = 0, msglen;

	snprintf(rel, sizeof(rel), "%s/links.bin", ns);
	b = load(rel);
	while (off < b.len) {
		const struct nlmsghdr *nlh = (const void *)((char *)b.data + off);
		json_t *l;

		assert_int_equal(nl_msg_check(nlh, b.len - off, &msglen), 0);
		assert_int_equal(nl_parse_link(&l, nlh, msglen), 0);
		if (strcmp(cal_json_str(l, "name"), name) == 0) {
			struct nlmsghdr *copy = calloc(1, nlh->nlmsg_len + extra + 8);

			assert_non_null(copy);
			memcpy(copy, nlh, nlh->nlmsg_len);
			json_decref(l);
			free(b.data);
			return copy;
		}
		json_decref(l);
		off += msglen;
	}
	free(b.data);
	fail_msg("no link '%s' in %s", name, rel);
	return NULL;
}

/* What `ip -d -j link` printed at capture time. */
static json_t *ip_json(const char *rel)
{
	struct blob b = load(rel);
	json_error_t err;
	json_t *j = json_loadb((const char *)b.data, b.len, 0, &err);

	free(b.data);
	if (!j)
		fail_msg("%s: %s", rel, err.text);
	return j;
}

/* ------------------------------------------------------------------ */
/* Captured dumps                                                      */
/* ------------------------------------------------------------------ */

static void test_capture_kinds(void **state)
{
	static const struct nl_nsid_entry map[] = { { 0, "ns:B" } };
	json_t *links = ns_links("a", "ns:A", map, 1);
	json_t *blinks = ns_links("b", NULL, NULL, 0);
	json_t *l, *br, *vx;

	(void)state;
	l = find(links, "name", "lo");
	assert_string_equal(cal_json_str(l, "kind"), "loopback");
	assert_true(has_str(json_object_get(l, "flags"), "LOOPBACK"));
	assert_true(has_str(json_object_get(l, "flags"), "UP"));
	assert_string_equal(cal_json_str(addr_of(l, "127.0.0.1"), "scope"), "host");
	assert_int_equal(cal_json_int(addr_of(l, "127.0.0.1"), "prefixlen", -1), 8);
	assert_string_equal(cal_json_str(addr_of(l, "::1"), "family"), "inet6");

	/* Across namespaces: peer index from B's own dump, nsid 0 -> B. */
	l = find(links, "name", "nlt-x0");
	assert_string_equal(cal_json_str(l, "kind"), "veth");
	assert_string_equal(cal_json_str(l, "mac"), "02:00:00:00:0a:01");
	assert_int_equal(cal_json_int(path(l, "veth", NULL), "peer_ifindex", -1),
			 cal_json_int(find(blinks, "name", "nlt-x1"), "ifindex", -2));
	assert_string_equal(cal_json_str(path(l, "veth", NULL), "peer_netns"), "ns:B");
	assert_string_equal(cal_json_str(l, "link_netns"), "ns:B");
	assert_null(json_object_get(l, NL_K_NETNSID));
	assert_string_equal(cal_json_str(addr_of(l, "10.250.0.1"), "family"), "inet");
	assert_int_equal(cal_json_int(addr_of(l, "10.250.0.1"), "prefixlen", -1), 24);
	assert_string_equal(cal_json_str(addr_of(l, "10.250.0.1"), "scope"), "global");
	assert_int_equal(cal_json_int(addr_of(l, "fd00:250::1"), "prefixlen", -1), 64);

	/* Same namespace: no nsid, the peer is here. */
	l = find(links, "name", "nlt-va");
	assert_int_equal(cal_json_int(path(l, "veth", NULL), "peer_ifindex", -1),
			 cal_json_int(find(links, "name", "nlt-vb"), "ifindex", -2));
	assert_string_equal(cal_json_str(path(l, "veth", NULL), "peer_netns"), "ns:A");
	assert_null(json_object_get(l, "link_netns"));
	assert_string_equal(cal_json_str(l, "master"), "nlt-br0");
	assert_int_equal(cal_json_int(l, "master_ifindex", -1),
			 cal_json_int(find(links, "name", "nlt-br0"), "ifindex", -2));

	br = find(links, "name", "nlt-br0");
	assert_string_equal(cal_json_str(br, "kind"), "bridge");
	assert_true(json_is_true(path(br, "bridge", "stp")));
	assert_true(json_is_false(path(br, "bridge", "vlan_filtering")));
	assert_int_equal(json_array_size(path(br, "bridge", "ports")), 3);
	assert_true(has_str(path(br, "bridge", "ports"), "nlt-va"));
	assert_true(has_str(path(br, "bridge", "ports"), "nlt-vx1"));
	assert_true(has_str(path(br, "bridge", "ports"), "nlt-tap0"));
	assert_string_equal(cal_json_str(addr_of(br, "10.251.0.1"), "family"), "inet");

	vx = find(links, "name", "nlt-vx0");
	assert_string_equal(cal_json_str(vx, "kind"), "vxlan");
	assert_int_equal(cal_json_int(path(vx, "vxlan", NULL), "vni", -1), 4242);
	assert_int_equal(cal_json_int(path(vx, "vxlan", NULL), "port", -1), 4789);
	assert_string_equal(cal_json_str(path(vx, "vxlan", NULL), "local"), "10.250.0.1");
	assert_string_equal(cal_json_str(path(vx, "vxlan", NULL), "remote"), "10.250.0.2");
	assert_string_equal(cal_json_str(path(vx, "vxlan", NULL), "underlay"), "nlt-x0");
	/* A unicast remote is also the default (all-zero) FDB entry. */
	assert_true(has_pair(path(vx, "vxlan", "fdb"), "mac", "00:00:00:00:00:00", "dst",
			     "10.250.0.2"));

	vx = find(links, "name", "nlt-vx1");
	assert_true(json_is_null(path(vx, "vxlan", "remote")));
	assert_int_equal(cal_json_int(path(vx, "vxlan", NULL), "vni", -1), 101);
	assert_int_equal(json_array_size(path(vx, "vxlan", "fdb")), 3);
	assert_true(has_pair(path(vx, "vxlan", "fdb"), "mac", "00:00:00:00:00:00", "dst",
			     "10.250.0.3"));
	assert_true(has_pair(path(vx, "vxlan", "fdb"), "mac", "00:00:00:00:00:00", "dst",
			     "10.250.0.4"));
	assert_true(has_pair(path(vx, "vxlan", "fdb"), "mac", "02:00:00:00:0c:01", "dst",
			     "10.250.0.3"));
	assert_string_equal(cal_json_str(vx, "master"), "nlt-br0");

	vx = find(links, "name", "nlt-vx6");
	assert_int_equal(cal_json_int(path(vx, "vxlan", NULL), "vni", -1), 7);
	assert_int_equal(cal_json_int(path(vx, "vxlan", NULL), "port", -1), 4790);
	assert_string_equal(cal_json_str(path(vx, "vxlan", NULL), "local"), "fd00:250::1");
	assert_string_equal(cal_json_str(path(vx, "vxlan", NULL), "remote"), "fd00:250::2");

	l = find(links, "name", "nlt-tap0");
	assert_string_equal(cal_json_str(l, "kind"), "tap");
	assert_string_equal(cal_json_str(path(l, "tun", NULL), "mode"), "tap");
	assert_string_equal(cal_json_str(l, "master"), "nlt-br0");
	l = find(links, "name", "nlt-tun0");
	assert_string_equal(cal_json_str(l, "kind"), "tun");
	assert_string_equal(cal_json_str(path(l, "tun", NULL), "mode"), "tun");
	assert_null(json_object_get(l, "mac"));

	l = find(links, "name", "nlt-mv0");
	assert_string_equal(cal_json_str(l, "kind"), "macvlan");
	assert_string_equal(cal_json_str(path(l, "macvlan", NULL), "mode"), "bridge");
	assert_string_equal(cal_json_str(path(l, "macvlan", NULL), "lower"), "nlt-x0");

	assert_string_equal(cal_json_str(find(links, "name", "nlt-ifb0"), "kind"), "other:ifb");

	json_decref(links);
	json_decref(blinks);
}

/* Every link against what `ip -d -j link` printed from the same namespace. */
static void test_capture_matches_ip(void **state)
{
	static const char *const stats[] = { "rx_bytes",  "tx_bytes",  "rx_packets",
					     "tx_packets", "rx_errors", "tx_errors",
					     "rx_dropped", "tx_dropped" };
	json_t *links = ns_links("a", "ns:A", NULL, 0);
	json_t *ip = ip_json("a/ip-link.json");
	size_t i;
	json_t *il;

	(void)state;
	assert_int_equal(json_array_size(ip), json_array_size(links));
	json_array_foreach(ip, i, il) {
		json_t *l = find(links, "name", cal_json_str(il, "ifname"));
		const char *ipkind = cal_json_str(path(il, "linkinfo", NULL), "info_kind");
		char oper[32];
		size_t j;

		assert_int_equal(cal_json_int(l, "ifindex", -1), cal_json_int(il, "ifindex", -2));
		assert_int_equal(cal_json_int(l, "mtu", -1), cal_json_int(il, "mtu", -2));
		if (json_object_get(il, "address") && strcmp(cal_json_str(il, "link_type"), "none"))
			assert_string_equal(cal_json_str(l, "mac"), cal_json_str(il, "address"));
		snprintf(oper, sizeof(oper), "%s", cal_json_str(l, "operstate"));
		for (char *p = oper; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		assert_string_equal(oper, cal_json_str(il, "operstate"));
		if (*ipkind && strcmp(ipkind, "tun") != 0)
			assert_true(strstr(cal_json_str(l, "kind"), ipkind) != NULL);
		if (json_object_get(il, "link_index"))
			assert_int_equal(cal_json_int(l, "link_ifindex", -1),
					 cal_json_int(il, "link_index", -2));
		if (json_object_get(il, "master"))
			assert_string_equal(cal_json_str(l, "master"), cal_json_str(il, "master"));
		else
			assert_null(json_object_get(l, "master"));
		/* ip prints the same flag names (M-DOWN is its own addition). */
		for (j = 0; j < json_array_size(json_object_get(il, "flags")); j++) {
			const char *f = json_string_value(json_array_get(json_object_get(il, "flags"), j));

			if (strcmp(f, "M-DOWN") != 0)
				assert_true(has_str(json_object_get(l, "flags"), f));
		}
		for (j = 0; j < sizeof(stats) / sizeof(stats[0]); j++)
			assert_true(json_is_integer(path(l, "stats", stats[j])));
	}
	json_decref(ip);
	json_decref(links);
}

static void test_capture_peer_side(void **state)
{
	json_t *alinks = ns_links("a", NULL, NULL, 0);
	json_t *blinks = ns_links("b", NULL, NULL, 0);
	json_t *x1 = find(blinks, "name", "nlt-x1");
	json_int_t nsid = cal_json_int(x1, NL_K_NETNSID, -100);
	struct nl_nsid_entry map[2] = { { (int32_t)nsid + 1, "ns:wrong" }, { (int32_t)nsid, "ns:A" } };
	struct nl_link_index *idx;

	(void)state;
	/* B's id for A, whatever number the kernel chose. */
	assert_true(nsid >= 0);
	assert_int_equal(nl_link_index_new(&idx, blinks), 0);
	assert_int_equal(nl_links_resolve(blinks, idx, "ns:B", map, 2), 0);
	nl_link_index_free(idx);
	assert_string_equal(cal_json_str(path(x1, "veth", NULL), "peer_netns"), "ns:A");
	assert_int_equal(cal_json_int(path(x1, "veth", NULL), "peer_ifindex", -1),
			 cal_json_int(find(alinks, "name", "nlt-x0"), "ifindex", -2));
	assert_string_equal(cal_json_str(addr_of(x1, "10.250.0.2"), "family"), "inet");
	json_decref(alinks);
	json_decref(blinks);
}

static void test_unmapped_nsid_is_null(void **state)
{
	json_t *links = ns_links("a", "ns:A", NULL, 0);
	json_t *l = find(links, "name", "nlt-x0");

	(void)state;
	/* No entry for the nsid: the peer's namespace is unknown, and never
	 * guessed (a same-named device elsewhere must not be picked). */
	assert_true(json_is_null(path(l, "veth", "peer_netns")));
	assert_true(json_is_null(json_object_get(l, "link_netns")));
	json_decref(links);
}

/* ------------------------------------------------------------------ */
/* Hand-made messages                                                  */
/* ------------------------------------------------------------------ */

static void test_handmade_bond_dummy_vlan(void **state)
{
	json_t *links = ns_links("handmade", NULL, NULL, 0);
	struct nl_link_index *idx;
	json_t *l;

	(void)state;
	assert_int_equal(json_array_size(links), 6);
	assert_int_equal(nl_link_index_new(&idx, links), 0);
	assert_int_equal(nl_links_resolve(links, idx, "ns:H", NULL, 0), 0);
	nl_link_index_free(idx);

	l = find(links, "name", "nlt-bond0");
	assert_string_equal(cal_json_str(l, "kind"), "bond");
	assert_string_equal(cal_json_str(path(l, "bond", NULL), "mode"), "active-backup");
	assert_int_equal(json_array_size(path(l, "bond", "members")), 2);
	assert_true(has_str(path(l, "bond", "members"), "nlt-eth1"));
	assert_true(has_str(path(l, "bond", "members"), "nlt-eth2"));
	assert_true(has_str(json_object_get(l, "flags"), "MASTER"));

	l = find(links, "name", "nlt-eth1");
	assert_string_equal(cal_json_str(l, "kind"), "physical");
	assert_string_equal(cal_json_str(l, "parent_device"), "0000:00:04.0");
	assert_string_equal(cal_json_str(l, "parent_bus"), "pci");
	assert_string_equal(cal_json_str(l, "permanent_mac"), "52:54:00:00:04:01");
	assert_string_equal(cal_json_str(l, "master"), "nlt-bond0");
	assert_true(json_is_true(json_object_get(l, "carrier")));
	l = find(links, "name", "nlt-eth2");
	assert_string_equal(cal_json_str(l, "operstate"), "down");
	assert_true(json_is_false(json_object_get(l, "carrier")));

	assert_string_equal(cal_json_str(find(links, "name", "nlt-dummy0"), "kind"), "dummy");

	l = find(links, "name", "nlt-brvf");
	assert_true(json_is_false(path(l, "bridge", "stp")));
	assert_true(json_is_true(path(l, "bridge", "vlan_filtering")));
	assert_int_equal(json_array_size(path(l, "bridge", "ports")), 1);
	assert_true(has_str(path(l, "bridge", "ports"), "nlt-unk0"));

	/* Attributes after the unknown ones were still read. */
	l = find(links, "name", "nlt-unk0");
	assert_string_equal(cal_json_str(l, "kind"), "dummy");
	assert_int_equal(cal_json_int(l, "mtu", -1), 9000);
	json_decref(links);
}

static void test_unknown_attribute_skipped(void **state)
{
	struct nlmsghdr *nlh = link_msg("a", "nlt-vx0", 64);
	json_t *before, *after;
	uint8_t junk[7] = { 1, 2, 3, 4, 5, 6, 7 };

	(void)state;
	assert_int_equal(nl_parse_link(&before, nlh, nlh->nlmsg_len), 0);
	/* Types far above IFLA_MAX, with an odd length (padding to skip). */
	mnl_attr_put(nlh, 0x3ff, sizeof(junk), junk);
	mnl_attr_put_u32(nlh, IFLA_MAX + 1, 42);
	assert_int_equal(nl_parse_link(&after, nlh, nlh->nlmsg_len), 0);
	assert_true(json_equal(before, after));
	json_decref(before);
	json_decref(after);
	free(nlh);
}

/* ------------------------------------------------------------------ */
/* Malformed and truncated input                                       */
/* ------------------------------------------------------------------ */

/* Offsets at which cutting a message keeps whole top-level attributes. */
static bool cut_is_boundary(const struct nlmsghdr *nlh, size_t cut)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg));

	if (cut == off)
		return true;
	while (off + 4 <= nlh->nlmsg_len) {
		const struct nlattr *a = (const void *)((const char *)nlh + off);

		if (cut >= off + a->nla_len && cut <= off + MNL_ALIGN(a->nla_len))
			return true;
		off += MNL_ALIGN(a->nla_len);
	}
	return false;
}

static void test_truncated_rejected(void **state)
{
	struct blob b = load("a/links.bin");
	size_t off = 0, msglen, checked = 0;

	(void)state;
	while (off < b.len) {
		struct nlmsghdr *nlh = (void *)((char *)b.data + off);
		uint32_t full = nlh->nlmsg_len;
		json_t *l;

		assert_int_equal(nl_msg_check(nlh, b.len - off, &msglen), 0);
		/* Fewer bytes than the header says: always refused. */
		for (size_t cut = 0; cut < full; cut++) {
			assert_int_equal(nl_parse_link(&l, nlh, cut), CAL_EPROTO);
			assert_null(l);
		}
		/* A header that says fewer bytes: refused unless the cut falls
		 * between attributes (then it must still be a valid link or
		 * a refusal for a missing name). */
		for (uint32_t cut = 0; cut < full; cut++) {
			int rc;

			nlh->nlmsg_len = cut;
			rc = nl_parse_link(&l, nlh, full);
			if (!cut_is_boundary(nlh, cut) || cut < NLMSG_HDRLEN + sizeof(struct ifinfomsg))
				assert_int_equal(rc, CAL_EPROTO);
			else
				assert_true(rc == 0 || rc == CAL_EPROTO);
			json_decref(l);
			checked++;
		}
		nlh->nlmsg_len = full;
		off += msglen;
	}
	assert_true(checked > 1000);
	free(b.data);
}

/* Finds attribute `type` in the top level of a message whose fixed
 * header has `hdr` bytes. */
static struct nlattr *attr_after(struct nlmsghdr *nlh, size_t hdr, uint16_t type)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, hdr)
		if (mnl_attr_get_type(a) == type)
			return a;
	fail_msg("no attribute %u", type);
	return NULL;
}

static struct nlattr *attr_in(struct nlmsghdr *nlh, uint16_t type)
{
	return attr_after(nlh, sizeof(struct ifinfomsg), type);
}

static void expect_eproto(struct nlmsghdr *nlh, const char *why)
{
	json_t *l = NULL;
	int rc = nl_parse_link(&l, nlh, nlh->nlmsg_len);

	if (rc != CAL_EPROTO)
		fail_msg("%s: got %d (%s)", why, rc, cal_error_last());
	assert_null(l);
	assert_true(strlen(cal_error_last()) > 0);
}

static void test_malformed_rejected(void **state)
{
	struct nlmsghdr *nlh;
	struct nlattr *a;
	json_t *l;

	(void)state;
	/* Attribute length below its own header. */
	nlh = link_msg("a", "nlt-x0", 0);
	attr_in(nlh, IFLA_MTU)->nla_len = 2;
	expect_eproto(nlh, "nla_len 2");
	free(nlh);

	/* Attribute running past the message. */
	nlh = link_msg("a", "nlt-x0", 0);
	attr_in(nlh, IFLA_IFNAME)->nla_len = 0xfff0;
	expect_eproto(nlh, "nla_len past the end");
	free(nlh);

	/* A fixed-size attribute of the wrong size. */
	nlh = link_msg("a", "nlt-x0", 0);
	a = attr_in(nlh, IFLA_MTU);
	a->nla_len = 6;
	expect_eproto(nlh, "2-byte IFLA_MTU");
	free(nlh);

	/* A name without its terminator. */
	nlh = link_msg("a", "nlt-x0", 0);
	a = attr_in(nlh, IFLA_IFNAME);
	memset(mnl_attr_get_payload(a), 'x', mnl_attr_get_payload_len(a));
	expect_eproto(nlh, "unterminated name");
	free(nlh);

	/* No name at all. */
	nlh = link_msg("a", "nlt-x0", 0);
	attr_in(nlh, IFLA_IFNAME)->nla_type = 0x3fe;
	expect_eproto(nlh, "no IFLA_IFNAME");
	free(nlh);

	/* Index 0, and the wrong message type. */
	nlh = link_msg("a", "nlt-x0", 0);
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index = 0;
	expect_eproto(nlh, "index 0");
	free(nlh);
	nlh = link_msg("a", "nlt-x0", 0);
	nlh->nlmsg_type = RTM_NEWADDR;
	expect_eproto(nlh, "RTM_NEWADDR as a link");
	free(nlh);

	/* A hardware address of 40 bytes. */
	nlh = link_msg("a", "nlt-x0", 64);
	{
		uint8_t big[40] = { 0 };

		attr_in(nlh, IFLA_ADDRESS)->nla_type = 0x3fd;
		mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(big), big);
	}
	expect_eproto(nlh, "40-byte MAC");
	free(nlh);

	/* Counters too short to hold the eight the report needs. */
	nlh = link_msg("a", "nlt-x0", 0);
	attr_in(nlh, IFLA_STATS64)->nla_len = 4 + 8 * 7;
	expect_eproto(nlh, "short IFLA_STATS64");
	free(nlh);

	/* Broken nesting inside IFLA_LINKINFO / IFLA_INFO_DATA (vxlan). */
	nlh = link_msg("a", "nlt-vx0", 0);
	a = attr_in(nlh, IFLA_LINKINFO);
	{
		struct nlattr *in, *data = NULL, *v;

		mnl_attr_for_each_nested(in, a)
			if (mnl_attr_get_type(in) == IFLA_INFO_DATA)
				data = in;
		assert_non_null(data);
		mnl_attr_for_each_nested(v, data)
			if (mnl_attr_get_type(v) == IFLA_VXLAN_LOCAL)
				break;
		/* Five bytes of IPv4 address. */
		v->nla_len = 4 + 5;
		expect_eproto(nlh, "5-byte IFLA_VXLAN_LOCAL");
		v->nla_len = 4 + 4;
		assert_int_equal(nl_parse_link(&l, nlh, nlh->nlmsg_len), 0);
		json_decref(l);
		/* An inner attribute longer than its nest. */
		data->nla_len = 4 + 2;
		expect_eproto(nlh, "truncated IFLA_INFO_DATA");
	}
	free(nlh);
}

static void test_collect_skips_malformed(void **state)
{
	struct blob b = load("a/links.bin");
	struct nl_link_index *idx;
	struct nl_collect c;
	json_t *links;
	size_t off = 0, msglen, n = 0;

	(void)state;
	/* Break the second message's MTU: it alone is skipped and said. */
	assert_int_equal(nl_msg_check(b.data, b.len, &msglen), 0);
	attr_in((struct nlmsghdr *)((char *)b.data + msglen), IFLA_MTU)->nla_len = 5;
	assert_int_equal(nl_collect_init(&c), 0);
	assert_int_equal(nl_collect_buffer(&c, b.data, b.len), 0);
	while (off < b.len) {
		assert_int_equal(nl_msg_check((char *)b.data + off, b.len - off, &msglen), 0);
		off += msglen;
		n++;
	}
	assert_int_equal(json_array_size(c.links), n - 1);
	assert_int_equal(json_array_size(c.errors), 1);
	assert_non_null(strstr(json_string_value(json_array_get(c.errors, 0)), "IFLA_MTU"));
	assert_int_equal(nl_collect_take(&links, &idx, &c), 0);
	nl_link_index_free(idx);
	json_decref(links);
	nl_collect_fini(&c);

	/* Broken framing is the collector's error, not a skip. */
	assert_int_equal(nl_collect_init(&c), 0);
	((struct nlmsghdr *)b.data)->nlmsg_len = 7;
	assert_int_equal(nl_collect_buffer(&c, b.data, b.len), CAL_EPROTO);
	((struct nlmsghdr *)b.data)->nlmsg_len = (uint32_t)b.len + 4;
	assert_int_equal(nl_collect_buffer(&c, b.data, b.len), CAL_EPROTO);
	nl_collect_fini(&c);
	free(b.data);
}

static void test_addr_and_neigh_malformed(void **state)
{
	uint32_t buf[64];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct ndmsg *ndm;
	uint8_t five[5] = { 10, 0, 0, 1, 9 };
	json_t *o;
	int ifindex;

	(void)state;
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 24;
	ifa->ifa_index = 3;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(five), five);
	assert_int_equal(nl_parse_addr(&o, &ifindex, nlh, nlh->nlmsg_len), CAL_EPROTO);
	ifa->ifa_prefixlen = 33;
	nlh->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*ifa));
	mnl_attr_put(nlh, IFA_LOCAL, 4, five);
	assert_int_equal(nl_parse_addr(&o, &ifindex, nlh, nlh->nlmsg_len), CAL_EPROTO);
	ifa->ifa_prefixlen = 32;
	assert_int_equal(nl_parse_addr(&o, &ifindex, nlh, nlh->nlmsg_len), 0);
	assert_int_equal(ifindex, 3);
	assert_string_equal(cal_json_str(o, "address"), "10.0.0.1");
	json_decref(o);
	/* Other families are nothing, not errors. */
	ifa->ifa_family = AF_PACKET;
	assert_int_equal(nl_parse_addr(&o, &ifindex, nlh, nlh->nlmsg_len), 0);
	assert_null(o);

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWNEIGH;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_BRIDGE;
	ndm->ndm_ifindex = 4;
	mnl_attr_put(nlh, NDA_DST, sizeof(five), five);
	assert_int_equal(nl_parse_neigh(&o, &ifindex, nlh, nlh->nlmsg_len), CAL_EPROTO);
	/* Without NDA_DST an entry is not a remote. */
	nlh->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*ndm));
	assert_int_equal(nl_parse_neigh(&o, &ifindex, nlh, nlh->nlmsg_len), 0);
	assert_null(o);
	ndm->ndm_ifindex = 0;
	assert_int_equal(nl_parse_neigh(&o, &ifindex, nlh, nlh->nlmsg_len), CAL_EPROTO);
}

static void test_nsid_messages(void **state)
{
	uint32_t buf[64], reply[16];
	size_t used = 0;
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	int32_t id;

	(void)state;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(nl_nsid_request(buf, sizeof(buf), &used, 77, 5), 0);
	assert_int_equal(nl_nsid_request(buf, sizeof(buf), &used, 78, 6), 0);
	nlh = (struct nlmsghdr *)buf;
	assert_int_equal(nlh->nlmsg_type, RTM_GETNSID);
	assert_int_equal(nlh->nlmsg_seq, 77);
	assert_int_equal(mnl_attr_get_u32(attr_after(nlh, sizeof(struct rtgenmsg), NETNSA_FD)), 5);
	nlh = (struct nlmsghdr *)((char *)buf + NLMSG_ALIGN(nlh->nlmsg_len));
	assert_int_equal(nlh->nlmsg_seq, 78);
	assert_int_equal(used, 2 * NLMSG_ALIGN(nlh->nlmsg_len));
	/* A full batch says so instead of overflowing. */
	assert_int_equal(nl_nsid_request(buf, used + 8, &used, 79, 7), CAL_EINVALID);

	memset(reply, 0, sizeof(reply));
	nlh = mnl_nlmsg_put_header(reply);
	nlh->nlmsg_type = RTM_NEWNSID;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	assert_int_equal(nl_parse_nsid(&id, nlh, nlh->nlmsg_len), CAL_EPROTO);
	mnl_attr_put_u32(nlh, NETNSA_NSID, 3);
	assert_int_equal(nl_parse_nsid(&id, nlh, nlh->nlmsg_len), 0);
	assert_int_equal(id, 3);
	assert_int_equal(nl_parse_nsid(&id, nlh, nlh->nlmsg_len - 1), CAL_EPROTO);
}

static void test_resolve_dangling(void **state)
{
	json_t *links = json_pack("[{s:i, s:s, s:s, s:i, s:i}, {s:i, s:s, s:s, s:i}]", "ifindex",
				  1, "name", "self", "kind", "other", "master_ifindex", 1,
				  "link_ifindex", 99, "ifindex", 2, "name", "orphan", "kind",
				  "other", "master_ifindex", 77);
	struct nl_link_index *idx;

	(void)state;
	assert_int_equal(nl_link_index_new(&idx, links), 0);
	assert_null(nl_link_index_get(idx, 77));
	assert_int_equal(nl_links_resolve(links, idx, "ns:1", NULL, 0), 0);
	/* A master that is not there is not named. */
	assert_null(json_object_get(json_array_get(links, 1), "master"));
	assert_string_equal(cal_json_str(json_array_get(links, 0), "master"), "self");
	nl_link_index_free(idx);
	json_decref(links);
}

/* ------------------------------------------------------------------ */
/* Reading dumps: one datagram at a time                               */
/* ------------------------------------------------------------------ */

struct feed_count {
	int calls;
	int fail_at; /* call number answered with CAL_EPROTO, 0 = none */
};

static int feed_cb(const struct nlmsghdr *nlh, size_t len, void *arg)
{
	struct feed_count *c = arg;

	(void)nlh;
	(void)len;
	c->calls++;
	return c->calls == c->fail_at ? CAL_EPROTO : 0;
}

/* The captured link dump relabelled as the reply to request `seq` of
 * port 9, with room after it for a final message. */
static struct blob dump_reply(uint32_t seq, int *nmsg)
{
	struct blob b = load("a/links.bin");
	size_t off = 0, msglen;

	b.data = realloc(b.data, b.len + 64);
	assert_non_null(b.data);
	*nmsg = 0;
	while (off < b.len) {
		struct nlmsghdr *nlh = (void *)((char *)b.data + off);

		assert_int_equal(nl_msg_check(nlh, b.len - off, &msglen), 0);
		nlh->nlmsg_seq = seq;
		nlh->nlmsg_pid = 9;
		nlh->nlmsg_flags = NLM_F_MULTI;
		off += msglen;
		(*nmsg)++;
	}
	return b;
}

/* Appends an NLMSG_DONE or NLMSG_ERROR carrying `err`. */
static size_t put_end(struct blob *b, uint16_t type, uint32_t seq, int err)
{
	struct nlmsghdr *nlh = (void *)((char *)b->data + b->len);
	size_t len = type == NLMSG_ERROR ? NLMSG_HDRLEN + sizeof(struct nlmsgerr)
					 : NLMSG_HDRLEN + sizeof(int);

	memset(nlh, 0, len);
	nlh->nlmsg_len = (uint32_t)len;
	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 9;
	memcpy(mnl_nlmsg_get_payload(nlh), &err, sizeof(err));
	return b->len + NLMSG_ALIGN(len);
}

static void test_dump_feed(void **state)
{
	struct nl_dump_state st;
	struct feed_count c;
	struct blob b;
	size_t full;
	int n;

	(void)state;
	/* A whole dump: every message to the callback, then done. */
	b = dump_reply(5, &n);
	full = put_end(&b, NLMSG_DONE, 5, 0);
	st = (struct nl_dump_state){ .seq = 5, .portid = 9 };
	c = (struct feed_count){ 0 };
	assert_int_equal(nl_dump_feed(&st, b.data, full, feed_cb, &c), 0);
	assert_true(st.done);
	assert_false(st.intr);
	assert_int_equal(st.first, 0);
	assert_int_equal(c.calls, n);

	/* In two datagrams: not done after the first. */
	st = (struct nl_dump_state){ .seq = 5, .portid = 9 };
	c = (struct feed_count){ 0 };
	assert_int_equal(nl_dump_feed(&st, b.data, b.len, feed_cb, &c), 0);
	assert_false(st.done);
	assert_int_equal(nl_dump_feed(&st, (char *)b.data + b.len, full - b.len, feed_cb, &c), 0);
	assert_true(st.done);
	assert_int_equal(c.calls, n);

	/* Replies to an older request are skipped. */
	st = (struct nl_dump_state){ .seq = 6, .portid = 9 };
	c = (struct feed_count){ 0 };
	assert_int_equal(nl_dump_feed(&st, b.data, b.len, feed_cb, &c), 0);
	assert_int_equal(c.calls, 0);
	assert_false(st.done);

	/* The kernel flags the dump inconsistent: to be read again. */
	((struct nlmsghdr *)b.data)->nlmsg_flags |= NLM_F_DUMP_INTR;
	st = (struct nl_dump_state){ .seq = 5, .portid = 9 };
	c = (struct feed_count){ 0 };
	assert_int_equal(nl_dump_feed(&st, b.data, full, feed_cb, &c), 0);
	assert_true(st.done && st.intr);
	((struct nlmsghdr *)b.data)->nlmsg_flags &= (uint16_t)~NLM_F_DUMP_INTR;

	/* A malformed message does not stop the others. */
	st = (struct nl_dump_state){ .seq = 5, .portid = 9 };
	c = (struct feed_count){ .fail_at = 2 };
	assert_int_equal(nl_dump_feed(&st, b.data, full, feed_cb, &c), 0);
	assert_int_equal(c.calls, n);
	assert_int_equal(st.first, CAL_EPROTO);

	/* DONE with -EINTR: redo; NLMSG_ERROR: the error, no more reading. */
	full = put_end(&b, NLMSG_DONE, 5, -EINTR);
	st = (struct nl_dump_state){ .seq = 5, .portid = 9 };
	assert_int_equal(nl_dump_feed(&st, b.data, full, feed_cb, &c), 0);
	assert_true(st.done && st.intr);
	assert_int_equal(st.first, 0);
	full = put_end(&b, NLMSG_ERROR, 5, -EPERM);
	st = (struct nl_dump_state){ .seq = 5, .portid = 9 };
	assert_int_equal(nl_dump_feed(&st, (char *)b.data + b.len, full - b.len, feed_cb, &c),
			 0);
	assert_true(st.done);
	assert_int_equal(st.first, CAL_EPERM);
	assert_non_null(strstr(cal_error_last(), "Operation not permitted"));

	/* Broken framing. */
	st = (struct nl_dump_state){ .seq = 5, .portid = 9 };
	((struct nlmsghdr *)b.data)->nlmsg_len = 3;
	assert_int_equal(nl_dump_feed(&st, b.data, b.len, feed_cb, &c), CAL_EPROTO);
	free(b.data);
}

/* ------------------------------------------------------------------ */
/* Strings and /proc helpers                                           */
/* ------------------------------------------------------------------ */

static void test_strings(void **state)
{
	json_t *s;

	(void)state;
	s = nl_json_str("tap-\xc3\xa9");
	assert_string_equal(json_string_value(s), "tap-\xc3\xa9");
	json_decref(s);
	s = nl_json_str("a\x01" "b");
	assert_string_equal(json_string_value(s), "a\\x01b");
	json_decref(s);
	s = nl_json_str("bad\xff");
	assert_string_equal(json_string_value(s), "bad\\xff");
	json_decref(s);
	s = nl_json_hwaddr((const uint8_t *)"\x02\x00\xab", 3);
	assert_string_equal(json_string_value(s), "02:00:ab");
	json_decref(s);
	assert_true(json_is_null(nl_json_ipaddr((const uint8_t *)"\0\0\0\0", 4, true)));
	assert_null(nl_json_ipaddr((const uint8_t *)"\0\0\0", 3, false));
}

static void test_procfs_helpers(void **state)
{
	char cmd[] = "dnsmasq\0--no-daemon\0--conf-file=/x\0\0";
	uint64_t ino;

	(void)state;
	assert_int_equal(kp_parse_ns_link(&ino, "net:[4026531840]", "net"), 0);
	assert_int_equal(ino, 4026531840ULL);
	assert_int_equal(kp_parse_ns_link(&ino, "uts:[4026531838]", "uts"), 0);
	assert_int_equal(kp_parse_ns_link(&ino, "uts:[4026531838]", "net"), CAL_EPROTO);
	assert_int_equal(kp_parse_ns_link(&ino, "net:[abc]", "net"), CAL_EPROTO);
	assert_int_equal(kp_parse_ns_link(&ino, "net:[12]x", "net"), CAL_EPROTO);
	assert_int_equal(kp_parse_ns_link(&ino, "net:[]", "net"), CAL_EPROTO);
	assert_int_equal(kp_parse_ns_link(&ino, "net", "net"), CAL_EPROTO);

	assert_int_equal(kp_cmdline_clean(cmd, sizeof(cmd) - 1), 34);
	assert_string_equal(cmd, "dnsmasq --no-daemon --conf-file=/x");

	assert_true(kp_is_interesting("dnsmasq", ""));
	assert_true(kp_is_interesting("ovs-vswitchd", "ovs-vswitchd unix:/x"));
	assert_true(kp_is_interesting("neutron-openvsw", ""));
	assert_true(kp_is_interesting("qemu-system-x86", ""));
	assert_true(kp_is_interesting("python3",
				      "/usr/bin/python3 /usr/bin/neutron-dhcp-agent --config-file x"));
	assert_true(kp_is_interesting("3", "/usr/sbin/haproxy -f /x"));
	assert_false(kp_is_interesting("python3", "python3 -m http.server"));
	assert_false(kp_is_interesting("sleep", "sleep 60"));
	assert_false(kp_is_interesting("bash", "bash"));
	assert_false(kp_is_interesting("", ""));
	assert_false(kp_is_interesting("dnsmasq-helper", NULL));
	assert_true(kp_is_interesting("haproxy", NULL));

	assert_true(kp_comm_may_hide("python3"));
	assert_true(kp_comm_may_hide("ovs-vswitchd-xx"));
	assert_false(kp_comm_may_hide("sleep"));
	assert_false(kp_comm_may_hide("cron"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_kinds),
		cmocka_unit_test(test_capture_matches_ip),
		cmocka_unit_test(test_capture_peer_side),
		cmocka_unit_test(test_unmapped_nsid_is_null),
		cmocka_unit_test(test_handmade_bond_dummy_vlan),
		cmocka_unit_test(test_unknown_attribute_skipped),
		cmocka_unit_test(test_truncated_rejected),
		cmocka_unit_test(test_malformed_rejected),
		cmocka_unit_test(test_collect_skips_malformed),
		cmocka_unit_test(test_addr_and_neigh_malformed),
		cmocka_unit_test(test_nsid_messages),
		cmocka_unit_test(test_dump_feed),
		cmocka_unit_test(test_resolve_dangling),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_procfs_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
