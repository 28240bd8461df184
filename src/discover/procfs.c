/* procfs.c - processes and the namespaces they are in, from /proc.
 *
 * One pass over /proc reads two symlinks per process (ns/net, ns/uts);
 * comm and cmdline are read later, only for the processes a report keeps.
 * Processes come and go during the pass: one that vanished, or that we may
 * not look at (another user's, without privilege), is skipped without a
 * word, since it cannot be named.  What /proc gives is trusted only as far
 * as its length: cmdline is bounded (KP_CMDLINE_MAX) and every string goes
 * to JSON through nl_json_str().  The UTS hostname of a container is read by
 * entering its UTS namespace on the calling thread and coming back at once
 * (much cheaper than a fork); only the scan thread does it.
 */
#include "discover/kernel_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The daemons whose root-namespace processes a report keeps: the ones the
 * builder turns into services or uses to name things (globs, fnmatch). */
static const char *const kp_daemons[] = {
	"dnsmasq", "haproxy", "keepalived",  "radvd",  "ovs-vswitchd", "ovsdb-server",
	"neutron-*", "nova-*", "libvirtd", "qemu-*", "lldpd",
};

/* Interpreters whose first argument names the real program. */
static const char *const kp_interpreters[] = { "python*", "perl*", "ruby*", "sh", "bash" };

static bool kp_match(const char *const *globs, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], s, 0) == 0)
			return true;
	return false;
}

/* Copies the basename of the `word`-th space-separated word of cmdline. */
static void kp_word_basename(char *out, size_t sz, const char *cmdline, int word)
{
	const char *p = cmdline, *end, *slash;
	size_t n;

	out[0] = '\0';
	for (; word > 0 && *p; word--) {
		p = strchr(p, ' ');
		if (!p)
			return;
		while (*p == ' ')
			p++;
	}
	end = p + strcspn(p, " ");
	for (slash = p; slash < end; slash++)
		if (*slash == '/')
			p = slash + 1;
	n = (size_t)(end - p);
	if (n >= sz)
		n = sz - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

bool kp_is_interesting(const char *comm, const char *cmdline)
{
	const size_t nd = sizeof(kp_daemons) / sizeof(kp_daemons[0]);
	char word[128];

	if (comm && kp_match(kp_daemons, nd, comm))
		return true;
	if (!cmdline || !*cmdline)
		return false;
	/* comm is cut at 15 bytes and scripts run by an interpreter are
	 * called after it: look at argv[0], then argv[1]. */
	kp_word_basename(word, sizeof(word), cmdline, 0);
	if (kp_match(kp_daemons, nd, word))
		return true;
	if (!kp_match(kp_interpreters, sizeof(kp_interpreters) / sizeof(kp_interpreters[0]),
		      word))
		return false;
	kp_word_basename(word, sizeof(word), cmdline, 1);
	return kp_match(kp_daemons, nd, word);
}

bool kp_comm_may_hide(const char *comm)
{
	/* The kernel keeps 15 bytes of the executable's name: a full comm may
	 * be a cut one; an interpreter runs the daemon as its argument. */
	return strlen(comm) >= 15 ||
	       kp_match(kp_interpreters, sizeof(kp_interpreters) / sizeof(kp_interpreters[0]),
			comm);
}

int kp_parse_ns_link(uint64_t *inode, const char *target, const char *type)
{
	size_t tl = strlen(type);
	const char *p;
	char *end;
	unsigned long long v;

	*inode = 0;
	if (strncmp(target, type, tl) != 0 || target[tl] != ':' || target[tl + 1] != '[')
		return cal_error_set(CAL_EPROTO, "unexpected namespace link '%s'", target);
	p = target + tl + 2;
	if (*p < '0' || *p > '9')
		return cal_error_set(CAL_EPROTO, "unexpected namespace link '%s'", target);
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || end[0] != ']' || end[1] != '\0' || v == 0)
		return cal_error_set(CAL_EPROTO, "unexpected namespace link '%s'", target);
	*inode = v;
	return 0;
}

size_t kp_cmdline_clean(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	while (len > 0 && buf[len - 1] == ' ')
		len--;
	buf[len] = '\0';
	return len;
}

static int kp_read_ns(uint64_t *inode, int procfd, const char *pid, const char *type)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/ns/%s", pid, type);
	n = readlinkat(procfd, path, target, sizeof(target) - 1);
	if (n < 0)
		return CAL_ENOTFOUND;
	target[n] = '\0';
	return kp_parse_ns_link(inode, target, type);
}

