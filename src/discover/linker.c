/* linker.c - derives links from objects (docs/model.md "Links").
 *
 * Every link finder matches on relations the builder wrote into objects
 * (bridge master, veth peer, OVS port, tunnel local IP, parent) through hash
 * indexes built once per call: devices by "host|netns|name", addresses by
 * "host|ip", OVS ports by "host|port".  Never a lookup by display name
 * across hosts, never a scan of all objects per object.  Cost is linear in
 * objects plus links.
 *
 * A link's state is "down" when either end reports an operational state of
 * down, so that setting an interface down shows on its links.
 */
#include "discover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lnk {
	const char *env;
	const json_t *objects;
	json_t *links;    /* output: id -> link */
	json_t *devs;     /* "host|netns|name" -> object */
	json_t *addrs;    /* "host|ip" -> {"obj": o} or {"vedge": o, "port": name} */
	json_t *ovsports; /* "host|port" -> vedge */
	json_t *pnic_nets; /* pnic id -> {network id: true} */
};

static const char *t_of(const json_t *o)
{
	return cal_json_str(o, CAL_F_TYPE);
}

static bool is_type(const json_t *o, const char *t)
{
	return o && strcmp(t_of(o), t) == 0;
}

static void key3(char *buf, size_t sz, const char *a, const char *b, const char *c)
{
	snprintf(buf, sz, "%s|%s|%s", a, b, c);
}

static bool lnk_is_down(const json_t *o)
{
	const char *s = cal_json_str(o, "operstate");

	return strcmp(s, "down") == 0 || strcmp(s, "lowerlayerdown") == 0;
}

/* Adds a link unless one with the same id exists. */
static json_t *lnk_add(struct lnk *l, const json_t *src, const json_t *dst, const char *name,
		       const char *network)
{
	const char *state = lnk_is_down(src) || lnk_is_down(dst) ? "down" : "up";
	json_t *link;
	const char *id;

	if (!src || !dst)
		return NULL;
	link = cal_link_new(l->env, src, dst, name, state, network,
			    cal_json_str_or_null(src, CAL_F_HOST)
				    ? cal_json_str(src, CAL_F_HOST)
				    : cal_json_str_or_null(dst, CAL_F_HOST));
	if (!link)
		return NULL;
	id = cal_json_str(link, CAL_F_ID);
	if (json_object_get(l->links, id)) {
		json_decref(link);
		return json_object_get(l->links, id);
	}
	json_object_set_new(l->links, id, link);
	return link;
}

static json_t *lnk_dev(struct lnk *l, const char *host, const char *netns, const char *name)
{
	char k[512];

	key3(k, sizeof(k), host, netns, name);
	return json_object_get(l->devs, k);
}

static void lnk_index(struct lnk *l)
{
	const char *id;
	json_t *o;
	char k[512];

	json_object_foreach((json_t *)l->objects, id, o) {
		const char *t = t_of(o);
		const char *host = cal_json_str(o, CAL_F_HOST);
		const char *ns = cal_json_str(o, "netns");
		size_t i;
		json_t *a;

		if (strcmp(t, "host_pnic") == 0 || strcmp(t, "vnic") == 0 ||
		    strcmp(t, "vconnector") == 0 || strcmp(t, "switch_pnic") == 0) {
			/* Device name: the part of the name after the namespace. */
			const char *dev = cal_json_str(o, CAL_F_NAME);
			const char *slash = *ns ? strchr(dev, '/') : NULL;

			key3(k, sizeof(k), host, ns, slash ? slash + 1 : dev);
			json_object_set(l->devs, k, o);
			/* A vnic standing for a veth pair also answers for its
			 * other end. */
			if (strcmp(t, "vnic") == 0 && json_object_get(o, "peer")) {
				json_t *p = json_object_get(o, "peer");

				key3(k, sizeof(k), cal_json_str(p, "host"), cal_json_str(p, "netns"),
				     cal_json_str(p, "name"));
				if (!json_object_get(l->devs, k))
					json_object_set(l->devs, k, o);
			}
			if (strcmp(t, "vnic") != 0 && !*ns) {
				json_array_foreach(json_object_get(o, "addresses"), i, a) {
					char ip[128];

					snprintf(ip, sizeof(ip), "%s", json_string_value(a));
					ip[strcspn(ip, "/")] = '\0';
					snprintf(k, sizeof(k), "%s|%s", host, ip);
					json_object_set_new(l->addrs, k, json_pack("{s:O}", "obj", o));
				}
			}
		} else if (strcmp(t, "vedge") == 0) {
			const char *pname;
			json_t *pd;

			json_object_foreach(json_object_get(o, "ports"), pname, pd) {
				snprintf(k, sizeof(k), "%s|%s", host, pname);
				json_object_set(l->ovsports, k, o);
				json_array_foreach(json_object_get(pd, "addresses"), i, a) {
					char ip[128];

					snprintf(ip, sizeof(ip), "%s", json_string_value(a));
					ip[strcspn(ip, "/")] = '\0';
					snprintf(k, sizeof(k), "%s|%s", host, ip);
					json_object_set_new(l->addrs, k,
							    json_pack("{s:O, s:s}", "vedge", o,
								      "port", pname));
				}
			}
		}
	}
}

