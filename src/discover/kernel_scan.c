/* kernel_scan.c - cal_kernel_scan(): the "kernel" section of a host report
 * (docs/report-format.md) from every network namespace of the machine.
 *
 * Steps: the calling thread's namespace (the root), the named ones
 * (/run/netns), the processes and through them the unnamed namespaces
 * (/proc); then, one namespace at a time, enter it just long enough to open
 * a netlink socket, read links, addresses and FDB (three dumps), map the
 * nsids its links mention to namespaces with one batch of RTM_GETNSID
 * requests, resolve names, close the socket; last, attach processes.
 * Work per namespace is linear in its links; no per-link syscall.
 *
 * Races are expected: a namespace that cannot be entered or read is named
 * in the section's errors and left out; a process that vanished is skipped.
 * The scan fails only when the root namespace cannot be read, or when the
 * thread could not return to its own namespace (then nothing it would read
 * could be trusted).  Runs on the calling thread, which it moves between
 * namespaces and always brings back; other threads are not affected.
 */
#include "discover/kernel_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

struct kn_scan {
	struct kn_ns_set set;
	const struct cal_kernel_opts *opts;
	struct kp_proc *procs;
	size_t nprocs;
	int self_uts_fd;
	uint64_t self_uts_ino;
	char hostname[65];
	/* UTS inode -> hostname, for containers seen more than once. */
	struct {
		uint64_t ino;
		char *name;
	} *uts_cache;
	size_t nuts, caputs;
	int root_rc;     /* why the root namespace could not be read */
	bool fatal;
};

/* Adds the namespaces that only processes hold.  A process whose
 * namespace cannot be opened any more has exited: the next process in the
 * same namespace, if any, is tried. */
static int ks_add_unnamed(struct kn_scan *k)
{
	for (size_t i = 0; i < k->nprocs; i++) {
		struct kp_proc *p = &k->procs[i];
		struct kn_ns *ns;
		struct stat st;
		char path[64];
		int fd, rc;

		if (kn_ns_find(&k->set, p->net_ino))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)p->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* The pid may have been reused since it was listed. */
		if (fstat(fd, &st) < 0 || (uint64_t)st.st_ino != p->net_ino) {
			close(fd);
			continue;
		}
		rc = kn_ns_add(&ns, &k->set, p->net_ino, "", fd);
		if (rc)
			return rc;
		ns->pid = p->pid;
	}
	return 0;
}

/* The nsids that the namespace behind `s` gives the other namespaces. */
static int ks_nsid_map(struct nl_nsid_entry **out, size_t *nout, struct kn_scan *k,
		       const struct kn_ns *self, struct nl_sock *s)
{
	size_t n = k->set.n, m = 0;
	int *fds = calloc(n ? n : 1, sizeof(*fds));
	int32_t *ids = calloc(n ? n : 1, sizeof(*ids));
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	struct nl_nsid_entry *map = NULL;
	int rc;

	*out = NULL;
	*nout = 0;
	if (!fds || !ids || !keys) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory mapping namespace ids");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct kn_ns *o = &k->set.v[i];

		if (o == self)
			continue;
		fds[m] = o->root ? k->set.self_fd : o->fd;
		keys[m] = o->key;
		m++;
	}
	rc = nl_sock_nsids(s, ids, fds, m);
	if (rc)
		goto out;
	map = calloc(m ? m : 1, sizeof(*map));
	if (!map) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory mapping namespace ids");
		goto out;
	}
	for (size_t i = 0; i < m; i++) {
		map[i].nsid = ids[i];
		map[i].key = keys[i];
	}
	*out = map;
	*nout = m;
out:
	free(fds);
	free(ids);
	free(keys);
	return rc;
}

static bool ks_links_have_netnsid(const json_t *links)
{
	size_t i;
	json_t *l;

	json_array_foreach(links, i, l)
		if (json_object_get(l, NL_K_NETNSID))
			return true;
	return false;
}

/* Reads one namespace.  Failures to enter or read it go to the section's
 * errors and mark it failed; returns non-zero only for CAL_ENOMEM or when
 * the scan must stop (k->fatal). */
