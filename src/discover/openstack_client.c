/* openstack_client.c - the OpenStack API client: Keystone v3
 * authentication, endpoints from the catalog, and paginated listing of
 * many resources at once.
 *
 * A token is reused until a minute before it expires; a 401 on any call
 * re-authenticates once and repeats the call (a token revoked or expired
 * early).  Lists run in rounds: each round sends the next page of every
 * unfinished list in parallel over the client's connections, so N lists of
 * P pages cost about max(P) round trips, and never a request per object.
 *
 * Credentials go only into the token request body; tokens only into
 * headers.  Neither is ever logged or put into an error message.  One
 * thread per client.
 */
#include "openstack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct os_client {
	struct os_client_opts opts;
	struct os_http *http;
	struct os_token tok;
	char *token_url;      /* <keystone>/v3/auth/tokens */
	char *identity_url;   /* <keystone>/v3 */
	char *hdr_token;      /* "X-Auth-Token: ..." */
	char *hdr_micro;      /* "OpenStack-API-Version: compute X" */
	char *hdr_micro_old;  /* "X-OpenStack-Nova-API-Version: X" */
	json_t *endpoints;    /* service type -> URL */
};

/* The Keystone root with "/v3" (auth_url may be given with or without). */
static char *oc_identity_url(const char *url)
{
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= 3 && strncmp(url + n - 3, "/v3", 3) == 0)
		return strndup(url, n);
	return cal_strdup_printf("%.*s/v3", (int)n, url);
}

