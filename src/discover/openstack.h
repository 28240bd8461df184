/* openstack.h - private to src/discover (and its tests): the OpenStack API
 * client in layers, and the parsing of its responses.
 *
 *   parse     (openstack_parse.c)   pure: list pages and their next
 *                                   marker, error bodies, Keystone tokens,
 *                                   catalog endpoint selection, trimming of
 *                                   API objects to the fields we keep
 *   http      (openstack_http.c)    libcurl: one multi handle per client,
 *                                   so connections are reused and
 *                                   independent requests run in parallel;
 *                                   timeouts, CA file
 *   client    (openstack_client.c)  Keystone v3 auth (password or
 *                                   application credential), token reuse
 *                                   until expiry and re-auth on 401,
 *                                   endpoints from the catalog, paginated
 *                                   listing of many resources at once
 *   source    (openstack_source.c)  the "openstack" section of the cloud
 *                                   report (docs/report-format.md)
 *   config    (openstack_config.c)  the environment's "openstack" key,
 *                                   clouds.yaml, OS_* variables, secrets
 *
 * Conventions: 0 or a negative CAL_E* code with cal_error_last(); the caller
 * owns what comes back through `out`.  A client is used by one thread.
 */
#ifndef CALIPSO_DISCOVER_OPENSTACK_H
#define CALIPSO_DISCOVER_OPENSTACK_H

#include "core/core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest response body accepted (a page of 1,000 Nova servers is about
 * 3 MB). */
#define OS_MAX_BODY ((size_t)256 << 20)
/* Deepest JSON nesting accepted in a response. */
#define OS_MAX_DEPTH 32

/* ------------------------------------------------------------------ */
/* Parsing (openstack_parse.c, pure)                                   */
/* ------------------------------------------------------------------ */

/* Parses a response body as a JSON object.  CAL_EPROTO names `what` when
 * the body is not JSON, not an object, or nested deeper than
 * OS_MAX_DEPTH. */
int os_parse_body(json_t **out, const char *body, size_t len, const char *what);

/* One page of a list call: the items of array `key` (appended to `items`,
 * each trimmed to the fields of `kind`, see os_trim) and whether there is
 * a next page (`<key>_links` with rel "next", as Nova and Neutron say it);
 * *out_marker (malloc'ed, or NULL) is the marker of the next page: the
 * `marker` parameter of the next link, else the last item's id.
 * CAL_EPROTO when the body or the array is malformed. */
int os_parse_page(json_t *items, char **out_marker, const char *body, size_t len,
		  const char *key, const char *kind);

/* The message of an error response of Keystone ({"error": {"message"}}),
 * Nova ({"itemNotFound": {"message"}}, any single key) or Neutron
 * ({"NeutronError": {"message"}}); else the first line of the body, cut and
 * escaped.  Always fills buf (NUL-terminated). */
void os_parse_error(char *buf, size_t sz, long status, const char *body, size_t len);

struct os_token {
	char *id;             /* X-Subject-Token */
	int64_t expires_us;   /* expires_at */
	char *project_id;
	char *user_id;
	json_t *catalog;      /* token.catalog (may be an empty array) */
};

void os_token_clear(struct os_token *t);

/* Parses a Keystone v3 token response body (`token_id` comes from the
 * X-Subject-Token header).  CAL_EPROTO when expires_at or the structure is
 * missing or malformed. */
int os_parse_token(struct os_token *out, const char *token_id, const char *body, size_t len);

/* The URL of service `type` ("compute", "network", "identity") in a v3
 * catalog for `interface` ("public", "internal", "admin") and `region`
 * (NULL or "" = any); trailing slashes removed.  CAL_ENOTFOUND says which
 * services the catalog has. */
int os_catalog_endpoint(char **out, const json_t *catalog, const char *type,
			const char *interface, const char *region);

/* Keeps only the fields Calipso reads of an API object of `kind`
 * ("server", "port", ...; see the table in openstack_parse.c) and returns
 * a new object; unknown kinds are copied whole.  NULL when `item` is not
 * an object. */
json_t *os_trim(const json_t *item, const char *kind);

/* The fields os_trim keeps of `kind` (NULL-terminated), or NULL. */
const char *const *os_kind_fields(const char *kind);

/* The request body of a Keystone v3 token request (password or
 * application credential, see struct os_auth). */
struct os_auth {
	const char *auth_url;     /* ".../v3" or the Keystone root */
	const char *auth_type;    /* "password" (default) or "v3applicationcredential" */
	const char *username, *user_id, *user_domain_name, *user_domain_id;
	const char *project_name, *project_id, *project_domain_name, *project_domain_id;
	const char *password;
	const char *app_cred_id, *app_cred_name, *app_cred_secret;
};

int os_auth_body(char **out, const struct os_auth *a);

/* ------------------------------------------------------------------ */
/* HTTP (openstack_http.c)                                             */
/* ------------------------------------------------------------------ */

struct os_http;

struct os_http_opts {
	int timeout_ms;        /* per request, whole transfer; <= 0 = 30 s */
	int connect_timeout_ms;/* <= 0 = 10 s */
	const char *cacert;    /* CA bundle for TLS; NULL = system */
	bool insecure;         /* do not verify TLS peers */
	int parallel;          /* transfers at once; <= 0 = 8 */
};

