/* netlink_read.c - the dumps of one network namespace: links, then
 * addresses (IPv4 and IPv6 in one dump), then, when the namespace has a
 * vxlan device, the bridge FDB for the vxlan remotes.
 *
 * Three dumps per namespace whatever its size, no per-link request; the
 * messages go to a collector (netlink_collect.c).  The kernel flags a dump
 * during which its table changed (NLM_F_DUMP_INTR): then all three are
 * done again, so that addresses and remotes always belong to the links they
 * are attached to.  Called with a socket already open in the namespace;
 * single thread.
 */
#include "discover/kernel_private.h"

#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <sys/socket.h>

/* Records a failed secondary dump in the namespace's errors. */
static int nl_read_partial(json_t *errors, const char *what)
{
	char *msg = cal_strdup_printf("cannot read %s: %s", what, cal_error_last());
	int rc = 0;

	nl_jappend(errors, msg ? nl_json_str(msg) : NULL, &rc);
	free(msg);
	return rc;
}

int nl_read_namespace(json_t **links, struct nl_link_index **idx, struct nl_sock *s,
		      json_t *errors)
{
	struct nl_collect c;
	int rc = 0;

	*links = NULL;
	*idx = NULL;
	for (int attempt = 0; attempt < NL_DUMP_RETRIES; attempt++) {
		rc = nl_collect_init(&c);
		if (rc)
			return rc;
		rc = nl_sock_dump(s, RTM_GETLINK, AF_UNSPEC, nl_collect_msg, &c);
		if (rc < 0) {
			cal_error_prefix(rc, "cannot read links");
			goto out;
		}
		if (rc == 0) {
			rc = nl_sock_dump(s, RTM_GETADDR, AF_UNSPEC, nl_collect_msg, &c);
			if (rc < 0 && rc != CAL_ENOMEM)
				rc = nl_read_partial(c.errors, "addresses");
		}
		if (rc == 0 && c.vxlans > 0) {
			rc = nl_sock_dump(s, RTM_GETNEIGH, AF_BRIDGE, nl_collect_msg, &c);
			if (rc < 0 && rc != CAL_ENOMEM)
				rc = nl_read_partial(c.errors, "the bridge FDB");
		}
		if (rc < 0)
			goto out;
		if (rc == 0) {
			size_t i;
			json_t *e;

			json_array_foreach(c.errors, i, e)
				nl_jappend(errors, json_incref(e), &rc);
			if (rc == 0)
				rc = nl_collect_take(links, idx, &c);
			goto out;
		}
		cal_log_debug("netlink", "dump interrupted by a change, reading again (%d)",
			      attempt + 1);
		nl_collect_fini(&c);
	}
	return cal_error_set(CAL_EIO, "the links changed during each of %d dumps",
			     NL_DUMP_RETRIES);
out:
	nl_collect_fini(&c);
	return rc;
}
