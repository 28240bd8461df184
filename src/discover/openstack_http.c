/* openstack_http.c - HTTP for the OpenStack client, on libcurl.
 *
 * One curl multi handle per client: its connection cache keeps
 * connections to each API endpoint open between requests, and a batch of
 * independent requests runs in parallel over it (at most `parallel` at
 * once).  Easy handles are kept in a small pool and reused.  Every transfer
 * has a total and a connect timeout; TLS peers are verified against the
 * system store or a given CA file.
 *
 * Responses are bounded (OS_MAX_BODY); a larger one fails its request.
 * Nothing here logs: headers carry tokens.  Not thread-safe: one client,
 * one thread.
 * libcurl (with OpenSSL, Kerberos, LDAP, SSH...) is not linked: the first
 * os_http_new() loads it (cal_dl_load) and runs curl_global_init once;
 * every other function here works on what os_http_new made.
 */
#include "openstack.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct os_http {
	CURLM *multi;
	struct os_http_opts opts;
	char *cacert;
	CURL **pool;
	size_t npool, cappool;
	uint64_t requests, bytes;
};

/* libcurl's functions, with its own prototypes (curl/curl.h; the
 * setopt and getinfo functions are variadic there and here). */
struct oh_curl_api {
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_escape) *easy_escape;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_reset) *easy_reset;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_free) *free;
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_multi_add_handle) *multi_add_handle;
	__typeof__(curl_multi_cleanup) *multi_cleanup;
	__typeof__(curl_multi_info_read) *multi_info_read;
	__typeof__(curl_multi_init) *multi_init;
	__typeof__(curl_multi_perform) *multi_perform;
	__typeof__(curl_multi_poll) *multi_poll;
	__typeof__(curl_multi_remove_handle) *multi_remove_handle;
	__typeof__(curl_multi_setopt) *multi_setopt;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
};

static struct oh_curl_api oh_curl;

static const struct cal_dl_sym oh_curl_syms[] = {
	{ "curl_easy_cleanup", &oh_curl.easy_cleanup },
	{ "curl_easy_escape", &oh_curl.easy_escape },
	{ "curl_easy_getinfo", &oh_curl.easy_getinfo },
	{ "curl_easy_init", &oh_curl.easy_init },
	{ "curl_easy_reset", &oh_curl.easy_reset },
	{ "curl_easy_setopt", &oh_curl.easy_setopt },
	{ "curl_easy_strerror", &oh_curl.easy_strerror },
	{ "curl_free", &oh_curl.free },
	{ "curl_global_init", &oh_curl.global_init },
	{ "curl_multi_add_handle", &oh_curl.multi_add_handle },
	{ "curl_multi_cleanup", &oh_curl.multi_cleanup },
	{ "curl_multi_info_read", &oh_curl.multi_info_read },
	{ "curl_multi_init", &oh_curl.multi_init },
	{ "curl_multi_perform", &oh_curl.multi_perform },
	{ "curl_multi_poll", &oh_curl.multi_poll },
	{ "curl_multi_remove_handle", &oh_curl.multi_remove_handle },
	{ "curl_multi_setopt", &oh_curl.multi_setopt },
	{ "curl_slist_append", &oh_curl.slist_append },
	{ "curl_slist_free_all", &oh_curl.slist_free_all },
	{ NULL, NULL },
};

/* Once per process, right after loading: libcurl's global state. */
static int oh_global_init(void)
{
	CURLcode rc = oh_curl.global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK)
		return cal_error_set(CAL_EIO, "cannot initialise libcurl: %s",
				     oh_curl.easy_strerror(rc));
	return 0;
}

static struct cal_dl_lib oh_curl_lib = {
	.soname = "libcurl.so.4",
	.name = "libcurl",
	.package = "libcurl4",
	.purpose = "to discover OpenStack environments",
	.syms = oh_curl_syms,
	.init = oh_global_init,
};

