/* cmd_user.c - `calipso user add|list|rm|passwd|roles`: the REST API's
 * users, in the store given by --db.  Passwords come from a prompt (twice,
 * without echo) on a terminal, else from the first line of stdin; never
 * from the command line, where `ps` would show them.
 */
#include "commands.h"
#include "server/server.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define USER_PW_MAX 1100

/* One line from f into buf (without its newline); false at EOF. */
static bool user_line(char *buf, size_t n, FILE *f)
{
	size_t len;

	if (!fgets(buf, (int)n, f))
		return false;
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return true;
}

static bool user_prompt(char *buf, size_t n, const char *prompt, FILE *tty)
{
	struct termios old, quiet;
	bool ok;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(fileno(tty), &old) != 0)
		return user_line(buf, n, tty);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	ok = user_line(buf, n, tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', stderr);
	return ok;
}

/* The new password into buf; CLI_EXIT_* on failure. */
static int user_read_password(char *buf, size_t n, bool from_stdin)
{
	char again[USER_PW_MAX];
	int rc = 0;

	if (from_stdin || !isatty(STDIN_FILENO)) {
		if (!user_line(buf, n, stdin)) {
			fprintf(stderr, "calipso user: no password on stdin\n");
			return CLI_EXIT_USAGE;
		}
		return 0;
	}
	if (!user_prompt(buf, n, "password: ", stdin) ||
	    !user_prompt(again, sizeof(again), "again: ", stdin)) {
		fprintf(stderr, "calipso user: no password given\n");
		rc = CLI_EXIT_USAGE;
	} else if (strcmp(buf, again) != 0) {
		fprintf(stderr, "calipso user: the passwords differ\n");
		rc = CLI_EXIT_USAGE;
	}
	memset(again, 0, sizeof(again));
	return rc;
}

static int user_add(struct cli_ctx *ctx, int argc, char **argv, bool passwd)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "password-stdin", no_argument, NULL, 's' },
		{ "replace", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *roles = json_array();
	char pw[USER_PW_MAX];
	bool from_stdin = false, replace = false;
	cal_store *st;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (passwd) {
				json_decref(roles);
				return cli_usage_error("user", "passwd takes no --role");
			}
			json_array_append_new(roles, json_string(optarg));
			break;
		case 's': from_stdin = true; break;
		case 'R': replace = !passwd; break;
		default: json_decref(roles); return cli_usage_error("user", "unknown option");
		}
	}
	if (optind != argc - 1) {
		json_decref(roles);
		return cli_usage_error("user", "expected exactly one user NAME");
	}
	rc = cal_user_check_name(argv[optind]);
	if (rc == 0 && !passwd)
		rc = cal_user_check_roles(roles);
	if (rc) {
		json_decref(roles);
		return cli_fail("user", rc);
	}
	st = cli_store(ctx);
	if (!st) {
		json_decref(roles);
		return CLI_EXIT_FAILURE;
	}
	rc = user_read_password(pw, sizeof(pw), from_stdin);
	if (rc) {
		json_decref(roles);
		return rc;
	}
	rc = passwd ? cal_user_passwd(st, argv[optind], pw)
		    : cal_user_add(st, argv[optind], pw, roles, replace);
	memset(pw, 0, sizeof(pw));
	json_decref(roles);
	if (rc == CAL_EEXISTS) {
		fprintf(stderr, "calipso user: user '%s' exists; use --replace, or `calipso user "
				"passwd`\n", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (rc == 0)
		printf(passwd ? "password of '%s' changed (its tokens are revoked)\n"
			      : "user '%s' added\n", argv[optind]);
	return cli_fail("user", rc);
}

static int user_list(struct cli_ctx *ctx)
{
	static const char *const hdr[] = { "NAME", "ROLES", "UPDATED" };
	cal_store *st = cli_store(ctx);
	struct cli_table *t;
	json_t *users = NULL, *u;
	size_t i;
	int rc;

	if (!st)
		return CLI_EXIT_FAILURE;
	rc = cal_store_user_list(st, &users);
	if (rc)
		return cli_fail("user", rc);
	if (ctx->json) {
		cli_print_json(users);
		json_decref(users);
		return 0;
	}
	t = cli_table_new(3, hdr);
	json_array_foreach(users, i, u) {
		char *roles = json_dumps(json_object_get(u, "roles"), JSON_COMPACT);
		const char *row[] = { cal_json_str(u, "name"), roles, cal_json_str(u, "updated") };

		cli_table_add(t, row);
		free(roles);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
	json_decref(users);
	return 0;
}

static int user_rm(struct cli_ctx *ctx, int argc, char **argv)
{
	cal_store *st;
	int rc;

	if (argc != 2)
		return cli_usage_error("user", "user rm needs exactly one NAME");
	st = cli_store(ctx);
	if (!st)
		return CLI_EXIT_FAILURE;
	rc = cal_store_user_remove(st, argv[1]);
	if (rc == 0)
		printf("user '%s' removed\n", argv[1]);
	return cli_fail("user", rc);
}

static int user_roles(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *roles = json_array();
	cal_store *st;
	int rc;

	if (argc < 2) {
		json_decref(roles);
		return cli_usage_error("user", "user roles needs a NAME and its ROLES");
	}
	for (int i = 2; i < argc; i++)
		json_array_append_new(roles, json_string(argv[i]));
	rc = cal_user_check_roles(roles);
	st = rc ? NULL : cli_store(ctx);
	if (rc == 0 && !st) {
		json_decref(roles);
		return CLI_EXIT_FAILURE;
	}
	if (rc == 0)
		rc = cal_user_set_roles(st, argv[1], roles);
	json_decref(roles);
	if (rc == 0)
		printf("roles of '%s' set\n", argv[1]);
	return cli_fail("user", rc);
}

int cmd_user(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("user", "expected add, list, rm, passwd or roles");
	if (strcmp(argv[1], "add") == 0)
		return user_add(ctx, argc - 1, argv + 1, false);
	if (strcmp(argv[1], "passwd") == 0)
		return user_add(ctx, argc - 1, argv + 1, true);
	if (strcmp(argv[1], "list") == 0)
		return argc == 2 ? user_list(ctx) : cli_usage_error("user", "list takes no argument");
	if (strcmp(argv[1], "rm") == 0)
		return user_rm(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "roles") == 0)
		return user_roles(ctx, argc - 1, argv + 1);
	return cli_usage_error("user", "unknown subcommand '%s' (add, list, rm, passwd, roles)",
			       argv[1]);
}
