/* pipeline.c - runs a scan through every stage and records what happened.
 *
 * A source that fails keeps its last good report section: the pipeline
 * stores every section a source delivers and, when the source does not
 * answer next time, builds from the stored one instead.  The builder thus
 * always sees a complete picture, ids stay the same, and the scan record
 * says which sources answered and which data is older (kept_from).
 */
#include "pipeline.h"

#include "analyze/analyze.h"

#include <stdlib.h>
#include <string.h>

/* Report section written by each source. */
static const char *pl_section_of(const char *source)
{
	if (strcmp(source, "netlink") == 0)
		return "kernel";
	if (strcmp(source, "ovsdb") == 0)
		return "ovs";
	if (strcmp(source, "libvirt") == 0)
		return "libvirt";
	if (strcmp(source, "openstack") == 0)
		return "openstack";
	return NULL;
}

int cal_pipeline_env_config(cal_store *st, json_t **out, const char *env, bool create_default)
{
	int rc = cal_store_env_get(st, out, env);
	json_t *def;

	if (rc != CAL_ENOTFOUND || !create_default)
		return rc;
	def = cal_env_config_default(env);
	if (!def)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = cal_env_config_check(def);
	if (rc == 0)
		rc = cal_store_env_put(st, env, def, false);
	if (rc) {
		json_decref(def);
		return rc;
	}
	cal_log_info("scan", "environment '%s' created: this machine as one host", env);
	*out = def;
	return 0;
}

/* Replaces failed sources' sections with the last good ones and saves the
 * fresh ones.  Fills *out_sources with one entry per (host, source). */
static int pl_keep_last_good(cal_store *st, const char *env, json_t *reports, int64_t ts,
			     bool keep, json_t **out_sources)
{
	json_t *saved = NULL, *summary = json_array(), *fresh = json_array();
	size_t i, k;
	json_t *r, *s;
	int rc = 0;

	/* The stored sections of the sources that did not answer, only. */
	if (keep) {
		json_t *failed = json_array();

		json_array_foreach(reports, i, r) {
			json_array_foreach(json_object_get(r, "sources"), k, s) {
				if (strcmp(cal_json_str(s, "status"), "error") == 0 &&
				    pl_section_of(cal_json_str(s, "name")))
					json_array_append_new(failed,
							      json_pack("{s:s, s:s}", "host",
									cal_json_str(r, "host"),
									"source",
									cal_json_str(s, "name")));
			}
		}
		rc = cal_store_sections_get(st, &saved, env, failed);
		json_decref(failed);
		if (rc)
			goto out;
	}
	json_array_foreach(reports, i, r) {
		const char *host = cal_json_str(r, "host");
		int64_t read_at = ts;

		/* Sections keep the time their source was read. */
		if (cal_time_parse(&read_at, cal_json_str(r, "scanned_at")))
			read_at = ts;

		json_array_foreach(json_object_get(r, "sources"), k, s) {
			const char *name = cal_json_str(s, "name");
			const char *status = cal_json_str(s, "status");
			const char *section = pl_section_of(name);
			json_t *entry = json_deep_copy(s);

			json_object_set_new(entry, "host", json_string(host));
			if (strcmp(status, "ok") == 0 || strcmp(status, "partial") == 0) {
				if (section && json_object_get(r, section))
					json_array_append_new(
						fresh, json_pack("{s:s, s:s, s:I, s:O}", "host", host,
								 "source", name, "ts",
								 (json_int_t)read_at, "doc",
								 json_object_get(r, section)));
			} else if (strcmp(status, "error") == 0) {
				json_t *old = json_object_get(json_object_get(saved, host), name);

				if (keep && section && old && json_object_get(old, "doc")) {
					char when[CAL_TIME_BUFSZ];

					json_object_set(r, section, json_object_get(old, "doc"));
					cal_time_format(when, cal_json_int(old, "ts", 0));
					json_object_set_new(entry, "kept_from", json_string(when));
					/* The builder stamps these objects with the time
					 * their data was read, not now. */
					json_object_set_new(s, "kept_from", json_string(when));
				}
			}
			json_array_append_new(summary, entry);
		}
	}
	/* Every fresh section in one transaction, not one per host. */
	rc = cal_store_sections_put(st, env, fresh);
	if (rc)
		goto out;
	*out_sources = summary;
	summary = NULL;
out:
	json_decref(saved);
	json_decref(summary);
	json_decref(fresh);
	return rc;
}

/* Attributes set by external systems (PATCH /inventory) are not in any
 * source's report: put them back on the rebuilt objects, so that a scan
 * never wipes them (store_external.c). */
