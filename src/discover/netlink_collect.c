/* netlink_collect.c - gathers the messages of one namespace's dumps into
 * its links: RTM_NEWLINK makes a link, RTM_NEWADDR and RTM_NEWNEIGH (vxlan
 * remotes) attach to the link of their index.
 *
 * Pure: the same code serves the live dumps (netlink_read.c), the unit
 * tests (captured dumps) and the fuzzer (random bytes).  A malformed
 * message is skipped and described in the collector's errors; an address
 * or remote of an index with no link (a link created after the link dump)
 * is dropped, never invented.  Single thread per collector.
 */
#include "discover/kernel_private.h"

#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

int nl_collect_init(struct nl_collect *c)
{
	memset(c, 0, sizeof(*c));
	c->links = json_array();
	c->errors = json_array();
	if (!c->links || !c->errors) {
		nl_collect_fini(c);
		return cal_error_set(CAL_ENOMEM, "out of memory reading links");
	}
	return 0;
}

void nl_collect_fini(struct nl_collect *c)
{
	json_decref(c->links);
	json_decref(c->errors);
	nl_link_index_free(c->idx);
	memset(c, 0, sizeof(*c));
}

/* Records a malformed message (the parser's message) and goes on. */
static int nl_collect_skip(struct nl_collect *c, const char *what)
{
	char *msg = cal_strdup_printf("skipped a malformed %s message: %s", what,
				      cal_error_last());
	int rc = 0;

	cal_log_debug("netlink", "%s", msg ? msg : "skipped a malformed message");
	nl_jappend(c->errors, msg ? nl_json_str(msg) : NULL, &rc);
	free(msg);
	return rc;
}

/* The link of `ifindex`, indexing the links on first use. */
static int nl_collect_link(json_t **out, struct nl_collect *c, int ifindex)
{
	int rc = 0;

	if (!c->idx)
		rc = nl_link_index_new(&c->idx, c->links);
	*out = rc ? NULL : nl_link_index_get(c->idx, ifindex);
	return rc;
}

static int nl_collect_newlink(struct nl_collect *c, const struct nlmsghdr *nlh, size_t len)
{
	json_t *link;
	int rc = nl_parse_link(&link, nlh, len);

	if (rc == CAL_EPROTO)
		return nl_collect_skip(c, "RTM_NEWLINK");
	if (rc)
		return rc;
	/* An index built before this link would not know it. */
	nl_link_index_free(c->idx);
	c->idx = NULL;
	if (strcmp(cal_json_str(link, "kind"), "vxlan") == 0)
		c->vxlans++;
	nl_jappend(c->links, link, &rc);
	return rc;
}

static int nl_collect_newaddr(struct nl_collect *c, const struct nlmsghdr *nlh, size_t len)
{
	json_t *addr, *link;
	int ifindex, rc = nl_parse_addr(&addr, &ifindex, nlh, len);

	if (rc == CAL_EPROTO)
		return nl_collect_skip(c, "RTM_NEWADDR");
	if (rc || !addr)
		return rc;
	rc = nl_collect_link(&link, c, ifindex);
	if (rc || !link) {
		json_decref(addr);
		return rc;
	}
	nl_jappend(json_object_get(link, "addresses"), addr, &rc);
	return rc;
}

static int nl_collect_newneigh(struct nl_collect *c, const struct nlmsghdr *nlh, size_t len)
{
	json_t *fdb, *link;
	int ifindex, rc = nl_parse_neigh(&fdb, &ifindex, nlh, len);

	if (rc == CAL_EPROTO)
		return nl_collect_skip(c, "RTM_NEWNEIGH");
	if (rc || !fdb)
		return rc;
	rc = nl_collect_link(&link, c, ifindex);
	if (rc || !link || strcmp(cal_json_str(link, "kind"), "vxlan") != 0) {
		json_decref(fdb);
		return rc;
	}
	nl_jappend(json_object_get(json_object_get(link, "vxlan"), "fdb"), fdb, &rc);
	return rc;
}

int nl_collect_msg(const struct nlmsghdr *nlh, size_t len, void *arg)
{
	struct nl_collect *c = arg;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
		return nl_collect_newlink(c, nlh, len);
	case RTM_NEWADDR:
		return nl_collect_newaddr(c, nlh, len);
	case RTM_NEWNEIGH:
		return nl_collect_newneigh(c, nlh, len);
	default:
		cal_log_debug("netlink", "skipping message type %u in a dump", nlh->nlmsg_type);
		return 0;
	}
}

int nl_collect_buffer(struct nl_collect *c, const void *buf, size_t len)
{
	size_t off = 0, msglen;
	int rc;

	while (off < len) {
		const struct nlmsghdr *nlh = (const void *)((const char *)buf + off);

		rc = nl_msg_check(nlh, len - off, &msglen);
		if (rc)
			return rc;
		rc = nl_collect_msg(nlh, msglen, c);
		if (rc)
			return rc;
		off += msglen;
	}
	return 0;
}

int nl_collect_take(json_t **links, struct nl_link_index **idx, struct nl_collect *c)
{
	int rc = 0;

	*links = NULL;
	*idx = NULL;
	if (!c->idx)
		rc = nl_link_index_new(&c->idx, c->links);
	if (rc)
		return rc;
	*links = c->links;
	*idx = c->idx;
	c->links = NULL;
	c->idx = NULL;
	return 0;
}
