/* netlink_attr.c - bounded walking of netlink messages and attributes, and
 * the formatting of the values they carry (MACs, IPs, names).
 *
 * Everything here is pure and trusts nothing: every length read from a
 * header is checked against the bytes actually available before anything
 * behind it is touched, and fixed-size payloads are checked for their exact
 * size.  Attributes of types this build does not know are skipped with a
 * debug line (token "netlink"): newer kernels add attributes all the time.
 * Thread-safe; no globals.
 */
#include "discover/kernel_private.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nl_jset(json_t *obj, const char *key, json_t *val, int *rc)
{
	/* json_object_set_new() releases `val` even when it fails. */
	if (!val || json_object_set_new(obj, key, val) != 0)
		*rc = CAL_ENOMEM;
}

void nl_jappend(json_t *arr, json_t *val, int *rc)
{
	if (!val || json_array_append_new(arr, val) != 0)
		*rc = CAL_ENOMEM;
}

void nl_errorf(json_t *errors, const char *token, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	int rc = 0;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cal_log_info(token, "%s", buf);
	nl_jappend(errors, nl_json_str(buf), &rc);
}

json_t *nl_json_str(const char *s)
{
	json_t *j;
	char *esc;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			goto escape;
	/* json_string() refuses invalid UTF-8 (and fails on no memory). */
	j = json_string(s);
	if (j)
		return j;
escape:
	esc = cal_str_escape(s);
	if (!esc)
		return NULL;
	j = json_string(esc);
	free(esc);
	return j;
}

json_t *nl_json_hwaddr(const uint8_t *p, size_t len)
{
	char buf[32 * 3];

	if (len == 0 || len > 32)
		return NULL;
	for (size_t i = 0; i < len; i++)
		snprintf(buf + 3 * i, sizeof(buf) - 3 * i, i + 1 < len ? "%02x:" : "%02x", p[i]);
	return json_string(buf);
}

json_t *nl_json_ipaddr(const uint8_t *p, size_t len, bool zero_is_null)
{
	char buf[INET6_ADDRSTRLEN];
	bool zero = true;
	int af;

	if (len == 4)
		af = AF_INET;
	else if (len == 16)
		af = AF_INET6;
	else
		return NULL;
	for (size_t i = 0; i < len; i++)
		zero = zero && p[i] == 0;
	if (zero && zero_is_null)
		return json_null();
	if (!inet_ntop(af, p, buf, sizeof(buf)))
		return NULL;
	return json_string(buf);
}

int nl_msg_check(const void *buf, size_t len, size_t *msglen)
{
	const struct nlmsghdr *nlh = buf;
	size_t aligned;

	if (len < sizeof(*nlh))
		return cal_error_set(CAL_EPROTO, "netlink message header truncated (%zu bytes left)",
				     len);
	if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
		return cal_error_set(CAL_EPROTO,
				     "netlink message length %u out of bounds (%zu bytes left)",
				     nlh->nlmsg_len, len);
	aligned = NLMSG_ALIGN((size_t)nlh->nlmsg_len);
	*msglen = aligned <= len ? aligned : len;
	return 0;
}

int nl_attr_table(const struct nlattr **tb, unsigned int max, const void *start, size_t len,
		  const char *what)
{
	const unsigned char *p = start;
	size_t rem = len;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	/* The kernel pads every attribute to 4 bytes, so anything left that
	 * is too short for a header is garbage, not padding. */
	while (rem > 0) {
		const struct nlattr *a = (const struct nlattr *)p;
		uint16_t type;
		size_t step;

		if (rem < sizeof(*a) || !mnl_attr_ok(a, (int)(rem > 65535 ? 65535 : rem)))
			return cal_error_set(CAL_EPROTO,
					     "malformed attribute in %s (%zu bytes left, length %u)",
					     what, rem,
					     rem >= sizeof(*a) ? (unsigned int)a->nla_len : 0U);
		type = mnl_attr_get_type(a);
		if (type <= max) {
			tb[type] = a;
		} else if (cal_log_is_debug("netlink")) {
			cal_log_debug("netlink", "skipping unknown attribute %u of %s (%u bytes)",
				      type, what, (unsigned int)a->nla_len);
		}
		step = MNL_ALIGN((size_t)a->nla_len);
		if (step >= rem)
			break;
		p += step;
		rem -= step;
	}
	return 0;
}

int nl_msg_attrs(const struct nlattr **tb, unsigned int max, const struct nlmsghdr *nlh,
		 size_t hdrlen, const char *what)
{
	size_t payload = nlh->nlmsg_len - NLMSG_HDRLEN;
	size_t off = NLMSG_ALIGN(hdrlen);

	if (nlh->nlmsg_len < NLMSG_HDRLEN || payload < hdrlen)
		return cal_error_set(CAL_EPROTO, "%s too short for its header (%u bytes)", what,
				     nlh->nlmsg_len);
	if (payload <= off) {
		memset(tb, 0, (max + 1) * sizeof(*tb));
		return 0;
	}
	return nl_attr_table(tb, max, (const char *)nlh + NLMSG_HDRLEN + off, payload - off,
			     what);
}

static int nl_attr_fixed(const struct nlattr *a, size_t size, const char *what)
{
	/* Exactly the size: a shorter payload would be read past its end, a
	 * longer one means we misunderstand the attribute. */
	if (mnl_attr_get_payload_len(a) != size)
		return cal_error_set(CAL_EPROTO, "attribute %s has a bad size (%u bytes, want %zu)",
				     what, (unsigned int)mnl_attr_get_payload_len(a), size);
	return 0;
}

int nl_attr_u8(uint8_t *out, const struct nlattr *a, const char *what)
{
	int rc = nl_attr_fixed(a, 1, what);

	if (rc == 0)
		*out = mnl_attr_get_u8(a);
	return rc;
}

int nl_attr_u16(uint16_t *out, const struct nlattr *a, const char *what)
{
	int rc = nl_attr_fixed(a, 2, what);

	if (rc == 0)
		*out = mnl_attr_get_u16(a);
	return rc;
}

int nl_attr_u32(uint32_t *out, const struct nlattr *a, const char *what)
{
	int rc = nl_attr_fixed(a, 4, what);

	if (rc == 0)
		*out = mnl_attr_get_u32(a);
	return rc;
}

int nl_attr_str(const char **out, const struct nlattr *a, const char *what)
{
	const char *p = mnl_attr_get_payload(a);
	size_t n = mnl_attr_get_payload_len(a);

	/* The terminator must be inside the payload; an empty string is
	 * still one byte.  Bytes after an early NUL are ignored. */
	if (n == 0 || memchr(p, '\0', n) == NULL)
		return cal_error_set(CAL_EPROTO, "attribute %s is not a terminated string", what);
	*out = p;
	return 0;
}
