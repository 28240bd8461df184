/* sn_world.h - fixtures shared by test_diff.c and test_report.c: the store
 * of store_fixture.h (files /tmp/sn-unit-*, schemas sn_t<pid>); a small synthetic
 * environment committed through cal_store_commit() with its cliques
 * refreshed; helpers to read diffs.  Header-only (static inline), for
 * tests only.
 */
#ifndef CALIPSO_TEST_SN_WORLD_H
#define CALIPSO_TEST_SN_WORLD_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "analyze/analyze.h"
#include "core/core.h"
#include "store/store.h"

#define FX_PREFIX "sn"
#include "store_fixture.h"

#define T0 1795334400000000LL /* 2026-11-22T08:00:00Z */
#define SEC 1000000LL
#define DAY (86400LL * SEC)

/* ------------------------------------------------------------------ */
/* A synthetic environment                                             */
/* ------------------------------------------------------------------ */

/* Per host hN: the host, NIC eth0, bridge br0, VM vmN of project pN with
 * its vNIC; links instance-vnic, vnic-vconnector, vconnector-host_pnic. */
struct world {
	json_t *objects, *links;
};

static inline json_t *w_obj(const char *env, enum cal_obj_type t, const char *id, const char *name,
		     const char *host, const json_t *parent)
{
	json_t *o = cal_object_new(env, t, id, name, host);

	assert_non_null(o);
	if (parent)
		assert_int_equal(cal_object_set_parent(o, parent), 0);
	json_object_set_new(o, CAL_F_SOURCE, json_string("netlink"));
	return o;
}

static inline void w_link(struct world *w, const char *env, const char *src, const char *dst,
		   const char *name, const char *state)
{
	json_t *s = json_object_get(w->objects, src), *d = json_object_get(w->objects, dst);
	json_t *l;

	assert_non_null(s);
	assert_non_null(d);
	l = cal_link_new(env, s, d, name, state, NULL, cal_json_str(s, CAL_F_HOST));
	assert_non_null(l);
	json_object_set_new(w->links, cal_json_str(l, CAL_F_ID), l);
}

static inline void w_host(struct world *w, const char *env, int n)
{
	char h[16], nic[40], br[40], vm[16], vnic[40], proj[16];
	json_t *ho, *o, *inst;

	snprintf(h, sizeof(h), "h%d", n);
	snprintf(nic, sizeof(nic), "h%d:host_pnic:eth0", n);
	snprintf(br, sizeof(br), "h%d:vconnector:br0", n);
	snprintf(vm, sizeof(vm), "vm%d", n);
	snprintf(vnic, sizeof(vnic), "h%d:vnic:tap%d", n, n);
	snprintf(proj, sizeof(proj), "p%d", n);
	ho = w_obj(env, CAL_T_HOST, h, h, h, NULL);
	json_object_set_new(w->objects, h, ho);
	o = w_obj(env, CAL_T_HOST_PNIC, nic, "eth0", h, ho);
	json_object_set_new(o, "operstate", json_string("up"));
	json_object_set_new(o, "mtu", json_integer(1500));
	json_object_set_new(w->objects, nic, o);
	o = w_obj(env, CAL_T_VCONNECTOR, br, "br0", h, ho);
	json_object_set_new(o, "interfaces",
			    json_pack("[{s:s, s:s}, {s:s, s:s}]", "name", "eth0", "operstate", "up",
				      "name", "tap", "operstate", "up"));
	json_object_set_new(w->objects, br, o);
	inst = w_obj(env, CAL_T_INSTANCE, vm, vm, h, ho);
	json_object_set_new(inst, "project_id", json_string(proj));
	json_object_set_new(w->objects, vm, inst);
	o = w_obj(env, CAL_T_VNIC, vnic, "tap", h, inst);
	json_object_set_new(o, "instance_id", json_string(vm));
	json_object_set_new(o, "operstate", json_string("up"));
	json_object_set_new(w->objects, vnic, o);
	w_link(w, env, vm, vnic, "net", "up");
	w_link(w, env, vnic, br, "mac", "up");
	w_link(w, env, br, nic, "eth0", "up");
}

