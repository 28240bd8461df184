/* fuzz_libvirt_xml.c - fuzz target of the libvirt domain XML parser
 * (cal_libvirt_parse_domain_xml in libvirt_xml.c).
 * Seeds: tests/fuzz/corpus/libvirt_xml/ (domain descriptions).
 */
#include <stdint.h>
#include <stdlib.h>

#include "discover/discover.h"
#include "fuzz_replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *dom = NULL;

	if (cal_libvirt_parse_domain_xml(&dom, (const char *)data, size) == 0) {
		char *text = json_dumps(dom, JSON_COMPACT);

		free(text);
		json_decref(dom);
	}
	return 0;
}
