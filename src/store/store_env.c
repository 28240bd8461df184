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
	db_stmt *s = NULL;
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
	if (exists) {
		rc = db_prepare(st->db, &s,
				"UPDATE environments SET config = ?, updated = ? WHERE name = ?");
		if (rc == 0)
			rc = db_bind_text(s, 1, text);
		if (rc == 0)
			rc = db_bind_int64(s, 2, now);
		if (rc == 0)
			rc = db_bind_text(s, 3, name);
	} else {
		rc = db_prepare(st->db, &s,
				"INSERT INTO environments (name, config, created, updated) "
				"VALUES (?, ?, ?, ?)");
		if (rc == 0)
			rc = db_bind_text(s, 1, name);
		if (rc == 0)
			rc = db_bind_text(s, 2, text);
		if (rc == 0)
			rc = db_bind_int64(s, 3, now);
		if (rc == 0)
			rc = db_bind_int64(s, 4, now);
	}
	if (rc == 0)
		rc = db_step(s);
	db_reset(s);
	if (rc == 0)
		rc = db_commit(st->db);
out:
	if (rc)
		db_rollback(st->db);
	free(text);
	return rc < 0 ? rc : 0;
}

int cal_store_env_get(cal_store *st, json_t **out, const char *name)
{
	db_stmt *s;
	int rc;

	*out = NULL;
	rc = env_check_name(name);
	if (rc)
		return rc;
	rc = db_prepare(st->db, &s, "SELECT config FROM environments WHERE name = ?");
	if (rc)
		return rc;
	rc = db_bind_text(s, 1, name);
	if (rc == 0)
		rc = db_step(s);
	if (rc == DB_ROW)
		rc = st_json_load(st, out, db_col_text(s, 0), "environment configuration");
	else if (rc == DB_DONE)
		rc = cal_error_set(CAL_ENOTFOUND, "environment '%s' not found", name);
	db_reset(s);
	return rc;
}

int cal_store_env_list(cal_store *st, json_t **out)
{
	json_t *arr = json_array();
	db_stmt *s;
	int rc;

	*out = NULL;
	if (!arr)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = db_prepare(st->db, &s,
			"SELECT name, config, created, updated FROM environments ORDER BY name");
	if (rc) {
		json_decref(arr);
		return rc;
	}
	while ((rc = db_step(s)) == DB_ROW) {
		json_t *config, *e;

		rc = st_json_load(st, &config, db_col_text(s, 1), "environment configuration");
		if (rc)
			break;
		e = json_pack("{s:s, s:o, s:o, s:o}", "name", db_col_text(s, 0), "config", config,
			      "created", st_json_time(db_col_int64(s, 2), true), "updated",
			      st_json_time(db_col_int64(s, 3), true));
		if (!e || json_array_append_new(arr, e)) {
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
			break;
		}
	}
	db_reset(s);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

int cal_store_env_remove(cal_store *st, const char *name)
{
	db_stmt *s;
	int rc;

	rc = env_check_name(name);
	if (rc)
		return rc;
	rc = db_prepare(st->db, &s, "DELETE FROM environments WHERE name = ?");
	if (rc)
		return rc;
	rc = db_bind_text(s, 1, name);
	if (rc == 0)
		rc = db_step(s);
	if (rc == DB_DONE && db_changes(s) == 0)
		rc = cal_error_set(CAL_ENOTFOUND, "environment '%s' not found", name);
	db_reset(s);
	return rc < 0 ? rc : 0;
}
