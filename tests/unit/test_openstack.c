/* test_openstack.c - the OpenStack client on responses recorded from the
 * lab cloud (tests/data/openstack/, record.py): pure parsing (pages and
 * markers, error bodies, tokens, the catalog, malformed JSON), then the
 * client and the source against a fake API at the I/O boundary: a
 * libmicrohttpd server on 127.0.0.1 that serves the recorded items with
 * real limit/marker pagination, checks tokens, and can be told to expire a
 * token, refuse credentials, drop a service from the catalog or answer
 * malformed JSON.  Finally the builder on the cloud report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "discover/discover.h"
#include "discover/openstack.h"
#include "test_data.h"

static json_t *load(const char *name)
{
	size_t n;
	char *b = td_read("openstack", name, &n);
	json_t *j = json_loadb(b, n, 0, NULL);

	free(b);
	assert_non_null(j);
	return j;
}

/* Every item of a recorded paginated list: p0, p1, ... concatenated. */
static json_t *all_items(const char *base, const char *key)
{
	json_t *items = json_array();
	char name[128];

	for (int i = 0;; i++) {
		char path[512];
		json_t *page;

		snprintf(name, sizeof(name), "%s_p%d.json", base, i);
		snprintf(path, sizeof(path), "%s/openstack/%s", getenv("CALIPSO_TEST_DATA"), name);
		if (access(path, F_OK) != 0)
			break;
		page = load(name);
		json_array_extend(items, json_object_get(page, key));
		json_decref(page);
	}
	return items;
}

/* ------------------------------------------------------------------ */
/* Pure parsing                                                        */
/* ------------------------------------------------------------------ */

static void test_page_marker(void **state)
{
	size_t n;
	char *b = td_read("openstack", "servers_p0.json", &n);
	json_t *items = json_array(), *doc = json_loadb(b, n, 0, NULL);
	char *marker = NULL;
	json_t *last;

	(void)state;
	assert_int_equal(os_parse_page(items, &marker, b, n, "servers", "server"), 0);
	assert_int_equal(json_array_size(items),
			 json_array_size(json_object_get(doc, "servers")));
	/* Nova's next link carries the marker: the last server of the page. */
	assert_non_null(marker);
	last = json_array_get(json_object_get(doc, "servers"),
			      json_array_size(json_object_get(doc, "servers")) - 1);
	assert_string_equal(marker, cal_json_str(last, "id"));
	/* Trimmed: kept fields only. */
	assert_non_null(json_object_get(json_array_get(items, 0), "OS-EXT-SRV-ATTR:host"));
	assert_null(json_object_get(json_array_get(items, 0), "links"));
	free(marker);
	free(b);
	json_decref(items);
	json_decref(doc);
}

static void test_page_last_has_no_marker(void **state)
{
	json_t *items = json_array();
	char name[64], path[512];
	int last = 0;

	(void)state;
	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof(path), "%s/openstack/ports_p%d.json",
			 getenv("CALIPSO_TEST_DATA"), i);
		if (access(path, F_OK) == 0)
			last = i;
	}
	assert_true(last >= 1); /* recorded with limit=3: more than one page */
	for (int i = 0; i <= last; i++) {
		size_t n;
		char *b, *marker = NULL;

		snprintf(name, sizeof(name), "ports_p%d.json", i);
		b = td_read("openstack", name, &n);
		assert_int_equal(os_parse_page(items, &marker, b, n, "ports", "port"), 0);
		if (i < last)
			assert_non_null(marker);
		else
			assert_null(marker);
		free(marker);
		free(b);
	}
	json_t *ref = all_items("ports", "ports");

	assert_int_equal(json_array_size(items), json_array_size(ref));
	json_decref(ref);
	json_decref(items);
}

static void test_page_malformed(void **state)
{
	json_t *items = json_array();
	char *marker = NULL;
	char deep[200];
	static const char *const bad[] = {
		"", "{", "[]", "{\"servers\": 3}", "{\"servers\": [1]}", "not json at all",
		"{\"servers\": [], \"servers_links\": {}}",
		"{\"servers\": [{\"id\": \"a\"}], \"servers\": []}",
		"{\"servers\": [{\"name\": \"x\"}], \"servers_links\": [{\"rel\": \"next\", "
		"\"href\": \"http://x/servers\"}]}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(os_parse_page(items, &marker, bad[i], strlen(bad[i]), "servers",
					       "server"),
				 CAL_EPROTO);
		assert_null(marker);
	}
	memset(deep, '[', sizeof(deep));
	deep[0] = '{';
	assert_int_equal(os_parse_page(items, &marker, deep, sizeof(deep), "servers", "server"),
			 CAL_EPROTO);
	assert_non_null(strstr(cal_error_last(), "deeper"));
	json_decref(items);
}