static int pl_carry_external(cal_store *st, const char *env, json_t *objects)
{
	json_t *ext = NULL, *attrs, *obj;
	const char *id;
	int rc = cal_store_externals(st, &ext, env);

	json_object_foreach(ext, id, attrs)
		if ((obj = json_object_get(objects, id)) && json_object_set(obj, "external", attrs))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	json_decref(ext);
	return rc;
}

int cal_pipeline_commit_reports(cal_store *st, json_t *reports, const json_t *config, int64_t ts,
				int64_t scan_id, bool clear, bool inventory_only,
				struct cal_commit_stats *stats, json_t **out_sources)
{
	const char *env = cal_json_str(config, "name");
	json_t *objects = NULL, *links = NULL, *sources = NULL;
	struct cal_commit c = { 0 };
	int rc;

	rc = pl_keep_last_good(st, env, reports, ts, !clear, &sources);
	if (rc)
		goto out;
	rc = cal_build_objects(&objects, env, reports, config);
	if (rc == 0)
		rc = pl_carry_external(st, env, objects);
	if (rc)
		goto out;
	/* The reports are no longer needed: release them before the links and
	 * the commit, which are the memory peak of a scan. */
	json_array_clear(reports);
	if (!inventory_only) {
		rc = cal_link_objects(&links, env, objects);
		if (rc)
			goto out;
	}
	c.env = env;
	c.ts = ts;
	c.scan_id = scan_id;
	c.objects = objects;
	c.links = links; /* NULL: the stored links stay as they are */
	/* Sections are complete (fresh or kept), so what is absent is gone;
	 * with `clear`, failed sources' data is not kept and goes too. */
	c.clear = true;
	rc = cal_store_commit(st, &c, stats);
	if (rc)
		goto out;
	if (out_sources) {
		*out_sources = sources;
		sources = NULL;
	}
out:
	json_decref(objects);
	json_decref(links);
	json_decref(sources);
	return rc;
}

static json_t *pl_stats_json(const struct cal_commit_stats *s)
{
	return json_pack("{s:{s:i, s:i, s:i, s:i}, s:{s:i, s:i, s:i, s:i}}", "objects", "added",
			 s->objects_added, "changed", s->objects_changed, "removed",
			 s->objects_removed, "unchanged", s->objects_unchanged, "links", "added",
			 s->links_added, "changed", s->links_changed, "removed", s->links_removed,
			 "unchanged", s->links_unchanged);
}

/* Links recomputed from the live objects: nothing is discovered.  The
 * commit carries no object and no answered source, so objects stay; the
 * links are replaced as a whole. */