static int ks_read_ns(struct kn_scan *k, size_t i)
{
	struct kn_ns *ns = &k->set.v[i];
	struct nl_link_index *idx = NULL;
	struct nl_nsid_entry *map = NULL;
	struct nl_sock *s = NULL;
	json_t *links = NULL;
	size_t nmap = 0;
	char what[320];
	int rc;

	kn_ns_describe(what, sizeof(what), ns);
	rc = kn_ns_open_socket(&s, &k->set, ns, &k->fatal);
	if (rc) {
		ns->failed = true;
		k->root_rc = ns->root ? rc : k->root_rc;
		nl_errorf(k->set.errors, "netlink", "%s", cal_error_last());
		return k->fatal ? rc : 0;
	}
	rc = nl_read_namespace(&links, &idx, s, ns->errors);
	if (rc) {
		ns->failed = true;
		k->root_rc = ns->root ? rc : k->root_rc;
		cal_error_prefix(rc, "cannot read %s", what);
		nl_errorf(k->set.errors, "netlink", "%s", cal_error_last());
		rc = rc == CAL_ENOMEM ? rc : 0;
		goto out;
	}
	if (ks_links_have_netnsid(links)) {
		rc = ks_nsid_map(&map, &nmap, k, ns, s);
		if (rc == CAL_ENOMEM)
			goto out;
		/* Without the map the peers stay unknown (null), said once. */
		if (rc)
			nl_errorf(ns->errors, "netlink", "cannot map namespace ids: %s",
				  cal_error_last());
	}
	rc = nl_links_resolve(links, idx, ns->key, map, nmap);
	if (rc)
		goto out;
	ns->links = links;
	links = NULL;
out:
	free(map);
	nl_link_index_free(idx);
	json_decref(links);
	nl_sock_close(s);
	return rc;
}

static const char *ks_uts_of(struct kn_scan *k, const struct kp_proc *p)
{
	char name[65];
	int rc;

	for (size_t i = 0; i < k->nuts; i++)
		if (k->uts_cache[i].ino == p->uts_ino)
			return k->uts_cache[i].name;
	if (k->self_uts_fd < 0)
		return NULL;
	rc = kp_uts_hostname(name, sizeof(name), p->pid, k->self_uts_fd, &k->fatal);
	if (rc) {
		cal_log_debug("netns", "%s", cal_error_last());
		return NULL;
	}
	if (k->nuts == k->caputs) {
		size_t nc = k->caputs ? k->caputs * 2 : 16;
		void *v = realloc(k->uts_cache, nc * sizeof(*k->uts_cache));

		if (!v)
			return NULL;
		k->uts_cache = v;
		k->caputs = nc;
	}
	k->uts_cache[k->nuts].ino = p->uts_ino;
	k->uts_cache[k->nuts].name = strdup(name);
	if (!k->uts_cache[k->nuts].name)
		return NULL;
	return k->uts_cache[k->nuts++].name;
}

/* Attaches processes to their namespaces: all are counted, at most
 * KP_PROCESSES_MAX kept; in the root namespace only the daemons the
 * builder reads (unless opts say otherwise). */
static int ks_attach_processes(struct kn_scan *k)
{
	char comm[64], cmdline[KP_CMDLINE_MAX + 1];

	for (size_t i = 0; i < k->nprocs && !k->fatal; i++) {
		const struct kp_proc *p = &k->procs[i];
		struct kn_ns *ns = kn_ns_find(&k->set, p->net_ino);
		bool uts_own = p->uts_ino != 0 && p->uts_ino != k->self_uts_ino;
		const char *uts = NULL;
		bool filter, by_comm;
		json_t *obj;
		int rc;

		if (!ns || ns->failed)
			continue;
		ns->process_count++;
		if (json_array_size(ns->processes) >= KP_PROCESSES_MAX)
			continue;
		if (kp_read_comm(comm, sizeof(comm), p->pid) != 0)
			continue;
		/* Most root processes are told apart by comm alone, without
		 * reading their cmdline. */
		filter = ns->root && !(k->opts && k->opts->all_root_processes);
		by_comm = kp_is_interesting(comm, NULL);
		if (filter && !by_comm && !kp_comm_may_hide(comm))
			continue;
		if (kp_read_cmdline(cmdline, sizeof(cmdline), p->pid) != 0)
			continue;
		if (filter && !by_comm && !kp_is_interesting(comm, cmdline))
			continue;
		/* The hostname costs two setns calls: only for the containers
		 * the builder names after it (own UTS, unnamed namespace). */
		if (!uts_own)
			uts = k->hostname;
		else if (!ns->root && !ns->named)
			uts = ks_uts_of(k, p);
		rc = kp_describe(&obj, p->pid, comm, cmdline, uts, uts_own);
		if (rc)
			return rc;
		rc = 0;
		nl_jappend(ns->processes, obj, &rc);
		if (rc)
			return cal_error_set(CAL_ENOMEM, "out of memory listing processes");
	}
	return k->fatal ? cal_error_set(CAL_EIO, "%s", cal_error_last()) : 0;
}