static void test_errors(void **state)
{
	char buf[512];
	size_t n;
	char *b;

	(void)state;
	b = td_read("openstack", "nova_404.json", &n);
	os_parse_error(buf, sizeof(buf), 404, b, n);
	assert_non_null(strstr(buf, "HTTP 404: Instance"));
	assert_non_null(strstr(buf, "could not be found"));
	free(b);
	b = td_read("openstack", "neutron_404.json", &n);
	os_parse_error(buf, sizeof(buf), 404, b, n);
	assert_non_null(strstr(buf, "HTTP 404: Network"));
	free(b);
	b = td_read("openstack", "token_401.json", &n);
	os_parse_error(buf, sizeof(buf), 401, b, n);
	assert_non_null(strstr(buf, "HTTP 401: The request you have made requires authentication"));
	free(b);
	/* Not JSON: the first line, escaped. */
	{
		static const char html[] = "<html>Bad\x01 gateway\nmore";

		/* Not NUL-terminated where the parser stops: len is the bound. */
		os_parse_error(buf, sizeof(buf), 502, html, sizeof(html) - 1);
	}
	assert_string_equal(buf, "HTTP 502: <html>Bad\\x01 gateway");
	os_parse_error(buf, sizeof(buf), 500, NULL, 0);
	assert_string_equal(buf, "HTTP 500");
}

static void test_token(void **state)
{
	struct os_token t;
	size_t n;
	char *b = td_read("openstack", "token.json", &n);
	char *url = NULL;

	(void)state;
	assert_int_equal(os_parse_token(&t, "tok", b, n), 0);
	assert_string_equal(t.id, "tok");
	assert_true(t.expires_us > 0);
	assert_true(strlen(t.project_id) == 32);
	assert_true(json_array_size(t.catalog) >= 4);
	assert_int_equal(os_catalog_endpoint(&url, t.catalog, "compute", "public", "RegionOne"), 0);
	assert_non_null(strstr(url, "/v2.1"));
	assert_true(url[strlen(url) - 1] != '/');
	free(url);
	assert_int_equal(os_catalog_endpoint(&url, t.catalog, "identity", "internal", NULL), 0);
	assert_true(url[strlen(url) - 1] != '/');
	free(url);
	assert_int_equal(os_catalog_endpoint(&url, t.catalog, "volumev3", "public", NULL),
			 CAL_ENOTFOUND);
	assert_non_null(strstr(cal_error_last(), "service 'volumev3' is missing from the catalog"));
	assert_non_null(strstr(cal_error_last(), "network"));
	assert_int_equal(os_catalog_endpoint(&url, t.catalog, "network", "public", "Elsewhere"),
			 CAL_ENOTFOUND);
	assert_non_null(strstr(cal_error_last(), "region 'Elsewhere'"));
	os_token_clear(&t);
	/* No header, no expiry, wrong shapes. */
	assert_int_equal(os_parse_token(&t, NULL, b, n), CAL_EPROTO);
	assert_int_equal(os_parse_token(&t, "x", "{\"token\": {}}", 13), CAL_EPROTO);
	assert_int_equal(os_parse_token(&t, "x",
					"{\"token\": {\"expires_at\": \"2030-01-01T00:00:00Z\", "
					"\"catalog\": 5}}",
					64),
			 CAL_EPROTO);
	free(b);
}

static void test_auth_body(void **state)
{
	struct os_auth a = { .auth_url = "http://x/v3", .username = "u", .password = "p",
			     .project_name = "pr" };
	char *body = NULL;
	json_t *j;

	(void)state;
	assert_int_equal(os_auth_body(&body, &a), 0);
	j = json_loads(body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(json_object_get(json_object_get(json_object_get(
			json_object_get(j, "auth"), "identity"), "password"), "user"), "domain"),
		"name")), "Default");
	assert_string_equal(cal_json_str(json_object_get(json_object_get(
		json_object_get(j, "auth"), "scope"), "project"), "name"), "pr");
	json_decref(j);
	free(body);
	memset(&a, 0, sizeof(a));
	a.auth_type = "v3applicationcredential";
	a.app_cred_id = "ac";
	a.app_cred_secret = "s";
	assert_int_equal(os_auth_body(&body, &a), 0);
	j = json_loads(body, 0, NULL);
	assert_string_equal(cal_json_str(json_object_get(json_object_get(json_object_get(
		j, "auth"), "identity"), "application_credential"), "id"), "ac");
	/* An application credential carries its own scope. */
	assert_null(json_object_get(json_object_get(j, "auth"), "scope"));
	json_decref(j);
	free(body);
}

/* ------------------------------------------------------------------ */
/* The fake API                                                        */
/* ------------------------------------------------------------------ */

struct fake {
	struct MHD_Daemon *d;
	int port;
	json_t *token;        /* token.json with the catalog pointing here */
	json_t *lists;        /* "compute/servers/detail" -> {"key", "items"} */
	int tokens_issued;
	int requests;
	int list_requests;
	char current[64];     /* the token id currently valid */
	bool refuse;          /* wrong credentials */
	bool expire_next;     /* the next list request answers 401 once */
	bool no_network;      /* token catalog without "network" */
	bool short_token;     /* tokens expire in 30 s (under the reuse margin) */
	char malformed[128];  /* this path answers malformed JSON */
	bool tls;
	char *tls_key, *tls_cert;
	int fields_asked;     /* list requests that named their fields */
};

struct upload {
	char buf[8192];
	size_t len;
};

static enum MHD_Result fake_reply(struct MHD_Connection *c, unsigned status, const char *body,
				  const char *token)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/json");
	if (token)
		MHD_add_response_header(r, "X-Subject-Token", token);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result fake_field(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	(void)kind;
	if (strcmp(key, "fields") == 0 && value)
		json_object_set_new(cls, value, json_true());
	return MHD_YES;
}

