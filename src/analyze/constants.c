/* constants.c - the model's vocabulary as one document (`calipso
 * constants`, GET /constants): object types with their typed attributes
 * (src/core/model.c is the single definition), the common fields, the link
 * types, clique constraints and health values.  Built from the code's own
 * tables, so it cannot drift from what the builder and linker do.
 */
#include "analyze/analyze_int.h"

static const char *cn_kind(enum cal_attr_kind k)
{
	switch (k) {
	case CAL_A_STRING: return "string";
	case CAL_A_INT: return "int";
	case CAL_A_BOOL: return "bool";
	case CAL_A_ARRAY: return "array";
	case CAL_A_OBJECT: return "object";
	case CAL_A_ANY: break;
	}
	return "any";
}

static json_t *cn_attrs(const struct cal_attr_def *defs)
{
	json_t *arr = json_array();

	for (const struct cal_attr_def *d = defs; d && d->name; d++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:b}", "name", d->name,
						     "kind", cn_kind(d->kind), "required",
						     d->required, "volatile", d->is_volatile));
	return arr;
}

json_t *cal_constants_json(void)
{
	json_t *doc, *types = json_array(), *links = json_array();

	for (int t = 1; t < CAL_T_COUNT_; t++)
		json_array_append_new(types, json_pack("{s:s, s:o}", "type",
						       cal_type_name((enum cal_obj_type)t),
						       "attributes",
						       cn_attrs(cal_type_attrs((enum cal_obj_type)t))));
	for (const struct cal_link_type_def *l = cal_link_types(); l->name; l++)
		json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:s}", "link_type", l->name,
						       "source_type", cal_type_name(l->source),
						       "target_type", cal_type_name(l->target),
						       "found_by", l->found_by));
	doc = json_pack("{s:o, s:o, s:o, s:[s], s:[s,s,s,s], s:[s,s]}", "object_types", types,
			"common_attributes", cn_attrs(cal_common_attrs()), "link_types", links,
			"clique_constraints", "network", "health", "ok", "warning", "critical",
			"unknown", "link_states", "up", "down");
	return doc;
}
