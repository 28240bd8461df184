/* report_model.c - building the report model (report_int.h) and the DOT
 * text of clique graphs with what changed marked.
 *
 * DOT strings are quoted with every '"' and '\' escaped, line breaks as
 * DOT's \n and other control bytes dropped, so that names from discovered systems cannot break out of a
 * label; Graphviz then escapes them again for SVG.
 */
#include "report/report_int.h"

#include <stdlib.h>
#include <string.h>

json_t *rp_model_new(const char *title, const char *subtitle)
{
	return json_pack("{s:s, s:s, s:[], s:[], s:{s:[], s:[]}, s:{}}", "title", title,
			 "subtitle", subtitle ? subtitle : "", "cards", "sections", "csv", "columns",
			 "rows", "data");
}

const char *rp_at_subtitle(const json_t *desc)
{
	return json_is_string(json_object_get(desc, "time")) ? cal_json_str(desc, "time")
							     : "live inventory";
}

json_t *rp_model_at(const char *what, const char *env, const char *at, const json_t *desc)
{
	char *title = at ? cal_strdup_printf("%s of %s at %s", what, env, at)
			 : cal_strdup_printf("%s of %s", what, env);
	json_t *model = title ? rp_model_new(title, rp_at_subtitle(desc)) : NULL;

	free(title);
	return model;
}

