/* netlink_link.c - one RTM_NEWLINK message into a LINK object of the
 * report format (docs/report-format.md, "kernel").
 *
 * Pure: reads only the message, bounded by the length the caller has, and
 * builds a new JSON object.  It says what the message alone says; names of
 * other devices (master, bridge ports, veth peer namespace...) need the
 * whole namespace and are filled in by netlink_resolve.c.  Malformed
 * structure (lengths, sizes of fixed attributes, a missing name or index)
 * is CAL_EPROTO with a message naming the attribute; attributes unknown to
 * this build are skipped (netlink_attr.c).  Thread-safe.
 */
#include "discover/kernel_private.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>

/* Interface flags (IFF_*, linux/if.h), named and ordered as `ip link`
 * prints them; RUNNING is folded into NO-CARRIER like ip does. */
static const struct {
	unsigned int bit;
	const char *name;
} nl_link_flags[] = {
	{ 0x8, "LOOPBACK" },     { 0x2, "BROADCAST" },   { 0x10, "POINTOPOINT" },
	{ 0x1000, "MULTICAST" }, { 0x80, "NOARP" },      { 0x200, "ALLMULTI" },
	{ 0x100, "PROMISC" },    { 0x400, "MASTER" },    { 0x800, "SLAVE" },
	{ 0x4, "DEBUG" },        { 0x8000, "DYNAMIC" },  { 0x4000, "AUTOMEDIA" },
	{ 0x2000, "PORTSEL" },   { 0x20, "NOTRAILERS" }, { 0x1, "UP" },
	{ 0x10000, "LOWER_UP" }, { 0x20000, "DORMANT" }, { 0x40000, "ECHO" },
};
#define NL_IFF_UP 0x1u
#define NL_IFF_RUNNING 0x40u

/* RFC 2863 operational states (IF_OPER_*), by value. */
static const char *const nl_operstates[] = {
	"unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up",
};

static const char *const nl_bond_modes[] = {
	"balance-rr", "active-backup", "balance-xor", "broadcast",
	"802.3ad",    "balance-tlb",   "balance-alb",
};

/* Kinds the report names as they are; others become "other:<kind>". */
static const char *const nl_plain_kinds[] = {
	"veth", "bridge", "vxlan", "macvlan", "bond", "dummy", "openvswitch",
};

static json_t *nl_link_flags_json(unsigned int flags, int *rc)
{
	json_t *arr = json_array();

	if (!arr) {
		*rc = CAL_ENOMEM;
		return NULL;
	}
	if ((flags & NL_IFF_UP) && !(flags & NL_IFF_RUNNING))
		nl_jappend(arr, json_string("NO-CARRIER"), rc);
	for (size_t i = 0; i < sizeof(nl_link_flags) / sizeof(nl_link_flags[0]); i++)
		if (flags & nl_link_flags[i].bit)
			nl_jappend(arr, json_string(nl_link_flags[i].name), rc);
	return arr;
}

static int nl_link_stats(json_t *link, const struct nlattr *s64, const struct nlattr *s32,
			 int *rc)
{
	/* Both structures start with the same eight counters, in this order;
	 * later kernels append fields, so only a minimum size is required. */
	static const char *const names[] = { "rx_packets", "tx_packets", "rx_bytes",
					     "tx_bytes",   "rx_errors",  "tx_errors",
					     "rx_dropped", "tx_dropped" };
	const unsigned char *p;
	size_t width = s64 ? 8 : 4;
	const struct nlattr *a = s64 ? s64 : s32;
	json_t *st;

	if (!a)
		return 0;
	if (mnl_attr_get_payload_len(a) < 8 * width)
		return cal_error_set(CAL_EPROTO, "attribute %s too short (%u bytes)",
				     s64 ? "IFLA_STATS64" : "IFLA_STATS",
				     (unsigned int)mnl_attr_get_payload_len(a));
	p = mnl_attr_get_payload(a);
	st = json_object();
	for (size_t i = 0; st && i < 8; i++) {
		uint64_t v64 = 0;
		uint32_t v32 = 0;

		/* Payloads are only 4-byte aligned: copy, never cast. */
		if (width == 8) {
			memcpy(&v64, p + 8 * i, 8);
		} else {
			memcpy(&v32, p + 4 * i, 4);
			v64 = v32;
		}
		nl_jset(st, names[i], json_integer((json_int_t)(v64 & INT64_MAX)), rc);
	}
	nl_jset(link, "stats", st, rc);
	return 0;
}

