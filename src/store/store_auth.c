/* store_auth.c - the server's users and tokens (src/server/auth.c).
 *
 * users:  name, an Argon2id password hash in libsodium's string form
 *         (never a password), roles (a JSON array of "admin",
 *         "view-env:NAME", "edit-env:NAME"), created/updated times.
 * tokens: the BLAKE2b hash of a token (the token itself is shown once to
 *         its owner and never stored), its user, how it was obtained, when
 *         it was issued, when it expires and when it was revoked.
 * Removing a user removes its tokens in the same transaction.
 *
 * Trust: names and hashes are checked by the server before they get here;
 * the store only requires them non-empty.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

const char st_ddl_auth[] =
	"CREATE TABLE users ("
	"  name {KEY} PRIMARY KEY,"
	"  password_hash TEXT NOT NULL,"
	"  roles TEXT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  updated BIGINT NOT NULL);"
	"CREATE TABLE tokens ("
	"  hash {KEY} PRIMARY KEY,"
	"  username {KEY} NOT NULL,"
	"  method TEXT NOT NULL,"
	"  issued BIGINT NOT NULL,"
	"  expires BIGINT NOT NULL,"
	"  revoked BIGINT);"
	"CREATE INDEX tokens_user ON tokens (username);"
	"CREATE INDEX tokens_expires ON tokens (expires);";

static int au_check_roles(const json_t *roles)
{
	size_t i;
	json_t *r;

	if (!json_is_array(roles))
		return cal_error_set(CAL_EINVALID, "roles must be a JSON array of strings");
	json_array_foreach(roles, i, r)
		if (!json_is_string(r))
			return cal_error_set(CAL_EINVALID, "roles must be a JSON array of strings");
	return 0;
}

int cal_store_user_put(cal_store *st, const char *name, const char *password_hash,
		       const json_t *roles, bool replace)
{
	int64_t now = cal_time_now_us(), n;
	char *text;
	int rc;

	if (!name || !*name)
		return cal_error_set(CAL_EINVALID, "empty user name");
	if (!password_hash || !*password_hash)
		return cal_error_set(CAL_EINVALID, "user '%s' without a password hash", name);
	rc = au_check_roles(roles);
	if (rc)
		return rc;
	text = st_json_dump(roles);
	if (!text)
		return CAL_ENOMEM;
	if (replace)
		rc = st_exec(st, &n,
			    "INSERT INTO users (name, password_hash, roles, created, updated) "
			    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
			    "password_hash = excluded.password_hash, roles = excluded.roles, "
			    "updated = excluded.updated",
			    "tttii", name, password_hash, text, now, now);
	else
		rc = st_exec(st, &n,
			    "INSERT INTO users (name, password_hash, roles, created, updated) "
			    "VALUES (?, ?, ?, ?, ?)",
			    "tttii", name, password_hash, text, now, now);
	free(text);
	if (rc == CAL_EEXISTS)
		return cal_error_set(CAL_EEXISTS, "user '%s' already exists", name);
	return rc;
}

/* {"name", "roles", "created", "updated"} and, when `arg` points to a
 * true bool, "password_hash". */
