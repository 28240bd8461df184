/* sim.c - a simulated cloud: host reports (docs/report-format.md) of N
 * hosts, M VMs and K networks, as the kernel, OVSDB and libvirt sources of
 * a Neutron cloud would produce them, so that the whole pipeline (builder,
 * linker, store, cliques, search) runs at scale without a lab.
 *
 * The plumbing is the lab's (lab/README.md), repeated: every host has eth0
 * (kernel VXLAN underlay) and eth1 (a port of OVS br-phy, whose internal
 * port holds the OVS tunnel address), both cabled to ports of one fabric
 * switch.  Even networks are Linux-bridge networks (brq<id> with a kernel
 * vxlan-<vni> device, head-end replication FDB entries to every other host
 * of the network); odd ones are OVS networks (br-int ports tagged with a
 * per-host local VLAN, Neutron's other_config, br-tun VXLAN tunnels to
 * every host sharing an OVS network).  VMs are KVM domains (libvirt)
 * plugged with a tap device: into the brq (Linux bridge), through a qbr
 * bridge and a qvb/qvo veth pair (OVS hybrid), or straight into br-int (OVS
 * direct).  Network k has its DHCP namespace (dnsmasq) on host k mod N;
 * every four networks share a router namespace.
 *
 * Everything is drawn from a seeded generator, so a seed always gives the
 * same cloud (ids, MACs, addresses).  `churn` changes that many VMs of the
 * same cloud (every other one deleted, the rest moved to another network),
 * for incremental measurements.  All hosts share one "machine", as the
 * lab's namespaces do, so that the switch's veth ends name the hosts'.
 */
#include "analyze/analyze_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MACHINE "calipso-sim"
#define SIM_INODE0 4026600000LL

struct sim_vm {
	int host, net, style; /* style: 0 Linux bridge, 1 OVS hybrid, 2 OVS direct */
	bool gone;
	char uuid[37], port[37], mac[18], name[32];
};

struct sim_net {
	char uuid[37];
	int vni;
	bool ovs;
	int dhcp_host;
	char dhcp_port[37], dhcp_mac[18];
	char router_port[37], router_mac[18];
	int *hosts; /* hosts holding the network (sorted, unique) */
	int nhosts, caphosts;
};

struct sim_router {
	char uuid[37];
	int host;
};

struct sim {
	const struct cal_sim_opts *o;
	uint64_t rng;
	struct sim_vm *vms;
	struct sim_net *nets;
	struct sim_router *routers;
	int nrouters;
	int64_t inode;
	/* Per host: VMs, networks present (with the OVS local VLAN). */
	int **host_vms;
	int *host_nvms;
	int *net_tag; /* scratch: tag of each network on the current host, 0 = absent */
	int *mark;    /* scratch: generation marks over hosts */
	int gen;
	char host[32]; /* the host whose report is being built */
	int brq_base, svc_base; /* stable ifindex ranges (after the VMs') */
};

