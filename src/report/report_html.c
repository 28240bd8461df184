/* report_html.c - a report model as one self-contained HTML file, fit to
 * mail to a customer: inline CSS, graphs as inline SVG, no script, no
 * external asset (no link, no remote image, no font to fetch), readable
 * in a mail client and printable.
 *
 * Every text from the model is escaped (rp_html); SVG comes from Graphviz,
 * which escapes the labels it draws.  A graph that cannot be laid out is
 * replaced by a note saying why, the report is still written.
 */
#include "report/report_int.h"

#include <stdlib.h>
#include <string.h>

static const char rh_css[] =
	"*{box-sizing:border-box}"
	"body{margin:0;padding:24px 32px;font:14px/1.45 -apple-system,'Segoe UI',Helvetica,"
	"Arial,sans-serif;color:#1f2933;background:#f5f7fa}"
	"header{border-bottom:3px solid #1565c0;margin-bottom:20px;padding-bottom:12px}"
	"h1{margin:0 0 4px;font-size:24px;color:#0d47a1}"
	"h2{margin:28px 0 10px;font-size:18px;color:#0d47a1;border-bottom:1px solid #cfd8dc;"
	"padding-bottom:4px}"
	".meta{color:#52606d;margin:0}"
	".cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}"
	".card{background:#fff;border-radius:6px;padding:10px 16px;min-width:130px;"
	"border-left:5px solid #90a4ae;box-shadow:0 1px 2px rgba(0,0,0,.08)}"
	".card .v{font-size:24px;font-weight:600}"
	".card .l{color:#52606d;font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
	".card.ok{border-color:#2e7d32}.card.warn{border-color:#ef6c00}"
	".card.bad{border-color:#c62828}.card.info{border-color:#1565c0}"
	"table{border-collapse:collapse;width:100%;background:#fff;font-size:12.5px;"
	"margin:8px 0 4px}"
	"th{background:#e3eaf2;text-align:left;padding:6px 8px;border-bottom:2px solid #b0bec5}"
	"td{padding:5px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top;"
	"word-break:break-word}"
	"tr:nth-child(even) td{background:#fafbfc}"
	"td:first-child,td.added,td.removed,td.changed{white-space:nowrap}"
	"td.added{color:#1b5e20;font-weight:600}td.removed{color:#b71c1c;font-weight:600}"
	"td.changed{color:#e65100;font-weight:600}"
	"code{font:12px/1.3 Menlo,Consolas,monospace}"
	"figure{background:#fff;margin:12px 0;padding:12px;border-radius:6px;"
	"box-shadow:0 1px 2px rgba(0,0,0,.08);overflow-x:auto}"
	"figure svg{max-width:100%;height:auto}"
	"figcaption{color:#52606d;font-size:12px;margin-top:6px}"
	".note{color:#52606d;font-style:italic}"
	"footer{margin-top:32px;color:#7b8794;font-size:11px;border-top:1px solid #cfd8dc;"
	"padding-top:8px}"
	"@media print{body{background:#fff;padding:0}.card,figure{box-shadow:none;"
	"border:1px solid #cfd8dc}}";

/* A cell: added/removed/changed words get a class, values are escaped. */
static void rh_cell(struct cal_buf *b, const json_t *v)
{
	char *text = rp_text(v);
	const char *cls = "";

	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (strcmp(s, "added") == 0)
			cls = " class=\"added\"";
		else if (strcmp(s, "removed") == 0)
			cls = " class=\"removed\"";
		else if (strcmp(s, "changed") == 0)
			cls = " class=\"changed\"";
	}
	cal_buf_printf(b, "<td%s>", cls);
	if (json_is_array(v) || json_is_object(v)) {
		cal_buf_str(b, "<code>");
		rp_html(b, text);
		cal_buf_str(b, "</code>");
	} else {
		rp_html(b, text);
	}
	cal_buf_str(b, "</td>");
	free(text);
	if (!text)
		b->oom = true;
}

