/* server.h - `calipso serve`: the REST API (docs/api.md), authentication,
 * the scan queue and the scheduler, on the same store and pipeline as the
 * CLI (DESIGN.md "Processes").
 *
 * cal_server_run() blocks until SIGTERM or SIGINT, then finishes the
 * requests in flight, lets a running scan end, stops the scheduler and
 * returns.  Everything else here is what the CLI shares with the server:
 * users (`calipso user`), cron expressions and time zones (schedules).
 *
 * Conventions: 0 or a negative CAL_E* code with cal_error_last(); the
 * caller owns what comes back through `out`.
 */
#ifndef CALIPSO_SERVER_H
#define CALIPSO_SERVER_H

#include <stdio.h>

#include "core/core.h"
#include "store/store.h"

#define CAL_SERVER_DEFAULT_LISTEN "127.0.0.1:8747"

struct cal_server_opts {
	const char *db;          /* store URI (cal_store_open()) */
	const char *listen;      /* "ADDR:PORT", "[V6ADDR]:PORT"; port 0 = a free one */
	const char *tls_cert;    /* PEM files: HTTPS when both are set */
	const char *tls_key;
	const char *ui_dir;      /* static files served at /; NULL = the default
				  * (installed, else the source tree's ui/dist),
				  * "" = none */
	const char *access_log;  /* file path, "-" = stdout, "off"; NULL = stderr */
	/* Test facility: a file holding the current time (RFC 3339 or
	 * @epoch), re-read on every scheduler tick; schedules and token
	 * expiry follow it instead of the system clock. */
	const char *clock_file;
	int threads;             /* HTTP worker threads; <= 0: 2 per CPU, at least 4 */
	int scan_workers;        /* scans run in parallel (one per environment); <= 0: 2 */
	int max_connections;     /* <= 0: 1024 */
	int timeout_s;           /* idle connection timeout; <= 0: 30 */
	size_t max_body;         /* largest request body; 0: 1 MiB */
	int token_ttl_s;         /* token lifetime; <= 0: 12 hours */
	bool no_scheduler;
	FILE *out;               /* "listening on ..." and the first admin's password;
				  * NULL = stdout */
};

/* Runs the server until SIGTERM/SIGINT (blocked in the calling thread and
 * every thread it starts).  Fails before serving with CAL_EINVALID (bad
 * option), CAL_EIO (cannot listen, cannot open the store or TLS files). */
int cal_server_run(const struct cal_server_opts *opts);

/* ------------------------------------------------------------------ */
/* Users (users.c)                                                     */
/* ------------------------------------------------------------------ */

/* User names: 1-64 of letters, digits, '.', '_', '-', '@'.  Roles: "admin",
 * "view-env:ENV", "edit-env:ENV" (edit implies view).  Passwords: 8 to
 * 1024 bytes. */
int cal_user_check_name(const char *name);
int cal_user_check_roles(const json_t *roles);
int cal_user_check_password(const char *password);

/* Hashes the password (Argon2id, libsodium's interactive limits) and
 * stores the user.  CAL_EEXISTS unless replace. */
int cal_user_add(cal_store *st, const char *name, const char *password, const json_t *roles,
		 bool replace);
/* New password (and every token of the user revoked). */
int cal_user_passwd(cal_store *st, const char *name, const char *password);
/* New roles, keeping the password. */
int cal_user_set_roles(cal_store *st, const char *name, const json_t *roles);
/* CAL_EAUTH when the user is unknown or the password wrong (the same
 * message either way, and the same time spent); *out_user (may be NULL)
 * gets the user record. */
int cal_user_verify(cal_store *st, json_t **out_user, const char *name, const char *password);
/* When the store has no user: creates "admin" with a random password
 * returned in *out_password (malloc'ed, shown once).  *out_password is
 * NULL when users exist. */
int cal_user_bootstrap(cal_store *st, char **out_password);

/* ------------------------------------------------------------------ */
/* Time zones (tz.c) and cron expressions (cron.c)                      */
/* ------------------------------------------------------------------ */

typedef struct cal_tz cal_tz;

/* Loads a zone from $TZDIR or /usr/share/zoneinfo ("UTC", "Europe/Paris").
 * CAL_EINVALID for a name that is not a zone. */
int cal_tz_load(cal_tz **out, const char *name);
/* Pure: a TZif file's bytes (RFC 8536, versions 1-4).  CAL_EPROTO when
 * malformed. */
int cal_tz_parse(cal_tz **out, const char *name, const void *data, size_t len);
void cal_tz_free(cal_tz *tz);
const char *cal_tz_name(const cal_tz *tz);
bool cal_tz_name_is_valid(const char *name);
/* Seconds east of UTC in effect at `t` (seconds since the epoch); a NULL
 * zone is UTC. */
int32_t cal_tz_offset(const cal_tz *tz, int64_t t);

/* Civil dates: days since 1970-01-01 <-> year, month (1-12), day (1-31);
 * weekday 0 = Sunday. */
int64_t cal_days_from_civil(int64_t y, int m, int d);
void cal_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int cal_weekday_from_days(int64_t days);
bool cal_is_leap_year(int64_t y);
int cal_days_in_month(int64_t y, int m);

struct cal_cron {
	uint64_t minutes;  /* bit n: minute n */
	uint32_t hours;    /* bit n: hour n */
	uint32_t days;     /* bit n: day of month n (1-31) */
	uint16_t months;   /* bit n: month n (1-12) */
	uint8_t weekdays;  /* bit n: weekday n (0 = Sunday) */
	bool days_star, weekdays_star; /* the day fields start with '*' */
};

/* A 5-field expression or an @shorthand (see cron.c); CAL_EINVALID names
 * the field and quotes it. */
int cal_cron_parse(struct cal_cron *out, const char *expr);
/* The expression of a `freq` (HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY), or
 * NULL: on the hour, at midnight, Sunday midnight, the 1st, January 1st. */
const char *cal_cron_freq_expr(const char *freq);
/* The first time strictly after `after_us` that matches, in zone `tz`
 * (NULL = UTC), in microseconds.  CAL_ENOTFOUND when none within 9 years. */
int cal_cron_next(int64_t *out_us, const struct cal_cron *c, const cal_tz *tz, int64_t after_us);

#endif
