/* test_report.c - reports: escaping (HTML, CSV, DOT), Graphviz SVG through
 * libgvc, and the four kinds in the three formats on a small synthetic
 * environment: self-contained HTML (no script, link or remote asset),
 * names from discovered systems escaped, clique graphs drawn, CSV and
 * JSON that say what the diff says, reports kept and listed.
 */
#include "report/report_int.h"
#include "sn_world.h"

/* ------------------------------------------------------------------ */
/* Escaping                                                            */
/* ------------------------------------------------------------------ */

static char *html(const char *s)
{
	struct cal_buf b = { 0 };

	rp_html(&b, s);
	return cal_buf_take(&b);
}

static char *csv(const char *s)
{
	struct cal_buf b = { 0 };

	rp_csv(&b, s);
	return cal_buf_take(&b);
}

static void expect(char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("got '%s', want '%s'", got, want);
	free(got);
}

static void test_escaping(void **state)
{
	json_t *v;

	(void)state;
	expect(html("<script>alert('x') & \"y\"</script>"),
	       "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
	expect(html("a\x01\x1b[31mb\x7f\nc"), "a[31mb\nc");
	expect(html(""), "");
	expect(csv("plain"), "plain");
	expect(csv("a,b"), "\"a,b\"");
	expect(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
	expect(csv("two\nlines"), "\"two\nlines\"");
	expect(csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
	expect(csv("+1"), "\"'+1\"");
	expect(csv("-5"), "-5");
	expect(csv("-cmd"), "\"'-cmd\"");
	expect(csv("@SUM(A1)"), "\"'@SUM(A1)\"");
	v = json_pack("[s, s]", "vxlan-101", "vxlan-102");
	expect(rp_text(v), "vxlan-101, vxlan-102");
	json_decref(v);
	v = json_pack("[i, s]", 1, "a");
	expect(rp_text(v), "[1,\"a\"]");
	json_decref(v);
	v = json_null();
	expect(rp_text(v), "");
}

static void test_svg(void **state)
{
	json_t *clique = json_pack("{s:s, s:[{s:s, s:s, s:s, s:s}, {s:s, s:s}], "
				   "s:[{s:s, s:s, s:s, s:s, s:s}]}",
				   "focal_point", "vm1", "nodes", "id", "vm1", "name",
				   "<b>vm\"1\\</b>", "type", "instance", "status", "critical", "id",
				   "tap1", "type", "vnic", "links", "id", "vm1|instance-vnic|tap1",
				   "source_id", "vm1", "target_id", "tap1", "link_type",
				   "instance-vnic", "state", "down");
	json_t *mark = json_pack("{s:s}", "tap1", "added");
	char *dot = rp_clique_dot(clique, mark), *svg = NULL;

	(void)state;
	assert_non_null(clique);
	assert_non_null(dot);
	assert_int_equal(cal_report_svg(&svg, dot), 0);
	assert_int_equal(strncmp(svg, "<svg", 4), 0);
	assert_null(strstr(svg, "<?xml"));
	assert_null(strstr(svg, "<b>"));
	assert_non_null(strstr(svg, "&lt;b&gt;vm&quot;1\\&lt;/b&gt;"));
	assert_non_null(strstr(svg, "#2e7d32")); /* the added vNIC, green */
	free(svg);
	free(dot);
	assert_int_equal(cal_report_svg(&svg, "digraph { a -> "), CAL_EINVALID);
	assert_null(svg);
	assert_non_null(strstr(cal_error_last(), "Graphviz"));
	json_decref(clique);
	json_decref(mark);
}

/* ------------------------------------------------------------------ */
/* Reports of a small environment                                      */
/* ------------------------------------------------------------------ */

static const char evil[] = "<img src=x onerror=alert(1)>";

/* h1..h2 with their VMs; snapshot s1; then vm2's NIC goes down, a VM
 * named like an attack appears, h1's bridge loses its uplink. */
static void report_world(cal_store *st, struct world *w)
{
	w_init(w, "e", 2);
	w_commit(st, w, "e", T0);
	json_decref(snap(st, "e", "s1"));
	w_set(w, "h2:vnic:tap2", "operstate", json_string("down"));
	w_host(w, "e", 3);
	w_remove(w, "h3");
	w_remove(w, "h3:host_pnic:eth0");
	w_remove(w, "h3:vconnector:br0");
	w_set(w, "vm3", CAL_F_NAME, json_string(evil));
	json_object_del(w->links, "h1:vconnector:br0|vconnector-host_pnic|h1:host_pnic:eth0");
	w_commit(st, w, "e", T0 + 60 * SEC);
}

static json_t *gen(cal_store *st, struct cal_report_request *req)
{
	json_t *r = NULL;

	if (cal_report_generate(st, &r, "e", req) != 0)
		fail_msg("report %s: %s", req->kind, cal_error_last());
	return r;
}

/* Nothing fetched from elsewhere, nothing run: every tag (text has no
 * raw '<', it is escaped) is checked for what loads or runs something. */
static void assert_self_contained(const char *html_text)
{
	static const char *const tags[] = { "<script", "<link", "<iframe", "<object", "<embed",
					    "<img", "<image", "<use", "<a ", "<base", "<meta http",
					    NULL };
	static const char *const attrs[] = { "src=", "href=", "url(", "@import", " on", NULL };

	assert_int_equal(strncmp(html_text, "<!DOCTYPE html>", 15), 0);
	assert_non_null(strstr(html_text, "<style>"));
	for (const char *p = strchr(html_text, '<'); p; p = strchr(p + 1, '<')) {
		const char *end = strchr(p, '>');
		char tag[512];
		size_t n;

		assert_non_null(end);
		n = (size_t)(end - p) < sizeof(tag) - 1 ? (size_t)(end - p) : sizeof(tag) - 1;
		memcpy(tag, p, n);
		tag[n] = '\0';
		for (int i = 0; tags[i]; i++)
			if (strncmp(tag, tags[i], strlen(tags[i])) == 0)
				fail_msg("HTML report holds the tag %s", tag);
		for (int i = 0; attrs[i]; i++)
			if (strstr(tag, attrs[i]))
				fail_msg("HTML report holds '%s' in %s", attrs[i], tag);
	}
	/* The style sheet loads nothing either. */
	assert_null(strstr(html_text, "url("));
	assert_null(strstr(html_text, "@import"));
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_diff_report(void **state)
{
	cal_store *st = fx_store(state);
	struct cal_report_request req = { .kind = "diff", .a = "s1", .b = "live" };
	struct world w;
	json_t *r, *d = NULL, *j, *list = NULL;
	struct cal_diff_opts o = { 0 };
	const char *text;
	char *stored = NULL;
	size_t len;

	report_world(st, &w);
	r = gen(st, &req);
	text = cal_json_str(r, "content");
	assert_self_contained(text);
	assert_null(strstr(text, evil));
	assert_non_null(strstr(text, "&lt;img src=x onerror=alert(1)&gt;"));
	/* vm1's clique lost its uplink, vm3's is new: two graphs. */
	assert_int_equal(count(text, "<svg"), 2);
	assert_non_null(strstr(text, "h2:vnic:tap2"));
	assert_non_null(strstr(text, "operstate: up \u2192 down"));
	/* Kept: the stored bytes are the ones returned. */
	assert_true(cal_json_int(r, "id", 0) > 0);
	assert_int_equal(cal_store_report_get(st, &j, &stored, &len, cal_json_int(r, "id", 0)), 0);
	assert_string_equal(stored, text);
	assert_string_equal(cal_json_str(json_object_get(j, "args"), "a"), "s1");
	assert_string_equal(cal_json_str(j, "kind"), "diff");
	free(stored);
	json_decref(j);
	json_decref(r);
	/* JSON: the diff itself. */
	req.format = CAL_REPORT_JSON;
	r = gen(st, &req);
	j = json_loads(cal_json_str(r, "content"), 0, NULL);
	assert_non_null(j);
	assert_int_equal(cal_diff(st, &d, "e", "s1", "live", &o), 0);
	assert_true(json_equal(json_object_get(json_object_get(j, "data"), "summary"),
			       json_object_get(d, "summary")));
	json_decref(j);
	json_decref(r);
	/* CSV: a header, then one row per added or removed item and per
	 * changed field. */
	req.format = CAL_REPORT_CSV;
	r = gen(st, &req);
	text = cal_json_str(r, "content");
	assert_int_equal(strncmp(text, "kind,change,id,type,host,field,before,after\r\n", 45), 0);
	assert_non_null(strstr(text, "object,changed,h2:vnic:tap2,vnic,h2,operstate,up,down\r\n"));
	assert_non_null(strstr(text, "object,added,vm3,instance,h3,,,\r\n"));
	assert_non_null(strstr(text, "link,removed,h1:vconnector:br0|vconnector-host_pnic|"
				     "h1:host_pnic:eth0,vconnector-host_pnic,h1,,,\r\n"));
	json_decref(r);
	json_decref(d);
	/* Not kept when asked. */
	req.no_keep = true;
	r = gen(st, &req);
	assert_null(json_object_get(r, "id"));
	json_decref(r);
	assert_int_equal(cal_store_report_list(st, &list, "e"), 0);
	assert_int_equal(json_array_size(list), 3);
	json_decref(list);
	/* Bad input is named. */
	req.b = "nosuch";
	assert_int_equal(cal_report_generate(st, &r, "e", &req), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "nosuch"));
	req.kind = "weather";
	assert_int_equal(cal_report_generate(st, &r, "e", &req), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "weather"));
	w_fini(&w);
}

static void test_other_reports(void **state)
{
	cal_store *st = fx_store(state);
	struct cal_report_request req = { .kind = "inventory", .no_keep = true };
	struct world w;
	json_t *r, *j;
	const char *text;

	report_world(st, &w);
	r = gen(st, &req);
	text = cal_json_str(r, "content");
	assert_self_contained(text);
	assert_non_null(strstr(text, "Inventory of e"));
	assert_non_null(strstr(text, "&lt;img"));
	json_decref(r);
	/* Inventory at the snapshot: vm3 did not exist. */
	req.format = CAL_REPORT_CSV;
	req.at = "s1";
	r = gen(st, &req);
	text = cal_json_str(r, "content");
	assert_int_equal(count(text, "\r\n"), 1 + 10);
	assert_null(strstr(text, "vm3"));
	json_decref(r);
	req.at = "nosuch";
	assert_int_equal(cal_report_generate(st, &r, "e", &req), CAL_EINVALID);
	/* Health: every clique, none unhealthy (no monitoring status). */
	req.kind = "health";
	req.at = NULL;
	req.format = CAL_REPORT_JSON;
	r = gen(st, &req);
	j = json_loads(cal_json_str(r, "content"), 0, NULL);
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "data"), "cliques")), 3);
	json_decref(j);
	json_decref(r);
	/* A critical vNIC makes its clique critical and drawn. */
	w_set(&w, "h2:vnic:tap2", CAL_F_STATUS, json_string("critical"));
	w_commit(st, &w, "e", T0 + 120 * SEC);
	req.format = CAL_REPORT_HTML;
	r = gen(st, &req);
	text = cal_json_str(r, "content");
	assert_self_contained(text);
	assert_int_equal(count(text, "<svg"), 1);
	assert_non_null(strstr(text, "Cliques that are not healthy"));
	json_decref(r);
	/* Impact of h2's NIC: vm2's clique. */
	req.kind = "impact";
	req.object = "h2:host_pnic:eth0";
	req.what_if_down = true;
	r = gen(st, &req);
	text = cal_json_str(r, "content");
	assert_self_contained(text);
	assert_non_null(strstr(text, "Impact of host_pnic eth0 on h2 going down"));
	assert_int_equal(count(text, "<svg"), 1);
	json_decref(r);
	req.format = CAL_REPORT_CSV;
	r = gen(st, &req);
	assert_non_null(strstr(cal_json_str(r, "content"), "\r\nvm2,instance,vm2,h2,p2,"));
	json_decref(r);
	req.object = "nosuch";
	assert_int_equal(cal_report_generate(st, &r, "e", &req), CAL_EINVALID);
	assert_non_null(strstr(cal_error_last(), "nosuch"));
	w_fini(&w);
}

#define BOTH(fn)                                                         \
	cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),    \
	cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_svg),
		BOTH(test_diff_report),
		BOTH(test_other_reports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
