/* os_dump - prints what the OpenStack source sees, as JSON.
 *
 *   os_dump CONFIG.json            the "openstack" section
 *   os_dump --stats CONFIG.json    {"seconds", "requests", counts,
 *                                   "build_seconds", "objects", "links",
 *                                   "peak_rss_kb"} (bench/openstack_bench.py)
 *
 * CONFIG.json is an environment's "openstack" object (docs/openstack.md),
 * with its secret in "secret_file".
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "discover/discover.h"

int main(int argc, char **argv)
{
	bool stats = argc == 3 && strcmp(argv[1], "--stats") == 0;
	json_t *os, *sec = NULL, *cfg, *report, *reports, *objects = NULL, *links = NULL;
	json_error_t jerr;
	unsigned long requests = 0;
	struct rusage ru;
	int64_t t0, t1;
	int rc;

	if (argc != 2 && !stats) {
		fprintf(stderr, "usage: os_dump [--stats] CONFIG.json\n");
		return 2;
	}
	os = json_load_file(argv[argc - 1], 0, &jerr);
	if (!os) {
		fprintf(stderr, "os_dump: %s: %s\n", argv[argc - 1], jerr.text);
		return 2;
	}
	t0 = cal_time_mono_us();
	rc = cal_openstack_scan(&sec, os, &requests);
	t1 = cal_time_mono_us();
	if (rc) {
		fprintf(stderr, "os_dump: %s\n", cal_error_last());
		json_decref(os);
		return 1;
	}
	if (!stats) {
		json_dumpf(sec, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
		printf("\n");
		json_decref(sec);
		json_decref(os);
		return 0;
	}
	{
		json_t *out = json_pack("{s:f, s:I, s:I, s:I, s:I, s:I}", "seconds",
					(double)(t1 - t0) / 1e6, "requests", (json_int_t)requests,
					"servers",
					(json_int_t)json_array_size(json_object_get(sec, "servers")),
					"ports", (json_int_t)json_array_size(json_object_get(sec, "ports")),
					"hypervisors",
					(json_int_t)json_array_size(json_object_get(sec, "hypervisors")),
					"networks",
					(json_int_t)json_array_size(json_object_get(sec, "networks")));

		getrusage(RUSAGE_SELF, &ru);
		json_object_set_new(out, "api_peak_rss_kb", json_integer(ru.ru_maxrss));
		cfg = json_pack("{s:s}", "name", "bench");
		report = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:o}", "host",
				   CAL_OS_CLOUD_HOST, "role", "cloud", "scanned_at",
				   "2026-11-25T12:00:00Z", "environment", "bench", "sources", "name",
				   "openstack", "status", "ok", "openstack", sec);
		reports = json_pack("[o]", report);
		t0 = cal_time_mono_us();
		rc = cal_build_objects(&objects, "bench", reports, cfg);
		if (!rc)
			rc = cal_link_objects(&links, "bench", objects);
		t1 = cal_time_mono_us();
		getrusage(RUSAGE_SELF, &ru);
		json_object_set_new(out, "build_seconds", json_real((double)(t1 - t0) / 1e6));
		json_object_set_new(out, "objects", json_integer((json_int_t)json_object_size(objects)));
		json_object_set_new(out, "links", json_integer((json_int_t)json_object_size(links)));
		json_object_set_new(out, "peak_rss_kb", json_integer(ru.ru_maxrss));
		json_dumpf(out, stdout, JSON_INDENT(1));
		printf("\n");
		json_decref(out);
		json_decref(reports);
		json_decref(objects);
		json_decref(links);
		json_decref(cfg);
	}
	json_decref(os);
	return rc ? 1 : 0;
}
