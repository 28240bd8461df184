/* netlink_addr.c - one RTM_NEWADDR message into an address object
 * {"family","address","prefixlen","scope"} of the report format.
 *
 * Pure, bounded by the caller's length, CAL_EPROTO on malformed structure
 * (an address whose size does not match its family); families other than
 * IPv4 and IPv6 are not errors, just nothing.  Thread-safe.
 */
#include "discover/kernel_private.h"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <sys/socket.h>

static json_t *nl_addr_scope(unsigned int scope)
{
	char buf[8];

	switch (scope) {
	case RT_SCOPE_UNIVERSE: return json_string("global");
	case RT_SCOPE_SITE: return json_string("site");
	case RT_SCOPE_LINK: return json_string("link");
	case RT_SCOPE_HOST: return json_string("host");
	case RT_SCOPE_NOWHERE: return json_string("nowhere");
	default:
		snprintf(buf, sizeof(buf), "%u", scope);
		return json_string(buf);
	}
}

int nl_parse_addr(json_t **out, int *ifindex, const struct nlmsghdr *nlh, size_t len)
{
	const struct nlattr *tb[IFA_MAX + 1];
	const struct nlattr *a;
	const struct ifaddrmsg *ifa;
	size_t msglen, want;
	json_t *obj;
	int rc = 0, err;

	*out = NULL;
	*ifindex = 0;
	err = nl_msg_check(nlh, len, &msglen);
	if (err)
		return err;
	if (nlh->nlmsg_type != RTM_NEWADDR)
		return cal_error_set(CAL_EPROTO, "expected RTM_NEWADDR, got message type %u",
				     nlh->nlmsg_type);
	err = nl_msg_attrs(tb, IFA_MAX, nlh, sizeof(*ifa), "RTM_NEWADDR");
	if (err)
		return err;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family == AF_INET)
		want = 4;
	else if (ifa->ifa_family == AF_INET6)
		want = 16;
	else
		return 0;
	if (ifa->ifa_index == 0)
		return cal_error_set(CAL_EPROTO, "RTM_NEWADDR without an interface index");
	if (ifa->ifa_prefixlen > want * 8)
		return cal_error_set(CAL_EPROTO, "RTM_NEWADDR with prefix length %u",
				     ifa->ifa_prefixlen);
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer
	 * on point-to-point links and the address itself otherwise (IPv6
	 * sends only IFA_ADDRESS). */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a)
		return cal_error_set(CAL_EPROTO, "RTM_NEWADDR for index %u has no address",
				     ifa->ifa_index);
	if (mnl_attr_get_payload_len(a) != want)
		return cal_error_set(CAL_EPROTO, "RTM_NEWADDR address of %u bytes for family %u",
				     (unsigned int)mnl_attr_get_payload_len(a), ifa->ifa_family);
	obj = json_object();
	if (!obj)
		return cal_error_set(CAL_ENOMEM, "out of memory parsing an address");
	nl_jset(obj, "family", json_string(want == 4 ? "inet" : "inet6"), &rc);
	nl_jset(obj, "address", nl_json_ipaddr(mnl_attr_get_payload(a), want, false), &rc);
	nl_jset(obj, "prefixlen", json_integer(ifa->ifa_prefixlen), &rc);
	nl_jset(obj, "scope", nl_addr_scope(ifa->ifa_scope), &rc);
	if (rc) {
		json_decref(obj);
		return cal_error_set(CAL_ENOMEM, "out of memory parsing an address");
	}
	*out = obj;
	*ifindex = (int)ifa->ifa_index;
	return 0;
}
