/* openapi.c - /openapi.json: an OpenAPI 3.0 document generated from the
 * route table that dispatch uses, so that it lists exactly the routes
 * served, each with its query parameters (types, enums, required), its
 * body fields and its security (X-Auth-Token, or none).
 */
#include "server/server_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static json_t *oa_enum(const char *const *choices)
{
	json_t *arr = json_array();

	for (; arr && choices && *choices; choices++)
		json_array_append_new(arr, json_string(*choices));
	return arr;
}

static json_t *oa_param_schema(const struct srv_param *p)
{
	switch (p->type) {
	case SRV_P_INT:
		return json_pack("{s:s, s:I, s:I}", "type", "integer", "minimum",
				 (json_int_t)p->min, "maximum", (json_int_t)p->max);
	case SRV_P_BOOL:
		return json_pack("{s:s}", "type", "boolean");
	case SRV_P_TIME:
		return json_pack("{s:s, s:s}", "type", "string", "format", "date-time");
	case SRV_P_ENUM:
		return json_pack("{s:s, s:o}", "type", "string", "enum", oa_enum(p->choices));
	case SRV_P_STR:
	default:
		return json_pack("{s:s}", "type", "string");
	}
}

static json_t *oa_field_schema(const struct srv_field *f)
{
	switch (f->type) {
	case SRV_F_INT: return json_pack("{s:s}", "type", "integer");
	case SRV_F_BOOL: return json_pack("{s:s}", "type", "boolean");
	case SRV_F_OBJECT: return json_pack("{s:s}", "type", "object");
	case SRV_F_ENUM:
		return json_pack("{s:s, s:o}", "type", "string", "enum", oa_enum(f->choices));
	case SRV_F_STRARRAY:
		return f->choices ? json_pack("{s:s, s:{s:s, s:o}}", "type", "array", "items",
					      "type", "string", "enum", oa_enum(f->choices))
				  : json_pack("{s:s, s:{s:s}}", "type", "array", "items", "type",
					      "string");
	case SRV_F_ANY: return json_object();
	case SRV_F_STR:
	default: return json_pack("{s:s}", "type", "string");
	}
}

static json_t *oa_operation(const struct srv_route *r)
{
	json_t *op, *params = json_array(), *responses;
	char opid[128];
	size_t o;

	o = (size_t)snprintf(opid, sizeof(opid), "%s", srv_method_name(r->method));
	for (size_t i = 0; i < o; i++)
		opid[i] = (char)tolower((unsigned char)opid[i]);
	for (const char *p = r->path; *p && o + 1 < sizeof(opid); p++)
		opid[o++] = isalnum((unsigned char)*p) ? *p : '_';
	opid[o] = '\0';
	for (const struct srv_param *p = r->params; p && p->name; p++) {
		char name[96];

		snprintf(name, sizeof(name), "%s%s", p->name, p->flags & SRV_P_PREFIX ? "{name}" : "");
		json_array_append_new(params,
				      json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", name, "in",
						"query", "required", (p->flags & SRV_P_REQUIRED) != 0,
						"description", p->doc ? p->doc : "", "schema",
						oa_param_schema(p)));
	}
	responses = json_pack("{s:{s:s}, s:{s:s}}", "400", "$ref", "#/components/responses/Error",
			      "404", "$ref", "#/components/responses/Error");
	json_object_set_new(responses, r->method == SRV_POST ? "201" : "200",
			    json_pack("{s:s}", "description", "success"));
	if (r->access != SRV_PUBLIC) {
		json_object_set_new(responses, "401",
				    json_pack("{s:s}", "$ref", "#/components/responses/Error"));
		json_object_set_new(responses, "403",
				    json_pack("{s:s}", "$ref", "#/components/responses/Error"));
	}
	op = json_pack("{s:s, s:s, s:[s], s:o, s:o}", "summary", r->summary ? r->summary : "",
		       "operationId", opid, "tags", r->tag ? r->tag : "api", "parameters", params,
		       "responses", responses);
	if (r->access == SRV_PUBLIC)
		json_object_set_new(op, "security", json_array());
	if (r->body) {
		json_t *props = json_object(), *req = json_array();

		for (const struct srv_field *f = r->body; f->name; f++) {
			json_t *sch = oa_field_schema(f);

			if (f->doc)
				json_object_set_new(sch, "description", json_string(f->doc));
			json_object_set_new(props, f->name, sch);
			if (f->required)
				json_array_append_new(req, json_string(f->name));
		}
		json_object_set_new(
			op, "requestBody",
			json_pack("{s:b, s:{s:{s:{s:s, s:o, s:o, s:b}}}}", "required", 1, "content",
				  "application/json", "schema", "type", "object", "properties",
				  props, "required", req, "additionalProperties",
				  r->body[0].name && strcmp(r->body[0].name, "*") == 0));
	}
	return op;
}

json_t *srv_openapi(const struct srv *s)
{
	const struct srv_route *routes;
	json_t *doc, *paths = json_object(), *error, *schema, *components;
	size_t n;

	(void)s;
	routes = srv_routes(&n);
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_object_get(paths, routes[i].path);
		char m[16];
		size_t k;

		if (!item) {
			item = json_object();
			json_object_set_new(paths, routes[i].path, item);
		}
		k = (size_t)snprintf(m, sizeof(m), "%s", srv_method_name(routes[i].method));
		for (size_t j = 0; j < k; j++)
			m[j] = (char)tolower((unsigned char)m[j]);
		json_object_set_new(item, m, oa_operation(&routes[i]));
	}
	/* Built step by step: one json_pack of this depth is unreadable. */
	error = json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}}}", "type", "object", "properties",
			  "message", "type", "string", "code", "type", "string", "title", "type",
			  "string");
	schema = json_pack("{s:s, s:{s:o}}", "type", "object", "properties", "error", error);
	components = json_pack(
		"{s:{s:{s:s, s:s, s:s}}, s:{s:{s:s, s:{s:{s:o}}}}}", "securitySchemes", "token",
		"type", "apiKey", "in", "header", "name", "X-Auth-Token", "responses", "Error",
		"description", "{\"error\": {\"message\", \"code\", \"title\"}}", "content",
		"application/json", "schema", schema);
	doc = json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:[{s:[]}], s:o}", "openapi", "3.0.3",
			"info", "title", "Calipso API", "version", CAL_VERSION, "description",
			"Calipso's REST API (docs/api.md).", "paths", paths, "security", "token",
			"components", components);
	return doc;
}
