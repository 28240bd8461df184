/* store_env.c - environments: a name and its discovery configuration (a
 * JSON object, checked by discover's cal_env_config_check() before it gets
 * here; the store only requires an object).
 *
 * Removing an environment removes its configuration only: its inventory
 * history and scans stay, so that a later environment of the same name, or
 * an audit, still sees what was there.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static int env_check_name(const char *name)
{
	if (!name || !*name)
		return cal_error_set(CAL_EINVALID, "empty environment name");
	return 0;
}

int cal_store_env_put(cal_store *st, const char *name, const json_t *config, bool replace)
{
	char *text = NULL;
	int64_t now = cal_time_now_us();
	bool exists;
	int64_t unused;
	int rc;

	rc = env_check_name(name);
	if (rc)
		return rc;
	if (!json_is_object(config))
		return cal_error_set(CAL_EINVALID,
				     "configuration of environment '%s' is not a JSON object", name);
	text = st_json_dump(config);
	if (!text)
		return CAL_ENOMEM;
	rc = db_begin(st->db);
	if (rc)
		goto out;
	rc = db_query_int64(st->db, &unused, &exists,
			    "SELECT 1 FROM environments WHERE name = ?", 1,
			    (const char *const[]){ name });
	if (rc)
		goto out;
	if (exists && !replace) {
		rc = cal_error_set(CAL_EEXISTS, "environment '%s' already exists", name);
		goto out;
	}
	if (exists)
		rc = st_exec(st, NULL, "UPDATE environments SET config = ?, updated = ? WHERE "
			     "name = ?", "tit", text, now, name);
	else
		rc = st_exec(st, NULL, "INSERT INTO environments (name, config, created, updated) "
			     "VALUES (?, ?, ?, ?)", "ttii", name, text, now, now);
	if (rc == 0)
		rc = db_commit(st->db);
out:
	if (rc)
		db_rollback(st->db);
	free(text);
	return rc < 0 ? rc : 0;
}

static int env_config_row(cal_store *st, json_t **out, db_stmt *s, void *arg)
{
	(void)arg;
	return st_json_load(st, out, db_col_text(s, 0), "environment configuration");
}

int cal_store_env_get(cal_store *st, json_t **out, const char *name)
{
	int rc;

	*out = NULL;
	rc = env_check_name(name);
	if (rc == 0)
		rc = st_query_row(st, out, env_config_row, NULL, "SELECT config FROM environments "
				  "WHERE name = ?", "t", name);
	if (rc == CAL_ENOTFOUND)
		rc = cal_error_set(CAL_ENOTFOUND, "environment '%s' not found", name);
	return rc;
}

static int env_row(cal_store *st, json_t **out, db_stmt *s, void *arg)
{
	json_t *config;
	int rc;

	(void)arg;
	rc = st_json_load(st, &config, db_col_text(s, 1), "environment configuration");
	if (rc)
		return rc;
	*out = json_pack("{s:s, s:o, s:o, s:o}", "name", db_col_text(s, 0), "config", config,
			 "created", st_json_time(db_col_int64(s, 2), true), "updated",
			 st_json_time(db_col_int64(s, 3), true));
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}

int cal_store_env_list(cal_store *st, json_t **out)
{
	return st_query_rows(st, out, env_row, NULL, "SELECT name, config, created, updated FROM "
			     "environments ORDER BY name", "");
}

int cal_store_env_remove(cal_store *st, const char *name)
{
	int64_t n;
	int rc;

	rc = env_check_name(name);
	if (rc == 0)
		rc = st_exec(st, &n, "DELETE FROM environments WHERE name = ?", "t", name);
	if (rc == 0 && n == 0)
		rc = cal_error_set(CAL_ENOTFOUND, "environment '%s' not found", name);
	return rc;
}