static int nl_link_vxlan(json_t *link, const struct nlattr *data, int *rc)
{
	const struct nlattr *tb[IFLA_VXLAN_MAX + 1];
	json_t *vx = json_object(), *local = json_null(), *remote = json_null();
	uint32_t vni = 0, lower = 0;
	uint16_t port = 0;
	int err = 0;

	if (!vx) {
		*rc = CAL_ENOMEM;
		return 0;
	}
	if (data)
		err = nl_attr_table(tb, IFLA_VXLAN_MAX, mnl_attr_get_payload(data),
				    mnl_attr_get_payload_len(data), "IFLA_INFO_DATA (vxlan)");
	else
		memset(tb, 0, sizeof(tb));
	if (!err && tb[IFLA_VXLAN_ID])
		err = nl_attr_u32(&vni, tb[IFLA_VXLAN_ID], "IFLA_VXLAN_ID");
	if (!err && tb[IFLA_VXLAN_PORT])
		err = nl_attr_u16(&port, tb[IFLA_VXLAN_PORT], "IFLA_VXLAN_PORT");
	if (!err && tb[IFLA_VXLAN_LINK])
		err = nl_attr_u32(&lower, tb[IFLA_VXLAN_LINK], "IFLA_VXLAN_LINK");
	/* Local and remote are IPv4 or IPv6, each in its own attribute; the
	 * "group" attribute is the unicast remote or the multicast group. */
	for (int i = 0; !err && i < 4; i++) {
		static const int types[] = { IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6,
					     IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6 };
		static const char *const names[] = { "IFLA_VXLAN_LOCAL", "IFLA_VXLAN_LOCAL6",
						     "IFLA_VXLAN_GROUP", "IFLA_VXLAN_GROUP6" };
		const struct nlattr *a = tb[types[i]];
		size_t want = (i % 2) ? 16 : 4;
		json_t *v;

		if (!a)
			continue;
		if (mnl_attr_get_payload_len(a) != want) {
			err = cal_error_set(CAL_EPROTO, "attribute %s has a bad size (%u bytes)",
					    names[i], (unsigned int)mnl_attr_get_payload_len(a));
			break;
		}
		v = nl_json_ipaddr(mnl_attr_get_payload(a), want, true);
		if (!v) {
			*rc = CAL_ENOMEM;
			continue;
		}
		if (i < 2) {
			json_decref(local);
			local = v;
		} else {
			json_decref(remote);
			remote = v;
		}
	}
	nl_jset(vx, "vni", tb[IFLA_VXLAN_ID] ? json_integer(vni) : json_null(), rc);
	nl_jset(vx, "local", local, rc);
	nl_jset(vx, "remote", remote, rc);
	/* The port travels in network byte order. */
	nl_jset(vx, "port", tb[IFLA_VXLAN_PORT] ? json_integer(ntohs(port)) : json_null(), rc);
	nl_jset(vx, "underlay", json_null(), rc);
	nl_jset(vx, "underlay_ifindex", lower ? json_integer(lower) : json_null(), rc);
	nl_jset(vx, "fdb", json_array(), rc);
	nl_jset(link, "vxlan", vx, rc);
	return err;
}

static int nl_link_bridge(json_t *link, const struct nlattr *data, int *rc)
{
	const struct nlattr *tb[IFLA_BR_MAX + 1];
	json_t *br = json_object();
	uint32_t stp = 0;
	uint8_t vf = 0;
	int err = 0;

	if (!br) {
		*rc = CAL_ENOMEM;
		return 0;
	}
	if (data)
		err = nl_attr_table(tb, IFLA_BR_MAX, mnl_attr_get_payload(data),
				    mnl_attr_get_payload_len(data), "IFLA_INFO_DATA (bridge)");
	else
		memset(tb, 0, sizeof(tb));
	if (!err && tb[IFLA_BR_STP_STATE])
		err = nl_attr_u32(&stp, tb[IFLA_BR_STP_STATE], "IFLA_BR_STP_STATE");
	if (!err && tb[IFLA_BR_VLAN_FILTERING])
		err = nl_attr_u8(&vf, tb[IFLA_BR_VLAN_FILTERING], "IFLA_BR_VLAN_FILTERING");
	nl_jset(br, "stp", tb[IFLA_BR_STP_STATE] ? json_boolean(stp != 0) : json_null(), rc);
	nl_jset(br, "vlan_filtering",
		tb[IFLA_BR_VLAN_FILTERING] ? json_boolean(vf != 0) : json_null(), rc);
	nl_jset(br, "ports", json_array(), rc);
	nl_jset(link, "bridge", br, rc);
	return err;
}

