/* scan.c - runs the sources an environment names and assembles one host
 * report per host (docs/report-format.md).
 *
 * The kernel is read once for the whole machine; its namespaces are then
 * given to hosts: a configured host owns its root namespace, and every other
 * namespace belongs to the host it is attached to by a veth (breadth first
 * from all host roots at once, never through another host's root or a
 * switch).  Namespaces attached to no configured host belong to the host
 * whose root is the machine's own namespace, if the environment has one, and
 * are ignored otherwise (another environment's, or a test's).  This is how a
 * lab of namespaces on one machine looks like several hosts, and how a real
 * host looks like itself.
 *
 * Sources are independent: one that fails is marked "error" in each
 * affected report and the others go on.  Single-threaded.
 */
#include "discover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCAN_OVS_TIMEOUT_MS 5000

static void scan_step(const struct cal_scan_progress *p, const char *what, int done, int total)
{
	if (p && p->step)
		p->step(what, done, total, p->arg);
}

static json_t *scan_source(const char *name, const char *status, int64_t dur_us,
			   const char *detail, const char *error)
{
	json_t *s = json_pack("{s:s, s:s, s:I}", "name", name, "status", status, "duration_ms",
			      (json_int_t)(dur_us / 1000));

	if (s && detail)
		json_object_set_new(s, "detail", json_string(detail));
	if (s && error)
		json_object_set_new(s, "error", json_string(error));
	return s;
}

/* /etc/machine-id identifies the machine whose namespace keys a report
 * uses, so that the builder resolves veth peers across reports only within
 * one machine. */
