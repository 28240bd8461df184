/* discover.h - discovery sources, the host-report format, the model builder
 * and the linker (DESIGN.md "One pipeline").
 *
 * Sources produce report sections (docs/report-format.md); the scan
 * orchestrator assembles one report per host; the builder turns reports into
 * object documents; the linker derives link documents from objects with hash
 * indexes.  Nothing here touches the store.
 *
 * Conventions: 0 or a negative CAL_E* code, details in cal_error_last();
 * the caller owns what comes back through `out` (json_decref it).
 */
#ifndef CALIPSO_DISCOVER_H
#define CALIPSO_DISCOVER_H

#include "core/core.h"

/* ------------------------------------------------------------------ */
/* Kernel source (netlink_*.c, netns.c, procfs.c)                      */
/* ------------------------------------------------------------------ */

struct cal_kernel_opts {
	/* Only these /run/netns names (NULL-terminated), plus the root
	 * namespace; NULL = every namespace. */
	const char *const *only_netns;
	/* Keep every process of the root namespace, not just daemons. */
	bool all_root_processes;
};

/* Reads the machine's root namespace and every network namespace, named
 * (/run/netns) or held by a process (/proc/PID/ns/net, one per inode), and
 * fills *out with the "kernel" section of docs/report-format.md.
 * Namespaces that cannot be entered (no privilege, vanished during the
 * scan) are listed in "errors" and the scan goes on: returns 0 whenever the
 * root namespace could be read, CAL_EPERM/CAL_EIO otherwise. */
int cal_kernel_scan(json_t **out, const struct cal_kernel_opts *opts);

/* ------------------------------------------------------------------ */
/* Open vSwitch source (ovsdb_client.c, ovs_source.c)                  */
/* ------------------------------------------------------------------ */

/* Default OVSDB remote: unix:/run/openvswitch/db.sock (or $OVS_RUNDIR). */
const char *cal_ovs_default_remote(void);

/* Reads Open_vSwitch, Bridge, Port, Interface from the OVSDB server at
 * `remote` ("unix:PATH" or "tcp:IP:PORT") and fills *out with the "ovs"
 * report section.  CAL_EIO when unreachable, CAL_ETIMEOUT, CAL_EPROTO on a
 * malformed reply; the message names the remote. */
int cal_ovs_scan(json_t **out, const char *remote, int timeout_ms);

/* ------------------------------------------------------------------ */
/* libvirt source (libvirt_source.c, libvirt_xml.c)                    */
/* ------------------------------------------------------------------ */

/* Default URI: qemu:///system. */
const char *cal_libvirt_default_uri(void);

/* Lists the domains at `uri` with their interfaces and fills *out with the
 * "libvirt" report section.  CAL_EIO when the URI cannot be opened. */
int cal_libvirt_scan(json_t **out, const char *uri);

/* Parses one domain's XML description (pure; fuzzed) into the domain
 * object of the report format.  CAL_EPROTO on malformed XML. */
int cal_libvirt_parse_domain_xml(json_t **out, const char *xml, size_t len);

/* ------------------------------------------------------------------ */
/* OpenStack source (openstack_*.c, docs/openstack.md)                 */
/* ------------------------------------------------------------------ */

/* The "host" of the cloud report: not a valid host name, so it never
 * collides with one. */
#define CAL_OS_CLOUD_HOST "@cloud"

/* Lists Keystone, Nova and Neutron with the environment's "openstack"
 * configuration and fills *out with the "openstack" section of the cloud
 * report.  CAL_EAUTH (credentials refused), CAL_EIO (unreachable, a list
 * failed), CAL_ENOTFOUND (a service missing from the catalog); the message
 * names the endpoint.  *out_requests (may be NULL) gets the number of HTTP
 * requests made. */
int cal_openstack_scan(json_t **out, const json_t *os_config, unsigned long *out_requests);

/* The cloud report of an environment with an "openstack" key (role
 * "cloud", host CAL_OS_CLOUD_HOST, one source "openstack" whose failure is
 * recorded in it).  NULL only when out of memory. */