static int nl_link_macvlan(json_t *link, const struct nlattr *data, int *rc)
{
	const struct nlattr *tb[IFLA_MACVLAN_MAX + 1];
	json_t *mv = json_object(), *mode = json_null();
	uint32_t m = 0;
	int err = 0;

	if (!mv) {
		*rc = CAL_ENOMEM;
		return 0;
	}
	if (data)
		err = nl_attr_table(tb, IFLA_MACVLAN_MAX, mnl_attr_get_payload(data),
				    mnl_attr_get_payload_len(data), "IFLA_INFO_DATA (macvlan)");
	else
		memset(tb, 0, sizeof(tb));
	if (!err && tb[IFLA_MACVLAN_MODE])
		err = nl_attr_u32(&m, tb[IFLA_MACVLAN_MODE], "IFLA_MACVLAN_MODE");
	if (!err && tb[IFLA_MACVLAN_MODE]) {
		char buf[16];

		json_decref(mode);
		switch (m) {
		case MACVLAN_MODE_PRIVATE: mode = json_string("private"); break;
		case MACVLAN_MODE_VEPA: mode = json_string("vepa"); break;
		case MACVLAN_MODE_BRIDGE: mode = json_string("bridge"); break;
		case MACVLAN_MODE_PASSTHRU: mode = json_string("passthru"); break;
		case MACVLAN_MODE_SOURCE: mode = json_string("source"); break;
		default:
			snprintf(buf, sizeof(buf), "%u", m);
			mode = json_string(buf);
		}
	}
	nl_jset(mv, "mode", mode, rc);
	nl_jset(mv, "lower", json_null(), rc);
	nl_jset(link, "macvlan", mv, rc);
	return err;
}

static int nl_link_bond(json_t *link, const struct nlattr *data, int *rc)
{
	const struct nlattr *tb[IFLA_BOND_MAX + 1];
	json_t *bo = json_object(), *mode = json_null();
	uint8_t m = 0;
	int err = 0;

	if (!bo) {
		*rc = CAL_ENOMEM;
		return 0;
	}
	if (data)
		err = nl_attr_table(tb, IFLA_BOND_MAX, mnl_attr_get_payload(data),
				    mnl_attr_get_payload_len(data), "IFLA_INFO_DATA (bond)");
	else
		memset(tb, 0, sizeof(tb));
	if (!err && tb[IFLA_BOND_MODE])
		err = nl_attr_u8(&m, tb[IFLA_BOND_MODE], "IFLA_BOND_MODE");
	if (!err && tb[IFLA_BOND_MODE]) {
		char buf[8];

		json_decref(mode);
		if (m < sizeof(nl_bond_modes) / sizeof(nl_bond_modes[0])) {
			mode = json_string(nl_bond_modes[m]);
		} else {
			snprintf(buf, sizeof(buf), "%u", m);
			mode = json_string(buf);
		}
	}
	nl_jset(bo, "mode", mode, rc);
	nl_jset(bo, "members", json_array(), rc);
	nl_jset(link, "bond", bo, rc);
	return err;
}

/* tun and tap share the kind "tun"; IFLA_TUN_TYPE (Linux >= 4.15) tells
 * them apart, else the link type does (a tap carries Ethernet frames). */
static int nl_link_tun(const char **kind, const struct nlattr *data, unsigned short ifi_type)
{
	const struct nlattr *tb[IFLA_TUN_MAX + 1];
	uint8_t type = 0;
	int err;

	*kind = ifi_type == ARPHRD_ETHER ? "tap" : "tun";
	if (!data)
		return 0;
	err = nl_attr_table(tb, IFLA_TUN_MAX, mnl_attr_get_payload(data),
			    mnl_attr_get_payload_len(data), "IFLA_INFO_DATA (tun)");
	if (!err && tb[IFLA_TUN_TYPE])
		err = nl_attr_u8(&type, tb[IFLA_TUN_TYPE], "IFLA_TUN_TYPE");
	if (!err && tb[IFLA_TUN_TYPE]) {
		/* IFF_TUN = 1, IFF_TAP = 2 (linux/if_tun.h). */
		if (type == 2)
			*kind = "tap";
		else if (type == 1)
			*kind = "tun";
	}
	return err;
}

