/* pipeline.h - one scan, end to end (DESIGN.md "One pipeline"):
 * sources -> host reports -> builder -> linker -> temporal store, and what
 * is derived afterwards.  The CLI (`calipso scan`) and the server's scan
 * queue both run scans through here, so a scan has the same effect
 * whichever way it was asked for.
 */
#ifndef CALIPSO_PIPELINE_H
#define CALIPSO_PIPELINE_H

#include "core/core.h"
#include "discover/discover.h"
#include "store/store.h"

struct cal_scan_request {
	const char *env;
	bool clear;           /* do not keep failed sources' last good data */
	/* At most one of these (the original API's scan_only_*): */
	bool inventory_only;  /* discover objects; links and cliques as they are */
	bool links_only;      /* links recomputed from the live objects, nothing read */
	bool cliques_only;    /* cliques recomputed, nothing read */
	const char *log_level;
};

/* The environment's configuration; for "local" (or any name) that does not
 * exist yet, `create_default` makes and stores the default one (this
 * machine as one host).  CAL_ENOTFOUND otherwise. */
int cal_pipeline_env_config(cal_store *st, json_t **out, const char *env, bool create_default);

/* Creates a scan record and runs it.  *out (may be NULL) receives the scan
 * record as cal_store_scan_get() returns it.  Returns 0 when the scan ran
 * (even completed_with_errors: look at the record's status), or an error
 * when it could not run at all (unknown environment, database). */
int cal_pipeline_scan(cal_store *st, json_t **out, const struct cal_scan_request *req,
		      const struct cal_scan_progress *progress);

/* Runs an existing pending scan (the server's queue). */
int cal_pipeline_run(cal_store *st, json_t **out, int64_t scan_id,
		     const struct cal_scan_request *req, const struct cal_scan_progress *progress);

/* Builds and links reports and commits them as of `ts`, keeping the last
 * good section of every source that failed (unless `clear`); with
 * `inventory_only` the stored links are left as they are.  `reports` is
 * emptied once built (to keep a scan's memory peak low).  Exposed for `calipso sim` and
 * the benchmarks, which feed generated reports. */
int cal_pipeline_commit_reports(cal_store *st, json_t *reports, const json_t *config, int64_t ts,
				int64_t scan_id, bool clear, bool inventory_only,
				struct cal_commit_stats *stats, json_t **out_sources);

#endif
