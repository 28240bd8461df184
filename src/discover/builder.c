/* builder.c - turns host reports into typed object documents
 * (docs/model.md "How objects are built").
 *
 * Facts become objects by real relations only: a namespace belongs to a
 * service or an instance by its name prefix or its processes; a vnic is tied
 * to its instance or service by the veth peer the kernel reports; a device
 * counts as a physical NIC when the kernel gives it a parent device or its
 * name is in the environment's pnic_names.  Relations needed by the linker
 * (bridge master, veth peer, OVS port, libvirt target) are written into the
 * objects as attributes, so that links can be recomputed from objects alone.
 *
 * Reports are trusted to be well-formed JSON but not to be complete: any
 * field may be missing.  Single-threaded; all lookups go through hash
 * indexes (jansson objects keyed by strings).
 */
#include "builder_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *bld_add(struct bld *b, struct bld_host *h, json_t *obj, const char *source)
{
	const char *id = cal_json_str(obj, CAL_F_ID);

	if (!obj)
		return NULL;
	if (json_object_get(b->objects, id)) {
		cal_log_warn("scan", "duplicate object id '%s' ignored", id);
		json_decref(obj);
		return NULL;
	}
	if (h && h->when) {
		/* Data kept from an earlier scan keeps its time. */
		json_t *kept = source ? json_object_get(h->kept_from, source) : NULL;

		json_object_set_new(obj, CAL_F_LAST_SCANNED,
				    kept ? json_incref(kept) : json_string(h->when));
	}
	if (source)
		json_object_set_new(obj, CAL_F_SOURCE, json_string(source));
	json_object_set_new(b->objects, id, obj);
	if (h && h->objs)
		json_array_append(h->objs, obj);
	return obj;
}

json_t *bld_addresses(const json_t *link)
{
	json_t *out = json_array();
	size_t i;
	json_t *a;

	json_array_foreach(json_object_get(link, "addresses"), i, a) {
		char *s = cal_strdup_printf("%s/%d", cal_json_str(a, "address"),
					    (int)cal_json_int(a, "prefixlen", 0));

		if (s)
			json_array_append_new(out, json_string(s));
		free(s);
	}
	return out;
}

static struct bld_ns *bld_ns_get(struct bld *b, const char *machine, const char *key)
{
	char k[256];
	json_t *v;

	snprintf(k, sizeof(k), "%s|%s", machine, key);
	v = json_object_get(b->ns_index, k);
	return v ? &b->nss[json_integer_value(v)] : NULL;
}

json_t *bld_veth_peer(struct bld *b, const char *machine, json_t *link, struct bld_ns **out_ns)
{
	json_t *veth = json_object_get(link, "veth");
	const char *pns = cal_json_str(veth, "peer_netns");
	char k[300];
	json_t *peer;

	*out_ns = NULL;
	if (!veth || !*pns)
		return NULL;
	snprintf(k, sizeof(k), "%s|%s|%lld", machine, pns,
		 (long long)cal_json_int(veth, "peer_ifindex", -1));
	peer = json_object_get(b->link_index, k);
	if (peer)
		*out_ns = bld_ns_get(b, machine, pns);
	return *out_ns ? peer : NULL;
}

const char *bld_network(struct bld *b, const char *net_type, json_int_t segment)
{
	char key[64], id[64];
	json_t *v, *net;

	snprintf(key, sizeof(key), "%s:%lld", net_type, (long long)segment);
	v = json_object_get(b->networks, key);
	if (v)
		return json_string_value(v);
	snprintf(id, sizeof(id), "%s-%lld", net_type, (long long)segment);
	net = cal_object_new(b->env, CAL_T_NETWORK, id, id, NULL);
	if (!net)
		return NULL;
	json_object_set_new(net, "provider:network_type", json_string(net_type));
	json_object_set_new(net, "segmentation_id", json_integer(segment));
	if (!bld_add(b, NULL, net, "netlink"))
		return NULL;
	json_object_set_new(b->networks, key, json_string(id));
	return json_string_value(json_object_get(b->networks, key));
}

/* ------------------------------------------------------------------ */
/* Namespaces                                                          */
/* ------------------------------------------------------------------ */

static const struct {
	const char *prefix;
	const char *service_type;
} ns_prefixes[] = {
	{ "qdhcp-", "dhcp" },	  { "qrouter-", "router" }, { "qlbaas-", "load_balancer" },
	{ "snat-", "snat" },	  { "fip-", "floating_ip" }, { "ovnmeta-", "metadata" },
};