static uint64_t sim_next(struct sim *s)
{
	/* splitmix64 */
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int sim_rand(struct sim *s, int n)
{
	return (int)(sim_next(s) % (uint64_t)n);
}

static void sim_uuid(struct sim *s, char out[37])
{
	uint64_t a = sim_next(s), b = sim_next(s);

	snprintf(out, 37, "%08x-%04x-5%03x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
		 (unsigned)((b >> 48) & 0x3fff) | 0x8000, (unsigned long long)(b & 0xffffffffffffULL));
}

static void sim_mac(struct sim *s, char out[18])
{
	uint64_t a = sim_next(s);

	snprintf(out, 18, "fa:16:3e:%02x:%02x:%02x", (unsigned)(a >> 16) & 0xff,
		 (unsigned)(a >> 8) & 0xff, (unsigned)a & 0xff);
}

/* Reseeds the generator from a key (a host and a device), so that what a
 * report draws for one device does not depend on what came before it:
 * a churned cloud differs only where it changed. */
static void sim_key(struct sim *s, const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = a; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ '|') * 1099511628211ULL;
	for (const char *p = b; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	s->rng = h ^ s->o->seed;
}

/* Device names Neutron derives from a port id: prefix + 11 characters. */
static void sim_dev(char *out, size_t n, const char *prefix, const char *port)
{
	snprintf(out, n, "%s%.11s", prefix, port);
}

static void sim_host_name(char *out, size_t n, int h)
{
	snprintf(out, n, "host%04d", h + 1);
}

static void sim_ip(char *out, size_t n, int net, int h)
{
	/* eth0: 172.16.0.0/12 ; br-phy: 172.32.0.0/12 */
	int v = h + 10;

	snprintf(out, n, "172.%d.%d.%d", (net ? 32 : 16) + v / 65536, (v / 256) % 256, v % 256);
}

static int sim_net_add_host(struct sim_net *n, int h)
{
	int i;

	for (i = 0; i < n->nhosts; i++)
		if (n->hosts[i] == h)
			return 0;
	if (n->nhosts == n->caphosts) {
		int cap = n->caphosts ? n->caphosts * 2 : 8;
		int *v = realloc(n->hosts, (size_t)cap * sizeof(*v));

		if (!v)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		n->hosts = v;
		n->caphosts = cap;
	}
	n->hosts[n->nhosts++] = h;
	return 0;
}

static int sim_cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

static void sim_free(struct sim *s)
{
	if (s->nets)
		for (int k = 0; k < s->o->networks; k++)
			free(s->nets[k].hosts);
	if (s->host_vms)
		for (int h = 0; h < s->o->hosts; h++)
			free(s->host_vms[h]);
	free(s->host_vms);
	free(s->host_nvms);
	free(s->vms);
	free(s->nets);
	free(s->routers);
	free(s->net_tag);
	free(s->mark);
}

/* The cloud's plan: who is where. */
static int sim_plan(struct sim *s)
{
	const struct cal_sim_opts *o = s->o;
	int rc = 0;

	s->vms = calloc((size_t)o->vms + 1, sizeof(*s->vms));
	s->nets = calloc((size_t)o->networks, sizeof(*s->nets));
	s->nrouters = (o->networks + 3) / 4;
	s->routers = calloc((size_t)s->nrouters, sizeof(*s->routers));
	s->host_vms = calloc((size_t)o->hosts, sizeof(*s->host_vms));
	s->host_nvms = calloc((size_t)o->hosts, sizeof(*s->host_nvms));
	s->net_tag = calloc((size_t)o->networks, sizeof(*s->net_tag));
	s->mark = calloc((size_t)o->hosts, sizeof(*s->mark));
	if (!s->vms || !s->nets || !s->routers || !s->host_vms || !s->host_nvms || !s->net_tag ||
	    !s->mark)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	s->rng = o->seed;
	s->brq_base = 1000 + 4 * o->vms + 1000;
	s->svc_base = s->brq_base + 2 * o->networks + 1000;
	for (int k = 0; k < o->networks; k++) {
		struct sim_net *n = &s->nets[k];

		sim_uuid(s, n->uuid);
		n->vni = 1000 + k;
		n->ovs = k % 2 == 1;
		n->dhcp_host = k % o->hosts;
		sim_uuid(s, n->dhcp_port);
		sim_mac(s, n->dhcp_mac);
		sim_uuid(s, n->router_port);
		sim_mac(s, n->router_mac);
	}
	for (int r = 0; r < s->nrouters; r++) {
		sim_uuid(s, s->routers[r].uuid);
		s->routers[r].host = (r * 7 + 3) % o->hosts;
	}
	for (int j = 0; j < o->vms; j++) {
		struct sim_vm *v = &s->vms[j];

		v->host = sim_rand(s, o->hosts);
		v->net = sim_rand(s, o->networks);
		v->style = s->nets[v->net].ovs ? 1 + sim_rand(s, 2) : 0;
		sim_uuid(s, v->uuid);
		sim_uuid(s, v->port);
		sim_mac(s, v->mac);
		snprintf(v->name, sizeof(v->name), "vm-%06d", j + 1);
	}
	/* Churn: the same cloud with some VMs deleted or moved. */
	if (o->churn > 0) {
		uint64_t keep = s->rng;

		s->rng = o->churn_seed ? o->churn_seed : o->seed ^ 0x5bd1e995u;
		for (int c = 0; c < o->churn && o->vms > 0; c++) {
			struct sim_vm *v = &s->vms[sim_rand(s, o->vms)];

			if (c % 2 == 0) {
				v->gone = true;
			} else {
				v->net = sim_rand(s, o->networks);
				v->style = s->nets[v->net].ovs ? 1 + sim_rand(s, 2) : 0;
			}
		}
		s->rng = keep;
	}
	for (int j = 0; j < o->vms && rc == 0; j++) {
		struct sim_vm *v = &s->vms[j];
		int h = v->host;

		if (v->gone)
			continue;
		if (s->host_nvms[h] % 16 == 0) {
			int *p = realloc(s->host_vms[h], (size_t)(s->host_nvms[h] + 16) * sizeof(*p));

			if (!p)
				return cal_error_set(CAL_ENOMEM, "out of memory");
			s->host_vms[h] = p;
		}
		s->host_vms[h][s->host_nvms[h]++] = j;
		rc = sim_net_add_host(&s->nets[v->net], h);
	}
	for (int k = 0; k < o->networks && rc == 0; k++) {
		rc = sim_net_add_host(&s->nets[k], s->nets[k].dhcp_host);
		if (rc == 0)
			rc = sim_net_add_host(&s->nets[k], s->routers[k / 4].host);
	}
	for (int k = 0; k < o->networks; k++)
		qsort(s->nets[k].hosts, (size_t)s->nets[k].nhosts, sizeof(int), sim_cmp_int);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Report building                                                     */
/* ------------------------------------------------------------------ */

struct sim_ns {
	json_t *ns, *links;
	char key[32];
	int next_ifindex;
	int pin; /* > 0: the ifindex of the next device (then pin + 1) */
};

static void sim_ns_new(struct sim *s, struct sim_ns *n, const char *name, bool root, bool named)
{
	int64_t inode = SIM_INODE0 + s->inode++;

	snprintf(n->key, sizeof(n->key), "ns:%lld", (long long)inode);
	n->links = json_array();
	n->ns = json_pack("{s:s, s:I, s:s, s:b, s:b, s:[], s:i, s:O, s:[]}", "key", n->key,
			  "inode", (json_int_t)inode, "name", name, "root", root, "named", named,
			  "processes", "process_count", 0, "links", n->links, "errors");
	json_decref(n->links);
	n->next_ifindex = 1;
	n->pin = 0;
	json_array_append_new(n->links,
			      json_pack("{s:i, s:s, s:s, s:s, s:i, s:s, s:b}", "ifindex",
					n->next_ifindex++, "name", "lo", "kind", "loopback", "mac",
					"00:00:00:00:00:00", "mtu", 65536, "operstate", "unknown",
					"carrier", true));
}

static void sim_ns_process(struct sim_ns *n, int pid, const char *comm, const char *cmdline)
{
	json_t *procs = json_object_get(n->ns, "processes");

	json_array_append_new(procs, json_pack("{s:i, s:s, s:s, s:n, s:b}", "pid", pid, "comm",
					       comm, "cmdline", cmdline, "uts", "uts_own", false));
	json_object_set_new(n->ns, "process_count", json_integer((json_int_t)json_array_size(procs)));
}

/* A device in namespace n; returns its document (borrowed) for extras. */
static json_t *sim_link(struct sim_ns *n, const char *name, const char *kind, const char *mac,
			int mtu)
{
	json_t *l = json_pack("{s:i, s:s, s:s, s:i, s:[s,s,s,s], s:s, s:b, s:[]}", "ifindex",
			      n->pin > 0 ? n->pin++ : n->next_ifindex++, "name", name, "kind", kind, "mtu", mtu, "flags",
			      "BROADCAST", "MULTICAST", "UP", "LOWER_UP", "operstate", "up",
			      "carrier", true, "addresses");

	if (mac)
		json_object_set_new(l, "mac", json_string(mac));
	json_array_append_new(n->links, l);
	return l;
}

static void sim_master(json_t *l, const json_t *bridge)
{
	json_object_set_new(l, "master", json_string(cal_json_str(bridge, "name")));
	json_object_set_new(l, "master_ifindex", json_integer(cal_json_int(bridge, "ifindex", 0)));
	json_array_append_new(json_object_get(json_object_get(bridge, "bridge"), "ports"),
			      json_string(cal_json_str(l, "name")));
}

static json_t *sim_bridge(struct sim_ns *n, const char *name, const char *mac, int mtu)
{
	json_t *b = sim_link(n, name, "bridge", mac, mtu);

	json_object_set_new(b, "bridge", json_pack("{s:b, s:b, s:[]}", "stp", false,
						   "vlan_filtering", false, "ports"));
	return b;
}

/* A veth pair a (in na) <-> b (in nb). */
static void sim_veth(json_t *a, const struct sim_ns *na, json_t *b, const struct sim_ns *nb)
{
	json_int_t ia = cal_json_int(a, "ifindex", 0), ib = cal_json_int(b, "ifindex", 0);

	json_object_set_new(a, "link_ifindex", json_integer(ib));
	json_object_set_new(a, "veth", json_pack("{s:I, s:s}", "peer_ifindex", ib, "peer_netns",
						 nb->key));
	json_object_set_new(b, "link_ifindex", json_integer(ia));
	json_object_set_new(b, "veth", json_pack("{s:I, s:s}", "peer_ifindex", ia, "peer_netns",
						 na->key));
	if (na != nb) {
		json_object_set_new(a, "link_netns", json_string(nb->key));
		json_object_set_new(b, "link_netns", json_string(na->key));
	}
}

static void sim_addr(json_t *l, const char *ip, int prefixlen)
{
	json_array_append_new(json_object_get(l, "addresses"),
			      json_pack("{s:s, s:s, s:i, s:s}", "family", "inet", "address", ip,
					"prefixlen", prefixlen, "scope", "global"));
}

static void sim_host_mac(char out[18], const char *guest_mac)
{
	/* The host end of a tap: fe: instead of the guest's fa:. */
	snprintf(out, 18, "fe%s", guest_mac + 2);
}

/* OVS ports. */
static json_t *sim_ovs_port(struct sim *s, json_t *bridge_ports, const char *name,
			    const char *type, int ofport)
{
	char pu[37], iu[37];
	json_t *p;

	sim_key(s, s->host, name);
	sim_uuid(s, pu);
	sim_uuid(s, iu);
	p = json_pack("{s:s, s:s, s:n, s:[], s:n, s:{}, s:[{s:s, s:s, s:s, s:i, s:i, s:s, s:s, "
		      "s:n, s:n, s:n, s:{}, s:{}, s:{}}]}",
		      "uuid", pu, "name", name, "tag", "trunks", "vlan_mode", "other_config",
		      "interfaces", "uuid", iu, "name", name, "type", type, "ofport", ofport,
		      "ifindex", 0, "admin_state", "up", "link_state", "up", "mac_in_use", "mtu",
		      "error", "external_ids", "options", "statistics");
	json_array_append_new(bridge_ports, p);
	return p;
}

static json_t *sim_ovs_iface(json_t *port)
{
	return json_array_get(json_object_get(port, "interfaces"), 0);
}

static void sim_ovs_tag(json_t *port, const struct sim_net *n, int tag, const char *port_id,
			const char *mac, const char *vm_uuid)
{
	char seg[16], t[16];
	json_t *ifc = sim_ovs_iface(port);

	snprintf(seg, sizeof(seg), "%d", n->vni);
	snprintf(t, sizeof(t), "%d", tag);
	json_object_set_new(port, "tag", json_integer(tag));
	json_object_set_new(port, "other_config",
			    json_pack("{s:s, s:s, s:s, s:s}", "net_uuid", n->uuid, "network_type",
				      "vxlan", "segmentation_id", seg, "tag", t));
	json_object_set_new(ifc, "external_ids",
			    json_pack("{s:s, s:s, s:s}", "iface-id", port_id, "attached-mac", mac,
				      "iface-status", "active"));
	if (vm_uuid)
		json_object_set_new(json_object_get(ifc, "external_ids"), "vm-uuid",
				    json_string(vm_uuid));
}

static json_t *sim_ovs_bridge(struct sim *s, json_t *bridges, const char *name,
			      const char *fail_mode)
{
	char u[37];
	json_t *b;

	sim_key(s, s->host, name);
	sim_uuid(s, u);
	b = json_pack("{s:s, s:s, s:s, s:s?, s:[], s:{}, s:[]}", "uuid", u, "name", name,
		      "datapath_type", "netdev", "fail_mode", fail_mode, "controller",
		      "external_ids", "ports");
	json_array_append_new(bridges, b);
	sim_ovs_port(s, json_object_get(b, "ports"), name, "internal", 65534);
	return b;
}

/* One VM's tap (and qbr/qvb/qvo) in the host root, its OVS port, its
 * libvirt interface. */
static void sim_vm_plug(struct sim *s, struct sim_ns *root, json_t *brq_of, json_t *brint_ports,
			int j, const struct sim_vm *v, json_t *domains)
{
	const struct sim_net *n = &s->nets[v->net];
	char tap[20], qbr[20], qvb[20], qvo[20], hmac[18], mac2[18];
	const char *source = "br-int";
	json_t *t, *iface;

	/* Stable device numbers: a VM's devices keep theirs when others go. */
	root->pin = 1000 + 4 * j;
	sim_dev(tap, sizeof(tap), "tap", v->port);
	sim_host_mac(hmac, v->mac);
	t = sim_link(root, tap, "tap", hmac, 1450);
	json_object_set_new(t, "tun", json_pack("{s:s}", "mode", "tap"));
	if (v->style == 0) {
		json_t *br = json_object_get(brq_of, n->uuid);

		sim_master(t, br);
		source = cal_json_str(br, "name");
	} else if (v->style == 1) {
		json_t *br, *b, *o;

		sim_dev(qbr, sizeof(qbr), "qbr", v->port);
		sim_dev(qvb, sizeof(qvb), "qvb", v->port);
		sim_dev(qvo, sizeof(qvo), "qvo", v->port);
		sim_key(s, s->host, qbr);
		sim_mac(s, mac2);
		br = sim_bridge(root, qbr, mac2, 1450);
		sim_master(t, br);
		b = sim_link(root, qvb, "veth", mac2, 1450);
		sim_master(b, br);
		sim_key(s, s->host, qvo);
		sim_mac(s, mac2);
		o = sim_link(root, qvo, "veth", mac2, 1450);
		sim_veth(b, root, o, root);
		sim_ovs_tag(sim_ovs_port(s, brint_ports, qvo, "", 100 + j), n,
			    s->net_tag[v->net], v->port, v->mac, v->uuid);
		source = qbr;
	} else {
		sim_ovs_tag(sim_ovs_port(s, brint_ports, tap, "", 100 + j), n, s->net_tag[v->net],
			    v->port, v->mac, v->uuid);
	}
	root->pin = 0;
	iface = json_pack("{s:s, s:s, s:s, s:n, s:n, s:n, s:s, s:s, s:n}", "type", "bridge", "mac",
			  v->mac, "source_bridge", source, "source_network", "source_dev",
			  "source_mode", "target", tap, "model", "virtio", "virtualport");
	if (v->style == 2)
		json_object_set_new(iface, "virtualport", json_pack("{s:s, s:s}", "type",
								    "openvswitch", "interfaceid",
								    v->port));
	json_array_append_new(domains,
			      json_pack("{s:s, s:s, s:s, s:i, s:i, s:[o]}", "uuid", v->uuid, "name",
					v->name, "state", "running", "vcpus", 2, "memory_kb",
					2097152, "interfaces", iface));
}

/* A namespace of a network service with one port per network, cabled to
 * the host root by veths whose host ends sit in the brq or on br-int. */
static void sim_service_port(struct sim *s, struct sim_ns *root, struct sim_ns *ns,
			     json_t *brq_of, json_t *brint_ports, int slot, int k,
			     const char *prefix, const char *port, const char *mac, const char *ip)
{
	const struct sim_net *n = &s->nets[k];
	char inner[20], outer[20], hmac[18];
	json_t *a, *b;

	sim_dev(inner, sizeof(inner), prefix, port);
	sim_dev(outer, sizeof(outer), "tap", port);
	a = sim_link(ns, inner, "veth", mac, 1450);
	sim_addr(a, ip, 24);
	sim_key(s, s->host, outer);
	sim_mac(s, hmac);
	root->pin = slot;
	b = sim_link(root, outer, "veth", hmac, 1450);
	root->pin = 0;
	sim_veth(a, ns, b, root);
	if (!n->ovs)
		sim_master(b, json_object_get(brq_of, n->uuid));
	else
		sim_ovs_tag(sim_ovs_port(s, brint_ports, outer, "", slot), n,
			    s->net_tag[k], port, mac, NULL);
}

static void sim_subnet_ip(char *out, size_t n, int k, int host_part)
{
	snprintf(out, n, "10.%d.%d.%d", 100 + k / 256, k % 256, host_part);
}

static json_t *sim_report_base(const struct cal_sim_opts *o, const char *host, const char *netns,
			       const char *role, const char *when)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "format", "calipso-host-report/1",
			 "host", host, "environment", o->env ? o->env : "sim", "machine",
			 SIM_MACHINE, "scanned_at", when, "role", role, "netns", netns);
}

