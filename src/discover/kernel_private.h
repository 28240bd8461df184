/* kernel_private.h - internals of the kernel source (cal_kernel_scan):
 * pure netlink parsers, the rtnetlink socket, namespaces and /proc.
 *
 * Layers, bottom up:
 *   netlink_attr.c     bounded walking of messages and attributes, value
 *                      formatting (MACs, IPs, safe strings)           pure
 *   netlink_link.c     RTM_NEWLINK  -> LINK object                     pure
 *   netlink_addr.c     RTM_NEWADDR  -> address object                  pure
 *   netlink_neigh.c    RTM_NEWNEIGH (AF_BRIDGE fdb) -> fdb remote      pure
 *   netlink_nsid.c     RTM_GETNSID requests and RTM_NEWNSID replies    pure
 *   netlink_resolve.c  cross-references inside one namespace (master
 *                      names, bridge ports, bond members, veth peers)  pure
 *   netlink_collect.c  the messages of a namespace's dumps -> its links pure
 *   netlink_socket.c   the NETLINK_ROUTE socket (libmnl): dumps, batched
 *                      requests                                        I/O
 *   netlink_read.c     the dumps of one namespace, redone when the
 *                      kernel flags them interrupted                   I/O
 *   netns.c            finding namespaces, entering them with setns    I/O
 *   procfs.c           processes and their namespaces from /proc       I/O
 *   kernel_scan.c      cal_kernel_scan(): puts it all together         I/O
 *
 * Pure functions take a bounded buffer, trust nothing in it, allocate only
 * their output and return 0, CAL_EPROTO (malformed input, message set) or
 * CAL_ENOMEM.  Other subsystems never include this header.
 */
#ifndef CALIPSO_DISCOVER_KERNEL_PRIVATE_H
#define CALIPSO_DISCOVER_KERNEL_PRIVATE_H

#include "discover/discover.h"

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct nlattr;

/* ------------------------------------------------------------------ */
/* Limits                                                              */
/* ------------------------------------------------------------------ */

/* Receive buffer for dumps.  The kernel sizes dump chunks after the
 * largest buffer userspace has offered, capped near 32 KiB; 64 KiB leaves
 * room for single messages bigger than that (devices with many VFs).  A
 * datagram that still does not fit grows the buffer and restarts the dump. */
#define NL_RECV_BUFSZ (64 * 1024)
#define NL_RECV_BUFMAX (4 * 1024 * 1024)
/* How often a dump interrupted by a concurrent change is restarted. */
#define NL_DUMP_RETRIES 5
/* RTM_GETNSID requests per send: every reply is its own skb charged to
 * the socket's receive buffer, so a batch must stay well below it. */
#define NL_NSID_BATCH 64
/* Processes kept per namespace (docs/report-format.md). */
#define KP_PROCESSES_MAX 64
/* Bytes of /proc/PID/cmdline kept. */
#define KP_CMDLINE_MAX 512

/* Transient key of a parsed link: IFLA_LINK_NETNSID, an id that only
 * means something inside the namespace that sent it.  nl_links_resolve()
 * turns it into "link_netns" and removes it. */
#define NL_K_NETNSID "_link_netnsid"

/* ------------------------------------------------------------------ */
/* netlink_attr.c                                                      */
/* ------------------------------------------------------------------ */

/* Sets `*rc` to CAL_ENOMEM when `val` is NULL or cannot be stored; takes
 * the reference of `val` in every case.  Lets builders check once. */
void nl_jset(json_t *obj, const char *key, json_t *val, int *rc);
void nl_jappend(json_t *arr, json_t *val, int *rc);
/* Appends a formatted message (escaped as nl_json_str does) to a JSON
 * array of errors, and logs it at info level under `token`. */