int rp_card(json_t *model, const char *label, json_int_t value, const char *tone)
{
	if (json_array_append_new(json_object_get(model, "cards"),
				  json_pack("{s:s, s:I, s:s}", "label", label, "value", value, "tone",
					    tone ? tone : "info")))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

json_t *rp_section(json_t *model, const char *title, const char *text)
{
	json_t *sec = json_pack("{s:s}", "title", title);

	if (sec && text)
		json_object_set_new(sec, "text", json_string(text));
	if (!sec || json_array_append_new(json_object_get(model, "sections"), sec))
		return NULL;
	return sec;
}

static json_t *rp_columns(const char *const *columns)
{
	json_t *cols = json_array();

	for (int i = 0; cols && columns[i]; i++)
		json_array_append_new(cols, json_string(columns[i]));
	return cols;
}

json_t *rp_table(json_t *sec, const char *const *columns)
{
	json_t *t = json_pack("{s:o, s:[]}", "columns", rp_columns(columns), "rows");

	if (!t || json_object_set_new(sec, "table", t))
		return NULL;
	return json_object_get(t, "rows");
}

int rp_row(json_t *rows, int n, ...)
{
	json_t *row = json_array();
	va_list ap;
	int rc = 0;

	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		json_t *v = va_arg(ap, json_t *);

		if (!v || !row || json_array_append_new(row, v))
			rc = CAL_ENOMEM;
	}
	va_end(ap);
	if (rc || !rows || json_array_append_new(rows, row))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

int rp_add_table(json_t *model, json_t **sec, json_t **rows, const char *title, const char *text,
		 const char *const *columns)
{
	*sec = rp_section(model, title, text);
	*rows = *sec ? rp_table(*sec, columns) : NULL;
	if (!*rows)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

int rp_row_fields(json_t *rows, const json_t *doc, const char *const *fields)
{
	json_t *row = json_array();
	int rc = row && rows ? 0 : CAL_ENOMEM;

	for (int i = 0; rc == 0 && fields[i]; i++)
		if (json_array_append_new(row, json_string(cal_json_str(doc, fields[i]))))
			rc = CAL_ENOMEM;
	if (rc) {
		json_decref(row);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	if (json_array_append_new(rows, row))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

int rp_graph(json_t *sec, const char *caption, const char *dot)
{
	json_t *graphs = json_object_get(sec, "graphs");

	if (!graphs) {
		graphs = json_array();
		if (!graphs || json_object_set_new(sec, "graphs", graphs))
			return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	if (json_array_append_new(graphs, json_pack("{s:s, s:s}", "caption", caption, "dot", dot)))
		return cal_error_set(CAL_ENOMEM, "out of memory");
	return 0;
}

json_t *rp_csv_table(json_t *model, const char *const *columns)
{
	json_t *csv = json_object_get(model, "csv");

	if (json_object_set_new(csv, "columns", rp_columns(columns)))
		return NULL;
	return json_object_get(csv, "rows");
}

/* ------------------------------------------------------------------ */
/* Clique graphs                                                       */
/* ------------------------------------------------------------------ */

static void rp_dot_str(struct cal_buf *b, const char *s)
{
	cal_buf_str(b, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n') {
			cal_buf_str(b, "\\n"); /* DOT's line break in a label */
			continue;
		}
		if (c == '"' || c == '\\')
			cal_buf_str(b, "\\");
		if (c >= 0x20 && c != 0x7f)
			cal_buf_add(b, s, 1);
	}
	cal_buf_str(b, "\"");
}

static const char *rp_status_color(const char *status)
{
	if (strcmp(status, "ok") == 0)
		return "#2e7d32";
	if (strcmp(status, "warning") == 0)
		return "#ef6c00";
	if (strcmp(status, "critical") == 0 || strcmp(status, "error") == 0)
		return "#c62828";
	return "#546e7a";
}

/* Node or link attributes for a mark. */
static void rp_dot_mark(struct cal_buf *b, const char *mark, bool link)
{
	if (strcmp(mark, "added") == 0)
		cal_buf_str(b, link ? ", color=\"#2e7d32\", penwidth=2"
				    : ", color=\"#2e7d32\", penwidth=2, fillcolor=\"#e8f5e9\"");
	else if (strcmp(mark, "removed") == 0)
		cal_buf_str(b, link ? ", color=\"#c62828\", style=dashed, penwidth=2"
				    : ", color=\"#c62828\", style=\"rounded,dashed,filled\", "
				      "fillcolor=\"#ffebee\"");
	else if (strcmp(mark, "focus") == 0)
		cal_buf_str(b, link ? ", penwidth=3" : ", penwidth=3, fillcolor=\"#fff8e1\"");
}

char *rp_clique_dot(const json_t *clique, const json_t *mark)
{
	struct cal_buf b = { 0 };
	const char *focal = cal_json_str(clique, "focal_point");
	size_t i;
	json_t *n;

	cal_buf_str(&b, "digraph clique {\n  rankdir=LR;\n  bgcolor=\"transparent\";\n"
			"  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", "
			"fontname=\"Helvetica\", fontsize=10];\n"
			"  edge [fontname=\"Helvetica\", fontsize=8, color=\"#607d8b\"];\n");
	json_array_foreach(json_object_get(clique, "nodes"), i, n) {
		const char *id = cal_json_str(n, CAL_F_ID);
		const char *name = *cal_json_str(n, CAL_F_NAME) ? cal_json_str(n, CAL_F_NAME) : id;
		char *label = cal_strdup_printf("%s\n%s%s%s", name, cal_json_str(n, CAL_F_TYPE),
						*cal_json_str(n, CAL_F_HOST) ? " @ " : "",
						cal_json_str(n, CAL_F_HOST));
		const char *m = cal_json_str(mark, id);

		cal_buf_str(&b, "  ");
		rp_dot_str(&b, id);
		cal_buf_str(&b, " [label=");
		rp_dot_str(&b, label ? label : id);
		cal_buf_printf(&b, ", color=\"%s\"",
			       rp_status_color(cal_json_str(n, CAL_F_STATUS)));
		if (strcmp(id, focal) == 0)
			cal_buf_str(&b, ", penwidth=2.5");
		rp_dot_mark(&b, m, false);
		cal_buf_str(&b, "];\n");
		free(label);
	}
	json_array_foreach(json_object_get(clique, "links"), i, n) {
		const char *m = cal_json_str(mark, cal_json_str(n, CAL_F_ID));

		cal_buf_str(&b, "  ");
		rp_dot_str(&b, cal_json_str(n, CAL_F_SOURCE_ID));
		cal_buf_str(&b, " -> ");
		rp_dot_str(&b, cal_json_str(n, CAL_F_TARGET_ID));
		cal_buf_str(&b, " [label=");
		rp_dot_str(&b, cal_json_str(n, CAL_F_LINK_TYPE));
		if (strcmp(cal_json_str(n, CAL_F_STATE), "down") == 0)
			cal_buf_str(&b, ", color=\"#c62828\", style=dotted");
		rp_dot_mark(&b, m, true);
		cal_buf_str(&b, "];\n");
	}
	cal_buf_str(&b, "}\n");
	return cal_buf_take(&b);
}