static json_t *sim_source(const char *name, const char *detail)
{
	return json_pack("{s:s, s:s, s:i, s:s}", "name", name, "status", "ok", "duration_ms", 0,
			 "detail", detail);
}

static int sim_host_report(struct sim *s, json_t **out, int h, struct sim_ns *fabric,
			   json_t *fabric_br, const char *when)
{
	const struct cal_sim_opts *o = s->o;
	char host[32], netns[48], ip0[20], ip1[20], name[64], mac[18], ip[20];
	struct sim_ns root;
	json_t *rep, *namespaces, *brq_of = json_object(), *domains = json_array();
	json_t *ovs, *bridges, *brint, *brtun, *brphy, *eth0, *eth1, *l;
	int ofport_int = 1;

	sim_host_name(host, sizeof(host), h);
	snprintf(netns, sizeof(netns), "sim-%s", host);
	sim_ip(ip0, sizeof(ip0), 0, h);
	sim_ip(ip1, sizeof(ip1), 1, h);
	snprintf(s->host, sizeof(s->host), "%s", host);
	rep = sim_report_base(o, host, netns, "host", when);
	sim_ns_new(s, &root, netns, true, true);
	sim_ns_process(&root, 1000 + h, "ovsdb-server", "ovsdb-server /etc/openvswitch/conf.db");
	sim_ns_process(&root, 1001 + h, "ovs-vswitchd", "ovs-vswitchd unix:/run/openvswitch/db.sock");
	namespaces = json_pack("[O]", root.ns);
	/* Underlay NICs, cabled to the fabric. */
	sim_key(s, host, "eth0");
	sim_mac(s, mac);
	eth0 = sim_link(&root, "eth0", "veth", mac, 1500);
	sim_addr(eth0, ip0, 12);
	sim_key(s, host, "eth1");
	sim_mac(s, mac);
	eth1 = sim_link(&root, "eth1", "veth", mac, 1500);
	for (int p = 0; p < 2; p++) {
		snprintf(name, sizeof(name), "h%d-eth%d", h + 1, p);
		sim_key(s, "fabric", name);
		sim_mac(s, mac);
		l = sim_link(fabric, name, "veth", mac, 1500);
		sim_master(l, fabric_br);
		sim_veth(p ? eth1 : eth0, &root, l, fabric);
	}
	/* OVS datapath devices (userspace datapath, as in the lab). */
	sim_key(s, host, "ovs-netdev");
	sim_mac(s, mac);
	l = sim_link(&root, "ovs-netdev", "tap", mac, 1500);
	json_object_set_new(l, "tun", json_pack("{s:s}", "mode", "tap"));
	json_object_set_new(l, "operstate", json_string("down"));
	for (int b = 0; b < 3; b++) {
		static const char *const names[] = { "br-int", "br-tun", "br-phy" };

		sim_key(s, host, names[b]);
		sim_mac(s, mac);
		l = sim_link(&root, names[b], "tap", mac, 1500);
		json_object_set_new(l, "tun", json_pack("{s:s}", "mode", "tap"));
		if (b == 2)
			sim_addr(l, ip1, 12);
	}
	ovs = json_pack("{s:s, s:s, s:n, s:n, s:[]}", "remote", "unix:/run/openvswitch/db.sock",
			"system_id", host, "ovs_version", "db_version", "bridges");
	bridges = json_object_get(ovs, "bridges");
	brint = sim_ovs_bridge(s, bridges, "br-int", NULL);
	brphy = sim_ovs_bridge(s, bridges, "br-phy", NULL);
	brtun = sim_ovs_bridge(s, bridges, "br-tun", "secure");
	sim_ovs_port(s, json_object_get(brphy, "ports"), "eth1", "", 1);
	json_object_set_new(sim_ovs_iface(sim_ovs_port(s, json_object_get(brint, "ports"),
						       "patch-tun", "patch", ofport_int++)),
			    "options", json_pack("{s:s}", "peer", "patch-int"));
	json_object_set_new(sim_ovs_iface(sim_ovs_port(s, json_object_get(brtun, "ports"),
						       "patch-int", "patch", 1)),
			    "options", json_pack("{s:s}", "peer", "patch-tun"));
	/* Networks present here: Linux bridges, OVS local VLANs, tunnels. */
	s->gen++;
	for (int k = 0; k < o->networks; k++) {
		struct sim_net *n = &s->nets[k];
		bool here = false;

		s->net_tag[k] = 0;
		for (int i = 0; i < n->nhosts; i++)
			if (n->hosts[i] == h)
				here = true;
		if (!here)
			continue;
		if (n->ovs) {
			/* A local VLAN per network, the same wherever it is. */
			s->net_tag[k] = k % 4094 + 1;
			for (int i = 0; i < n->nhosts; i++)
				if (n->hosts[i] != h)
					s->mark[n->hosts[i]] = s->gen;
		} else {
			char brq[20], vx[20];
			json_t *br, *v, *fdb = json_array();

			sim_dev(brq, sizeof(brq), "brq", n->uuid);
			snprintf(vx, sizeof(vx), "vxlan-%d", n->vni);
			sim_key(s, host, brq);
			sim_mac(s, mac);
			root.pin = s->brq_base + 2 * k;
			br = sim_bridge(&root, brq, mac, 1450);
			json_object_set(brq_of, n->uuid, br);
			v = sim_link(&root, vx, "vxlan", mac, 1450);
			root.pin = 0;
			json_object_set_new(v, "operstate", json_string("unknown"));
			sim_master(v, br);
			for (int i = 0; i < n->nhosts; i++) {
				if (n->hosts[i] == h)
					continue;
				sim_ip(ip, sizeof(ip), 0, n->hosts[i]);
				json_array_append_new(fdb, json_pack("{s:s, s:s}", "mac",
								     "00:00:00:00:00:00", "dst", ip));
			}
			json_object_set_new(v, "vxlan",
					    json_pack("{s:i, s:s, s:n, s:i, s:s, s:I, s:o}", "vni",
						      n->vni, "local", ip0, "remote", "port", 4789,
						      "underlay", "eth0", "underlay_ifindex",
						      cal_json_int(eth0, "ifindex", 0), "fdb", fdb));
		}
	}
	for (int p = 0; p < o->hosts; p++) {
		json_t *port;
		char hex[16];
		unsigned a, b, c, d;

		if (s->mark[p] != s->gen)
			continue;
		sim_ip(ip, sizeof(ip), 1, p);
		sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d);
		snprintf(hex, sizeof(hex), "%02x%02x%02x%02x", a, b, c, d);
		snprintf(name, sizeof(name), "vxlan-%s", hex);
		port = sim_ovs_port(s, json_object_get(brtun, "ports"), name, "vxlan", 10 + p);
		json_object_set_new(sim_ovs_iface(port), "options",
				    json_pack("{s:s, s:s, s:s, s:s}", "remote_ip", ip, "local_ip",
					      ip1, "key", "flow", "dst_port", "4789"));
	}
	/* VMs. */
	for (int i = 0; i < s->host_nvms[h]; i++)
		sim_vm_plug(s, &root, brq_of, json_object_get(brint, "ports"), s->host_vms[h][i],
			    &s->vms[s->host_vms[h][i]], domains);
	/* DHCP namespaces and routers. */
	for (int k = 0; k < o->networks; k++) {
		struct sim_net *n = &s->nets[k];
		struct sim_ns ns;
		char cmd[128];

		if (n->dhcp_host != h)
			continue;
		snprintf(name, sizeof(name), "qdhcp-%s", n->uuid);
		sim_ns_new(s, &ns, name, false, true);
		snprintf(cmd, sizeof(cmd), "dnsmasq --no-hosts --interface=ns-%.11s", n->dhcp_port);
		sim_ns_process(&ns, 20000 + k, "dnsmasq", cmd);
		sim_subnet_ip(ip, sizeof(ip), k, 2);
		sim_service_port(s, &root, &ns, brq_of, json_object_get(brint, "ports"),
				 s->svc_base + 2 * k, k, "ns-", n->dhcp_port, n->dhcp_mac, ip);
		json_array_append(namespaces, ns.ns);
		json_decref(ns.ns);
	}
	for (int r = 0; r < s->nrouters; r++) {
		struct sim_ns ns;

		if (s->routers[r].host != h)
			continue;
		snprintf(name, sizeof(name), "qrouter-%s", s->routers[r].uuid);
		sim_ns_new(s, &ns, name, false, true);
		for (int k = r * 4; k < r * 4 + 4 && k < o->networks; k++) {
			sim_subnet_ip(ip, sizeof(ip), k, 1);
			sim_service_port(s, &root, &ns, brq_of, json_object_get(brint, "ports"),
					 s->svc_base + 2 * k + 1, k, "qr-", s->nets[k].router_port,
					 s->nets[k].router_mac, ip);
		}
		json_array_append(namespaces, ns.ns);
		json_decref(ns.ns);
	}
	json_object_set_new(rep, "sources",
			    json_pack("[o, o, o]", sim_source("netlink", "simulated"),
				      sim_source("ovsdb", "simulated"),
				      sim_source("libvirt", "simulated")));
	json_object_set_new(rep, "kernel", json_pack("{s:o, s:[]}", "namespaces", namespaces,
						     "errors"));
	json_object_set_new(rep, "ovs", ovs);
	json_object_set_new(rep, "libvirt", json_pack("{s:s, s:o, s:[]}", "uri", "qemu:///system",
						      "domains", domains, "errors"));
	json_decref(root.ns);
	json_decref(brq_of);
	*out = rep;
	return 0;
}