static json_t *lnk_obj(struct lnk *l, const char *id)
{
	return id && *id ? json_object_get((json_t *)l->objects, id) : NULL;
}

static const char *lnk_net_name(struct lnk *l, const char *net)
{
	json_t *n = lnk_obj(l, net);

	return n ? cal_json_str(n, CAL_F_NAME) : net;
}

static void lnk_vnic(struct lnk *l, json_t *v)
{
	const char *host = cal_json_str(v, CAL_F_HOST);
	const char *net = cal_json_str_or_null(v, "network");
	json_t *owner = lnk_obj(l, cal_json_str(v, "instance_id"));
	json_t *ovs = json_object_get(v, "ovs");
	const char *master = cal_json_str(v, "master");
	const char *mns = cal_json_str(v, "netns");
	json_t *link;

	if (!owner)
		owner = lnk_obj(l, cal_json_str(v, CAL_F_PARENT_ID));
	if (is_type(owner, "instance"))
		lnk_add(l, owner, v, net ? lnk_net_name(l, net) : cal_json_str(v, CAL_F_NAME), net);
	else if (is_type(owner, "vservice"))
		lnk_add(l, owner, v, net ? lnk_net_name(l, net) : cal_json_str(v, CAL_F_NAME), net);
	if (!*master) {
		json_t *p = json_object_get(v, "peer");

		if (strcmp(cal_json_str(p, "host"), host) == 0) {
			master = cal_json_str(p, "master");
			mns = cal_json_str(p, "netns");
		}
	}
	if (*master) {
		json_t *br = lnk_dev(l, host, mns, master);

		if (is_type(br, "vconnector"))
			lnk_add(l, v, br, cal_json_str(v, "mac_address"), net);
	}
	if (ovs) {
		char k[512];
		json_t *vedge;

		snprintf(k, sizeof(k), "%s|%s", host, cal_json_str(ovs, "port"));
		vedge = json_object_get(l->ovsports, k);
		link = vedge ? lnk_add(l, v, vedge, cal_json_str(ovs, "port"), net) : NULL;
		if (link && json_object_get(v, "vlan_tag"))
			json_object_set(json_object_get(link, CAL_F_ATTRIBUTES), "vlan_tag",
					json_object_get(v, "vlan_tag"));
	}
}

static void lnk_vconnector(struct lnk *l, json_t *br)
{
	const char *host = cal_json_str(br, CAL_F_HOST);
	const char *ns = cal_json_str(br, "netns");
	size_t i;
	json_t *port;

	json_array_foreach(json_object_get(br, "interfaces"), i, port) {
		json_t *dev = lnk_dev(l, host, ns, cal_json_str(port, "name"));
		json_t *peer = json_object_get(port, "peer");

		if (is_type(dev, "host_pnic"))
			lnk_add(l, br, dev, cal_json_str(port, "name"),
				cal_json_str_or_null(port, "network"));
		/* qvb in the bridge, its veth peer qvo an OVS port. */
		if (peer && strcmp(cal_json_str(peer, "host"), host) == 0 &&
		    !*cal_json_str(peer, "netns")) {
			char k[512];
			json_t *vedge, *link, *pd;

			snprintf(k, sizeof(k), "%s|%s", host, cal_json_str(peer, "name"));
			vedge = json_object_get(l->ovsports, k);
			if (!vedge)
				continue;
			pd = json_object_get(json_object_get(vedge, "ports"),
					     cal_json_str(peer, "name"));
			link = lnk_add(l, br, vedge, cal_json_str(peer, "name"),
				       cal_json_str_or_null(pd, "network"));
			if (link && json_object_get(pd, "tag"))
				json_object_set(json_object_get(link, CAL_F_ATTRIBUTES), "vlan_tag",
						json_object_get(pd, "tag"));
		}
	}
}

