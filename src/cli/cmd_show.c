/* cmd_show.c - `calipso show`: the inventory as a tree (no filter), a table
 * (filters), or one object in detail (ID), live or --at a past time. */
#include "commands.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* A short summary of the facts an operator looks at first. */
static char *show_summary(const json_t *o)
{
	const char *t = cal_json_str(o, CAL_F_TYPE);
	json_t *addrs = json_object_get(o, "addresses");
	char addr[160] = "";

	if (json_array_size(addrs)) {
		snprintf(addr, sizeof(addr), " %s", json_string_value(json_array_get(addrs, 0)));
		if (json_array_size(addrs) > 1)
			snprintf(addr + strlen(addr), sizeof(addr) - strlen(addr), " +%zu",
				 json_array_size(addrs) - 1);
	}
	if (strcmp(t, "host_pnic") == 0 || strcmp(t, "vnic") == 0 || strcmp(t, "switch_pnic") == 0)
		return cal_strdup_printf("%s %s%s", cal_json_str(o, "operstate"),
					 cal_json_str(o, "mac_address"), addr);
	if (strcmp(t, "vconnector") == 0)
		return cal_strdup_printf("%s, %zu ports", cal_json_str(o, "operstate"),
					 json_array_size(json_object_get(o, "interfaces")));
	if (strcmp(t, "vservice") == 0)
		return strdup(cal_json_str(o, "service_type"));
	if (strcmp(t, "otep") == 0)
		return cal_strdup_printf("%s %s, %zu peers", cal_json_str(o, "overlay_type"),
					 cal_json_str(o, "ip_address"),
					 json_array_size(json_object_get(o, "peers")));
	if (strcmp(t, "network") == 0)
		return cal_strdup_printf("%s %lld", cal_json_str(o, "provider:network_type"),
					 (long long)cal_json_int(o, "segmentation_id", 0));
	if (strcmp(t, "vedge") == 0)
		return cal_strdup_printf("%zu bridges, %zu ports",
					 json_array_size(json_object_get(o, "bridges")),
					 json_object_size(json_object_get(o, "ports")));
	if (strcmp(t, "instance") == 0)
		return cal_strdup_printf("%s%s%s", cal_json_str(o, "state"),
					 *cal_json_str(o, "state") ? " " : "",
					 cal_json_str(o, "mac_address"));
	return strdup("");
}

static void show_node(json_t *children, const json_t *o, const char *prefix, bool last)
{
	json_t *kids = json_object_get(children, cal_json_str(o, CAL_F_ID));
	char *summary = show_summary(o);
	char *name = cal_str_escape(cal_json_str(o, CAL_F_NAME));
	char *next;
	size_t i;
	json_t *k;

	/* Monitoring's verdict, when there is one, after the facts. */
	printf("%s%s %s (%s)%s%s%s%s%s\n", prefix, last ? "└─" : "├─", name ? name : "",
	       cal_json_str(o, CAL_F_TYPE), summary && *summary ? " " : "",
	       summary ? summary : "", *cal_json_str(o, CAL_F_STATUS) ? " [" : "",
	       cal_json_str(o, CAL_F_STATUS), *cal_json_str(o, CAL_F_STATUS) ? "]" : "");
	free(summary);
	free(name);
	next = cal_strdup_printf("%s%s", prefix, last ? "   " : "│  ");
	json_array_foreach(kids, i, k)
		show_node(children, k, next ? next : "", i + 1 == json_array_size(kids));
	free(next);
}

static int show_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(cal_json_str(x, CAL_F_TYPE), cal_json_str(y, CAL_F_TYPE));

	return c ? c : strcmp(cal_json_str(x, CAL_F_NAME), cal_json_str(y, CAL_F_NAME));
}

/* Sorts each child list by type, then name, for a stable tree. */
static void show_sort(json_t *list)
{
	size_t n = json_array_size(list);
	json_t **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(list, i));
	qsort(v, n, sizeof(*v), show_cmp);
	json_array_clear(list);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, v[i]);
	free(v);
}

