/* libvirt_dump.c - developer tool: prints the "libvirt" report section of
 * a libvirt URI, or the domain object parsed from a domain XML file, as
 * JSON on stdout.
 *
 *   libvirt_dump [URI]          default qemu:///system; the test driver
 *                               takes test:///ABSOLUTE/PATH.xml
 *   libvirt_dump --xml FILE     cal_libvirt_parse_domain_xml() on FILE
 * Exit status: 0 ok, 1 error (message on stderr), 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover/discover.h"

static int lvt_read_file(char **out, size_t *len, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return cal_error_set_errno(CAL_EIO, errno, "cannot open '%s'", path);
	for (;;) {
		if (n == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return cal_error_set(CAL_ENOMEM, "cannot read '%s'", path);
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		size_t r = fread(buf + n, 1, cap - n, f);

		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

int main(int argc, char **argv)
{
	json_t *out = NULL;
	char *text;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "--xml")) {
		char *xml = NULL;
		size_t len = 0;

		rc = lvt_read_file(&xml, &len, argv[2]);
		if (rc == 0)
			rc = cal_libvirt_parse_domain_xml(&out, xml, len);
		free(xml);
	} else if (argc <= 2 && (argc < 2 || argv[1][0] != '-')) {
		rc = cal_libvirt_scan(&out, argc == 2 ? argv[1] : NULL);
	} else {
		fprintf(stderr, "usage: libvirt_dump [URI] | --xml FILE\n");
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "libvirt_dump: %s: %s\n", cal_error_name(rc), cal_error_last());
		return 1;
	}
	text = json_dumps(out, JSON_INDENT(2));
	json_decref(out);
	if (!text)
		return 1;
	puts(text);
	free(text);
	return 0;
}
