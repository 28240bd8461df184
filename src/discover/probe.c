/* probe.c - reachability of a discovery target without reading it: the
 * REST API's connection tests (src/server/conntest.c) ask whether a
 * namespace exists, whether an OVSDB server answers list_dbs, whether a
 * libvirt URI opens (cal_libvirt_probe, in libvirt_source.c).  Each call
 * blocks up to its timeout; the server runs them on a worker thread.
 */
#include "discover/discover.h"
#include "discover/ovsdb.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int cal_netns_probe(const char *name)
{
	char path[300];
	struct statfs sf;
	int fd;

	if (!name || !*name)
		return 0; /* the machine's own namespace */
	if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cal_error_set(CAL_EINVALID, "'%s' is not a namespace name", name);
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cal_error_set_errno(errno == ENOENT ? CAL_ENOTFOUND : CAL_EIO, errno,
					   "network namespace '%s' (%s)", name, path);
	if (fstatfs(fd, &sf) || (unsigned long)sf.f_type != (unsigned long)NSFS_MAGIC) {
		close(fd);
		return cal_error_set(CAL_ENOTFOUND, "network namespace '%s': %s is not mounted "
				     "(ip netns add/del in progress, or stale)", name, path);
	}
	close(fd);
	return 0;
}

int cal_ovs_probe(json_t **out_dbs, const char *remote, int timeout_ms)
{
	struct ovsdb_session *s = NULL;
	json_t *dbs = NULL;
	int rc;

	if (out_dbs)
		*out_dbs = NULL;
	rc = ovsdb_session_new(&s, remote, timeout_ms);
	if (rc == 0)
		rc = ovsdb_list_dbs(s, &dbs);
	ovsdb_session_free(s);
	if (rc == 0 && out_dbs)
		*out_dbs = dbs;
	else
		json_decref(dbs);
	return rc;
}

