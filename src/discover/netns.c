/* netns.c - the set of network namespaces a scan visits, and entering one
 * to open a netlink socket there.
 *
 * A namespace is known by the inode of its nsfs file; the set holds an open
 * fd on each (which also keeps it alive while we read it, and is what
 * RTM_GETNSID asks about).  The calling thread's namespace is the root of
 * the scan.  Named namespaces come from /run/netns: a file there that is not
 * a network namespace (a stale mount point) or that vanished is reported,
 * never fatal.  Entering uses setns(CLONE_NEWNET) on the calling thread
 * only, and the thread always goes back to its own namespace before
 * returning; if going back fails the caller must stop (*fatal).  Not
 * thread-safe: one set per scan, used by one thread.
 */
#include "discover/kernel_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define KN_NETNS_DIR "/run/netns"

static size_t kn_hash(uint64_t inode, size_t cap)
{
	return (size_t)((inode * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static int kn_rehash(struct kn_ns_set *set, size_t cap)
{
	int *h = calloc(cap, sizeof(*h));

	if (!h)
		return cal_error_set(CAL_ENOMEM, "out of memory indexing namespaces");
	for (size_t i = 0; i < set->n; i++) {
		size_t k = kn_hash(set->v[i].inode, cap);

		while (h[k])
			k = (k + 1) & (cap - 1);
		h[k] = (int)i + 1;
	}
	free(set->hash);
	set->hash = h;
	set->hcap = cap;
	return 0;
}

struct kn_ns *kn_ns_find(struct kn_ns_set *set, uint64_t inode)
{
	if (!set->hcap)
		return NULL;
	for (size_t k = kn_hash(inode, set->hcap); set->hash[k]; k = (k + 1) & (set->hcap - 1))
		if (set->v[set->hash[k] - 1].inode == inode)
			return &set->v[set->hash[k] - 1];
	return NULL;
}

int kn_ns_add(struct kn_ns **out, struct kn_ns_set *set, uint64_t inode, const char *name,
	      int fd)
{
	struct kn_ns *ns;

	*out = NULL;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct kn_ns *v = realloc(set->v, cap * sizeof(*v));

		if (!v)
			goto nomem;
		set->v = v;
		set->cap = cap;
	}
	ns = &set->v[set->n];
	memset(ns, 0, sizeof(*ns));
	ns->inode = inode;
	ns->fd = fd;
	snprintf(ns->key, sizeof(ns->key), "ns:%llu", (unsigned long long)inode);
	ns->name = strdup(name ? name : "");
	ns->named = name && *name;
	ns->errors = json_array();
	ns->processes = json_array();
	if (!ns->name || !ns->errors || !ns->processes) {
		free(ns->name);
		json_decref(ns->errors);
		json_decref(ns->processes);
		goto nomem;
	}
	set->n++;
	/* Keep the table at most half full. */
	if (set->n * 2 > set->hcap) {
		if (kn_rehash(set, set->hcap ? set->hcap * 2 : 32) != 0) {
			set->n--;
			free(ns->name);
			json_decref(ns->errors);
			json_decref(ns->processes);
			goto nomem;
		}
	} else {
		size_t k = kn_hash(inode, set->hcap);

		while (set->hash[k])
			k = (k + 1) & (set->hcap - 1);
		set->hash[k] = (int)set->n;
	}
	*out = ns;
	return 0;
nomem:
	if (fd >= 0)
		close(fd);
	return cal_error_set(CAL_ENOMEM, "out of memory adding a namespace");
}

int kn_ns_set_init(struct kn_ns_set *set)
{
	struct kn_ns *root;
	struct stat st;
	int e;

	memset(set, 0, sizeof(*set));
	set->errors = json_array();
	if (!set->errors)
		return cal_error_set(CAL_ENOMEM, "out of memory starting a kernel scan");
	/* thread-self, not self: setns() moves threads, not processes. */
	set->self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (set->self_fd < 0 || fstat(set->self_fd, &st) < 0) {
		e = errno;
		if (set->self_fd >= 0)
			close(set->self_fd);
		set->self_fd = -1;
		return cal_error_set_errno(e == EACCES ? CAL_EPERM : CAL_EIO, e,
					   "cannot open '/proc/thread-self/ns/net'");
	}
	set->nsfs_dev = st.st_dev;
	/* The root entry borrows self_fd (fd -1): it is never entered. */
	if (kn_ns_add(&root, set, (uint64_t)st.st_ino, "", -1) != 0)
		return CAL_ENOMEM;
	root->root = true;
	return 0;
}

void kn_ns_set_fini(struct kn_ns_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		struct kn_ns *ns = &set->v[i];

		if (ns->fd >= 0)
			close(ns->fd);
		free(ns->name);
		json_decref(ns->links);
		json_decref(ns->errors);
		json_decref(ns->processes);
	}
	free(set->v);
	free(set->hash);
	if (set->self_fd >= 0)
		close(set->self_fd);
	json_decref(set->errors);
	memset(set, 0, sizeof(*set));
	set->self_fd = -1;
}

static int kn_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool kn_in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

/* Adds one /run/netns entry; problems go to set->errors. */
static int kn_netns_add_one(struct kn_ns_set *set, const char *name)
{
	char path[sizeof(KN_NETNS_DIR) + 256 + 1];
	struct stat st;
	struct kn_ns *ns;
	int fd, type;

	snprintf(path, sizeof(path), "%s/%s", KN_NETNS_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			nl_errorf(set->errors, "netns", "namespace '%s' vanished during scan",
				  name);
		else
			nl_errorf(set->errors, "netns", "cannot open namespace '%s': %s", name,
				 strerror(errno));
		return 0;
	}
	/* A file not (or no longer, or not yet) mounted is a plain file on
	 * tmpfs: `ip netns del` unmounts before it unlinks, `ip netns add`
	 * creates before it mounts.  A bind mount of another kind of
	 * namespace answers with its own type. */
	type = ioctl(fd, NS_GET_NSTYPE);
	if (fstat(fd, &st) < 0 || (type < 0 && errno == ENOTTY)) {
		nl_errorf(set->errors, "netns",
			  "namespace '%s' is not mounted (being created or deleted, or a stale "
			  "file in %s)",
			  name, KN_NETNS_DIR);
		close(fd);
		return 0;
	}
	if (type != CLONE_NEWNET) {
		nl_errorf(set->errors, "netns", "'%s' is not a network namespace", path);
		close(fd);
		return 0;
	}
	ns = kn_ns_find(set, (uint64_t)st.st_ino);
	if (ns) {
		/* The root namespace under a name, or a second name for a
		 * namespace already seen (names are sorted: the first wins). */
		if (!ns->named) {
			char *dup = strdup(name);

			if (!dup) {
				close(fd);
				return cal_error_set(CAL_ENOMEM, "out of memory");
			}
			free(ns->name);
			ns->name = dup;
			ns->named = true;
		} else {
			cal_log_debug("netns", "'%s' is another name of namespace '%s'", name,
				      ns->name);
		}
		close(fd);
		return 0;
	}
	return kn_ns_add(&ns, set, (uint64_t)st.st_ino, name, fd);
}

int kn_netns_add_named(struct kn_ns_set *set, const char *const *only)
{
	DIR *d = opendir(KN_NETNS_DIR);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d) {
		/* No /run/netns: no named namespace, not an error. */
		if (errno != ENOENT)
			nl_errorf(set->errors, "netns", "cannot list '%s': %s", KN_NETNS_DIR,
				 strerror(errno));
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		if (only && !kn_in_list(only, de->d_name))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			char **v = realloc(names, nc * sizeof(*v));

			if (!v) {
				rc = cal_error_set(CAL_ENOMEM, "out of memory listing namespaces");
				goto out;
			}
			names = v;
			cap = nc;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory listing namespaces");
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), kn_strcmp);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = kn_netns_add_one(set, names[i]);
	/* A name asked for that is not there is worth saying. */
	for (size_t i = 0; only && only[i] && rc == 0; i++) {
		bool seen = false;

		for (size_t j = 0; j < n && !seen; j++)
			seen = strcmp(names[j], only[i]) == 0;
		if (!seen)
			nl_errorf(set->errors, "netns", "namespace '%s' not found in %s", only[i],
				 KN_NETNS_DIR);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

void kn_ns_describe(char *buf, size_t sz, const struct kn_ns *ns)
{
	if (ns->named)
		snprintf(buf, sz, "namespace '%s'", ns->name);
	else if (ns->root)
		snprintf(buf, sz, "the root namespace %s", ns->key);
	else if (ns->pid > 0)
		snprintf(buf, sz, "namespace %s (pid %d)", ns->key, (int)ns->pid);
	else
		snprintf(buf, sz, "namespace %s", ns->key);
}

int kn_ns_open_socket(struct nl_sock **out, struct kn_ns_set *set, const struct kn_ns *ns,
		      bool *fatal)
{
	char what[320];
	int rc, e;

	*out = NULL;
	kn_ns_describe(what, sizeof(what), ns);
	if (ns->root) {
		rc = nl_sock_open(out);
		return rc ? cal_error_prefix(rc, "in %s", what) : 0;
	}
	if (setns(ns->fd, CLONE_NEWNET) < 0) {
		e = errno;
		return cal_error_set_errno(e == EPERM ? CAL_EPERM : CAL_EIO, e, "cannot enter %s",
					   what);
	}
	rc = nl_sock_open(out);
	if (rc)
		cal_error_prefix(rc, "in %s", what);
	/* Back home before anything else, whatever happened. */
	if (setns(set->self_fd, CLONE_NEWNET) < 0) {
		e = errno;
		*fatal = true;
		nl_sock_close(*out);
		*out = NULL;
		cal_log_error("netns", "cannot return to the original network namespace after "
			      "entering %s: %s", what, strerror(e));
		return cal_error_set_errno(CAL_EIO, e, "cannot return to the original network "
					   "namespace after entering %s", what);
	}
	return rc;
}
