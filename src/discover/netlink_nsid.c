/* netlink_nsid.c - RTM_GETNSID requests and RTM_NEWNSID replies: how one
 * network namespace numbers another (the ids IFLA_LINK_NETNSID uses).
 *
 * Pure: requests are written into the caller's buffer (so that many go out
 * in one send), replies are read from a bounded buffer; CAL_EPROTO on
 * malformed replies.  Thread-safe.
 */
#include "discover/kernel_private.h"

#include <libmnl/libmnl.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

int nl_nsid_request(void *buf, size_t cap, size_t *used, uint32_t seq, int ns_fd)
{
	size_t need = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct rtgenmsg)) +
		      MNL_ALIGN(MNL_ATTR_HDRLEN + sizeof(uint32_t));
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;

	if (*used > cap || cap - *used < need)
		return cal_error_set(CAL_EINVALID, "RTM_GETNSID batch full");
	nlh = mnl_nlmsg_put_header((char *)buf + *used);
	nlh->nlmsg_type = RTM_GETNSID;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)ns_fd);
	*used += NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

int nl_parse_nsid(int32_t *nsid, const struct nlmsghdr *nlh, size_t len)
{
	const struct nlattr *tb[NETNSA_MAX + 1];
	uint32_t v = 0;
	size_t msglen;
	int err;

	*nsid = NETNSA_NSID_NOT_ASSIGNED;
	err = nl_msg_check(nlh, len, &msglen);
	if (err)
		return err;
	if (nlh->nlmsg_type != RTM_NEWNSID)
		return cal_error_set(CAL_EPROTO, "expected RTM_NEWNSID, got message type %u",
				     nlh->nlmsg_type);
	err = nl_msg_attrs(tb, NETNSA_MAX, nlh, sizeof(struct rtgenmsg), "RTM_NEWNSID");
	if (err)
		return err;
	if (!tb[NETNSA_NSID])
		return cal_error_set(CAL_EPROTO, "RTM_NEWNSID without NETNSA_NSID");
	err = nl_attr_u32(&v, tb[NETNSA_NSID], "NETNSA_NSID");
	if (err)
		return err;
	*nsid = (int32_t)v;
	return 0;
}
