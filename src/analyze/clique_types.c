/* clique_types.c - clique types: the defaults (docs/cliques.md), the
 * user's (table clique_types), validation, selection by specificity and
 * compilation into growth plans.
 *
 * An entry "A-B" of link_types walks from the objects of type A reached so
 * far to objects of type B, over links stored either way round ("A-B" with
 * A as source, or "B-A" with A as target).  The direction comes from the
 * spelling, so "network-host_pnic" walks from a network down to its NICs
 * and "vnic-vedge" never walks back from a vedge to its other vnics.
 *
 * Selection: a type applies to an environment when each selector it sets
 * (other than "ANY") matches the environment's configuration: its name;
 * its distribution (and version); mechanism and type drivers when every
 * driver the environment lists is in the type's list.  The most specific
 * applicable type wins: environment name, then distribution and version,
 * then mechanism driver, then type driver, then none (ANY); on a tie a
 * user type beats a default, then the smaller id.
 *
 * Trust: user types come from files and the API: every key is checked and
 * unknown keys are errors.
 */
#include "analyze/analyze_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CT_PNIC_CHAIN                                                                    \
	"\"vnic-vconnector\", \"vconnector-vedge\", \"vnic-vedge\", \"vconnector-otep\", " \
	"\"vedge-otep\", \"otep-vconnector\", \"otep-host_pnic\", \"vconnector-host_pnic\", " \
	"\"vedge-host_pnic\", \"host_pnic-network\", \"host_pnic-switch_pnic\", "           \
	"\"switch_pnic-switch\""
#define CT_PNIC_CHAIN_VLAN                                                               \
	"\"vnic-vconnector\", \"vconnector-vedge\", \"vnic-vedge\", "                       \
	"\"vconnector-host_pnic\", \"vedge-host_pnic\", \"host_pnic-network\", "            \
	"\"host_pnic-switch_pnic\", \"switch_pnic-switch\""
#define CT_DOWN_CHAIN                                                                    \
	"\"host_pnic-otep\", \"host_pnic-vedge\", \"host_pnic-vconnector\", "               \
	"\"otep-vedge\", \"otep-vconnector\", \"vedge-vconnector\", \"vedge-vnic\", "        \
	"\"vconnector-vnic\", \"vnic-instance\", \"vnic-vservice\""
#define CT_DOWN_CHAIN_VLAN                                                               \
	"\"host_pnic-vedge\", \"host_pnic-vconnector\", \"vedge-vconnector\", "             \
	"\"vedge-vnic\", \"vconnector-vnic\", \"vnic-instance\", \"vnic-vservice\""

/* The defaults (docs/cliques.md explains each entry). */
static const char ct_defaults[] =
	"["
	"{\"id\": \"instance\", \"name\": \"instance to the wire\", "
	" \"focal_point_type\": \"instance\", \"constraints\": [\"network\"], "
	" \"link_types\": [\"instance-vnic\", " CT_PNIC_CHAIN "]},"
	"{\"id\": \"vservice\", \"name\": \"network service to the wire\", "
	" \"focal_point_type\": \"vservice\", \"constraints\": [\"network\"], "
	" \"link_types\": [\"vservice-vnic\", " CT_PNIC_CHAIN "]},"
	"{\"id\": \"network\", \"name\": \"network down to its instances and services\", "
	" \"focal_point_type\": \"network\", \"constraints\": [\"network\"], "
	" \"link_types\": [\"network-host_pnic\", \"host_pnic-switch_pnic\", "
	"   \"switch_pnic-switch\", " CT_DOWN_CHAIN "]},"
	"{\"id\": \"switch_pnic\", \"name\": \"switch port and all it carries\", "
	" \"focal_point_type\": \"switch_pnic\", "
	" \"link_types\": [\"switch_pnic-switch_pnic\", \"switch_pnic-switch\", "
	"   \"switch_pnic-host_pnic\", \"host_pnic-network\", " CT_DOWN_CHAIN "]},"
	"{\"id\": \"instance-vlan\", \"name\": \"instance to the wire, VLAN and flat\", "
	" \"focal_point_type\": \"instance\", \"constraints\": [\"network\"], "
	" \"type_drivers\": [\"vlan\", \"flat\"], "
	" \"link_types\": [\"instance-vnic\", " CT_PNIC_CHAIN_VLAN "]},"
	"{\"id\": \"vservice-vlan\", \"name\": \"network service to the wire, VLAN and flat\", "
	" \"focal_point_type\": \"vservice\", \"constraints\": [\"network\"], "
	" \"type_drivers\": [\"vlan\", \"flat\"], "
	" \"link_types\": [\"vservice-vnic\", " CT_PNIC_CHAIN_VLAN "]},"
	"{\"id\": \"network-vlan\", \"name\": \"network down to its instances, VLAN and flat\", "
	" \"focal_point_type\": \"network\", \"constraints\": [\"network\"], "
	" \"type_drivers\": [\"vlan\", \"flat\"], "
	" \"link_types\": [\"network-host_pnic\", \"host_pnic-switch_pnic\", "
	"   \"switch_pnic-switch\", " CT_DOWN_CHAIN_VLAN "]}"
	"]";