int os_client_new(struct os_client **out, const struct os_client_opts *opts)
{
	struct os_client *c;
	const char *mv;
	int rc;

	*out = NULL;
	if (!opts->auth.auth_url || !*opts->auth.auth_url)
		return cal_error_set(CAL_EINVALID, "no Keystone auth_url configured");
	c = calloc(1, sizeof(*c));
	if (!c)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	c->opts = *opts;
	if (c->opts.page_size <= 0)
		c->opts.page_size = 1000;
	if (!c->opts.interface || !*c->opts.interface)
		c->opts.interface = "public";
	mv = c->opts.compute_microversion && *c->opts.compute_microversion
		     ? c->opts.compute_microversion
		     : "2.60";
	c->identity_url = oc_identity_url(opts->auth.auth_url);
	c->token_url = c->identity_url ? cal_strdup_printf("%s/auth/tokens", c->identity_url)
				       : NULL;
	c->hdr_micro = cal_strdup_printf("OpenStack-API-Version: compute %s", mv);
	c->hdr_micro_old = cal_strdup_printf("X-OpenStack-Nova-API-Version: %s", mv);
	c->endpoints = json_object();
	if (!c->identity_url || !c->token_url || !c->hdr_micro || !c->hdr_micro_old ||
	    !c->endpoints) {
		os_client_free(c);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	rc = os_http_new(&c->http, &opts->http);
	if (rc) {
		os_client_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void os_client_free(struct os_client *c)
{
	if (!c)
		return;
	os_http_free(c->http);
	os_token_clear(&c->tok);
	free(c->token_url);
	free(c->identity_url);
	if (c->hdr_token) {
		/* The token should not linger in freed memory. */
		memset(c->hdr_token, 0, strlen(c->hdr_token));
		free(c->hdr_token);
	}
	free(c->hdr_micro);
	free(c->hdr_micro_old);
	json_decref(c->endpoints);
	free(c);
}

uint64_t os_client_requests(const struct os_client *c)
{
	return c ? os_http_requests(c->http) : 0;
}

const struct os_token *os_client_token(const struct os_client *c)
{
	return &c->tok;
}

void os_client_expire_token(struct os_client *c)
{
	c->tok.expires_us = 0;
}

static int oc_authenticate(struct os_client *c)
{
	/* Keystone under uwsgi drops idle kept-alive connections without a
	 * word: its requests close theirs. */
	static const char *const hdrs[] = { "Connection: close", NULL };
	struct os_req r = { 0 };
	struct os_token tok;
	char *body = NULL;
	int rc;

	rc = os_auth_body(&body, &c->opts.auth);
	if (rc)
		return rc;
	r.url = c->token_url;
	r.body = body;
	r.headers = hdrs;
	rc = os_http_run(c->http, &r, 1);
	memset(body, 0, strlen(body));
	free(body);
	if (rc)
		goto out;
	if (r.error) {
		rc = cal_error_set(r.error, "cannot reach Keystone at %s: %s", c->token_url,
				   r.errmsg);
		goto out;
	}
	if (r.status == 401 || r.status == 403) {
		char msg[512];

		os_parse_error(msg, sizeof(msg), r.status, r.resp, r.resp_len);
		rc = cal_error_set(CAL_EAUTH, "Keystone at %s refused the credentials: %s",
				   c->token_url, msg);
		goto out;
	}
	if (r.status != 201 && r.status != 200) {
		char msg[512];

		os_parse_error(msg, sizeof(msg), r.status, r.resp, r.resp_len);
		rc = cal_error_set(CAL_EIO, "Keystone at %s: %s", c->token_url, msg);
		goto out;
	}
	rc = os_parse_token(&tok, r.subject_token, r.resp, r.resp_len);
	if (rc) {
		cal_error_prefix(rc, "Keystone at %s", c->token_url);
		goto out;
	}
	os_token_clear(&c->tok);
	c->tok = tok;
	if (c->hdr_token) {
		memset(c->hdr_token, 0, strlen(c->hdr_token));
		free(c->hdr_token);
	}
	c->hdr_token = cal_strdup_printf("X-Auth-Token: %s", tok.id);
	json_object_clear(c->endpoints);
	if (!c->hdr_token)
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
out:
	if (r.subject_token)
		memset(r.subject_token, 0, strlen(r.subject_token));
	os_req_reset(&r);
	return rc;
}

int os_client_auth(struct os_client *c)
{
	if (c->tok.id && c->tok.expires_us - cal_time_now_us() > 60 * 1000000LL)
		return 0;
	return oc_authenticate(c);
}

int os_client_endpoint(struct os_client *c, char **out, const char *service_type)
{
	json_t *v = json_object_get(c->endpoints, service_type);
	char *url = NULL;
	int rc;

	*out = NULL;
	if (v) {
		*out = strdup(json_string_value(v));
		return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
	}
	rc = os_catalog_endpoint(&url, c->tok.catalog, service_type, c->opts.interface,
				 c->opts.region);
	if (rc == CAL_ENOTFOUND && strcmp(service_type, "identity") == 0) {
		url = strdup(c->identity_url);
		rc = url ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
	}
	if (rc)
		return rc;
	if (strcmp(service_type, "identity") == 0) {
		char *v3 = oc_identity_url(url);

		free(url);
		url = v3;
		if (!url)
			return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	json_object_set_new(c->endpoints, service_type, json_string(url));
	*out = url;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lists                                                               */
/* ------------------------------------------------------------------ */

struct oc_state {
	char *base;      /* endpoint URL */
	char *marker;
	bool done;
	bool retried;    /* re-authenticated for this page already */
	bool started;
};

static char *oc_page_url(struct os_client *c, const struct os_list *l, struct oc_state *s)
{
	const char *path = l->path;
	size_t bl = strlen(s->base);
	char *url, *esc = NULL;

	/* Catalog URLs may already carry the version the paths start with
	 * (Neutron's ".../v2.0"). */
	if (bl >= 5 && strncmp(s->base + bl - 5, "/v2.0", 5) == 0 && strncmp(path, "/v2.0/", 6) == 0)
		path += 5;
	if (!l->paginate)
		return cal_strdup_printf("%s%s", s->base, path);
	if (s->marker) {
		esc = os_http_escape(s->marker);
		if (!esc)
			return NULL;
	}
	url = cal_strdup_printf("%s%s%slimit=%d%s%s", s->base, path, strchr(path, '?') ? "&" : "?",
				c->opts.page_size, esc ? "&marker=" : "", esc ? esc : "");
	free(esc);
	/* Only what we keep crosses the wire (ports carry large binding
	 * profiles and extension fields we never read). */
	for (const char *const *f = l->fields ? os_kind_fields(l->kind) : NULL; url && f && *f;
	     f++) {
		char *fe = os_http_escape(*f);
		char *u2 = fe ? cal_strdup_printf("%s&fields=%s", url, fe) : NULL;

		free(fe);
		free(url);
		url = u2;
	}
	return url;
}

int os_client_list(struct os_client *c, struct os_list *lists, size_t n)
{
	struct oc_state *st = calloc(n ? n : 1, sizeof(*st));
	struct os_req *reqs = calloc(n ? n : 1, sizeof(*reqs));
	size_t *idx = calloc(n ? n : 1, sizeof(*idx));
	const char *hdr_compute[4], *hdr_identity[3], *hdr_other[2];
	int rc = 0;

	if (!st || !reqs || !idx) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	rc = os_client_auth(c);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct os_list *l = &lists[i];

		l->items = json_array();
		l->error = 0;
		l->errmsg[0] = '\0';
		l->absent = false;
		l->pages = 0;
		if (!l->items) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			goto out;
		}
		rc = os_client_endpoint(c, &st[i].base, l->service);
		if (rc)
			goto out;
	}
	for (;;) {
		size_t m = 0;
		bool reauth = false;

		hdr_compute[0] = c->hdr_token;
		hdr_compute[1] = c->hdr_micro;
		hdr_compute[2] = c->hdr_micro_old;
		hdr_compute[3] = NULL;
		hdr_identity[0] = c->hdr_token;
		hdr_identity[1] = "Connection: close";
		hdr_identity[2] = NULL;
		hdr_other[0] = c->hdr_token;
		hdr_other[1] = NULL;
		for (size_t i = 0; i < n; i++) {
			struct os_req *r = &reqs[m];

			if (st[i].done)
				continue;
			memset(r, 0, sizeof(*r));
			r->url = oc_page_url(c, &lists[i], &st[i]);
			if (!r->url) {
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
				goto out;
			}
			r->headers = strcmp(lists[i].service, "compute") == 0    ? hdr_compute
				     : strcmp(lists[i].service, "identity") == 0 ? hdr_identity
										 : hdr_other;
			idx[m++] = i;
		}
		if (m == 0)
			break;
		rc = os_http_run(c->http, reqs, m);
		for (size_t k = 0; k < m && rc == 0; k++) {
			struct os_req *r = &reqs[k];
			struct os_list *l = &lists[idx[k]];
			struct oc_state *s = &st[idx[k]];
			char *marker = NULL;

			/* URLs carry no secret (the token is a header). */
			cal_log_debug("openstack", "GET %s: HTTP %ld, %zu bytes in %lld ms", r->url,
				      r->status, r->resp_len, (long long)(r->elapsed_us / 1000));

			if (r->error) {
				l->error = r->error;
				snprintf(l->errmsg, sizeof(l->errmsg), "cannot reach %s: %s", r->url,
					 r->errmsg);
				s->done = true;
			} else if (r->status == 401 && !s->retried) {
				/* The token expired or was revoked: once more
				 * with a new one. */
				s->retried = true;
				reauth = true;
			} else if (r->status == 404 && l->optional) {
				l->absent = true;
				s->done = true;
			} else if (r->status < 200 || r->status > 299) {
				char msg[400];
				char *path = strndup(r->url, strcspn(r->url, "?"));

				os_parse_error(msg, sizeof(msg), r->status, r->resp, r->resp_len);
				l->error = r->status == 401 || r->status == 403 ? CAL_EAUTH
					   : r->status == 404			 ? CAL_ENOTFOUND
										 : CAL_EIO;
				snprintf(l->errmsg, sizeof(l->errmsg), "%s: %s", path ? path : "",
					 msg);
				free(path);
				s->done = true;
			} else if (os_parse_page(l->items, &marker, r->resp, r->resp_len, l->key,
						 l->kind)) {
				l->error = CAL_EPROTO;
				snprintf(l->errmsg, sizeof(l->errmsg), "%s: %s", l->path,
					 cal_error_last());
				s->done = true;
			} else {
				l->pages++;
				s->retried = false;
				if (marker && s->marker && strcmp(marker, s->marker) == 0) {
					/* A server repeating its marker would loop
					 * forever. */
					l->error = CAL_EPROTO;
					snprintf(l->errmsg, sizeof(l->errmsg),
						 "%s: the next page repeats marker '%.100s'",
						 l->path, marker);
					free(marker);
					marker = NULL;
					s->done = true;
				}
				free(s->marker);
				s->marker = marker;
				if (!marker || !l->paginate)
					s->done = true;
			}
		}
		for (size_t k = 0; k < m; k++) {
			free(reqs[k].url);
			reqs[k].url = NULL;
			os_req_reset(&reqs[k]);
		}
		if (rc)
			goto out;
		if (reauth) {
			os_client_expire_token(c);
			rc = os_client_auth(c);
			if (rc)
				goto out;
		}
	}
out:
	for (size_t i = 0; st && i < n; i++) {
		free(st[i].base);
		free(st[i].marker);
		if (lists[i].error || rc) {
			json_decref(lists[i].items);
			lists[i].items = NULL;
		}
	}
	free(st);
	free(reqs);
	free(idx);
	return rc;
}