static int pl_links_only(cal_store *st, const char *env, json_t **out_counts)
{
	struct cal_query q = { .env = env };
	struct cal_commit c = { 0 };
	struct cal_commit_stats stats = { 0 };
	json_t *arr = NULL, *objects = json_object(), *links = NULL, *answered = json_array(), *o;
	size_t i;
	int rc;

	*out_counts = NULL;
	rc = objects && answered ? cal_store_objects(st, &arr, &q)
				 : cal_error_set(CAL_ENOMEM, "out of memory");
	json_array_foreach(arr, i, o)
		if (rc == 0 && json_object_set(objects, cal_json_str(o, CAL_F_ID), o))
			rc = cal_error_set(CAL_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cal_link_objects(&links, env, objects);
	if (rc == 0) {
		c.env = env;
		c.ts = cal_time_now_us();
		c.answered = answered;
		c.links = links;
		rc = cal_store_commit(st, &c, &stats);
	}
	if (rc == 0)
		rc = cal_analyze_refresh(st, env, stats.ts, NULL);
	if (rc == 0)
		*out_counts = json_pack("{s:{s:i, s:i, s:i, s:i}}", "links", "added",
					stats.links_added, "changed", stats.links_changed,
					"removed", stats.links_removed, "unchanged",
					stats.links_unchanged);
	json_decref(arr);
	json_decref(objects);
	json_decref(links);
	json_decref(answered);
	return rc;
}

static int pl_cliques_only(cal_store *st, const char *env, json_t **out_counts)
{
	struct cal_clique_stats cs = { 0 };
	int rc = cal_clique_rebuild(st, env, 0, &cs);

	*out_counts = rc ? NULL
			 : json_pack("{s:{s:i, s:i, s:i}}", "cliques", "focal_points",
				     cs.focal_points, "recomputed", cs.recomputed, "changed",
				     cs.changed);
	return rc;
}

/* The derived-only scans (links, cliques), with the record's status moves. */
static int pl_run_derived(cal_store *st, json_t **out, int64_t id,
			  const struct cal_scan_request *req)
{
	json_t *counts = NULL, *result;
	int64_t t0 = cal_time_mono_us();
	int rc;

	rc = cal_store_scan_update(st, id, CAL_SCAN_RUNNING, NULL);
	if (rc)
		return rc;
	rc = req->links_only ? pl_links_only(st, req->env, &counts)
			     : pl_cliques_only(st, req->env, &counts);
	result = rc ? json_pack("{s:s, s:I}", "error", cal_error_last(), "duration_ms",
				(json_int_t)((cal_time_mono_us() - t0) / 1000))
		    : json_pack("{s:o, s:I}", "counts", counts, "duration_ms",
				(json_int_t)((cal_time_mono_us() - t0) / 1000));
	cal_store_scan_update(st, id, rc ? CAL_SCAN_FAILED : CAL_SCAN_COMPLETED, result);
	json_decref(result);
	if (out && rc == 0)
		return cal_store_scan_get(st, out, id);
	return rc;
}

int cal_pipeline_run(cal_store *st, json_t **out, int64_t scan_id,
		     const struct cal_scan_request *req, const struct cal_scan_progress *progress)
{
	json_t *config = NULL, *reports = NULL, *sources = NULL, *result = NULL, *derived = NULL;
	struct cal_commit_stats stats = { 0 };
	int64_t t0 = cal_time_mono_us(), ts;
	enum cal_scan_status status = CAL_SCAN_COMPLETED;
	size_t i;
	json_t *s;
	int rc, errors = 0, answered = 0;

	if (out)
		*out = NULL;
	if (req->links_only || req->cliques_only)
		return pl_run_derived(st, out, scan_id, req);
	rc = cal_store_scan_update(st, scan_id, CAL_SCAN_RUNNING, NULL);
	if (rc)
		return rc;
	rc = cal_pipeline_env_config(st, &config, req->env, true);
	if (rc)
		goto failed;
	ts = cal_time_now_us();
	rc = cal_scan_collect(&reports, config, progress);
	if (rc)
		goto failed;
	if (progress && progress->step)
		progress->step("store", 0, 1, progress->arg);
	rc = cal_pipeline_commit_reports(st, reports, config, ts, scan_id, req->clear,
					 req->inventory_only, &stats, &sources);
	if (rc)
		goto failed;
	json_array_foreach(sources, i, s) {
		const char *status_s = cal_json_str(s, "status");

		if (strcmp(status_s, "error") == 0 || strcmp(status_s, "partial") == 0)
			errors++;
		if (strcmp(status_s, "ok") == 0 || strcmp(status_s, "partial") == 0)
			answered++;
	}
	/* Cliques follow the commit; their failure keeps the inventory. */
	if (!req->inventory_only && cal_analyze_refresh(st, req->env, stats.ts, &derived)) {
		cal_log_error("graph", "%s", cal_error_last());
		derived = json_pack("{s:s}", "error", cal_error_last());
		errors++;
	}
	if (answered == 0)
		status = CAL_SCAN_FAILED;
	else if (errors)
		status = CAL_SCAN_COMPLETED_WITH_ERRORS;
	result = json_pack("{s:O, s:o, s:I, s:o*}", "sources", sources, "counts",
			   pl_stats_json(&stats), "duration_ms",
			   (json_int_t)((cal_time_mono_us() - t0) / 1000), "derived", derived);
	if (status == CAL_SCAN_FAILED)
		json_object_set_new(result, "error", json_string("no source answered"));
	rc = cal_store_scan_update(st, scan_id, status, result);
	if (rc == 0 && out)
		rc = cal_store_scan_get(st, out, scan_id);
	goto done;
failed:
	{
		/* Record why, then report the original error. */
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", cal_error_last());
		result = json_pack("{s:s, s:I}", "error", msg, "duration_ms",
				   (json_int_t)((cal_time_mono_us() - t0) / 1000));
		cal_store_scan_update(st, scan_id, CAL_SCAN_FAILED, result);
		cal_error_set(rc, "%s", msg);
	}
done:
	json_decref(config);
	json_decref(reports);
	json_decref(sources);
	json_decref(result);
	return rc;
}

int cal_pipeline_scan(cal_store *st, json_t **out, const struct cal_scan_request *req,
		      const struct cal_scan_progress *progress)
{
	json_t *request = json_pack("{s:s, s:b, s:b, s:b, s:b}", "environment", req->env, "clear",
				    req->clear, "scan_only_inventory", req->inventory_only,
				    "scan_only_links", req->links_only, "scan_only_cliques",
				    req->cliques_only);
	int64_t id;
	int rc;

	if (!request)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = cal_store_scan_create(st, &id, req->env, request);
	json_decref(request);
	if (rc)
		return rc;
	return cal_pipeline_run(st, out, id, req, progress);
}
