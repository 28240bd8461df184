/* output.c - what every subcommand shares: opening the store, mapping
 * errors to exit codes, JSON printing and aligned tables for people.
 */
#include "cli.h"
#include "commands.h"

#include <stdlib.h>
#include <string.h>

cal_store *cli_store(struct cli_ctx *ctx)
{
	int rc;

	if (ctx->store)
		return ctx->store;
	rc = cal_store_open(&ctx->store, ctx->db ? ctx->db : cal_store_default_path());
	if (rc) {
		fprintf(stderr, "calipso: %s\n", cal_error_last());
		ctx->store = NULL;
	}
	return ctx->store;
}

const char *cli_env(const struct cli_ctx *ctx)
{
	const char *e;

	if (ctx->env && *ctx->env)
		return ctx->env;
	e = getenv("CALIPSO_ENV");
	return e && *e ? e : "local";
}

int cli_fail(const char *cmd, int code)
{
	if (code == 0)
		return CLI_EXIT_OK;
	fprintf(stderr, "calipso %s: %s\n", cmd,
		*cal_error_last() ? cal_error_last() : cal_error_name(code));
	switch (code) {
	case CAL_ENOTFOUND: return CLI_EXIT_NOTFOUND;
	case CAL_EINVALID:
	case CAL_EEXISTS: return CLI_EXIT_USAGE;
	case CAL_EPERM:
	case CAL_EAUTH: return CLI_EXIT_PERM;
	default: return CLI_EXIT_FAILURE;
	}
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "calipso %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see `calipso %s --help`)\n", cmd);
	return CLI_EXIT_USAGE;
}

const struct cli_command *cli_find_command(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

bool cli_wants_help(const struct cli_command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(cmd->usage, stdout);
			return true;
		}
	}
	return false;
}

void cli_print_json(const json_t *doc)
{
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
}

struct cli_table {
	int ncols;
	size_t nrows, cap;
	char **cells; /* row-major, nrows+1 rows (headers first) */
	size_t *width;
};

struct cli_table *cli_table_new(int ncols, const char *const *headers)
{
	struct cli_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->width = calloc((size_t)ncols, sizeof(*t->width));
	if (!t->width || cli_table_add(t, headers)) {
		cli_table_free(t);
		return NULL;
	}
	return t;
}

int cli_table_add(struct cli_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **n = realloc(t->cells, cap * (size_t)t->ncols * sizeof(*n));

		if (!n)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		t->cells = n;
		t->cap = cap;
	}
	for (int c = 0; c < t->ncols; c++) {
		/* Escaped so that a hostile name cannot move the cursor. */
		char *s = cal_str_escape(cells[c] && *cells[c] ? cells[c] : "-");
		size_t len;

		if (!s) {
			for (int k = 0; k < c; k++)
				free(t->cells[t->nrows * (size_t)t->ncols + (size_t)k]);
			return cal_error_set(CAL_ENOMEM, "out of memory");
		}
		len = strlen(s);
		if (len > t->width[c])
			t->width[c] = len;
		t->cells[t->nrows * (size_t)t->ncols + (size_t)c] = s;
	}
	t->nrows++;
	return 0;
}

void cli_table_print(struct cli_table *t, FILE *f)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];

			if (c == t->ncols - 1)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s  ", (int)t->width[c], s);
		}
	}
}

void cli_table_free(struct cli_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

char *cli_join(const json_t *arr)
{
	size_t i, len = 1;
	json_t *v;
	char *s;

	json_array_foreach(arr, i, v)
		len += strlen(json_string_value(v) ? json_string_value(v) : "") + 2;
	s = calloc(1, len);
	if (!s)
		return NULL;
	json_array_foreach(arr, i, v) {
		if (i)
			strcat(s, ", ");
		strcat(s, json_string_value(v) ? json_string_value(v) : "");
	}
	return s;
}

void cli_print_rows(const json_t *rows, int ncols, const char *const *headers,
		    const char *const *fields)
{
	struct cli_table *t = cli_table_new(ncols, headers);
	const char *row[16];
	size_t i;
	json_t *v;

	if (!t)
		return;
	json_array_foreach(rows, i, v) {
		for (int c = 0; c < ncols && c < 16; c++)
			row[c] = cal_json_str(v, fields[c]);
		cli_table_add(t, row);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
}