int os_http_new(struct os_http **out, const struct os_http_opts *opts)
{
	struct os_http *h;
	int rc;

	*out = NULL;
	rc = cal_dl_load(&oh_curl_lib);
	if (rc)
		return rc;
	h = calloc(1, sizeof(*h));
	if (!h)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	if (opts)
		h->opts = *opts;
	if (h->opts.timeout_ms <= 0)
		h->opts.timeout_ms = 30000;
	if (h->opts.connect_timeout_ms <= 0)
		h->opts.connect_timeout_ms = 10000;
	if (h->opts.parallel <= 0)
		h->opts.parallel = 8;
	if (h->opts.cacert && *h->opts.cacert)
		h->cacert = strdup(h->opts.cacert);
	h->opts.cacert = h->cacert;
	h->multi = oh_curl.multi_init();
	if (!h->multi) {
		free(h->cacert);
		free(h);
		return cal_error_set(CAL_ENOMEM, "cannot create a curl multi handle");
	}
	/* Keep a connection per host for the next requests; several per host
	 * for parallel transfers. */
	oh_curl.multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)h->opts.parallel * 4);
	oh_curl.multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)h->opts.parallel);
	*out = h;
	return 0;
}

void os_http_free(struct os_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->npool; i++)
		oh_curl.easy_cleanup(h->pool[i]);
	free(h->pool);
	oh_curl.multi_cleanup(h->multi);
	free(h->cacert);
	free(h);
}

char *os_http_escape(const char *s)
{
	char *esc, *copy;

	if (cal_dl_load(&oh_curl_lib))
		return NULL;
	esc = oh_curl.easy_escape(NULL, s, 0);
	copy = esc ? strdup(esc) : NULL;
	oh_curl.free(esc);
	return copy;
}

uint64_t os_http_requests(const struct os_http *h)
{
	return h ? h->requests : 0;
}

uint64_t os_http_bytes(const struct os_http *h)
{
	return h ? h->bytes : 0;
}

void os_req_reset(struct os_req *r)
{
	free(r->resp);
	free(r->subject_token);
	r->resp = NULL;
	r->subject_token = NULL;
	r->resp_len = r->cap = 0;
	r->status = 0;
	r->error = 0;
	r->errmsg[0] = '\0';
	r->elapsed_us = 0;
	r->too_big = false;
}

static size_t oh_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct os_req *r = arg;
	size_t n = size * nmemb;

	if (r->resp_len + n + 1 > OS_MAX_BODY) {
		r->too_big = true;
		return 0;
	}
	if (r->resp_len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 16384;
		char *nb;

		while (cap < r->resp_len + n + 1)
			cap *= 2;
		nb = realloc(r->resp, cap);
		if (!nb)
			return 0;
		r->resp = nb;
		r->cap = cap;
	}
	memcpy(r->resp + r->resp_len, data, n);
	r->resp_len += n;
	r->resp[r->resp_len] = '\0';
	return n;
}

static size_t oh_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct os_req *r = arg;
	size_t n = size * nmemb;
	static const char name[] = "X-Subject-Token:";

	if (n > sizeof(name) && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		const char *v = data + sizeof(name) - 1;
		size_t vl = n - (sizeof(name) - 1);

		while (vl && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		free(r->subject_token);
		r->subject_token = strndup(v, vl);
	}
	return n;
}

static CURL *oh_easy_get(struct os_http *h)
{
	if (h->npool)
		return h->pool[--h->npool];
	return oh_curl.easy_init();
}

static void oh_easy_put(struct os_http *h, CURL *e)
{
	if (h->npool == h->cappool) {
		size_t cap = h->cappool ? h->cappool * 2 : 8;
		CURL **np = realloc(h->pool, cap * sizeof(*np));

		if (!np) {
			oh_curl.easy_cleanup(e);
			return;
		}
		h->pool = np;
		h->cappool = cap;
	}
	oh_curl.easy_reset(e);
	h->pool[h->npool++] = e;
}

