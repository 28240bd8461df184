/* openstack_source.c - the "openstack" source: lists what Keystone, Nova
 * and Neutron know, in one batch of paginated list calls run in parallel,
 * and returns the cloud report of docs/report-format.md.
 *
 * Never a request per object: every resource comes from its list call.  A
 * list that fails makes the whole source fail (status "error"), so that
 * the pipeline keeps the last good section whole instead of mixing fresh
 * and missing halves; an optional list (segments, when the extension is
 * not enabled) that answers 404 is only noted in "absent".
 *
 * The section holds the API objects trimmed to the fields the builder
 * reads (openstack_parse.c).  Single-threaded.
 */
#include "discover.h"
#include "openstack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct os_list os_lists_template[] = {
	{ .service = "identity", .path = "/regions", .key = "regions", .kind = "region" },
	{ .service = "identity", .path = "/projects", .key = "projects", .kind = "project" },
	{ .service = "compute", .path = "/servers/detail?all_tenants=1", .key = "servers",
	  .kind = "server", .paginate = true },
	{ .service = "compute", .path = "/os-hypervisors/detail", .key = "hypervisors",
	  .kind = "hypervisor", .paginate = true },
	{ .service = "compute", .path = "/os-services", .key = "services", .kind = "service" },
	{ .service = "compute", .path = "/os-availability-zone/detail",
	  .key = "availabilityZoneInfo", .kind = "availability_zone" },
	{ .service = "compute", .path = "/os-aggregates", .key = "aggregates",
	  .kind = "aggregate" },
	{ .service = "compute", .path = "/flavors/detail?is_public=None", .key = "flavors",
	  .kind = "flavor", .paginate = true },
	{ .service = "network", .path = "/v2.0/networks", .key = "networks", .kind = "network",
	  .paginate = true, .fields = true },
	{ .service = "network", .path = "/v2.0/subnets", .key = "subnets", .kind = "subnet",
	  .paginate = true, .fields = true },
	{ .service = "network", .path = "/v2.0/ports", .key = "ports", .kind = "port",
	  .paginate = true, .fields = true },
	{ .service = "network", .path = "/v2.0/routers", .key = "routers", .kind = "router",
	  .paginate = true, .fields = true },
	{ .service = "network", .path = "/v2.0/floatingips", .key = "floatingips",
	  .kind = "floatingip", .paginate = true, .fields = true },
	{ .service = "network", .path = "/v2.0/agents", .key = "agents", .kind = "agent",
	  .paginate = true, .fields = true },
	{ .service = "network", .path = "/v2.0/segments", .key = "segments", .kind = "segment",
	  .paginate = true, .optional = true, .fields = true },
};
#define OS_NLISTS (sizeof(os_lists_template) / sizeof(os_lists_template[0]))

/* Section key of each list (the API's key, except availability zones). */
static const char *os_section_key(const struct os_list *l)
{
	return strcmp(l->key, "availabilityZoneInfo") == 0 ? "availability_zones" : l->key;
}

static void os_add_unique(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	if (!s || !*s)
		return;
	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return;
	json_array_append_new(arr, json_string(s));
}

/* Mechanism drivers from the agents, type drivers from the networks. */
static json_t *os_detect(const json_t *section)
{
	static const struct {
		const char *agent, *driver;
	} mech[] = {
		{ "Open vSwitch agent", "OVS" },   { "Linux bridge agent", "LXB" },
		{ "NIC Switch agent", "SRIOV" },   { "OVN Controller agent", "OVN" },
		{ "OVN Controller Gateway agent", "OVN" }, { "Macvtap agent", "Macvtap" },
	};
	json_t *m = json_array(), *t = json_array();
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(section, "agents"), i, x)
		for (size_t k = 0; k < sizeof(mech) / sizeof(mech[0]); k++)
			if (strcmp(cal_json_str(x, "agent_type"), mech[k].agent) == 0)
				os_add_unique(m, mech[k].driver);
	json_array_foreach(json_object_get(section, "networks"), i, x)
		os_add_unique(t, cal_json_str(x, "provider:network_type"));
	json_array_foreach(json_object_get(section, "segments"), i, x)
		os_add_unique(t, cal_json_str(x, "network_type"));
	return json_pack("{s:o, s:o}", "mechanism_drivers", m, "type_drivers", t);
}

