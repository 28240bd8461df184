/* routes_auth.c - /auth/tokens, as in the original API:
 *   POST   {"auth": {"methods": ["credentials"], "credentials":
 *           {"username", "password"}}} or {"auth": {"methods": ["token"],
 *           "token": T}} issues a new token (shown once) with its expiry;
 *          "expires_in" (seconds) asks for a shorter life;
 *   GET    the caller's token: user, roles, expiry;
 *   DELETE revokes the caller's token (X-Auth-Token).
 * Logins run on a defer worker (Argon2id takes ~0.1 s and 64 MiB) after
 * the rate limiter allowed them; failures are counted per user name and
 * client address, and answered with one message whatever went wrong.
 */
#include "server/server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const au_methods[] = { "credentials", "token", NULL };

static const struct srv_field au_body[] = {
	{ "auth", SRV_F_OBJECT, true, NULL,
	  "{\"methods\": [\"credentials\"], \"credentials\": {\"username\", \"password\"}} or "
	  "{\"methods\": [\"token\"], \"token\": T}" },
	{ "env_name", SRV_F_STR, false, NULL, "accepted for compatibility; roles decide" },
	{ "expires_in", SRV_F_INT, false, NULL, "seconds, at most the server's token lifetime" },
	{ NULL, 0, false, NULL, NULL },
};

static const struct srv_field au_auth_fields[] = {
	{ "methods", SRV_F_STRARRAY, true, au_methods, NULL },
	{ "credentials", SRV_F_OBJECT, false, NULL, NULL },
	{ "token", SRV_F_STR, false, NULL, NULL },
	{ NULL, 0, false, NULL, NULL },
};

static const struct srv_field au_cred_fields[] = {
	{ "username", SRV_F_STR, true, NULL, NULL },
	{ "password", SRV_F_STR, true, NULL, NULL },
	{ NULL, 0, false, NULL, NULL },
};

static bool au_has_method(const json_t *auth, const char *m)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(auth, "methods"), i, v)
		if (strcmp(json_string_value(v), m) == 0)
			return true;
	return false;
}

/* Issues a token for `user` and answers 201. */
static void au_issue(struct srv_req *r, const json_t *user, const char *method)
{
	char token[65], hash[65], when[CAL_TIME_BUFSZ], until[CAL_TIME_BUFSZ];
	int64_t now = srv_now(r->srv), ttl = (int64_t)r->srv->opts.token_ttl_s * 1000000;
	json_int_t asked = cal_json_int(r->json, "expires_in", 0);
	int rc;

	if (asked > 0 && asked * 1000000 < ttl)
		ttl = (int64_t)asked * 1000000;
	srv_token_new(token, hash);
	rc = cal_store_token_put(r->st, hash, cal_json_str(user, "name"), method, now, now + ttl);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 201, json_pack("{s:s, s:s, s:s, s:s, s:s, s:O}", "token", token,
					 "issued_at", cal_time_format(when, now), "expires_at",
					 cal_time_format(until, now + ttl), "method", method, "user",
					 cal_json_str(user, "name"), "roles",
					 json_object_get(user, "roles")));
	memset(token, 0, sizeof(token));
}

static void au_login(struct srv_req *r)
{
	json_t *auth = json_object_get(r->json, "auth");
	json_t *cred = json_object_get(auth, "credentials");
	const char *name = cal_json_str(cred, "username");
	json_t *user = NULL;
	int rc;

	rc = cal_user_verify(r->st, &user, name, cal_json_str(cred, "password"));
	if (rc == CAL_EAUTH) {
		srv_ratelimit_fail(r->srv->rl, name, r->addr, cal_time_mono_us());
		cal_log_info("api", "failed login of '%s' from %s", name, r->addr);
		srv_reply_error(r, 401, "authentication failed: wrong user name or password");
		return;
	}
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_ratelimit_success(r->srv->rl, name);
	au_issue(r, user, "credentials");
	json_decref(user);
}

static void au_post(struct srv_req *r)
{
	json_t *auth = json_object_get(r->json, "auth");
	char err[512];
	int wait;

	if (cal_json_int(r->json, "expires_in", 1) <= 0) {
		srv_reply_error(r, 400, "expires_in must be a positive number of seconds");
		return;
	}
	if (srv_body_check(auth, au_auth_fields, "auth object", err, sizeof(err))) {
		srv_reply_error(r, 400, "%s", err);
		return;
	}
	if (au_has_method(auth, "credentials") && json_object_get(auth, "credentials")) {
		const char *name;

		if (srv_body_check(json_object_get(auth, "credentials"), au_cred_fields,
				   "credentials", err, sizeof(err))) {
			srv_reply_error(r, 400, "%s", err);
			return;
		}
		name = cal_json_str(json_object_get(auth, "credentials"), "username");
		wait = srv_ratelimit_check(r->srv->rl, name, r->addr, cal_time_mono_us());
		if (wait > 0) {
			r->retry_after = wait;
			srv_reply_error(r, 429, "too many failed logins: try again in %d s", wait);
			return;
		}
		srv_defer(r, au_login);
		return;
	}
	if (au_has_method(auth, "token") && json_object_get(auth, "token")) {
		/* A valid token buys a fresh one (same user, new expiry). */
		char hash[65];
		json_t *info = NULL, *user;
		const char *tok = cal_json_str(auth, "token");
		int rc;

		srv_token_hash(hash, tok);
		rc = cal_store_token_get(r->st, &info, hash);
		if (rc == 0 && (cal_json_int(info, "revoked", 0) > 0 ||
				cal_json_int(info, "expires", 0) <= srv_now(r->srv)))
			rc = CAL_EAUTH;
		if (rc == CAL_ENOTFOUND || rc == CAL_EAUTH) {
			json_decref(info);
			srv_reply_error(r, 401, "authentication failed: invalid, expired or revoked "
					"token");
			return;
		}
		if (rc) {
			srv_reply_cal(r, rc);
			return;
		}
		user = json_pack("{s:O, s:O}", "name", json_object_get(info, "user"), "roles",
				 json_object_get(info, "roles"));
		au_issue(r, user, "token");
		json_decref(user);
		json_decref(info);
		return;
	}
	srv_reply_error(r, 400, "the auth object needs credentials (methods [\"credentials\"]) "
			"or a token (methods [\"token\"])");
}

static void au_get(struct srv_req *r)
{
	char until[CAL_TIME_BUFSZ];

	srv_reply_json(r, 200, json_pack("{s:s, s:O, s:b, s:s}", "user", r->user.name, "roles",
					 r->user.roles, "admin", r->user.admin, "expires_at",
					 cal_time_format(until, r->user.expires)));
}

static void au_delete(struct srv_req *r)
{
	int rc = cal_store_token_revoke(r->st, r->user.token_hash, srv_now(r->srv));

	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:s}", "message", "token revoked"));
}

const struct srv_route srv_routes_auth[] = {
	{ "/auth/tokens", SRV_POST, au_post, SRV_PUBLIC, NULL, au_body,
	  "log in: a new token from credentials or from a valid token", "auth" },
	{ "/auth/tokens", SRV_GET, au_get, SRV_USER, NULL, NULL,
	  "the caller's token: user, roles, expiry", "auth" },
	{ "/auth/tokens", SRV_DELETE, au_delete, SRV_USER, NULL, NULL,
	  "revoke the caller's token", "auth" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