int cal_sim_check(const struct cal_sim_opts *o)
{
	if (o->hosts < 1 || o->hosts > 100000)
		return cal_error_set(CAL_EINVALID, "--hosts must be 1-100000 (got %d)", o->hosts);
	if (o->vms < 0 || o->vms > 10000000)
		return cal_error_set(CAL_EINVALID, "--vms must be 0-10000000 (got %d)", o->vms);
	if (o->networks < 1 || o->networks > 1000000)
		return cal_error_set(CAL_EINVALID, "--networks must be 1-1000000 (got %d)",
				     o->networks);
	if (o->churn < 0)
		return cal_error_set(CAL_EINVALID, "--churn must not be negative");
	return 0;
}

int cal_sim_reports(json_t **out, const struct cal_sim_opts *o)
{
	struct sim s = { .o = o };
	struct sim_ns fabric;
	json_t *reports = NULL, *frep, *fabric_br;
	char when[CAL_TIME_BUFSZ];
	int rc;

	*out = NULL;
	rc = cal_sim_check(o);
	if (rc)
		return rc;
	rc = sim_plan(&s);
	if (rc)
		goto out;
	cal_time_format(when, cal_time_now_us());
	reports = json_array();
	/* The fabric first: host reports name its namespace. */
	sim_ns_new(&s, &fabric, "sim-fabric", true, true);
	fabric_br = sim_bridge(&fabric, "br-fabric", "02:00:00:00:00:01", 1500);
	for (int h = 0; h < o->hosts && rc == 0; h++) {
		json_t *rep = NULL;

		rc = sim_host_report(&s, &rep, h, &fabric, fabric_br, when);
		if (rc == 0 && json_array_append_new(reports, rep))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	if (rc == 0) {
		frep = sim_report_base(o, "fabric", "sim-fabric", "switch", when);
		json_object_set_new(frep, "sources",
				    json_pack("[o]", sim_source("netlink", "simulated")));
		json_object_set_new(frep, "kernel", json_pack("{s:[O], s:[]}", "namespaces",
							      fabric.ns, "errors"));
		if (!frep || json_array_append_new(reports, frep))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	json_decref(fabric.ns);
	if (rc == 0) {
		*out = reports;
		reports = NULL;
	}
out:
	json_decref(reports);
	sim_free(&s);
	return rc;
}

json_t *cal_sim_env_config(const struct cal_sim_opts *o)
{
	json_t *cfg, *hosts = json_array();
	char host[32], netns[48];

	for (int h = 0; h < o->hosts; h++) {
		sim_host_name(host, sizeof(host), h);
		snprintf(netns, sizeof(netns), "sim-%s", host);
		json_array_append_new(hosts, json_pack("{s:s, s:s}", "name", host, "netns", netns));
	}
	cfg = json_pack("{s:s, s:s, s:o, s:[{s:s, s:s}], s:[s, s], s:[s], s:[s, s]}", "name",
			o->env ? o->env : "sim", "description",
			"simulated cloud (calipso sim): fed by `calipso sim`, not by scans",
			"hosts", hosts, "switches", "name", "fabric", "netns", "sim-fabric",
			"pnic_names", "eth0", "eth1", "type_drivers", "vxlan",
			"mechanism_drivers", "openvswitch", "linuxbridge");
	return cfg;
}
