/* reply.c - how the API answers: JSON documents, and errors in the shape
 * of the original Calipso API, {"error": {"message", "code", "title"}},
 * built here and nowhere else.  CAL_E* codes map to HTTP statuses in one
 * table.
 *
 * Messages come from our own code (cal_error_last() quotes outside values
 * escaped); they are escaped again by JSON encoding.
 */
#include "server/server_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	int code;
	unsigned status;
} rp_status_table[] = {
	{ CAL_ENOTFOUND, MHD_HTTP_NOT_FOUND },
	{ CAL_EEXISTS, MHD_HTTP_CONFLICT },
	{ CAL_EINVALID, MHD_HTTP_BAD_REQUEST },
	{ CAL_EPROTO, MHD_HTTP_BAD_GATEWAY },
	{ CAL_ETIMEOUT, MHD_HTTP_SERVICE_UNAVAILABLE },
	{ CAL_ENOMEM, MHD_HTTP_INTERNAL_SERVER_ERROR },
	{ CAL_EIO, MHD_HTTP_INTERNAL_SERVER_ERROR },
	{ CAL_EPERM, MHD_HTTP_FORBIDDEN },
	{ CAL_EAUTH, MHD_HTTP_UNAUTHORIZED },
};

unsigned srv_status_of(int code)
{
	for (size_t i = 0; i < sizeof(rp_status_table) / sizeof(rp_status_table[0]); i++)
		if (rp_status_table[i].code == code)
			return rp_status_table[i].status;
	return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

static const char *rp_title(unsigned status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

static void rp_set(struct srv_req *r, unsigned status, const char *ctype, char *body, size_t len)
{
	free(r->resp_body);
	r->status = status;
	r->ctype = ctype;
	r->resp_body = body;
	r->resp_len = len;
	r->answered = true;
}

void srv_reply_raw(struct srv_req *r, unsigned status, const char *ctype, char *body,
		   size_t len)
{
	rp_set(r, status, ctype, body, len);
}

void srv_reply_json(struct srv_req *r, unsigned status, json_t *doc)
{
	char *text;

	if (!doc) {
		srv_reply_error(r, 500, "out of memory");
		return;
	}
	text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(doc);
	if (!text) {
		srv_reply_error(r, 500, "out of memory");
		return;
	}
	rp_set(r, status, "application/json", text, strlen(text));
}

int srv_reply_error(struct srv_req *r, unsigned status, const char *fmt, ...)
{
	char msg[1024], code[8];
	json_t *doc;
	char *text;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(code, sizeof(code), "%u", status);
	doc = json_pack("{s:{s:s, s:s, s:s}}", "error", "message", msg, "code", code, "title",
			rp_title(status));
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!text) {
		static const char oom[] = "{\"error\":{\"message\":\"out of memory\",\"code\":\"500\","
					  "\"title\":\"Internal Server Error\"}}";

		text = strdup(oom);
		status = 500;
	}
	rp_set(r, status, "application/json", text, text ? strlen(text) : 0);
	if (status >= 500)
		cal_log_error("api", "%s %s: %u %s", r->method_name ? r->method_name : "?",
			      r->path ? r->path : "?", status, msg);
	return -1;
}

int srv_reply_cal(struct srv_req *r, int code)
{
	const char *msg = cal_error_last();

	return srv_reply_error(r, srv_status_of(code), "%s", *msg ? msg : cal_error_name(code));
}
