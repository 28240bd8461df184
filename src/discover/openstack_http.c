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
 */
#include "openstack.h"

#include <curl/curl.h>
#include <pthread.h>
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

static pthread_once_t oh_once = PTHREAD_ONCE_INIT;
static CURLcode oh_global_rc;

static void oh_global_init(void)
{
	oh_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int os_http_new(struct os_http **out, const struct os_http_opts *opts)
{
	struct os_http *h;

	*out = NULL;
	pthread_once(&oh_once, oh_global_init);
	if (oh_global_rc != CURLE_OK)
		return cal_error_set(CAL_EIO, "cannot initialise libcurl: %s",
				     curl_easy_strerror(oh_global_rc));
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
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h->cacert);
		free(h);
		return cal_error_set(CAL_ENOMEM, "cannot create a curl multi handle");
	}
	/* Keep a connection per host for the next requests; several per host
	 * for parallel transfers. */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)h->opts.parallel * 4);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)h->opts.parallel);
	*out = h;
	return 0;
}

void os_http_free(struct os_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	free(h->pool);
	curl_multi_cleanup(h->multi);
	free(h->cacert);
	free(h);
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
	return curl_easy_init();
}

static void oh_easy_put(struct os_http *h, CURL *e)
{
	if (h->npool == h->cappool) {
		size_t cap = h->cappool ? h->cappool * 2 : 8;
		CURL **np = realloc(h->pool, cap * sizeof(*np));

		if (!np) {
			curl_easy_cleanup(e);
			return;
		}
		h->pool = np;
		h->cappool = cap;
	}
	curl_easy_reset(e);
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
	l = curl_slist_append(l, "Accept: application/json");
	if (r->body)
		l = curl_slist_append(l, "Content-Type: application/json");
	for (const char *const *x = r->headers; x && *x; x++)
		l = curl_slist_append(l, *x);
	/* No "Expect: 100-continue" round trip on POSTs. */
	l = curl_slist_append(l, "Expect:");
	*hdrs = l;
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, l);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, oh_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, oh_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)h->opts.timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)h->opts.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	if (h->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->cacert);
	if (h->opts.insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (r->body) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
	} else if (r->method && strcmp(r->method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	}
	r->easy = e;
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
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

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &t);
	r->elapsed_us = (int64_t)t;
	h->bytes += r->resp_len;
	if (res != CURLE_OK) {
		r->error = res == CURLE_OPERATION_TIMEDOUT ? CAL_ETIMEOUT : CAL_EIO;
		if (r->too_big)
			snprintf(r->errmsg, sizeof(r->errmsg), "response larger than %zu bytes",
				 OS_MAX_BODY);
		else
			snprintf(r->errmsg, sizeof(r->errmsg), "%s", curl_easy_strerror(res));
		r->status = 0;
	}
	curl_multi_remove_handle(h->multi, e);
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
		curl_multi_perform(h->multi, &still);
		while ((m = curl_multi_info_read(h->multi, &left))) {
			struct os_req *r = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			oh_finish(h, r, m->data.result);
			running_n--;
			done++;
		}
		if (done < n && running_n > 0)
			curl_multi_poll(h->multi, NULL, 0, 1000, &numfds);
	}
	for (size_t i = 0; i < n; i++)
		curl_slist_free_all(hdrs[i]);
	free(hdrs);
	return 0;
}
