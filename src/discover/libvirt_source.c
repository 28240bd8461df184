/* libvirt_source.c - the libvirt discovery source: every domain at a URI
 * with its state, size and network interfaces, as the "libvirt" section of
 * docs/report-format.md.
 *
 * Opens the URI read-only (write access is never needed) and falls back to
 * a read-write open only when the read-only one is refused.  libvirt is
 * loaded on first use (libvirt_dl.c), with its default error printing
 * switched off; its errors become our messages ("cannot open libvirt at
 * qemu:///system: ...").  cal_libvirt_probe() opens the same way.
 * A domain that vanishes or whose description cannot be read during the
 * scan is listed in "errors" and the scan goes on.
 * Threading: reentrant (libvirt's last error is per thread).
 * Trust: domain XML goes through the pure, fuzzed parser in libvirt_xml.c.
 */
#include "discover/discover.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt_dl.h"

const char *cal_libvirt_default_uri(void)
{
	return "qemu:///system";
}

static const char *lv_last_error(const struct lv_api *api)
{
	const char *m = api->get_last_error_message();

	return m ? m : "unknown error";
}

static const char *lv_state_name(int state)
{
	switch (state) {
	case VIR_DOMAIN_NOSTATE: return "nostate";
	case VIR_DOMAIN_RUNNING: return "running";
	case VIR_DOMAIN_BLOCKED: return "blocked";
	case VIR_DOMAIN_PAUSED: return "paused";
	case VIR_DOMAIN_SHUTDOWN: return "shutdown";
	case VIR_DOMAIN_SHUTOFF: return "shutoff";
	case VIR_DOMAIN_CRASHED: return "crashed";
	case VIR_DOMAIN_PMSUSPENDED: return "pmsuspended";
	default: return "unknown";
	}
}

static bool lv_is_refusal(int code)
{
	return code == VIR_ERR_OPERATION_DENIED || code == VIR_ERR_AUTH_FAILED ||
	       code == VIR_ERR_AUTH_CANCELLED || code == VIR_ERR_AUTH_UNAVAILABLE ||
	       code == VIR_ERR_NO_SUPPORT || code == VIR_ERR_OPERATION_UNSUPPORTED;
}

static void lv_xml_silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static virConnectPtr lv_open(const struct lv_api *api, const char *uri)
{
	/* Drivers that read XML files (test:///PATH) let libxml2 print its
	 * own warnings; libvirt's error carries the same news.  libxml2's
	 * handler is per thread: silence it for this thread's open only.
	 * (libvirt needs libxml2: when libvirt is loaded, so is it.) */
	const struct lv_xml_api *x = lv_xml_api();
	xmlGenericErrorFunc old_fn = x ? *x->generic_error() : NULL;
	void *old_ctx = x ? *x->generic_error_context() : NULL;
	virConnectPtr conn;
	virErrorPtr err;

	if (x)
		x->set_generic_error_func(NULL, lv_xml_silent);
	conn = api->connect_open_read_only(uri);
	if (!conn) {
		err = api->get_last_error();
		if (err && lv_is_refusal(err->code)) {
			cal_log_debug("libvirt", "read-only open of %s refused, trying read-write",
				      uri);
			conn = api->connect_open(uri);
		}
	}
	if (x)
		x->set_generic_error_func(old_ctx, old_fn);
	return conn;
}