static int au_user_row(cal_store *st, json_t **out, db_stmt *s, void *arg)
{
	bool with_hash = *(const bool *)arg;
	json_t *roles = NULL;
	int rc = st_json_load(st, &roles, db_col_text(s, 2), "user roles");

	if (rc)
		return rc;
	*out = json_pack("{s:s, s:o, s:o, s:o}", "name", db_col_text(s, 0), "roles", roles,
			 "created", st_json_time(db_col_int64(s, 3), true), "updated",
			 st_json_time(db_col_int64(s, 4), true));
	if (*out && with_hash &&
	    json_object_set_new(*out, "password_hash", json_string(db_col_text(s, 1)))) {
		json_decref(*out);
		*out = NULL;
	}
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

#define AU_USER_COLUMNS "name, password_hash, roles, created, updated"

int cal_store_user_get(cal_store *st, json_t **out, const char *name, bool with_hash)
{
	int rc = st_query_row(st, out, au_user_row, &with_hash, "SELECT " AU_USER_COLUMNS
			      " FROM users WHERE name = ?", "t", name ? name : "");

	if (rc == CAL_ENOTFOUND)
		rc = cal_error_set(CAL_ENOTFOUND, "user '%s' not found", name ? name : "");
	return rc;
}

int cal_store_user_list(cal_store *st, json_t **out)
{
	bool with_hash = false;

	return st_query_rows(st, out, au_user_row, &with_hash, "SELECT " AU_USER_COLUMNS
			     " FROM users ORDER BY name", "");
}

int cal_store_user_count(cal_store *st, int64_t *out)
{
	return db_query_int64(st->db, out, NULL, "SELECT COUNT(*) FROM users", 0, NULL);
}

int cal_store_user_remove(cal_store *st, const char *name)
{
	int64_t n = 0;
	int rc;

	rc = db_begin(st->db);
	if (rc)
		return rc;
	rc = st_exec(st, NULL, "DELETE FROM tokens WHERE username = ?", "t", name ? name : "");
	if (rc == 0)
		rc = st_exec(st, &n, "DELETE FROM users WHERE name = ?", "t", name ? name : "");
	if (rc == 0 && n == 0)
		rc = cal_error_set(CAL_ENOTFOUND, "user '%s' not found", name ? name : "");
	if (rc == 0)
		rc = db_commit(st->db);
	if (rc)
		db_rollback(st->db);
	return rc;
}

int cal_store_token_put(cal_store *st, const char *token_hash, const char *user,
			const char *method, int64_t issued, int64_t expires)
{
	int rc;

	if (!token_hash || !*token_hash || !user || !*user)
		return cal_error_set(CAL_EINVALID, "token without a hash or a user");
	rc = st_exec(st, NULL,
		    "INSERT INTO tokens (hash, username, method, issued, expires, revoked) "
		    "VALUES (?, ?, ?, ?, ?, NULL)",
		    "tttii", token_hash, user, method ? method : "credentials", issued, expires);
	return rc;
}

static int au_token_row(cal_store *st, json_t **out, db_stmt *s, void *arg)
{
	json_t *roles = NULL;
	int rc = st_json_load(st, &roles, db_col_text(s, 5), "user roles");

	(void)arg;
	if (rc)
		return rc;
	*out = json_pack("{s:s, s:s, s:I, s:I, s:I, s:o}", "user", db_col_text(s, 0), "method",
			 db_col_text(s, 1), "issued", (json_int_t)db_col_int64(s, 2), "expires",
			 (json_int_t)db_col_int64(s, 3), "revoked",
			 (json_int_t)(db_col_is_null(s, 4) ? 0 : db_col_int64(s, 4)), "roles",
			 roles);
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

int cal_store_token_get(cal_store *st, json_t **out, const char *token_hash)
{
	int rc = st_query_row(st, out, au_token_row, NULL,
			      "SELECT t.username, t.method, t.issued, t.expires, t.revoked, "
			      "u.roles FROM tokens t JOIN users u ON u.name = t.username "
			      "WHERE t.hash = ?", "t", token_hash ? token_hash : "");

	if (rc == CAL_ENOTFOUND)
		rc = cal_error_set(CAL_ENOTFOUND, "unknown token");
	return rc;
}

int cal_store_token_revoke(cal_store *st, const char *token_hash, int64_t now)
{
	int64_t n = 0;
	int rc = st_exec(st, &n, "UPDATE tokens SET revoked = ? WHERE hash = ? AND revoked IS NULL",
			"it", now, token_hash ? token_hash : "");

	if (rc == 0 && n == 0)
		rc = cal_error_set(CAL_ENOTFOUND, "unknown or already revoked token");
	return rc;
}

int cal_store_token_revoke_user(cal_store *st, const char *user, int64_t now)
{
	return st_exec(st, NULL, "UPDATE tokens SET revoked = ? WHERE username = ? AND "
				"revoked IS NULL", "it", now, user ? user : "");
}

int cal_store_token_purge(cal_store *st, int64_t before, int64_t *out_removed)
{
	int64_t n = 0;
	int rc = st_exec(st, &n, "DELETE FROM tokens WHERE expires < ? OR revoked < ?", "ii", before,
			before);

	if (out_removed)
		*out_removed = n;
	return rc;
}