static enum MHD_Result fake_list(struct fake *f, struct MHD_Connection *c, const char *svc_path)
{
	json_t *l = json_object_get(f->lists, svc_path);
	const char *key = cal_json_str(l, "key");
	json_t *items = json_object_get(l, "items");
	const char *limit_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	const char *marker = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "marker");
	size_t start = 0, limit, i;
	json_t *page, *doc;
	char *s;
	enum MHD_Result ret;

	if (!l)
		return fake_reply(c, 404, "{\"NeutronError\": {\"message\": \"no such list\"}}", NULL);
	if (strcmp(svc_path, f->malformed) == 0)
		return fake_reply(c, 200, "{\"oops\": [", NULL);
	page = json_array();
	limit = limit_s ? (size_t)atoi(limit_s) : json_array_size(items);
	if (marker) {
		for (i = 0; i < json_array_size(items); i++)
			if (strcmp(cal_json_str(json_array_get(items, i), "id"), marker) == 0)
				start = i + 1;
	}
	{
		/* Neutron's `fields`: only those keys of each item. */
		json_t *want = json_object();

		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, fake_field, want);
		f->fields_asked += json_object_size(want) > 0;
		for (i = start; i < json_array_size(items) && i < start + limit; i++) {
			json_t *it = json_array_get(items, i), *v;
			const char *k;

			if (!json_object_size(want)) {
				json_array_append(page, it);
				continue;
			}
			json_t *x;

			v = json_object();
			json_object_foreach(it, k, x)
				if (json_object_get(want, k))
					json_object_set(v, k, json_object_get(it, k));
			json_array_append_new(page, v);
		}
		json_decref(want);
	}
	doc = json_pack("{s:o}", key, page);
	if (limit_s && i < json_array_size(items)) {
		char href[256], lk[64];

		snprintf(href, sizeof(href), "http://127.0.0.1:%d/x?limit=%zu&marker=%s", f->port,
			 limit, cal_json_str(json_array_get(items, i - 1), "id"));
		snprintf(lk, sizeof(lk), "%s_links", key);
		json_object_set_new(doc, lk, json_pack("[{s:s, s:s}]", "rel", "next", "href", href));
	}
	s = json_dumps(doc, JSON_COMPACT);
	ret = fake_reply(c, 200, s, NULL);
	free(s);
	json_decref(doc);
	return ret;
}

static enum MHD_Result fake_handler(void *cls, struct MHD_Connection *c, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct fake *f = cls;
	const char *tok;

	(void)version;
	if (strcmp(method, "POST") == 0) {
		struct upload *u = *con_cls;

		if (!u) {
			*con_cls = calloc(1, sizeof(*u));
			return MHD_YES;
		}
		if (*upload_size) {
			size_t n = *upload_size < sizeof(u->buf) - u->len - 1
					   ? *upload_size
					   : sizeof(u->buf) - u->len - 1;

			memcpy(u->buf + u->len, upload_data, n);
			u->len += n;
			*upload_size = 0;
			return MHD_YES;
		}
		f->requests++;
		if (strcmp(url, "/identity/v3/auth/tokens") != 0)
			return fake_reply(c, 404, "{}", NULL);
		if (f->refuse || !strstr(u->buf, "\"right\"")) {
			char *b = td_read("openstack", "token_401.json", NULL);
			enum MHD_Result r = fake_reply(c, 401, b, NULL);

			free(b);
			return r;
		}
		{
			json_t *t = json_deep_copy(f->token), *cat;
			char exp[CAL_TIME_BUFSZ];
			char *s;
			enum MHD_Result r;

			cat = json_object_get(json_object_get(t, "token"), "catalog");
			if (f->no_network) {
				size_t i;
				json_t *svc;

				json_array_foreach(cat, i, svc)
					if (strcmp(cal_json_str(svc, "type"), "network") == 0) {
						json_array_remove(cat, i);
						break;
					}
			}
			cal_time_format(exp, cal_time_now_us() +
						     (f->short_token ? 30 : 3600) * 1000000LL);
			json_object_set_new(json_object_get(t, "token"), "expires_at",
					    json_string(exp));
			f->tokens_issued++;
			snprintf(f->current, sizeof(f->current), "tok-%d", f->tokens_issued);
			s = json_dumps(t, JSON_COMPACT);
			r = fake_reply(c, 201, s, f->current);
			free(s);
			json_decref(t);
			return r;
		}
	}
	f->requests++;
	tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Auth-Token");
	if (!tok || strcmp(tok, f->current) != 0 || f->expire_next) {
		char *b = td_read("openstack", "nova_401.json", NULL);
		enum MHD_Result r = fake_reply(c, 401, b, NULL);

		f->expire_next = false;
		free(b);
		return r;
	}
	if (strncmp(url, "/compute/v2.1/", 14) == 0) {
		const char *mv = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     "OpenStack-API-Version");

		if (!mv || strncmp(mv, "compute 2.", 10) != 0)
			return fake_reply(c, 400, "{\"badRequest\": {\"message\": \"no version\"}}",
					  NULL);
	}
	f->list_requests++;
	return fake_list(f, c, url + 1);
}

