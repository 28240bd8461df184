/* report.h - reports for people outside the NOC: what changed (diff), what
 * a change would affect (impact), the health of every clique (health) and
 * what there is (inventory), as one self-contained HTML file (inline CSS,
 * clique graphs as inline SVG laid out by Graphviz's libgvc; no external
 * asset), JSON or CSV.  Generated reports are kept in the store and
 * listed (docs/snapshots.md "Reports").
 *
 * Conventions: 0 or a negative CAL_E* code with cal_error_last(); the
 * caller owns what comes back through `out`.  A cal_store is used from
 * the calling thread only.
 */
#ifndef CALIPSO_REPORT_H
#define CALIPSO_REPORT_H

#include "core/core.h"
#include "store/store.h"

enum cal_report_format {
	CAL_REPORT_HTML,
	CAL_REPORT_JSON,
	CAL_REPORT_CSV,
};

/* "html", "json", "csv"; -1 when unknown. */
int cal_report_format_from_name(const char *name);
const char *cal_report_format_name(enum cal_report_format f);

struct cal_report_request {
	const char *kind;      /* "diff", "impact", "health", "inventory" */
	enum cal_report_format format;
	const char *a, *b;     /* diff: the two references of cal_diff() */
	const char *scope;     /* diff: cal_diff()'s scope (NULL: implied) */
	const char *object;    /* impact: the object id */
	bool what_if_down;     /* impact */
	const char *project;   /* impact: only this project's focal points */
	const char *at;        /* impact, health, inventory: "live" (NULL), a
				* snapshot name or a time */
	const char *title;     /* NULL: one made from the kind and arguments */
	bool no_keep;          /* do not keep it in the store */
};

/* Generates a report of `env`:
 *   {"id" (absent with no_keep), "environment", "kind", "format", "title",
 *    "created", "args", "size", "content"}
 * where content is the report's text.  CAL_EINVALID quoting the input
 * for an unknown kind, reference or object. */
int cal_report_generate(cal_store *st, json_t **out, const char *env,
			const struct cal_report_request *req);

/* SVG text of a Graphviz DOT graph laid out with `dot` (libgvc), without
 * the XML prolog, ready to inline in HTML.  CAL_EINVALID when the text is
 * not DOT, CAL_EIO when Graphviz cannot lay it out. */
int cal_report_svg(char **out, const char *dot);

#endif
