/* report_diff.c - the diff report: what changed between two of live,
 * snapshots, times and designs (cal_diff()), with the graphs of the
 * cliques that changed, added members in green and removed ones in red.
 * The story's Sunday comparison against last week and against the design,
 * sent to the customer.
 */
#include "report/report_int.h"
#include "analyze/analyze.h"

#include <stdlib.h>
#include <string.h>

#define RP_MAX_GRAPHS 12
#define RP_MAX_VALUE 160

/* "field: before -> after; ..." for a table cell. */
static char *rd_fields_text(const json_t *fields)
{
	struct cal_buf b = { 0 };
	size_t i;
	json_t *f;

	json_array_foreach(fields, i, f) {
		char *bv = rp_text(json_object_get(f, "before"));
		char *av = rp_text(json_object_get(f, "after"));

		if (bv && strlen(bv) > RP_MAX_VALUE)
			strcpy(bv + RP_MAX_VALUE - 3, "...");
		if (av && strlen(av) > RP_MAX_VALUE)
			strcpy(av + RP_MAX_VALUE - 3, "...");
		cal_buf_printf(&b, "%s%s: %s \u2192 %s", i ? "; " : "", cal_json_str(f, "field"),
			       bv && *bv ? bv : "(none)", av && *av ? av : "(none)");
		free(bv);
		free(av);
	}
	return cal_buf_take(&b);
}

static const char *const rd_parts[] = { "added", "removed", "changed" };

/* One part of the diff (objects or links) as a section: the table shows
 * `shown` of each entry, the CSV its `type` member and one row a field
 * that changed. */
struct rd_part {
	const char *key, *title, *kind, *type, *none;
	const char *const *cols, *const *shown;
};

static int rd_part(json_t *model, const json_t *d, json_t *csv, const struct rd_part *part)
{
	const json_t *sec = json_object_get(d, part->key);
	json_t *s, *rows;
	int rc;

	rc = rp_add_table(model, &s, &rows, part->title, NULL, part->cols);
	for (int p = 0; p < 3 && rc == 0; p++) {
		size_t i, j;
		json_t *o, *f;

		json_array_foreach(json_object_get(sec, rd_parts[p]), i, o) {
			char *what = rd_fields_text(json_object_get(o, "fields"));

			rc = rp_row(rows, 6, json_string(rd_parts[p]),
				    json_string(cal_json_str(o, part->shown[0])),
				    json_string(cal_json_str(o, part->shown[1])),
				    json_string(cal_json_str(o, part->shown[2])),
				    json_string(cal_json_str(o, part->shown[3])),
				    json_string(what ? what : ""));
			free(what);
			if (rc == 0 && p < 2)
				rc = rp_row(csv, 8, json_string(part->kind), json_string(rd_parts[p]),
					    json_string(cal_json_str(o, "id")),
					    json_string(cal_json_str(o, part->type)),
					    json_string(cal_json_str(o, "host")), json_string(""),
					    json_null(), json_null());
			json_array_foreach(json_object_get(o, "fields"), j, f) {
				if (rc)
					break;
				rc = rp_row(csv, 8, json_string(part->kind), json_string("changed"),
					    json_string(cal_json_str(o, "id")),
					    json_string(cal_json_str(o, part->type)),
					    json_string(cal_json_str(o, "host")),
					    json_string(cal_json_str(f, "field")),
					    json_incref(json_object_get(f, "before")),
					    json_incref(json_object_get(f, "after")));
			}
			if (rc)
				break;
		}
	}
	if (rc == 0 && json_array_size(rows) == 0)
		json_object_set_new(s, "note", json_string(part->none));
	return rc;
}

static const struct rd_part rd_objects = {
	.key = "objects", .title = "Objects", .kind = "object", .type = "type",
	.none = "No object differs.",
	.cols = (const char *const[]){ "Change", "Type", "Name", "Host", "ID", "What changed",
				       NULL },
	.shown = (const char *const[]){ "type", "name", "host", "id" },
};

