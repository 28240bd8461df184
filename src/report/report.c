/* report.c - cal_report_generate(): the kind builds a model
 * (report_<kind>.c), the format renders it (report_html.c, report_csv.c,
 * or the model's data as JSON), and the result is kept in the store with
 * the arguments it came from.
 */
#include "report/report_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const rp_formats[] = {
	[CAL_REPORT_HTML] = "html",
	[CAL_REPORT_JSON] = "json",
	[CAL_REPORT_CSV] = "csv",
};

int cal_report_format_from_name(const char *name)
{
	for (size_t i = 0; name && i < sizeof(rp_formats) / sizeof(rp_formats[0]); i++)
		if (strcmp(rp_formats[i], name) == 0)
			return (int)i;
	return -1;
}

const char *cal_report_format_name(enum cal_report_format f)
{
	if ((int)f < 0 || (size_t)f >= sizeof(rp_formats) / sizeof(rp_formats[0]))
		return "unknown";
	return rp_formats[f];
}

static const struct {
	const char *kind;
	int (*build)(cal_store *, json_t **, const char *, const struct cal_report_request *);
} rp_kinds[] = {
	{ "diff", rp_build_diff },
	{ "impact", rp_build_impact },
	{ "health", rp_build_health },
	{ "inventory", rp_build_inventory },
};

/* What the report was generated from, kept with it. */
static json_t *rp_args(const struct cal_report_request *req)
{
	json_t *a = json_object();

	if (!a)
		return NULL;
	if (req->a)
		json_object_set_new(a, "a", json_string(req->a));
	if (req->b)
		json_object_set_new(a, "b", json_string(req->b));
	if (req->scope)
		json_object_set_new(a, "scope", json_string(req->scope));
	if (req->object)
		json_object_set_new(a, "object", json_string(req->object));
	if (req->what_if_down)
		json_object_set_new(a, "what_if_down", json_true());
	if (req->project)
		json_object_set_new(a, "project", json_string(req->project));
	if (req->at)
		json_object_set_new(a, "at", json_string(req->at));
	return a;
}

int cal_report_generate(cal_store *st, json_t **out, const char *env,
			const struct cal_report_request *req)
{
	json_t *model = NULL, *args = NULL, *res = NULL;
	int (*build)(cal_store *, json_t **, const char *, const struct cal_report_request *) =
		NULL;
	char *content = NULL, now[CAL_TIME_BUFSZ];
	int64_t id = 0;
	int rc;

	*out = NULL;
	if (!env || !*env || !req || !req->kind)
		return cal_error_set(CAL_EINVALID, "a report needs an environment and a kind");
	if ((int)req->format < 0 || (size_t)req->format >= sizeof(rp_formats) / sizeof(rp_formats[0]))
		return cal_error_set(CAL_EINVALID, "unknown report format %d", (int)req->format);
	for (size_t i = 0; i < sizeof(rp_kinds) / sizeof(rp_kinds[0]); i++)
		if (strcmp(rp_kinds[i].kind, req->kind) == 0)
			build = rp_kinds[i].build;
	if (!build)
		return cal_error_set(CAL_EINVALID, "unknown report kind '%s': use diff, impact, "
				     "health or inventory", req->kind);
	rc = build(st, &model, env, req);
	if (rc)
		return rc;
	if (req->title && *req->title)
		json_object_set_new(model, "title", json_string(req->title));
	switch (req->format) {
	case CAL_REPORT_HTML:
		rc = rp_render_html(&content, model, env);
		break;
	case CAL_REPORT_CSV:
		rc = rp_render_csv(&content, model);
		break;
	case CAL_REPORT_JSON: {
		json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:O}", "title",
					cal_json_str(model, "title"), "kind", req->kind,
					"environment", env, "generated",
					cal_time_format(now, cal_time_now_us()), "data",
					json_object_get(model, "data"));
		char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

		json_decref(doc);
		content = text ? cal_strdup_printf("%s\n", text) : NULL;
		free(text);
		rc = content ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
		break;
	}
	}
	if (rc)
		goto out;
	args = rp_args(req);
	if (!args) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	if (!req->no_keep) {
		struct cal_report_record r = {
			.env = env, .kind = req->kind, .format = rp_formats[req->format],
			.title = cal_json_str(model, "title"), .args = args, .content = content,
			.length = strlen(content),
		};

		rc = cal_store_report_put(st, &id, &r);
		if (rc)
			goto out;
	}
	res = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:I, s:s}", "environment", env, "kind",
			req->kind, "format", rp_formats[req->format], "title",
			cal_json_str(model, "title"), "created",
			cal_time_format(now, cal_time_now_us()), "args", args, "size",
			(json_int_t)strlen(content), "content", content);
	if (res && id > 0)
		json_object_set_new(res, "id", json_integer(id));
	if (!res) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	*out = res;
out:
	json_decref(model);
	json_decref(args);
	free(content);
	return rc;
}