static void lnk_pnic_network(struct lnk *l, json_t *pnic, const char *net)
{
	json_t *n = lnk_obj(l, net);
	json_t *seen;
	char *name;

	if (!n || !pnic)
		return;
	seen = json_object_get(l->pnic_nets, cal_json_str(pnic, CAL_F_ID));
	if (!seen) {
		seen = json_object();
		json_object_set_new(l->pnic_nets, cal_json_str(pnic, CAL_F_ID), seen);
	}
	if (json_object_get(seen, net))
		return;
	json_object_set_new(seen, net, json_true());
	name = cal_strdup_printf("Segment-%lld", (long long)cal_json_int(n, "segmentation_id", 0));
	lnk_add(l, pnic, n, name, net);
	free(name);
}

/* The physical NICs under an OVS bridge (br-phy's system ports). */
static void lnk_pnics_of_ovs_bridge(struct lnk *l, json_t *vedge, const char *bridge,
				    json_t *out)
{
	const char *host = cal_json_str(vedge, CAL_F_HOST);
	const char *pname;
	json_t *pd;

	json_object_foreach(json_object_get(vedge, "ports"), pname, pd) {
		json_t *dev;

		if (strcmp(cal_json_str(pd, "bridge"), bridge) != 0)
			continue;
		dev = lnk_dev(l, host, "", pname);
		if (is_type(dev, "host_pnic"))
			json_array_append(out, dev);
	}
}

static void lnk_otep(struct lnk *l, json_t *otep)
{
	const char *host = cal_json_str(otep, CAL_F_HOST);
	const char *ip = cal_json_str(otep, "ip_address");
	json_t *nets = json_object(), *pnics = json_array();
	json_t *vedge = lnk_obj(l, cal_json_str(otep, "vedge_id"));
	json_t *holder = NULL;
	char k[512];
	size_t i;
	json_t *ifc, *p;
	const char *net;
	json_t *x;

	/* Kernel VXLAN devices: the bridges they are ports of. */
	json_array_foreach(json_object_get(otep, "interfaces"), i, ifc) {
		const char *master = cal_json_str(ifc, "master");
		const char *inet = cal_json_str_or_null(ifc, "network");

		if (inet)
			json_object_set_new(nets, inet, json_true());
		if (*master) {
			json_t *br = lnk_dev(l, host, cal_json_str(otep, "netns"), master);

			if (is_type(br, "vconnector"))
				lnk_add(l, br, otep, cal_json_str(ifc, "name"), inet);
		}
	}
	/* OVS tunnels: the vedge, and the networks of its ports. */
	if (vedge) {
		const char *pname;
		json_t *pd;

		lnk_add(l, vedge, otep, cal_json_str(otep, CAL_F_NAME), NULL);
		json_object_foreach(json_object_get(vedge, "ports"), pname, pd) {
			const char *pn = cal_json_str_or_null(pd, "network");
			const char *nt = cal_json_str(lnk_obj(l, pn), "provider:network_type");

			/* Flat and VLAN networks leave through a physical bridge,
			 * not through the tunnels (lnk_host_pnic). */
			if (!pn || (*nt && strcmp(nt, "vxlan") != 0 && strcmp(nt, "gre") != 0 &&
				    strcmp(nt, "geneve") != 0))
				continue;
			json_object_set_new(nets, pn, json_true());
		}
	}
	/* The interface holding the local IP. */
	if (*ip) {
		snprintf(k, sizeof(k), "%s|%s", host, ip);
		holder = json_object_get(l->addrs, k);
	}
	if (holder && json_object_get(holder, "obj")) {
		json_t *o = json_object_get(holder, "obj");

		if (is_type(o, "host_pnic")) {
			lnk_add(l, otep, o, ip, NULL);
			json_array_append(pnics, o);
		} else if (is_type(o, "vconnector")) {
			lnk_add(l, otep, o, ip, NULL);
			json_array_foreach(json_object_get(o, "interfaces"), i, ifc) {
				json_t *dev = lnk_dev(l, host, "", cal_json_str(ifc, "name"));

				if (is_type(dev, "host_pnic"))
					json_array_append(pnics, dev);
			}
		}
	} else if (holder && json_object_get(holder, "vedge")) {
		/* A userspace tunnel's IP on an OVS internal port: the NICs
		 * are that OVS bridge's system ports. */
		json_t *ve = json_object_get(holder, "vedge");
		json_t *pd = json_object_get(json_object_get(ve, "ports"),
					     cal_json_str(holder, "port"));

		lnk_pnics_of_ovs_bridge(l, ve, cal_json_str(pd, "bridge"), pnics);
		json_array_foreach(pnics, i, p)
			lnk_add(l, otep, p, ip, NULL);
	} else if (*cal_json_str(otep, "underlay_device")) {
		json_t *dev = lnk_dev(l, host, "", cal_json_str(otep, "underlay_device"));

		if (is_type(dev, "host_pnic")) {
			lnk_add(l, otep, dev, cal_json_str(dev, CAL_F_NAME), NULL);
			json_array_append(pnics, dev);
		}
	}
	json_array_foreach(pnics, i, p)
		json_object_foreach(nets, net, x)
			lnk_pnic_network(l, p, net);
	json_decref(nets);
	json_decref(pnics);
}