static void rh_table(struct cal_buf *b, const json_t *t)
{
	size_t i, j;
	json_t *c, *row, *v;

	cal_buf_str(b, "<table><thead><tr>");
	json_array_foreach(json_object_get(t, "columns"), i, c) {
		cal_buf_str(b, "<th>");
		rp_html(b, json_string_value(c));
		cal_buf_str(b, "</th>");
	}
	cal_buf_str(b, "</tr></thead><tbody>\n");
	json_array_foreach(json_object_get(t, "rows"), i, row) {
		cal_buf_str(b, "<tr>");
		json_array_foreach(row, j, v)
			rh_cell(b, v);
		cal_buf_str(b, "</tr>\n");
	}
	cal_buf_str(b, "</tbody></table>\n");
}

static void rh_graph(struct cal_buf *b, const json_t *g)
{
	char *svg = NULL;
	int rc = cal_report_svg(&svg, cal_json_str(g, "dot"));

	cal_buf_str(b, "<figure>");
	if (rc == 0) {
		cal_buf_str(b, svg);
	} else {
		cal_buf_str(b, "<p class=\"note\">The graph could not be drawn: ");
		rp_html(b, cal_error_last());
		cal_buf_str(b, "</p>");
		cal_error_clear();
	}
	cal_buf_str(b, "<figcaption>");
	rp_html(b, cal_json_str(g, "caption"));
	cal_buf_str(b, "</figcaption></figure>\n");
	free(svg);
}

int rp_render_html(char **out, const json_t *model, const char *env)
{
	struct cal_buf b = { 0 };
	char now[CAL_TIME_BUFSZ];
	size_t i, j;
	json_t *card, *sec, *g;

	*out = NULL;
	cal_buf_str(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			"<title>");
	rp_html(&b, cal_json_str(model, "title"));
	cal_buf_str(&b, "</title>\n<style>");
	cal_buf_str(&b, rh_css);
	cal_buf_str(&b, "</style>\n</head>\n<body>\n<header><h1>");
	rp_html(&b, cal_json_str(model, "title"));
	cal_buf_str(&b, "</h1><p class=\"meta\">");
	if (*cal_json_str(model, "subtitle")) {
		rp_html(&b, cal_json_str(model, "subtitle"));
		cal_buf_str(&b, "<br>");
	}
	cal_buf_str(&b, "Environment <b>");
	rp_html(&b, env);
	cal_buf_str(&b, "</b> &middot; generated ");
	rp_html(&b, cal_time_format(now, cal_time_now_us()));
	cal_buf_str(&b, " by Calipso " CAL_VERSION "</p></header>\n");
	if (json_array_size(json_object_get(model, "cards"))) {
		cal_buf_str(&b, "<div class=\"cards\">");
		json_array_foreach(json_object_get(model, "cards"), i, card) {
			cal_buf_str(&b, "<div class=\"card ");
			rp_html(&b, cal_json_str(card, "tone"));
			cal_buf_printf(&b, "\"><div class=\"v\">%lld</div><div class=\"l\">",
				       (long long)cal_json_int(card, "value", 0));
			rp_html(&b, cal_json_str(card, "label"));
			cal_buf_str(&b, "</div></div>");
		}
		cal_buf_str(&b, "</div>\n");
	}
	json_array_foreach(json_object_get(model, "sections"), i, sec) {
		cal_buf_str(&b, "<section><h2>");
		rp_html(&b, cal_json_str(sec, "title"));
		cal_buf_str(&b, "</h2>\n");
		if (*cal_json_str(sec, "text")) {
			cal_buf_str(&b, "<p>");
			rp_html(&b, cal_json_str(sec, "text"));
			cal_buf_str(&b, "</p>\n");
		}
		if (json_object_get(sec, "table"))
			rh_table(&b, json_object_get(sec, "table"));
		json_array_foreach(json_object_get(sec, "graphs"), j, g)
			rh_graph(&b, g);
		if (*cal_json_str(sec, "note")) {
			cal_buf_str(&b, "<p class=\"note\">");
			rp_html(&b, cal_json_str(sec, "note"));
			cal_buf_str(&b, "</p>\n");
		}
		cal_buf_str(&b, "</section>\n");
	}
	cal_buf_str(&b, "<footer>Calipso " CAL_VERSION " &middot; virtual networking discovery and "
			"analysis. Times are UTC.</footer>\n</body>\n</html>\n");
	*out = cal_buf_take(&b);
	return *out ? 0 : CAL_ENOMEM;
}