static const char *const ct_keys[] = { "id", "name", "focal_point_type", "link_types",
				       "environment", "distribution", "distribution_version",
				       "mechanism_drivers", "type_drivers", "constraints",
				       "builtin", NULL };

static json_t *ct_defaults_load(void)
{
	json_error_t err;
	json_t *d = json_loads(ct_defaults, 0, &err);

	if (!d)
		cal_error_set(CAL_ENOMEM, "built-in clique types: %s", err.text);
	return d;
}

static bool ct_key_known(const char *k)
{
	for (const char *const *p = ct_keys; *p; p++)
		if (strcmp(*p, k) == 0)
			return true;
	return false;
}

static bool ct_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			return false;
	}
	return true;
}

/* A selector: absent, a string, or an array of strings. */
static int ct_check_strings(const json_t *t, const char *key, const char *id, bool list_ok)
{
	json_t *v = json_object_get(t, key);
	size_t i;
	json_t *x;

	if (!v || json_is_string(v))
		return 0;
	if (!list_ok || !json_is_array(v))
		return cal_error_set(CAL_EINVALID, "clique type '%s': '%s' must be a string%s", id,
				     key, list_ok ? " or an array of strings" : "");
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return cal_error_set(CAL_EINVALID,
					     "clique type '%s': '%s' must hold strings only", id,
					     key);
	return 0;
}

int cal_clique_type_check(const json_t *t)
{
	const char *id, *k, *focal;
	json_t *v, *lts;
	size_t i;
	int rc;

	if (!json_is_object(t))
		return cal_error_set(CAL_EINVALID, "a clique type must be a JSON object");
	id = cal_json_str(t, "id");
	if (!ct_id_ok(id))
		return cal_error_set(CAL_EINVALID, "clique type: 'id' must be 1-128 letters, digits, "
				     "'-', '_', '.' or ':' (got '%s')", id);
	json_object_foreach((json_t *)t, k, v) {
		if (!ct_key_known(k))
			return cal_error_set(CAL_EINVALID, "clique type '%s': unknown key '%s'", id, k);
	}
	focal = cal_json_str(t, "focal_point_type");
	if (cal_type_from_name(focal) == CAL_T_UNKNOWN)
		return cal_error_set(CAL_EINVALID, "clique type '%s': unknown focal_point_type '%s'",
				     id, focal);
	lts = json_object_get(t, "link_types");
	if (!json_is_array(lts) || json_array_size(lts) == 0)
		return cal_error_set(CAL_EINVALID,
				     "clique type '%s': 'link_types' must be a non-empty array", id);
	json_array_foreach(lts, i, v) {
		enum cal_obj_type a, b;

		if (!json_is_string(v) || !an_link_type_split(json_string_value(v), &a, &b))
			return cal_error_set(CAL_EINVALID,
					     "clique type '%s': link type #%zu must be two object "
					     "types joined by '-' (got %s)", id, i + 1,
					     json_is_string(v) ? json_string_value(v) : "a non-string");
	}
	v = json_object_get(t, "constraints");
	if (v) {
		if (!json_is_array(v))
			return cal_error_set(CAL_EINVALID,
					     "clique type '%s': 'constraints' must be an array", id);
		json_array_foreach(v, i, lts) {
			if (!json_is_string(lts) || strcmp(json_string_value(lts), "network") != 0)
				return cal_error_set(CAL_EINVALID, "clique type '%s': unknown "
						     "constraint (only \"network\" exists)", id);
		}
	}
	if ((rc = ct_check_strings(t, "name", id, false)) ||
	    (rc = ct_check_strings(t, "environment", id, false)) ||
	    (rc = ct_check_strings(t, "distribution", id, false)) ||
	    (rc = ct_check_strings(t, "distribution_version", id, false)) ||
	    (rc = ct_check_strings(t, "mechanism_drivers", id, true)) ||
	    (rc = ct_check_strings(t, "type_drivers", id, true)))
		return rc;
	v = json_object_get(t, "builtin");
	if (v && !json_is_boolean(v))
		return cal_error_set(CAL_EINVALID, "clique type '%s': 'builtin' must be a boolean",
				     id);
	return 0;
}

