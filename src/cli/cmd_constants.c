/* cmd_constants.c - `calipso constants`: the object type table (types, their
 * attributes with kinds, required and volatile flags), the common fields
 * and the link types, from the code (docs/model.md promises it). */
#include "commands.h"

#include "analyze/analyze.h"

static const char *constants_flags(const json_t *a)
{
	bool req = json_is_true(json_object_get(a, "required"));
	bool vol = json_is_true(json_object_get(a, "volatile"));

	return req && vol ? "required, volatile" : req ? "required" : vol ? "volatile" : "";
}

int cmd_constants(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *doc;
	size_t i, k;
	json_t *t, *a;

	if (argc != 1)
		return cli_usage_error("constants", "unexpected argument '%s'", argv[1]);
	doc = cal_constants_json();
	if (!doc)
		return cli_fail("constants", cal_error_set(CAL_ENOMEM, "out of memory"));
	if (ctx->json) {
		cli_print_json(doc);
		json_decref(doc);
		return 0;
	}
	printf("common fields:\n");
	json_array_foreach(json_object_get(doc, "common_attributes"), k, a)
		printf("  %-22s %-7s %s\n", cal_json_str(a, "name"), cal_json_str(a, "kind"),
		       constants_flags(a));
	json_array_foreach(json_object_get(doc, "object_types"), i, t) {
		printf("\n%s:\n", cal_json_str(t, "type"));
		json_array_foreach(json_object_get(t, "attributes"), k, a)
			printf("  %-22s %-7s %s\n", cal_json_str(a, "name"), cal_json_str(a, "kind"),
			       constants_flags(a));
	}
	printf("\nlink types:\n");
	json_array_foreach(json_object_get(doc, "link_types"), i, t)
		printf("  %-22s %s\n", cal_json_str(t, "link_type"), cal_json_str(t, "found_by"));
	json_decref(doc);
	return 0;
}
