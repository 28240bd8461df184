/* store_version.c - a cheap fingerprint of what an environment's answers
 * are made of, for the server's response cache: it changes whenever a
 * commit is recorded (every scan, event or PATCH writes one, volatile-only
 * changes included) and whenever the clique engine brought the cliques up
 * to date or its clique types changed (clique_state).  Four indexed
 * lookups in one statement; never a scan of a table.
 */
#include "store/store_int.h"

#include <stdio.h>

int cal_store_env_version(cal_store *st, char *out, size_t outlen, const char *env)
{
	db_stmt *s;
	int rc;

	if (outlen)
		out[0] = '\0';
	rc = db_prepare(st->db, &s,
			"SELECT (SELECT MAX(ts) FROM commits WHERE env = ?), "
			"(SELECT done_ts FROM clique_state WHERE env = ?), "
			"(SELECT rev_ts FROM clique_state WHERE env = ?), "
			"(SELECT types_hash FROM clique_state WHERE env = ?)");
	if (rc)
		return rc;
	rc = st_bind_fmt(s, "tttt", env, env, env, env);
	if (rc == 0)
		rc = db_step(s);
	if (rc == DB_ROW) {
		snprintf(out, outlen, "%lld:%lld:%lld:%s", (long long)db_col_int64(s, 0),
			 (long long)db_col_int64(s, 1), (long long)db_col_int64(s, 2),
			 db_col_text(s, 3) ? db_col_text(s, 3) : "");
		rc = 0;
	} else if (rc == DB_DONE) {
		rc = cal_error_set(CAL_EIO, "database '%s': no version row", db_name(st->db));
	}
	db_reset(s);
	return rc;
}