/* User types: id -> doc. */
static int ct_user_types(cal_store *st, json_t **out)
{
	cal_store_stmt *s = NULL;
	json_t *map = json_object();
	int rc;

	*out = NULL;
	if (!map)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	rc = cal_store_sql_prepare(st, &s, "SELECT id, doc FROM clique_types ORDER BY id");
	while (rc == 0 && (rc = cal_store_sql_step(s)) == CAL_STORE_ROW) {
		json_error_t err;
		json_t *doc = json_loads(cal_store_sql_text(s, 1), 0, &err);

		rc = 0;
		if (!doc) {
			rc = cal_error_set(CAL_EINVALID, "stored clique type '%s' is not JSON: %s",
					   cal_store_sql_text(s, 0), err.text);
			break;
		}
		json_object_set_new(map, cal_store_sql_text(s, 0), doc);
	}
	cal_store_sql_reset(s);
	if (rc < 0) {
		json_decref(map);
		return rc;
	}
	*out = map;
	return 0;
}

/* Every type in force: defaults not overridden, then user types, each with
 * "builtin". */
static int ct_effective(cal_store *st, json_t **out)
{
	json_t *defs = NULL, *users = NULL, *all = NULL;
	const char *id;
	size_t i;
	json_t *t;
	int rc;

	*out = NULL;
	defs = ct_defaults_load();
	if (!defs)
		return CAL_ENOMEM;
	rc = ct_user_types(st, &users);
	if (rc)
		goto out;
	all = json_array();
	json_array_foreach(defs, i, t) {
		if (json_object_get(users, cal_json_str(t, "id")))
			continue;
		json_object_set_new(t, "builtin", json_true());
		json_array_append(all, t);
	}
	json_object_foreach(users, id, t) {
		json_object_set_new(t, "builtin", json_false());
		json_array_append(all, t);
	}
	*out = all;
out:
	json_decref(defs);
	json_decref(users);
	return rc;
}

int cal_clique_types_list(cal_store *st, json_t **out)
{
	return ct_effective(st, out);
}

static bool ct_is_default(const char *id)
{
	json_t *defs = ct_defaults_load();
	bool found = false;
	size_t i;
	json_t *t;

	json_array_foreach(defs, i, t)
		if (strcmp(cal_json_str(t, "id"), id) == 0)
			found = true;
	json_decref(defs);
	return found;
}

int cal_clique_type_put(cal_store *st, const json_t *type, bool replace)
{
	const char *id;
	json_t *copy = NULL, *users = NULL;
	char *text = NULL;
	int64_t now = cal_time_now_us();
	int rc;

	rc = cal_clique_type_check(type);
	if (rc)
		return rc;
	id = cal_json_str(type, "id");
	rc = cal_store_tx_begin(st, "calipso:clique_types");
	if (rc)
		return rc;
	rc = ct_user_types(st, &users);
	if (rc)
		goto out;
	if (!replace && (json_object_get(users, id) || ct_is_default(id))) {
		rc = cal_error_set(CAL_EEXISTS, "clique type '%s' exists (use --replace to %s it)",
				   id, json_object_get(users, id) ? "replace" : "override");
		goto out;
	}
	copy = json_deep_copy(type);
	if (!copy) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	json_object_del(copy, "builtin");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	rc = cal_store_sql_exec(st, "INSERT INTO clique_types (id, focal_point_type, doc, created, "
				"updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
				"focal_point_type = excluded.focal_point_type, doc = excluded.doc, "
				"updated = excluded.updated", "tttii", id,
				cal_json_str(type, "focal_point_type"), text, now, now);
	if (rc == 0)
		rc = cal_store_tx_commit(st);
out:
	if (rc)
		cal_store_tx_rollback(st);
	json_decref(copy);
	json_decref(users);
	free(text);
	return rc;
}

