/* netlink_neigh.c - one RTM_NEWNEIGH message of an AF_BRIDGE (FDB) dump
 * into a VXLAN remote {"mac","dst"} of the report format.
 *
 * Only entries with NDA_DST are remotes (the VXLAN driver's FDB); the
 * bridges' learned MACs in the same dump carry none and give nothing.
 * Pure, bounded, CAL_EPROTO on malformed structure.  Thread-safe.
 */
#include "discover/kernel_private.h"

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

int nl_parse_neigh(json_t **out, int *ifindex, const struct nlmsghdr *nlh, size_t len)
{
	const struct nlattr *tb[NDA_MAX + 1];
	const struct ndmsg *ndm;
	size_t msglen, dlen, llen;
	json_t *obj;
	int rc = 0, err;

	*out = NULL;
	*ifindex = 0;
	err = nl_msg_check(nlh, len, &msglen);
	if (err)
		return err;
	if (nlh->nlmsg_type != RTM_NEWNEIGH)
		return cal_error_set(CAL_EPROTO, "expected RTM_NEWNEIGH, got message type %u",
				     nlh->nlmsg_type);
	err = nl_msg_attrs(tb, NDA_MAX, nlh, sizeof(*ndm), "RTM_NEWNEIGH");
	if (err)
		return err;
	ndm = mnl_nlmsg_get_payload(nlh);
	if (ndm->ndm_ifindex <= 0)
		return cal_error_set(CAL_EPROTO, "RTM_NEWNEIGH with interface index %d",
				     ndm->ndm_ifindex);
	if (!tb[NDA_DST])
		return 0;
	dlen = mnl_attr_get_payload_len(tb[NDA_DST]);
	if (dlen != 4 && dlen != 16)
		return cal_error_set(CAL_EPROTO, "NDA_DST of %zu bytes", dlen);
	llen = tb[NDA_LLADDR] ? mnl_attr_get_payload_len(tb[NDA_LLADDR]) : 0;
	if (llen > 32)
		return cal_error_set(CAL_EPROTO, "NDA_LLADDR of %zu bytes", llen);
	obj = json_object();
	if (!obj)
		return cal_error_set(CAL_ENOMEM, "out of memory parsing a neighbour");
	nl_jset(obj, "mac",
		llen ? nl_json_hwaddr(mnl_attr_get_payload(tb[NDA_LLADDR]), llen) : json_null(),
		&rc);
	nl_jset(obj, "dst", nl_json_ipaddr(mnl_attr_get_payload(tb[NDA_DST]), dlen, false), &rc);
	if (rc) {
		json_decref(obj);
		return cal_error_set(CAL_ENOMEM, "out of memory parsing a neighbour");
	}
	*out = obj;
	*ifindex = ndm->ndm_ifindex;
	return 0;
}
