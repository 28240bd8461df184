/* nl_capture.c - writes the raw rtnetlink dumps of the current network
 * namespace to files, as test data for the parsers:
 *
 *   nl_capture DIR      (run inside the namespace: ip netns exec NS ...)
 *
 * DIR/links.bin (RTM_NEWLINK), DIR/addrs.bin (RTM_NEWADDR, IPv4 and IPv6)
 * and DIR/fdb.bin (RTM_NEWNEIGH of the AF_BRIDGE dump), each the
 * concatenated messages exactly as the kernel sent them, through the same
 * socket code as the scanner.  See tests/data/netlink/README.md.
 */
#include "discover/kernel_private.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int cap_write(const struct nlmsghdr *nlh, size_t len, void *arg)
{
	FILE *f = arg;

	(void)len;
	/* Keep the message and its alignment padding, as it was received. */
	if (fwrite(nlh, 1, NLMSG_ALIGN(nlh->nlmsg_len), f) != NLMSG_ALIGN(nlh->nlmsg_len))
		return cal_error_set_errno(CAL_EIO, errno, "cannot write");
	return 0;
}

static int cap_dump(struct nl_sock *s, const char *dir, const char *file, uint16_t type,
		    uint8_t family)
{
	char path[4096];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "wb");
	if (!f)
		return cal_error_set_errno(CAL_EIO, errno, "cannot create '%s'", path);
	do
		rc = nl_sock_dump(s, type, family, cap_write, f);
	while (rc == 1 && !fseek(f, 0, SEEK_SET));
	if (fclose(f) != 0 && rc == 0)
		rc = cal_error_set_errno(CAL_EIO, errno, "cannot write '%s'", path);
	return rc;
}

int main(int argc, char **argv)
{
	struct nl_sock *s;
	int rc;

	if (argc != 2) {
		fputs("usage: nl_capture DIR\n", stderr);
		return 1;
	}
	rc = nl_sock_open(&s);
	if (!rc)
		rc = cap_dump(s, argv[1], "links.bin", RTM_GETLINK, AF_UNSPEC);
	if (!rc)
		rc = cap_dump(s, argv[1], "addrs.bin", RTM_GETADDR, AF_UNSPEC);
	if (!rc)
		rc = cap_dump(s, argv[1], "fdb.bin", RTM_GETNEIGH, AF_BRIDGE);
	nl_sock_close(s);
	if (rc) {
		fprintf(stderr, "nl_capture: %s\n", cal_error_last());
		return 1;
	}
	return 0;
}