/* Reads IFLA_LINKINFO: the kind and its kind-specific object. */
static int nl_link_info(json_t *link, const struct nlattr *info, unsigned short ifi_type,
			bool has_parent, const char *name, int *rc)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1];
	const char *kind = NULL, *out_kind = NULL;
	char other[80];
	int err = 0;

	memset(tb, 0, sizeof(tb));
	if (info)
		err = nl_attr_table(tb, IFLA_INFO_MAX, mnl_attr_get_payload(info),
				    mnl_attr_get_payload_len(info), "IFLA_LINKINFO");
	if (!err && tb[IFLA_INFO_KIND])
		err = nl_attr_str(&kind, tb[IFLA_INFO_KIND], "IFLA_INFO_KIND");
	if (err)
		return err;

	if (!kind) {
		/* Devices without rtnl_link_ops: lo and real hardware. */
		if (ifi_type == ARPHRD_LOOPBACK || strcmp(name, "lo") == 0)
			out_kind = "loopback";
		else if (has_parent)
			out_kind = "physical";
		else
			out_kind = "other";
	} else if (strcmp(kind, "tun") == 0) {
		err = nl_link_tun(&out_kind, tb[IFLA_INFO_DATA], ifi_type);
		if (!err) {
			json_t *tun = json_object();

			if (tun)
				nl_jset(tun, "mode", json_string(out_kind), rc);
			nl_jset(link, "tun", tun, rc);
		}
	} else {
		for (size_t i = 0; i < sizeof(nl_plain_kinds) / sizeof(nl_plain_kinds[0]); i++)
			if (strcmp(kind, nl_plain_kinds[i]) == 0)
				out_kind = nl_plain_kinds[i];
		if (!out_kind) {
			snprintf(other, sizeof(other), "other:%s", kind);
			out_kind = other;
		}
	}
	if (err)
		return err;
	nl_jset(link, "kind", nl_json_str(out_kind), rc);

	if (!kind)
		return 0;
	if (strcmp(kind, "vxlan") == 0)
		return nl_link_vxlan(link, tb[IFLA_INFO_DATA], rc);
	if (strcmp(kind, "bridge") == 0)
		return nl_link_bridge(link, tb[IFLA_INFO_DATA], rc);
	if (strcmp(kind, "macvlan") == 0)
		return nl_link_macvlan(link, tb[IFLA_INFO_DATA], rc);
	if (strcmp(kind, "bond") == 0)
		return nl_link_bond(link, tb[IFLA_INFO_DATA], rc);
	return 0;
}

static int nl_link_hw(json_t *link, const char *key, const struct nlattr *a, int *rc)
{
	size_t n;

	if (!a)
		return 0;
	n = mnl_attr_get_payload_len(a);
	if (n > 32)
		return cal_error_set(CAL_EPROTO, "hardware address of %zu bytes", n);
	/* Devices without an L2 address (tun) send none or zero bytes. */
	if (n > 0)
		nl_jset(link, key, nl_json_hwaddr(mnl_attr_get_payload(a), n), rc);
	return 0;
}