static int oh_start(struct os_http *h, struct os_req *r, struct curl_slist **hdrs)
{
	CURL *e = oh_easy_get(h);
	struct curl_slist *l = NULL;

	os_req_reset(r);
	if (!e) {
		r->error = CAL_ENOMEM;
		snprintf(r->errmsg, sizeof(r->errmsg), "out of memory");
		return -1;
	}
	l = oh_curl.slist_append(l, "Accept: application/json");
	if (r->body)
		l = oh_curl.slist_append(l, "Content-Type: application/json");
	for (const char *const *x = r->headers; x && *x; x++)
		l = oh_curl.slist_append(l, *x);
	/* No "Expect: 100-continue" round trip on POSTs. */
	l = oh_curl.slist_append(l, "Expect:");
	*hdrs = l;
	oh_curl.easy_setopt(e, CURLOPT_URL, r->url);
	oh_curl.easy_setopt(e, CURLOPT_HTTPHEADER, l);
	oh_curl.easy_setopt(e, CURLOPT_WRITEFUNCTION, oh_write);
	oh_curl.easy_setopt(e, CURLOPT_WRITEDATA, r);
	oh_curl.easy_setopt(e, CURLOPT_HEADERFUNCTION, oh_header);
	oh_curl.easy_setopt(e, CURLOPT_HEADERDATA, r);
	oh_curl.easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)h->opts.timeout_ms);
	oh_curl.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)h->opts.connect_timeout_ms);
	oh_curl.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	oh_curl.easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	oh_curl.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	oh_curl.easy_setopt(e, CURLOPT_PRIVATE, r);
	if (h->cacert)
		oh_curl.easy_setopt(e, CURLOPT_CAINFO, h->cacert);
	if (h->opts.insecure) {
		oh_curl.easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		oh_curl.easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (r->body) {
		oh_curl.easy_setopt(e, CURLOPT_POST, 1L);
		oh_curl.easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		oh_curl.easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
	} else if (r->method && strcmp(r->method, "GET") != 0) {
		oh_curl.easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	}
	r->easy = e;
	if (oh_curl.multi_add_handle(h->multi, e) != CURLM_OK) {
		r->easy = NULL;
		oh_easy_put(h, e);
		r->error = CAL_EIO;
		snprintf(r->errmsg, sizeof(r->errmsg), "cannot start a transfer");
		return -1;
	}
	h->requests++;
	return 0;
}

static void oh_finish(struct os_http *h, struct os_req *r, CURLcode res)
{
	CURL *e = r->easy;

	curl_off_t t = 0;

	oh_curl.easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	oh_curl.easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &t);
	r->elapsed_us = (int64_t)t;
	h->bytes += r->resp_len;
	if (res != CURLE_OK) {
		r->error = res == CURLE_OPERATION_TIMEDOUT ? CAL_ETIMEOUT : CAL_EIO;
		if (r->too_big)
			snprintf(r->errmsg, sizeof(r->errmsg), "response larger than %zu bytes",
				 OS_MAX_BODY);
		else
			snprintf(r->errmsg, sizeof(r->errmsg), "%s", oh_curl.easy_strerror(res));
		r->status = 0;
	}
	oh_curl.multi_remove_handle(h->multi, e);
	r->easy = NULL;
	oh_easy_put(h, e);
}

int os_http_run(struct os_http *h, struct os_req *reqs, size_t n)
{
	struct curl_slist **hdrs = calloc(n ? n : 1, sizeof(*hdrs));
	size_t next = 0, done = 0, running_n = 0;

	if (!hdrs)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	while (done < n) {
		int still = 0, numfds, left;
		CURLMsg *m;

		while (next < n && running_n < (size_t)h->opts.parallel) {
			if (oh_start(h, &reqs[next], &hdrs[next]) < 0)
				done++;
			else
				running_n++;
			next++;
		}
		if (done >= n)
			break;
		oh_curl.multi_perform(h->multi, &still);
		while ((m = oh_curl.multi_info_read(h->multi, &left))) {
			struct os_req *r = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			oh_curl.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			oh_finish(h, r, m->data.result);
			running_n--;
			done++;
		}
		if (done < n && running_n > 0)
			oh_curl.multi_poll(h->multi, NULL, 0, 1000, &numfds);
	}
	for (size_t i = 0; i < n; i++)
		oh_curl.slist_free_all(hdrs[i]);
	free(hdrs);
	return 0;
}