static void show_tree(const char *env, json_t *objects)
{
	json_t *children = json_object(), *roots = json_array(), *byid = json_object();
	const char *key;
	size_t i;
	json_t *o, *list;

	json_array_foreach(objects, i, o)
		json_object_set(byid, cal_json_str(o, CAL_F_ID), o);
	json_array_foreach(objects, i, o) {
		const char *parent = cal_json_str(o, CAL_F_PARENT_ID);

		if (!json_object_get(byid, parent)) {
			json_array_append(roots, o);
			continue;
		}
		list = json_object_get(children, parent);
		if (!list) {
			list = json_array();
			json_object_set_new(children, parent, list);
		}
		json_array_append(list, o);
	}
	json_object_foreach(children, key, list)
		show_sort(list);
	show_sort(roots);
	printf("%s\n", env);
	json_array_foreach(roots, i, o)
		show_node(children, o, "", i + 1 == json_array_size(roots));
	json_decref(children);
	json_decref(roots);
	json_decref(byid);
}

static void show_table(json_t *objects)
{
	static const char *const hdr[] = { "ID", "TYPE", "NAME", "HOST", "STATE" };
	struct cli_table *t = cli_table_new(5, hdr);
	size_t i;
	json_t *o;

	json_array_foreach(objects, i, o) {
		char *summary = show_summary(o);
		const char *row[] = { cal_json_str(o, CAL_F_ID), cal_json_str(o, CAL_F_TYPE),
				      cal_json_str(o, CAL_F_NAME), cal_json_str(o, CAL_F_HOST),
				      summary };

		cli_table_add(t, row);
		free(summary);
	}
	cli_table_print(t, stdout);
	cli_table_free(t);
}

static void show_one(json_t *o, json_t *links)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(o, key, v) {
		char *text = json_is_string(v) ? strdup(json_string_value(v))
					       : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		char *esc = cal_str_escape(text);

		printf("%-18s %s\n", key, esc ? esc : "");
		free(text);
		free(esc);
	}
	if (json_array_size(links)) {
		printf("\nlinks:\n");
		json_array_foreach(links, i, v) {
			const char *src = cal_json_str(v, CAL_F_SOURCE_ID);
			bool out = strcmp(src, cal_json_str(o, CAL_F_ID)) == 0;

			printf("  %-22s %s %-40s %s %s\n", cal_json_str(v, CAL_F_LINK_TYPE),
			       out ? "->" : "<-",
			       out ? cal_json_str(v, CAL_F_TARGET_ID) : src,
			       cal_json_str(v, CAL_F_STATE), cal_json_str(v, CAL_F_LINK_NAME));
		}
	}
}

int cmd_show(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' }, { "host", required_argument, NULL, 'H' },
		{ "name", required_argument, NULL, 'n' }, { "at", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 },
	};
	struct cal_query q = { 0 };
	cal_store *st;
	json_t *objects = NULL;
	const char *at = NULL;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if ((rc = cli_type_arg(&q.type, "show", optarg)))
				return rc;
			break;
		case 'H': q.host = optarg; break;
		case 'n': q.name = optarg; break;
		case 'a': at = optarg; break;
		case 'l':
			if ((rc = cli_count_arg(&q.limit, "show", "--limit", optarg)))
				return rc;
			break;
		default: return cli_usage_error("show", "unknown option");
		}
	}
	if (optind < argc - 1)
		return cli_usage_error("show", "expected at most one ID");
	rc = cli_store_at(&st, &q.at, ctx, "show", at);
	if (rc)
		return rc;
	q.env = cli_env(ctx);
	q.with_volatile = q.at == 0;
	if (optind == argc - 1) {
		json_t *obj = NULL, *links = NULL;
		struct cal_query lq = { .env = q.env, .at = q.at };

		rc = cal_store_object_get(st, &obj, q.env, argv[optind], q.at);
		if (rc)
			return cli_fail("show", rc);
		rc = cal_store_links(st, &links, &lq, argv[optind]);
		if (rc) {
			json_decref(obj);
			return cli_fail("show", rc);
		}
		if (ctx->json) {
			json_object_set(obj, "links", links);
			cli_print_json(obj);
		} else {
			show_one(obj, links);
		}
		json_decref(obj);
		json_decref(links);
		return 0;
	}
	rc = cal_store_objects(st, &objects, &q);
	if (rc)
		return cli_fail("show", rc);
	if (ctx->json)
		cli_print_json(objects);
	else if (json_array_size(objects) == 0)
		printf("no objects in environment '%s'%s\n", q.env,
		       q.type || q.host || q.name ? " match" : " (run `calipso scan` first)");
	else if (q.type || q.host || q.name)
		show_table(objects);
	else
		show_tree(q.env, objects);
	json_decref(objects);
	return 0;
}
