/* report_inventory.c - the inventory report: what an environment holds,
 * live or at a snapshot or time: counts by type and by host, and every
 * object.  The HTML lists at most RI_MAX_ROWS objects (the CSV and JSON
 * have them all).
 */
#include "report/report_int.h"
#include "analyze/analyze.h"

#include <stdlib.h>
#include <string.h>

#define RI_MAX_ROWS 5000

int rp_build_inventory(cal_store *st, json_t **out, const char *env,
		       const struct cal_report_request *req)
{
	static const char *const type_cols[] = { "Type", "Objects", NULL };
	static const char *const host_cols[] = { "Host", "Objects", "Instances", "vNICs",
						 "vServices", "Bridges", "Tunnel endpoints", NULL };
	static const char *const obj_cols[] = { "Type", "Name", "Host", "Status", "ID", NULL };
	static const char *const csv_cols[] = { "id", "type", "name", "host", "parent_id",
						"status", "name_path", NULL };
	static const char *const obj_fields[] = { "type", "name", "host", "status", "id", NULL };
	struct cal_query q = { .env = env };
	json_t *desc = NULL, *objects = NULL, *links = NULL, *model = NULL, *types = json_object();
	json_t *hosts = json_object(), *brief = json_array(), *sec, *rows, *csv, *o;
	const char *k;
	size_t i;
	int rc;

	*out = NULL;
	if (!types || !hosts || !brief) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	rc = cal_ref_time(st, &q.at, &desc, env, req->at);
	if (rc == 0)
		rc = cal_store_objects(st, &objects, &q);
	if (rc == 0)
		rc = cal_store_links(st, &links, &q, NULL);
	if (rc)
		goto out;
	json_array_foreach(objects, i, o) {
		const char *t = cal_json_str(o, CAL_F_TYPE), *h = cal_json_str(o, CAL_F_HOST);
		json_t *hc;

		json_object_set_new(types, t, json_integer(cal_json_int(types, t, 0) + 1));
		if (*h) {
			hc = json_object_get(hosts, h);
			if (!hc) {
				hc = json_object();
				json_object_set_new(hosts, h, hc);
			}
			json_object_set_new(hc, t, json_integer(cal_json_int(hc, t, 0) + 1));
			json_object_set_new(hc, "*", json_integer(cal_json_int(hc, "*", 0) + 1));
		}
		json_array_append_new(brief, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
						       "id", cal_json_str(o, CAL_F_ID), "type", t,
						       "name", cal_json_str(o, CAL_F_NAME), "host", h,
						       "parent_id", cal_json_str(o, CAL_F_PARENT_ID),
						       "status", cal_json_str(o, CAL_F_STATUS),
						       "name_path", cal_json_str(o, CAL_F_NAME_PATH)));
	}
	model = rp_model_at("Inventory", env, req->at, desc);
	if (!model) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	rc = rp_card(model, "objects", (json_int_t)json_array_size(objects), "info");
	if (rc == 0)
		rc = rp_card(model, "links", (json_int_t)json_array_size(links), "info");
	if (rc == 0)
		rc = rp_card(model, "hosts", cal_json_int(types, "host", 0), "info");
	if (rc == 0)
		rc = rp_card(model, "instances", cal_json_int(types, "instance", 0), "info");
	if (rc == 0)
		rc = rp_card(model, "networks", cal_json_int(types, "network", 0), "info");
	if (rc == 0)
		rc = rp_add_table(model, &sec, &rows, "Objects by type", NULL, type_cols);
	json_object_foreach(types, k, o) {
		if (rc)
			break;
		rc = rp_row(rows, 2, json_string(k), json_incref(o));
	}
	if (rc == 0)
		rc = rp_add_table(model, &sec, &rows, "Hosts", NULL, host_cols);
	json_object_foreach(hosts, k, o) {
		if (rc)
			break;
		rc = rp_row(rows, 7, json_string(k), json_integer(cal_json_int(o, "*", 0)),
			    json_integer(cal_json_int(o, "instance", 0)),
			    json_integer(cal_json_int(o, "vnic", 0)),
			    json_integer(cal_json_int(o, "vservice", 0)),
			    json_integer(cal_json_int(o, "vconnector", 0)),
			    json_integer(cal_json_int(o, "otep", 0)));
	}
	if (rc == 0)
		rc = rp_add_table(model, &sec, &rows, "Objects", NULL, obj_cols);
	csv = rc == 0 ? rp_csv_table(model, csv_cols) : NULL;
	if (rc == 0 && !csv)
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	json_array_foreach(brief, i, o) {
		if (rc)
			break;
		if (i < RI_MAX_ROWS)
			rc = rp_row_fields(rows, o, obj_fields);
		if (rc == 0)
			rc = rp_row_fields(csv, o, csv_cols);
	}
	if (rc == 0 && json_array_size(brief) > RI_MAX_ROWS)
		json_object_set_new(sec, "note", json_string("The first 5000 objects are listed; "
							     "the CSV and JSON formats list all."));
	if (rc == 0 && json_object_set_new(model, "data",
					   json_pack("{s:O, s:O, s:I, s:O}", "at", desc, "counts",
						     types, "links",
						     (json_int_t)json_array_size(links), "objects",
						     brief)))
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	if (rc == 0) {
		*out = model;
		model = NULL;
	}
out:
	json_decref(desc);
	json_decref(objects);
	json_decref(links);
	json_decref(model);
	json_decref(types);
	json_decref(hosts);
	json_decref(brief);
	return rc;
}
