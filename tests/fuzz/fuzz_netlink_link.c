/* fuzz_netlink_link.c - fuzz target of the rtnetlink parsers: the input is
 * a buffer of concatenated netlink messages, as one dump's receive buffer
 * would be.  Every message goes through the collector (RTM_NEWLINK ->
 * nl_parse_link, RTM_NEWADDR -> nl_parse_addr, RTM_NEWNEIGH ->
 * nl_parse_neigh), RTM_NEWNSID replies through nl_parse_nsid, and the links
 * that came out are resolved (masters, ports, veth peers) and serialised,
 * like a namespace of a real scan.  Each message is also parsed alone with
 * every shorter length, which must never read past it.
 * Seeds: tests/fuzz/corpus/netlink_link/ (dumps captured from the kernel,
 * tests/data/netlink/README.md, and hand-made bond/dummy messages).
 */
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discover/kernel_private.h"
#include "fuzz_replay.h"

static void fuzz_prefixes(const struct nlmsghdr *nlh, size_t len)
{
	json_t *o;
	int ifindex;

	/* A few truncations per message keep the run fast and still cover
	 * the header, the fixed part and the attributes. */
	for (size_t cut = 0; cut < len; cut += 1 + cut / 2) {
		if (nl_parse_link(&o, nlh, cut) == 0)
			json_decref(o);
		if (nl_parse_addr(&o, &ifindex, nlh, cut) == 0)
			json_decref(o);
		if (nl_parse_neigh(&o, &ifindex, nlh, cut) == 0)
			json_decref(o);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct nl_nsid_entry map[] = { { 0, "ns:1" }, { 1, "ns:2" }, { -1, "ns:3" } };
	struct nl_link_index *idx = NULL;
	struct nl_collect c;
	json_t *links = NULL;
	uint32_t *buf;
	size_t off = 0, msglen;

	/* Receive buffers are aligned; so is this copy. */
	buf = malloc(size + 4);
	if (!buf || nl_collect_init(&c) != 0) {
		free(buf);
		return 0;
	}
	memcpy(buf, data, size);
	while (off < size) {
		const struct nlmsghdr *nlh = (const void *)((const char *)buf + off);
		int32_t nsid;

		if (nl_msg_check(nlh, size - off, &msglen) != 0)
			break;
		if (nlh->nlmsg_type == RTM_NEWNSID)
			(void)nl_parse_nsid(&nsid, nlh, msglen);
		else if (nl_collect_msg(nlh, msglen, &c) != 0)
			break;
		fuzz_prefixes(nlh, msglen);
		off += msglen;
	}
	if (nl_collect_take(&links, &idx, &c) == 0 &&
	    nl_links_resolve(links, idx, "ns:0", map, sizeof(map) / sizeof(map[0])) == 0) {
		char *text = json_dumps(links, JSON_COMPACT);

		free(text);
	}
	nl_link_index_free(idx);
	json_decref(links);
	nl_collect_fini(&c);
	free(buf);
	return 0;
}