int cal_openstack_scan(json_t **out, const json_t *os_config, unsigned long *out_requests)
{
	struct os_list lists[OS_NLISTS];
	struct os_client_opts opts;
	struct os_client *c = NULL;
	json_t *secret = NULL, *section = NULL, *absent, *endpoints;
	char failed[1024] = "";
	int rc, nfail = 0;

	*out = NULL;
	if (out_requests)
		*out_requests = 0;
	memcpy(lists, os_lists_template, sizeof(lists));
	rc = os_config_check(os_config);
	if (rc)
		return rc;
	rc = os_config_client_opts(&opts, &secret, os_config);
	if (rc)
		return rc;
	rc = os_client_new(&c, &opts);
	if (rc)
		goto out;
	rc = os_client_list(c, lists, OS_NLISTS);
	if (out_requests)
		*out_requests = (unsigned long)os_client_requests(c);
	if (rc)
		goto out;
	section = json_pack("{s:s, s:s, s:s}", "auth_url", opts.auth.auth_url, "region",
			    opts.region ? opts.region : "", "interface",
			    opts.interface ? opts.interface : "public");
	absent = json_array();
	endpoints = json_object();
	json_object_set_new(section, "absent", absent);
	json_object_set_new(section, "endpoints", endpoints);
	for (size_t i = 0; i < OS_NLISTS; i++) {
		struct os_list *l = &lists[i];
		char *url = NULL;

		if (!json_object_get(endpoints, l->service) &&
		    os_client_endpoint(c, &url, l->service) == 0)
			json_object_set_new(endpoints, l->service, json_string(url));
		free(url);
		if (l->error) {
			size_t used = strlen(failed);

			nfail++;
			if (used + 8 < sizeof(failed))
				snprintf(failed + used, sizeof(failed) - used, "%s%s", used ? "; " : "",
					 l->errmsg);
			continue;
		}
		if (l->absent) {
			json_array_append_new(absent, json_string(os_section_key(l)));
			continue;
		}
		json_object_set(section, os_section_key(l), l->items);
	}
	if (nfail) {
		rc = cal_error_set(CAL_EIO,
				   "%d of %zu OpenStack lists failed: %s", nfail, OS_NLISTS, failed);
		goto out;
	}
	json_object_set_new(section, "detected", os_detect(section));
	json_object_set_new(section, "requests",
			    json_integer((json_int_t)os_client_requests(c)));
	*out = section;
	section = NULL;
out:
	for (size_t i = 0; i < OS_NLISTS; i++)
		json_decref(lists[i].items);
	json_decref(section);
	os_client_free(c);
	os_secret_free(secret);
	return rc;
}

json_t *cal_openstack_cloud_report(const json_t *config, const char *machine, const char *when)
{
	const json_t *os = json_object_get(config, "openstack");
	json_t *report, *section = NULL, *src;
	unsigned long requests = 0;
	int64_t t0 = cal_time_mono_us();
	int rc;

	report = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "format",
			   "calipso-cloud-report/1", "host", CAL_OS_CLOUD_HOST, "environment",
			   cal_json_str(config, "name"), "machine", machine ? machine : "",
			   "scanned_at", when, "role", "cloud", "netns", "", "sources");
	if (!report)
		return NULL;
	rc = cal_openstack_scan(&section, os, &requests);
	if (rc) {
		src = json_pack("{s:s, s:s, s:I, s:s}", "name", "openstack", "status", "error",
				"duration_ms", (json_int_t)((cal_time_mono_us() - t0) / 1000),
				"error", cal_error_last());
		cal_log_warn("openstack", "%s", cal_error_last());
	} else {
		char *d = cal_strdup_printf(
			"%zu servers, %zu ports, %zu networks, %zu hypervisors (%lu requests)",
			json_array_size(json_object_get(section, "servers")),
			json_array_size(json_object_get(section, "ports")),
			json_array_size(json_object_get(section, "networks")),
			json_array_size(json_object_get(section, "hypervisors")), requests);

		src = json_pack("{s:s, s:s, s:I, s:s?}", "name", "openstack", "status", "ok",
				"duration_ms", (json_int_t)((cal_time_mono_us() - t0) / 1000),
				"detail", d);
		free(d);
		json_object_set_new(report, "openstack", section);
	}
	json_array_append_new(json_object_get(report, "sources"), src);
	return report;
}

int cal_openstack_detect(json_t **out, const json_t *os_config)
{
	struct os_list lists[2] = {
		{ .service = "network", .path = "/v2.0/agents", .key = "agents", .kind = "agent",
		  .paginate = true },
		{ .service = "network", .path = "/v2.0/networks", .key = "networks",
		  .kind = "network", .paginate = true },
	};
	struct os_client_opts opts;
	struct os_client *c = NULL;
	json_t *secret = NULL, *sec = NULL;
	int rc;

	*out = NULL;
	rc = os_config_check(os_config);
	if (!rc)
		rc = os_config_client_opts(&opts, &secret, os_config);
	if (!rc)
		rc = os_client_new(&c, &opts);
	if (!rc)
		rc = os_client_list(c, lists, 2);
	for (int i = 0; !rc && i < 2; i++)
		if (lists[i].error)
			rc = cal_error_set(lists[i].error, "%s", lists[i].errmsg);
	if (!rc) {
		sec = json_pack("{s:O, s:O}", "agents", lists[0].items, "networks", lists[1].items);
		*out = sec ? os_detect(sec) : NULL;
		if (!*out)
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	json_decref(sec);
	json_decref(lists[0].items);
	json_decref(lists[1].items);
	os_client_free(c);
	os_secret_free(secret);
	return rc;
}
