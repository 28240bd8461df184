/* builder_ovs.c - an Open vSwitch instance as a vedge, its tunnel ports as
 * oteps, and what OVS knows about the host's vnics (docs/model.md).
 *
 * One vedge per OVS instance (per host).  Its `ports` map keeps, per port,
 * what the linker matches on: the bridge, VLAN tag, interface type, patch
 * peer, Neutron's external_ids and other_config, and for internal ports the
 * addresses the kernel shows on them (a userspace tunnel's local IP lives
 * on such a port).  Counters go to the volatile `stats`.
 */
#include "builder_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bld_ovs_index(struct bld_host *h)
{
	json_t *ovs = json_object_get(h->report, "ovs");
	size_t i, k, m;
	json_t *br, *port, *ifc;

	json_array_foreach(json_object_get(ovs, "bridges"), i, br) {
		json_array_foreach(json_object_get(br, "ports"), k, port) {
			json_array_foreach(json_object_get(port, "interfaces"), m, ifc) {
				json_t *e = json_pack("{s:O, s:O, s:O}", "bridge", br, "port",
						      port, "iface", ifc);

				if (!e)
					return cal_error_set(CAL_ENOMEM, "out of memory");
				json_object_set_new(h->ovs_ifaces, cal_json_str(ifc, "name"), e);
			}
		}
	}
	return 0;
}

static bool ovs_is_tunnel(const char *type)
{
	return strcmp(type, "vxlan") == 0 || strcmp(type, "gre") == 0 ||
	       strcmp(type, "geneve") == 0 || strcmp(type, "stt") == 0;
}

/* The network a br-int port carries, from what Neutron's agent wrote. */
static const char *ovs_port_network(struct bld *b, const json_t *port)
{
	json_t *oc = json_object_get(port, "other_config");
	const char *type = cal_json_str(oc, "network_type");
	const char *seg = cal_json_str(oc, "segmentation_id");
	char *end;
	long long v;
	json_t *known = json_object_get(b->objects, cal_json_str(oc, "net_uuid"));

	/* Neutron's network itself, when the cloud report has it (flat
	 * networks have no segment to go by). */
	if (known && strcmp(cal_json_str(known, CAL_F_TYPE), "network") == 0)
		return cal_json_str(known, CAL_F_ID);
	if (!*type || !*seg)
		return NULL;
	v = strtoll(seg, &end, 10);
	if (*end || v < 0)
		return NULL;
	return bld_network(b, type, v);
}

/* The vnic object standing for device `dev` of this host's root namespace:
 * a vnic named after it, or a service's vnic whose host-side peer it is. */
static json_t *ovs_vnic_of_device(struct bld *b, struct bld_host *h, json_t *peer_index,
				  const char *dev)
{
	char *id = cal_id_host_object(h->host, CAL_T_VNIC, NULL, dev);
	json_t *v = id ? json_object_get(b->objects, id) : NULL;

	free(id);
	if (v)
		return v;
	return json_object_get(peer_index, dev);
}

static int ovs_oteps(struct bld *b, struct bld_host *h, json_t *vedge, json_t *tunnels)
{
	const char *key;
	json_t *g;

	json_object_foreach(tunnels, key, g) {
		const char *type = cal_json_str(g, "type");
		const char *local = cal_json_str(g, "local");
		json_int_t port = cal_json_int(g, "port", 0);
		char *name = cal_strdup_printf("%s-%s", type, *local ? local : "any");
		char *id = name ? cal_id_host_object(h->host, CAL_T_OTEP, NULL, name) : NULL;
		json_t *o = id ? cal_object_new(b->env, CAL_T_OTEP, id, name, h->host) : NULL;

		free(name);
		free(id);
		if (!o)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		cal_object_set_parent(o, h->host_obj);
		json_object_set_new(o, "overlay_type", json_string(type));
		json_object_set_new(o, "ip_address", json_string(local));
		if (port)
			json_object_set_new(o, "udp_port", json_integer(port));
		json_object_set(o, "peers", json_object_get(g, "peers"));
		json_object_set(o, "interfaces", json_object_get(g, "interfaces"));
		json_object_set_new(o, "vedge_id", json_string(cal_json_str(vedge, CAL_F_ID)));
		bld_add(b, h, o, "ovsdb");
	}
	return 0;
}