static void fake_done(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static void fake_add_list(struct fake *f, const char *path, const char *key, json_t *items)
{
	json_object_set_new(f->lists, path, json_pack("{s:s, s:o}", "key", key, "items", items));
}

static void fake_add_single(struct fake *f, const char *path, const char *file, const char *key)
{
	json_t *doc = load(file);

	fake_add_list(f, path, key, json_incref(json_object_get(doc, key)));
	json_decref(doc);
}

static int fake_start(void **state, bool tls)
{
	struct fake *f = calloc(1, sizeof(*f));
	const union MHD_DaemonInfo *info;
	size_t i, k;
	json_t *svc, *ep;

	if (tls) {
		f->tls_key = td_read("openstack", "tls/key.pem", NULL);
		f->tls_cert = td_read("openstack", "tls/cert.pem", NULL);
		f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
						MHD_USE_TLS,
					0, NULL, NULL, fake_handler, f, MHD_OPTION_NOTIFY_COMPLETED,
					fake_done, f, MHD_OPTION_HTTPS_MEM_KEY, f->tls_key,
					MHD_OPTION_HTTPS_MEM_CERT, f->tls_cert, MHD_OPTION_END);
	} else {
		f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
					NULL, NULL, fake_handler, f, MHD_OPTION_NOTIFY_COMPLETED,
					fake_done, f, MHD_OPTION_END);
	}
	f->tls = tls;
	assert_non_null(f->d);
	info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
	f->port = info->port;
	f->token = load("token.json");
	/* The recorded catalog, pointed at this server. */
	json_array_foreach(json_object_get(json_object_get(f->token, "token"), "catalog"), i, svc) {
		const char *type = cal_json_str(svc, "type");

		json_array_foreach(json_object_get(svc, "endpoints"), k, ep) {
			char *url = cal_strdup_printf(
				"%s://127.0.0.1:%d/%s%s", tls ? "https" : "http", f->port, type,
				strcmp(type, "compute") == 0	? "/v2.1"
				: strcmp(type, "identity") == 0 ? "/v3/"
								: "");

			json_object_set_new(ep, "url", json_string(url));
			free(url);
		}
	}
	f->lists = json_object();
	fake_add_single(f, "identity/v3/regions", "regions.json", "regions");
	fake_add_single(f, "identity/v3/projects", "projects.json", "projects");
	fake_add_list(f, "compute/v2.1/servers/detail", "servers", all_items("servers", "servers"));
	fake_add_list(f, "compute/v2.1/os-hypervisors/detail", "hypervisors",
		      all_items("hypervisors", "hypervisors"));
	fake_add_list(f, "compute/v2.1/flavors/detail", "flavors", all_items("flavors", "flavors"));
	fake_add_single(f, "compute/v2.1/os-services", "services.json", "services");
	fake_add_single(f, "compute/v2.1/os-availability-zone/detail", "availability_zones.json",
			"availabilityZoneInfo");
	fake_add_single(f, "compute/v2.1/os-aggregates", "aggregates.json", "aggregates");
	static const char *const nk[] = { "networks", "subnets", "ports", "routers",
					   "floatingips", "agents" };
	for (i = 0; i < sizeof(nk) / sizeof(nk[0]); i++) {
		char p[64];

		snprintf(p, sizeof(p), "network/v2.0/%s", nk[i]);
		fake_add_list(f, p, nk[i], all_items(nk[i], nk[i]));
	}
	/* segments: not served, as when the extension is off (404). */
	*state = f;
	return 0;
}

static int fake_setup(void **state)
{
	return fake_start(state, false);
}

static int fake_setup_tls(void **state)
{
	return fake_start(state, true);
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;

	MHD_stop_daemon(f->d);
	free(f->tls_key);
	free(f->tls_cert);
	json_decref(f->token);
	json_decref(f->lists);
	free(f);
	return 0;
}

static struct os_client *fake_client(struct fake *f, const char *password, int page_size)
{
	static char url[128];
	struct os_client_opts o = { 0 };
	struct os_client *c = NULL;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/identity/v3", f->port);
	o.auth.auth_url = url;
	o.auth.username = "admin";
	o.auth.password = password;
	o.auth.project_name = "admin";
	o.page_size = page_size;
	o.http.timeout_ms = 5000;
	assert_int_equal(os_client_new(&c, &o), 0);
	return c;
}

static size_t fake_count(struct fake *f, const char *path)
{
	return json_array_size(json_object_get(json_object_get(f->lists, path), "items"));
}