/* One domain into the report; 1 when it was skipped (error appended). */
static int lv_scan_domain(const struct lv_api *api, json_t **out, virDomainPtr dom,
			  json_t *errors)
{
	const char *name = api->domain_get_name(dom);
	virDomainInfo info;
	char *xml = NULL;
	json_t *d = NULL;
	int rc;

	*out = NULL;
	if (api->domain_get_info(dom, &info) < 0) {
		json_array_append_new(errors, json_sprintf("domain '%s': cannot read its state: %s",
							   name ? name : "?", lv_last_error(api)));
		return 1;
	}
	xml = api->domain_get_xml_desc(dom, 0);
	if (!xml) {
		json_array_append_new(errors, json_sprintf("domain '%s': cannot read its XML: %s",
							   name ? name : "?", lv_last_error(api)));
		return 1;
	}
	rc = cal_libvirt_parse_domain_xml(&d, xml, strlen(xml));
	free(xml);
	if (rc < 0) {
		json_array_append_new(errors, json_sprintf("domain '%s': %s", name ? name : "?",
							   cal_error_last()));
		return 1;
	}
	/* The live figures win over the description's. */
	if (json_object_set_new(d, "state", json_string(lv_state_name(info.state))) < 0 ||
	    json_object_set_new(d, "vcpus", json_integer(info.nrVirtCpu)) < 0 ||
	    (info.memory > 0 &&
	     json_object_set_new(d, "memory_kb", json_integer((json_int_t)info.memory)) < 0)) {
		json_decref(d);
		return cal_error_set(CAL_ENOMEM, "cannot build domain '%s'", name ? name : "?");
	}
	*out = d;
	return 0;
}

static int lv_cmp_name(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(cal_json_str(x, "name"), cal_json_str(y, "name"));
}

int cal_libvirt_probe(const char *uri)
{
	const struct lv_api *api = lv_api();
	virConnectPtr conn;

	if (!api)
		return CAL_EIO;
	conn = lv_open(api, uri);
	if (!conn)
		return cal_error_set(CAL_EIO, "cannot open libvirt at %s: %s", uri,
				     lv_last_error(api));
	api->connect_close(conn);
	return 0;
}

int cal_libvirt_scan(json_t **out, const char *uri)
{
	const struct lv_api *api = lv_api();
	virConnectPtr conn = NULL;
	virDomainPtr *doms = NULL;
	json_t **found = NULL, *section = NULL, *list = NULL, *errors = NULL;
	int n = 0, k = 0, rc = 0;

	*out = NULL;
	if (!uri)
		uri = cal_libvirt_default_uri();
	if (!api)
		return CAL_EIO;
	conn = lv_open(api, uri);
	if (!conn)
		return cal_error_set(CAL_EIO, "cannot open libvirt at %s: %s", uri,
				     lv_last_error(api));
	api->conn_set_error_func(conn, NULL, lv_silent);
	n = api->connect_list_all_domains(conn, &doms, 0);
	if (n < 0) {
		rc = cal_error_set(CAL_EIO, "cannot list the domains of libvirt at %s: %s", uri,
				   lv_last_error(api));
		n = 0;
		goto done;
	}
	list = json_array();
	errors = json_array();
	found = calloc((size_t)n + 1, sizeof(*found));
	if (!list || !errors || !found) {
		rc = cal_error_set(CAL_ENOMEM, "cannot build the libvirt section");
		goto done;
	}
	for (int i = 0; i < n; i++) {
		json_t *d;

		rc = lv_scan_domain(api, &d, doms[i], errors);
		if (rc < 0)
			goto done;
		if (d)
			found[k++] = d;
	}
	rc = 0;
	qsort(found, (size_t)k, sizeof(*found), lv_cmp_name);
	for (int i = 0; i < k; i++) {
		if (json_array_append(list, found[i]) < 0) {
			rc = cal_error_set(CAL_ENOMEM, "cannot build the libvirt section");
			goto done;
		}
	}
	section = json_pack("{s:s s:O s:O}", "uri", uri, "domains", list, "errors", errors);
	if (!section) {
		rc = cal_error_set(CAL_ENOMEM, "cannot build the libvirt section");
		goto done;
	}
	*out = section;
done:
	for (int i = 0; i < k; i++)
		json_decref(found[i]);
	free(found);
	json_decref(list);
	json_decref(errors);
	for (int i = 0; i < n; i++)
		api->domain_free(doms[i]);
	free(doms);
	api->connect_close(conn);
	return rc;
}
