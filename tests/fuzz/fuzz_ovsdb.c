/* fuzz_ovsdb.c - fuzz target of the OVSDB JSON-RPC framing, message
 * classification, error texts and the "ovs" section mapping
 * (ovsdb_parse.c, ovs_source.c).  The first byte chooses the size of the
 * pieces the rest is fed in, so that split messages are exercised too.
 * Seeds: tests/fuzz/corpus/ovsdb/ (replies recorded from ovsdb-server).
 */
#include <stdint.h>
#include <stdlib.h>

#include "discover/ovsdb.h"
#include "fuzz_replay.h"

static void fuzz_ovsdb_message(const json_t *msg)
{
	struct ovsdb_msg m;
	json_t *sec = NULL;
	char text[256];

	if (ovsdb_msg_classify(&m, msg) < 0)
		return;
	if (m.type == OVSDB_MSG_ERROR) {
		ovsdb_error_text(text, sizeof(text), m.error);
		return;
	}
	if (m.type != OVSDB_MSG_REPLY)
		return;
	if (ovs_section_build(&sec, "unix:fuzz", m.result) == 0)
		json_decref(sec);
	(void)ovsdb_transact_check(m.result, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ovsdb_parser p;
	size_t chunk, off = 1;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] + 1;
	ovsdb_parser_init(&p, 1 << 20);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		size_t used_all = 0;

		while (used_all < n) {
			json_t *msg = NULL;
			long used = ovsdb_parser_feed(&p, &msg, (const char *)data + off + used_all,
						      n - used_all);

			if (used < 0)
				goto done;
			used_all += (size_t)used;
			if (msg) {
				fuzz_ovsdb_message(msg);
				json_decref(msg);
			} else if (used == 0) {
				goto done;
			}
		}
		off += n;
	}
	(void)ovsdb_parser_finish(&p);
done:
	ovsdb_parser_destroy(&p);
	return 0;
}
