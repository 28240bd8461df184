/* test_server.c - the server's parts that need no HTTP: query-string and
 * body checks, login throttling, tokens, users and their password hashes,
 * the server's store tables (tokens, messages, schedules, the scan queue's
 * claims, connection tests, externally managed attributes), schedules'
 * preparation, connection tests against namespaces, and the route table
 * (lookup, 405s, the OpenAPI document listing exactly the routes).
 *
 * Store cases run on SQLite and, when CALIPSO_TEST_PG_URI names a server
 * (scripts/pg-test-server.sh), on PostgreSQL in a schema of their own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "core/core.h"
#include "server/server_int.h"
#include "store/store.h"

#define FX_PREFIX "sv"
#include "store_fixture.h"

#define SEC 1000000LL

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

#define BOTH(fn)                                                     \
	cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown), \
		cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' does not contain '%s'", text, part);
}

/* ------------------------------------------------------------------ */
/* Query strings and bodies                                            */
/* ------------------------------------------------------------------ */

static int args_of(struct srv_args *a, const char *q, char *err, size_t n)
{
	return srv_args_parse(a, q, strlen(q), err, n);
}

static void test_args_parse(void **state)
{
	struct srv_args a;
	char err[512], big[SRV_MAX_QUERY + 2];

	(void)state;
	assert_int_equal(args_of(&a, "env_name=lab&id=a%2Fb+c&&flag&x=", err, sizeof(err)), 0);
	assert_int_equal(a.n, 4);
	assert_string_equal(a.kv[0].key, "env_name");
	assert_string_equal(a.kv[0].val, "lab");
	assert_string_equal(a.kv[1].val, "a/b c");
	assert_string_equal(a.kv[2].key, "flag");
	assert_string_equal(a.kv[2].val, "");
	assert_string_equal(a.kv[3].val, "");
	srv_args_free(&a);
	assert_int_equal(args_of(&a, "", err, sizeof(err)), 0);
	assert_int_equal(a.n, 0);
	static const char *const bad[] = { "a=%zz", "a=%4", "a=%", "a%00=1", "a=x%00y", "=x",
					   "%=1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (args_of(&a, bad[i], err, sizeof(err)) != CAL_EINVALID)
			fail_msg("'%s' was accepted", bad[i]);
	}
	assert_int_equal(args_of(&a, "x=%41%42", err, sizeof(err)), 0);
	assert_string_equal(a.kv[0].val, "AB");
	srv_args_free(&a);
	big[0] = '\0';
	for (int i = 0; i <= SRV_MAX_ARGS; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "k%d=1&", i);
	assert_int_equal(args_of(&a, big, err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "more than");
	memset(big, 'a', SRV_MAX_QUERY + 1);
	big[SRV_MAX_QUERY + 1] = '\0';
	assert_int_equal(args_of(&a, big, err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "longer than");
}

static const char *const t_colors[] = { "red", "green", NULL };

static const struct srv_param t_spec[] = {
	{ "env_name", SRV_P_STR, SRV_P_REQUIRED, NULL, 0, 0, NULL },
	{ "page", SRV_P_INT, 0, NULL, 0, 100, NULL },
	{ "sub_tree", SRV_P_BOOL, 0, NULL, 0, 0, NULL },
	{ "at", SRV_P_TIME, 0, NULL, 0, 0, NULL },
	{ "color", SRV_P_ENUM, 0, t_colors, 0, 0, NULL },
	{ "attributes:", SRV_P_STR, SRV_P_PREFIX, NULL, 0, 0, NULL },
	SRV_PARAM_END,
};

static int check_of(struct srv_pval *v, const char *q, char *err, size_t n)
{
	struct srv_args a;
	int rc = args_of(&a, q, err, n);

	if (rc == 0)
		rc = srv_params_check(v, t_spec, &a, err, n);
	/* The values point into the args: keep them for the caller's
	 * asserts by leaking nothing: copy what is checked. */
	srv_args_free(&a);
	return rc;
}

static void test_params_check(void **state)
{
	struct srv_pval v[8];
	struct srv_args a;
	char err[768];

	(void)state;
	assert_int_equal(args_of(&a, "env_name=lab&page=3&sub_tree=true&color=green&"
				     "attributes:network=n1&at=2026-11-22T08:00:00Z",
				 err, sizeof(err)),
			 0);
	assert_int_equal(srv_params_check(v, t_spec, &a, err, sizeof(err)), 0);
	assert_string_equal(v[0].s, "lab");
	assert_true(v[1].set && v[1].i == 3);
	assert_true(v[2].b);
	assert_int_equal(v[3].i, 1795334400000000LL);
	assert_string_equal(v[4].s, "green");
	assert_true(v[5].set);
	srv_args_free(&a);
	/* A '+' of an offset that arrived as a space. */
	assert_int_equal(args_of(&a, "env_name=x&at=2026-11-22T10:00:00+02:00", err, sizeof(err)),
			 0);
	assert_int_equal(srv_params_check(v, t_spec, &a, err, sizeof(err)), 0);
	assert_int_equal(v[3].i, 1795334400000000LL);
	srv_args_free(&a);

	assert_int_equal(check_of(v, "page=1", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "'env_name' is required");
	assert_int_equal(check_of(v, "env_name=a&bogus=1", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "unknown query parameter 'bogus'");
	assert_contains(err, "env_name, page, sub_tree, at, color, attributes:NAME");
	assert_int_equal(check_of(v, "env_name=a&env_name=b", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "more than once");
	assert_int_equal(check_of(v, "env_name=a&page=x", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "must be an integer, not 'x'");
	assert_int_equal(check_of(v, "env_name=a&page=101", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "between 0 and 100");
	assert_int_equal(check_of(v, "env_name=a&page=1e3", err, sizeof(err)), CAL_EINVALID);
	assert_int_equal(check_of(v, "env_name=a&page=", err, sizeof(err)), CAL_EINVALID);
	assert_int_equal(check_of(v, "env_name=a&sub_tree=yes", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "true or false");
	assert_int_equal(check_of(v, "env_name=a&color=blue", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "one of red, green; not 'blue'");
	assert_int_equal(check_of(v, "env_name=a&at=yesterday", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "must be a time");
	assert_int_equal(check_of(v, "env_name=", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "is empty");
	assert_int_equal(check_of(v, "env_name=a&attributes:=x", err, sizeof(err)), CAL_EINVALID);
	/* Control bytes in a key are escaped in the message. */
	assert_int_equal(check_of(v, "env_name=a&%1b%5b31m=1", err, sizeof(err)), CAL_EINVALID);
	assert_null(strchr(err, 0x1b));
	assert_contains(err, "\\x1b");
}

static const struct srv_field t_body[] = {
	{ "name", SRV_F_STR, true, NULL, NULL },
	{ "n", SRV_F_INT, false, NULL, NULL },
	{ "on", SRV_F_BOOL, false, NULL, NULL },
	{ "color", SRV_F_ENUM, false, t_colors, NULL },
	{ "colors", SRV_F_STRARRAY, false, t_colors, NULL },
	{ "obj", SRV_F_OBJECT, false, NULL, NULL },
	{ NULL, 0, false, NULL, NULL },
};

static int body_of(const char *text, char *err, size_t n)
{
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
	int rc;

	assert_non_null(j);
	rc = srv_body_check(j, t_body, "test body", err, n);
	json_decref(j);
	return rc;
}

static void test_body_check(void **state)
{
	static const struct srv_field free_form[] = { { "*", SRV_F_ANY, false, NULL, NULL },
						      { NULL, 0, false, NULL, NULL } };
	char err[768];
	json_t *j;

	(void)state;
	assert_int_equal(body_of("{\"name\":\"a\",\"n\":1,\"on\":false,\"color\":\"red\","
				 "\"colors\":[\"red\",\"green\"],\"obj\":{}}",
				 err, sizeof(err)),
			 0);
	assert_int_equal(body_of("[1]", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "must be a JSON object");
	assert_int_equal(body_of("{\"name\":\"a\",\"x\":1}", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "unknown field 'x' in the test body (expected: name, n, on");
	assert_int_equal(body_of("{\"n\":1}", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "'name' is required");
	assert_int_equal(body_of("{\"name\":\"\"}", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "not empty");
	assert_int_equal(body_of("{\"name\":\"a\",\"n\":\"1\"}", err, sizeof(err)), CAL_EINVALID);
	assert_contains(err, "must be an integer");
	assert_int_equal(body_of("{\"name\":\"a\",\"on\":1}", err, sizeof(err)), CAL_EINVALID);
	assert_int_equal(body_of("{\"name\":\"a\",\"color\":\"blue\"}", err, sizeof(err)),
			 CAL_EINVALID);
	assert_contains(err, "one of red, green");
	assert_int_equal(body_of("{\"name\":\"a\",\"colors\":[\"red\",3]}", err, sizeof(err)),
			 CAL_EINVALID);
	assert_int_equal(body_of("{\"name\":\"a\",\"colors\":[\"pink\"]}", err, sizeof(err)),
			 CAL_EINVALID);
	assert_int_equal(body_of("{\"name\":\"a\",\"obj\":[]}", err, sizeof(err)), CAL_EINVALID);
	j = json_pack("{s:i}", "anything", 1);
	assert_int_equal(srv_body_check(j, free_form, "x", err, sizeof(err)), 0);
	json_decref(j);
}

/* ------------------------------------------------------------------ */
/* Throttling and tokens                                               */
/* ------------------------------------------------------------------ */

static void test_ratelimit(void **state)
{
	struct srv_ratelimit *rl = srv_ratelimit_new();
	int64_t t = 1000 * SEC;

	(void)state;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(srv_ratelimit_check(rl, "alice", "10.0.0.1", t), 0);
		srv_ratelimit_fail(rl, "alice", "10.0.0.1", t);
	}
	/* Locked for the rest of the 15-minute window, from any address. */
	assert_int_equal(srv_ratelimit_check(rl, "alice", "10.0.0.2", t + SEC), 15 * 60);
	assert_true(srv_ratelimit_check(rl, "alice", "10.0.0.2", t + 14 * 60 * SEC) > 0);
	assert_int_equal(srv_ratelimit_check(rl, "alice", "10.0.0.2", t + 15 * 60 * SEC + 1), 0);
	/* Another name from the same address is fine until the address's
	 * own limit (20 failures). */
	assert_int_equal(srv_ratelimit_check(rl, "bob", "10.0.0.1", t), 0);
	for (int i = 0; i < 15; i++)
		srv_ratelimit_fail(rl, i % 2 ? "carol" : "dave", "10.0.0.1", t);
	assert_true(srv_ratelimit_check(rl, "bob", "10.0.0.1", t) > 0);
	assert_int_equal(srv_ratelimit_check(rl, "bob", "10.0.0.9", t), 0);
	/* A success clears the name's failures. */
	srv_ratelimit_fail(rl, "erin", "10.0.0.3", t);
	srv_ratelimit_fail(rl, "erin", "10.0.0.3", t);
	srv_ratelimit_success(rl, "erin");
	for (int i = 0; i < 4; i++)
		srv_ratelimit_fail(rl, "erin", "10.0.0.3", t);
	assert_int_equal(srv_ratelimit_check(rl, "erin", "10.0.0.3", t), 0);
	/* A flood of names does not grow the table or evict a lock
	 * younger than every other entry. */
	for (int i = 0; i < 5; i++)
		srv_ratelimit_fail(rl, "frank", "10.0.0.4", t);
	for (int i = 0; i < 5000; i++) {
		char name[32];

		snprintf(name, sizeof(name), "u%d", i);
		srv_ratelimit_fail(rl, name, "10.1.0.1", t - SEC);
	}
	assert_true(srv_ratelimit_check(rl, "frank", "10.0.0.5", t + 2 * SEC) > 0);
	srv_ratelimit_free(rl);
}

static void test_tokens(void **state)
{
	char t1[65], h1[65], t2[65], h2[65], again[65];

	(void)state;
	srv_token_new(t1, h1);
	srv_token_new(t2, h2);
	assert_int_equal(strlen(t1), 64);
	assert_int_equal(strspn(t1, "0123456789abcdef"), 64);
	assert_string_not_equal(t1, t2);
	assert_string_not_equal(t1, h1);
	srv_token_hash(again, t1);
	assert_string_equal(again, h1);
}

/* ------------------------------------------------------------------ */
/* Users and the auth tables                                           */
/* ------------------------------------------------------------------ */

static void test_users(void **state)
{
	cal_store *st = fx_store(state);
	json_t *roles = json_pack("[s, s]", "view-env:lab", "edit-env:prod"), *u = NULL, *bad;
	char *pw = NULL, *pw2 = NULL;
	int64_t now = cal_time_now_us();
	json_t *info = NULL;

	assert_int_equal(cal_user_bootstrap(st, &pw), 0);
	assert_non_null(pw);
	assert_true(strlen(pw) >= 20);
	assert_int_equal(cal_user_verify(st, &u, "admin", pw), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(u, "roles"), 0)),
			    "admin");
	assert_null(json_object_get(u, "password_hash"));
	json_decref(u);
	assert_int_equal(cal_user_bootstrap(st, &pw2), 0);
	assert_null(pw2);

	assert_int_equal(cal_user_add(st, "ops@noc", "s3cret-pass", roles, false), 0);
	assert_int_equal(cal_user_add(st, "ops@noc", "s3cret-pass", roles, false), CAL_EEXISTS);
	assert_int_equal(cal_user_verify(st, NULL, "ops@noc", "wrong-pass"), CAL_EAUTH);
	assert_string_equal(cal_error_last(), "wrong user name or password");
	assert_int_equal(cal_user_verify(st, NULL, "nobody", "s3cret-pass"), CAL_EAUTH);
	assert_string_equal(cal_error_last(), "wrong user name or password");
	assert_int_equal(cal_user_verify(st, NULL, "ops@noc", "s3cret-pass"), 0);

	assert_int_equal(cal_user_check_name("bad name"), CAL_EINVALID);
	assert_int_equal(cal_user_check_name(""), CAL_EINVALID);
	assert_int_equal(cal_user_check_password("short"), CAL_EINVALID);
	bad = json_pack("[s]", "root");
	assert_int_equal(cal_user_check_roles(bad), CAL_EINVALID);
	assert_contains(cal_error_last(), "'root'");
	json_decref(bad);
	bad = json_pack("[s]", "view-env:");
	assert_int_equal(cal_user_check_roles(bad), CAL_EINVALID);
	json_decref(bad);

	/* A token, then a new password: the token is revoked. */
	assert_int_equal(cal_store_token_put(st, "h1", "ops@noc", "credentials", now,
					     now + 60 * SEC),
			 0);
	assert_int_equal(cal_store_token_get(st, &info, "h1"), 0);
	assert_int_equal(cal_json_int(info, "revoked", -1), 0);
	assert_string_equal(cal_json_str(info, "user"), "ops@noc");
	json_decref(info);
	assert_int_equal(cal_user_passwd(st, "ops@noc", "an0ther-pass"), 0);
	assert_int_equal(cal_user_verify(st, NULL, "ops@noc", "s3cret-pass"), CAL_EAUTH);
	assert_int_equal(cal_user_verify(st, NULL, "ops@noc", "an0ther-pass"), 0);
	assert_int_equal(cal_store_token_get(st, &info, "h1"), 0);
	assert_true(cal_json_int(info, "revoked", 0) > 0);
	json_decref(info);

	/* New roles keep the password. */
	json_decref(roles);
	roles = json_pack("[s]", "view-env:lab");
	assert_int_equal(cal_user_set_roles(st, "ops@noc", roles), 0);
	assert_int_equal(cal_user_verify(st, &u, "ops@noc", "an0ther-pass"), 0);
	assert_int_equal(json_array_size(json_object_get(u, "roles")), 1);
	json_decref(u);
	assert_int_equal(cal_user_passwd(st, "ghost", "whatever-pass"), CAL_ENOTFOUND);
	json_decref(roles);
	free(pw);
}

static void test_store_tokens(void **state)
{
	cal_store *st = fx_store(state);
	json_t *roles = json_pack("[s]", "view-env:lab"), *info = NULL, *list = NULL;
	int64_t now = cal_time_now_us(), removed = -1;

	assert_int_equal(cal_store_user_put(st, "u1", "$argon2id$x", roles, false), 0);
	assert_int_equal(cal_store_token_put(st, "a", "u1", "credentials", now, now + SEC), 0);
	assert_int_equal(cal_store_token_put(st, "b", "u1", "token", now, now + 100 * SEC), 0);
	assert_int_equal(cal_store_token_put(st, "a", "u1", "credentials", now, now), CAL_EEXISTS);
	assert_int_equal(cal_store_token_get(st, &info, "zzz"), CAL_ENOTFOUND);
	assert_int_equal(cal_store_token_revoke(st, "a", now), 0);
	assert_int_equal(cal_store_token_revoke(st, "a", now), CAL_ENOTFOUND);
	/* Purge: expired or revoked before the time given. */
	assert_int_equal(cal_store_token_purge(st, now + 2 * SEC, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(cal_store_token_get(st, &info, "b"), 0);
	assert_string_equal(cal_json_str(info, "method"), "token");
	assert_int_equal(cal_json_int(info, "expires", 0), now + 100 * SEC);
	json_decref(info);
	assert_int_equal(cal_store_user_list(st, &list), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_null(json_object_get(json_array_get(list, 0), "password_hash"));
	json_decref(list);
	/* Removing the user removes its tokens. */
	assert_int_equal(cal_store_user_remove(st, "u1"), 0);
	assert_int_equal(cal_store_token_get(st, &info, "b"), CAL_ENOTFOUND);
	assert_int_equal(cal_store_user_remove(st, "u1"), CAL_ENOTFOUND);
	json_decref(roles);
}

/* ------------------------------------------------------------------ */
/* Messages, schedules, the scan queue, connection tests               */
/* ------------------------------------------------------------------ */

static void add_msg(cal_store *st, const char *env, const char *level, const char *obj,
		    const char *when)
{
	json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s}", "environment", env, "level", level,
			      "source_system", "Calipso", "message", "hello", "timestamp", when);

	if (obj)
		json_object_set_new(m, "related_object", json_string(obj));
	assert_int_equal(cal_store_message_add(st, NULL, m), 0);
	json_decref(m);
}

static void test_store_messages(void **state)
{
	cal_store *st = fx_store(state);
	struct cal_message_query q = { .env = "lab" };
	json_t *arr = NULL, *one = NULL, *counts = NULL, *m;
	int64_t t;

	add_msg(st, "lab", "info", "host1", "2026-11-22T08:00:00Z");
	add_msg(st, "lab", "error", "host1", "2026-11-22T09:00:00Z");
	add_msg(st, "lab", "warning", "host2", "2026-11-22T10:00:00Z");
	add_msg(st, "other", "error", NULL, "2026-11-22T10:00:00Z");
	m = json_pack("{s:s, s:s}", "environment", "lab", "level", "info");
	assert_int_equal(cal_store_message_add(st, NULL, m), CAL_EINVALID);
	json_decref(m);
	m = json_pack("{s:s, s:s, s:s, s:s}", "environment", "lab", "level", "info",
		      "source_system", "x", "timestamp", "not a time");
	assert_int_equal(cal_store_message_add(st, NULL, m), CAL_EINVALID);
	json_decref(m);

	assert_int_equal(cal_store_messages(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 3);
	/* Newest first. */
	assert_string_equal(cal_json_str(json_array_get(arr, 0), "level"), "warning");
	json_decref(arr);
	q.related_object = "host1";
	q.level = "error";
	assert_int_equal(cal_store_messages(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
	q.related_object = NULL;
	q.level = NULL;
	assert_int_equal(cal_time_parse(&t, "2026-11-22T08:30:00Z"), 0);
	q.start = t;
	assert_int_equal(cal_time_parse(&q.end, "2026-11-22T09:00:00Z"), 0);
	assert_int_equal(cal_store_messages(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(cal_json_str(json_array_get(arr, 0), "timestamp"),
			    "2026-11-22T09:00:00.000000Z");
	json_decref(arr);
	memset(&q, 0, sizeof(q));
	q.env = "lab";
	q.limit = 2;
	q.offset = 2;
	assert_int_equal(cal_store_messages(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(cal_json_str(json_array_get(arr, 0), "level"), "info");
	t = cal_json_int(json_array_get(arr, 0), "id", 0);
	json_decref(arr);
	assert_int_equal(cal_store_message_set_viewed(st, t, true), 0);
	assert_int_equal(cal_store_message_get(st, &one, t), 0);
	assert_true(json_is_true(json_object_get(one, "viewed")));
	json_decref(one);
	assert_int_equal(cal_store_message_get(st, &one, 999999), CAL_ENOTFOUND);
	assert_int_equal(cal_store_message_counts(st, &counts, NULL), 0);
	assert_int_equal(cal_json_int(json_object_get(counts, "levels"), "error", 0), 2);
	assert_int_equal(cal_json_int(json_object_get(counts, "environments"), "lab", 0), 3);
	json_decref(counts);
	assert_int_equal(cal_store_message_counts(st, &counts, "other"), 0);
	assert_int_equal(cal_json_int(json_object_get(counts, "levels"), "error", 0), 1);
	assert_null(json_object_get(json_object_get(counts, "environments"), "lab"));
	json_decref(counts);
}

static void test_store_schedules(void **state)
{
	cal_store *st = fx_store(state);
	int64_t id = 0, id2 = 0, now = 1795334400LL * SEC;
	struct cal_schedule_query q = { .env = "lab" };
	json_t *sc, *got = NULL, *arr = NULL;
	bool claimed = false;

	sc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:b}, s:I}", "environment", "lab", "kind",
		       "scan", "freq", "DAILY", "cron", "0 0 * * *", "timezone", "UTC", "request",
		       "clear", 1, "next_run_us", (json_int_t)(now + 3600 * SEC));
	assert_int_equal(cal_store_schedule_create(st, &id, sc), 0);
	json_object_del(sc, "freq");
	json_object_set_new(sc, "cron", json_string("*/5 * * * *"));
	json_object_set_new(sc, "next_run_us", json_integer(now - SEC));
	assert_int_equal(cal_store_schedule_create(st, &id2, sc), 0);
	assert_int_equal(cal_store_schedule_get(st, &got, id), 0);
	assert_string_equal(cal_json_str(got, "freq"), "DAILY");
	assert_true(json_is_true(json_object_get(json_object_get(got, "request"), "clear")));
	assert_true(json_is_null(json_object_get(got, "last_run")));
	assert_int_equal(cal_json_int(got, "runs", -1), 0);
	json_decref(got);
	assert_int_equal(cal_store_schedule_list(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 2);
	json_decref(arr);
	q.freq = "DAILY";
	assert_int_equal(cal_store_schedule_list(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);

	/* Due: only the second one; a claim with the expected next run
	 * wins once. */
	assert_int_equal(cal_store_schedule_due(st, &arr, now), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_int_equal(cal_json_int(json_array_get(arr, 0), "id", 0), id2);
	json_decref(arr);
	assert_int_equal(cal_store_schedule_claim(st, &claimed, id2, now - SEC, now,
						  now + 300 * SEC),
			 0);
	assert_true(claimed);
	assert_int_equal(cal_store_schedule_claim(st, &claimed, id2, now - SEC, now,
						  now + 300 * SEC),
			 0);
	assert_false(claimed);
	assert_int_equal(cal_store_schedule_set_scan(st, id2, 42), 0);
	assert_int_equal(cal_store_schedule_get(st, &got, id2), 0);
	assert_int_equal(cal_json_int(got, "runs", 0), 1);
	assert_int_equal(cal_json_int(got, "last_scan_id", 0), 42);
	assert_int_equal(cal_json_int(got, "next_run_us", 0), now + 300 * SEC);
	json_decref(got);
	assert_int_equal(cal_store_schedule_due(st, &arr, now), 0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	/* Disabled schedules are never due. */
	json_object_set_new(sc, "enabled", json_false());
	json_object_set_new(sc, "next_run_us", json_integer(now - SEC));
	assert_int_equal(cal_store_schedule_update(st, id2, sc), 0);
	assert_int_equal(cal_store_schedule_due(st, &arr, now), 0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	assert_int_equal(cal_store_schedule_update(st, 999, sc), CAL_ENOTFOUND);
	assert_int_equal(cal_store_schedule_remove(st, id2), 0);
	assert_int_equal(cal_store_schedule_remove(st, id2), CAL_ENOTFOUND);
	json_decref(sc);
}

static int64_t new_scan(cal_store *st, const char *env, const char *object)
{
	json_t *req = json_pack("{s:s}", "environment", env);
	int64_t id = 0;

	if (object)
		json_object_set_new(req, "object_id", json_string(object));
	assert_int_equal(cal_store_scan_create(st, &id, env, req), 0);
	json_decref(req);
	return id;
}

static void test_scan_claim(void **state)
{
	cal_store *st = fx_store(state);
	int64_t a1 = new_scan(st, "a", NULL), a2 = new_scan(st, "a", "host1"),
		b1 = new_scan(st, "b", NULL);
	struct cal_scan_query q = { .env = "a" };
	json_t *scan = NULL, *arr = NULL;

	assert_int_equal(cal_store_scan_claim(st, &scan), 0);
	assert_int_equal(cal_json_int(scan, "id", 0), a1);
	assert_string_equal(cal_json_str(scan, "status"), "running");
	assert_false(json_is_null(json_object_get(scan, "started")));
	json_decref(scan);
	/* One scan per environment at a time. */
	assert_int_equal(cal_store_scan_claim(st, &scan), 0);
	assert_int_equal(cal_json_int(scan, "id", 0), b1);
	json_decref(scan);
	assert_int_equal(cal_store_scan_claim(st, &scan), 0);
	assert_null(scan);
	assert_int_equal(cal_store_scan_update(st, a1, CAL_SCAN_COMPLETED, NULL), 0);
	assert_int_equal(cal_store_scan_claim(st, &scan), 0);
	assert_int_equal(cal_json_int(scan, "id", 0), a2);
	json_decref(scan);

	assert_int_equal(cal_store_scans_find(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 2);
	assert_int_equal(cal_json_int(json_array_get(arr, 0), "id", 0), a2);
	json_decref(arr);
	q.status = "completed";
	assert_int_equal(cal_store_scans_find(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_int_equal(cal_json_int(json_array_get(arr, 0), "id", 0), a1);
	json_decref(arr);
	q.status = NULL;
	q.base_object = "host1";
	assert_int_equal(cal_store_scans_find(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_int_equal(cal_json_int(json_array_get(arr, 0), "id", 0), a2);
	json_decref(arr);
	q.base_object = NULL;
	q.limit = 1;
	q.offset = 1;
	assert_int_equal(cal_store_scans_find(st, &arr, &q), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_int_equal(cal_json_int(json_array_get(arr, 0), "id", 0), a1);
	json_decref(arr);
	/* A crash leaves a2 and b1 running: both failed. */
	assert_int_equal(cal_store_scan_fail_stale(st, "test"), 2);
}

static void test_store_conntests(void **state)
{
	cal_store *st = fx_store(state);
	json_t *req = json_pack("{s:[s]}", "test_targets", "ovsdb"), *res, *arr = NULL;
	int64_t id = 0;

	assert_int_equal(cal_store_conntest_create(st, &id, "lab", req), 0);
	assert_int_equal(cal_store_conntests(st, &arr, "lab", id, NULL, 0, 0), 0);
	assert_string_equal(cal_json_str(json_array_get(arr, 0), "status"), "pending");
	json_decref(arr);
	res = json_pack("{s:b}", "passed", 1);
	assert_int_equal(cal_store_conntest_finish(st, id, "completed", res), 0);
	assert_int_equal(cal_store_conntest_finish(st, id + 1, "completed", res), CAL_ENOTFOUND);
	assert_int_equal(cal_store_conntests(st, &arr, "lab", 0, "completed", 0, 0), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_true(json_is_true(
		json_object_get(json_object_get(json_array_get(arr, 0), "result"), "passed")));
	json_decref(arr);
	assert_int_equal(cal_store_conntests(st, &arr, "other", 0, NULL, 0, 0), 0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	json_decref(req);
	json_decref(res);
}

/* ------------------------------------------------------------------ */
/* Externally managed attributes                                       */
/* ------------------------------------------------------------------ */

static void test_external(void **state)
{
	cal_store *st = fx_store(state);
	json_t *objects = json_object(), *answered = json_array(), *host, *obj = NULL, *hist = NULL;
	json_t *patch, *map = NULL;
	struct cal_commit c = { .env = "lab" };
	struct cal_commit_stats stats;

	host = cal_object_new("lab", CAL_T_HOST, "host1", "host1", "host1");
	cal_object_set_parent(host, NULL);
	json_object_set_new(host, CAL_F_SOURCE, json_string("netlink"));
	json_object_set_new(host, CAL_F_LAST_SCANNED, json_string("2026-11-22T08:00:00Z"));
	json_object_set_new(objects, "host1", host);
	c.objects = objects;
	c.answered = answered;
	assert_int_equal(cal_store_commit(st, &c, &stats), 0);

	patch = json_pack("{s:s, s:i}", "name", "compute-01", "rack", 7);
	assert_int_equal(cal_store_object_set_external(st, &obj, "lab", "host1", patch, "ops"), 0);
	assert_string_equal(cal_json_str(json_object_get(obj, "external"), "name"), "compute-01");
	/* The volatile fields stay. */
	assert_string_equal(cal_json_str(obj, CAL_F_LAST_SCANNED), "2026-11-22T08:00:00Z");
	json_decref(obj);
	json_decref(patch);
	assert_int_equal(cal_store_history(st, &hist, "lab", "host1"), 0);
	assert_int_equal(json_array_size(hist), 2);
	json_decref(hist);

	/* A null removes one attribute; the others stay. */
	patch = json_pack("{s:n}", "rack");
	assert_int_equal(cal_store_object_set_external(st, &obj, "lab", "host1", patch, "ops"), 0);
	assert_null(json_object_get(json_object_get(obj, "external"), "rack"));
	assert_string_equal(cal_json_str(json_object_get(obj, "external"), "name"), "compute-01");
	json_decref(obj);
	json_decref(patch);
	assert_int_equal(cal_store_externals(st, &map, "lab"), 0);
	assert_string_equal(cal_json_str(json_object_get(map, "host1"), "name"), "compute-01");
	json_decref(map);

	/* Removing the last one removes the attribute. */
	patch = json_pack("{s:n}", "name");
	assert_int_equal(cal_store_object_set_external(st, &obj, "lab", "host1", patch, "ops"), 0);
	assert_null(json_object_get(obj, "external"));
	json_decref(obj);
	assert_int_equal(cal_store_externals(st, &map, "lab"), 0);
	assert_int_equal(json_object_size(map), 0);
	json_decref(map);
	assert_int_equal(cal_store_object_set_external(st, &obj, "lab", "nope", patch, "ops"),
			 CAL_ENOTFOUND);
	json_decref(patch);
	json_decref(objects);
	json_decref(answered);
}

/* ------------------------------------------------------------------ */
/* Schedules, connection tests, routes                                 */
/* ------------------------------------------------------------------ */

static void test_schedule_prepare(void **state)
{
	int64_t now = 1795334400LL * SEC; /* 2026-11-22T08:00:00Z, a Sunday */
	char b[CAL_TIME_BUFSZ];
	json_t *sc;

	(void)state;
	sc = json_pack("{s:s}", "freq", "WEEKLY");
	assert_int_equal(srv_schedule_prepare(sc, now), 0);
	assert_string_equal(cal_json_str(sc, "cron"), "0 0 * * 0");
	assert_string_equal(cal_json_str(sc, "timezone"), "UTC");
	assert_string_equal(cal_time_format(b, cal_json_int(sc, "next_run_us", 0)),
			    "2026-11-29T00:00:00.000000Z");
	json_decref(sc);
	sc = json_pack("{s:s, s:s}", "cron", "*/10 * * * *", "timezone", "Europe/Paris");
	assert_int_equal(srv_schedule_prepare(sc, now), 0);
	assert_string_equal(cal_time_format(b, cal_json_int(sc, "next_run_us", 0)),
			    "2026-11-22T08:10:00.000000Z");
	json_decref(sc);
	sc = json_pack("{s:s, s:s}", "cron", "* * * * *", "freq", "DAILY");
	assert_int_equal(srv_schedule_prepare(sc, now), CAL_EINVALID);
	assert_contains(cal_error_last(), "not both");
	json_decref(sc);
	sc = json_object();
	assert_int_equal(srv_schedule_prepare(sc, now), CAL_EINVALID);
	json_decref(sc);
	sc = json_pack("{s:s}", "freq", "FORTNIGHTLY");
	assert_int_equal(srv_schedule_prepare(sc, now), CAL_EINVALID);
	json_decref(sc);
	sc = json_pack("{s:s, s:s}", "cron", "0 0 * * *", "timezone", "Nowhere/Land");
	assert_int_equal(srv_schedule_prepare(sc, now), CAL_EINVALID);
	assert_contains(cal_error_last(), "Nowhere/Land");
	json_decref(sc);
}

static const json_t *ct_find(const json_t *res, const char *host, const char *target)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(res, "results"), i, r)
		if (strcmp(cal_json_str(r, "host"), host) == 0 &&
		    strcmp(cal_json_str(r, "target"), target) == 0)
			return r;
	fail_msg("no result for %s %s", host, target);
	return NULL;
}

static void test_conntest(void **state)
{
	json_t *cfg, *res = NULL, *only;
	const json_t *r;

	(void)state;
	/* A namespace nobody made, an OVSDB socket nobody listens on, a
	 * libvirt test file that does not exist; the machine's own namespace. */
	cfg = json_pack("{s:[{s:s, s:s, s:s, s:s}, {s:s, s:s}], s:[{s:s, s:s}]}", "hosts", "name",
			"h1", "netns", "sv-unit-no-such-ns", "ovsdb",
			"unix:/tmp/sv-unit-no-such.sock", "libvirt",
			"test:///tmp/sv-unit-no-such.xml", "name", "h2", "netns", "", "switches",
			"name", "sw", "netns", "sv-unit-no-such-sw");
	assert_int_equal(srv_conntest_run(&res, cfg, NULL, NULL), 0);
	r = ct_find(res, "h1", "netns");
	assert_string_equal(cal_json_str(r, "status"), "failed");
	assert_contains(cal_json_str(r, "detail"), "sv-unit-no-such-ns");
	assert_string_equal(cal_json_str(ct_find(res, "h1", "ovsdb"), "status"), "failed");
	assert_string_equal(cal_json_str(ct_find(res, "h1", "libvirt"), "status"), "failed");
	assert_string_equal(cal_json_str(ct_find(res, "h2", "netns"), "status"), "ok");
	assert_string_equal(cal_json_str(ct_find(res, "h2", "ovsdb"), "status"), "skipped");
	assert_string_equal(cal_json_str(ct_find(res, "sw", "netns"), "status"), "failed");
	assert_false(json_is_true(json_object_get(res, "passed")));
	assert_false(json_is_true(json_object_get(json_object_get(res, "test_results"), "netns")));
	json_decref(res);
	/* Only some targets and hosts. */
	only = json_pack("[s]", "h2");
	assert_int_equal(srv_conntest_run(&res, cfg, NULL, only), 0);
	assert_int_equal(json_array_size(json_object_get(res, "results")), 3);
	assert_true(json_is_true(json_object_get(res, "passed")));
	json_decref(res);
	json_decref(only);
	json_decref(cfg);
}

static void test_routes(void **state)
{
	const struct srv_route *all, *r;
	json_t *doc, *paths, *item, *op;
	char allow[64];
	const char *path, *m;
	bool known;
	size_t n, ops = 0;
	int t;

	(void)state;
	all = srv_routes(&n);
	assert_true(n > 20);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(all[i].fn);
		assert_non_null(all[i].summary);
		assert_true(all[i].path[0] == '/');
		for (size_t k = i + 1; k < n; k++)
			if (strcmp(all[i].path, all[k].path) == 0 && all[i].method == all[k].method)
				fail_msg("%s %s twice", srv_method_name(all[i].method), all[i].path);
		for (const struct srv_param *p = all[i].params; p && p->name; p++) {
			assert_true(p->type != SRV_P_ENUM || p->choices);
			/* srv_page_limit() reads page_size right after page. */
			if (strcmp(p->name, "page") == 0)
				assert_string_equal(p[1].name, "page_size");
		}
		r = srv_route_find(all[i].path, all[i].method, &known, allow, sizeof(allow));
		assert_ptr_equal(r, &all[i]);
	}
	/* Every object type of the model, and only those. */
	for (t = 0; srv_object_types[t]; t++)
		assert_int_not_equal(cal_type_from_name(srv_object_types[t]), CAL_T_UNKNOWN);
	assert_int_equal(t, CAL_T_COUNT_ - 1);
	/* A trailing '/' is the same route; an unknown method is a 405. */
	assert_non_null(srv_route_find("/inventory/", SRV_GET, &known, allow, sizeof(allow)));
	assert_null(srv_route_find("/inventory", SRV_POST, &known, allow, sizeof(allow)));
	assert_true(known);
	assert_string_equal(allow, "GET, PATCH");
	assert_null(srv_route_find("/inventoryx", SRV_GET, &known, allow, sizeof(allow)));
	assert_false(known);
	/* The OpenAPI document has exactly the table's operations. */
	doc = srv_openapi(NULL);
	assert_non_null(doc);
	assert_string_equal(cal_json_str(doc, "openapi"), "3.0.3");
	paths = json_object_get(doc, "paths");
	json_object_foreach(paths, path, item) {
		json_object_foreach(item, m, op) {
			unsigned method = strcmp(m, "get") == 0	    ? SRV_GET
					  : strcmp(m, "post") == 0  ? SRV_POST
					  : strcmp(m, "put") == 0   ? SRV_PUT
					  : strcmp(m, "patch") == 0 ? SRV_PATCH
					  : strcmp(m, "delete") == 0 ? SRV_DELETE
								     : 0;

			r = srv_route_find(path, method, &known, allow, sizeof(allow));
			if (!r)
				fail_msg("%s %s documented but not served", m, path);
			assert_non_null(json_object_get(op, "responses"));
			ops++;
		}
	}
	assert_int_equal(ops, n);
	assert_non_null(json_object_get(json_object_get(json_object_get(json_object_get(
		json_object_get(json_object_get(json_object_get(json_object_get(
			json_object_get(doc, "components"), "responses"), "Error"), "content"),
			"application/json"), "schema"), "properties"), "error"), "properties"));
	assert_string_equal(cal_json_str(json_object_get(json_object_get(json_object_get(
				    doc, "components"), "securitySchemes"), "token"), "name"),
			    "X-Auth-Token");
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_parse),
		cmocka_unit_test(test_params_check),
		cmocka_unit_test(test_body_check),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_schedule_prepare),
		cmocka_unit_test(test_conntest),
		cmocka_unit_test(test_routes),
		BOTH(test_users),
		BOTH(test_store_tokens),
		BOTH(test_store_messages),
		BOTH(test_store_schedules),
		BOTH(test_scan_claim),
		BOTH(test_store_conntests),
		BOTH(test_external),
	};
	const char *pg = getenv("CALIPSO_TEST_PG_URI");

	cal_log_set_level(CAL_LOG_ERROR);
	if (!pg || !*pg)
		fprintf(stderr, "test_server: PostgreSQL cases skipped: CALIPSO_TEST_PG_URI is not "
			"set (scripts/pg-test-server.sh start DIR prints one)\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
