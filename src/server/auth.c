/* auth.c - who is asking, and may they: the token of a request
 * (X-Auth-Token, or "Authorization: Bearer" for tools such as Prometheus)
 * checked against the store on every request (so a revocation or a removed
 * user takes effect at once, on every server sharing the database), and
 * the roles of its user per environment:
 *   admin            everything, users, clique types;
 *   edit-env:ENV     read and change ENV (scans, schedules, PATCH, tests);
 *   view-env:ENV     read ENV.
 * Messages never include the token.
 */
#include "server/server_int.h"
#include "server/mhd_dl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void srv_user_clear(struct srv_user *u)
{
	json_decref(u->roles);
	memset(u, 0, sizeof(*u));
}

static bool au_is_token(const char *t)
{
	size_t n = 0;

	for (; t[n]; n++)
		if (!isxdigit((unsigned char)t[n]) || isupper((unsigned char)t[n]))
			return false;
	return n == 64;
}

int srv_auth_request(struct srv_req *r)
{
	const char *tok = srv_mhd()->lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Auth-Token");
	json_t *info = NULL;
	size_t i;
	json_t *role;
	int rc;

	if (!tok) {
		const char *a = srv_mhd()->lookup_connection_value(r->conn, MHD_HEADER_KIND,
							    MHD_HTTP_HEADER_AUTHORIZATION);

		if (a && strncasecmp(a, "Bearer ", 7) == 0)
			tok = a + 7;
	}
	if (!tok || !*tok)
		return srv_reply_error(r, 401, "authentication required: send a token in the "
				       "X-Auth-Token header (POST /auth/tokens issues one)");
	if (!au_is_token(tok))
		return srv_reply_error(r, 401, "invalid token");
	srv_token_hash(r->user.token_hash, tok);
	rc = cal_store_token_get(r->st, &info, r->user.token_hash);
	if (rc == CAL_ENOTFOUND)
		return srv_reply_error(r, 401, "invalid token");
	if (rc)
		return srv_reply_cal(r, rc);
	if (cal_json_int(info, "revoked", 0) > 0) {
		json_decref(info);
		return srv_reply_error(r, 401, "this token was revoked");
	}
	if (cal_json_int(info, "expires", 0) <= srv_now(r->srv)) {
		json_decref(info);
		return srv_reply_error(r, 401, "this token has expired: ask a new one "
				       "(POST /auth/tokens)");
	}
	snprintf(r->user.name, sizeof(r->user.name), "%s", cal_json_str(info, "user"));
	r->user.expires = cal_json_int(info, "expires", 0);
	r->user.roles = json_incref(json_object_get(info, "roles"));
	json_array_foreach(r->user.roles, i, role)
		if (strcmp(json_string_value(role) ? json_string_value(role) : "", "admin") == 0)
			r->user.admin = true;
	r->authenticated = true;
	json_decref(info);
	return 0;
}

bool srv_user_may(const struct srv_user *u, const char *env, bool edit)
{
	size_t i;
	json_t *role;

	if (u->admin)
		return true;
	if (!env)
		return false;
	json_array_foreach(u->roles, i, role) {
		const char *s = json_string_value(role);
		size_t n;

		if (!s)
			continue;
		if (strncmp(s, "edit-env:", 9) == 0)
			n = 9;
		else if (!edit && strncmp(s, "view-env:", 9) == 0)
			n = 9;
		else
			continue;
		if (strcmp(s + n, env) == 0)
			return true;
	}
	return false;
}

int srv_require_env(struct srv_req *r, const char *env, bool edit)
{
	char *e;

	if (srv_user_may(&r->user, env, edit))
		return 0;
	e = cal_str_escape(env ? env : "");
	srv_reply_error(r, 403, "user '%s' may not %s environment '%s' (needs the %s-env:%s role)",
			r->user.name, edit ? "change" : "read", e ? e : "?", edit ? "edit" : "view",
			e ? e : "?");
	free(e);
	return -1;
}
