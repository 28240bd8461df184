/* clique_store.c - reading and writing clique rows (store_cliques.c has
 * the tables): the live hashes of an environment, the refresh state, and a
 * writer that turns recomputed cliques into revisions and member rows.
 *
 * Revisions work like the store's: a changed clique closes its live row at
 * the revision time and starts a new one; an unchanged one (same hash) is
 * not written at all; a clique whose focal point is gone is closed.  The
 * member index holds live cliques only and is rewritten per changed
 * clique.  All writes go through multi-row batches; the caller holds the
 * environment's transaction.
 */
#include "analyze/analyze_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int an_live_load(struct an_live *out, cal_store *st, const char *env)
{
	cal_store_stmt *s = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = an_intern_init(&out->ids);
	if (rc == 0)
		rc = cal_store_sql_prepare_fmt(st, &s, "SELECT focal_id, hash FROM cliques "
					       "WHERE env = ? AND valid_to IS NULL", "t", env);
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
		const char *id = cal_store_sql_text(s, 0), *h = cal_store_sql_text(s, 1);
		uint32_t i;

		rc = an_intern_add(&out->ids, &i, id, strlen(id));
		if (rc)
			break;
		if (i >= out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 1024;
			char (*hashes)[CAL_HASH_HEXSZ] = realloc(out->hashes, cap * sizeof(*hashes));

			if (!hashes) {
				rc = cal_error_set(CAL_ENOMEM, "out of memory");
				break;
			}
			out->hashes = hashes;
			out->cap = cap;
		}
		snprintf(out->hashes[i], CAL_HASH_HEXSZ, "%s", h ? h : "");
	}
	cal_store_sql_reset(s);
	if (rc < 0) {
		an_live_free(out);
		return rc;
	}
	return 0;
}

void an_live_free(struct an_live *l)
{
	an_intern_fini(&l->ids);
	free(l->hashes);
	memset(l, 0, sizeof(*l));
}

const char *an_live_hash(const struct an_live *l, const char *focal)
{
	int64_t i = an_intern_find(&l->ids, focal, strlen(focal));

	return i < 0 ? NULL : l->hashes[i];
}

int an_state_get(cal_store *st, const char *env, struct an_state *out)
{
	cal_store_stmt *s = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cal_store_sql_prepare_fmt(st, &s, "SELECT done_ts, rev_ts, types_hash FROM "
				       "clique_state WHERE env = ?", "t", env);
	if (rc == 0)
		rc = cal_store_sql_step(s);
	if (rc == CAL_STORE_ROW) {
		out->found = true;
		out->done_ts = cal_store_sql_int64(s, 0);
		out->rev_ts = cal_store_sql_int64(s, 1);
		snprintf(out->types_hash, sizeof(out->types_hash), "%s",
			 cal_store_sql_text(s, 2) ? cal_store_sql_text(s, 2) : "");
		rc = 0;
	}
	cal_store_sql_reset(s);
	return rc < 0 ? rc : 0;
}