static void test_client_pagination(void **state)
{
	struct fake *f = *state;
	struct os_client *c = fake_client(f, "right", 2);
	struct os_list l[2] = {
		{ .service = "compute", .path = "/servers/detail?all_tenants=1", .key = "servers",
		  .kind = "server", .paginate = true },
		{ .service = "network", .path = "/v2.0/ports", .key = "ports", .kind = "port",
		  .paginate = true, .fields = true },
	};
	size_t ns = fake_count(f, "compute/v2.1/servers/detail");
	size_t np = fake_count(f, "network/v2.0/ports");

	f->list_requests = 0;
	assert_int_equal(os_client_list(c, l, 2), 0);
	assert_int_equal(l[0].error, 0);
	assert_int_equal(l[1].error, 0);
	assert_int_equal(json_array_size(l[0].items), ns);
	assert_int_equal(json_array_size(l[1].items), np);
	/* limit=2: every page is a request, and nothing more. */
	assert_int_equal(l[0].pages, ns == 0 ? 1 : (int)((ns + 1) / 2));
	assert_int_equal(f->list_requests, l[0].pages + l[1].pages);
	/* Neutron is asked for the kept fields only (every page), and they
	 * are enough: ids for the markers, what the builder reads. */
	assert_int_equal(f->fields_asked, l[1].pages);
	for (size_t i = 0; i < json_array_size(l[1].items); i++) {
		json_t *p = json_array_get(l[1].items, i);

		assert_true(*cal_json_str(p, "id") && *cal_json_str(p, "network_id"));
		assert_non_null(json_object_get(p, "binding:host_id"));
		assert_non_null(json_object_get(p, "device_owner"));
	}
	assert_true(l[1].pages >= 2);
	/* Items in API order, none twice. */
	for (size_t i = 1; i < json_array_size(l[1].items); i++)
		assert_string_not_equal(cal_json_str(json_array_get(l[1].items, i), "id"),
					cal_json_str(json_array_get(l[1].items, i - 1), "id"));
	json_decref(l[0].items);
	json_decref(l[1].items);
	os_client_free(c);
}

static void test_client_token_reuse_and_reauth(void **state)
{
	struct fake *f = *state;
	struct os_client *c = fake_client(f, "right", 1000);
	struct os_list l = { .service = "network", .path = "/v2.0/networks", .key = "networks",
			     .kind = "network", .paginate = true };
	int before = f->tokens_issued;

	assert_int_equal(os_client_list(c, &l, 1), 0);
	json_decref(l.items);
	assert_int_equal(os_client_list(c, &l, 1), 0);
	json_decref(l.items);
	/* One token for both calls. */
	assert_int_equal(f->tokens_issued, before + 1);
	/* Revoked behind our back: a 401, one re-auth, the call succeeds. */
	f->expire_next = true;
	assert_int_equal(os_client_list(c, &l, 1), 0);
	assert_int_equal(l.error, 0);
	assert_int_equal(json_array_size(l.items), fake_count(f, "network/v2.0/networks"));
	json_decref(l.items);
	assert_int_equal(f->tokens_issued, before + 2);
	/* Expired by its own clock: re-auth before the call. */
	os_client_expire_token(c);
	assert_int_equal(os_client_list(c, &l, 1), 0);
	json_decref(l.items);
	assert_int_equal(f->tokens_issued, before + 3);
	os_client_free(c);
	/* A token about to expire is not reused. */
	f->short_token = true;
	c = fake_client(f, "right", 1000);
	before = f->tokens_issued;
	assert_int_equal(os_client_list(c, &l, 1), 0);
	json_decref(l.items);
	assert_int_equal(os_client_list(c, &l, 1), 0);
	json_decref(l.items);
	assert_int_equal(f->tokens_issued, before + 2);
	f->short_token = false;
	os_client_free(c);
}

static void test_client_failures(void **state)
{
	struct fake *f = *state;
	struct os_client *c = fake_client(f, "wrong", 1000);
	struct os_list l = { .service = "network", .path = "/v2.0/networks", .key = "networks",
			     .kind = "network", .paginate = true };
	struct os_list two[2] = {
		{ .service = "network", .path = "/v2.0/ports", .key = "ports", .kind = "port",
		  .paginate = true },
		{ .service = "network", .path = "/v2.0/segments", .key = "segments",
		  .kind = "segment", .paginate = true, .optional = true },
	};
	struct os_client_opts o = { 0 };

	/* Wrong credentials. */
	assert_int_equal(os_client_list(c, &l, 1), CAL_EAUTH);
	assert_non_null(strstr(cal_error_last(), "refused the credentials"));
	assert_null(strstr(cal_error_last(), "wrong"));
	assert_null(l.items);
	os_client_free(c);
	/* A service missing from the catalog. */
	f->no_network = true;
	c = fake_client(f, "right", 1000);
	assert_int_equal(os_client_list(c, &l, 1), CAL_ENOTFOUND);
	assert_non_null(strstr(cal_error_last(), "service 'network' is missing from the catalog"));
	f->no_network = false;
	os_client_free(c);
	/* Malformed JSON in one list; an optional list that is absent. */
	c = fake_client(f, "right", 1000);
	snprintf(f->malformed, sizeof(f->malformed), "network/v2.0/ports");
	assert_int_equal(os_client_list(c, two, 2), 0);
	assert_int_equal(two[0].error, CAL_EPROTO);
	assert_non_null(strstr(two[0].errmsg, "malformed JSON"));
	assert_null(two[0].items);
	assert_int_equal(two[1].error, 0);
	assert_true(two[1].absent);
	json_decref(two[1].items);
	f->malformed[0] = '\0';
	os_client_free(c);
	/* Nothing listens. */
	o.auth.auth_url = "http://127.0.0.1:1/v3";
	o.auth.username = "admin";
	o.auth.password = "right";
	o.http.timeout_ms = 2000;
	assert_int_equal(os_client_new(&c, &o), 0);
	assert_int_equal(os_client_auth(c), CAL_EIO);
	assert_non_null(strstr(cal_error_last(), "cannot reach Keystone at http://127.0.0.1:1/v3"));
	os_client_free(c);
}

