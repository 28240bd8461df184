/* report_impact.c - the impact report: every clique that holds an object
 * and the focal points affected, grouped by project, host, network and
 * switch (cal_impact()), with the cliques drawn and the object in bold.
 * The story's change request: "all the tenant's objects, on which host,
 * connected to which switch, affected by the planned change".
 *
 * With --what-if-down, the focal points that lose their path to the wire
 * are counted and flagged.
 */
#include "report/report_int.h"
#include "analyze/analyze.h"

#include <stdlib.h>
#include <string.h>

#define RI_MAX_GRAPHS 12

/* One grouping of cal_impact() ("by_host": name -> focal ids) as a table
 * of groups, members by name. */
static int ri_groups(json_t *model, const char *title, const json_t *groups,
		     const json_t *names)
{
	static const char *const cols[] = { "Group", "Focal points", "Names", NULL };
	json_t *sec, *rows, *v;
	const char *g;
	int rc = 0;

	rc = rp_add_table(model, &sec, &rows, title, NULL, cols);
	if (rc)
		return rc;
	json_object_foreach((json_t *)groups, g, v) {
		struct cal_buf b = { 0 };
		size_t i;
		json_t *m;
		char *members;

		json_array_foreach(v, i, m) {
			const char *name = cal_json_str(names, json_string_value(m));

			cal_buf_printf(&b, "%s%s", i ? ", " : "",
				       *name ? name : json_string_value(m));
		}
		members = cal_buf_take(&b);
		rc = rp_row(rows, 3, json_string(*g ? g : "(none)"),
			    json_integer((json_int_t)json_array_size(v)),
			    json_string(members ? members : ""));
		free(members);
		if (rc)
			return rc;
	}
	if (json_array_size(rows) == 0)
		json_object_set_new(sec, "note", json_string("None."));
	return 0;
}