json_t *cal_openstack_cloud_report(const json_t *config, const char *machine, const char *when);

/* The mechanism drivers (from the agents: OVS, LXB, SRIOV, OVN...) and
 * type drivers (from the networks) of the cloud: {"mechanism_drivers": [],
 * "type_drivers": []}.  Two list calls. */
int cal_openstack_detect(json_t **out, const json_t *os_config);

/* Checks an "openstack" configuration (no secrets inside; see
 * docs/openstack.md). */
int cal_openstack_config_check(const json_t *os);

/* Reads an "openstack" configuration from clouds.yaml (`cloud` in it) or,
 * when clouds_yaml is NULL and from_env, from the OS_* variables of envp.
 * The secret goes to *out_secret ({"password"} or
 * {"application_credential_secret"}; free with cal_openstack_secret_free). */
int cal_openstack_config_import(json_t **out, json_t **out_secret, const char *clouds_yaml,
				const char *cloud, bool from_env, char *const *envp);
/* Writes the secret to `path` (0600, its directory 0700, atomically). */
int cal_openstack_secret_save(const char *path, const json_t *secret);
void cal_openstack_secret_free(json_t *secret);

/* Tries every target of an environment (Keystone and each service of its
 * catalog, each host's namespace, OVSDB and libvirt) and returns one entry
 * per target: {"target", "host"?, "address", "status": "ok"|"error"|
 * "skipped", "detail"|"error", "duration_ms"}.  Returns 0 when the tests
 * ran (look at the entries). */
int cal_env_test(json_t **out, const json_t *config);

/* ------------------------------------------------------------------ */
/* Environments and scans (scan.c, env_config.c)                       */
/* ------------------------------------------------------------------ */

/* An environment's discovery configuration (docs/environments.md):
 * {"name", "hosts": [{"name","netns","ovsdb","libvirt"}], "switches":
 * [{"name","netns"}], "pnic_names": [globs], "default_host"}.
 * Validates and fills defaults; CAL_EINVALID names the offending key. */
int cal_env_config_check(json_t *config);

/* The configuration used when none was given: this machine as one host
 * named after its hostname, default OVSDB and libvirt. */
json_t *cal_env_config_default(const char *env_name);

struct cal_scan_progress {
	void (*step)(const char *what, int done, int total, void *arg);
	void *arg;
};

/* Runs every source the configuration names and returns one report per
 * host in *out (a JSON array).  Sources that fail are marked in each
 * report's "sources"; the call fails only when nothing at all could be
 * read. */
int cal_scan_collect(json_t **out, const json_t *config,
		     const struct cal_scan_progress *progress);

/* ------------------------------------------------------------------ */
/* Model builder and linker (builder.c, linker.c)                      */
/* ------------------------------------------------------------------ */

/* Builds the object documents of all `reports` (an array of host reports
 * of environment `env`).  *out is a JSON object mapping id -> document.
 * `config` supplies pnic_names; may be NULL. */
int cal_build_objects(json_t **out, const char *env, const json_t *reports,
		      const json_t *config);

/* Derives every link from `objects` (id -> document, as built, plus any
 * kept from sources that failed).  *out maps link id -> link document. */
int cal_link_objects(json_t **out, const char *env, const json_t *objects);


/* ------------------------------------------------------------------ */
/* Reachability probes (probe.c), for connection tests                 */
/* ------------------------------------------------------------------ */

/* 0 when /run/netns/NAME is a mounted namespace ("" is the machine's
 * own); CAL_ENOTFOUND otherwise. */
int cal_netns_probe(const char *name);
/* 0 when the OVSDB server at `remote` answers list_dbs within timeout_ms;
 * *out_dbs (may be NULL) gets the database names.  CAL_EIO, CAL_ETIMEOUT,
 * CAL_EPROTO as cal_ovs_scan(). */
int cal_ovs_probe(json_t **out_dbs, const char *remote, int timeout_ms);
/* 0 when the libvirt URI opens read-only; CAL_EIO with libvirt's reason. */
int cal_libvirt_probe(const char *uri);

#endif