int bld_ovs_objects(struct bld *b, struct bld_host *h)
{
	json_t *ovs = json_object_get(h->report, "ovs");
	json_t *vedge, *bridges, *ports, *stats, *tunnel_ports, *tunnels, *peer_index, *dtypes;
	char *id;
	size_t i, k, m;
	json_t *br, *port, *ifc, *o;
	int rc = 0;

	if (!json_is_object(ovs))
		return 0;
	id = cal_id_host_object(h->host, CAL_T_VEDGE, NULL, "ovs");
	vedge = id ? cal_object_new(b->env, CAL_T_VEDGE, id, "ovs", h->host) : NULL;
	free(id);
	if (!vedge)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	cal_object_set_parent(vedge, h->host_obj);
	bridges = json_array();
	ports = json_object();
	stats = json_object();
	tunnel_ports = json_array();
	tunnels = json_object();
	peer_index = json_object();
	dtypes = json_object();
	/* Service vnics by the name of their host-side peer. */
	json_array_foreach(h->objs, i, o) {
		json_t *peer = json_object_get(o, "peer");

		if (strcmp(cal_json_str(o, CAL_F_TYPE), "vnic") == 0 && peer &&
		    !*cal_json_str(peer, "netns") && *cal_json_str(o, "netns"))
			json_object_set(peer_index, cal_json_str(peer, "name"), o);
	}
	json_object_set_new(vedge, "agent_type", json_string("Open vSwitch"));
	static const char *const top[] = { "ovs_version", "db_version", "system_id" };
	for (size_t t = 0; t < sizeof(top) / sizeof(top[0]); t++)
		if (*cal_json_str(ovs, top[t]))
			json_object_set_new(vedge, top[t], json_string(cal_json_str(ovs, top[t])));
	if (*cal_json_str(ovs, "remote"))
		json_object_set_new(vedge, "ovsdb_remote", json_string(cal_json_str(ovs, "remote")));

	json_array_foreach(json_object_get(ovs, "bridges"), i, br) {
		json_t *bdesc = json_pack("{s:s, s:s, s:s, s:[]}", "name", cal_json_str(br, "name"),
					  "datapath_type", cal_json_str(br, "datapath_type"),
					  "fail_mode", cal_json_str(br, "fail_mode"), "ports");

		if (json_object_get(br, "controller"))
			json_object_set(bdesc, "controller", json_object_get(br, "controller"));
		if (*cal_json_str(br, "datapath_type"))
			json_object_set_new(dtypes, cal_json_str(br, "datapath_type"), json_true());
		json_array_foreach(json_object_get(br, "ports"), k, port) {
			const char *pname = cal_json_str(port, "name");
			const char *net = ovs_port_network(b, port);
			json_t *pdesc = json_pack("{s:s}", "bridge", cal_json_str(br, "name"));

			json_array_append_new(json_object_get(bdesc, "ports"), json_string(pname));
			if (json_object_get(port, "tag") && !json_is_null(json_object_get(port, "tag")))
				json_object_set(pdesc, "tag", json_object_get(port, "tag"));
			if (json_array_size(json_object_get(port, "trunks")))
				json_object_set(pdesc, "trunks", json_object_get(port, "trunks"));
			if (net)
				json_object_set_new(pdesc, "network", json_string(net));
			json_array_foreach(json_object_get(port, "interfaces"), m, ifc) {
				const char *iname = cal_json_str(ifc, "name");
				const char *itype = cal_json_str(ifc, "type");
				json_t *opts = json_object_get(ifc, "options");
				json_t *ext = json_object_get(ifc, "external_ids");
				json_t *kl = json_object_get(h->root_links, iname);
				json_t *v;

				/* One interface per port in practice; bonds list the
				 * members under the port. */
				if (m == 0) {
					json_object_set_new(pdesc, "type", json_string(itype));
					if (json_object_get(ifc, "ofport"))
						json_object_set(pdesc, "ofport",
								json_object_get(ifc, "ofport"));
					if (*cal_json_str(ifc, "admin_state"))
						json_object_set_new(pdesc, "admin_state",
								    json_string(cal_json_str(ifc,
									    "admin_state")));
					if (*cal_json_str(ifc, "link_state"))
						json_object_set_new(pdesc, "link_state",
								    json_string(cal_json_str(ifc,
									    "link_state")));
					if (json_object_size(ext))
						json_object_set(pdesc, "external_ids", ext);
				} else {
					json_t *mem = json_object_get(pdesc, "members");

					if (!mem) {
						mem = json_array();
						json_object_set_new(pdesc, "members", mem);
					}
					json_array_append_new(mem, json_string(iname));
				}
				if (json_object_get(ifc, "statistics"))
					json_object_set(stats, iname,
							json_object_get(ifc, "statistics"));
				if (strcmp(itype, "patch") == 0 && *cal_json_str(opts, "peer"))
					json_object_set_new(pdesc, "peer",
							    json_string(cal_json_str(opts, "peer")));
				if (strcmp(itype, "internal") == 0 && kl)
					json_object_set_new(pdesc, "addresses", bld_addresses(kl));
				if (ovs_is_tunnel(itype)) {
					const char *local = cal_json_str(opts, "local_ip");
					const char *dport = cal_json_str(opts, "dst_port");
					json_int_t portno = *dport ? strtoll(dport, NULL, 10)
						: strcmp(itype, "vxlan") == 0	 ? 4789
						: strcmp(itype, "geneve") == 0 ? 6081
									       : 0;
					char gk[160];
					json_t *g, *peer;

					snprintf(gk, sizeof(gk), "%s|%s|%lld", itype, local,
						 (long long)portno);
					g = json_object_get(tunnels, gk);
					if (!g) {
						g = json_pack("{s:s, s:s, s:I, s:[], s:[]}", "type",
							      itype, "local", local, "port", portno,
							      "peers", "interfaces");
						json_object_set_new(tunnels, gk, g);
					}
					peer = json_pack("{s:s, s:s, s:s}", "remote_ip",
							 cal_json_str(opts, "remote_ip"), "interface",
							 iname, "key", cal_json_str(opts, "key"));
					json_array_append_new(json_object_get(g, "peers"), peer);
					json_array_append_new(json_object_get(g, "interfaces"),
							      json_pack("{s:s, s:s}", "name", iname,
									"bridge",
									cal_json_str(br, "name")));
					json_array_append_new(tunnel_ports, json_string(iname));
					json_object_set_new(pdesc, "remote_ip",
							    json_string(cal_json_str(opts,
										     "remote_ip")));
				}
				/* What OVS knows of the host's vnics. */
				v = ovs_vnic_of_device(b, h, peer_index, iname);
				if (v && strcmp(itype, "internal") != 0) {
					json_t *info = json_pack("{s:s, s:s}", "bridge",
								 cal_json_str(br, "name"), "port",
								 pname);

					if (json_object_size(ext))
						json_object_set(info, "external_ids", ext);
					json_object_set_new(v, "ovs", info);
					if (json_object_get(pdesc, "tag"))
						json_object_set(v, "vlan_tag",
								json_object_get(pdesc, "tag"));
					if (*cal_json_str(ext, "iface-id") &&
					    !json_object_get(v, "port_id"))
						json_object_set_new(v, "port_id",
								    json_string(cal_json_str(ext,
									    "iface-id")));
					if (net && !json_object_get(v, "network"))
						json_object_set_new(v, "network", json_string(net));
					/* Nova's vm-uuid ties a tap to its instance. */
					if (*cal_json_str(ext, "vm-uuid") &&
					    !json_object_get(v, "instance_id") &&
					    json_object_get(h->lv_instances,
							    cal_json_str(ext, "vm-uuid"))) {
						json_t *inst = json_object_get(
							h->lv_instances, cal_json_str(ext, "vm-uuid"));

						json_object_set_new(v, "instance_id",
								    json_string(cal_json_str(inst,
									    CAL_F_ID)));
						cal_object_set_parent(v, inst);
					}
				}
			}
			json_object_set_new(ports, pname, pdesc);
		}
		json_array_append_new(bridges, bdesc);
	}
	{
		const char *dt;
		json_t *x;
		char buf[128] = "";

		json_object_foreach(dtypes, dt, x) {
			if (*buf)
				strncat(buf, ",", sizeof(buf) - strlen(buf) - 1);
			strncat(buf, dt, sizeof(buf) - strlen(buf) - 1);
		}
		if (*buf)
			json_object_set_new(vedge, "datapath_types", json_string(buf));
	}
	/* A Linux bridge cabled to an OVS port (hybrid plugging: qvb in qbr,
	 * qvo on br-int) carries the port's network. */
	json_array_foreach(h->objs, i, o) {
		json_t *nets;

		if (strcmp(cal_json_str(o, CAL_F_TYPE), "vconnector") != 0)
			continue;
		nets = json_object_get(o, "network");
		json_array_foreach(json_object_get(o, "interfaces"), k, ifc) {
			json_t *peer = json_object_get(ifc, "peer");
			json_t *pd = json_object_get(ports, cal_json_str(peer, "name"));
			const char *net = cal_json_str_or_null(pd, "network");
			bool have = false;
			json_t *x;

			if (!peer || *cal_json_str(peer, "netns") || !net)
				continue;
			json_object_set_new(ifc, "network", json_string(net));
			json_array_foreach(nets, m, x)
				have |= strcmp(json_string_value(x), net) == 0;
			if (!have)
				json_array_append_new(nets, json_string(net));
		}
	}
	json_object_set_new(vedge, "bridges", bridges);
	json_object_set_new(vedge, "ports", ports);
	json_object_set_new(vedge, "tunnel_ports", tunnel_ports);
	json_object_set_new(vedge, "stats", stats);
	vedge = bld_add(b, h, vedge, "ovsdb");
	if (vedge)
		rc = ovs_oteps(b, h, vedge, tunnels);
	json_decref(tunnels);
	json_decref(peer_index);
	json_decref(dtypes);
	return rc;
}