int rp_build_impact(cal_store *st, json_t **out, const char *env,
		    const struct cal_report_request *req)
{
	static const char *const cols[] = { "Focal point", "Type", "Host", "Project", "Networks",
					    "Switches", "Health", "Loses its path", NULL };
	static const char *const csv_cols[] = { "focal_point", "focal_point_type", "name", "host",
						"project", "networks", "switches", "health",
						"loses_path", NULL };
	static const struct {
		const char *key, *title, *card;
	} groups[] = {
		{ "by_project", "By project", "projects" }, { "by_host", "By host", "hosts" },
		{ "by_network", "By network", "networks" }, { "by_switch", "By switch", "switches" },
	};
	struct cal_impact_opts o = { .what_if_down = req->what_if_down, .project = req->project };
	json_t *desc = NULL, *imp = NULL, *obj = NULL, *model = NULL, *names = json_object();
	json_t *csv, *rows, *sec = NULL, *mark = NULL, *e, *n;
	char *title = NULL;
	size_t i, ngraphs = 0;
	int rc;

	*out = NULL;
	if (!req->object || !*req->object)
		return cal_error_set(CAL_EINVALID, "an impact report needs an object id");
	if (!names)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = cal_ref_time(st, &o.at, &desc, env, req->at);
	if (rc == 0) {
		rc = cal_store_object_get(st, &obj, env, req->object, o.at);
		if (rc == CAL_ENOTFOUND)
			rc = CAL_EINVALID; /* the message names the object */
	}
	if (rc == 0)
		rc = cal_impact(st, &imp, env, req->object, &o);
	if (rc)
		goto out;
	json_array_foreach(json_object_get(imp, "affected"), i, e)
		json_object_set_new(names, cal_json_str(e, "focal_point"),
				    json_string(cal_json_str(e, "name")));
	title = cal_strdup_printf("Impact of %s %s%s%s%s", cal_json_str(obj, CAL_F_TYPE),
				  cal_json_str(obj, CAL_F_NAME),
				  *cal_json_str(obj, CAL_F_HOST) ? " on " : "",
				  cal_json_str(obj, CAL_F_HOST),
				  req->what_if_down ? " going down" : "");
	model = title ? rp_model_new(title, rp_at_subtitle(desc)) : NULL;
	csv = model ? rp_csv_table(model, csv_cols) : NULL;
	if (!csv) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	rc = rp_card(model, "cliques holding it", cal_json_int(imp, "cliques", 0), "info");
	if (rc == 0)
		rc = rp_card(model, "focal points affected",
			     (json_int_t)json_array_size(json_object_get(imp, "affected")),
			     json_array_size(json_object_get(imp, "affected")) ? "warn" : "ok");
	if (rc == 0 && req->what_if_down)
		rc = rp_card(model, "lose their path",
			     (json_int_t)json_array_size(json_object_get(imp, "lost")),
			     json_array_size(json_object_get(imp, "lost")) ? "bad" : "ok");
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]) && rc == 0; g++)
		rc = rp_card(model, groups[g].card,
			     (json_int_t)json_object_size(json_object_get(imp, groups[g].key)),
			     "info");
	if (rc == 0)
		rc = rp_add_table(model, &sec, &rows, "Affected focal points",
				  "Instances, services, networks and switch ports whose clique "
				  "(path to the wire) holds the object.", cols);
	json_array_foreach(json_object_get(imp, "affected"), i, e) {
		json_t *loses = json_object_get(e, "loses_path");

		if (rc)
			break;
		rc = rp_row(rows, 8, json_string(cal_json_str(e, "name")),
			    json_string(cal_json_str(e, "focal_point_type")),
			    json_string(cal_json_str(e, "host")),
			    json_string(cal_json_str(e, "project")),
			    json_incref(json_object_get(e, "networks")),
			    json_incref(json_object_get(e, "switches")),
			    json_string(cal_json_str(e, "health")),
			    loses ? json_string(json_is_true(loses) ? "yes" : "no")
				  : json_string(""));
		if (rc == 0)
			rc = rp_row(csv, 9, json_string(cal_json_str(e, "focal_point")),
				    json_string(cal_json_str(e, "focal_point_type")),
				    json_string(cal_json_str(e, "name")),
				    json_string(cal_json_str(e, "host")),
				    json_string(cal_json_str(e, "project")),
				    json_incref(json_object_get(e, "networks")),
				    json_incref(json_object_get(e, "switches")),
				    json_string(cal_json_str(e, "health")),
				    loses ? json_incref(loses) : json_null());
	}
	if (rc == 0 && json_array_size(rows) == 0)
		json_object_set_new(sec, "note", json_string("No clique holds this object."));
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]) && rc == 0; g++)
		rc = ri_groups(model, groups[g].title, json_object_get(imp, groups[g].key), names);
	if (rc == 0 && json_array_size(json_object_get(imp, "notes"))) {
		sec = rp_section(model, "Notes", NULL);
		rows = sec ? rp_table(sec, (const char *const[]){ "Note", NULL }) : NULL;
		json_array_foreach(json_object_get(imp, "notes"), i, n)
			if (rc == 0)
				rc = rows ? rp_row(rows, 1, json_incref(n))
					  : cal_error_set(CAL_ENOMEM, "out of memory");
	}
	mark = json_pack("{s:s}", req->object, "focus");
	sec = rc == 0 && json_array_size(json_object_get(imp, "affected"))
		      ? rp_section(model, "Cliques holding the object",
				   "The object is drawn bold in each clique.")
		      : NULL;
	json_array_foreach(json_object_get(imp, "affected"), i, e) {
		json_t *clique = NULL;
		char *dot, *caption;

		if (rc || !sec || !mark || ngraphs == RI_MAX_GRAPHS)
			break;
		if (cal_clique_get(st, &clique, env, cal_json_str(e, "focal_point"), o.at)) {
			cal_error_clear();
			continue;
		}
		ngraphs++;
		dot = rp_clique_dot(clique, mark);
		caption = cal_strdup_printf("Clique of %s (%s on %s), health %s",
					    cal_json_str(e, "name"), cal_json_str(e, "focal_point_type"),
					    cal_json_str(e, "host"), cal_json_str(clique, "health"));
		rc = dot && caption ? rp_graph(sec, caption, dot)
				    : cal_error_set(CAL_ENOMEM, "out of memory");
		free(dot);
		free(caption);
		json_decref(clique);
	}
	if (rc == 0 && sec && json_array_size(json_object_get(imp, "affected")) > RI_MAX_GRAPHS)
		json_object_set_new(sec, "note", json_string("Graphs are drawn for the first 12 "
							   "cliques only."));
	if (rc)
		goto out;
	if (json_object_set_new(model, "data", json_pack("{s:O, s:O}", "at", desc, "impact",
							  imp))) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	*out = model;
	model = NULL;
out:
	json_decref(desc);
	json_decref(imp);
	json_decref(obj);
	json_decref(model);
	json_decref(names);
	json_decref(mark);
	free(title);
	return rc;
}
