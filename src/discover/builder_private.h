/* builder_private.h - state shared by builder.c, builder_ovs.c and
 * builder_libvirt.c.  Private to src/discover.
 */
#ifndef CALIPSO_BUILDER_PRIVATE_H
#define CALIPSO_BUILDER_PRIVATE_H

#include "discover.h"

enum bld_ns_class {
	BLD_NS_ROOT,     /* a host's own namespace */
	BLD_NS_VSERVICE, /* qdhcp-, qrouter-, ... or a named namespace of a host */
	BLD_NS_INSTANCE, /* held by a process: a container */
	BLD_NS_SWITCH,   /* a namespace acting as a physical switch (lab) */
};

struct bld_ns {
	json_t *ns;           /* the report's namespace entry (borrowed) */
	json_t *report;       /* its report (borrowed) */
	const char *host;     /* owning host or switch name */
	const char *label;    /* "" for a root, the name, or the instance name */
	enum bld_ns_class cls;
	json_t *owner;        /* the vservice or instance object (borrowed), or NULL */
};

struct bld_os;

struct bld {
	const char *env;
	json_t *objects;      /* id -> document (the output) */
	const json_t *pnic_globs;
	struct bld_ns *nss;
	size_t nns;
	json_t *ns_index;     /* "machine|key" -> index into nss */
	json_t *link_index;   /* "machine|key|ifindex" -> link entry (borrowed) */
	json_t *networks;     /* "vxlan:<vni>" -> network id */
	struct bld_os *os;    /* the cloud report's state (builder_openstack.c) */
};

struct bld_host {
	json_t *report;
	const char *host;
	const char *machine;
	const char *when;     /* scanned_at, for last_scanned */
	json_t *host_obj;
	/* OVS: interface name -> {"bridge", "port", "iface"} (borrowed refs). */
	json_t *ovs_ifaces;
	/* libvirt: target device -> {"domain", "iface"}; domain uuid -> instance. */
	json_t *lv_targets;
	json_t *lv_instances;
	/* Kernel devices of the root namespace: name -> link entry. */
	json_t *root_links;
	/* Every object of this host, in creation order (borrowed refs). */
	json_t *objs;
	/* source name -> time its kept data was read (sources that failed). */
	json_t *kept_from;
};

/* Adds `obj` (stolen) to the output, stamping last_scanned and source.
 * Returns the borrowed document, or NULL when the id exists already (the
 * duplicate is dropped with a warning). */
json_t *bld_add(struct bld *b, struct bld_host *h, json_t *obj, const char *source);

/* The link entry of the other end of a veth, and its namespace. */
json_t *bld_veth_peer(struct bld *b, const char *machine, json_t *link, struct bld_ns **out_ns);

/* Network object for a segment, created on first use; returns its id. */
const char *bld_network(struct bld *b, const char *net_type, json_int_t segment);

/* "10.0.0.1/24" strings of a link's addresses. */
json_t *bld_addresses(const json_t *link);

/* OVS and libvirt parts (builder_ovs.c, builder_libvirt.c). */
int bld_ovs_index(struct bld_host *h);
int bld_ovs_objects(struct bld *b, struct bld_host *h);
int bld_libvirt_index(struct bld *b, struct bld_host *h);
/* Binds a container namespace to a libvirt domain when its guest interface
 * is the peer of the domain's target device; returns the instance or NULL. */
json_t *bld_libvirt_instance_for_ns(struct bld *b, struct bld_host *h, struct bld_ns *ns);
int bld_libvirt_objects(struct bld *b, struct bld_host *h);
/* Applies libvirt's facts to a kernel vnic whose device is a domain target. */
void bld_libvirt_enrich_vnic(struct bld_host *h, json_t *vnic, const char *dev);

/* OpenStack (builder_openstack.c): regions, zones, projects and networks
 * before the hosts (so that bld_network() answers with Neutron's UUIDs);
 * a host's parent and its Nova servers while it is built; the rest and the
 * joins with the data plane after all hosts.  All are no-ops without a
 * cloud report. */
int bld_os_begin(struct bld *b, const json_t *reports);
void bld_os_host_parent(struct bld *b, struct bld_host *h);
int bld_os_host_instances(struct bld *b, struct bld_host *h);
/* The Nova server a container namespace stands for, or NULL. */
json_t *bld_os_instance_for_ns(struct bld *b, struct bld_host *h, struct bld_ns *n);
int bld_os_finish(struct bld *b);
void bld_os_end(struct bld *b);

#endif