/* ------------------------------------------------------------------ */
/* The source, secrets, configuration and the builder                  */
/* ------------------------------------------------------------------ */

static json_t *fake_config(struct fake *f, const char *dir, const char *password)
{
	char url[128], path[512];
	json_t *secret = json_pack("{s:s}", "password", password);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/identity/v3", f->port);
	snprintf(path, sizeof(path), "%s/secret.json", dir);
	assert_int_equal(os_secret_write(path, secret), 0);
	json_decref(secret);
	return json_pack("{s:s, s:s, s:s, s:s, s:i}", "auth_url", url, "username", "admin",
			 "project_name", "admin", "secret_file", path, "page_size", 2);
}

static void test_source_and_builder(void **state)
{
	struct fake *f = *state;
	char dir[] = "/tmp/calipso-test-os.XXXXXX";
	json_t *os, *sec = NULL, *report, *reports, *objects = NULL, *links = NULL, *cfg;
	unsigned long requests = 0;
	struct stat sb;
	char path[600];
	const char *id;
	json_t *o, *p;
	size_t i;

	assert_non_null(mkdtemp(dir));
	os = fake_config(f, dir, "right");
	snprintf(path, sizeof(path), "%s/secret.json", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(cal_openstack_scan(&sec, os, &requests), 0);
	assert_true(requests > 10);
	assert_int_equal(json_array_size(json_object_get(sec, "servers")),
			 fake_count(f, "compute/v2.1/servers/detail"));
	assert_int_equal(json_array_size(json_object_get(sec, "ports")),
			 fake_count(f, "network/v2.0/ports"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(sec, "absent"), 0)),
			    "segments");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
				    json_object_get(sec, "detected"), "mechanism_drivers"), 0)),
			    "OVS");
	/* The builder on the cloud report alone. */
	cfg = json_pack("{s:s, s:O}", "name", "os", "openstack", os);
	report = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:O}", "host", CAL_OS_CLOUD_HOST,
			   "role", "cloud", "scanned_at", "2026-11-25T12:00:00Z", "environment",
			   "os", "sources", "name", "openstack", "status", "ok", "openstack", sec);
	reports = json_pack("[O]", report);
	assert_int_equal(cal_build_objects(&objects, "os", reports, cfg), 0);
	assert_int_equal(cal_link_objects(&links, "os", objects), 0);
	json_object_foreach(objects, id, o)
		if (cal_object_validate(o))
			fail_msg("%s", cal_error_last());
	/* Every server, port, network, project, agent is there by its UUID. */
	static const char *const kinds[][2] = { { "servers", "instance" }, { "ports", "port" },
						{ "networks", "network" }, { "projects", "project" },
						{ "agents", "network_agent" } };
	for (size_t k = 0; k < 5; k++) {
		json_array_foreach(json_object_get(sec, kinds[k][0]), i, p) {
			json_t *x = json_object_get(objects, cal_json_str(p, "id"));

			if (!x)
				fail_msg("%s %s missing", kinds[k][1], cal_json_str(p, "id"));
			assert_string_equal(cal_json_str(x, CAL_F_TYPE), kinds[k][1]);
			assert_string_equal(cal_json_str(x, CAL_F_SOURCE), "openstack");
		}
	}
	/* Ports under their network under its project. */
	json_array_foreach(json_object_get(sec, "ports"), i, p) {
		json_t *x = json_object_get(objects, cal_json_str(p, "id"));
		json_t *net = json_object_get(objects, cal_json_str(p, "network_id"));

		assert_string_equal(cal_json_str(x, CAL_F_PARENT_ID), cal_json_str(net, CAL_F_ID));
		assert_non_null(strstr(cal_json_str(x, CAL_F_ID_PATH),
				       cal_json_str(net, CAL_F_ID_PATH)));
	}
	/* Servers under their host under its zone under the region. */
	json_array_foreach(json_object_get(sec, "servers"), i, p) {
		json_t *x = json_object_get(objects, cal_json_str(p, "id"));
		json_t *h = json_object_get(objects, cal_json_str(p, "OS-EXT-SRV-ATTR:host"));

		assert_non_null(h);
		assert_string_equal(cal_json_str(x, CAL_F_PARENT_ID), cal_json_str(h, CAL_F_ID));
		assert_string_equal(cal_json_str(h, CAL_F_PARENT_TYPE), "availability_zone");
		assert_non_null(strstr(cal_json_str(x, CAL_F_ID_PATH), "/RegionOne/"));
		assert_string_equal(cal_json_str(x, "status_os"), cal_json_str(p, "status"));
		assert_true(json_array_size(json_object_get(x, "network_info")) >= 1);
	}
	json_decref(objects);
	json_decref(links);
	json_decref(reports);
	json_decref(report);
	json_decref(cfg);
	json_decref(sec);
	/* Wrong password: the source fails naming Keystone. */
	json_decref(os);
	os = fake_config(f, dir, "wrong");
	report = cal_openstack_cloud_report(cfg = json_pack("{s:s, s:O}", "name", "os",
							    "openstack", os),
					    "m", "2026-11-25T12:00:00Z");
	p = json_array_get(json_object_get(report, "sources"), 0);
	assert_string_equal(cal_json_str(p, "status"), "error");
	assert_non_null(strstr(cal_json_str(p, "error"), "refused the credentials"));
	assert_null(json_object_get(report, "openstack"));
	json_decref(report);
	json_decref(cfg);
	/* A secret readable by others is refused. */
	chmod(path, 0644);
	assert_int_equal(os_secret_read(&sec, path), CAL_EPERM);
	unlink(path);
	rmdir(dir);
	json_decref(os);
}

