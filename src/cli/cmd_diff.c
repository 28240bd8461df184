/* cmd_diff.c - `calipso diff A B`: what differs between two of the live
 * inventory, a snapshot, a time and a design (cal_diff()).  Exit status as
 * diff(1): 0 equal, 1 different, 2 bad input (an unknown snapshot or
 * design, a time that cannot be read, a bad scope); 5 when the store
 * fails.
 */
#include "commands.h"
#include "analyze/analyze.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* A JSON value on one line, escaped for a terminal; long values cut. */
static char *diff_value(const json_t *v)
{
	char *text, *esc;

	if (!v || json_is_null(v))
		return strdup("(none)");
	text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	esc = cal_str_escape(text ? text : "");
	free(text);
	if (esc && strlen(esc) > 200)
		strcpy(esc + 197, "...");
	return esc;
}

static void diff_print_fields(const json_t *fields)
{
	size_t i;
	json_t *f;

	json_array_foreach(fields, i, f) {
		json_t *added = json_object_get(f, "added"), *removed = json_object_get(f, "removed");

		if (json_is_array(added) && json_is_array(removed) &&
		    json_array_size(added) + json_array_size(removed) > 0) {
			char *a = diff_value(added), *r = diff_value(removed);

			printf("      %s:%s%s%s%s\n", cal_json_str(f, "field"),
			       json_array_size(added) ? " added " : "",
			       json_array_size(added) ? a : "",
			       json_array_size(removed) ? " removed " : "",
			       json_array_size(removed) ? r : "");
			free(a);
			free(r);
		} else {
			char *b = diff_value(json_object_get(f, "before"));
			char *a = diff_value(json_object_get(f, "after"));

			printf("      %s: %s -> %s\n", cal_json_str(f, "field"), b ? b : "",
			       a ? a : "");
			free(a);
			free(b);
		}
	}
}

static void diff_print_objects(const json_t *sec)
{
	static const char *const parts[] = { "added", "removed", "changed" };
	static const char marks[] = { '+', '-', '~' };

	for (int p = 0; p < 3; p++) {
		size_t i;
		json_t *o;

		json_array_foreach(json_object_get(sec, parts[p]), i, o) {
			char *id = cal_str_escape(cal_json_str(o, "id"));
			char *name = cal_str_escape(cal_json_str(o, "name"));

			printf("  %c %-11s %s", marks[p], cal_json_str(o, "type"), id ? id : "");
			if (name && *name && strcmp(name, id ? id : "") != 0)
				printf("  (%s%s%s)", name, *cal_json_str(o, "host") ? " on " : "",
				       cal_json_str(o, "host"));
			printf("\n");
			diff_print_fields(json_object_get(o, "fields"));
			free(id);
			free(name);
		}
	}
}

static void diff_print_links(const json_t *sec)
{
	static const char *const parts[] = { "added", "removed", "changed" };
	static const char marks[] = { '+', '-', '~' };

	for (int p = 0; p < 3; p++) {
		size_t i;
		json_t *l;

		json_array_foreach(json_object_get(sec, parts[p]), i, l) {
			char *src = cal_str_escape(cal_json_str(l, "source_id"));
			char *dst = cal_str_escape(cal_json_str(l, "target_id"));

			printf("  %c %-22s %s -> %s", marks[p], cal_json_str(l, "link_type"),
			       src ? src : "", dst ? dst : "");
			if (*cal_json_str(l, "state"))
				printf("  [%s]", cal_json_str(l, "state"));
			printf("\n");
			diff_print_fields(json_object_get(l, "fields"));
			free(src);
			free(dst);
		}
	}
}

static void diff_print_ids(const char *what, const json_t *ids)
{
	size_t i;
	json_t *v;

	json_array_foreach(ids, i, v) {
		char *esc = cal_str_escape(json_string_value(v));

		printf("      %s %s\n", what, esc ? esc : "");
		free(esc);
	}
}

static void diff_print_ref(const char *label, const json_t *r)
{
	const char *kind = cal_json_str(r, "kind");

	printf("%s %s", label, cal_json_str(r, "ref"));
	if (strcmp(kind, "snapshot") == 0)
		printf(" (snapshot at %s)", cal_json_str(r, "time"));
	else if (strcmp(kind, "time") == 0)
		printf(" (%s)", cal_json_str(r, "time"));
	else if (strcmp(kind, "design") == 0)
		printf(" (design)");
	printf("\n");
}