struct os_req {
	/* In. */
	const char *method;    /* "GET" (NULL) or "POST" */
	char *url;             /* owned by the caller */
	const char *body;      /* POST body, JSON */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated */
	/* Out. */
	long status;           /* HTTP status, 0 when no answer */
	char *resp;            /* body, NUL-terminated (owned; os_req_reset frees) */
	size_t resp_len;
	char *subject_token;   /* X-Subject-Token response header */
	int error;             /* 0, or CAL_EIO / CAL_ETIMEOUT when no answer */
	char errmsg[256];      /* why there was no answer */
	int64_t elapsed_us;    /* the transfer's time */
	/* Private. */
	void *easy;
	size_t cap;
	bool too_big;
};

int os_http_new(struct os_http **out, const struct os_http_opts *opts);
void os_http_free(struct os_http *h);
/* Runs `n` requests, up to opts.parallel at once over reused connections.
 * Each request's outcome is in its fields; returns CAL_ENOMEM only. */
int os_http_run(struct os_http *h, struct os_req *reqs, size_t n);
void os_req_reset(struct os_req *r);
/* `s` URL-encoded (every byte but letters, digits and -._~), for a query;
 * malloc'ed, NULL when out of memory or libcurl cannot be loaded. */
char *os_http_escape(const char *s);
/* Requests made and bytes received since os_http_new. */
uint64_t os_http_requests(const struct os_http *h);
uint64_t os_http_bytes(const struct os_http *h);

/* ------------------------------------------------------------------ */
/* Client (openstack_client.c)                                         */
/* ------------------------------------------------------------------ */

struct os_client;

struct os_client_opts {
	struct os_auth auth;
	const char *region;       /* NULL = any */
	const char *interface;    /* NULL = "public" */
	const char *compute_microversion; /* NULL = "2.88" */
	int page_size;            /* <= 0 = 1000 */
	struct os_http_opts http;
};

int os_client_new(struct os_client **out, const struct os_client_opts *opts);
void os_client_free(struct os_client *c);

/* Authenticates unless a token valid for at least another minute is held.
 * CAL_EAUTH when Keystone refuses the credentials, CAL_EIO when it cannot
 * be reached. */
int os_client_auth(struct os_client *c);
/* The current token (after os_client_auth), for tests. */
const struct os_token *os_client_token(const struct os_client *c);
/* Forgets the token's validity so the next call re-authenticates (tests). */
void os_client_expire_token(struct os_client *c);

/* Endpoint of a service type from the token's catalog, as selected by the
 * options (the auth URL for "identity" when the catalog lacks it). */
int os_client_endpoint(struct os_client *c, char **out, const char *service_type);

/* One list call of a batch. */
struct os_list {
	const char *service;  /* catalog type: "compute", "network", "identity" */
	const char *path;     /* "/servers/detail?all_tenants=1" */
	const char *key;      /* array key of the response: "servers" */
	const char *kind;     /* os_trim kind */
	bool paginate;        /* the API takes limit/marker */
	bool optional;        /* a 404 means "not enabled here": empty, no error */
	bool fields;          /* ask only for the kept fields (Neutron's `fields`) */
	/* Out. */
	json_t *items;        /* the trimmed items (owned; NULL on failure) */
	int error;            /* 0 or CAL_E* */
	char errmsg[512];
	bool absent;          /* optional and answered 404 */
	int pages;
};

/* Runs every list in `lists` at once: each goes page by page (limit and
 * marker) while different lists run in parallel.  A 401 re-authenticates
 * once and repeats the request.  Returns CAL_EAUTH/CAL_EIO/CAL_ENOTFOUND
 * (a service missing from the catalog) when authentication or the catalog
 * fails, else 0 with each list's own outcome in its fields. */
int os_client_list(struct os_client *c, struct os_list *lists, size_t n);

uint64_t os_client_requests(const struct os_client *c);

/* ------------------------------------------------------------------ */
/* Configuration (openstack_config.c)                                  */
/* ------------------------------------------------------------------ */

/* Checks the "openstack" key of an environment configuration: known keys,
 * types, an auth_url, and credentials of one kind.  Secrets (password,
 * application_credential_secret) are not allowed in the configuration
 * itself: they live in the file named by "secret_file". */
int os_config_check(const json_t *os);

/* Fills client options from a checked "openstack" configuration and its
 * secret (read from secret_file into *out_secret, which the caller frees
 * with os_secret_free).  Pointers in `out` borrow from `os` and the
 * secret. */
int os_config_client_opts(struct os_client_opts *out, json_t **out_secret, const json_t *os);
void os_secret_free(json_t *secret);

/* The "openstack" configuration of cloud `cloud` in clouds.yaml `path`
 * (libyaml), with its secrets moved to *out_secret ({"password": ...}).
 * CAL_ENOTFOUND names the clouds the file has. */
int os_config_from_clouds_yaml(json_t **out, json_t **out_secret, const char *path,
			       const char *cloud);
/* Same from OS_* variables (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD,
 * OS_PROJECT_NAME, OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME,
 * OS_REGION_NAME, OS_INTERFACE, OS_CACERT, OS_AUTH_TYPE,
 * OS_APPLICATION_CREDENTIAL_ID/_NAME/_SECRET, OS_USER_ID, OS_PROJECT_ID). */
int os_config_from_env(json_t **out, json_t **out_secret, char *const *envp);

/* Writes a secret ({"password"} or {"application_credential_secret"}) to
 * `path`, created 0600 (its directory 0700) and replaced atomically. */
int os_secret_write(const char *path, const json_t *secret);
/* Reads it back; CAL_EPERM when the file is readable by others than its
 * owner (a secret that leaked is refused, as ssh does). */
int os_secret_read(json_t **out, const char *path);

#endif
