/* report_svg.c - DOT -> SVG with Graphviz's library (libgvc), for graphs
 * inlined in HTML reports: gvContext, agmemread, rs_gv.layout(dot),
 * rs_gv.render_data(svg).
 *
 * libgvc keeps global state (its error handler, the plugin list of a
 * context) and is not thread-safe: every call here holds one mutex.  Its
 * messages go to our handler instead of stderr and make the error text.
 * One context serves the whole process: its text layout plugin (pango)
 * keeps pointers into the font names of the context that laid text out
 * last, so freeing a context and making another one reads freed memory
 * (Graphviz 2.43, found by ASan).  The context stays reachable from
 * rs_gvc until the process ends.
 * The XML prolog, DOCTYPE and comments Graphviz writes before <svg> are
 * cut, so that the SVG can sit inside an HTML page.
 *
 * libgvc and libcgraph are not linked: the first graph loads libgvc.so.6
 * (cal_dl_load), which brings libcgraph; both libraries' functions are
 * found through its handle.
 *
 * Trust: DOT text comes from rp_clique_dot(), which quotes every name.
 */
#include "report/report_int.h"

#include <graphviz/gvc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Graphviz's functions, with its own prototypes (gvc.h, cgraph.h). */
struct rs_gv_api {
	__typeof__(gvContext) *context;
	__typeof__(agmemread) *memread;
	__typeof__(gvLayout) *layout;
	__typeof__(gvRenderData) *render_data;
	__typeof__(gvFreeLayout) *free_layout;
	__typeof__(gvFreeRenderData) *free_render_data;
	__typeof__(agclose) *close;
	__typeof__(agseterrf) *seterrf;
};

static struct rs_gv_api rs_gv;

static const struct cal_dl_sym rs_gv_syms[] = {
	{ "gvContext", &rs_gv.context },
	{ "agmemread", &rs_gv.memread },
	{ "gvLayout", &rs_gv.layout },
	{ "gvRenderData", &rs_gv.render_data },
	{ "gvFreeLayout", &rs_gv.free_layout },
	{ "gvFreeRenderData", &rs_gv.free_render_data },
	{ "agclose", &rs_gv.close },
	{ "agseterrf", &rs_gv.seterrf },
	{ NULL, NULL },
};

static struct cal_dl_lib rs_gv_lib = {
	.soname = "libgvc.so.6",
	.name = "Graphviz's libgvc",
	.package = "libgvc6",
	.purpose = "to draw graphs in reports",
	.syms = rs_gv_syms,
};

static pthread_mutex_t rs_lock = PTHREAD_MUTEX_INITIALIZER;
static char rs_err[512];
static GVC_t *rs_gvc;

static int rs_on_error(char *msg)
{
	size_t n = strlen(rs_err);

	if (msg && n + 1 < sizeof(rs_err))
		snprintf(rs_err + n, sizeof(rs_err) - n, "%s", msg);
	return 0;
}

/* The message Graphviz gave, on one line. */
static const char *rs_message(void)
{
	for (char *p = rs_err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return *rs_err ? rs_err : "no detail";
}

int cal_report_svg(char **out, const char *dot)
{
	GVC_t *gvc;
	Agraph_t *g = NULL;
	agusererrf prev;
	char *data = NULL, *start;
	unsigned int len = 0;
	int rc = 0;

	*out = NULL;
	if (!dot || !*dot)
		return cal_error_set(CAL_EINVALID, "empty graph");
	rc = cal_dl_load(&rs_gv_lib);
	if (rc)
		return rc;
	pthread_mutex_lock(&rs_lock);
	rs_err[0] = '\0';
	prev = rs_gv.seterrf(rs_on_error);
	if (!rs_gvc)
		rs_gvc = rs_gv.context();
	gvc = rs_gvc;
	if (!gvc) {
		rc = cal_error_set(CAL_ENOMEM, "cannot start Graphviz");
		goto out;
	}
	g = rs_gv.memread(dot);
	if (!g) {
		rc = cal_error_set(CAL_EINVALID, "Graphviz cannot read the graph: %s", rs_message());
		goto out;
	}
	if (rs_gv.layout(gvc, g, "dot") != 0) {
		rc = cal_error_set(CAL_EIO, "Graphviz cannot lay the graph out (is the dot layout "
				   "plugin of libgvc installed?): %s", rs_message());
		goto out;
	}
	if (rs_gv.render_data(gvc, g, "svg", &data, &len) != 0 || !data) {
		rc = cal_error_set(CAL_EIO, "Graphviz cannot render SVG: %s", rs_message());
		rs_gv.free_layout(gvc, g);
		goto out;
	}
	rs_gv.free_layout(gvc, g);
	start = strstr(data, "<svg");
	if (!start) {
		rc = cal_error_set(CAL_EIO, "Graphviz wrote no <svg> element");
		goto out;
	}
	*out = strdup(start);
	if (!*out)
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
out:
	if (data)
		rs_gv.free_render_data(data);
	if (g)
		rs_gv.close(g);
	rs_gv.seterrf(prev);
	pthread_mutex_unlock(&rs_lock);
	return rc;
}
