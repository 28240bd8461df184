/* builder_openstack.c - the cloud report's "openstack" section as
 * objects, joined to what the host reports found (docs/openstack.md).
 *
 * Tree: region > availability zone > host > instance, network agent;
 * region > aggregate; project > network > port.  OpenStack objects keep
 * their UUIDs (regions their id, availability zones
 * "<region>:availability_zone:<name>").
 *
 * Joining, never by display name, only by the identities Neutron and Nova
 * write into the data plane:
 *   - a Nova server is the instance whose id is its UUID: a libvirt domain
 *     of that UUID, or the container namespace cabled to a device whose OVS
 *     external_ids vm-uuid is that UUID or whose name carries the prefix of
 *     one of the server's port UUIDs (tap/qvo/qvb/qbr + port id[:11]);
 *   - a vnic gets its Neutron port from OVS external_ids iface-id or from
 *     the port UUID prefix of its device name (tap, qvo, qvb, qr-, qg-,
 *     ns-, ha-, sg-), and from that port its network and instance;
 *   - br-int ports name their network by Port other_config net_uuid, or by
 *     their local VLAN tag where another port of the same host gives it;
 *   - the kernel's `vxlan-<vni>` networks are the Neutron networks of that
 *     segmentation id (the builder's network index is filled before the
 *     hosts are built, so bld_network() answers with the Neutron UUID);
 *   - qdhcp-<network> and qrouter-<router> namespaces are the DHCP servers
 *     and routers, on the host Neutron bound their ports to
 *     (binding:host_id); the same ids are used when the host itself was
 *     not scanned.
 *
 * The cloud report is trusted to be well-formed JSON, not complete.
 * Single-threaded; every lookup goes through a hash index built once.
 */
#include "builder_private.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOS_PREFIX_LEN 11

struct bld_os {
	json_t *sec;          /* the "openstack" section (borrowed) */
	const char *when;     /* its scan time */
	const char *kept;     /* kept_from, when the section is last good data */
	const char *region;   /* region id of the tree */
	json_t *region_obj;
	json_t *projects;     /* id -> project object */
	json_t *azs;          /* name -> az object */
	json_t *host_az;      /* host -> az name */
	json_t *networks;     /* id -> network object */
	json_t *ports;        /* id -> API port */
	json_t *prefixes;     /* port id[:11] -> API port, or null when ambiguous */
	json_t *servers;      /* id -> API server */
	json_t *server_ports; /* server id -> [API port] */
	json_t *flavors;      /* id -> API flavor */
	json_t *hypervisors;  /* host -> API hypervisor */
	json_t *host_roles;   /* host -> {"Compute": true, ...} */
	json_t *host_services;/* host -> [binary] */
};

static struct bld_os *bos_of(struct bld *b)
{
	return b->os;
}

static json_t *bos_add(struct bld *b, json_t *obj)
{
	struct bld_os *os = bos_of(b);
	json_t *o;

	if (!obj)
		return NULL;
	o = bld_add(b, NULL, obj, "openstack");
	if (o)
		json_object_set_new(o, CAL_F_LAST_SCANNED,
				    json_string(os->kept ? os->kept : os->when));
	return o;
}

static const char *bos_project_of(const json_t *x)
{
	const char *p = cal_json_str(x, "project_id");

	return *p ? p : cal_json_str(x, "tenant_id");
}

static void bos_set_str(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

static void bos_copy(json_t *o, const char *to, const json_t *from, const char *k)
{
	json_t *v = json_object_get(from, k);

	if (v && !json_is_null(v))
		json_object_set(o, to, v);
}

static void bos_append_unique(json_t *o, const char *key, const char *v)
{
	json_t *arr = json_object_get(o, key);
	size_t i;
	json_t *x;

	if (!v || !*v)
		return;
	if (!json_is_array(arr)) {
		arr = json_array();
		json_object_set_new(o, key, arr);
	}
	json_array_foreach(arr, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), v) == 0)
			return;
	json_array_append_new(arr, json_string(v));
}

/* The 11 characters after a known device prefix, or NULL. */
static const char *bos_dev_prefix(const char *dev, char buf[BOS_PREFIX_LEN + 1])
{
	static const char *const pre[] = { "tap", "qvo", "qvb", "qbr", "qr-", "qg-", "ns-",
					   "ha-", "sg-", "rfp-", "fpr-", NULL };

	for (const char *const *p = pre; *p; p++) {
		size_t n = strlen(*p);

		if (strncmp(dev, *p, n) == 0 && strlen(dev + n) == BOS_PREFIX_LEN) {
			memcpy(buf, dev + n, BOS_PREFIX_LEN);
			buf[BOS_PREFIX_LEN] = '\0';
			return buf;
		}
	}
	return NULL;
}

/* The Neutron port a device name stands for (its UUID prefix). */
static json_t *bos_port_of_dev(struct bld_os *os, const char *dev)
{
	char buf[BOS_PREFIX_LEN + 1];
	const char *p = bos_dev_prefix(dev, buf);
	json_t *v = p ? json_object_get(os->prefixes, p) : NULL;

	return json_is_object(v) ? v : NULL;
}