static void test_config_sources(void **state)
{
	char dir[] = "/tmp/calipso-test-osc.XXXXXX", path[600];
	char *const envp[] = { "OS_AUTH_URL=http://k:5000/v3", "OS_USERNAME=u",
			       "OS_PASSWORD=pw", "OS_PROJECT_NAME=p", "OS_INTERFACE=internalURL",
			       "PATH=/bin", NULL };
	json_t *os = NULL, *secret = NULL;
	FILE *f;

	(void)state;
	assert_int_equal(os_config_from_env(&os, &secret, envp), 0);
	assert_string_equal(cal_json_str(os, "interface"), "internal");
	assert_string_equal(cal_json_str(secret, "password"), "pw");
	assert_null(json_object_get(os, "password"));
	json_decref(os);
	os_secret_free(secret);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/clouds.yaml", dir);
	f = fopen(path, "w");
	fputs("clouds:\n  one:\n    auth:\n      auth_url: https://k/v3\n      username: a\n"
	      "      password: \"s3cret\"\n      project_name: p\n      domain_name: D\n"
	      "    region_name: R2\n    verify: false\n  two:\n    auth: {}\n", f);
	fclose(f);
	assert_int_equal(os_config_from_clouds_yaml(&os, &secret, path, "one"), 0);
	assert_string_equal(cal_json_str(os, "region_name"), "R2");
	assert_string_equal(cal_json_str(os, "user_domain_name"), "D");
	assert_true(json_is_true(json_object_get(os, "insecure")));
	assert_string_equal(cal_json_str(secret, "password"), "s3cret");
	assert_int_equal(os_config_check(os), 0);
	json_decref(os);
	os_secret_free(secret);
	assert_int_equal(os_config_from_clouds_yaml(&os, &secret, path, "three"), CAL_ENOTFOUND);
	assert_non_null(strstr(cal_error_last(), "it has: one, two"));
	assert_int_equal(os_config_from_clouds_yaml(&os, &secret, path, "two"), CAL_EINVALID);
	unlink(path);
	rmdir(dir);
	/* A secret inside a configuration is refused. */
	os = json_pack("{s:s, s:s, s:s}", "auth_url", "http://k/v3", "username", "u", "password",
		       "x");
	assert_int_equal(os_config_check(os), CAL_EINVALID);
	json_decref(os);
}

/* The builder joins the cloud to a host report: the kernel's VXLAN 101 is
 * the Neutron network of segmentation id 101 (one object, its UUID), the
 * host hangs under its Nova zone and gets its role, the server under the
 * host; the DHCP namespace of the network is its DHCP server. */
