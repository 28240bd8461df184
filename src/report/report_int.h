/* report_int.h - private to src/report: the report model each kind builds
 * and each format renders, text buffers and the DOT of clique graphs.
 *
 * The model is a JSON document:
 *   {"title", "subtitle",
 *    "cards": [{"label", "value", "tone": "ok|warn|bad|info"}],
 *    "sections": [{"title", "text"?, "note"?,
 *                  "table"?: {"columns": [text], "rows": [[value]]},
 *                  "graphs"?: [{"caption", "dot"}]}],
 *    "csv": {"columns": [text], "rows": [[value]]},
 *    "data": what the JSON format prints}
 * Values in rows are JSON scalars (rendered as text) or arrays/objects
 * (rendered as compact JSON).
 */
#ifndef CALIPSO_REPORT_INT_H
#define CALIPSO_REPORT_INT_H

#include "report/report.h"

#include <stdarg.h>

/* ------------------------------------------------------------------ */
/* Escapes into core's text buffers, struct cal_buf (report_buf.c)     */
/* ------------------------------------------------------------------ */

/* HTML text: & < > " ' escaped; control bytes other than \n and \t
 * dropped. */
void rp_html(struct cal_buf *b, const char *s);
/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line
 * break; a text a spreadsheet would run as a formula (= + @, or - not
 * followed by a digit) gets a leading '. */
void rp_csv(struct cal_buf *b, const char *s);
/* A row value as text: strings as they are, null as "", a list of
 * strings joined by ", ", others as compact JSON.  malloc'ed; NULL when
 * out of memory. */
char *rp_text(const json_t *v);

/* ------------------------------------------------------------------ */
/* Model helpers (report_model.c)                                      */
/* ------------------------------------------------------------------ */

json_t *rp_model_new(const char *title, const char *subtitle);
/* The model of a report read live or at a reference time: titled
 * "<what> of <env>" (" at <at>" when `at` is set), subtitled with the time
 * of `desc` (cal_ref_time()'s description) or "live inventory".  NULL when
 * out of memory. */
json_t *rp_model_at(const char *what, const char *env, const char *at, const json_t *desc);
/* The subtitle of a report read at `desc`: its time, or "live inventory". */
const char *rp_at_subtitle(const json_t *desc);
int rp_card(json_t *model, const char *label, json_int_t value, const char *tone);
/* Adds a section and returns it (borrowed), NULL when out of memory. */
json_t *rp_section(json_t *model, const char *title, const char *text);
/* Gives section `sec` a table with these columns; returns the rows
 * array (borrowed). */
json_t *rp_table(json_t *sec, const char *const *columns);
/* Appends a row of n values (taken). */
int rp_row(json_t *rows, int n, ...);
/* Adds a section with a table of these columns: `*sec` the section and
 * `*rows` its rows (both borrowed).  0, or CAL_ENOMEM with the error set. */
int rp_add_table(json_t *model, json_t **sec, json_t **rows, const char *title, const char *text,
		 const char *const *columns);
/* Appends a row of the string members `fields` (NULL-terminated) of `doc`,
 * "" for one that is missing. */
int rp_row_fields(json_t *rows, const json_t *doc, const char *const *fields);
/* Adds a graph (DOT text, copied) to a section. */
int rp_graph(json_t *sec, const char *caption, const char *dot);
/* The model's CSV table; returns its rows (borrowed). */
json_t *rp_csv_table(json_t *model, const char *const *columns);

/* DOT of a clique document (cal_clique_get()'s output) for a report:
 * `mark` (may be NULL) maps node and link ids to "added", "removed" or
 * "focus", drawn green, red and dashed, or bold.  malloc'ed. */
char *rp_clique_dot(const json_t *clique, const json_t *mark);

/* ------------------------------------------------------------------ */
/* Kinds (report_<kind>.c) and formats                                 */
/* ------------------------------------------------------------------ */

int rp_build_diff(cal_store *st, json_t **out, const char *env,
		  const struct cal_report_request *req);
int rp_build_impact(cal_store *st, json_t **out, const char *env,
		    const struct cal_report_request *req);
int rp_build_health(cal_store *st, json_t **out, const char *env,
		    const struct cal_report_request *req);
int rp_build_inventory(cal_store *st, json_t **out, const char *env,
		       const struct cal_report_request *req);

/* report_html.c, report_csv.c: the text of a model. */
int rp_render_html(char **out, const json_t *model, const char *env);
int rp_render_csv(char **out, const json_t *model);

#endif