/* ------------------------------------------------------------------ */
/* Before the hosts: indexes, regions, zones, projects, networks       */
/* ------------------------------------------------------------------ */

static void bos_index(struct bld_os *os)
{
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(os->sec, "ports"), i, x) {
		const char *id = cal_json_str(x, "id");
		char pre[BOS_PREFIX_LEN + 1];

		if (strlen(id) < BOS_PREFIX_LEN)
			continue;
		json_object_set(os->ports, id, x);
		memcpy(pre, id, BOS_PREFIX_LEN);
		pre[BOS_PREFIX_LEN] = '\0';
		/* Two ports sharing a prefix: names cannot tell them apart. */
		json_object_set(os->prefixes, pre, json_object_get(os->prefixes, pre) ? json_null()
										      : x);
		if (strncmp(cal_json_str(x, "device_owner"), "compute:", 8) == 0) {
			json_t *l = json_object_get(os->server_ports, cal_json_str(x, "device_id"));

			if (!l) {
				l = json_array();
				json_object_set_new(os->server_ports, cal_json_str(x, "device_id"), l);
			}
			json_array_append(l, x);
		}
	}
	json_array_foreach(json_object_get(os->sec, "servers"), i, x)
		json_object_set(os->servers, cal_json_str(x, "id"), x);
	json_array_foreach(json_object_get(os->sec, "flavors"), i, x)
		json_object_set(os->flavors, cal_json_str(x, "id"), x);
	json_array_foreach(json_object_get(os->sec, "hypervisors"), i, x) {
		const char *h = cal_json_str(json_object_get(x, "service"), "host");

		json_object_set(os->hypervisors, *h ? h : cal_json_str(x, "hypervisor_hostname"), x);
	}
}

static void bos_role(struct bld_os *os, const char *host, const char *role)
{
	json_t *r;

	if (!host || !*host)
		return;
	r = json_object_get(os->host_roles, host);
	if (!r) {
		r = json_object();
		json_object_set_new(os->host_roles, host, r);
	}
	if (role)
		json_object_set_new(r, role, json_true());
}

static void bos_service(struct bld_os *os, const char *host, const char *binary)
{
	json_t *l = json_object_get(os->host_services, host);
	size_t i;
	json_t *x;

	if (!l) {
		l = json_array();
		json_object_set_new(os->host_services, host, l);
	}
	json_array_foreach(l, i, x)
		if (strcmp(json_string_value(x), binary) == 0)
			return;
	json_array_append_new(l, json_string(binary));
}

/* Hosts and their roles: hypervisors and nova-compute are Compute, the
 * other Nova services Controller, DHCP/L3/metadata agents Network. */
static void bos_roles(struct bld_os *os)
{
	size_t i;
	json_t *x;
	const char *h;

	json_object_foreach(os->hypervisors, h, x)
		bos_role(os, h, "Compute");
	json_array_foreach(json_object_get(os->sec, "services"), i, x) {
		const char *bin = cal_json_str(x, "binary");

		h = cal_json_str(x, "host");
		if (!*h)
			continue;
		bos_service(os, h, bin);
		bos_role(os, h, strcmp(bin, "nova-compute") == 0 ? "Compute" : "Controller");
		if (strcmp(bin, "nova-compute") == 0 && *cal_json_str(x, "zone"))
			json_object_set_new(os->host_az, h, json_string(cal_json_str(x, "zone")));
	}
	json_array_foreach(json_object_get(os->sec, "agents"), i, x) {
		const char *bin = cal_json_str(x, "binary");
		const char *type = cal_json_str(x, "agent_type");

		h = cal_json_str(x, "host");
		if (!*h)
			continue;
		bos_service(os, h, bin);
		if (strstr(type, "DHCP") || strstr(type, "L3") || strstr(type, "Metadata"))
			bos_role(os, h, "Network");
		else
			bos_role(os, h, NULL);
	}
	/* Zones as Nova lists them win over the service's zone. */
	json_array_foreach(json_object_get(os->sec, "availability_zones"), i, x) {
		const char *zone = cal_json_str(x, "zoneName");
		json_t *hv;

		json_object_foreach(json_object_get(x, "hosts"), h, hv) {
			if (json_object_get(hv, "nova-compute"))
				json_object_set_new(os->host_az, h, json_string(zone));
		}
	}
}

