/* cmd_version.c - `calipso version`. */
#include "commands.h"

int cmd_version(struct cli_ctx *ctx, int argc, char **argv)
{
	if (ctx->json) {
		json_t *v = json_pack("{s:s}", "version", CAL_VERSION);

		cli_print_json(v);
		json_decref(v);
	} else {
		printf("calipso %s\n", CAL_VERSION);
	}
	return CLI_EXIT_OK;
}