void cli_print_diff(const json_t *d, bool summary_only)
{
	json_t *s = json_object_get(d, "summary"), *c;
	size_t i;

	diff_print_ref("---", json_object_get(d, "a"));
	diff_print_ref("+++", json_object_get(d, "b"));
	printf("scope %s: objects %lld added, %lld removed, %lld changed; links %lld added, "
	       "%lld removed, %lld changed; cliques %lld added, %lld removed, %lld changed\n",
	       cal_json_str(d, "scope"), (long long)cal_json_int(s, "objects_added", 0),
	       (long long)cal_json_int(s, "objects_removed", 0),
	       (long long)cal_json_int(s, "objects_changed", 0),
	       (long long)cal_json_int(s, "links_added", 0),
	       (long long)cal_json_int(s, "links_removed", 0),
	       (long long)cal_json_int(s, "links_changed", 0),
	       (long long)cal_json_int(s, "cliques_added", 0),
	       (long long)cal_json_int(s, "cliques_removed", 0),
	       (long long)cal_json_int(s, "cliques_changed", 0));
	if (summary_only || json_is_true(json_object_get(d, "equal")))
		return;
	if (cal_json_int(s, "objects_added", 0) + cal_json_int(s, "objects_removed", 0) +
	    cal_json_int(s, "objects_changed", 0)) {
		printf("objects:\n");
		diff_print_objects(json_object_get(d, "objects"));
	}
	if (cal_json_int(s, "links_added", 0) + cal_json_int(s, "links_removed", 0) +
	    cal_json_int(s, "links_changed", 0)) {
		printf("links:\n");
		diff_print_links(json_object_get(d, "links"));
	}
	if (json_array_size(json_object_get(d, "cliques")))
		printf("cliques:\n");
	json_array_foreach(json_object_get(d, "cliques"), i, c) {
		const char *ch = cal_json_str(c, "change");
		json_t *h = json_object_get(c, "health");
		char *hb = diff_value(json_object_get(h, "before"));
		char *ha = diff_value(json_object_get(h, "after"));
		char *focal = cal_str_escape(cal_json_str(c, "focal_point"));

		printf("  %c %-11s %s", strcmp(ch, "added") == 0 ? '+'
					: strcmp(ch, "removed") == 0 ? '-' : '~',
		       cal_json_str(c, "focal_point_type"), focal ? focal : "");
		if (strcmp(ch, "added") == 0)
			printf("  health %s", ha ? ha : "");
		else if (strcmp(ch, "removed") == 0)
			printf("  health was %s", hb ? hb : "");
		else if (!json_equal(json_object_get(h, "before"), json_object_get(h, "after")))
			printf("  health %s -> %s", hb ? hb : "", ha ? ha : "");
		printf("\n");
		if (strcmp(ch, "changed") == 0) {
			diff_print_ids("+ node", json_object_get(c, "nodes_added"));
			diff_print_ids("- node", json_object_get(c, "nodes_removed"));
			diff_print_ids("+ link", json_object_get(c, "links_added"));
			diff_print_ids("- link", json_object_get(c, "links_removed"));
		}
		free(hb);
		free(ha);
		free(focal);
	}
}

static int diff_run(struct cli_ctx *ctx, int argc, char **argv);

/* An option ("--x", "-x"), not an operand ("-7d" is a relative time). */
static bool diff_is_option(const char *a)
{
	return a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9');
}

static bool diff_takes_value(const char *a, const char *const *with_value)
{
	for (int k = 0; with_value && with_value[k]; k++)
		if (strcmp(a, with_value[k]) == 0)
			return true;
	return false;
}

char **cli_times_as_operands(int *argc, char **argv, const char *const *with_value)
{
	char **out = calloc((size_t)*argc + 2, sizeof(*out));
	int n = 0, end = *argc;

	if (!out)
		return NULL;
	out[n++] = argv[0];
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			end = i;
			break;
		}
		if (!diff_is_option(argv[i]))
			continue;
		out[n++] = argv[i];
		if (diff_takes_value(argv[i], with_value) && i + 1 < *argc)
			out[n++] = argv[++i];
	}
	out[n++] = "--";
	for (int i = 1; i < end; i++) {
		if (diff_is_option(argv[i])) {
			if (diff_takes_value(argv[i], with_value))
				i++;
			continue;
		}
		out[n++] = argv[i];
	}
	for (int i = end + 1; i < *argc; i++)
		out[n++] = argv[i];
	*argc = n;
	return out;
}

int cmd_diff(struct cli_ctx *ctx, int argc, char **argv)
{
	static const char *const with_value[] = { "--scope", NULL };
	char **args = cli_times_as_operands(&argc, argv, with_value);
	int rc;

	if (!args)
		return cli_fail("diff", cal_error_set(CAL_ENOMEM, "out of memory"));
	rc = diff_run(ctx, argc, args);
	free(args);
	return rc;
}

static int diff_run(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scope", required_argument, NULL, 's' },
		{ "no-cliques", no_argument, NULL, 'C' },
		{ "summary", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct cal_diff_opts o = { 0 };
	bool summary_only = false;
	cal_store *st;
	json_t *d = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.scope = optarg; break;
		case 'C': o.no_cliques = true; break;
		case 'S': summary_only = true; break;
		default: return cli_usage_error("diff", "unknown option");
		}
	}
	if (optind != argc - 2)
		return cli_usage_error("diff", "expected two references A B (live, a snapshot, a "
				       "time or design:NAME)");
	st = cli_store(ctx);
	if (!st)
		return CLI_EXIT_FAILURE;
	rc = cal_diff(st, &d, cli_env(ctx), argv[optind], argv[optind + 1], &o);
	if (rc)
		return cli_fail("diff", rc == CAL_ENOTFOUND ? CAL_EINVALID : rc);
	if (ctx->json)
		cli_print_json(d);
	else
		cli_print_diff(d, summary_only);
	rc = json_is_true(json_object_get(d, "equal")) ? CLI_EXIT_OK : CLI_EXIT_DIFFERENT;
	json_decref(d);
	return rc;
}