int an_state_put(cal_store *st, const char *env, const struct an_state *s)
{
	return cal_store_sql_exec(st, "INSERT INTO clique_state (env, done_ts, rev_ts, types_hash) "
				  "VALUES (?, ?, ?, ?) ON CONFLICT (env) DO UPDATE SET "
				  "done_ts = excluded.done_ts, rev_ts = excluded.rev_ts, "
				  "types_hash = excluded.types_hash", "tiit", env, s->done_ts,
				  s->rev_ts, s->types_hash);
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

int an_writer_open(struct an_writer *w, cal_store *st, const char *env, int64_t ts)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->env = env;
	w->ts = ts;
	rc = cal_store_batch_new(&w->close, st,
				 "UPDATE cliques SET valid_to = ? WHERE env = ? AND valid_to IS NULL "
				 "AND focal_id IN (", "?", ", ", ")", 2, 1);
	if (rc == 0)
		rc = cal_store_batch_fixed_int64(w->close, 1, ts);
	if (rc == 0)
		rc = cal_store_batch_fixed_text(w->close, 2, env);
	if (rc == 0)
		rc = cal_store_batch_new(&w->insert, st,
					 "INSERT INTO cliques (env, focal_id, valid_from, valid_to, "
					 "hash, focal_type, clique_type, health, summary, doc) VALUES ",
					 "(?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)", ", ", "", 0, 9);
	if (rc == 0)
		rc = cal_store_batch_new(&w->mdel, st,
					 "DELETE FROM clique_members WHERE env = ? AND focal_id IN (",
					 "?", ", ", ")", 1, 1);
	if (rc == 0)
		rc = cal_store_batch_fixed_text(w->mdel, 1, env);
	if (rc == 0)
		rc = cal_store_batch_new(&w->mins, st,
					 "INSERT INTO clique_members (env, object_id, focal_id) VALUES ",
					 "(?, ?, ?)", ", ", "", 0, 3);
	if (rc) {
		an_writer_free(w);
		return rc;
	}
	/* A new revision goes in after the old one is closed (the unique
	 * live index), new members after the old ones are gone. */
	cal_store_batch_set_before(w->insert, w->close);
	cal_store_batch_set_before(w->mins, w->mdel);
	return 0;
}

int an_writer_put(struct an_writer *w, const struct an_graph *g, const struct an_clique *c,
		  const struct an_doc *d, bool was_live)
{
	const char *focal = an_intern_key(&g->ids, c->focal);
	int rc = 0;

	if (was_live) {
		rc = cal_store_batch_text_ref(w->close, focal);
		if (rc == 0)
			rc = cal_store_batch_text_ref(w->mdel, focal);
	}
	if (rc == 0)
		rc = cal_store_batch_text_ref(w->insert, w->env);
	if (rc == 0)
		rc = cal_store_batch_text_ref(w->insert, focal);
	if (rc == 0)
		rc = cal_store_batch_int64(w->insert, w->ts);
	if (rc == 0)
		rc = cal_store_batch_text(w->insert, d->hash);
	if (rc == 0)
		rc = cal_store_batch_text_ref(w->insert,
					      cal_type_name((enum cal_obj_type)g->type[c->focal]));
	if (rc == 0)
		rc = cal_store_batch_text_ref(w->insert, c->plan->id);
	if (rc == 0)
		rc = cal_store_batch_text_ref(w->insert, an_status_name(c->health));
	if (rc == 0)
		rc = cal_store_batch_text(w->insert, d->summary.s);
	if (rc == 0)
		rc = cal_store_batch_text(w->insert, d->doc.s);
	/* Ids live in the graph until the writer is flushed: no copies. */
	for (size_t k = 0; rc == 0 && k < c->nodes.n; k++) {
		rc = cal_store_batch_text_ref(w->mins, w->env);
		if (rc == 0)
			rc = cal_store_batch_text_ref(w->mins, an_intern_key(&g->ids, c->nodes.v[k]));
		if (rc == 0)
			rc = cal_store_batch_text_ref(w->mins, focal);
	}
	return rc;
}

int an_writer_remove(struct an_writer *w, const char *focal)
{
	int rc = cal_store_batch_text(w->close, focal);

	if (rc == 0)
		rc = cal_store_batch_text(w->mdel, focal);
	return rc;
}

int an_writer_flush(struct an_writer *w)
{
	int rc = cal_store_batch_flush(w->close);

	if (rc == 0)
		rc = cal_store_batch_flush(w->insert);
	if (rc == 0)
		rc = cal_store_batch_flush(w->mdel);
	if (rc == 0)
		rc = cal_store_batch_flush(w->mins);
	return rc;
}

void an_writer_free(struct an_writer *w)
{
	cal_store_batch_free(w->close);
	cal_store_batch_free(w->insert);
	cal_store_batch_free(w->mdel);
	cal_store_batch_free(w->mins);
	memset(w, 0, sizeof(*w));
}