static const struct rd_part rd_links = {
	.key = "links", .title = "Links", .kind = "link", .type = "link_type",
	.none = "No link differs.",
	.cols = (const char *const[]){ "Change", "Link type", "From", "To", "State",
				       "What changed", NULL },
	.shown = (const char *const[]){ "link_type", "source_id", "target_id", "state" },
};

/* The time a side of the diff was read at: 0 live, -1 a design. */
static int64_t rd_side_time(const json_t *ref)
{
	const char *kind = cal_json_str(ref, "kind");
	int64_t t = 0;

	if (strcmp(kind, "design") == 0)
		return -1;
	if (strcmp(kind, "live") == 0)
		return 0;
	if (cal_time_parse(&t, cal_json_str(ref, "time")) != 0) {
		cal_error_clear();
		return -1;
	}
	return t;
}

static int rd_mark(json_t *mark, const json_t *ids, const char *how)
{
	size_t i;
	json_t *v;

	json_array_foreach(ids, i, v)
		if (json_object_set_new(mark, json_string_value(v), json_string(how)))
			return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

/* Appends to `into` the docs of `from` whose ids are listed in `ids`
 * (removed members drawn from the older side). */
static void rd_take_docs(json_t *into, const json_t *from, const json_t *ids)
{
	size_t i, j;
	json_t *id, *doc;

	json_array_foreach(ids, i, id) {
		bool found = false;

		json_array_foreach(from, j, doc) {
			if (strcmp(cal_json_str(doc, CAL_F_ID), json_string_value(id)) == 0) {
				json_array_append(into, doc);
				found = true;
				break;
			}
		}
		if (found)
			continue;
		if (strchr(json_string_value(id), '|') == NULL) {
			json_array_append_new(into, json_pack("{s:O}", "id", id));
		} else {
			/* A link known by its id only: "<source>|<type>|<target>". */
			char *copy = strdup(json_string_value(id)), *t, *g;

			t = copy ? strchr(copy, '|') : NULL;
			g = t ? strchr(t + 1, '|') : NULL;
			if (g) {
				*t = *g = '\0';
				json_array_append_new(into, json_pack("{s:O, s:s, s:s, s:s}", "id", id,
								      "source_id", copy, "link_type",
								      t + 1, "target_id", g + 1));
			}
			free(copy);
		}
	}
}

/* The graph of one changed clique. */
static int rd_graph(cal_store *st, json_t *sec, const char *env, const json_t *c, int64_t ta,
		    int64_t tb, const json_t *design)
{
	const char *focal = cal_json_str(c, "focal_point"), *change = cal_json_str(c, "change");
	json_t *ca = NULL, *cb = NULL, *draw = NULL, *mark = json_object();
	char *dot = NULL, *caption = NULL;
	int rc = 0;

	if (!mark)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (strcmp(change, "removed") != 0 && tb >= 0 && cal_clique_get(st, &cb, env, focal, tb))
		cal_error_clear();
	if (strcmp(change, "added") != 0 && ta >= 0 && cal_clique_get(st, &ca, env, focal, ta))
		cal_error_clear();
	if (!ca && design) {
		/* The design's own entries stand for the members it expected. */
		const json_t *doc = json_object_get(design, "doc");

		ca = json_pack("{s:s, s:O, s:O}", "focal_point", focal, "nodes",
			       json_object_get(doc, "objects") ? json_object_get(doc, "objects")
							       : json_array(),
			       "links", json_object_get(doc, "links") ? json_object_get(doc, "links")
								      : json_array());
	}
	if (!cb && (!ca || design))
		goto out; /* nothing concrete to draw */
	draw = json_deep_copy(cb ? cb : ca);
	if (!draw) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	if (cb) {
		rd_take_docs(json_object_get(draw, "nodes"), json_object_get(ca, "nodes"),
			     json_object_get(c, "nodes_removed"));
		rd_take_docs(json_object_get(draw, "links"), json_object_get(ca, "links"),
			     json_object_get(c, "links_removed"));
	}
	rc = rd_mark(mark, json_object_get(c, "nodes_added"), "added");
	if (rc == 0)
		rc = rd_mark(mark, json_object_get(c, "links_added"), "added");
	if (rc == 0)
		rc = rd_mark(mark, json_object_get(c, "nodes_removed"), "removed");
	if (rc == 0)
		rc = rd_mark(mark, json_object_get(c, "links_removed"), "removed");
	if (rc)
		goto out;
	dot = rp_clique_dot(draw, mark);
	caption = cal_strdup_printf("Clique of %s (%s), %s: %zu members and %zu links added "
				    "(green), %zu and %zu removed (red); health %s \u2192 %s",
				    cal_json_str(draw, "name")[0] ? cal_json_str(draw, "name") : focal,
				    cal_json_str(c, "focal_point_type"), change,
				    json_array_size(json_object_get(c, "nodes_added")),
				    json_array_size(json_object_get(c, "links_added")),
				    json_array_size(json_object_get(c, "nodes_removed")),
				    json_array_size(json_object_get(c, "links_removed")),
				    json_is_string(json_object_get(json_object_get(c, "health"), "before"))
					    ? cal_json_str(json_object_get(c, "health"), "before") : "none",
				    json_is_string(json_object_get(json_object_get(c, "health"), "after"))
					    ? cal_json_str(json_object_get(c, "health"), "after") : "none");
	rc = dot && caption ? rp_graph(sec, caption, dot) : cal_error_set(CAL_ENOMEM, "out of memory");
out:
	json_decref(ca);
	json_decref(cb);
	json_decref(draw);
	json_decref(mark);
	free(dot);
	free(caption);
	return rc;
}

static int rd_cliques(cal_store *st, json_t *model, const char *env, const json_t *d,
		      json_t *csv)
{
	static const char *const cols[] = { "Change", "Focal point", "Type", "Health before",
					    "Health after", "Members +/-", "Links +/-", NULL };
	const json_t *cl = json_object_get(d, "cliques");
	int64_t ta = rd_side_time(json_object_get(d, "a")), tb = rd_side_time(json_object_get(d, "b"));
	const json_t *ra = json_object_get(d, "a");
	json_t *s, *rows, *c, *design = NULL;
	size_t i;
	int rc = 0;

	/* A design as the older side: its entries draw what was expected. */
	if (strcmp(cal_json_str(ra, "kind"), "design") == 0 &&
	    cal_store_design_get(st, &design, env, cal_json_str(ra, "name")))
		cal_error_clear();

	rc = rp_add_table(model, &s, &rows, "Cliques", "A clique is a focal point's path to the "
			  "wire; its health is the worst status of its members.", cols);
	if (rc) {
		json_decref(design);
		return rc;
	}
	json_array_foreach(cl, i, c) {
		json_t *h = json_object_get(c, "health");
		char *nodes = cal_strdup_printf("+%zu / -%zu",
						json_array_size(json_object_get(c, "nodes_added")),
						json_array_size(json_object_get(c, "nodes_removed")));
		char *links = cal_strdup_printf("+%zu / -%zu",
						json_array_size(json_object_get(c, "links_added")),
						json_array_size(json_object_get(c, "links_removed")));

		rc = rp_row(rows, 7, json_string(cal_json_str(c, "change")),
			    json_string(cal_json_str(c, "focal_point")),
			    json_string(cal_json_str(c, "focal_point_type")),
			    json_incref(json_object_get(h, "before")),
			    json_incref(json_object_get(h, "after")), json_string(nodes ? nodes : ""),
			    json_string(links ? links : ""));
		free(nodes);
		free(links);
		if (rc == 0)
			rc = rp_row(csv, 8, json_string("clique"), json_string(cal_json_str(c, "change")),
				    json_string(cal_json_str(c, "focal_point")),
				    json_string(cal_json_str(c, "focal_point_type")), json_string(""),
				    json_string("health"), json_incref(json_object_get(h, "before")),
				    json_incref(json_object_get(h, "after")));
		if (rc == 0 && i < RP_MAX_GRAPHS)
			rc = rd_graph(st, s, env, c, ta, tb, design);
		if (rc)
			break;
	}
	json_decref(design);
	if (rc)
		return rc;
	if (json_array_size(cl) > RP_MAX_GRAPHS)
		json_object_set_new(s, "note", json_string("Graphs are drawn for the first 12 "
							   "cliques only."));
	else if (json_array_size(cl) == 0)
		json_object_set_new(s, "note", json_string("No clique changed its members or "
							   "health."));
	return 0;
}

int rp_build_diff(cal_store *st, json_t **out, const char *env,
		  const struct cal_report_request *req)
{
	static const char *const csv_cols[] = { "kind", "change", "id", "type", "host", "field",
						"before", "after", NULL };
	struct cal_diff_opts o = { .scope = req->scope };
	json_t *d = NULL, *model = NULL, *csv, *s = NULL;
	char *title = NULL, *sub = NULL;
	int rc;

	*out = NULL;
	if (!req->a || !req->b)
		return cal_error_set(CAL_EINVALID, "a diff report needs two references A and B "
				     "(live, a snapshot, a time or design:NAME)");
	rc = cal_diff(st, &d, env, req->a, req->b, &o);
	if (rc)
		return rc;
	s = json_object_get(d, "summary");
	title = cal_strdup_printf("Changes in %s: %s \u2192 %s", env, req->a, req->b);
	sub = cal_strdup_printf("%s (%s%s%s) compared with %s (%s%s%s); scope %s",
				req->a, cal_json_str(json_object_get(d, "a"), "kind"),
				json_is_string(json_object_get(json_object_get(d, "a"), "time")) ? " at " : "",
				json_is_string(json_object_get(json_object_get(d, "a"), "time"))
					? cal_json_str(json_object_get(d, "a"), "time") : "",
				req->b, cal_json_str(json_object_get(d, "b"), "kind"),
				json_is_string(json_object_get(json_object_get(d, "b"), "time")) ? " at " : "",
				json_is_string(json_object_get(json_object_get(d, "b"), "time"))
					? cal_json_str(json_object_get(d, "b"), "time") : "",
				cal_json_str(d, "scope"));
	model = title && sub ? rp_model_new(title, sub) : NULL;
	if (!model) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	{
		static const char *const keys[] = { "objects_added", "objects_removed",
						    "objects_changed", "links_added", "links_removed",
						    "links_changed", "cliques_changed", NULL };
		static const char *const labels[] = { "objects added", "objects removed",
						      "objects changed", "links added",
						      "links removed", "links changed",
						      "cliques changed", NULL };

		for (int k = 0; keys[k] && rc == 0; k++) {
			json_int_t v = cal_json_int(s, keys[k], 0);

			rc = rp_card(model, labels[k], v, v ? "warn" : "ok");
		}
	}
	csv = rp_csv_table(model, csv_cols);
	if (rc == 0 && !csv)
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	if (rc == 0 && json_is_true(json_object_get(d, "equal")))
		rc = rp_section(model, "No differences", "Both sides are the same (volatile fields "
				"such as counters and timestamps are not compared).")
			     ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
	if (rc == 0 && !json_is_true(json_object_get(d, "equal")))
		rc = rd_part(model, d, csv, &rd_objects);
	if (rc == 0 && !json_is_true(json_object_get(d, "equal")))
		rc = rd_part(model, d, csv, &rd_links);
	if (rc == 0 && !json_is_true(json_object_get(d, "equal")))
		rc = rd_cliques(st, model, env, d, csv);
	if (rc == 0)
		rc = json_object_set(model, "data", d) ? cal_error_set(CAL_ENOMEM, "out of memory") : 0;
	if (rc == 0) {
		*out = model;
		model = NULL;
	}
out:
	json_decref(model);
	json_decref(d);
	free(title);
	free(sub);
	return rc;
}
