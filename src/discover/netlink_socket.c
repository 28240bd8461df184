/* netlink_socket.c - the NETLINK_ROUTE socket of one network namespace
 * (libmnl): dump requests read to their end, and batched RTM_GETNSID
 * requests.
 *
 * A socket belongs to the namespace it was opened in, whatever namespace
 * the thread is in later (netns.c opens it there and comes back at once).
 * Each datagram is first peeked at to learn its size, so the receive
 * buffer (NL_RECV_BUFSZ, grown up to NL_RECV_BUFMAX) always holds it
 * whole.  Messages are walked with the bounded checks of netlink_attr.c;
 * replies to other requests (stale sequence numbers) are skipped.  Once a
 * dump ends abnormally (I/O error, timeout, garbage) the socket is marked
 * broken, since the kernel may still be in the middle of that dump.  A
 * socket is used by one thread at a time.
 */
#include "discover/kernel_private.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

/* How long one receive may wait for the kernel. */
#define NL_RECV_TIMEOUT_S 10

struct nl_sock {
	struct mnl_socket *mnl;
	unsigned int portid;
	uint32_t seq;
	unsigned char *buf;
	size_t bufsz;
	bool broken;
};

int nl_sock_open(struct nl_sock **out)
{
	struct timeval tv = { .tv_sec = NL_RECV_TIMEOUT_S };
	struct nl_sock *s;
	int e;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return cal_error_set(CAL_ENOMEM, "out of memory opening a netlink socket");
	s->bufsz = NL_RECV_BUFSZ;
	s->buf = malloc(s->bufsz);
	if (!s->buf) {
		free(s);
		return cal_error_set(CAL_ENOMEM, "out of memory opening a netlink socket");
	}
	s->mnl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!s->mnl || mnl_socket_bind(s->mnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		nl_sock_close(s);
		return cal_error_set_errno(e == EPERM || e == EACCES ? CAL_EPERM : CAL_EIO, e,
					   "cannot open a NETLINK_ROUTE socket");
	}
	if (setsockopt(mnl_socket_get_fd(s->mnl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		cal_log_debug("netlink", "cannot set a receive timeout: %s", strerror(errno));
	s->portid = mnl_socket_get_portid(s->mnl);
	s->seq = (uint32_t)time(NULL);
	*out = s;
	return 0;
}

void nl_sock_close(struct nl_sock *s)
{
	if (!s)
		return;
	if (s->mnl)
		mnl_socket_close(s->mnl);
	free(s->buf);
	free(s);
}

/* Receives one datagram from the kernel whole into s->buf.  *n = its size. */
static int nl_sock_recv(struct nl_sock *s, size_t *n)
{
	int fd = mnl_socket_get_fd(s->mnl);

	for (;;) {
		struct sockaddr_nl sa;
		struct iovec iov = { .iov_base = s->buf, .iov_len = s->bufsz };
		struct msghdr msg = { .msg_name = &sa, .msg_namelen = sizeof(sa),
				      .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t r;

		/* Peek with MSG_TRUNC: the return value is the datagram's full
		 * size, so a buffer too small is grown before anything is
		 * lost. */
		r = recvmsg(fd, &msg, MSG_PEEK | MSG_TRUNC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return cal_error_set(CAL_ETIMEOUT, "no netlink reply within %d s",
					     NL_RECV_TIMEOUT_S);
		if (r < 0)
			return cal_error_set_errno(CAL_EIO, errno, "netlink receive failed");
		if ((size_t)r > s->bufsz) {
			size_t want = s->bufsz;
			unsigned char *nb;

			while (want < (size_t)r && want < NL_RECV_BUFMAX)
				want *= 2;
			if (want < (size_t)r)
				return cal_error_set(CAL_EIO, "netlink datagram of %zd bytes", r);
			nb = realloc(s->buf, want);
			if (!nb)
				return cal_error_set(CAL_ENOMEM, "out of memory for a %zu-byte "
						     "netlink datagram", want);
			s->buf = nb;
			s->bufsz = want;
			continue;
		}
		iov.iov_base = s->buf;
		iov.iov_len = s->bufsz;
		msg.msg_namelen = sizeof(sa);
		do
			r = recvmsg(fd, &msg, 0);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return cal_error_set_errno(CAL_EIO, errno, "netlink receive failed");
		/* Only the kernel (port 0) speaks to us; ignore anyone else. */
		if (sa.nl_pid != 0)
			continue;
		*n = (size_t)r;
		return 0;
	}
}

static size_t nl_dump_request(void *buf, uint16_t type, uint8_t family, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	switch (type) {
	case RTM_GETLINK: {
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

		ifi->ifi_family = family;
		/* An explicit filter: counters (IFLA_STATS64) wanted, but no
		 * per-VF lists (RTEXT_FILTER_VF), which can be huge. */
		mnl_attr_put_u32(nlh, IFLA_EXT_MASK, 0);
		break;
	}
	case RTM_GETADDR: {
		struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

		ifa->ifa_family = family;
		break;
	}
	default: {
		struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

		ndm->ndm_family = family;
		break;
	}
	}
	return nlh->nlmsg_len;
}

/* The error of an NLMSG_ERROR or NLMSG_DONE message (0 = none). */
static int nl_msg_errno(const struct nlmsghdr *nlh)
{
	int e = 0;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
		memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
	else if (nlh->nlmsg_type == NLMSG_ERROR)
		e = -EPROTO;
	return e < 0 ? -e : 0;
}

int nl_dump_feed(struct nl_dump_state *st, const void *buf, size_t n, nl_msg_fn fn, void *arg)
{
	size_t off, msglen;
	int rc;

	for (off = 0; off < n && !st->done; off += msglen) {
		const struct nlmsghdr *nlh = (const void *)((const char *)buf + off);
		int e;

		rc = nl_msg_check(nlh, n - off, &msglen);
		if (rc)
			return rc;
		/* Left over from an earlier request: not ours. */
		if (nlh->nlmsg_seq != st->seq || nlh->nlmsg_pid != st->portid)
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			st->intr = true;
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			break;
		case NLMSG_OVERRUN:
			st->intr = true;
			break;
		case NLMSG_DONE:
			st->done = true;
			e = nl_msg_errno(nlh);
			/* A dump the kernel gave up on is a dump to redo. */
			if (e == EINTR || e == EAGAIN)
				st->intr = true;
			else if (e && !st->first)
				st->first = cal_error_set_errno(CAL_EIO, e, "netlink dump failed");
			break;
		case NLMSG_ERROR:
			/* An error ends the dump (no NLMSG_DONE follows). */
			st->done = true;
			e = nl_msg_errno(nlh);
			if (e && !st->first)
				st->first = cal_error_set_errno(e == EPERM ? CAL_EPERM : CAL_EIO, e,
								"netlink dump refused");
			break;
		default:
			e = fn(nlh, msglen, arg);
			if (e && !st->first)
				st->first = e;
		}
	}
	return 0;
}

int nl_sock_dump(struct nl_sock *s, uint16_t type, uint8_t family, nl_msg_fn fn, void *arg)
{
	struct nl_dump_state st = { 0 };
	uint32_t req[32];
	size_t reqlen;
	int rc;

	if (s->broken)
		return cal_error_set(CAL_EIO, "netlink socket unusable after an earlier error");
	memset(req, 0, sizeof(req));
	reqlen = nl_dump_request(req, type, family, ++s->seq);
	if (mnl_socket_sendto(s->mnl, req, reqlen) < 0)
		return cal_error_set_errno(CAL_EIO, errno, "cannot send a netlink dump request");
	st.seq = s->seq;
	st.portid = s->portid;
	while (!st.done) {
		size_t n;

		rc = nl_sock_recv(s, &n);
		if (!rc)
			rc = nl_dump_feed(&st, s->buf, n, fn, arg);
		if (rc) {
			/* The kernel may be mid-dump: this socket is done for. */
			s->broken = true;
			return rc;
		}
	}
	if (st.first)
		return st.first;
	return st.intr ? 1 : 0;
}

int nl_sock_nsids(struct nl_sock *s, int32_t *nsids, const int *fds, size_t n)
{
	/* 28 bytes per request; uint32_t keeps the buffer aligned. */
	uint32_t req[NL_NSID_BATCH * 8];
	int rc;

	if (s->broken)
		return cal_error_set(CAL_EIO, "netlink socket unusable after an earlier error");
	for (size_t i = 0; i < n; i++)
		nsids[i] = -1;
	for (size_t start = 0; start < n; start += NL_NSID_BATCH) {
		size_t cnt = n - start < NL_NSID_BATCH ? n - start : NL_NSID_BATCH;
		size_t used = 0, got = 0;
		uint32_t base = s->seq + 1;

		for (size_t j = 0; j < cnt; j++) {
			rc = nl_nsid_request(req, sizeof(req), &used, base + (uint32_t)j,
					     fds[start + j]);
			if (rc)
				return rc;
		}
		s->seq += (uint32_t)cnt;
		if (mnl_socket_sendto(s->mnl, req, used) < 0)
			return cal_error_set_errno(CAL_EIO, errno,
						   "cannot send RTM_GETNSID requests");
		/* One reply per request: RTM_NEWNSID, or NLMSG_ERROR when the
		 * kernel refused (the fd is not a namespace, no permission). */
		while (got < cnt) {
			size_t nb, off, msglen;

			rc = nl_sock_recv(s, &nb);
			if (rc)
				goto broken;
			for (off = 0; off < nb; off += msglen) {
				const struct nlmsghdr *nlh = (const void *)(s->buf + off);
				uint32_t k;
				int32_t id;

				rc = nl_msg_check(nlh, nb - off, &msglen);
				if (rc)
					goto broken;
				k = nlh->nlmsg_seq - base;
				if (k >= cnt) /* not ours (wrap-safe) */
					continue;
				got++;
				if (nlh->nlmsg_type == NLMSG_ERROR) {
					cal_log_debug("netlink", "RTM_GETNSID refused: %s",
						      strerror(nl_msg_errno(nlh)));
				} else if (nl_parse_nsid(&id, nlh, msglen) == 0) {
					nsids[start + k] = id;
				} else {
					cal_log_debug("netlink", "bad RTM_NEWNSID reply: %s",
						      cal_error_last());
				}
			}
		}
	}
	return 0;
broken:
	s->broken = true;
	return rc;
}
