/* fuzz_params.c - fuzz target of what the REST API parses from the
 * network and from files it is pointed at (src/server/params.c, cron.c,
 * tz.c).  The first byte chooses:
 *   0  a query string, split and decoded, then checked against the query
 *      parameters of every route;
 *   1  a JSON body, checked against the body fields of every route;
 *   2  a cron expression, and its next run in UTC;
 *   3  a TZif file, and offsets at a few times.
 * Seeds: tests/fuzz/corpus/params/ (queries and bodies the integration
 * tests send, cron expressions, a TZif file from Debian's tzdata).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_replay.h"
#include "server/server_int.h"

static void fz_query(const uint8_t *data, size_t size)
{
	const struct srv_route *routes;
	struct srv_pval vals[SRV_MAX_PARAMS];
	struct srv_args args;
	char err[768];
	size_t n;

	if (srv_args_parse(&args, (const char *)data, size, err, sizeof(err)))
		return;
	routes = srv_routes(&n);
	for (size_t i = 0; i < n; i++)
		(void)srv_params_check(vals, routes[i].params, &args, err, sizeof(err));
	srv_args_free(&args);
}

static void fz_body(const uint8_t *data, size_t size)
{
	const struct srv_route *routes;
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	char err[768];
	size_t n;

	if (!body)
		return;
	routes = srv_routes(&n);
	for (size_t i = 0; i < n; i++)
		if (routes[i].body)
			(void)srv_body_check(body, routes[i].body, "body", err, sizeof(err));
	json_decref(body);
}

static void fz_cron(const uint8_t *data, size_t size)
{
	char expr[300];
	struct cal_cron c;
	int64_t next;

	if (size >= sizeof(expr))
		size = sizeof(expr) - 1;
	memcpy(expr, data, size);
	expr[size] = '\0';
	if (cal_cron_parse(&c, expr) == 0)
		(void)cal_cron_next(&next, &c, NULL, 1795334400000000LL);
}

static void fz_tz(const uint8_t *data, size_t size)
{
	static const int64_t when[] = { -4000000000LL, 0, 1795334400LL, 2200000000LL,
					5000000000LL };
	cal_tz *tz = NULL;

	if (cal_tz_parse(&tz, "fuzz", data, size))
		return;
	for (size_t i = 0; i < sizeof(when) / sizeof(when[0]); i++)
		(void)cal_tz_offset(tz, when[i]);
	cal_tz_free(tz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	cal_log_set_level(CAL_LOG_ERROR);
	switch (data[0] % 4) {
	case 0: fz_query(data + 1, size - 1); break;
	case 1: fz_body(data + 1, size - 1); break;
	case 2: fz_cron(data + 1, size - 1); break;
	case 3: fz_tz(data + 1, size - 1); break;
	}
	return 0;
}