static int bos_structure(struct bld *b)
{
	struct bld_os *os = bos_of(b);
	size_t i;
	json_t *x, *o;

	/* The region of the tree: the configured one, else the first. */
	os->region = cal_json_str(os->sec, "region");
	if (!*os->region)
		os->region = cal_json_str(json_array_get(json_object_get(os->sec, "regions"), 0),
					  "id");
	if (!*os->region)
		os->region = "RegionOne";
	json_array_foreach(json_object_get(os->sec, "regions"), i, x) {
		o = cal_object_new(b->env, CAL_T_REGION, cal_json_str(x, "id"),
				   cal_json_str(x, "id"), NULL);
		if (!o)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		bos_set_str(o, "description", cal_json_str(x, "description"));
		o = bos_add(b, o);
		if (o && strcmp(cal_json_str(o, CAL_F_ID), os->region) == 0)
			os->region_obj = o;
	}
	if (!os->region_obj) {
		o = cal_object_new(b->env, CAL_T_REGION, os->region, os->region, NULL);
		os->region_obj = bos_add(b, o);
		if (!os->region_obj)
			return cal_error_set(CAL_ENOMEM, "region '%s' cannot be added", os->region);
	}
	json_array_foreach(json_object_get(os->sec, "availability_zones"), i, x) {
		const char *zone = cal_json_str(x, "zoneName");
		char *id = cal_strdup_printf("%s:availability_zone:%s", os->region, zone);

		if (!*zone || strcmp(zone, "internal") == 0) {
			free(id);
			continue;
		}
		o = id ? cal_object_new(b->env, CAL_T_AVAILABILITY_ZONE, id, zone, NULL) : NULL;
		free(id);
		if (!o)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		cal_object_set_parent(o, os->region_obj);
		json_object_set_new(o, "available",
				    json_boolean(json_is_true(json_object_get(
					    json_object_get(x, "zoneState"), "available"))));
		o = bos_add(b, o);
		if (o)
			json_object_set(os->azs, zone, o);
	}
	json_array_foreach(json_object_get(os->sec, "aggregates"), i, x) {
		const char *uuid = cal_json_str(x, "uuid");
		char *id = *uuid ? strdup(uuid)
				 : cal_strdup_printf("%s:aggregate:%lld", os->region,
						     (long long)cal_json_int(x, "id", 0));

		o = id ? cal_object_new(b->env, CAL_T_AGGREGATE, id, cal_json_str(x, "name"), NULL)
		       : NULL;
		free(id);
		if (!o)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		cal_object_set_parent(o, os->region_obj);
		bos_set_str(o, "availability_zone", cal_json_str(x, "availability_zone"));
		bos_set_str(o, "uuid", uuid);
		bos_copy(o, "hosts", x, "hosts");
		bos_copy(o, "metadata", x, "metadata");
		bos_add(b, o);
	}
	json_array_foreach(json_object_get(os->sec, "projects"), i, x) {
		o = cal_object_new(b->env, CAL_T_PROJECT, cal_json_str(x, "id"),
				   cal_json_str(x, "name"), NULL);
		if (!o)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		bos_set_str(o, "description", cal_json_str(x, "description"));
		bos_set_str(o, "domain_id", cal_json_str(x, "domain_id"));
		bos_copy(o, "enabled", x, "enabled");
		o = bos_add(b, o);
		if (o)
			json_object_set(os->projects, cal_json_str(o, CAL_F_ID), o);
	}
	return 0;
}