static const struct {
	const char *comm;
	const char *service_type;
} ns_daemons[] = {
	{ "dnsmasq", "dhcp" },
	{ "haproxy", "load_balancer" },
	{ "keepalived", "router" },
	{ "radvd", "router" },
};

static const char *bld_service_type(const json_t *ns)
{
	const char *name = cal_json_str(ns, "name");
	size_t i;
	json_t *p;

	for (size_t k = 0; k < sizeof(ns_prefixes) / sizeof(ns_prefixes[0]); k++)
		if (strncmp(name, ns_prefixes[k].prefix, strlen(ns_prefixes[k].prefix)) == 0)
			return ns_prefixes[k].service_type;
	json_array_foreach(json_object_get(ns, "processes"), i, p) {
		for (size_t k = 0; k < sizeof(ns_daemons) / sizeof(ns_daemons[0]); k++)
			if (strcmp(cal_json_str(p, "comm"), ns_daemons[k].comm) == 0)
				return ns_daemons[k].service_type;
	}
	return "other";
}

/* The name of a container: the hostname of a process with its own UTS
 * namespace, else "<comm>-<pid>" of its first process. */
static char *bld_instance_name(const json_t *ns)
{
	json_t *procs = json_object_get(ns, "processes");
	size_t i;
	json_t *p;

	json_array_foreach(procs, i, p) {
		if (json_is_true(json_object_get(p, "uts_own")) && *cal_json_str(p, "uts"))
			return strdup(cal_json_str(p, "uts"));
	}
	p = json_array_get(procs, 0);
	if (p)
		return cal_strdup_printf("%s-%lld", cal_json_str(p, "comm"),
					 (long long)cal_json_int(p, "pid", 0));
	return cal_strdup_printf("netns-%lld", (long long)cal_json_int(ns, "inode", 0));
}

static void bld_processes(json_t *obj, const json_t *ns)
{
	json_t *names = json_array(), *pids = json_array(), *seen = json_object();
	size_t i;
	json_t *p;

	json_array_foreach(json_object_get(ns, "processes"), i, p) {
		const char *c = cal_json_str(p, "comm");

		json_array_append_new(pids, json_integer(cal_json_int(p, "pid", 0)));
		if (json_object_get(seen, c))
			continue;
		json_object_set_new(seen, c, json_true());
		json_array_append_new(names, json_string(c));
	}
	json_decref(seen);
	json_object_set_new(obj, "processes", names);
	json_object_set_new(obj, "pids", pids);
	json_object_set_new(obj, "netns_inode", json_integer(cal_json_int(ns, "inode", 0)));
}

/* Registers every namespace and link of every report in the indexes, and
 * classifies namespaces.  Labels of unnamed namespaces are owned by the
 * `labels` array. */
