/* netlink_resolve.c - cross-references between the links of one network
 * namespace: master names, bridge ports, bond members, veth peers' namespace,
 * vxlan underlay and macvlan lower device names.
 *
 * Pure and linear: one hash index (ifindex -> link) per namespace, one pass
 * over the links.  Indexes are only ever resolved inside the namespace that
 * reported them; a device whose lower link lives in another namespace
 * (IFLA_LINK_NETNSID) gets that namespace's key from the nsid map and no
 * name: names are never matched across namespaces.  Input comes from the
 * parsers, so it is well-typed, but the indexes in it are the kernel's (or a
 * fuzzer's) and may point nowhere or at the link itself.  Thread-safe.
 */
#include "discover/kernel_private.h"

#include <stdlib.h>
#include <string.h>

struct nl_link_index {
	json_t *links;   /* borrowed */
	size_t mask;     /* table size - 1, a power of two minus one */
	int *slots;      /* position in `links` + 1, 0 = empty */
};

static size_t nl_index_hash(int ifindex, size_t mask)
{
	return ((uint32_t)ifindex * 2654435761u) & mask;
}

int nl_link_index_new(struct nl_link_index **out, json_t *links)
{
	struct nl_link_index *idx;
	size_t n = json_array_size(links), cap = 16;

	*out = NULL;
	while (cap < 2 * n)
		cap *= 2;
	idx = calloc(1, sizeof(*idx));
	if (idx)
		idx->slots = calloc(cap, sizeof(*idx->slots));
	if (!idx || !idx->slots) {
		free(idx);
		return cal_error_set(CAL_ENOMEM, "out of memory indexing %zu links", n);
	}
	idx->links = links;
	idx->mask = cap - 1;
	for (size_t i = 0; i < n && i < (size_t)INT32_MAX; i++) {
		int ifindex = (int)cal_json_int(json_array_get(links, i), "ifindex", 0);
		size_t h = nl_index_hash(ifindex, idx->mask);

		/* The first of duplicate indexes wins; the kernel sends none. */
		while (idx->slots[h] != 0) {
			json_t *l = json_array_get(links, (size_t)idx->slots[h] - 1);

			if (cal_json_int(l, "ifindex", 0) == ifindex)
				break;
			h = (h + 1) & idx->mask;
		}
		if (idx->slots[h] == 0)
			idx->slots[h] = (int)i + 1;
	}
	*out = idx;
	return 0;
}

void nl_link_index_free(struct nl_link_index *idx)
{
	if (!idx)
		return;
	free(idx->slots);
	free(idx);
}

json_t *nl_link_index_get(const struct nl_link_index *idx, int ifindex)
{
	size_t h;

	if (!idx || ifindex <= 0)
		return NULL;
	for (h = nl_index_hash(ifindex, idx->mask); idx->slots[h] != 0;
	     h = (h + 1) & idx->mask) {
		json_t *l = json_array_get(idx->links, (size_t)idx->slots[h] - 1);

		if (cal_json_int(l, "ifindex", 0) == ifindex)
			return l;
	}
	return NULL;
}

static json_t *nl_name_of(const struct nl_link_index *idx, json_int_t ifindex)
{
	json_t *l = ifindex > 0 && ifindex <= INT32_MAX ? nl_link_index_get(idx, (int)ifindex)
							 : NULL;
	json_t *name = json_object_get(l, "name");

	/* Strings are immutable in jansson: sharing one is safe. */
	return name ? json_incref(name) : json_null();
}

static void nl_resolve_master(json_t *link, const struct nl_link_index *idx, int *rc)
{
	json_int_t mi = cal_json_int(link, "master_ifindex", 0);
	json_t *master, *name = json_object_get(link, "name");
	const char *mkind;

	if (mi <= 0 || mi > INT32_MAX || !name)
		return;
	master = nl_link_index_get(idx, (int)mi);
	if (!master)
		return;
	nl_jset(link, "master", json_incref(json_object_get(master, "name")), rc);
	mkind = cal_json_str(master, "kind");
	/* Ports and members exist only as the other side of IFLA_MASTER. */
	if (strcmp(mkind, "bridge") == 0)
		nl_jappend(json_object_get(json_object_get(master, "bridge"), "ports"),
			   json_incref(name), rc);
	else if (strcmp(mkind, "bond") == 0)
		nl_jappend(json_object_get(json_object_get(master, "bond"), "members"),
			   json_incref(name), rc);
}

int nl_links_resolve(json_t *links, const struct nl_link_index *idx, const char *own_key,
		     const struct nl_nsid_entry *map, size_t nmap)
{
	size_t i;
	json_t *link;
	int rc = 0;

	json_array_foreach(links, i, link) {
		json_t *nsid = json_object_get(link, NL_K_NETNSID);
		json_t *netns = NULL;
		const char *kind = cal_json_str(link, "kind");
		bool other_ns = nsid != NULL;

		if (other_ns) {
			json_int_t id = json_integer_value(nsid);
			const char *key = NULL;

			for (size_t m = 0; m < nmap && !key; m++)
				if (map[m].nsid >= 0 && map[m].nsid == id)
					key = map[m].key;
			netns = key ? json_string(key) : json_null();
			nl_jset(link, "link_netns", json_incref(netns), &rc);
			json_object_del(link, NL_K_NETNSID);
		}
		nl_resolve_master(link, idx, &rc);

		if (strcmp(kind, "veth") == 0) {
			json_t *veth = json_object_get(link, "veth");

			nl_jset(veth, "peer_netns",
				other_ns ? json_incref(netns) : json_string(own_key), &rc);
		} else if (strcmp(kind, "vxlan") == 0 && !other_ns) {
			json_t *vx = json_object_get(link, "vxlan");

			nl_jset(vx, "underlay",
				nl_name_of(idx, cal_json_int(vx, "underlay_ifindex", 0)), &rc);
		} else if (strcmp(kind, "macvlan") == 0 && !other_ns) {
			nl_jset(json_object_get(link, "macvlan"), "lower",
				nl_name_of(idx, cal_json_int(link, "link_ifindex", 0)), &rc);
		}
		json_decref(netns);
	}
	if (rc)
		return cal_error_set(CAL_ENOMEM, "out of memory resolving links");
	return 0;
}
