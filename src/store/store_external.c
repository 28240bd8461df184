/* store_external.c - attributes of inventory objects managed by systems
 * outside Calipso (a provisioning application naming VMs and ports): the
 * REST API's PATCH /inventory.
 *
 * They are kept twice, on purpose:
 *   - in `object_external` (env, id) -> JSON object, the source of truth,
 *     which discovery never writes;
 *   - in the object's own document under `external`, as a new revision
 *     written through cal_store_commit(), so that history, time travel and
 *     diffs see when a name was given.
 * A rescan rebuilds documents from the sources; the pipeline copies the
 * `object_external` attributes onto the rebuilt objects before it commits
 * (cal_store_externals()), so a scan never wipes them, and an object that
 * disappears and comes back gets them again.
 *
 * The two writes are two transactions: when the revision cannot be
 * written, the attributes are still stored and the next scan carries them.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

const char st_ddl_external[] =
	"CREATE TABLE object_external ("
	"  env {KEY} NOT NULL,"
	"  id {KEY} NOT NULL,"
	"  doc TEXT NOT NULL,"
	"  updated BIGINT NOT NULL,"
	"  updated_by TEXT,"
	"  PRIMARY KEY (env, id));";

static int ext_load(cal_store *st, json_t **out, const char *env, const char *id)
{
	db_stmt *s;
	int rc;

	*out = NULL;
	rc = db_prepare(st->db, &s, "SELECT doc FROM object_external WHERE env = ? AND id = ?");
	if (rc)
		return rc;
	rc = st_bind_fmt(s, "tt", env, id);
	if (rc == 0)
		rc = db_step(s);
	if (rc == DB_ROW)
		rc = st_json_load(st, out, db_col_text(s, 0), "external attributes");
	else if (rc == DB_DONE)
		rc = 0;
	db_reset(s);
	if (rc == 0 && !*out && !(*out = json_object()))
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	return rc;
}

/* Writes the merged attributes (deleting the row when none is left). */
static int ext_save(cal_store *st, const char *env, const char *id, const json_t *ext,
		    const char *by)
{
	char *text;
	int rc;

	if (json_object_size(ext) == 0)
		return st_exec(st, NULL, "DELETE FROM object_external WHERE env = ? AND id = ?",
			      "tt", env, id);
	text = st_json_dump(ext);
	if (!text)
		return CAL_ENOMEM;
	rc = st_exec(st, NULL,
		    "INSERT INTO object_external (env, id, doc, updated, updated_by) "
		    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (env, id) DO UPDATE SET "
		    "doc = excluded.doc, updated = excluded.updated, updated_by = excluded.updated_by",
		    "tttit", env, id, text, cal_time_now_us(), by);
	free(text);
	return rc;
}

int cal_store_object_set_external(cal_store *st, json_t **out, const char *env, const char *id,
				  const json_t *patch, const char *by)
{
	json_t *obj = NULL, *ext = NULL, *objects = NULL, *answered = NULL, *v;
	struct cal_commit c = { 0 };
	struct cal_commit_stats stats;
	const char *key;
	int rc;

	if (out)
		*out = NULL;
	if (!json_is_object(patch))
		return cal_error_set(CAL_EINVALID, "external attributes must be a JSON object");
	rc = cal_store_object_get(st, &obj, env, id, 0);
	if (rc)
		return rc;
	rc = db_begin(st->db);
	if (rc)
		goto out;
	rc = ext_load(st, &ext, env, id);
	if (rc == 0) {
		json_object_foreach((json_t *)patch, key, v) {
			if (json_is_null(v))
				json_object_del(ext, key);
			else if (json_object_set(ext, key, v))
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
		}
	}
	if (rc == 0)
		rc = ext_save(st, env, id, ext, by);
	if (rc == 0)
		rc = db_commit(st->db);
	if (rc) {
		db_rollback(st->db);
		goto out;
	}
	/* The revision: the live document (volatile fields included, so the
	 * side table of volatile state is left as it is) with `external`. */
	if (json_object_size(ext))
		rc = json_object_set(obj, "external", ext) ? CAL_ENOMEM : 0;
	else
		json_object_del(obj, "external");
	objects = json_object();
	answered = json_array();
	if (rc || !objects || !answered || json_object_set(objects, id, obj)) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	c.env = env;
	c.objects = objects;
	c.answered = answered;
	rc = cal_store_commit(st, &c, &stats);
	if (rc == 0 && out)
		rc = cal_store_object_get(st, out, env, id, 0);
out:
	json_decref(obj);
	json_decref(ext);
	json_decref(objects);
	json_decref(answered);
	return rc;
}

int cal_store_externals(cal_store *st, json_t **out, const char *env)
{
	json_t *map = json_object();
	db_stmt *s;
	int rc;

	*out = NULL;
	if (!map)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = db_prepare(st->db, &s, "SELECT id, doc FROM object_external WHERE env = ?");
	if (rc == 0)
		rc = st_bind_fmt(s, "t", env ? env : "");
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		json_t *doc;

		rc = st_json_load(st, &doc, db_col_text(s, 1), "external attributes");
		if (rc == 0 && json_object_set_new(map, db_col_text(s, 0), doc))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	db_reset(s);
	if (rc < 0) {
		json_decref(map);
		return rc;
	}
	*out = map;
	return 0;
}
