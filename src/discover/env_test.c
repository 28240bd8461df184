/* env_test.c - `calipso env test`: tries every target an environment
 * names and says what answered: Keystone (a token) and each service of its
 * catalog (the version document at the endpoint), each host's network
 * namespace, OVSDB and libvirt.  Read-only; nothing is stored.
 *
 * Messages carry endpoints and errors, never credentials or tokens.
 * Single-threaded.
 */
#include "discover.h"
#include "openstack.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static json_t *et_entry(const char *target, const char *host, const char *address, int rc,
			const char *detail, int64_t t0)
{
	json_t *e = json_pack("{s:s, s:s, s:s, s:I}", "target", target, "address",
			      address ? address : "", "status",
			      rc == 1 ? "skipped" : rc == 0 ? "ok" : "error", "duration_ms",
			      (json_int_t)((cal_time_mono_us() - t0) / 1000));

	if (e && host)
		json_object_set_new(e, "host", json_string(host));
	if (e)
		json_object_set_new(e, rc < 0 ? "error" : "detail", json_string(detail ? detail : ""));
	return e;
}

static void et_openstack(json_t *out, const json_t *os)
{
	struct os_client_opts opts;
	struct os_client *c = NULL;
	json_t *secret = NULL;
	int64_t t0 = cal_time_mono_us();
	size_t i;
	json_t *svc;
	int rc;

	rc = os_config_check(os);
	if (!rc)
		rc = os_config_client_opts(&opts, &secret, os);
	if (!rc)
		rc = os_client_new(&c, &opts);
	if (!rc)
		rc = os_client_auth(c);
	if (rc) {
		json_array_append_new(out, et_entry("keystone", NULL, cal_json_str(os, "auth_url"),
						    rc, cal_error_last(), t0));
		goto out;
	}
	{
		char *d = cal_strdup_printf("token issued, %zu services in the catalog",
					    json_array_size(os_client_token(c)->catalog));

		json_array_append_new(out, et_entry("keystone", NULL, cal_json_str(os, "auth_url"),
						    0, d, t0));
		free(d);
	}
	/* Each service of the catalog: its endpoint's version document. */
	json_array_foreach(os_client_token(c)->catalog, i, svc) {
		const char *type = cal_json_str(svc, "type");
		char *url = NULL, *target;
		struct os_req r = { 0 };
		struct os_http *h = NULL;
		struct os_http_opts ho = opts.http;

		t0 = cal_time_mono_us();
		target = cal_strdup_printf("openstack:%s", type);
		rc = os_client_endpoint(c, &url, type);
		if (rc) {
			json_array_append_new(out, et_entry(target, NULL, "", rc, cal_error_last(),
							    t0));
			free(target);
			continue;
		}
		ho.timeout_ms = ho.timeout_ms > 10000 ? 10000 : ho.timeout_ms;
		r.url = url;
		if (os_http_new(&h, &ho) == 0 && os_http_run(h, &r, 1) == 0) {
			char d[300];

			/* Any HTTP answer means the service is there; a version
			 * document is 200 or 300. */
			if (r.error) {
				snprintf(d, sizeof(d), "%s", r.errmsg);
				rc = CAL_EIO;
			} else {
				snprintf(d, sizeof(d), "HTTP %ld", r.status);
				rc = r.status >= 500 ? CAL_EIO : 0;
			}
			json_array_append_new(out, et_entry(target, NULL, url, rc, d, t0));
		}
		os_req_reset(&r);
		os_http_free(h);
		free(url);
		free(target);
	}
out:
	os_client_free(c);
	os_secret_free(secret);
}

/* The namespace exists and can be entered (from a child-free check:
 * opening it is enough to know it is mounted as a namespace). */
static int et_netns(char *msg, size_t sz, const char *name)
{
	char path[512];
	struct stat a, b;
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, sz, "cannot open %s", path);
		return CAL_ENOTFOUND;
	}
	/* A bind-mounted namespace is on nsfs, not on /run's filesystem. */
	if (fstat(fd, &a) < 0 || stat("/run/netns", &b) < 0 || a.st_dev == b.st_dev) {
		close(fd);
		snprintf(msg, sz, "%s is not a mounted network namespace", path);
		return CAL_EIO;
	}
	close(fd);
	snprintf(msg, sz, "namespace inode %llu", (unsigned long long)a.st_ino);
	return 0;
}

int cal_env_test(json_t **out, const json_t *config)
{
	json_t *res = json_array();
	size_t i;
	json_t *h;

	*out = NULL;
	if (!res)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (json_object_get(config, "openstack"))
		et_openstack(res, json_object_get(config, "openstack"));
	json_array_foreach(json_object_get(config, "hosts"), i, h) {
		const char *name = cal_json_str(h, "name");
		const char *netns = cal_json_str(h, "netns");
		const char *remote = cal_json_str_or_null(h, "ovsdb");
		const char *uri = cal_json_str_or_null(h, "libvirt");
		int64_t t0 = cal_time_mono_us();
		char msg[512];
		json_t *sec = NULL;
		int rc;

		if (*netns) {
			rc = et_netns(msg, sizeof(msg), netns);
			json_array_append_new(res, et_entry("netns", name, netns, rc, msg, t0));
		}
		t0 = cal_time_mono_us();
		if (remote) {
			rc = cal_ovs_scan(&sec, remote, 5000);
			snprintf(msg, sizeof(msg), "%s", rc ? cal_error_last() : "");
			if (!rc)
				snprintf(msg, sizeof(msg), "Open vSwitch%s%s, %zu bridges",
					 *cal_json_str(sec, "ovs_version") ? " " : "",
					 cal_json_str(sec, "ovs_version"),
					 json_array_size(json_object_get(sec, "bridges")));
			json_array_append_new(res, et_entry("ovsdb", name, remote, rc, msg, t0));
			json_decref(sec);
			sec = NULL;
		} else {
			json_array_append_new(res, et_entry("ovsdb", name, "", 1,
							    "no OVSDB remote configured", t0));
		}
		t0 = cal_time_mono_us();
		if (uri) {
			rc = cal_libvirt_scan(&sec, uri);
			snprintf(msg, sizeof(msg), "%s", rc ? cal_error_last() : "");
			if (!rc)
				snprintf(msg, sizeof(msg), "%zu domains",
					 json_array_size(json_object_get(sec, "domains")));
			json_array_append_new(res, et_entry("libvirt", name, uri, rc, msg, t0));
			json_decref(sec);
		} else {
			json_array_append_new(res, et_entry("libvirt", name, "", 1,
							    "no libvirt URI configured", t0));
		}
	}
	*out = res;
	return 0;
}