int nl_parse_link(json_t **out, const struct nlmsghdr *nlh, size_t len)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi = NULL;
	const char *name = NULL, *pdev = NULL, *pbus = NULL;
	uint32_t mtu = 0, master = 0, lower = 0, nsid = 0;
	uint8_t oper = 0, carrier = 0;
	size_t msglen;
	json_t *link = NULL;
	int rc = 0, err;

	*out = NULL;
	err = nl_msg_check(nlh, len, &msglen);
	if (err)
		return err;
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return cal_error_set(CAL_EPROTO, "expected RTM_NEWLINK, got message type %u",
				     nlh->nlmsg_type);
	err = nl_msg_attrs(tb, IFLA_MAX, nlh, sizeof(*ifi), "RTM_NEWLINK");
	if (err)
		return err;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index <= 0)
		return cal_error_set(CAL_EPROTO, "RTM_NEWLINK with interface index %d",
				     ifi->ifi_index);
	if (!tb[IFLA_IFNAME])
		return cal_error_set(CAL_EPROTO, "RTM_NEWLINK for index %d has no name",
				     ifi->ifi_index);
	err = nl_attr_str(&name, tb[IFLA_IFNAME], "IFLA_IFNAME");
	if (!err && tb[IFLA_MTU])
		err = nl_attr_u32(&mtu, tb[IFLA_MTU], "IFLA_MTU");
	if (!err && tb[IFLA_MASTER])
		err = nl_attr_u32(&master, tb[IFLA_MASTER], "IFLA_MASTER");
	if (!err && tb[IFLA_LINK])
		err = nl_attr_u32(&lower, tb[IFLA_LINK], "IFLA_LINK");
	if (!err && tb[IFLA_LINK_NETNSID])
		err = nl_attr_u32(&nsid, tb[IFLA_LINK_NETNSID], "IFLA_LINK_NETNSID");
	if (!err && tb[IFLA_OPERSTATE])
		err = nl_attr_u8(&oper, tb[IFLA_OPERSTATE], "IFLA_OPERSTATE");
	if (!err && tb[IFLA_CARRIER])
		err = nl_attr_u8(&carrier, tb[IFLA_CARRIER], "IFLA_CARRIER");
	if (!err && tb[IFLA_PARENT_DEV_NAME])
		err = nl_attr_str(&pdev, tb[IFLA_PARENT_DEV_NAME], "IFLA_PARENT_DEV_NAME");
	if (!err && tb[IFLA_PARENT_DEV_BUS_NAME])
		err = nl_attr_str(&pbus, tb[IFLA_PARENT_DEV_BUS_NAME],
				  "IFLA_PARENT_DEV_BUS_NAME");
	if (err)
		goto fail;

	link = json_object();
	if (!link)
		return cal_error_set(CAL_ENOMEM, "out of memory parsing a link");
	nl_jset(link, "ifindex", json_integer(ifi->ifi_index), &rc);
	nl_jset(link, "name", nl_json_str(name), &rc);
	err = nl_link_info(link, tb[IFLA_LINKINFO], ifi->ifi_type, pdev != NULL, name, &rc);
	if (!err)
		err = nl_link_hw(link, "mac", tb[IFLA_ADDRESS], &rc);
	if (!err)
		err = nl_link_hw(link, "permanent_mac", tb[IFLA_PERM_ADDRESS], &rc);
	if (err)
		goto fail;
	if (tb[IFLA_MTU])
		nl_jset(link, "mtu", json_integer(mtu), &rc);
	nl_jset(link, "flags", nl_link_flags_json(ifi->ifi_flags, &rc), &rc);
	if (tb[IFLA_OPERSTATE]) {
		char buf[8];

		if (oper < sizeof(nl_operstates) / sizeof(nl_operstates[0])) {
			nl_jset(link, "operstate", json_string(nl_operstates[oper]), &rc);
		} else {
			snprintf(buf, sizeof(buf), "%u", oper);
			nl_jset(link, "operstate", json_string(buf), &rc);
		}
	}
	if (tb[IFLA_CARRIER])
		nl_jset(link, "carrier", json_boolean(carrier != 0), &rc);
	if (master)
		nl_jset(link, "master_ifindex", json_integer(master), &rc);
	if (pdev)
		nl_jset(link, "parent_device", nl_json_str(pdev), &rc);
	if (pbus)
		nl_jset(link, "parent_bus", nl_json_str(pbus), &rc);
	if (tb[IFLA_LINK])
		nl_jset(link, "link_ifindex", json_integer((int32_t)lower), &rc);
	if (tb[IFLA_LINK_NETNSID])
		nl_jset(link, NL_K_NETNSID, json_integer((int32_t)nsid), &rc);
	err = nl_link_stats(link, tb[IFLA_STATS64], tb[IFLA_STATS], &rc);
	if (err)
		goto fail;
	nl_jset(link, "addresses", json_array(), &rc);

	if (strcmp(cal_json_str(link, "kind"), "veth") == 0) {
		json_t *veth = json_object();
		json_int_t peer = -1;

		/* IFLA_LINK is the peer's index.  Kernels before 5.x left it
		 * out when it equalled our own index, even in another
		 * namespace: a netnsid without IFLA_LINK means "same index". */
		if (tb[IFLA_LINK])
			peer = (int32_t)lower;
		else if (tb[IFLA_LINK_NETNSID])
			peer = ifi->ifi_index;
		if (veth) {
			nl_jset(veth, "peer_ifindex", peer > 0 ? json_integer(peer) : json_null(),
				&rc);
			nl_jset(veth, "peer_netns", json_null(), &rc);
		}
		nl_jset(link, "veth", veth, &rc);
	}
	if (rc)
		goto fail;
	*out = link;
	return 0;
fail:
	json_decref(link);
	if (rc && !err)
		return cal_error_set(CAL_ENOMEM, "out of memory parsing a link");
	return cal_error_prefix(err, "link %d", ifi ? ifi->ifi_index : 0);
}
