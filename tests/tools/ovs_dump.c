/* ovs_dump.c - developer tool: prints the "ovs" report section that
 * cal_ovs_scan() builds for an OVSDB remote, as JSON on stdout.
 *
 *   ovs_dump [--timeout MS] [REMOTE]     scan (default remote: $OVS_RUNDIR
 *                                        or /run/openvswitch/db.sock)
 *   ovs_dump --ops                       print the transact operations of a
 *                                        scan (tests/data/ovsdb/record.py)
 *   ovs_dump --parse FILE [REMOTE]       build the section from a recorded
 *                                        transact reply (no I/O to OVSDB)
 * Exit status: 0 ok, 1 error (message on stderr, prefixed by the error
 * kind), 2 usage.  Used by tests/integration/test_ovs_source.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover/discover.h"
#include "discover/ovsdb.h"

static int ovt_print(json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2));

	if (!text)
		return 1;
	puts(text);
	free(text);
	return 0;
}

static int ovt_parse_file(const char *path, const char *remote)
{
	struct ovsdb_parser p;
	struct ovsdb_msg m;
	json_t *msg = NULL, *section = NULL;
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;
	int rc = 0;

	if (!f) {
		perror(path);
		return 1;
	}
	ovsdb_parser_init(&p, 0);
	while (!msg && rc >= 0 && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		size_t off = 0;

		while (off < n && !msg) {
			long used = ovsdb_parser_feed(&p, &msg, buf + off, n - off);

			if (used < 0) {
				rc = (int)used;
				break;
			}
			off += (size_t)used;
		}
	}
	fclose(f);
	if (rc >= 0 && !msg)
		rc = ovsdb_parser_finish(&p);
	if (rc >= 0 && !msg)
		rc = cal_error_set(CAL_EPROTO, "'%s' holds no message", path);
	if (rc >= 0)
		rc = ovsdb_msg_classify(&m, msg);
	if (rc >= 0)
		rc = ovs_section_build(&section, remote, m.result);
	if (rc >= 0)
		rc = ovt_print(section) ? CAL_ENOMEM : 0;
	else
		fprintf(stderr, "ovs_dump: %s: %s\n", cal_error_name(rc), cal_error_last());
	json_decref(section);
	json_decref(msg);
	ovsdb_parser_destroy(&p);
	return rc < 0;
}

int main(int argc, char **argv)
{
	const char *remote = NULL;
	int timeout_ms = 5000;
	json_t *out = NULL;
	int i = 1, rc;

	if (argc >= 2 && !strcmp(argv[1], "--ops")) {
		json_t *ops = ovs_scan_ops_new();

		rc = ovt_print(ops);
		json_decref(ops);
		return rc;
	}
	if (argc >= 3 && !strcmp(argv[1], "--parse"))
		return ovt_parse_file(argv[2], argc >= 4 ? argv[3] : "unix:recorded");
	if (argc >= 3 && !strcmp(argv[1], "--timeout")) {
		timeout_ms = atoi(argv[2]);
		i = 3;
	}
	if (i < argc)
		remote = argv[i++];
	if (i < argc || timeout_ms <= 0) {
		fprintf(stderr, "usage: ovs_dump [--timeout MS] [REMOTE] | --ops | "
				"--parse FILE [REMOTE]\n");
		return 2;
	}
	rc = cal_ovs_scan(&out, remote, timeout_ms);
	if (rc < 0) {
		fprintf(stderr, "ovs_dump: %s: %s\n", cal_error_name(rc), cal_error_last());
		return 1;
	}
	rc = ovt_print(out);
	json_decref(out);
	return rc;
}
