"""groundtruth.py - what Calipso should discover in a lab, computed
independently of Calipso: from `ip -j -d link`, `ip -j addr` and `ip -j netns
list-id` in each namespace, `ovs-vsctl -f json list` and `virsh dumpxml`,
following the rules of docs/model.md.

expected(lab) returns (objects, links): objects maps id -> a dict of the
fields worth comparing; links is a set of (source id, link type, target id).
"""

import fnmatch
import ipaddress

from lablib import ip_json, ovs_json, virsh_domains, virsh_domain


def _links_by_name(netns):
	return {l["ifname"]: l for l in ip_json(netns, "-d", "link")}


def _kind(link):
	return (link.get("linkinfo") or {}).get("info_kind", "")


def _nsid_names(netns):
	"""nsid -> namespace name, as seen from `netns` (unnamed ones absent)."""
	return {e["nsid"]: e.get("name") for e in ip_json(netns, "netns", "list-id")}


def _addresses(netns):
	"""device name -> set of IPv4/IPv6 addresses (no prefix)."""
	out = {}
	for d in ip_json(netns, "addr"):
		out[d["ifname"]] = {a["local"] for a in d.get("addr_info", [])}
	return out


class Truth:
	def __init__(self):
		self.objects = {}
		self.links = set()

	def obj(self, oid, type_, **fields):
		self.objects[oid] = dict(type=type_, **fields)

	def link(self, src, type_, dst):
		self.links.add((src, type_, dst))


