/* openstack_parse.c - pure parsing of OpenStack API responses: list pages
 * and their next marker, error bodies, Keystone tokens, catalog endpoint
 * selection, and the trimming of API objects to the fields Calipso keeps.
 *
 * Input comes from the network and is not trusted: bodies are bounded
 * (OS_MAX_BODY), nesting is checked before parsing (OS_MAX_DEPTH), every
 * field is type-checked where it is read, unknown fields are dropped by
 * os_trim, and malformed structure is CAL_EPROTO.  No I/O, no globals;
 * fuzzed by tests/fuzz/fuzz_openstack.c.
 */
#include "openstack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deepest nesting of `body` outside strings; -1 when over `limit`. */
static int op_depth_ok(const char *body, size_t len, int limit)
{
	int depth = 0;
	bool in_str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char c = body[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[') {
			if (++depth > limit)
				return -1;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 0;
}

int os_parse_body(json_t **out, const char *body, size_t len, const char *what)
{
	json_error_t jerr;
	json_t *doc;

	*out = NULL;
	if (!body || len == 0)
		return cal_error_set(CAL_EPROTO, "%s: empty response body", what);
	if (len > OS_MAX_BODY)
		return cal_error_set(CAL_EPROTO, "%s: response body of %zu bytes is too large", what,
				     len);
	if (op_depth_ok(body, len, OS_MAX_DEPTH) < 0)
		return cal_error_set(CAL_EPROTO, "%s: response nested deeper than %d levels", what,
				     OS_MAX_DEPTH);
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return cal_error_set(CAL_EPROTO, "%s: malformed JSON at line %d: %s", what, jerr.line,
				     jerr.text);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return cal_error_set(CAL_EPROTO, "%s: response is not a JSON object", what);
	}
	*out = doc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Fields kept per kind                                                */
/* ------------------------------------------------------------------ */

static const char *const k_server[] = {
	"id", "name", "status", "tenant_id", "user_id", "flavor", "image", "addresses",
	"OS-EXT-SRV-ATTR:host", "OS-EXT-SRV-ATTR:hypervisor_hostname",
	"OS-EXT-SRV-ATTR:instance_name", "OS-EXT-AZ:availability_zone", "OS-EXT-STS:vm_state",
	"OS-EXT-STS:power_state", "OS-EXT-STS:task_state", "created", "key_name", NULL,
};
static const char *const k_hypervisor[] = {
	"id", "hypervisor_hostname", "hypervisor_type", "hypervisor_version", "state", "status",
	"host_ip", "service", "vcpus", "memory_mb", "local_gb", "running_vms", NULL,
};
static const char *const k_service[] = {
	"id", "binary", "host", "zone", "status", "state", "disabled_reason", "forced_down", NULL,
};
static const char *const k_az[] = { "zoneName", "zoneState", "hosts", NULL };
static const char *const k_aggregate[] = {
	"id", "uuid", "name", "availability_zone", "hosts", "metadata", NULL,
};
static const char *const k_flavor[] = { "id", "name", "vcpus", "ram", "disk", "is_public", NULL };
static const char *const k_network[] = {
	"id", "name", "status", "admin_state_up", "shared", "router:external", "tenant_id",
	"project_id", "provider:network_type", "provider:physical_network",
	"provider:segmentation_id", "subnets", "mtu", "segments", "availability_zones", NULL,
};
static const char *const k_subnet[] = {
	"id", "name", "network_id", "cidr", "ip_version", "gateway_ip", "enable_dhcp",
	"project_id", "tenant_id", "segment_id", "allocation_pools", NULL,
};
static const char *const k_port[] = {
	"id", "name", "network_id", "mac_address", "fixed_ips", "device_id", "device_owner",
	"status", "admin_state_up", "project_id", "tenant_id", "binding:host_id",
	"binding:vif_type", "binding:vif_details", "binding:vnic_type", NULL,
};
static const char *const k_router[] = {
	"id", "name", "status", "admin_state_up", "project_id", "tenant_id",
	"external_gateway_info", "ha", "distributed", "availability_zones", NULL,
};
static const char *const k_fip[] = {
	"id", "floating_ip_address", "fixed_ip_address", "floating_network_id", "port_id",
	"router_id", "status", "project_id", "tenant_id", NULL,
};
static const char *const k_agent[] = {
	"id", "agent_type", "binary", "host", "alive", "admin_state_up", "topic",
	"availability_zone", "configurations", NULL,
};
static const char *const k_segment[] = {
	"id", "name", "network_id", "network_type", "physical_network", "segmentation_id", NULL,
};
static const char *const k_project[] = {
	"id", "name", "description", "domain_id", "enabled", "parent_id", "is_domain", NULL,
};
static const char *const k_region[] = { "id", "description", "parent_region_id", NULL };

static const struct {
	const char *kind;
	const char *const *keys;
} op_kinds[] = {
	{ "server", k_server },	 { "hypervisor", k_hypervisor },
	{ "service", k_service }, { "availability_zone", k_az },
	{ "aggregate", k_aggregate }, { "flavor", k_flavor },
	{ "network", k_network },	 { "subnet", k_subnet },
	{ "port", k_port },	 { "router", k_router },
	{ "floatingip", k_fip },	 { "agent", k_agent },
	{ "segment", k_segment },	 { "project", k_project },
	{ "region", k_region },
};

const char *const *os_kind_fields(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(op_kinds) / sizeof(op_kinds[0]); i++)
		if (strcmp(op_kinds[i].kind, kind) == 0)
			return op_kinds[i].keys;
	return NULL;
}

json_t *os_trim(const json_t *item, const char *kind)
{
	const char *const *keys = NULL;
	json_t *out;

	if (!json_is_object(item))
		return NULL;
	for (size_t i = 0; kind && i < sizeof(op_kinds) / sizeof(op_kinds[0]); i++)
		if (strcmp(op_kinds[i].kind, kind) == 0)
			keys = op_kinds[i].keys;
	if (!keys)
		return json_deep_copy(item);
	out = json_object();
	for (; out && *keys; keys++) {
		json_t *v = json_object_get(item, *keys);

		if (v)
			json_object_set(out, *keys, v);
	}
	return out;
}

/* ------------------------------------------------------------------ */
/* Pages                                                               */
/* ------------------------------------------------------------------ */

/* The value of query parameter `name` in `href`, decoded of %XX. */
static char *op_query_param(const char *href, const char *name)
{
	const char *q = strchr(href, '?');
	size_t nl = strlen(name);

	while (q && *q) {
		q++;
		if (strncmp(q, name, nl) == 0 && q[nl] == '=') {
			const char *v = q + nl + 1;
			size_t vl = strcspn(v, "&#");
			char *out = malloc(vl + 1), *o = out;

			if (!out)
				return NULL;
			for (size_t i = 0; i < vl; i++) {
				unsigned hi, lo;

				if (v[i] == '%' && i + 2 < vl && sscanf(v + i + 1, "%1x%1x", &hi,
									      &lo) == 2) {
					*o++ = (char)(hi << 4 | lo);
					i += 2;
				} else {
					*o++ = v[i];
				}
			}
			*o = '\0';
			return out;
		}
		q = strchr(q, '&');
	}
	return NULL;
}

int os_parse_page(json_t *items, char **out_marker, const char *body, size_t len,
		  const char *key, const char *kind)
{
	json_t *doc, *arr, *links, *l, *it;
	char lkey[96];
	const char *next = NULL;
	size_t i;
	int rc;

	*out_marker = NULL;
	rc = os_parse_body(&doc, body, len, key);
	if (rc)
		return rc;
	arr = json_object_get(doc, key);
	if (!json_is_array(arr)) {
		json_decref(doc);
		return cal_error_set(CAL_EPROTO, "response has no '%s' list", key);
	}
	json_array_foreach(arr, i, it) {
		json_t *t = os_trim(it, kind);

		if (!t) {
			json_decref(doc);
			return cal_error_set(CAL_EPROTO, "'%s'[%zu] is not an object", key, i);
		}
		json_array_append_new(items, t);
	}
	snprintf(lkey, sizeof(lkey), "%s_links", key);
	links = json_object_get(doc, lkey);
	if (links && !json_is_array(links)) {
		json_decref(doc);
		return cal_error_set(CAL_EPROTO, "'%s' is not a list", lkey);
	}
	json_array_foreach(links, i, l)
		if (strcmp(cal_json_str(l, "rel"), "next") == 0 && json_is_string(json_object_get(l,
											"href")))
			next = cal_json_str(l, "href");
	if (next && json_array_size(arr) > 0) {
		char *m = op_query_param(next, "marker");

		if (!m) {
			/* No marker in the link: the last item's id is. */
			json_t *last = json_array_get(arr, json_array_size(arr) - 1);
			json_t *id = json_object_get(last, "id");

			if (json_is_string(id))
				m = strdup(json_string_value(id));
			else if (json_is_integer(id))
				m = cal_strdup_printf("%lld", (long long)json_integer_value(id));
			if (!m) {
				json_decref(doc);
				return cal_error_set(CAL_EPROTO,
						     "'%s' has a next page but no marker", key);
			}
		}
		*out_marker = m;
	}
	json_decref(doc);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

void os_parse_error(char *buf, size_t sz, long status, const char *body, size_t len)
{
	json_t *doc = NULL, *inner = NULL;
	const char *msg = NULL;
	char *esc;
	char line[200];

	if (sz == 0)
		return;
	buf[0] = '\0';
	if (body && len && len < OS_MAX_BODY && op_depth_ok(body, len, OS_MAX_DEPTH) == 0)
		doc = json_loadb(body, len, 0, NULL);
	if (json_is_object(doc)) {
		/* Keystone: "error"; Neutron: "NeutronError"; Nova: one key
		 * named after the fault ("itemNotFound", "badRequest"...). */
		inner = json_object_get(doc, "error");
		if (!inner)
			inner = json_object_get(doc, "NeutronError");
		if (!inner && json_object_size(doc) == 1) {
			void *iter = json_object_iter(doc);

			inner = json_object_iter_value(iter);
		}
		if (json_is_object(inner))
			msg = cal_json_str_or_null(inner, "message");
		else if (json_is_string(inner))
			msg = json_string_value(inner);
		if (!msg)
			msg = cal_json_str_or_null(doc, "message");
	}
	if (!msg) {
		/* The body is not NUL-terminated: look no further than len. */
		size_t n = 0;

		while (body && n < len && body[n] != '\r' && body[n] != '\n' && body[n] != '\0')
			n++;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, body ? body : "", n);
		line[n] = '\0';
		msg = line;
	}
	esc = cal_str_escape(msg);
	if (*(esc ? esc : msg))
		snprintf(buf, sz, "HTTP %ld: %.300s", status, esc ? esc : msg);
	else
		snprintf(buf, sz, "HTTP %ld", status);
	free(esc);
	json_decref(doc);
}

/* ------------------------------------------------------------------ */
/* Tokens and the catalog                                              */
/* ------------------------------------------------------------------ */

void os_token_clear(struct os_token *t)
{
	if (!t)
		return;
	free(t->id);
	free(t->project_id);
	free(t->user_id);
	json_decref(t->catalog);
	memset(t, 0, sizeof(*t));
}

int os_parse_token(struct os_token *out, const char *token_id, const char *body, size_t len)
{
	json_t *doc, *tok, *cat;
	int64_t exp;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!token_id || !*token_id)
		return cal_error_set(CAL_EPROTO, "Keystone answered without an X-Subject-Token");
	rc = os_parse_body(&doc, body, len, "token");
	if (rc)
		return rc;
	tok = json_object_get(doc, "token");
	if (!json_is_object(tok)) {
		json_decref(doc);
		return cal_error_set(CAL_EPROTO, "Keystone's token response has no 'token'");
	}
	if (cal_time_parse(&exp, cal_json_str(tok, "expires_at"))) {
		rc = cal_error_set(CAL_EPROTO, "Keystone's token has a bad expires_at '%s'",
				   cal_json_str(tok, "expires_at"));
		json_decref(doc);
		return rc;
	}
	cat = json_object_get(tok, "catalog");
	if (cat && !json_is_array(cat)) {
		json_decref(doc);
		return cal_error_set(CAL_EPROTO, "Keystone's token catalog is not a list");
	}
	out->id = strdup(token_id);
	out->expires_us = exp;
	out->project_id = strdup(cal_json_str(json_object_get(tok, "project"), "id"));
	out->user_id = strdup(cal_json_str(json_object_get(tok, "user"), "id"));
	out->catalog = cat ? json_incref(cat) : json_array();
	json_decref(doc);
	if (!out->id || !out->project_id || !out->user_id || !out->catalog) {
		os_token_clear(out);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	return 0;
}

int os_catalog_endpoint(char **out, const json_t *catalog, const char *type,
			const char *interface, const char *region)
{
	char have[256] = "";
	size_t i, k;
	json_t *svc, *ep;

	*out = NULL;
	if (!interface || !*interface)
		interface = "public";
	json_array_foreach(catalog, i, svc) {
		const char *t = cal_json_str(svc, "type");

		if (strlen(have) + strlen(t) + 3 < sizeof(have) && *t) {
			if (*have)
				strcat(have, ", ");
			strcat(have, t);
		}
		if (strcmp(t, type) != 0)
			continue;
		json_array_foreach(json_object_get(svc, "endpoints"), k, ep) {
			const char *url = cal_json_str(ep, "url");
			const char *r = cal_json_str_or_null(ep, "region_id");
			size_t n;

			if (!r)
				r = cal_json_str(ep, "region");
			if (strcmp(cal_json_str(ep, "interface"), interface) != 0 || !*url)
				continue;
			if (region && *region && strcmp(r, region) != 0)
				continue;
			n = strlen(url);
			while (n > 0 && url[n - 1] == '/')
				n--;
			*out = strndup(url, n);
			return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
		}
		return cal_error_set(CAL_ENOTFOUND,
				     "the catalog has no %s endpoint of service '%s'%s%s%s", interface,
				     type, region && *region ? " in region '" : "",
				     region && *region ? region : "", region && *region ? "'" : "");
	}
	return cal_error_set(CAL_ENOTFOUND, "service '%s' is missing from the catalog (it has: %s)",
			     type, *have ? have : "nothing");
}

/* ------------------------------------------------------------------ */
/* Auth request body                                                   */
/* ------------------------------------------------------------------ */

static void op_set(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

int os_auth_body(char **out, const struct os_auth *a)
{
	json_t *identity, *auth, *doc;
	bool appcred = a->auth_type && strcmp(a->auth_type, "v3applicationcredential") == 0;

	*out = NULL;
	identity = json_object();
	auth = json_object();
	if (!identity || !auth) {
		json_decref(identity);
		json_decref(auth);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	if (appcred) {
		json_t *ac = json_object();

		op_set(ac, "id", a->app_cred_id);
		op_set(ac, "name", a->app_cred_name);
		op_set(ac, "secret", a->app_cred_secret);
		if (!a->app_cred_id || !*a->app_cred_id) {
			json_t *user = json_object(), *dom = json_object();

			op_set(user, "name", a->username);
			op_set(user, "id", a->user_id);
			op_set(dom, "name", a->user_domain_name);
			op_set(dom, "id", a->user_domain_id);
			if (json_object_size(dom))
				json_object_set_new(user, "domain", dom);
			else
				json_decref(dom);
			json_object_set_new(ac, "user", user);
		}
		json_object_set_new(identity, "methods", json_pack("[s]", "application_credential"));
		json_object_set_new(identity, "application_credential", ac);
	} else {
		json_t *user = json_object(), *dom = json_object();

		op_set(user, "name", a->username);
		op_set(user, "id", a->user_id);
		op_set(dom, "name", a->user_domain_name ? a->user_domain_name
			  : a->user_domain_id ? NULL : "Default");
		op_set(dom, "id", a->user_domain_id);
		if (!a->user_id || !*a->user_id)
			json_object_set_new(user, "domain", dom);
		else
			json_decref(dom);
		op_set(user, "password", a->password);
		json_object_set_new(identity, "methods", json_pack("[s]", "password"));
		json_object_set_new(identity, "password", json_pack("{s:o}", "user", user));
	}
	json_object_set_new(auth, "identity", identity);
	/* Application credentials carry their own project. */
	if (!appcred && ((a->project_id && *a->project_id) ||
			 (a->project_name && *a->project_name))) {
		json_t *proj = json_object(), *dom = json_object();

		op_set(proj, "id", a->project_id);
		op_set(proj, "name", a->project_name);
		if (!a->project_id || !*a->project_id) {
			op_set(dom, "name", a->project_domain_name ? a->project_domain_name
				  : a->project_domain_id ? NULL : "Default");
			op_set(dom, "id", a->project_domain_id);
			json_object_set_new(proj, "domain", dom);
		} else {
			json_decref(dom);
		}
		json_object_set_new(auth, "scope", json_pack("{s:o}", "project", proj));
	}
	doc = json_pack("{s:o}", "auth", auth);
	*out = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}