/* Root first, then named namespaces by name, then unnamed by inode. */
static int ks_ns_cmp(const void *a, const void *b)
{
	const struct kn_ns *x = *(const struct kn_ns *const *)a;
	const struct kn_ns *y = *(const struct kn_ns *const *)b;

	if (x->root != y->root)
		return x->root ? -1 : 1;
	if (x->named != y->named)
		return x->named ? -1 : 1;
	if (x->named)
		return strcmp(x->name, y->name);
	return (x->inode > y->inode) - (x->inode < y->inode);
}

static int ks_section(json_t **out, struct kn_scan *k)
{
	struct kn_ns **order = calloc(k->set.n ? k->set.n : 1, sizeof(*order));
	json_t *sec = json_object(), *arr = json_array();
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	if (!order || !sec || !arr) {
		rc = CAL_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < k->set.n; i++)
		if (!k->set.v[i].failed)
			order[n++] = &k->set.v[i];
	qsort(order, n, sizeof(*order), ks_ns_cmp);
	for (size_t i = 0; i < n && !rc; i++) {
		struct kn_ns *ns = order[i];
		json_t *o = json_object();

		if (!o) {
			rc = CAL_ENOMEM;
			break;
		}
		nl_jset(o, "key", json_string(ns->key), &rc);
		nl_jset(o, "inode", json_integer((json_int_t)ns->inode), &rc);
		nl_jset(o, "name", nl_json_str(ns->name), &rc);
		nl_jset(o, "root", json_boolean(ns->root), &rc);
		nl_jset(o, "named", json_boolean(ns->named), &rc);
		nl_jset(o, "processes", json_incref(ns->processes), &rc);
		nl_jset(o, "process_count", json_integer((json_int_t)ns->process_count), &rc);
		nl_jset(o, "links", ns->links ? json_incref(ns->links) : json_array(), &rc);
		nl_jset(o, "errors", json_incref(ns->errors), &rc);
		nl_jappend(arr, o, &rc);
	}
	nl_jset(sec, "namespaces", json_incref(arr), &rc);
	nl_jset(sec, "errors", json_incref(k->set.errors), &rc);
out:
	free(order);
	json_decref(arr);
	if (rc) {
		json_decref(sec);
		return cal_error_set(CAL_ENOMEM, "out of memory building the kernel section");
	}
	*out = sec;
	return 0;
}

int cal_kernel_scan(json_t **out, const struct cal_kernel_opts *opts)
{
	struct kn_scan k = { .opts = opts, .self_uts_fd = -1 };
	const char *const *only = opts ? opts->only_netns : NULL;
	struct utsname u;
	struct stat st;
	int64_t t0 = cal_time_mono_us();
	int rc;

	*out = NULL;
	rc = kn_ns_set_init(&k.set);
	if (rc)
		goto out;
	k.self_uts_fd = open("/proc/thread-self/ns/uts", O_RDONLY | O_CLOEXEC);
	if (k.self_uts_fd >= 0 && fstat(k.self_uts_fd, &st) == 0)
		k.self_uts_ino = (uint64_t)st.st_ino;
	if (uname(&u) == 0)
		snprintf(k.hostname, sizeof(k.hostname), "%s", u.nodename);

	rc = kn_netns_add_named(&k.set, only);
	if (rc)
		goto out;
	rc = kp_list(&k.procs, &k.nprocs);
	if (rc == CAL_ENOMEM)
		goto out;
	if (rc)
		nl_errorf(k.set.errors, "netlink", "cannot list processes: %s", cal_error_last());
	/* With a list of names, only those (and the root) are wanted. */
	if (!only) {
		rc = ks_add_unnamed(&k);
		if (rc)
			goto out;
	}

	/* The root first (index 0): if it cannot be read, nothing else
	 * matters.  The last error still describes why. */
	for (size_t i = 0; i < k.set.n; i++) {
		rc = ks_read_ns(&k, i);
		if (rc)
			goto out;
		if (k.set.v[i].root && k.set.v[i].failed) {
			rc = k.root_rc ? k.root_rc : CAL_EIO;
			goto out;
		}
	}
	rc = ks_attach_processes(&k);
	if (rc)
		goto out;
	rc = ks_section(out, &k);
	if (rc == 0)
		cal_log_debug("netlink", "kernel scan: %zu namespaces, %zu processes, %lld us",
			      k.set.n, k.nprocs, (long long)(cal_time_mono_us() - t0));
out:
	for (size_t i = 0; i < k.nuts; i++)
		free(k.uts_cache[i].name);
	free(k.uts_cache);
	free(k.procs);
	if (k.self_uts_fd >= 0)
		close(k.self_uts_fd);
	kn_ns_set_fini(&k.set);
	return rc;
}