static int bld_index_reports(struct bld *b, const json_t *reports, json_t *labels)
{
	size_t i, total = 0;
	json_t *r;
	json_t *seen = json_object();

	json_array_foreach(reports, i, r)
		total += json_array_size(json_object_get(json_object_get(r, "kernel"),
							 "namespaces"));
	b->nss = calloc(total ? total : 1, sizeof(*b->nss));
	if (!b->nss || !seen) {
		json_decref(seen);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	json_array_foreach(reports, i, r) {
		const char *machine = cal_json_str(r, "machine");
		bool is_switch = strcmp(cal_json_str(r, "role"), "switch") == 0;
		size_t k;
		json_t *ns;

		json_array_foreach(json_object_get(json_object_get(r, "kernel"), "namespaces"), k,
				   ns) {
			struct bld_ns *n = &b->nss[b->nns];
			char key[256];
			size_t j;
			json_t *l;

			n->ns = ns;
			n->report = r;
			n->host = cal_json_str(r, "host");
			if (json_is_true(json_object_get(ns, "root"))) {
				n->cls = is_switch ? BLD_NS_SWITCH : BLD_NS_ROOT;
				n->label = "";
			} else if (json_is_true(json_object_get(ns, "named"))) {
				n->cls = BLD_NS_VSERVICE;
				n->label = cal_json_str(ns, "name");
			} else {
				char *name = bld_instance_name(ns);
				char hk[512];

				n->cls = BLD_NS_INSTANCE;
				/* Two containers of a host with one hostname: the
				 * second is told apart by its holder's pid. */
				snprintf(hk, sizeof(hk), "%s|%s", n->host, name ? name : "netns");
				if (json_object_get(seen, hk)) {
					json_t *p0 = json_array_get(json_object_get(ns, "processes"),
								    0);
					char *alt = cal_strdup_printf(
						"%s-%lld", name ? name : "netns",
						(long long)(p0 ? cal_json_int(p0, "pid", 0)
							       : cal_json_int(ns, "inode", 0)));

					free(name);
					name = alt;
				}
				snprintf(hk, sizeof(hk), "%s|%s", n->host, name ? name : "netns");
				json_object_set_new(seen, hk, json_true());
				json_array_append_new(labels, json_string(name ? name : "netns"));
				free(name);
				n->label = json_string_value(json_array_get(labels,
									    json_array_size(labels) - 1));
			}
			snprintf(key, sizeof(key), "%s|%s", machine, cal_json_str(ns, "key"));
			json_object_set_new(b->ns_index, key, json_integer((json_int_t)b->nns));
			json_array_foreach(json_object_get(ns, "links"), j, l) {
				char lk[300];

				snprintf(lk, sizeof(lk), "%s|%lld", key,
					 (long long)cal_json_int(l, "ifindex", -1));
				json_object_set(b->link_index, lk, l);
			}
			b->nns++;
		}
	}
	json_decref(seen);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Objects of the kernel                                               */
/* ------------------------------------------------------------------ */

static bool bld_is_pnic(const struct bld *b, const json_t *link)
{
	const char *kind = cal_json_str(link, "kind");
	const char *name = cal_json_str(link, "name");
	size_t i;
	json_t *g;

	if (strcmp(kind, "physical") == 0 || strcmp(kind, "bond") == 0 ||
	    *cal_json_str(link, "parent_device"))
		return strcmp(kind, "loopback") != 0;
	json_array_foreach(b->pnic_globs, i, g)
		if (cal_glob_match(json_string_value(g), name))
			return true;
	return false;
}

/* Interface facts common to every device-backed object. */
static void bld_iface_attrs(json_t *obj, const json_t *link, const char *netns)
{
	static const char *const copy[] = { "mtu", "operstate", "carrier", "flags", "ifindex",
					    "kind", "master", "stats" };

	for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
		json_t *v = json_object_get(link, copy[i]);

		if (v)
			json_object_set(obj, copy[i], v);
	}
	if (*cal_json_str(link, "mac"))
		json_object_set_new(obj, "mac_address", json_string(cal_json_str(link, "mac")));
	json_object_set_new(obj, "addresses", bld_addresses(link));
	json_object_set_new(obj, "netns", json_string(netns));
}

static json_t *bld_peer_desc(const struct bld_ns *pns, const json_t *peer)
{
	json_t *d = json_pack("{s:s, s:s, s:s}", "host", pns->host, "netns", pns->label, "name",
			      cal_json_str(peer, "name"));

	if (*cal_json_str(peer, "mac"))
		json_object_set_new(d, "mac", json_string(cal_json_str(peer, "mac")));
	if (*cal_json_str(peer, "master"))
		json_object_set_new(d, "master", json_string(cal_json_str(peer, "master")));
	return d;
}

static json_t *bld_new_host_obj(struct bld *b, struct bld_host *h, enum cal_obj_type t,
				const char *ns, const char *name, const json_t *parent)
{
	char *id = cal_id_host_object(h->host, t, ns, name);
	char *label = ns && *ns ? cal_strdup_printf("%s/%s", ns, name) : strdup(name);
	json_t *o = NULL;

	if (id && label) {
		o = cal_object_new(b->env, t, id, label, h->host);
		if (o && parent)
			cal_object_set_parent(o, parent);
	}
	free(id);
	free(label);
	return o;
}

static int bld_vconnector(struct bld *b, struct bld_host *h, struct bld_ns *n, json_t *link)
{
	json_t *parent = n->owner ? n->owner : h->host_obj;
	json_t *o = bld_new_host_obj(b, h, CAL_T_VCONNECTOR, n->label,
				     cal_json_str(link, "name"), parent);
	json_t *bridge = json_object_get(link, "bridge");
	json_t *ifaces = json_array(), *nets = json_array();
	size_t i;
	json_t *l;

	if (!o)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	bld_iface_attrs(o, link, n->label);
	json_object_del(o, "master");
	if (json_object_get(bridge, "stp"))
		json_object_set(o, "stp", json_object_get(bridge, "stp"));
	/* Ports in the order the kernel lists devices, each with what the
	 * linker needs: its kind and, for a veth, where its peer lives. */
	json_array_foreach(json_object_get(n->ns, "links"), i, l) {
		json_t *port;
		struct bld_ns *pns;
		json_t *peer;

		if (strcmp(cal_json_str(l, "master"), cal_json_str(link, "name")) != 0)
			continue;
		port = json_pack("{s:s, s:s}", "name", cal_json_str(l, "name"), "kind",
				 cal_json_str(l, "kind"));
		peer = bld_veth_peer(b, cal_json_str(n->report, "machine"), l, &pns);
		if (peer)
			json_object_set_new(port, "peer", bld_peer_desc(pns, peer));
		if (json_object_get(l, "vxlan")) {
			json_int_t vni = cal_json_int(json_object_get(l, "vxlan"), "vni", -1);
			const char *net = vni >= 0 ? bld_network(b, "vxlan", vni) : NULL;

			if (net) {
				json_object_set_new(port, "network", json_string(net));
				json_array_append_new(nets, json_string(net));
			}
		}
		json_array_append_new(ifaces, port);
	}
	json_object_set_new(o, "interfaces", ifaces);
	json_object_set_new(o, "network", nets);
	bld_add(b, h, o, "netlink");
	return 0;
}

static int bld_pnic(struct bld *b, struct bld_host *h, struct bld_ns *n, json_t *link)
{
	json_t *o = bld_new_host_obj(b, h, CAL_T_HOST_PNIC, n->label, cal_json_str(link, "name"),
				     h->host_obj);
	json_t *bond = json_object_get(link, "bond");
	struct bld_ns *pns;
	json_t *peer;

	if (!o)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	bld_iface_attrs(o, link, n->label);
	if (*cal_json_str(link, "parent_device"))
		json_object_set_new(o, "parent_device",
				    json_string(cal_json_str(link, "parent_device")));
	if (*cal_json_str(link, "parent_bus"))
		json_object_set_new(o, "bus", json_string(cal_json_str(link, "parent_bus")));
	if (bond && json_object_get(bond, "members"))
		json_object_set(o, "members", json_object_get(bond, "members"));
	peer = bld_veth_peer(b, cal_json_str(n->report, "machine"), link, &pns);
	if (peer)
		json_object_set_new(o, "peer", bld_peer_desc(pns, peer));
	bld_add(b, h, o, "netlink");
	return 0;
}

static int bld_switch_pnic(struct bld *b, struct bld_host *h, struct bld_ns *n, json_t *link)
{
	json_t *o = bld_new_host_obj(b, h, CAL_T_SWITCH_PNIC, NULL, cal_json_str(link, "name"),
				     h->host_obj);
	struct bld_ns *pns;
	json_t *peer;

	if (!o)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	bld_iface_attrs(o, link, n->label);
	json_object_set_new(o, "port_id", json_string(cal_json_str(link, "name")));
	peer = bld_veth_peer(b, cal_json_str(n->report, "machine"), link, &pns);
	if (peer)
		json_object_set_new(o, "peer", bld_peer_desc(pns, peer));
	bld_add(b, h, o, "netlink");
	return 0;
}

/* A vnic for `link`.  For a veth whose other end is in an instance, the
 * vnic stands for the pair and is named after the host end; its MAC is the
 * guest's (what bridges learn), as operators know from OpenStack. */
static json_t *bld_vnic(struct bld *b, struct bld_host *h, struct bld_ns *n, json_t *link,
			json_t *owner, const char *vnic_type)
{
	json_t *o = bld_new_host_obj(b, h, CAL_T_VNIC, n->label, cal_json_str(link, "name"),
				     owner ? owner : h->host_obj);
	struct bld_ns *pns;
	json_t *peer;

	if (!o)
		return NULL;
	bld_iface_attrs(o, link, n->label);
	json_object_set_new(o, "vnic_type", json_string(vnic_type));
	peer = bld_veth_peer(b, cal_json_str(n->report, "machine"), link, &pns);
	if (peer) {
		json_object_set_new(o, "peer", bld_peer_desc(pns, peer));
		if (pns->cls == BLD_NS_INSTANCE && *cal_json_str(peer, "mac"))
			json_object_set_new(o, "mac_address",
					    json_string(cal_json_str(peer, "mac")));
	}
	if (owner && strcmp(cal_json_str(owner, CAL_F_TYPE), "instance") == 0)
		json_object_set_new(o, "instance_id", json_string(cal_json_str(owner, CAL_F_ID)));
	return o;
}

/* Kernel VXLAN devices of one namespace grouped into endpoints by local IP
 * and UDP port. */
static int bld_oteps(struct bld *b, struct bld_host *h, struct bld_ns *n)
{
	json_t *groups = json_object();
	size_t i;
	json_t *l;
	const char *key;
	json_t *g;

	json_array_foreach(json_object_get(n->ns, "links"), i, l) {
		json_t *vx = json_object_get(l, "vxlan");
		const char *local = cal_json_str(vx, "local");
		json_int_t port = cal_json_int(vx, "port", 4789);
		json_int_t vni = cal_json_int(vx, "vni", -1);
		char gk[128];
		json_t *iface, *fdb;
		size_t k;
		json_t *e;

		if (!vx)
			continue;
		snprintf(gk, sizeof(gk), "%s|%lld", *local ? local : cal_json_str(vx, "underlay"),
			 (long long)port);
		g = json_object_get(groups, gk);
		if (!g) {
			g = json_pack("{s:s, s:I, s:s, s:[], s:o, s:o}", "local", local, "port",
				      port, "underlay", cal_json_str(vx, "underlay"), "interfaces",
				      "peers", json_object(), "vnis", json_object());
			json_object_set_new(groups, gk, g);
		}
		iface = json_pack("{s:s, s:I, s:s}", "name", cal_json_str(l, "name"), "vni", vni,
				  "operstate", cal_json_str(l, "operstate"));
		if (*cal_json_str(l, "master"))
			json_object_set_new(iface, "master", json_string(cal_json_str(l, "master")));
		if (vni >= 0) {
			const char *net = bld_network(b, "vxlan", vni);
			char vk[32];

			if (net)
				json_object_set_new(iface, "network", json_string(net));
			snprintf(vk, sizeof(vk), "%lld", (long long)vni);
			json_object_set_new(json_object_get(g, "vnis"), vk, json_integer(vni));
		}
		/* Peers: the configured remote and the FDB's remotes. */
		fdb = json_array();
		if (*cal_json_str(vx, "remote"))
			json_array_append_new(fdb, json_string(cal_json_str(vx, "remote")));
		json_array_foreach(json_object_get(vx, "fdb"), k, e)
			if (*cal_json_str(e, "dst"))
				json_array_append_new(fdb, json_string(cal_json_str(e, "dst")));
		json_array_foreach(fdb, k, e) {
			json_t *peers = json_object_get(g, "peers");
			const char *ip = json_string_value(e);
			json_t *p = json_object_get(peers, ip);

			if (!p) {
				p = json_pack("{s:s, s:[]}", "remote_ip", ip, "vnis");
				json_object_set_new(peers, ip, p);
			}
			if (vni >= 0) {
				json_t *vnis = json_object_get(p, "vnis");
				bool have = false;
				size_t m;
				json_t *x;

				json_array_foreach(vnis, m, x)
					have |= json_integer_value(x) == vni;
				if (!have)
					json_array_append_new(vnis, json_integer(vni));
			}
		}
		json_decref(fdb);
		json_array_append_new(json_object_get(g, "interfaces"), iface);
	}
	json_object_foreach(groups, key, g) {
		const char *local = cal_json_str(g, "local");
		json_int_t port = cal_json_int(g, "port", 4789);
		char *name = port == 4789 ? cal_strdup_printf("vxlan-%s",
							      *local ? local : "any")
					  : cal_strdup_printf("vxlan-%s-%lld",
							      *local ? local : "any",
							      (long long)port);
		json_t *o = name ? bld_new_host_obj(b, h, CAL_T_OTEP, n->label, name,
						    n->owner ? n->owner : h->host_obj)
				 : NULL;
		json_t *peers = json_array(), *vnis = json_array();
		const char *pk, *vk;
		json_t *p, *v;

		free(name);
		if (!o) {
			json_decref(peers);
			json_decref(vnis);
			json_decref(groups);
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
		json_object_foreach(json_object_get(g, "peers"), pk, p)
			json_array_append(peers, p);
		json_object_foreach(json_object_get(g, "vnis"), vk, v)
			json_array_append(vnis, v);
		json_object_set_new(o, "overlay_type", json_string("vxlan"));
		json_object_set_new(o, "ip_address", json_string(local));
		json_object_set_new(o, "udp_port", json_integer(port));
		json_object_set(o, "interfaces", json_object_get(g, "interfaces"));
		json_object_set_new(o, "peers", peers);
		json_object_set_new(o, "vnis", vnis);
		json_object_set_new(o, "underlay_device", json_string(cal_json_str(g, "underlay")));
		bld_add(b, h, o, "netlink");
	}
	json_decref(groups);
	return 0;
}

/* Instances and services owning the host's other namespaces. */
static int bld_owners(struct bld *b, struct bld_host *h)
{
	for (size_t i = 0; i < b->nns; i++) {
		struct bld_ns *n = &b->nss[i];
		json_t *o;

		if (n->report != h->report || n->cls == BLD_NS_ROOT || n->cls == BLD_NS_SWITCH)
			continue;
		if (n->cls == BLD_NS_INSTANCE) {
			o = bld_libvirt_instance_for_ns(b, h, n);
			if (!o)
				o = bld_os_instance_for_ns(b, h, n);
			if (o) {
				/* A libvirt domain whose tap is this container's
				 * veth: the same instance, seen from the kernel. */
				bld_processes(o, n->ns);
				json_object_set_new(o, "netns", json_string(n->label));
				n->owner = o;
				continue;
			}
			o = bld_new_host_obj(b, h, CAL_T_INSTANCE, NULL, n->label, h->host_obj);
			if (!o)
				return cal_error_set(CAL_ENOMEM, "out of memory");
			json_object_set_new(o, "local_name", json_string(n->label));
			json_object_set_new(o, "netns", json_string(n->label));
			bld_processes(o, n->ns);
			n->owner = bld_add(b, h, o, "netlink");
		} else {
			o = bld_new_host_obj(b, h, CAL_T_VSERVICE, NULL, n->label, h->host_obj);
			if (!o)
				return cal_error_set(CAL_ENOMEM, "out of memory");
			json_object_set_new(o, "service_type", json_string(bld_service_type(n->ns)));
			json_object_set_new(o, "local_service_id", json_string(n->label));
			json_object_set_new(o, "netns", json_string(n->label));
			bld_processes(o, n->ns);
			n->owner = bld_add(b, h, o, "netlink");
		}
	}
	return 0;
}

static bool bld_is_ovs_internal(const struct bld_host *h, const json_t *link)
{
	json_t *e = json_object_get(h->ovs_ifaces, cal_json_str(link, "name"));
	const char *t = cal_json_str(json_object_get(e, "iface"), "type");

	if (strcmp(cal_json_str(link, "name"), "ovs-netdev") == 0 ||
	    strcmp(cal_json_str(link, "name"), "ovs-system") == 0)
		return true;
	return e && strcmp(t, "internal") == 0;
}

static int bld_root_links(struct bld *b, struct bld_host *h, struct bld_ns *n)
{
	const char *machine = cal_json_str(n->report, "machine");
	size_t i;
	json_t *l;

	json_array_foreach(json_object_get(n->ns, "links"), i, l) {
		const char *kind = cal_json_str(l, "kind");
		struct bld_ns *pns = NULL;
		json_t *peer, *v;
		int rc = 0;

		json_object_set(h->root_links, cal_json_str(l, "name"), l);
		if (strcmp(kind, "loopback") == 0 || json_object_get(l, "vxlan") ||
		    strcmp(kind, "openvswitch") == 0)
			continue;
		if (strcmp(kind, "bridge") == 0) {
			rc = bld_vconnector(b, h, n, l);
		} else if (bld_is_pnic(b, l)) {
			rc = bld_pnic(b, h, n, l);
		} else if (strcmp(kind, "veth") == 0) {
			peer = bld_veth_peer(b, machine, l, &pns);
			/* Only the host end of a cable into an instance is a
			 * vnic here; a service's vnic is its inside end. */
			if (peer && pns->cls == BLD_NS_INSTANCE && pns->report == n->report) {
				v = bld_vnic(b, h, n, l, pns->owner, "instance_vnic");
				if (v) {
					bld_libvirt_enrich_vnic(h, v, cal_json_str(l, "name"));
					bld_add(b, h, v, "netlink");
				}
			}
		} else if (strcmp(kind, "tun") == 0 || strcmp(kind, "tap") == 0 ||
			   strcmp(kind, "macvlan") == 0 || strcmp(kind, "macvtap") == 0) {
			if (bld_is_ovs_internal(h, l))
				continue;
			v = bld_vnic(b, h, n, l, NULL, "instance_vnic");
			if (v) {
				bld_libvirt_enrich_vnic(h, v, cal_json_str(l, "name"));
				bld_add(b, h, v, "netlink");
			}
		}
		if (rc)
			return rc;
	}
	return bld_oteps(b, h, n);
}

/* Interfaces inside a service or instance namespace. */
static int bld_inner_links(struct bld *b, struct bld_host *h, struct bld_ns *n)
{
	const char *machine = cal_json_str(n->report, "machine");
	size_t i;
	json_t *l;

	json_array_foreach(json_object_get(n->ns, "links"), i, l) {
		const char *kind = cal_json_str(l, "kind");
		struct bld_ns *pns = NULL;
		json_t *peer, *v;

		if (strcmp(kind, "loopback") == 0 || json_object_get(l, "vxlan"))
			continue;
		if (strcmp(kind, "bridge") == 0) {
			int rc = bld_vconnector(b, h, n, l);

			if (rc)
				return rc;
			continue;
		}
		peer = bld_veth_peer(b, machine, l, &pns);
		if (n->cls == BLD_NS_INSTANCE) {
			json_t *inst = n->owner;
			json_t *ifs = json_object_get(inst, "interfaces");
			json_t *d = json_pack("{s:s, s:s, s:o}", "name", cal_json_str(l, "name"),
					      "mac", cal_json_str(l, "mac"), "addresses",
					      bld_addresses(l));

			if (!ifs) {
				ifs = json_array();
				json_object_set_new(inst, "interfaces", ifs);
			}
			json_array_append_new(ifs, d);
			if (!*cal_json_str(inst, "mac_address") && *cal_json_str(l, "mac"))
				json_object_set_new(inst, "mac_address",
						    json_string(cal_json_str(l, "mac")));
			/* Cabled to the host: the vnic is the host end. */
			if (peer && pns->cls == BLD_NS_ROOT && pns->report == n->report)
				continue;
			v = bld_vnic(b, h, n, l, inst, "instance_vnic");
		} else {
			v = bld_vnic(b, h, n, l, n->owner, "vservice_vnic");
		}
		if (v)
			bld_add(b, h, v, "netlink");
	}
	return bld_oteps(b, h, n);
}

/* Derived attributes that need every object of the host: networks of
 * vnics (from their bridge) and of their owners; host roles. */
static void bld_host_finish(struct bld *b, struct bld_host *h)
{
	size_t idx;
	json_t *o;
	bool compute = false, network = false;

	json_array_foreach(h->objs, idx, o) {
		const char *t = cal_json_str(o, CAL_F_TYPE);
		const char *master;
		const char *ns;
		json_t *br, *nets;

		if (strcmp(t, "instance") == 0)
			compute = true;
		if (strcmp(t, "vservice") == 0 &&
		    strcmp(cal_json_str(o, "service_type"), "other") != 0)
			network = true;
		if (strcmp(t, "vnic") != 0 || json_object_get(o, "network"))
			continue;
		/* The bridge of the vnic's device, or of its host-side peer. */
		master = cal_json_str(o, "master");
		ns = cal_json_str(o, "netns");
		if (!*master) {
			json_t *peer = json_object_get(o, "peer");

			master = cal_json_str(peer, "master");
			ns = cal_json_str(peer, "netns");
		}
		if (!*master)
			continue;
		{
			char *bid = cal_id_host_object(h->host, CAL_T_VCONNECTOR, ns, master);

			br = bid ? json_object_get(b->objects, bid) : NULL;
			free(bid);
		}
		nets = json_object_get(br, "network");
		if (json_array_size(nets) == 1)
			json_object_set(o, "network", json_array_get(nets, 0));
	}
	/* Owners list the networks of their vnics. */
	json_array_foreach(h->objs, idx, o) {
		json_t *owner, *list;
		const char *net = cal_json_str_or_null(o, "network");
		bool have = false;
		size_t i;
		json_t *x;

		if (strcmp(cal_json_str(o, CAL_F_TYPE), "vnic") != 0 || !net)
			continue;
		owner = json_object_get(b->objects, cal_json_str(o, CAL_F_PARENT_ID));
		if (!owner || strcmp(cal_json_str(owner, CAL_F_TYPE), "host") == 0)
			continue;
		list = json_object_get(owner, "network");
		if (!list) {
			list = json_array();
			json_object_set_new(owner, "network", list);
		}
		json_array_foreach(list, i, x)
			have |= strcmp(json_string_value(x), net) == 0;
		if (!have)
			json_array_append_new(list, json_string(net));
	}
	if (compute || network) {
		json_t *types = json_array();

		if (compute)
			json_array_append_new(types, json_string("Compute"));
		if (network)
			json_array_append_new(types, json_string("Network"));
		json_object_set_new(h->host_obj, "host_type", types);
	}
}

static int bld_host(struct bld *b, json_t *report)
{
	struct bld_host h = { 0 };
	bool is_switch = strcmp(cal_json_str(report, "role"), "switch") == 0;
	int rc = 0;

	h.report = report;
	h.host = cal_json_str(report, "host");
	h.machine = cal_json_str(report, "machine");
	h.when = cal_json_str_or_null(report, "scanned_at");
	h.ovs_ifaces = json_object();
	h.lv_targets = json_object();
	h.lv_instances = json_object();
	h.root_links = json_object();
	h.objs = json_array();
	h.kept_from = json_object();
	{
		size_t k;
		json_t *src;

		json_array_foreach(json_object_get(report, "sources"), k, src)
			if (json_is_string(json_object_get(src, "kept_from")))
				json_object_set(h.kept_from, cal_json_str(src, "name"),
						json_object_get(src, "kept_from"));
	}
	if (!h.ovs_ifaces || !h.lv_targets || !h.lv_instances || !h.root_links || !h.objs) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	h.host_obj = cal_object_new(b->env, is_switch ? CAL_T_SWITCH : CAL_T_HOST, h.host, h.host,
				    h.host);
	if (!h.host_obj) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	json_object_set_new(h.host_obj, "netns", json_string(cal_json_str(report, "netns")));
	h.host_obj = bld_add(b, &h, h.host_obj, "netlink");
	if (!h.host_obj) {
		rc = cal_error_set(CAL_EINVALID, "host '%s' is reported twice", h.host);
		goto out;
	}
	bld_os_host_parent(b, &h);
	if ((rc = bld_ovs_index(&h)) || (rc = bld_libvirt_index(b, &h)) ||
	    (rc = bld_os_host_instances(b, &h)))
		goto out;
	if (!is_switch && (rc = bld_owners(b, &h)))
		goto out;
	for (size_t i = 0; i < b->nns && !rc; i++) {
		struct bld_ns *n = &b->nss[i];

		if (n->report != report)
			continue;
		if (n->cls == BLD_NS_SWITCH) {
			size_t k;
			json_t *l;

			/* Ports of the switch's bridge are its ports. */
			json_array_foreach(json_object_get(n->ns, "links"), k, l)
				if (*cal_json_str(l, "master") && !rc)
					rc = bld_switch_pnic(b, &h, n, l);
		} else if (n->cls == BLD_NS_ROOT) {
			rc = bld_root_links(b, &h, n);
		} else {
			rc = bld_inner_links(b, &h, n);
		}
	}
	if (rc)
		goto out;
	if (!is_switch) {
		if ((rc = bld_libvirt_objects(b, &h)) || (rc = bld_ovs_objects(b, &h)))
			goto out;
		bld_host_finish(b, &h);
	}
out:
	json_decref(h.ovs_ifaces);
	json_decref(h.lv_targets);
	json_decref(h.lv_instances);
	json_decref(h.root_links);
	json_decref(h.objs);
	json_decref(h.kept_from);
	return rc;
}

int cal_build_objects(json_t **out, const char *env, const json_t *reports,
		      const json_t *config)
{
	struct bld b = { 0 };
	json_t *labels;
	size_t i;
	json_t *r;
	int rc;

	*out = NULL;
	if (!json_is_array(reports))
		return cal_error_set(CAL_EINVALID, "reports must be a JSON array");
	labels = json_array();
	b.env = env;
	b.objects = json_object();
	b.ns_index = json_object();
	b.link_index = json_object();
	b.networks = json_object();
	b.pnic_globs = json_object_get(config, "pnic_names");
	if (!labels || !b.objects || !b.ns_index || !b.link_index || !b.networks) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = bld_index_reports(&b, reports, labels)) || (rc = bld_os_begin(&b, reports)))
		goto out;
	json_array_foreach(reports, i, r) {
		if (!json_is_object(r) || !*cal_json_str(r, "host")) {
			rc = cal_error_set(CAL_EINVALID, "report %zu has no host", i);
			goto out;
		}
		/* A cloud report (OpenStack) is no host: builder_openstack.c. */
		if (strcmp(cal_json_str(r, "role"), "cloud") == 0)
			continue;
		if ((rc = bld_host(&b, r)))
			goto out;
	}
	if ((rc = bld_os_finish(&b)))
		goto out;
	*out = b.objects;
	b.objects = NULL;
out:
	json_decref(b.objects);
	json_decref(b.ns_index);
	json_decref(b.link_index);
	json_decref(b.networks);
	json_decref(labels);
	bld_os_end(&b);
	free(b.nss);
	return rc;
}