static int kp_pid_cmp(const void *a, const void *b)
{
	const struct kp_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

int kp_list(struct kp_proc **out, size_t *n)
{
	struct kp_proc *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	int procfd, rc = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return cal_error_set_errno(CAL_EIO, errno, "cannot open '/proc'");
	d = fdopendir(procfd);
	if (!d) {
		close(procfd);
		return cal_error_set_errno(CAL_EIO, errno, "cannot list '/proc'");
	}
	while ((de = readdir(d)) != NULL) {
		struct kp_proc p = { 0 };
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end != '\0' || pid <= 0 || de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		/* Gone already, or not ours to look at: skipped unnamed. */
		if (kp_read_ns(&p.net_ino, dirfd(d), de->d_name, "net") != 0)
			continue;
		if (kp_read_ns(&p.uts_ino, dirfd(d), de->d_name, "uts") != 0)
			p.uts_ino = 0;
		p.pid = (pid_t)pid;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct kp_proc *nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				rc = cal_error_set(CAL_ENOMEM, "out of memory listing processes");
				break;
			}
			v = nv;
			cap = nc;
		}
		v[cnt++] = p;
	}
	closedir(d);
	if (rc) {
		free(v);
		return rc;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), kp_pid_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

/* Reads at most sz-1 bytes of /proc/PID/<name>; *len = bytes read. */
static int kp_read_file(char *buf, size_t sz, size_t *len, pid_t pid, const char *name)
{
	char path[64];
	size_t got = 0;
	int fd;

	*len = 0;
	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? CAL_ENOTFOUND : CAL_EIO;
	while (got < sz - 1) {
		ssize_t r = read(fd, buf + got, sz - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			/* ESRCH: the process exited while we read. */
			int e = errno;

			close(fd);
			return e == ESRCH ? CAL_ENOTFOUND : CAL_EIO;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return 0;
}

int kp_read_comm(char *buf, size_t sz, pid_t pid)
{
	size_t n;
	int rc = kp_read_file(buf, sz, &n, pid, "comm");

	if (rc)
		return rc;
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

int kp_read_cmdline(char *buf, size_t sz, pid_t pid)
{
	size_t n;
	int rc = kp_read_file(buf, sz, &n, pid, "cmdline");

	if (rc)
		return rc;
	kp_cmdline_clean(buf, n);
	return 0;
}

int kp_describe(json_t **out, pid_t pid, const char *comm, const char *cmdline,
		const char *uts, bool uts_own)
{
	json_t *p = json_object();
	int rc = 0;

	*out = NULL;
	if (!p)
		return cal_error_set(CAL_ENOMEM, "out of memory describing a process");
	nl_jset(p, "pid", json_integer(pid), &rc);
	nl_jset(p, "comm", nl_json_str(comm), &rc);
	nl_jset(p, "cmdline", nl_json_str(cmdline), &rc);
	nl_jset(p, "uts", uts ? nl_json_str(uts) : json_null(), &rc);
	nl_jset(p, "uts_own", json_boolean(uts_own), &rc);
	if (rc) {
		json_decref(p);
		return cal_error_set(CAL_ENOMEM, "out of memory describing a process");
	}
	*out = p;
	return 0;
}

int kp_uts_hostname(char *buf, size_t sz, pid_t pid, int self_uts_fd, bool *fatal)
{
	struct utsname u;
	char path[64];
	int fd, rc = 0, e;

	snprintf(path, sizeof(path), "/proc/%d/ns/uts", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cal_error_set_errno(errno == ENOENT ? CAL_ENOTFOUND : CAL_EIO, errno,
					   "cannot open '%s'", path);
	if (setns(fd, CLONE_NEWUTS) < 0) {
		e = errno;
		close(fd);
		return cal_error_set_errno(e == EPERM ? CAL_EPERM : CAL_EIO, e,
					   "cannot enter the UTS namespace of pid %d", (int)pid);
	}
	close(fd);
	if (uname(&u) < 0)
		rc = cal_error_set_errno(CAL_EIO, errno, "uname failed");
	/* Back to our own hostname before anything else. */
	if (setns(self_uts_fd, CLONE_NEWUTS) < 0) {
		*fatal = true;
		return cal_error_set_errno(CAL_EIO, errno,
					   "cannot return to the original UTS namespace");
	}
	if (rc == 0)
		snprintf(buf, sz, "%s", u.nodename);
	return rc;
}