int cal_clique_type_remove(cal_store *st, const char *id)
{
	json_t *users = NULL;
	int rc;

	rc = cal_store_tx_begin(st, "calipso:clique_types");
	if (rc)
		return rc;
	rc = ct_user_types(st, &users);
	if (rc)
		goto out;
	if (!json_object_get(users, id)) {
		if (ct_is_default(id))
			rc = cal_error_set(CAL_EINVALID, "clique type '%s' is built in and cannot be "
					   "removed; override it with `calipso clique-type add "
					   "--replace` or add a more specific type", id);
		else
			rc = cal_error_set(CAL_ENOTFOUND, "no clique type '%s'", id);
		goto out;
	}
	rc = cal_store_sql_exec(st, "DELETE FROM clique_types WHERE id = ?", "t", id);
	if (rc == 0)
		rc = cal_store_tx_commit(st);
out:
	if (rc)
		cal_store_tx_rollback(st);
	json_decref(users);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Selection                                                           */
/* ------------------------------------------------------------------ */

static bool ct_is_any(const json_t *v)
{
	if (!v || json_is_null(v))
		return true;
	if (json_is_string(v))
		return strcasecmp(json_string_value(v), "ANY") == 0 || !*json_string_value(v);
	if (json_is_array(v)) {
		if (json_array_size(v) == 0)
			return true;
		return json_array_size(v) == 1 && ct_is_any(json_array_get(v, 0));
	}
	return false;
}

static bool ct_list_has(const json_t *list, const char *s)
{
	size_t i;
	json_t *x;

	if (json_is_string(list))
		return strcasecmp(json_string_value(list), s) == 0;
	json_array_foreach(list, i, x)
		if (json_is_string(x) && strcasecmp(json_string_value(x), s) == 0)
			return true;
	return false;
}

/* Every driver the environment lists is among the type's. */
static bool ct_drivers_match(const json_t *type_list, const json_t *env_list)
{
	size_t i;
	json_t *x;

	if (!env_list || ct_is_any(env_list))
		return false;
	if (json_is_string(env_list))
		return ct_list_has(type_list, json_string_value(env_list));
	json_array_foreach(env_list, i, x)
		if (!json_is_string(x) || !ct_list_has(type_list, json_string_value(x)))
			return false;
	return true;
}

/* Specificity of `t` for the environment, or -1 when it does not apply. */
static int ct_score(const json_t *t, const char *env, const json_t *cfg)
{
	const json_t *v;
	int score = 0;

	v = json_object_get(t, "environment");
	if (!ct_is_any(v)) {
		if (strcmp(json_string_value(v), env) != 0)
			return -1;
		score |= 16;
	}
	v = json_object_get(t, "distribution");
	if (!ct_is_any(v)) {
		if (strcasecmp(json_string_value(v), cal_json_str(cfg, "distribution")) != 0)
			return -1;
		score |= 8;
	}
	v = json_object_get(t, "distribution_version");
	if (!ct_is_any(v)) {
		if (strcasecmp(json_string_value(v), cal_json_str(cfg, "distribution_version")) != 0)
			return -1;
		score |= 4;
	}
	v = json_object_get(t, "mechanism_drivers");
	if (!ct_is_any(v)) {
		if (!ct_drivers_match(v, json_object_get(cfg, "mechanism_drivers")))
			return -1;
		score |= 2;
	}
	v = json_object_get(t, "type_drivers");
	if (!ct_is_any(v)) {
		if (!ct_drivers_match(v, json_object_get(cfg, "type_drivers")))
			return -1;
		score |= 1;
	}
	return score;
}

/* The best type for `focal` among `all` (borrowed), or NULL. */
static json_t *ct_pick(const json_t *all, const char *env, const json_t *cfg, const char *focal)
{
	json_t *best = NULL, *t;
	int best_score = -1;
	size_t i;

	json_array_foreach(all, i, t) {
		int sc;

		if (strcmp(cal_json_str(t, "focal_point_type"), focal) != 0)
			continue;
		sc = ct_score(t, env, cfg);
		if (sc < 0)
			continue;
		if (best) {
			bool user = !json_is_true(json_object_get(t, "builtin"));
			bool best_user = !json_is_true(json_object_get(best, "builtin"));

			if (sc < best_score)
				continue;
			if (sc == best_score) {
				if (user != best_user && !user)
					continue;
				if (user == best_user &&
				    strcmp(cal_json_str(t, "id"), cal_json_str(best, "id")) > 0)
					continue;
			}
		}
		best = t;
		best_score = sc;
	}
	return best;
}

/* The environment's configuration, or an empty one when it is not stored
 * (selection then goes by name only). */
static int ct_env_config(cal_store *st, json_t **out, const char *env)
{
	int rc = cal_store_env_get(st, out, env);

	if (rc == CAL_ENOTFOUND) {
		cal_error_clear();
		*out = json_object();
		return *out ? 0 : cal_error_set(CAL_ENOMEM, "out of memory");
	}
	return rc;
}

int cal_clique_type_select(cal_store *st, json_t **out, const char *env, const char *focal_type)
{
	json_t *all = NULL, *cfg = NULL, *best;
	int rc;

	*out = NULL;
	rc = ct_effective(st, &all);
	if (rc == 0)
		rc = ct_env_config(st, &cfg, env);
	if (rc == 0) {
		best = ct_pick(all, env, cfg, focal_type);
		if (best)
			*out = json_incref(best);
		else
			rc = cal_error_set(CAL_ENOTFOUND, "no clique type for focal point type '%s' "
					   "applies to environment '%s'", focal_type, env);
	}
	json_decref(all);
	json_decref(cfg);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Plans                                                               */
/* ------------------------------------------------------------------ */

void an_plan_free(struct an_plan *p)
{
	if (!p)
		return;
	free(p->id);
	free(p->steps);
	free(p->types_text);
	free(p);
}

int an_plan_compile(struct an_plan **out, const json_t *type)
{
	struct an_plan *p = calloc(1, sizeof(*p));
	json_t *lts = json_object_get(type, "link_types"), *copy = NULL, *v;
	size_t i;

	*out = NULL;
	if (!p)
		return cal_error_set(CAL_ENOMEM, "out of memory");
	p->id = strdup(cal_json_str(type, "id"));
	p->focal = cal_type_from_name(cal_json_str(type, "focal_point_type"));
	p->steps = calloc(json_array_size(lts) ? json_array_size(lts) : 1, sizeof(*p->steps));
	copy = json_deep_copy(type);
	if (copy) {
		/* Only what changes growth counts in the hash. */
		json_object_del(copy, "builtin");
		json_object_del(copy, "name");
		p->types_text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	}
	json_decref(copy);
	if (!p->id || !p->steps || !p->types_text) {
		an_plan_free(p);
		return cal_error_set(CAL_ENOMEM, "out of memory");
	}
	json_array_foreach(lts, i, v) {
		struct an_step *s = &p->steps[p->nsteps];
		const char *lt = json_string_value(v);

		if (!lt || !an_link_type_split(lt, &s->from, &s->to)) {
			an_plan_free(p);
			return cal_error_set(CAL_EINVALID, "clique type '%s': bad link type",
					     cal_json_str(type, "id"));
		}
		snprintf(s->fwd, sizeof(s->fwd), "%s-%s", cal_type_name(s->from),
			 cal_type_name(s->to));
		if (s->from != s->to)
			snprintf(s->back, sizeof(s->back), "%s-%s", cal_type_name(s->to),
				 cal_type_name(s->from));
		p->nsteps++;
	}
	json_array_foreach(json_object_get(type, "constraints"), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), "network") == 0)
			p->network_constraint = true;
	*out = p;
	return 0;
}

void an_plans_free(struct an_plans *p)
{
	for (int t = 0; t < CAL_T_COUNT_; t++)
		an_plan_free(p->by_type[t]);
	memset(p, 0, sizeof(*p));
}

int an_plans_load(struct an_plans *out, cal_store *st, const char *env)
{
	json_t *all = NULL, *cfg = NULL, *hashdoc = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ct_effective(st, &all);
	if (rc == 0)
		rc = ct_env_config(st, &cfg, env);
	if (rc == 0 && !(hashdoc = json_array()))
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
	for (int t = 1; rc == 0 && t < CAL_T_COUNT_; t++) {
		json_t *best = ct_pick(all, env, cfg, cal_type_name((enum cal_obj_type)t));

		if (!best)
			continue;
		rc = an_plan_compile(&out->by_type[t], best);
		if (rc == 0)
			json_array_append_new(hashdoc, json_string(out->by_type[t]->types_text));
	}
	if (rc == 0)
		rc = cal_json_canonical_hash(out->hash, hashdoc);
	json_decref(all);
	json_decref(cfg);
	json_decref(hashdoc);
	if (rc)
		an_plans_free(out);
	return rc;
}