static void test_builder_joins_host_report(void **state)
{
	static const char cloud[] =
		"{\"regions\": [{\"id\": \"R1\"}],"
		" \"projects\": [{\"id\": \"p1\", \"name\": \"demo\"}],"
		" \"availability_zones\": [{\"zoneName\": \"az1\", \"zoneState\": {\"available\": true},"
		"   \"hosts\": {\"host1\": {\"nova-compute\": {}}}}],"
		" \"hypervisors\": [{\"id\": \"h\", \"hypervisor_hostname\": \"host1.example\","
		"   \"service\": {\"host\": \"host1\"}, \"vcpus\": 4}],"
		" \"services\": [{\"binary\": \"nova-compute\", \"host\": \"host1\", \"zone\": \"az1\"}],"
		" \"agents\": [{\"id\": \"a1\", \"binary\": \"neutron-dhcp-agent\","
		"   \"agent_type\": \"DHCP agent\", \"host\": \"host1\", \"alive\": true}],"
		" \"networks\": [{\"id\": \"11111111-2222-3333-4444-555555555555\", \"name\": \"net1\","
		"   \"tenant_id\": \"p1\", \"provider:network_type\": \"vxlan\","
		"   \"provider:segmentation_id\": 101}],"
		" \"subnets\": [{\"id\": \"s1\", \"network_id\": \"11111111-2222-3333-4444-555555555555\","
		"   \"cidr\": \"10.1.0.0/24\"}],"
		" \"servers\": [{\"id\": \"99999999-0000-0000-0000-000000000001\", \"name\": \"vmA\","
		"   \"tenant_id\": \"p1\", \"status\": \"ACTIVE\", \"OS-EXT-SRV-ATTR:host\": \"host1\","
		"   \"flavor\": {\"original_name\": \"m1.tiny\"}}],"
		" \"ports\": [], \"routers\": []}";
	char path[512];
	json_t *reports, *sec, *objects = NULL, *links = NULL, *cfg, *o, *net, *h;
	const char *id;
	bool link_seen = false;

	(void)state;
	snprintf(path, sizeof(path), "%s/reports/small-lab.json", getenv("CALIPSO_TEST_DATA"));
	reports = json_load_file(path, 0, NULL);
	assert_non_null(reports);
	sec = json_loads(cloud, 0, NULL);
	assert_non_null(sec);
	json_array_append_new(reports, json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}], s:o}", "host",
						 CAL_OS_CLOUD_HOST, "role", "cloud", "scanned_at",
						 "2026-11-25T12:00:00Z", "sources", "name",
						 "openstack", "status", "ok", "openstack", sec));
	cfg = json_pack("{s:s, s:[s]}", "name", "lab", "pnic_names", "eth*");
	assert_int_equal(cal_build_objects(&objects, "lab", reports, cfg), 0);
	assert_int_equal(cal_link_objects(&links, "lab", objects), 0);
	json_object_foreach(objects, id, o)
		if (cal_object_validate(o))
			fail_msg("%s", cal_error_last());
	assert_null(json_object_get(objects, "vxlan-101"));
	net = json_object_get(objects, "11111111-2222-3333-4444-555555555555");
	assert_non_null(net);
	assert_string_equal(cal_json_str(net, CAL_F_PARENT_ID), "p1");
	assert_string_equal(json_string_value(json_array_get(json_object_get(net, "cidrs"), 0)),
			    "10.1.0.0/24");
	o = json_object_get(objects, "host1:vconnector:br-net1");
	assert_non_null(o);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "network"), 0)),
			    cal_json_str(net, CAL_F_ID));
	h = json_object_get(objects, "host1");
	assert_string_equal(cal_json_str(h, CAL_F_PARENT_ID), "R1:availability_zone:az1");
	assert_string_equal(cal_json_str(h, CAL_F_ID_PATH), "/lab/R1/R1:availability_zone:az1/host1");
	assert_int_equal(cal_json_int(h, "vcpus", 0), 4);
	{
		bool compute = false, network = false;
		size_t i;
		json_t *t;

		json_array_foreach(json_object_get(h, "host_type"), i, t) {
			compute |= strcmp(json_string_value(t), "Compute") == 0;
			network |= strcmp(json_string_value(t), "Network") == 0;
		}
		assert_true(compute && network);
	}
	/* Children of the host were built under its new path. */
	o = json_object_get(objects, "host1:vconnector:br-net1");
	assert_non_null(strstr(cal_json_str(o, CAL_F_ID_PATH), "/R1:availability_zone:az1/host1/"));
	o = json_object_get(objects, "99999999-0000-0000-0000-000000000001");
	assert_string_equal(cal_json_str(o, CAL_F_PARENT_ID), "host1");
	assert_string_equal(cal_json_str(o, "flavor"), "m1.tiny");
	assert_string_equal(cal_json_str(o, "project"), "demo");
	o = json_object_get(objects, "a1");
	assert_string_equal(cal_json_str(o, CAL_F_TYPE), "network_agent");
	assert_string_equal(cal_json_str(o, CAL_F_PARENT_ID), "host1");
	json_object_foreach(links, id, o)
		if (strcmp(cal_json_str(o, CAL_F_LINK_TYPE), "host_pnic-network") == 0 &&
		    strcmp(cal_json_str(o, CAL_F_TARGET_ID), cal_json_str(net, CAL_F_ID)) == 0) {
			assert_string_equal(cal_json_str(o, CAL_F_LINK_NAME), "Segment-101");
			link_seen = true;
		}
	assert_true(link_seen);
	json_decref(objects);
	json_decref(links);
	json_decref(reports);
	json_decref(cfg);
}

/* TLS: the server's certificate is trusted through `cacert`, refused
 * without it, and accepted unverified with `insecure`. */
static void test_client_tls(void **state)
{
	struct fake *f = *state;
	char url[128], ca[512];
	struct os_client_opts o = { 0 };
	struct os_client *c = NULL;
	struct os_list l = { .service = "network", .path = "/v2.0/networks", .key = "networks",
			     .kind = "network", .paginate = true };

	snprintf(url, sizeof(url), "https://127.0.0.1:%d/identity/v3", f->port);
	snprintf(ca, sizeof(ca), "%s/openstack/tls/cert.pem", getenv("CALIPSO_TEST_DATA"));
	o.auth.auth_url = url;
	o.auth.username = "admin";
	o.auth.password = "right";
	o.http.timeout_ms = 5000;
	assert_int_equal(os_client_new(&c, &o), 0);
	assert_int_equal(os_client_auth(c), CAL_EIO);
	assert_non_null(strstr(cal_error_last(), "cannot reach Keystone at https://"));
	os_client_free(c);
	o.http.cacert = ca;
	assert_int_equal(os_client_new(&c, &o), 0);
	assert_int_equal(os_client_list(c, &l, 1), 0);
	assert_int_equal(l.error, 0);
	assert_int_equal(json_array_size(l.items), fake_count(f, "network/v2.0/networks"));
	json_decref(l.items);
	os_client_free(c);
	o.http.cacert = NULL;
	o.http.insecure = true;
	assert_int_equal(os_client_new(&c, &o), 0);
	assert_int_equal(os_client_auth(c), 0);
	os_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_marker),
		cmocka_unit_test(test_page_last_has_no_marker),
		cmocka_unit_test(test_page_malformed),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_auth_body),
		cmocka_unit_test(test_config_sources),
		cmocka_unit_test(test_builder_joins_host_report),
		cmocka_unit_test_setup_teardown(test_client_pagination, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_client_token_reuse_and_reauth, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_client_failures, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_source_and_builder, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_client_tls, fake_setup_tls, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
