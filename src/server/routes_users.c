/* routes_users.c - /users, for admins: list, add (name, password, roles),
 * change (password and/or roles) and remove API users.  Hashing runs on a
 * defer worker.  Passwords never come back.
 */
#include "server/server_int.h"

#include <stdlib.h>
#include <string.h>

static const struct srv_param us_params[] = {
	{ "name", SRV_P_STR, 0, NULL, 0, 0, "one user" },
	SRV_PARAM_END,
};

static void us_get(struct srv_req *r)
{
	json_t *out = NULL;
	int rc;

	if (r->p[0].set)
		rc = cal_store_user_get(r->st, &out, r->p[0].s, false);
	else
		rc = cal_store_user_list(r->st, &out);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, r->p[0].set ? out : json_pack("{s:o}", "users", out));
}

static const struct srv_field us_body[] = {
	{ "name", SRV_F_STR, true, NULL, "1-64 letters, digits, '.', '_', '-', '@'" },
	{ "password", SRV_F_STR, true, NULL, "8 to 1024 characters" },
	{ "roles", SRV_F_STRARRAY, false, NULL, "admin, view-env:ENV, edit-env:ENV" },
	{ NULL, 0, false, NULL, NULL },
};

static void us_create(struct srv_req *r)
{
	json_t *roles = json_object_get(r->json, "roles");
	json_t *empty = json_array(), *user = NULL;
	int rc;

	rc = cal_user_add(r->st, cal_json_str(r->json, "name"), cal_json_str(r->json, "password"),
			  roles ? roles : empty, false);
	json_decref(empty);
	if (rc == 0)
		rc = cal_store_user_get(r->st, &user, cal_json_str(r->json, "name"), false);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 201, user);
}

static void us_post(struct srv_req *r)
{
	srv_defer(r, us_create);
}

static const struct srv_param us_name_params[] = {
	{ "name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, "the user" },
	SRV_PARAM_END,
};

static const struct srv_field us_put_body[] = {
	{ "password", SRV_F_STR, false, NULL, "a new password (revokes the user's tokens)" },
	{ "roles", SRV_F_STRARRAY, false, NULL, "the new roles" },
	{ NULL, 0, false, NULL, NULL },
};

static void us_update(struct srv_req *r)
{
	const char *name = r->p[0].s;
	json_t *roles = json_object_get(r->json, "roles"), *user = NULL;
	int rc = 0;

	if (json_object_get(r->json, "password"))
		rc = cal_user_passwd(r->st, name, cal_json_str(r->json, "password"));
	if (rc == 0 && roles)
		rc = cal_user_set_roles(r->st, name, roles);
	if (rc == 0)
		rc = cal_store_user_get(r->st, &user, name, false);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, user);
}

static void us_put(struct srv_req *r)
{
	if (!json_object_get(r->json, "password") && !json_object_get(r->json, "roles")) {
		srv_reply_error(r, 400, "give a password, roles, or both");
		return;
	}
	srv_defer(r, us_update);
}

static void us_delete(struct srv_req *r)
{
	int rc;

	if (strcmp(r->p[0].s, r->user.name) == 0) {
		srv_reply_error(r, 409, "you cannot remove yourself");
		return;
	}
	rc = cal_store_user_remove(r->st, r->p[0].s);
	if (rc) {
		srv_reply_cal(r, rc);
		return;
	}
	srv_reply_json(r, 200, json_pack("{s:s}", "message", "user removed"));
}

const struct srv_route srv_routes_users[] = {
	{ "/users", SRV_GET, us_get, SRV_ADMIN, us_params, NULL, "API users", "auth" },
	{ "/users", SRV_POST, us_post, SRV_ADMIN, NULL, us_body, "add a user", "auth" },
	{ "/users", SRV_PUT, us_put, SRV_ADMIN, us_name_params, us_put_body,
	  "change a user's password or roles", "auth" },
	{ "/users", SRV_DELETE, us_delete, SRV_ADMIN, us_name_params, NULL, "remove a user",
	  "auth" },
	{ NULL, 0, NULL, 0, NULL, NULL, NULL, NULL },
};
