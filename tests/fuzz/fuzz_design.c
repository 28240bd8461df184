/* fuzz_design.c - fuzz target of design files (design.c, design_yaml.c,
 * diff_fields.c): the YAML or JSON reader and the checks, then, for what
 * they accept, the YAML writer (whose output must read back as the same
 * document) and the matcher against a small concrete inventory.  Design
 * files reach the parser from users and from the REST API's request
 * bodies.  Seeds: tests/fuzz/corpus/design/ (an exported lab design, hand
 * written ones with patterns, JSON, broken ones).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/diff_int.h"
#include "fuzz_replay.h"

static json_t *fz_inventory(bool links)
{
	if (links)
		return json_pack("[{s:s, s:s, s:s, s:s, s:s}]", "id", "vm1|instance-vnic|h1:vnic:tap1",
				 "source_id", "vm1", "target_id", "h1:vnic:tap1", "link_type",
				 "instance-vnic", "state", "up");
	return json_pack("[{s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:i}, {s:s, s:s, s:s}]",
			 "id", "h1:vnic:tap1", "type", "vnic", "host", "h1", "operstate", "up",
			 "interfaces", "name", "a", "state", "up", "mtu", 1450,
			 "id", "vm1", "type", "instance", "host", "h1");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *d = NULL, *back = NULL, *res = NULL, *objs, *links;
	char *yaml;

	if (cal_design_parse(&d, (const char *)data, size, "fuzz") != 0)
		return 0;
	yaml = cal_design_yaml(d);
	if (yaml) {
		if (cal_design_parse(&back, yaml, strlen(yaml), "fuzz-again") != 0 ||
		    !json_equal(back, d)) {
			fprintf(stderr, "fuzz_design: the written YAML does not read back:\n%s\n",
				yaml);
			abort();
		}
		json_decref(back);
		free(yaml);
	}
	objs = fz_inventory(false);
	links = fz_inventory(true);
	if (dsg_compare(&res, d, objs, links, NULL, NULL) == 0)
		json_decref(res);
	json_decref(objs);
	json_decref(links);
	json_decref(d);
	return 0;
}
