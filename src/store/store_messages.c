/* store_messages.c - messages (calipso-model.md "Messages"): what the
 * scan queue, the scheduler, and later monitoring and event listeners
 * tell operators, each about an environment and often about one object.
 *
 * A message is a JSON document {"environment", "source_system", "level",
 * "related_object", "related_object_type", "display_context", "message",
 * "timestamp", "origin_id", "origin_type", ...}; the fields queries filter
 * on are also columns (indexed by environment and time, and by related
 * object).  Ids are numbers given by the database.
 *
 * Trust: documents come from the server's own code; the store checks the
 * fields it indexes.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

const char st_ddl_messages[] =
	"CREATE TABLE messages ("
	"  id {ID},"
	"  env {KEY} NOT NULL,"
	"  source_system {KEY} NOT NULL,"
	"  level {KEY} NOT NULL,"
	"  related_object {KEY},"
	"  related_object_type {KEY},"
	"  ts BIGINT NOT NULL,"
	"  received BIGINT NOT NULL,"
	"  viewed BIGINT NOT NULL,"
	"  doc TEXT NOT NULL);"
	"CREATE INDEX messages_env_ts ON messages (env, ts);"
	"CREATE INDEX messages_related ON messages (env, related_object);";

int cal_store_message_add(cal_store *st, int64_t *out_id, const json_t *msg)
{
	const char *env = cal_json_str(msg, "environment");
	const char *level = cal_json_str(msg, "level");
	const char *source = cal_json_str(msg, "source_system");
	int64_t now = cal_time_now_us(), ts = now, id = 0;
	json_t *doc;
	char *text;
	int rc;

	if (out_id)
		*out_id = 0;
	if (!json_is_object(msg) || !*env || !*level || !*source)
		return cal_error_set(CAL_EINVALID, "a message needs an environment, a level and "
				     "a source_system");
	if (json_object_get(msg, "timestamp") &&
	    cal_time_parse(&ts, cal_json_str(msg, "timestamp")))
		return cal_error_set(CAL_EINVALID, "message timestamp '%s' is not a time",
				     cal_json_str(msg, "timestamp"));
	/* The stored document carries its own times in the usual text form. */
	doc = json_deep_copy(msg);
	if (!doc)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	json_object_del(doc, "id");
	json_object_set_new(doc, "timestamp", st_json_time(ts, true));
	json_object_set_new(doc, "received_timestamp", st_json_time(now, true));
	text = st_json_dump(doc);
	json_decref(doc);
	if (!text)
		return CAL_ENOMEM;
	rc = st_insert_returning(st, &id,
			  "INSERT INTO messages (env, source_system, level, related_object, "
			  "related_object_type, ts, received, viewed, doc) "
			  "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) RETURNING id",
			  "tttttiit", env, source, level, cal_json_str_or_null(msg, "related_object"),
			  cal_json_str_or_null(msg, "related_object_type"), ts, now, text);
	free(text);
	if (rc == 0 && out_id)
		*out_id = id;
	return rc;
}

static int msg_row(cal_store *st, json_t **out, db_stmt *s, void *arg)
{
	json_t *doc = NULL;
	int rc = st_json_load(st, &doc, db_col_text(s, 1), "message");

	(void)arg;

	if (rc)
		return rc;
	if (json_object_set_new(doc, "id", json_integer(db_col_int64(s, 0))) ||
	    json_object_set_new(doc, "viewed", json_boolean(db_col_int64(s, 2) != 0))) {
		json_decref(doc);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	*out = doc;
	return 0;
}

int cal_store_messages(cal_store *st, json_t **out, const struct cal_message_query *q)
{
	struct st_sql sql;
	int rc;

	st_sql_init(&sql);
	st_sql_add(&sql, "SELECT id, doc, viewed FROM messages WHERE 1 = 1");
	if (q->env)
		st_sql_text(&sql, " AND env = ?", q->env);
	if (q->id > 0)
		st_sql_int(&sql, " AND id = ?", q->id);
	if (q->source_system)
		st_sql_text(&sql, " AND source_system = ?", q->source_system);
	if (q->level)
		st_sql_text(&sql, " AND level = ?", q->level);
	if (q->related_object)
		st_sql_text(&sql, " AND related_object = ?", q->related_object);
	if (q->related_object_type)
		st_sql_text(&sql, " AND related_object_type = ?", q->related_object_type);
	if (q->start > 0)
		st_sql_int(&sql, " AND ts >= ?", q->start);
	if (q->end > 0)
		st_sql_int(&sql, " AND ts <= ?", q->end);
	st_sql_add(&sql, " ORDER BY ts DESC, id DESC");
	st_sql_int(&sql, " LIMIT ?", q->limit > 0 ? q->limit : 1000);
	st_sql_int(&sql, " OFFSET ?", q->offset > 0 ? q->offset : 0);
	rc = st_sql_rows(st, out, &sql, msg_row, NULL);
	st_sql_fini(&sql);
	return rc;
}

int cal_store_message_get(cal_store *st, json_t **out, int64_t id)
{
	struct cal_message_query q = { .id = id, .limit = 1 };
	json_t *arr;
	int rc;

	*out = NULL;
	rc = cal_store_messages(st, &arr, &q);
	if (rc)
		return rc;
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return cal_error_set(CAL_ENOTFOUND, "message %lld not found", (long long)id);
	}
	*out = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	return 0;
}

int cal_store_message_set_viewed(cal_store *st, int64_t id, bool viewed)
{
	int64_t n = 0;
	int rc = st_exec(st, &n, "UPDATE messages SET viewed = ? WHERE id = ?", "ii",
			(int64_t)(viewed ? 1 : 0), id);

	if (rc == 0 && n == 0)
		rc = cal_error_set(CAL_ENOTFOUND, "message %lld not found", (long long)id);
	return rc;
}

/* {"<value>": count} of one column, for all environments or one. */
static int msg_group(cal_store *st, json_t *into, const char *sql_all, const char *sql_env,
		     const char *env)
{
	db_stmt *s;
	int rc = db_prepare(st->db, &s, env ? sql_env : sql_all);

	if (rc == 0 && env)
		rc = st_bind_fmt(s, "t", env);
	while (rc == 0 && (rc = db_step(s)) == DB_ROW) {
		rc = 0;
		if (json_object_set_new(into, db_col_text(s, 0), json_integer(db_col_int64(s, 1))))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	}
	db_reset(s);
	return rc < 0 ? rc : 0;
}

int cal_store_message_counts(cal_store *st, json_t **out, const char *env)
{
	json_t *levels = json_object(), *envs = json_object();
	int rc;

	*out = NULL;
	if (!levels || !envs) {
		json_decref(levels);
		json_decref(envs);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	rc = msg_group(st, levels, "SELECT level, COUNT(*) FROM messages GROUP BY level",
		       "SELECT level, COUNT(*) FROM messages WHERE env = ? GROUP BY level", env);
	if (rc == 0)
		rc = msg_group(st, envs, "SELECT env, COUNT(*) FROM messages GROUP BY env",
			       "SELECT env, COUNT(*) FROM messages WHERE env = ? GROUP BY env",
			       env);
	if (rc) {
		json_decref(levels);
		json_decref(envs);
		return rc;
	}
	*out = json_pack("{s:o, s:o}", "levels", levels, "environments", envs);
	return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
}
