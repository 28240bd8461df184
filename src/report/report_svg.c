/* report_svg.c - DOT -> SVG with Graphviz's library (libgvc), for graphs
 * inlined in HTML reports: gvContext, agmemread, gvLayout(dot),
 * gvRenderData(svg).
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
 * Trust: DOT text comes from rp_clique_dot(), which quotes every name.
 */
#include "report/report_int.h"

#include <graphviz/gvc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	pthread_mutex_lock(&rs_lock);
	rs_err[0] = '\0';
	prev = agseterrf(rs_on_error);
	if (!rs_gvc)
		rs_gvc = gvContext();
	gvc = rs_gvc;
	if (!gvc) {
		rc = cal_error_set(CAL_ENOMEM, "cannot start Graphviz");
		goto out;
	}
	g = agmemread(dot);
	if (!g) {
		rc = cal_error_set(CAL_EINVALID, "Graphviz cannot read the graph: %s", rs_message());
		goto out;
	}
	if (gvLayout(gvc, g, "dot") != 0) {
		rc = cal_error_set(CAL_EIO, "Graphviz cannot lay the graph out (is the dot layout "
				   "plugin of libgvc installed?): %s", rs_message());
		goto out;
	}
	if (gvRenderData(gvc, g, "svg", &data, &len) != 0 || !data) {
		rc = cal_error_set(CAL_EIO, "Graphviz cannot render SVG: %s", rs_message());
		gvFreeLayout(gvc, g);
		goto out;
	}
	gvFreeLayout(gvc, g);
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
		gvFreeRenderData(data);
	if (g)
		agclose(g);
	agseterrf(prev);
	pthread_mutex_unlock(&rs_lock);
	return rc;
}