static int bos_networks(struct bld *b)
{
	struct bld_os *os = bos_of(b);
	json_t *subnets = json_object();
	size_t i, k;
	json_t *x, *o, *s;

	json_array_foreach(json_object_get(os->sec, "subnets"), i, x) {
		const char *net = cal_json_str(x, "network_id");
		json_t *l = json_object_get(subnets, net);

		if (!l) {
			l = json_array();
			json_object_set_new(subnets, net, l);
		}
		json_array_append(l, x);
	}
	json_array_foreach(json_object_get(os->sec, "networks"), i, x) {
		const char *id = cal_json_str(x, "id");
		const char *type = cal_json_str(x, "provider:network_type");
		json_t *seg = json_object_get(x, "provider:segmentation_id");
		json_t *proj = json_object_get(os->projects, bos_project_of(x));
		json_t *sl = json_array(), *cidrs = json_array();

		o = cal_object_new(b->env, CAL_T_NETWORK, id, *cal_json_str(x, "name")
					   ? cal_json_str(x, "name") : id, NULL);
		if (!o) {
			json_decref(sl);
			json_decref(cidrs);
			json_decref(subnets);
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
		if (proj)
			cal_object_set_parent(o, proj);
		bos_set_str(o, "uuid", id);
		bos_set_str(o, "provider:network_type", type);
		bos_set_str(o, "provider:physical_network",
			    cal_json_str(x, "provider:physical_network"));
		if (json_is_integer(seg))
			json_object_set(o, "segmentation_id", seg);
		bos_set_str(o, "project_id", bos_project_of(x));
		if (proj)
			bos_set_str(o, "project", cal_json_str(proj, CAL_F_NAME));
		bos_copy(o, "shared", x, "shared");
		bos_copy(o, "router:external", x, "router:external");
		bos_copy(o, "admin_state_up", x, "admin_state_up");
		bos_copy(o, "mtu", x, "mtu");
		bos_set_str(o, "status_os", cal_json_str(x, "status"));
		bos_copy(o, "segments", x, "segments");
		json_array_foreach(json_object_get(subnets, id), k, s) {
			json_t *d = json_pack("{s:s, s:s, s:s}", "id", cal_json_str(s, "id"), "name",
					      cal_json_str(s, "name"), "cidr", cal_json_str(s, "cidr"));

			bos_copy(d, "gateway_ip", s, "gateway_ip");
			bos_copy(d, "enable_dhcp", s, "enable_dhcp");
			bos_copy(d, "ip_version", s, "ip_version");
			json_array_append_new(sl, d);
			json_array_append_new(cidrs, json_string(cal_json_str(s, "cidr")));
		}
		json_object_set_new(o, "subnets", sl);
		json_object_set_new(o, "cidrs", cidrs);
		o = bos_add(b, o);
		if (!o)
			continue;
		json_object_set(os->networks, id, o);
		/* Data-plane segments are this network (bld_network). */
		if (*type && json_is_integer(seg)) {
			char key[64];

			snprintf(key, sizeof(key), "%s:%lld", type, (long long)json_integer_value(seg));
			json_object_set_new(b->networks, key, json_string(id));
		}
	}
	/* Multi-segment networks (segments extension). */
	json_array_foreach(json_object_get(os->sec, "segments"), i, x) {
		json_t *seg = json_object_get(x, "segmentation_id");
		char key[64];

		if (!json_is_integer(seg) || !*cal_json_str(x, "network_type") ||
		    !json_object_get(os->networks, cal_json_str(x, "network_id")))
			continue;
		snprintf(key, sizeof(key), "%s:%lld", cal_json_str(x, "network_type"),
			 (long long)json_integer_value(seg));
		if (!json_object_get(b->networks, key))
			json_object_set_new(b->networks, key,
					    json_string(cal_json_str(x, "network_id")));
	}
	json_decref(subnets);
	return 0;
}

int bld_os_begin(struct bld *b, const json_t *reports)
{
	struct bld_os *os;
	size_t i;
	json_t *r;
	int rc;

	json_array_foreach(reports, i, r) {
		if (strcmp(cal_json_str(r, "role"), "cloud") != 0 ||
		    !json_is_object(json_object_get(r, "openstack")))
			continue;
		os = calloc(1, sizeof(*os));
		if (!os)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		b->os = os;
		os->sec = json_object_get(r, "openstack");
		os->when = cal_json_str(r, "scanned_at");
		{
			size_t k;
			json_t *s;

			json_array_foreach(json_object_get(r, "sources"), k, s)
				if (json_is_string(json_object_get(s, "kept_from")))
					os->kept = cal_json_str(s, "kept_from");
		}
		os->projects = json_object();
		os->azs = json_object();
		os->host_az = json_object();
		os->networks = json_object();
		os->ports = json_object();
		os->prefixes = json_object();
		os->servers = json_object();
		os->server_ports = json_object();
		os->flavors = json_object();
		os->hypervisors = json_object();
		os->host_roles = json_object();
		os->host_services = json_object();
		if (!os->projects || !os->azs || !os->host_az || !os->networks || !os->ports ||
		    !os->prefixes || !os->servers || !os->server_ports || !os->flavors ||
		    !os->hypervisors || !os->host_roles || !os->host_services)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		bos_index(os);
		bos_roles(os);
		if ((rc = bos_structure(b)) || (rc = bos_networks(b)))
			return rc;
		/* One cloud per environment. */
		break;
	}
	return 0;
}

void bld_os_end(struct bld *b)
{
	struct bld_os *os = bos_of(b);

	if (!os)
		return;
	json_decref(os->projects);
	json_decref(os->azs);
	json_decref(os->host_az);
	json_decref(os->networks);
	json_decref(os->ports);
	json_decref(os->prefixes);
	json_decref(os->servers);
	json_decref(os->server_ports);
	json_decref(os->flavors);
	json_decref(os->hypervisors);
	json_decref(os->host_roles);
	json_decref(os->host_services);
	free(os);
	b->os = NULL;
}

/* ------------------------------------------------------------------ */
/* Hosts                                                               */
/* ------------------------------------------------------------------ */

/* The parent of host `name`: its availability zone, else the region. */
static json_t *bos_host_parent(struct bld_os *os, const char *name)
{
	json_t *az = json_object_get(os->azs, cal_json_str(os->host_az, name));

	return az ? az : os->region_obj;
}

void bld_os_host_parent(struct bld *b, struct bld_host *h)
{
	struct bld_os *os = bos_of(b);

	if (!os || !json_object_get(os->host_roles, h->host))
		return;
	cal_object_set_parent(h->host_obj, bos_host_parent(os, h->host));
}

/* What OpenStack knows of a host, merged into its object. */
static void bos_host_facts(struct bld_os *os, json_t *host)
{
	const char *name = cal_json_str(host, CAL_F_ID);
	json_t *hv = json_object_get(os->hypervisors, name);
	json_t *roles = json_object_get(os->host_roles, name);
	const char *role;
	json_t *x;

	json_object_foreach(roles, role, x)
		bos_append_unique(host, "host_type", role);
	bos_set_str(host, "availability_zone", cal_json_str(os->host_az, name));
	bos_set_str(host, "region", os->region);
	if (json_object_get(os->host_services, name))
		json_object_set(host, "services", json_object_get(os->host_services, name));
	if (hv) {
		bos_set_str(host, "hypervisor_type", cal_json_str(hv, "hypervisor_type"));
		bos_set_str(host, "ip_address", cal_json_str(hv, "host_ip"));
		bos_set_str(host, "state", cal_json_str(hv, "state"));
		if (json_is_integer(json_object_get(hv, "vcpus")))
			bos_copy(host, "vcpus", hv, "vcpus");
		if (json_is_integer(json_object_get(hv, "memory_mb")))
			bos_copy(host, "memory_mb", hv, "memory_mb");
	}
}

/* The instance object of a server, created under `parent` or enriched
 * when a libvirt domain of that UUID made it already. */
static json_t *bos_instance(struct bld *b, const json_t *srv, json_t *parent, const char *host)
{
	struct bld_os *os = bos_of(b);
	const char *id = cal_json_str(srv, "id");
	json_t *inst = json_object_get(b->objects, id);
	json_t *proj = json_object_get(os->projects, cal_json_str(srv, "tenant_id"));
	json_t *flavor = json_object_get(srv, "flavor");
	json_t *ports = json_object_get(os->server_ports, id);
	json_t *ni = json_array();
	const char *name = cal_json_str(srv, "name");
	size_t i;
	json_t *p;

	if (!inst) {
		inst = cal_object_new(b->env, CAL_T_INSTANCE, id, *name ? name : id, host);
		if (!inst) {
			json_decref(ni);
			return NULL;
		}
		inst = bos_add(b, inst);
		if (!inst) {
			json_decref(ni);
			return NULL;
		}
	} else if (*name) {
		/* A libvirt domain: its Nova name is what operators call it. */
		json_object_set_new(inst, CAL_F_NAME, json_string(name));
		json_object_set_new(inst, CAL_F_OBJECT_NAME, json_string(name));
	}
	cal_object_set_parent(inst, parent);
	bos_set_str(inst, "uuid", id);
	bos_set_str(inst, "project_id", cal_json_str(srv, "tenant_id"));
	if (proj)
		bos_set_str(inst, "project", cal_json_str(proj, CAL_F_NAME));
	if (*cal_json_str(flavor, "original_name"))
		bos_set_str(inst, "flavor", cal_json_str(flavor, "original_name"));
	else if (json_object_get(os->flavors, cal_json_str(flavor, "id")))
		bos_set_str(inst, "flavor", cal_json_str(json_object_get(os->flavors,
									cal_json_str(flavor, "id")),
							 "name"));
	bos_set_str(inst, "image", cal_json_str(json_object_get(srv, "image"), "id"));
	bos_set_str(inst, "status_os", cal_json_str(srv, "status"));
	if (!json_object_get(inst, "state"))
		bos_set_str(inst, "state", cal_json_str(srv, "OS-EXT-STS:vm_state"));
	bos_set_str(inst, "availability_zone", cal_json_str(srv, "OS-EXT-AZ:availability_zone"));
	bos_set_str(inst, "hypervisor", cal_json_str(srv, "OS-EXT-SRV-ATTR:hypervisor_hostname"));
	if (json_is_object(json_object_get(srv, "addresses")))
		bos_copy(inst, "addresses_os", srv, "addresses");
	json_array_foreach(ports, i, p) {
		json_array_append_new(ni, json_pack("{s:s, s:s, s:s, s:O}", "port_id",
						    cal_json_str(p, "id"), "network_id",
						    cal_json_str(p, "network_id"), "mac_address",
						    cal_json_str(p, "mac_address"), "fixed_ips",
						    json_object_get(p, "fixed_ips")
							    ? json_object_get(p, "fixed_ips")
							    : json_null()));
		bos_append_unique(inst, "network", cal_json_str(p, "network_id"));
		if (!*cal_json_str(inst, "mac_address"))
			bos_set_str(inst, "mac_address", cal_json_str(p, "mac_address"));
	}
	json_object_set_new(inst, "network_info", ni);
	return inst;
}

int bld_os_host_instances(struct bld *b, struct bld_host *h)
{
	struct bld_os *os = bos_of(b);
	size_t i;
	json_t *srv;

	if (!os)
		return 0;
	json_array_foreach(json_object_get(os->sec, "servers"), i, srv) {
		json_t *inst;

		if (strcmp(cal_json_str(srv, "OS-EXT-SRV-ATTR:host"), h->host) != 0)
			continue;
		inst = bos_instance(b, srv, h->host_obj, h->host);
		if (!inst)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		/* The OVS builder ties taps to instances by Nova's vm-uuid. */
		json_object_set(h->lv_instances, cal_json_str(inst, CAL_F_ID), inst);
	}
	return 0;
}

json_t *bld_os_instance_for_ns(struct bld *b, struct bld_host *h, struct bld_ns *n)
{
	struct bld_os *os = bos_of(b);
	const char *machine = cal_json_str(n->report, "machine");
	size_t i;
	json_t *l;

	if (!os)
		return NULL;
	json_array_foreach(json_object_get(n->ns, "links"), i, l) {
		struct bld_ns *pns;
		json_t *peer = bld_veth_peer(b, machine, l, &pns);
		const char *dev, *uuid = NULL;
		json_t *e, *port, *inst;

		if (!peer || pns->cls != BLD_NS_ROOT || pns->report != n->report)
			continue;
		dev = cal_json_str(peer, "name");
		/* The host end is an OVS port with Nova's vm-uuid... */
		e = json_object_get(h->ovs_ifaces, dev);
		uuid = cal_json_str_or_null(json_object_get(json_object_get(e, "iface"),
							    "external_ids"),
					    "vm-uuid");
		/* ... or is named after one of the server's ports. */
		if (!uuid) {
			port = bos_port_of_dev(os, dev);
			if (port && strncmp(cal_json_str(port, "device_owner"), "compute:", 8) == 0)
				uuid = cal_json_str(port, "device_id");
		}
		inst = uuid ? json_object_get(h->lv_instances, uuid) : NULL;
		if (inst)
			return inst;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* After the hosts                                                     */
/* ------------------------------------------------------------------ */

static json_t *bos_host_obj(struct bld *b, const char *name)
{
	struct bld_os *os = bos_of(b);
	json_t *o = json_object_get(b->objects, name);

	if (o)
		return strcmp(cal_json_str(o, CAL_F_TYPE), "host") == 0 ? o : NULL;
	o = cal_object_new(b->env, CAL_T_HOST, name, name, name);
	if (!o)
		return NULL;
	cal_object_set_parent(o, bos_host_parent(os, name));
	return bos_add(b, o);
}

/* A vservice of a namespace Neutron's agent made on `host`: the kernel's
 * when the host was scanned, else one with the same id. */
static json_t *bos_vservice(struct bld *b, const char *host, const char *ns,
			    const char *service_type)
{
	char *id = cal_id_host_object(host, CAL_T_VSERVICE, NULL, ns);
	json_t *o = id ? json_object_get(b->objects, id) : NULL;
	json_t *h;

	if (!id)
		return NULL;
	if (!o && (h = bos_host_obj(b, host))) {
		o = cal_object_new(b->env, CAL_T_VSERVICE, id, ns, host);
		if (o) {
			cal_object_set_parent(o, h);
			json_object_set_new(o, "service_type", json_string(service_type));
			json_object_set_new(o, "local_service_id", json_string(ns));
			o = bos_add(b, o);
		}
	}
	free(id);
	return o;
}

static int bos_services(struct bld *b)
{
	struct bld_os *os = bos_of(b);
	json_t *routers = json_object();
	const char *pid;
	size_t i;
	json_t *p, *x;

	json_array_foreach(json_object_get(os->sec, "routers"), i, x)
		json_object_set(routers, cal_json_str(x, "id"), x);
	json_object_foreach(os->ports, pid, p) {
		const char *owner = cal_json_str(p, "device_owner");
		const char *host = cal_json_str(p, "binding:host_id");
		const char *net = cal_json_str(p, "network_id");
		char *ns = NULL;
		json_t *v;

		if (!*host)
			continue;
		if (strcmp(owner, "network:dhcp") == 0) {
			ns = cal_strdup_printf("qdhcp-%s", net);
			v = ns ? bos_vservice(b, host, ns, "dhcp") : NULL;
			if (v) {
				bos_append_unique(v, "network", net);
				bos_set_str(v, "project_id", bos_project_of(p));
			}
		} else if (strncmp(owner, "network:router_", 15) == 0 &&
			   json_object_get(routers, cal_json_str(p, "device_id"))) {
			json_t *r = json_object_get(routers, cal_json_str(p, "device_id"));

			ns = cal_strdup_printf("qrouter-%s", cal_json_str(r, "id"));
			v = ns ? bos_vservice(b, host, ns, "router") : NULL;
			if (v) {
				bos_append_unique(v, "network", net);
				bos_set_str(v, "router_id", cal_json_str(r, "id"));
				bos_set_str(v, "project_id", bos_project_of(r));
			}
		}
		free(ns);
	}
	json_decref(routers);
	return 0;
}

static int bos_agents(struct bld *b)
{
	struct bld_os *os = bos_of(b);
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(os->sec, "agents"), i, x) {
		const char *host = cal_json_str(x, "host");
		json_t *h = *host ? bos_host_obj(b, host) : NULL;
		char *name = cal_strdup_printf("%s@%s", cal_json_str(x, "binary"), host);
		json_t *o = name ? cal_object_new(b->env, CAL_T_NETWORK_AGENT, cal_json_str(x, "id"),
						  name, *host ? host : NULL)
				 : NULL;

		free(name);
		if (!o)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		if (h)
			cal_object_set_parent(o, h);
		bos_set_str(o, "agent_type", cal_json_str(x, "agent_type"));
		bos_set_str(o, "binary", cal_json_str(x, "binary"));
		bos_set_str(o, "topic", cal_json_str(x, "topic"));
		bos_set_str(o, "availability_zone", cal_json_str(x, "availability_zone"));
		bos_copy(o, "alive", x, "alive");
		bos_copy(o, "admin_state_up", x, "admin_state_up");
		if (json_is_object(json_object_get(x, "configurations")))
			bos_copy(o, "configurations", x, "configurations");
		bos_add(b, o);
	}
	return 0;
}

static int bos_ports(struct bld *b)
{
	struct bld_os *os = bos_of(b);
	const char *id;
	json_t *p;

	json_object_foreach(os->ports, id, p) {
		const char *host = cal_json_str(p, "binding:host_id");
		json_t *net = json_object_get(os->networks, cal_json_str(p, "network_id"));
		json_t *o = cal_object_new(b->env, CAL_T_PORT, id,
					   *cal_json_str(p, "name") ? cal_json_str(p, "name") : id,
					   *host ? host : NULL);

		if (!o)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		if (net)
			cal_object_set_parent(o, net);
		static const char *const copy[] = {
			"network_id", "mac_address", "fixed_ips", "device_id", "device_owner",
			"binding:host_id", "binding:vif_type", "binding:vif_details",
			"admin_state_up",
		};
		for (size_t k = 0; k < sizeof(copy) / sizeof(copy[0]); k++)
			bos_copy(o, copy[k], p, copy[k]);
		if (!json_is_object(json_object_get(o, "binding:vif_details")))
			json_object_del(o, "binding:vif_details");
		bos_set_str(o, "status_os", cal_json_str(p, "status"));
		bos_set_str(o, "project_id", bos_project_of(p));
		bos_add(b, o);
	}
	return 0;
}

/* Joins the data plane's vnics, bridges and vedge ports to Neutron ports
 * and networks. */
static void bos_join_data_plane(struct bld *b)
{
	struct bld_os *os = bos_of(b);
	json_t *tags = json_object(); /* "host|tag" -> network id */
	const char *id;
	json_t *o;

	/* Vedge ports: net_uuid names the network; local VLAN tags of br-int
	 * map to the networks other ports of that host give them. */
	json_object_foreach(b->objects, id, o) {
		const char *pname;
		json_t *pd;

		if (strcmp(cal_json_str(o, CAL_F_TYPE), "vedge") != 0)
			continue;
		json_object_foreach(json_object_get(o, "ports"), pname, pd) {
			const char *net = cal_json_str_or_null(pd, "network");
			json_t *port = bos_port_of_dev(os, pname);
			char k[128];

			if (!net && port && json_object_get(os->networks,
							    cal_json_str(port, "network_id"))) {
				net = cal_json_str(port, "network_id");
				json_object_set_new(pd, "network", json_string(net));
			}
			if (net && json_object_get(pd, "tag")) {
				snprintf(k, sizeof(k), "%s|%s|%lld", cal_json_str(o, CAL_F_HOST),
					 cal_json_str(pd, "bridge"),
					 (long long)cal_json_int(pd, "tag", -1));
				json_object_set_new(tags, k, json_string(net));
			}
		}
	}
	json_object_foreach(b->objects, id, o) {
		const char *t = cal_json_str(o, CAL_F_TYPE);
		const char *dev, *slash;
		json_t *port = NULL;

		if (strcmp(t, "vnic") != 0 && strcmp(t, "vconnector") != 0)
			continue;
		dev = cal_json_str(o, CAL_F_NAME);
		slash = strrchr(dev, '/');
		if (slash)
			dev = slash + 1;
		if (*cal_json_str(o, "port_id"))
			port = json_object_get(os->ports, cal_json_str(o, "port_id"));
		if (!port)
			port = bos_port_of_dev(os, dev);
		if (!port && strcmp(t, "vnic") == 0) {
			/* A namespace interface: its host-side peer's name. */
			port = bos_port_of_dev(os, cal_json_str(json_object_get(o, "peer"), "name"));
		}
		if (strcmp(t, "vconnector") == 0) {
			if (port && json_array_size(json_object_get(o, "network")) == 0)
				bos_append_unique(o, "network", cal_json_str(port, "network_id"));
			continue;
		}
		if (!json_object_get(o, "network") && json_object_get(o, "vlan_tag")) {
			char k[128];
			json_t *ovs = json_object_get(o, "ovs");

			snprintf(k, sizeof(k), "%s|%s|%lld", cal_json_str(o, CAL_F_HOST),
				 cal_json_str(ovs, "bridge"),
				 (long long)cal_json_int(o, "vlan_tag", -1));
			if (json_object_get(tags, k))
				json_object_set(o, "network", json_object_get(tags, k));
		}
		if (!port)
			continue;
		if (!*cal_json_str(o, "port_id"))
			bos_set_str(o, "port_id", cal_json_str(port, "id"));
		if (!json_object_get(o, "network") &&
		    json_object_get(os->networks, cal_json_str(port, "network_id")))
			bos_set_str(o, "network", cal_json_str(port, "network_id"));
		if (strncmp(cal_json_str(port, "device_owner"), "compute:", 8) == 0 &&
		    !*cal_json_str(o, "instance_id")) {
			json_t *inst = json_object_get(b->objects, cal_json_str(port, "device_id"));

			if (inst && strcmp(cal_json_str(inst, CAL_F_TYPE), "instance") == 0) {
				bos_set_str(o, "instance_id", cal_json_str(inst, CAL_F_ID));
				cal_object_set_parent(o, inst);
			}
		}
	}
	json_decref(tags);
	/* Owners list their vnics' networks (as the builder does per host). */
	json_object_foreach(b->objects, id, o) {
		json_t *owner;

		if (strcmp(cal_json_str(o, CAL_F_TYPE), "vnic") != 0 ||
		    !cal_json_str_or_null(o, "network"))
			continue;
		owner = json_object_get(b->objects, cal_json_str(o, CAL_F_PARENT_ID));
		if (owner && (strcmp(cal_json_str(owner, CAL_F_TYPE), "instance") == 0 ||
			      strcmp(cal_json_str(owner, CAL_F_TYPE), "vservice") == 0))
			bos_append_unique(owner, "network", cal_json_str(o, "network"));
	}
}


/* Provider networks (flat, VLAN) leave a host through the OVS bridge its
 * agent maps their physical network to (configurations.bridge_mappings):
 * the physical NICs of that bridge carry those of the host's networks. */
static void bos_physnets(struct bld *b)
{
	struct bld_os *os = bos_of(b);
	json_t *maps = json_object(); /* "host|bridge" -> {physnet: true} */
	size_t i;
	json_t *x;
	const char *id;
	json_t *o;

	json_array_foreach(json_object_get(os->sec, "agents"), i, x) {
		json_t *bm = json_object_get(json_object_get(x, "configurations"),
					     "bridge_mappings");
		const char *pn;
		json_t *br;

		json_object_foreach(bm, pn, br) {
			char k[256];
			json_t *set;

			if (!json_is_string(br))
				continue;
			snprintf(k, sizeof(k), "%s|%s", cal_json_str(x, "host"),
				 json_string_value(br));
			set = json_object_get(maps, k);
			if (!set) {
				set = json_object();
				json_object_set_new(maps, k, set);
			}
			json_object_set_new(set, pn, json_true());
		}
	}
	json_object_foreach(b->objects, id, o) {
		const char *host = cal_json_str(o, CAL_F_HOST);
		json_t *present = NULL;
		const char *pname;
		json_t *pd;

		if (strcmp(cal_json_str(o, CAL_F_TYPE), "vedge") != 0 || !json_object_size(maps))
			continue;
		json_object_foreach(json_object_get(o, "ports"), pname, pd) {
			char k[256];
			json_t *set, *pnic;
			char *pid;
			const char *nid;
			json_t *n;

			snprintf(k, sizeof(k), "%s|%s", host, cal_json_str(pd, "bridge"));
			set = json_object_get(maps, k);
			if (!set || (*cal_json_str(pd, "type") &&
				     strcmp(cal_json_str(pd, "type"), "system") != 0))
				continue;
			pid = cal_id_host_object(host, CAL_T_HOST_PNIC, NULL, pname);
			pnic = pid ? json_object_get(b->objects, pid) : NULL;
			free(pid);
			if (!pnic)
				continue;
			if (!present) {
				/* The networks this host has ports on. */
				const char *qn;
				json_t *qd;

				present = json_object();
				json_object_foreach(json_object_get(o, "ports"), qn, qd)
					if (cal_json_str_or_null(qd, "network"))
						json_object_set_new(present,
								    cal_json_str(qd, "network"),
								    json_true());
			}
			json_object_foreach(os->networks, nid, n) {
				const char *phys = cal_json_str(n, "provider:physical_network");

				if (*phys && json_object_get(set, phys) &&
				    json_object_get(present, nid))
					bos_append_unique(pnic, "network", nid);
			}
		}
		json_decref(present);
	}
	json_decref(maps);
}

int bld_os_finish(struct bld *b)
{
	struct bld_os *os = bos_of(b);
	const char *name;
	json_t *x;
	size_t i;
	int rc;

	if (!os)
		return 0;
	/* Hosts OpenStack knows, scanned or not. */
	json_object_foreach(os->host_roles, name, x) {
		json_t *h = bos_host_obj(b, name);

		if (h)
			bos_host_facts(os, h);
	}
	/* Servers of hosts that were not scanned (or of no host). */
	json_array_foreach(json_object_get(os->sec, "servers"), i, x) {
		const char *host = cal_json_str(x, "OS-EXT-SRV-ATTR:host");
		json_t *parent;

		if (json_object_get(b->objects, cal_json_str(x, "id")))
			continue;
		parent = *host ? bos_host_obj(b, host) : NULL;
		if (!parent)
			parent = json_object_get(os->projects, cal_json_str(x, "tenant_id"));
		if (!bos_instance(b, x, parent, *host ? host : NULL))
			return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	if ((rc = bos_agents(b)) || (rc = bos_ports(b)) || (rc = bos_services(b)))
		return rc;
	bos_join_data_plane(b);
	bos_physnets(b);
	return 0;
}