def expected(lab):
	env = lab.environment
	t = Truth()
	globs = env.get("pnic_names", [])
	fabric = env["switches"][0]
	fab_links = {l["ifindex"]: l for l in ip_json(fabric["netns"], "-d", "link")}
	fab_bridges = {l["ifname"] for l in fab_links.values() if _kind(l) == "bridge"}
	t.obj(fabric["name"], "switch")
	for l in fab_links.values():
		if l.get("master") in fab_bridges:
			sp = f"{fabric['name']}:switch_pnic:{l['ifname']}"
			t.obj(sp, "switch_pnic", mac_address=l["address"])
			t.link(fabric["name"], "switch-switch_pnic", sp)
	networks = {}

	def network(ntype, seg):
		nid = f"{ntype}-{seg}"
		t.obj(nid, "network", segmentation_id=int(seg))
		return nid

	for host in env["hosts"]:
		h, hns = host["name"], host["netns"]
		t.obj(h, "host")
		links = _links_by_name(hns)
		addrs = _addresses(hns)
		nsids = _nsid_names(hns)
		# OVS, when the lab runs it.
		ovs_ifaces, ovs_ports, internal, port_net = {}, {}, set(), {}
		if host.get("ovsdb"):
			for i in ovs_json(host["ovsdb"], "Interface"):
				ovs_ifaces[i["name"]] = i
				if i["type"] == "internal":
					internal.add(i["name"])
			bridges = {b["_uuid"]: b for b in ovs_json(host["ovsdb"], "Bridge")}
			ports = {p["_uuid"]: p for p in ovs_json(host["ovsdb"], "Port")}
			for b in bridges.values():
				plist = b["ports"] if isinstance(b["ports"], list) else [b["ports"]]
				for pu in plist:
					p = ports[pu]
					ovs_ports[p["name"]] = b["name"]
					oc = p.get("other_config") or {}
					if oc.get("segmentation_id") and oc.get("network_type"):
						port_net[p["name"]] = network(oc["network_type"], oc["segmentation_id"])
			t.obj(f"{h}:vedge:ovs", "vedge")
		vedge = f"{h}:vedge:ovs"
		internal.update({"ovs-netdev", "ovs-system"})
		# libvirt domains: instances and their target devices.
		targets = {}
		for name in virsh_domains(host["libvirt"]):
			dom = virsh_domain(host["libvirt"], name)
			uuid = dom.findtext("uuid")
			t.obj(uuid, "instance", name=name)
			for ifc in dom.findall("devices/interface"):
				dev = ifc.find("target").get("dev")
				targets[dev] = uuid
				t.link(uuid, "instance-vnic", f"{h}:vnic:{dev}")
		pnics = {n for n, l in links.items() if any(fnmatch.fnmatch(n, g) for g in globs)}
		for n in pnics:
			l = links[n]
			t.obj(f"{h}:host_pnic:{n}", "host_pnic", mac_address=l["address"], mtu=l["mtu"],
			      operstate=l["operstate"].lower())
			if l.get("link_netnsid") is not None and \
			   nsids.get(l["link_netnsid"]) == fabric["netns"]:
				peer = fab_links[l["link_index"]]["ifname"]
				t.link(f"{h}:host_pnic:{n}", "host_pnic-switch_pnic",
				       f"{fabric['name']}:switch_pnic:{peer}")
			if n in ovs_ports:
				t.link(vedge, "vedge-host_pnic", f"{h}:host_pnic:{n}")
		bridges_k = {n for n, l in links.items() if _kind(l) == "bridge"}
		for b in bridges_k:
			t.obj(f"{h}:vconnector:{b}", "vconnector", mtu=links[b]["mtu"])
		for n, l in links.items():
			if l.get("master") in bridges_k and n in pnics:
				t.link(f"{h}:vconnector:{l['master']}", "vconnector-host_pnic",
				       f"{h}:host_pnic:{n}")
			# qvb in a bridge, its peer qvo an OVS port.
			if l.get("master") in bridges_k and _kind(l) == "veth" and l.get("link") in ovs_ports:
				t.link(f"{h}:vconnector:{l['master']}", "vconnector-vedge", vedge)
		# Kernel VXLAN endpoints.
		holder = {ip: dev for dev, ips in addrs.items() for ip in ips}
		kernel_oteps = {}
		for n, l in links.items():
			if _kind(l) != "vxlan":
				continue
			data = l["linkinfo"]["info_data"]
			otep = f"{h}:otep:vxlan-{data['local']}"
			kernel_oteps.setdefault(otep, set()).add(network("vxlan", data["id"]))
			t.obj(otep, "otep", ip_address=data["local"])
			if l.get("master") in bridges_k:
				t.link(f"{h}:vconnector:{l['master']}", "vconnector-otep", otep)
			dev = holder.get(data["local"])
			if dev in pnics:
				t.link(otep, "otep-host_pnic", f"{h}:host_pnic:{dev}")
				for net in kernel_oteps[otep]:
					t.link(f"{h}:host_pnic:{dev}", "host_pnic-network", net)
		# OVS tunnel endpoints: local IP on an internal port, NICs are the
		# system ports of that port's bridge.
		for i in ovs_ifaces.values():
			if i["type"] != "vxlan":
				continue
			local = i["options"]["local_ip"]
			otep = f"{h}:otep:vxlan-{local}"
			t.obj(otep, "otep", ip_address=local)
			t.link(vedge, "vedge-otep", otep)
			dev = holder.get(local)
			if dev in internal:
				for p, br in ovs_ports.items():
					if br == ovs_ports.get(dev) and p in pnics:
						t.link(otep, "otep-host_pnic", f"{h}:host_pnic:{p}")
						for net in set(port_net.values()):
							t.link(f"{h}:host_pnic:{p}", "host_pnic-network", net)
		# Instance vnics: host ends of veths into unnamed namespaces, taps.
		for n, l in links.items():
			k = _kind(l)
			into_vm = k == "veth" and l.get("link_netnsid") is not None and \
				nsids.get(l["link_netnsid"]) is None
			is_tap = k == "tun" and n not in internal
			if not (into_vm or is_tap):
				continue
			v = f"{h}:vnic:{n}"
			t.obj(v, "vnic")
			if l.get("master") in bridges_k:
				t.link(v, "vnic-vconnector", f"{h}:vconnector:{l['master']}")
			if n in ovs_ports:
				t.link(v, "vnic-vedge", vedge)
		# Services: named namespaces cabled to this host.
		for nsid, nsname in nsids.items():
			if not nsname or nsname == fabric["netns"] or \
			   any(nsname == o["netns"] for o in env["hosts"]):
				continue
			inner = _links_by_name(nsname)
			inner_ids = _nsid_names(nsname)
			if not any(l.get("link_netnsid") is not None and
				   inner_ids.get(l["link_netnsid"]) == hns for l in inner.values()):
				continue
			vs = f"{h}:vservice:{nsname}"
			stype = "dhcp" if nsname.startswith("qdhcp-") else \
				"router" if nsname.startswith("qrouter-") else "other"
			t.obj(vs, "vservice", service_type=stype)
			by_index = {l["ifindex"]: l for l in links.values()}
			for n, l in inner.items():
				if n == "lo":
					continue
				v = f"{h}:vnic:{nsname}/{n}"
				t.obj(v, "vnic", mac_address=l["address"])
				t.link(vs, "vservice-vnic", v)
				peer = by_index.get(l.get("link_index")) \
					if inner_ids.get(l.get("link_netnsid")) == hns else None
				if peer and peer.get("master") in bridges_k:
					t.link(v, "vnic-vconnector", f"{h}:vconnector:{peer['master']}")
				if peer and peer["ifname"] in ovs_ports:
					t.link(v, "vnic-vedge", vedge)
		del targets
	return t


def cidr_of(ip, prefixlen):
	return str(ipaddress.ip_interface(f"{ip}/{prefixlen}").network)