static void lnk_vedge(struct lnk *l, json_t *vedge)
{
	const char *host = cal_json_str(vedge, CAL_F_HOST);
	const char *pname;
	json_t *pd;

	json_object_foreach(json_object_get(vedge, "ports"), pname, pd) {
		const char *type = cal_json_str(pd, "type");
		json_t *dev;

		if (*type && strcmp(type, "system") != 0)
			continue;
		dev = lnk_dev(l, host, "", pname);
		if (is_type(dev, "host_pnic"))
			lnk_add(l, vedge, dev, cal_json_str(pd, "bridge"), NULL);
	}
}

static void lnk_host_pnic(struct lnk *l, json_t *pnic)
{
	json_t *p = json_object_get(pnic, "peer");
	json_t *sp, *n;
	size_t i;

	/* Networks the builder found this NIC carries directly (a provider
	 * network mapped to the OVS bridge the NIC is in). */
	json_array_foreach(json_object_get(pnic, "network"), i, n)
		if (json_is_string(n))
			lnk_pnic_network(l, pnic, json_string_value(n));
	if (!p)
		return;
	sp = lnk_dev(l, cal_json_str(p, "host"), cal_json_str(p, "netns"), cal_json_str(p, "name"));
	if (is_type(sp, "switch_pnic"))
		lnk_add(l, pnic, sp, cal_json_str(sp, CAL_F_NAME), NULL);
}

int cal_link_objects(json_t **out, const char *env, const json_t *objects)
{
	struct lnk l = { .env = env, .objects = objects };
	const char *id;
	json_t *o;
	int rc = 0;

	*out = NULL;
	l.links = json_object();
	l.devs = json_object();
	l.addrs = json_object();
	l.ovsports = json_object();
	l.pnic_nets = json_object();
	if (!l.links || !l.devs || !l.addrs || !l.ovsports || !l.pnic_nets) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	lnk_index(&l);
	json_object_foreach((json_t *)objects, id, o) {
		const char *t = t_of(o);

		if (strcmp(t, "vnic") == 0)
			lnk_vnic(&l, o);
		else if (strcmp(t, "vconnector") == 0)
			lnk_vconnector(&l, o);
		else if (strcmp(t, "otep") == 0)
			lnk_otep(&l, o);
		else if (strcmp(t, "vedge") == 0)
			lnk_vedge(&l, o);
		else if (strcmp(t, "host_pnic") == 0)
			lnk_host_pnic(&l, o);
		else if (strcmp(t, "switch_pnic") == 0)
			lnk_add(&l, lnk_obj(&l, cal_json_str(o, CAL_F_PARENT_ID)), o,
				cal_json_str(o, CAL_F_NAME), NULL);
	}
	*out = l.links;
	l.links = NULL;
out:
	json_decref(l.links);
	json_decref(l.devs);
	json_decref(l.addrs);
	json_decref(l.ovsports);
	json_decref(l.pnic_nets);
	return rc;
}