static void scan_machine_id(char *buf, size_t sz)
{
	FILE *f = fopen("/etc/machine-id", "r");

	snprintf(buf, sz, "unknown");
	if (!f)
		return;
	if (fgets(buf, (int)sz, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* Finds the namespace entry of a configured host: "" is the machine's own
 * root namespace. */
static json_t *scan_find_ns(json_t *namespaces, const char *netns)
{
	size_t i;
	json_t *ns;

	json_array_foreach(namespaces, i, ns) {
		if (!*netns && json_is_true(json_object_get(ns, "root")))
			return ns;
		if (*netns && strcmp(cal_json_str(ns, "name"), netns) == 0)
			return ns;
	}
	return NULL;
}

/* Assigns every namespace key to an owner index (host or switch number, in
 * the order of `owners`), breadth first over veth edges.  Returns a JSON
 * object key -> owner index. */
static json_t *scan_assign(json_t *namespaces, json_t *owners, json_t *owner_ns, int machine_owner)
{
	json_t *owner_of = json_object();
	json_t *by_key = json_object();
	json_t *queue = json_array();
	size_t i, head = 0;
	json_t *ns;

	if (!owner_of || !by_key || !queue)
		goto out;
	json_array_foreach(namespaces, i, ns)
		json_object_set(by_key, cal_json_str(ns, "key"), ns);
	/* Seeds: the roots of hosts; switches own only their namespace. */
	json_array_foreach(owner_ns, i, ns) {
		const char *key = cal_json_str(ns, "key");

		if (!json_is_object(ns) || !*key)
			continue;
		json_object_set_new(owner_of, key, json_integer((json_int_t)i));
		if (strcmp(cal_json_str(json_array_get(owners, i), "role"), "switch") != 0)
			json_array_append(queue, ns);
	}
	while (head < json_array_size(queue)) {
		json_t *cur = json_array_get(queue, head++);
		json_int_t owner = json_integer_value(json_object_get(owner_of,
								      cal_json_str(cur, "key")));
		json_t *links = json_object_get(cur, "links");
		size_t k;
		json_t *l;

		json_array_foreach(links, k, l) {
			const char *peer = cal_json_str(json_object_get(l, "veth"), "peer_netns");
			json_t *pns;

			if (!*peer || json_object_get(owner_of, peer))
				continue;
			pns = json_object_get(by_key, peer);
			if (!pns)
				continue;
			json_object_set_new(owner_of, peer, json_integer(owner));
			json_array_append(queue, pns);
		}
	}
	if (machine_owner >= 0) {
		json_array_foreach(namespaces, i, ns) {
			const char *key = cal_json_str(ns, "key");

			if (!json_object_get(owner_of, key))
				json_object_set_new(owner_of, key, json_integer(machine_owner));
		}
	}
out:
	json_decref(by_key);
	json_decref(queue);
	return owner_of;
}

static json_t *scan_new_report(const json_t *config, const json_t *member, const char *role,
			       const char *machine, const char *when)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "format",
			 "calipso-host-report/1", "host", cal_json_str(member, "name"),
			 "environment", cal_json_str(config, "name"), "machine", machine,
			 "scanned_at", when, "role", role, "netns", cal_json_str(member, "netns"),
			 "sources");
}

/* Runs the OVSDB and libvirt sources of one host report. */
static void scan_host_sources(json_t *report, const json_t *member,
			      const struct cal_scan_progress *progress)
{
	const char *netns = cal_json_str(member, "netns");
	const char *remote = cal_json_str_or_null(member, "ovsdb");
	const char *uri = cal_json_str_or_null(member, "libvirt");
	json_t *sources = json_object_get(report, "sources");
	json_t *section = NULL;
	int64_t t0;
	int rc;

	/* Defaults are probed only for the machine's own root: a host given
	 * as a namespace has no standard socket of its own. */
	if (!remote && !*netns) {
		const char *def = cal_ovs_default_remote();

		if (strncmp(def, "unix:", 5) == 0 && access(def + 5, F_OK) != 0) {
			char *d = cal_strdup_printf("no OVSDB socket at %s", def + 5);

			json_array_append_new(sources, scan_source("ovsdb", "skipped", 0, d, NULL));
			free(d);
		} else {
			remote = def;
		}
	} else if (!remote) {
		json_array_append_new(sources, scan_source("ovsdb", "skipped", 0,
							   "no OVSDB remote configured", NULL));
	}
	if (remote) {
		scan_step(progress, "ovsdb", 0, 1);
		t0 = cal_time_mono_us();
		rc = cal_ovs_scan(&section, remote, SCAN_OVS_TIMEOUT_MS);
		if (rc) {
			json_array_append_new(sources, scan_source("ovsdb", "error",
								   cal_time_mono_us() - t0, NULL,
								   cal_error_last()));
			cal_log_warn("scan", "host %s: %s", cal_json_str(report, "host"),
				     cal_error_last());
		} else {
			json_array_append_new(sources, scan_source("ovsdb", "ok",
								   cal_time_mono_us() - t0, remote,
								   NULL));
			json_object_set_new(report, "ovs", section);
		}
	}
	if (!uri && !*netns) {
		if (access("/run/libvirt/libvirt-sock-ro", F_OK) == 0 ||
		    access("/run/libvirt/libvirt-sock", F_OK) == 0)
			uri = cal_libvirt_default_uri();
		else
			json_array_append_new(sources,
					      scan_source("libvirt", "skipped", 0,
							  "libvirtd is not running (no socket in "
							  "/run/libvirt)",
							  NULL));
	} else if (!uri) {
		json_array_append_new(sources, scan_source("libvirt", "skipped", 0,
							   "no libvirt URI configured", NULL));
	}
	if (uri) {
		scan_step(progress, "libvirt", 0, 1);
		t0 = cal_time_mono_us();
		section = NULL;
		rc = cal_libvirt_scan(&section, uri);
		if (rc) {
			json_array_append_new(sources, scan_source("libvirt", "error",
								   cal_time_mono_us() - t0, NULL,
								   cal_error_last()));
			cal_log_warn("scan", "host %s: %s", cal_json_str(report, "host"),
				     cal_error_last());
		} else {
			/* Domains that could not be read make the answer partial. */
			json_array_append_new(
				sources,
				scan_source("libvirt",
					    json_array_size(json_object_get(section, "errors"))
						    ? "partial"
						    : "ok",
					    cal_time_mono_us() - t0, uri, NULL));
			json_object_set_new(report, "libvirt", section);
		}
	}
}

int cal_scan_collect(json_t **out, const json_t *config,
		     const struct cal_scan_progress *progress)
{
	struct cal_kernel_opts kopts = { 0 };
	json_t *kernel = NULL, *namespaces, *owners = NULL, *owner_ns = NULL, *owner_of = NULL;
	json_t *reports = NULL, *member;
	json_t *hosts = json_object_get(config, "hosts");
	json_t *switches = json_object_get(config, "switches");
	char machine[64], when[CAL_TIME_BUFSZ];
	int machine_owner = -1, rc, kernel_rc;
	int64_t t0, kernel_us;
	size_t i;

	*out = NULL;
	scan_machine_id(machine, sizeof(machine));
	cal_time_format(when, cal_time_now_us());
	scan_step(progress, "netlink", 0, 1);
	t0 = cal_time_mono_us();
	kernel_rc = cal_kernel_scan(&kernel, &kopts);
	kernel_us = cal_time_mono_us() - t0;
	if (kernel_rc) {
		/* Nothing of the kernel could be read: every host says why, and
		 * the other sources still run. */
		cal_log_error("scan", "%s", cal_error_last());
	}
	namespaces = kernel ? json_object_get(kernel, "namespaces") : NULL;

	owners = json_array();
	owner_ns = json_array();
	reports = json_array();
	if (!owners || !owner_ns || !reports) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto fail;
	}
	json_array_foreach(hosts, i, member) {
		json_t *o = json_deep_copy(member);

		json_object_set_new(o, "role", json_string("host"));
		json_array_append_new(owners, o);
	}
	json_array_foreach(switches, i, member) {
		json_t *o = json_deep_copy(member);

		json_object_set_new(o, "role", json_string("switch"));
		json_array_append_new(owners, o);
	}
	json_array_foreach(owners, i, member) {
		json_t *ns = namespaces ? scan_find_ns(namespaces, cal_json_str(member, "netns"))
					: NULL;

		json_array_append(owner_ns, ns ? ns : json_null());
		if (ns && !*cal_json_str(member, "netns") &&
		    strcmp(cal_json_str(member, "role"), "host") == 0)
			machine_owner = (int)i;
	}
	if (namespaces) {
		owner_of = scan_assign(namespaces, owners, owner_ns, machine_owner);
		if (!owner_of) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			goto fail;
		}
	}
	json_array_foreach(owners, i, member) {
		const char *role = cal_json_str(member, "role");
		json_t *report = scan_new_report(config, member, role, machine, when);
		json_t *sources = json_object_get(report, "sources");
		json_t *root = json_array_get(owner_ns, i);
		const char *netns = cal_json_str(member, "netns");

		if (!report) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			goto fail;
		}
		json_array_append_new(reports, report);
		scan_step(progress, cal_json_str(member, "name"), (int)i,
			  (int)json_array_size(owners));
		if (kernel_rc) {
			json_array_append_new(sources, scan_source("netlink", "error", kernel_us,
								   NULL, cal_error_last()));
		} else if (!json_is_object(root)) {
			char *e = cal_strdup_printf("network namespace '%s' not found", netns);

			json_array_append_new(sources,
					      scan_source("netlink", "error", kernel_us, NULL, e));
			free(e);
		} else {
			json_t *mine = json_array(), *errors = json_array();
			size_t k, nerr = 0;
			json_t *ns, *e;

			json_array_foreach(namespaces, k, ns) {
				json_t *own = json_object_get(owner_of, cal_json_str(ns, "key"));
				json_t *copy;

				if (!own || json_integer_value(own) != (json_int_t)i)
					continue;
				copy = json_copy(ns);
				json_object_set_new(copy, "root", json_boolean(ns == root));
				nerr += json_array_size(json_object_get(ns, "errors"));
				json_array_append_new(mine, copy);
			}
			/* Machine-wide errors (a namespace that could not be
			 * entered) belong to the host owning the machine root. */
			if ((int)i == machine_owner) {
				json_array_foreach(json_object_get(kernel, "errors"), k, e)
					json_array_append(errors, e);
			}
			json_object_set_new(report, "kernel",
					    json_pack("{s:o, s:o}", "namespaces", mine, "errors",
						      errors));
			{
				char *d = cal_strdup_printf("%zu namespaces",
							    json_array_size(mine));

				json_t *src = scan_source("netlink",
							  json_array_size(errors) || nerr ? "partial"
											  : "ok",
							  kernel_us, d, NULL);
				json_t *all = json_array();
				size_t j;
				json_t *x;

				/* What could not be read, said where operators look:
				 * machine-wide errors and each namespace's. */
				json_array_foreach(errors, j, x)
					json_array_append(all, x);
				json_array_foreach(mine, j, x) {
					size_t m;
					json_t *ne;

					json_array_foreach(json_object_get(x, "errors"), m, ne)
						json_array_append(all, ne);
				}
				if (json_array_size(all))
					json_object_set(src, "errors", all);
				json_decref(all);
				json_array_append_new(sources, src);
				free(d);
			}
		}
		if (strcmp(role, "host") == 0)
			scan_host_sources(report, member, progress);
	}
	/* The cloud's own APIs: one cloud report (docs/openstack.md). */
	if (json_object_get(config, "openstack")) {
		json_t *cloud;

		scan_step(progress, "openstack", 0, 1);
		cloud = cal_openstack_cloud_report(config, machine, when);
		if (!cloud) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			goto fail;
		}
		json_array_append_new(reports, cloud);
	}
	rc = 0;
	*out = reports;
	reports = NULL;
fail:
	json_decref(kernel);
	json_decref(owners);
	json_decref(owner_ns);
	json_decref(owner_of);
	json_decref(reports);
	return rc;
}
