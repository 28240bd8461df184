/* conntest.c - connection tests: tries each configured target of an
 * environment (docs/environments.md) and says, per host and target,
 * whether it answered:
 *   netns    the host's (or switch's) namespace exists and is mounted;
 *   ovsdb    the OVSDB remote answers list_dbs (within 3 s);
 *   libvirt  the libvirt URI opens read-only.
 * A target that is not configured is "skipped" (not a failure).  Runs on
 * a defer worker: each probe may block up to its timeout.
 */
#include "server/server_int.h"

#include "discover/discover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CT_OVS_TIMEOUT_MS 3000

static bool ct_wanted(const json_t *list, const char *name)
{
	size_t i;
	json_t *v;

	if (!list || json_array_size(list) == 0)
		return true;
	json_array_foreach(list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

static json_t *ct_result(const char *host, const char *target, const char *status,
			 const char *detail, int64_t t0)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:f}", "host", host, "target", target, "status",
			 status, "ok", strcmp(status, "failed") != 0, "detail", detail,
			 "duration_ms", (double)(cal_time_mono_us() - t0) / 1000.0);
}

static void ct_member(json_t *results, const json_t *m, const json_t *targets, bool is_switch)
{
	const char *name = cal_json_str(m, "name"), *netns = cal_json_str(m, "netns");
	const char *remote = cal_json_str_or_null(m, "ovsdb");
	const char *uri = cal_json_str_or_null(m, "libvirt");
	int64_t t0;
	char detail[600];

	if (ct_wanted(targets, "netns")) {
		t0 = cal_time_mono_us();
		if (cal_netns_probe(netns) == 0) {
			snprintf(detail, sizeof(detail), "%s%s", *netns ? "namespace " : "",
				 *netns ? netns : "the machine's own namespace");
			json_array_append_new(results, ct_result(name, "netns", "ok", detail, t0));
		} else {
			json_array_append_new(results, ct_result(name, "netns", "failed",
								 cal_error_last(), t0));
		}
	}
	if (is_switch)
		return;
	if (ct_wanted(targets, "ovsdb")) {
		json_t *dbs = NULL;

		t0 = cal_time_mono_us();
		if (!remote) {
			json_array_append_new(results, ct_result(name, "ovsdb", "skipped",
								 "no OVSDB remote configured", t0));
		} else if (cal_ovs_probe(&dbs, remote, CT_OVS_TIMEOUT_MS) == 0) {
			char *list = json_dumps(dbs, JSON_COMPACT);

			snprintf(detail, sizeof(detail), "%s answers; databases %s", remote,
				 list ? list : "?");
			free(list);
			json_array_append_new(results, ct_result(name, "ovsdb", "ok", detail, t0));
		} else {
			json_array_append_new(results, ct_result(name, "ovsdb", "failed",
								 cal_error_last(), t0));
		}
		json_decref(dbs);
	}
	if (ct_wanted(targets, "libvirt")) {
		t0 = cal_time_mono_us();
		if (!uri) {
			json_array_append_new(results, ct_result(name, "libvirt", "skipped",
								 "no libvirt URI configured", t0));
		} else if (cal_libvirt_probe(uri) == 0) {
			snprintf(detail, sizeof(detail), "%s opens", uri);
			json_array_append_new(results, ct_result(name, "libvirt", "ok", detail, t0));
		} else {
			json_array_append_new(results, ct_result(name, "libvirt", "failed",
								 cal_error_last(), t0));
		}
	}
}

int srv_conntest_run(json_t **out, const json_t *config, const json_t *targets,
		     const json_t *hosts)
{
	json_t *results = json_array(), *summary = json_object(), *m, *r;
	bool passed = true;
	size_t i;

	*out = NULL;
	if (!results || !summary) {
		json_decref(results);
		json_decref(summary);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	json_array_foreach(json_object_get(config, "hosts"), i, m)
		if (ct_wanted(hosts, cal_json_str(m, "name")))
			ct_member(results, m, targets, false);
	json_array_foreach(json_object_get(config, "switches"), i, m)
		if (ct_wanted(hosts, cal_json_str(m, "name")))
			ct_member(results, m, targets, true);
	/* The original API's view: one boolean per target. */
	json_array_foreach(results, i, r) {
		const char *t = cal_json_str(r, "target");
		bool ok = json_is_true(json_object_get(r, "ok"));
		json_t *prev = json_object_get(summary, t);

		json_object_set_new(summary, t, json_boolean(ok && (!prev || json_is_true(prev))));
		passed = passed && ok;
	}
	*out = json_pack("{s:o, s:o, s:b}", "results", results, "test_results", summary, "passed",
			 passed);
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}
