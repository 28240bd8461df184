/* fuzz_openstack.c - fuzz target of the OpenStack response parser
 * (openstack_parse.c): list pages and their markers, error bodies, Keystone
 * tokens and catalog endpoint selection.  The first byte chooses which list
 * key the page is read with, so that every trimming table is exercised.
 * Seeds: tests/fuzz/corpus/openstack/ (responses recorded from the lab
 * cloud, tests/data/openstack/record.py).
 */
#include <stdint.h>
#include <stdlib.h>

#include "discover/openstack.h"
#include "fuzz_replay.h"

static const char *const keys[][2] = {
	{ "servers", "server" },     { "ports", "port" },	     { "networks", "network" },
	{ "subnets", "subnet" },     { "routers", "router" },      { "agents", "agent" },
	{ "hypervisors", "hypervisor" }, { "services", "service" },  { "flavors", "flavor" },
	{ "aggregates", "aggregate" }, { "availabilityZoneInfo", "availability_zone" },
	{ "projects", "project" },   { "regions", "region" },      { "floatingips", "floatingip" },
	{ "segments", "segment" },   { "other", NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body;
	size_t len, k;
	json_t *items;
	char *marker = NULL;
	char err[512];
	struct os_token tok;

	if (size < 1)
		return 0;
	k = data[0] % (sizeof(keys) / sizeof(keys[0]));
	body = (const char *)data + 1;
	len = size - 1;
	items = json_array();
	if (os_parse_page(items, &marker, body, len, keys[k][0], keys[k][1]) == 0)
		free(marker);
	json_decref(items);
	os_parse_error(err, sizeof(err), 400 + (long)(data[0] % 100), body, len);
	if (os_parse_token(&tok, "fuzz", body, len) == 0) {
		static const char *const svc[] = { "compute", "network", "identity" };
		char *url = NULL;

		for (size_t i = 0; i < 3; i++) {
			if (os_catalog_endpoint(&url, tok.catalog, svc[i], "public",
						data[0] & 1 ? "RegionOne" : NULL) == 0)
				free(url);
			url = NULL;
		}
		os_token_clear(&tok);
	}
	return 0;
}