static inline void w_init(struct world *w, const char *env, int hosts)
{
	w->objects = json_object();
	w->links = json_object();
	for (int i = 1; i <= hosts; i++)
		w_host(w, env, i);
}

static inline void w_fini(struct world *w)
{
	json_decref(w->objects);
	json_decref(w->links);
}

/* Commits the world as the whole environment and refreshes its cliques;
 * returns the commit time. */
static inline int64_t w_commit(cal_store *st, struct world *w, const char *env, int64_t ts)
{
	struct cal_commit c = { .env = env, .ts = ts, .objects = w->objects, .links = w->links,
				.clear = true };
	struct cal_commit_stats stats;

	assert_int_equal(cal_store_commit(st, &c, &stats), 0);
	assert_int_equal(cal_clique_refresh(st, env, stats.ts, NULL), 0);
	return stats.ts;
}

static inline void w_set(struct world *w, const char *id, const char *key, json_t *v)
{
	json_t *o = json_object_get(w->objects, id);

	assert_non_null(o);
	json_object_set_new(o, key, v);
}

/* Removes an object and the links touching it. */
static inline void w_remove(struct world *w, const char *id)
{
	void *it = json_object_iter(w->links);

	json_object_del(w->objects, id);
	while (it) {
		json_t *l = json_object_iter_value(it);
		const char *lid = json_object_iter_key(it);

		it = json_object_iter_next(w->links, it);
		if (strcmp(cal_json_str(l, CAL_F_SOURCE_ID), id) == 0 ||
		    strcmp(cal_json_str(l, CAL_F_TARGET_ID), id) == 0)
			json_object_del(w->links, lid);
	}
}

static inline json_t *snap(cal_store *st, const char *env, const char *name)
{
	struct cal_snapshot_opts o = { .name = name };
	json_t *s = NULL;

	if (cal_snapshot_create(st, &s, env, &o) != 0)
		fail_msg("snapshot %s: %s", name, cal_error_last());
	return s;
}

static inline json_t *diff(cal_store *st, const char *env, const char *a, const char *b,
		    const char *scope)
{
	struct cal_diff_opts o = { .scope = scope };
	json_t *d = NULL;

	if (cal_diff(st, &d, env, a, b, &o) != 0)
		fail_msg("diff %s %s: %s", a, b, cal_error_last());
	return d;
}

/* Sorted ids of one part of a diff ("objects", "added"), joined by ','. */
static inline char *ids_of(const json_t *d, const char *section, const char *part)
{
	char buf[4096] = "";
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(json_object_get(d, section), part), i, e)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "",
			 cal_json_str(e, "id"));
	return strdup(buf);
}

static inline void assert_ids(const json_t *d, const char *section, const char *part,
		       const char *want)
{
	char *got = ids_of(d, section, part);

	if (strcmp(got, want) != 0)
		fail_msg("%s.%s: got '%s', want '%s'", section, part, got, want);
	free(got);
}

static inline const json_t *changed_entry(const json_t *d, const char *section, const char *id)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(json_object_get(d, section), "changed"), i, e)
		if (strcmp(cal_json_str(e, "id"), id) == 0)
			return e;
	return NULL;
}

static inline const json_t *field_of(const json_t *entry, const char *field)
{
	size_t i;
	json_t *f;

	json_array_foreach(json_object_get(entry, "fields"), i, f)
		if (strcmp(cal_json_str(f, "field"), field) == 0)
			return f;
	return NULL;
}

/* Everything `show --at` and `links --at` read at time `at`, as text. */
static inline char *inventory_text(cal_store *st, const char *env, int64_t at)
{
	struct cal_query q = { .env = env, .at = at };
	json_t *o = NULL, *l = NULL, *both;
	char *s;

	assert_int_equal(cal_store_objects(st, &o, &q), 0);
	assert_int_equal(cal_store_links(st, &l, &q, NULL), 0);
	both = json_pack("[o, o]", o, l);
	s = json_dumps(both, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(both);
	return s;
}

#endif
