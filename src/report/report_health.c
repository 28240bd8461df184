/* report_health.c - the health report: every clique's health (the worst
 * status among its members), the cliques that are not ok drawn as graphs,
 * and the objects whose own status is not ok; live or at a snapshot or
 * time.  The story's "all related cliques are showing up as healthy"
 * before a ticket closes.
 */
#include "report/report_int.h"
#include "analyze/analyze.h"

#include <stdlib.h>
#include <string.h>

#define RH_MAX_GRAPHS 12

static bool rh_bad(const char *status)
{
	return strcmp(status, "warning") == 0 || strcmp(status, "critical") == 0 ||
	       strcmp(status, "error") == 0;
}

static const char *rh_tone(const char *health)
{
	if (strcmp(health, "ok") == 0)
		return "ok";
	if (strcmp(health, "warning") == 0)
		return "warn";
	if (strcmp(health, "critical") == 0)
		return "bad";
	return "info";
}

/* The focal point's own document marked, its down links too. */
static int rh_graph(cal_store *st, json_t *sec, const char *env, const json_t *c, int64_t at)
{
	const char *focal = cal_json_str(c, "focal_point");
	json_t *clique = NULL, *mark = json_object(), *n;
	char *dot = NULL, *caption = NULL;
	size_t i;
	int rc;

	if (!mark)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = cal_clique_get(st, &clique, env, focal, at);
	if (rc) {
		json_decref(mark);
		return rc;
	}
	json_array_foreach(json_object_get(clique, "nodes"), i, n)
		if (rh_bad(cal_json_str(n, CAL_F_STATUS)))
			json_object_set_new(mark, cal_json_str(n, CAL_F_ID), json_string("focus"));
	dot = rp_clique_dot(clique, mark);
	caption = cal_strdup_printf("Clique of %s (%s on %s): health %s; members that are not ok "
				    "are drawn bold", cal_json_str(c, "name"),
				    cal_json_str(c, "focal_point_type"), cal_json_str(c, "host"),
				    cal_json_str(c, "health"));
	rc = dot && caption ? rp_graph(sec, caption, dot) : cal_error_set(CAL_ENOMEM, "out of memory");
	free(dot);
	free(caption);
	json_decref(clique);
	json_decref(mark);
	return rc;
}

int rp_build_health(cal_store *st, json_t **out, const char *env,
		    const struct cal_report_request *req)
{
	static const char *const bad_cols[] = { "Focal point", "Type", "Host", "Project",
						"Health", "Networks", NULL };
	static const char *const all_cols[] = { "Focal point", "Type", "Host", "Health",
						"Clique type", "ID", NULL };
	static const char *const obj_cols[] = { "Type", "Name", "Host", "Status", "Detail", "ID",
						NULL };
	static const char *const csv_cols[] = { "focal_point", "focal_point_type", "name", "host",
						"project", "health", "clique_type", NULL };
	static const char *const obj_fields[] = { CAL_F_TYPE, CAL_F_NAME, CAL_F_HOST, CAL_F_STATUS,
						  "status_text", CAL_F_ID, NULL };
	static const char *const all_fields[] = { "name", "focal_point_type", "host", "health",
						  "clique_type", "focal_point", NULL };
	static const char *const healths[] = { "ok", "warning", "critical", "unknown", NULL };
	struct cal_query q = { .env = env };
	json_t *desc = NULL, *cliques = NULL, *objects = NULL, *model = NULL, *counts = json_object();
	json_t *bad_objs = json_array(), *sec, *rows, *csv, *c;
	size_t i, ngraphs = 0, nbad = 0;
	int rc;

	*out = NULL;
	if (!counts || !bad_objs) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	rc = cal_ref_time(st, &q.at, &desc, env, req->at);
	if (rc == 0)
		rc = cal_clique_list(st, &cliques, env, NULL, q.at);
	if (rc == 0)
		rc = cal_store_objects(st, &objects, &q);
	if (rc)
		goto out;
	json_array_foreach(cliques, i, c) {
		const char *h = cal_json_str(c, "health");

		json_object_set_new(counts, h, json_integer(cal_json_int(counts, h, 0) + 1));
	}
	json_array_foreach(objects, i, c)
		if (rh_bad(cal_json_str(c, CAL_F_STATUS)))
			json_array_append(bad_objs, c);
	model = rp_model_at("Health", env, req->at, desc);
	if (!model) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	rc = rp_card(model, "cliques", (json_int_t)json_array_size(cliques), "info");
	for (int k = 0; healths[k] && rc == 0; k++)
		rc = rp_card(model, healths[k], cal_json_int(counts, healths[k], 0),
			     rh_tone(healths[k]));
	if (rc == 0)
		rc = rp_card(model, "objects not ok", (json_int_t)json_array_size(bad_objs),
			     json_array_size(bad_objs) ? "bad" : "ok");
	if (rc == 0)
		rc = rp_add_table(model, &sec, &rows, "Cliques that are not healthy", NULL, bad_cols);
	json_array_foreach(cliques, i, c) {
		if (rc)
			break;
		if (!rh_bad(cal_json_str(c, "health")))
			continue;
		nbad++;
		rc = rp_row(rows, 6, json_string(cal_json_str(c, "name")),
			    json_string(cal_json_str(c, "focal_point_type")),
			    json_string(cal_json_str(c, "host")),
			    json_string(cal_json_str(c, "project")),
			    json_string(cal_json_str(c, "health")),
			    json_incref(json_object_get(c, "networks")));
		if (rc == 0 && ngraphs++ < RH_MAX_GRAPHS)
			rc = rh_graph(st, sec, env, c, q.at);
	}
	if (rc == 0 && nbad == 0)
		json_object_set_new(sec, "note",
				    json_string(cal_json_int(counts, "unknown", 0)
							? "No clique is in warning or critical state. "
							  "Cliques of health unknown have members "
							  "no monitoring check has reported on."
							: "Every clique is healthy."));
	else if (rc == 0 && nbad > RH_MAX_GRAPHS)
		json_object_set_new(sec, "note", json_string("Graphs are drawn for the first 12 "
							   "cliques only."));
	if (rc == 0)
		rc = rp_add_table(model, &sec, &rows, "Objects that are not ok", NULL, obj_cols);
	json_array_foreach(bad_objs, i, c) {
		if (rc)
			break;
		rc = rp_row_fields(rows, c, obj_fields);
	}
	if (rc == 0 && json_array_size(bad_objs) == 0)
		json_object_set_new(sec, "note", json_string("No object reports a warning or "
							   "critical status."));
	if (rc == 0)
		rc = rp_add_table(model, &sec, &rows, "Every clique", NULL, all_cols);
	csv = rc == 0 ? rp_csv_table(model, csv_cols) : NULL;
	if (rc == 0 && !csv)
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	json_array_foreach(cliques, i, c) {
		if (rc)
			break;
		rc = rp_row_fields(rows, c, all_fields);
		if (rc == 0)
			rc = rp_row_fields(csv, c, csv_cols);
	}
	if (rc == 0 && json_object_set_new(model, "data",
					   json_pack("{s:O, s:O, s:O, s:O}", "at", desc, "counts",
						     counts, "cliques", cliques, "objects_not_ok",
						     bad_objs)))
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	if (rc == 0) {
		*out = model;
		model = NULL;
	}
out:
	json_decref(desc);
	json_decref(cliques);
	json_decref(objects);
	json_decref(model);
	json_decref(counts);
	json_decref(bad_objs);
	return rc;
}
