/* cmd_history.c - `calipso history ID`: every revision of an object or a
 * link, oldest first, with the fields each one changed. */
#include "commands.h"

#include <string.h>

/* Comma-separated names of the top-level fields that differ. */
static char *history_changed(const json_t *prev, const json_t *cur)
{
	char buf[1024] = "";
	const char *k;
	json_t *v;

	if (!prev)
		return strdup("created");
	json_object_foreach((json_t *)cur, k, v) {
		if (!json_equal(v, json_object_get(prev, k)))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", *buf ? ", " : "",
				 k);
	}
	json_object_foreach((json_t *)prev, k, v) {
		if (!json_object_get(cur, k))
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s-%s",
				 *buf ? ", " : "", k);
	}
	return strdup(*buf ? buf : "-");
}

int cmd_history(struct cli_ctx *ctx, int argc, char **argv)
{
	static const char *const hdr[] = { "VALID FROM", "VALID TO", "CHANGED" };
	struct cli_table *t;
	cal_store *st;
	json_t *revs = NULL, *prev = NULL;
	size_t i;
	json_t *r;
	int rc;

	if (argc != 2)
		return cli_usage_error("history", "expected one ID");
	st = cli_store(ctx);
	if (!st)
		return CLI_EXIT_FAILURE;
	rc = cal_store_history(st, &revs, cli_env(ctx), argv[1]);
	if (rc)
		return cli_fail("history", rc);
	if (json_array_size(revs) == 0) {
		json_decref(revs);
		cal_error_set(CAL_ENOTFOUND, "no object or link '%s' in environment '%s'", argv[1],
			      cli_env(ctx));
		return cli_fail("history", CAL_ENOTFOUND);
	}
	if (ctx->json) {
		cli_print_json(revs);
		json_decref(revs);
		return 0;
	}
	t = cli_table_new(3, hdr);
	json_array_foreach(revs, i, r) {
		json_t *doc = json_object_get(r, "doc");
		char *changed = history_changed(prev, doc);
		const char *row[] = { cal_json_str(r, "valid_from"),
				      *cal_json_str(r, "valid_to") ? cal_json_str(r, "valid_to")
								   : "(live)",
				      changed };

		cli_table_add(t, row);
		free(changed);
		prev = doc;
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
	json_decref(revs);
	return 0;
}