void nl_errorf(json_t *errors, const char *token, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A JSON string for bytes from the kernel or /proc: as is when they are
 * valid UTF-8 without control characters, else escaped as \xNN
 * (cal_str_escape).  NULL only on allocation failure. */
json_t *nl_json_str(const char *s);
/* "aa:bb:cc:..." for a hardware address of 1..32 bytes; NULL if empty. */
json_t *nl_json_hwaddr(const uint8_t *p, size_t len);
/* An IPv4 (4 bytes) or IPv6 (16 bytes) address as text; json null for
 * the all-zero address when `zero_is_null`. */
json_t *nl_json_ipaddr(const uint8_t *p, size_t len, bool zero_is_null);

/* The message starting at `buf` with `len` bytes available: checks that
 * its header fits, that nlmsg_len is sane and within `len`.  On success
 * *msglen is the aligned size to step over (<= len).  CAL_EPROTO else. */
int nl_msg_check(const void *buf, size_t len, size_t *msglen);

/* Fills tb[0..max] from the attributes in [start, start+len) (the last
 * one of a type wins; types above `max` are skipped with a debug line
 * naming `what`).  CAL_EPROTO when an attribute runs past the end or the
 * bytes after the last one are more than padding. */
int nl_attr_table(const struct nlattr **tb, unsigned int max, const void *start, size_t len,
		  const char *what);
/* The attributes after a fixed header of `hdrlen` bytes in message `nlh`
 * (whose nlmsg_len has been checked against its buffer). */
int nl_msg_attrs(const struct nlattr **tb, unsigned int max, const struct nlmsghdr *nlh,
		 size_t hdrlen, const char *what);
/* Checked readers: CAL_EPROTO (message set, naming `what`) when the
 * payload has the wrong size. */
int nl_attr_u8(uint8_t *out, const struct nlattr *a, const char *what);
int nl_attr_u16(uint16_t *out, const struct nlattr *a, const char *what);
int nl_attr_u32(uint32_t *out, const struct nlattr *a, const char *what);
/* A NUL-terminated string attribute (the terminator inside the payload). */
int nl_attr_str(const char **out, const struct nlattr *a, const char *what);

/* ------------------------------------------------------------------ */
/* Parsers (netlink_link.c, netlink_addr.c, netlink_neigh.c)           */
/* ------------------------------------------------------------------ */

/* One RTM_NEWLINK message (nlh with `len` bytes available) into a LINK
 * object of docs/report-format.md with what the message alone says:
 * "master", "bridge.ports", "bond.members", "veth.peer_netns",
 * "vxlan.underlay", "macvlan.lower" and "link_netns" are left for
 * nl_links_resolve(), which needs the whole namespace; "addresses" and
 * "vxlan.fdb" are empty arrays for the dumps that follow. */
int nl_parse_link(json_t **out, const struct nlmsghdr *nlh, size_t len);

/* One RTM_NEWADDR message: *out = {"family","address","prefixlen","scope"}
 * for AF_INET/AF_INET6, *ifindex its interface.  Other families give
 * *out = NULL and 0. */
int nl_parse_addr(json_t **out, int *ifindex, const struct nlmsghdr *nlh, size_t len);

/* One RTM_NEWNEIGH message of an AF_BRIDGE dump: *out = {"mac","dst"}
 * when it carries NDA_DST (a VXLAN remote), else NULL and 0. */
int nl_parse_neigh(json_t **out, int *ifindex, const struct nlmsghdr *nlh, size_t len);

/* ------------------------------------------------------------------ */
/* netlink_nsid.c                                                      */
/* ------------------------------------------------------------------ */

/* Appends an RTM_GETNSID request for the namespace open as `ns_fd`, with
 * sequence number `seq`, at buf+*used (capacity `cap`).  CAL_EINVALID
 * when it does not fit (the batch is full). */
int nl_nsid_request(void *buf, size_t cap, size_t *used, uint32_t seq, int ns_fd);
/* An RTM_NEWNSID reply: *nsid (may be NETNSA_NSID_NOT_ASSIGNED = -1). */
int nl_parse_nsid(int32_t *nsid, const struct nlmsghdr *nlh, size_t len);

/* ------------------------------------------------------------------ */
/* netlink_resolve.c                                                   */
/* ------------------------------------------------------------------ */

/* ifindex -> link object of one namespace, an open-addressing table. */
struct nl_link_index;

int nl_link_index_new(struct nl_link_index **out, json_t *links);
void nl_link_index_free(struct nl_link_index *idx);
/* Borrowed reference, NULL when absent. */
json_t *nl_link_index_get(const struct nl_link_index *idx, int ifindex);

/* What a namespace's nsids mean: nsid -> namespace key. */
struct nl_nsid_entry {
	int32_t nsid;
	const char *key;
};

/* Completes the links of one namespace whose key is `own_key`: master
 * names, bridge ports and bond members (from IFLA_MASTER), veth peer
 * namespaces, vxlan underlay and macvlan lower names, "link_netns" from
 * the nsid map (null when the nsid is not in it).  Names are resolved
 * only inside the namespace; never matched across namespaces. */
int nl_links_resolve(json_t *links, const struct nl_link_index *idx, const char *own_key,
		     const struct nl_nsid_entry *map, size_t nmap);

/* ------------------------------------------------------------------ */
/* netlink_collect.c                                                   */
/* ------------------------------------------------------------------ */

/* The links of one namespace being read from its dumps. */
struct nl_collect {
	json_t *links;              /* LINK objects, in dump order */
	struct nl_link_index *idx;  /* built when the first address comes */
	json_t *errors;             /* malformed messages skipped */
	size_t vxlans;              /* vxlan links: the FDB is worth a dump */
};

int nl_collect_init(struct nl_collect *c);
void nl_collect_fini(struct nl_collect *c);
/* One message of a dump (an nl_msg_fn): RTM_NEWLINK adds a link,
 * RTM_NEWADDR / RTM_NEWNEIGH attach to theirs; CAL_EPROTO messages are
 * recorded in c->errors and skipped (returns 0); CAL_ENOMEM. */
int nl_collect_msg(const struct nlmsghdr *nlh, size_t len, void *arg);
/* Every message of a buffer of concatenated messages (a captured dump);
 * CAL_EPROTO when the message framing itself is broken. */
int nl_collect_buffer(struct nl_collect *c, const void *buf, size_t len);
/* Hands over the links and their index (the collector keeps neither). */
int nl_collect_take(json_t **links, struct nl_link_index **idx, struct nl_collect *c);

/* ------------------------------------------------------------------ */
/* netlink_socket.c                                                    */
/* ------------------------------------------------------------------ */

struct nl_sock;

/* Opens and binds a NETLINK_ROUTE socket in the calling thread's current
 * network namespace (where it stays).  CAL_EIO/CAL_EPERM. */
int nl_sock_open(struct nl_sock **out);
void nl_sock_close(struct nl_sock *s);

/* Called for every data message of a dump; return 0 to go on, or a
 * CAL_E* code: the dump is still read to its end, and the first code is
 * returned by nl_sock_dump. */
typedef int (*nl_msg_fn)(const struct nlmsghdr *nlh, size_t len, void *arg);

/* Dump request `type` (RTM_GETLINK, RTM_GETADDR, RTM_GETNEIGH) for
 * `family`.  Returns 0, the callback's first error, CAL_EIO/CAL_ETIMEOUT,
 * or 1 when the kernel flagged the dump inconsistent (NLM_F_DUMP_INTR) or
 * a datagram did not fit (the buffer was grown): the caller discards what
 * it got and dumps again. */
int nl_sock_dump(struct nl_sock *s, uint16_t type, uint8_t family, nl_msg_fn fn, void *arg);

/* The state of one dump being read, and its pure core: processes one
 * datagram (messages of other requests skipped, data messages to `fn`,
 * NLM_F_DUMP_INTR / NLMSG_OVERRUN / a DONE of -EINTR noted in `intr`,
 * NLMSG_DONE / NLMSG_ERROR end it with `first` = the first error).
 * Returns CAL_EPROTO only when the datagram's framing is broken. */
struct nl_dump_state {
	uint32_t seq, portid;
	bool done, intr;
	int first;
};
int nl_dump_feed(struct nl_dump_state *st, const void *buf, size_t n, nl_msg_fn fn, void *arg);

/* Asks the socket's namespace for its nsid of each namespace in fds[]
 * (batched, NL_NSID_BATCH per send).  nsids[i] = -1 when none. */
int nl_sock_nsids(struct nl_sock *s, int32_t *nsids, const int *fds, size_t n);

/* ------------------------------------------------------------------ */
/* netlink_read.c                                                      */
/* ------------------------------------------------------------------ */

/* Reads the links, addresses and (when there is a vxlan) the bridge FDB
 * of the socket's namespace: *links is a JSON array of LINK objects, not
 * yet resolved (nl_links_resolve), *idx its index.  A dump the kernel
 * flags as interrupted by a concurrent change is done again (up to
 * NL_DUMP_RETRIES times).  Malformed messages are skipped and described in
 * `errors` (a JSON array); the call fails (CAL_EIO, CAL_ETIMEOUT,
 * CAL_ENOMEM) only when the links could not be read. */
int nl_read_namespace(json_t **links, struct nl_link_index **idx, struct nl_sock *s,
		      json_t *errors);

/* ------------------------------------------------------------------ */
/* netns.c                                                             */
/* ------------------------------------------------------------------ */

struct kn_ns {
	uint64_t inode;
	char key[32];       /* "ns:<inode>" */
	char *name;         /* /run/netns name, "" when none */
	bool root;          /* the calling thread's namespace */
	bool named;
	int fd;             /* nsfs fd held for the scan (root: the self fd) */
	pid_t pid;          /* a process that holds it (unnamed ones), 0 else */
	json_t *links;      /* resolved LINK objects, NULL until read */
	json_t *errors;     /* this namespace's "errors" */
	json_t *processes;  /* kept process objects */
	size_t process_count;
	bool failed;        /* could not be entered: left out of the report */
};

struct kn_ns_set {
	struct kn_ns *v;
	size_t n, cap;
	int *hash;          /* inode -> index + 1, open addressing */
	size_t hcap;
	int self_fd;        /* the calling thread's network namespace */
	dev_t nsfs_dev;     /* st_dev of nsfs files, to recognise them */
	json_t *errors;     /* the section's "errors" */
};

int kn_ns_set_init(struct kn_ns_set *set);
void kn_ns_set_fini(struct kn_ns_set *set);
/* The entry for `inode`, NULL when unknown. */
struct kn_ns *kn_ns_find(struct kn_ns_set *set, uint64_t inode);
/* Adds an entry (the set takes `fd`); CAL_ENOMEM. */
int kn_ns_add(struct kn_ns **out, struct kn_ns_set *set, uint64_t inode, const char *name,
	      int fd);
/* Adds the namespaces of /run/netns (those of `only` when not NULL); a
 * name that cannot be opened or is not a namespace goes to set->errors. */
int kn_netns_add_named(struct kn_ns_set *set, const char *const *only);
/* "namespace 'qdhcp-x'" or "namespace ns:4026532300 (pid 812)". */
void kn_ns_describe(char *buf, size_t sz, const struct kn_ns *ns);
/* Enters `ns` on the calling thread, opens a NETLINK_ROUTE socket there
 * and returns to set->self_fd, always.  CAL_EPERM/CAL_EIO with a message
 * naming the namespace; *fatal is set when returning failed (the thread
 * is stranded and the scan must stop). */
int kn_ns_open_socket(struct nl_sock **out, struct kn_ns_set *set, const struct kn_ns *ns,
		      bool *fatal);

/* ------------------------------------------------------------------ */
/* procfs.c                                                            */
/* ------------------------------------------------------------------ */

struct kp_proc {
	pid_t pid;
	uint64_t net_ino;
	uint64_t uts_ino;
};

/* Parses a namespace link target "net:[4026531840]" of type `type`. */
int kp_parse_ns_link(uint64_t *inode, const char *target, const char *type);
/* Turns raw /proc/PID/cmdline bytes into one line in place: NULs become
 * spaces, trailing separators go; returns the new length (< cap). */
size_t kp_cmdline_clean(char *buf, size_t len);
/* Whether a root-namespace process is one of the daemons the builder
 * reads (dnsmasq, haproxy, ovs-vswitchd, neutron-*, ...): by comm, or by
 * the script name when comm is an interpreter. */
bool kp_is_interesting(const char *comm, const char *cmdline);
/* Whether a comm that is not a daemon's may still hide one (cut at 15
 * bytes, or an interpreter): only then is the cmdline worth reading. */
bool kp_comm_may_hide(const char *comm);

/* Every readable /proc/PID with its net and uts namespace inodes, sorted
 * by pid; processes that vanish or cannot be read are skipped. */
int kp_list(struct kp_proc **out, size_t *n);
/* {"pid","comm","cmdline","uts","uts_own"} from what was read; `uts` may
 * be NULL (json null).  CAL_ENOMEM. */
int kp_describe(json_t **out, pid_t pid, const char *comm, const char *cmdline,
		const char *uts, bool uts_own);
/* The process's comm (buf >= 17 bytes) and its cmdline made one line
 * (kp_cmdline_clean, buf of KP_CMDLINE_MAX + 1 keeps the bound);
 * CAL_ENOTFOUND when the process is gone. */
int kp_read_comm(char *buf, size_t sz, pid_t pid);
int kp_read_cmdline(char *buf, size_t sz, pid_t pid);
/* The UTS hostname of `pid`, read by entering its UTS namespace on the
 * calling thread and returning to `self_uts_fd`.  *fatal as above. */
int kp_uts_hostname(char *buf, size_t sz, pid_t pid, int self_uts_fd, bool *fatal);

#endif
