/* ovs_source.c - the Open vSwitch discovery source: one OVSDB transaction
 * selecting Open_vSwitch, Bridge, Port, Interface and Controller (only the
 * columns the report needs), turned into the "ovs" section of
 * docs/report-format.md.
 *
 * Invariants: one request per scan whatever the number of ports; uuid
 * references (Bridge.ports, Port.interfaces, Bridge.controller) are
 * resolved through hash tables (jansson objects keyed by uuid), so the
 * build is linear in the rows plus the sorting by name that makes reports
 * stable.  A reference to a row that is not in the result is skipped.
 * Threading: reentrant.  Trust: the transact result is the server's
 * (ovs_section_build() is fuzzed); every value is type-checked.
 */
#include "discover/discover.h"
#include "discover/ovsdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The atom type a column holds (map values for maps). */
enum ovs_atom { OVS_STR, OVS_INT, OVS_UUID };

struct ovs_col {
	const char *name;     /* OVSDB column */
	enum ovsdb_col_kind kind;
	enum ovs_atom atom;
	const char *key;      /* key in the report; NULL = same as name */
};

#define OVS_END { NULL, OVSDB_COL_SCALAR, OVS_STR, NULL }

static const struct ovs_col ovs_cols_root[] = {
	{ "ovs_version", OVSDB_COL_OPTIONAL, OVS_STR, NULL },
	{ "db_version", OVSDB_COL_OPTIONAL, OVS_STR, NULL },
	{ "external_ids", OVSDB_COL_MAP, OVS_STR, NULL },
	OVS_END
};
static const struct ovs_col ovs_cols_bridge[] = {
	{ "_uuid", OVSDB_COL_SCALAR, OVS_UUID, "uuid" },
	{ "name", OVSDB_COL_SCALAR, OVS_STR, NULL },
	{ "datapath_type", OVSDB_COL_SCALAR, OVS_STR, NULL },
	{ "fail_mode", OVSDB_COL_OPTIONAL, OVS_STR, NULL },
	{ "controller", OVSDB_COL_SET, OVS_UUID, NULL },
	{ "external_ids", OVSDB_COL_MAP, OVS_STR, NULL },
	{ "ports", OVSDB_COL_SET, OVS_UUID, NULL },
	OVS_END
};
static const struct ovs_col ovs_cols_port[] = {
	{ "_uuid", OVSDB_COL_SCALAR, OVS_UUID, "uuid" },
	{ "name", OVSDB_COL_SCALAR, OVS_STR, NULL },
	{ "tag", OVSDB_COL_OPTIONAL, OVS_INT, NULL },
	{ "trunks", OVSDB_COL_SET, OVS_INT, NULL },
	{ "vlan_mode", OVSDB_COL_OPTIONAL, OVS_STR, NULL },
	{ "other_config", OVSDB_COL_MAP, OVS_STR, NULL },
	{ "interfaces", OVSDB_COL_SET, OVS_UUID, NULL },
	OVS_END
};
static const struct ovs_col ovs_cols_iface[] = {
	{ "_uuid", OVSDB_COL_SCALAR, OVS_UUID, "uuid" },
	{ "name", OVSDB_COL_SCALAR, OVS_STR, NULL },
	{ "type", OVSDB_COL_SCALAR, OVS_STR, NULL },
	{ "ofport", OVSDB_COL_OPTIONAL, OVS_INT, NULL },
	{ "ifindex", OVSDB_COL_OPTIONAL, OVS_INT, NULL },
	{ "admin_state", OVSDB_COL_OPTIONAL, OVS_STR, NULL },
	{ "link_state", OVSDB_COL_OPTIONAL, OVS_STR, NULL },
	{ "mac_in_use", OVSDB_COL_OPTIONAL, OVS_STR, NULL },
	{ "mtu", OVSDB_COL_OPTIONAL, OVS_INT, NULL },
	{ "error", OVSDB_COL_OPTIONAL, OVS_STR, NULL },
	{ "external_ids", OVSDB_COL_MAP, OVS_STR, NULL },
	{ "options", OVSDB_COL_MAP, OVS_STR, NULL },
	{ "statistics", OVSDB_COL_MAP, OVS_INT, NULL },
	OVS_END
};
static const struct ovs_col ovs_cols_ctl[] = {
	{ "_uuid", OVSDB_COL_SCALAR, OVS_UUID, "uuid" },
	{ "target", OVSDB_COL_SCALAR, OVS_STR, NULL },
	OVS_END
};

/* The selects, in the order of their results. */
enum { OVS_OP_ROOT, OVS_OP_BRIDGE, OVS_OP_PORT, OVS_OP_IFACE, OVS_OP_CTL, OVS_OP_COUNT };

static const struct {
	const char *table;
	const struct ovs_col *cols;
} ovs_ops[OVS_OP_COUNT] = {
	{ "Open_vSwitch", ovs_cols_root },
	{ "Bridge", ovs_cols_bridge },
	{ "Port", ovs_cols_port },
	{ "Interface", ovs_cols_iface },
	{ "Controller", ovs_cols_ctl },
};

const char *cal_ovs_default_remote(void)
{
	static _Thread_local char buf[4200];
	const char *rundir = getenv("OVS_RUNDIR");

	if (!rundir || !*rundir)
		return "unix:/run/openvswitch/db.sock";
	snprintf(buf, sizeof(buf), "unix:%s/db.sock", rundir);
	return buf;
}

json_t *ovs_scan_ops_new(void)
{
	json_t *ops = json_array();

	for (int i = 0; ops && i < OVS_OP_COUNT; i++) {
		const char *names[16];
		size_t n = 0;

		for (const struct ovs_col *c = ovs_ops[i].cols; c->name; c++)
			names[n++] = c->name;
		names[n] = NULL;
		if (json_array_append_new(ops, ovsdb_op_select(ovs_ops[i].table, names)) < 0) {
			json_decref(ops);
			return NULL;
		}
	}
	return ops;
}

/* 8-4-4-4-12 hex digits, as OVSDB writes row uuids. */
static bool ovs_is_uuid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') ||
					   (s[i] >= 'a' && s[i] <= 'f') ||
					   (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	}
	return s[36] == '\0';
}

static bool ovs_atom_ok(const json_t *v, enum ovs_atom atom)
{
	switch (atom) {
	case OVS_INT:
		return json_is_integer(v);
	case OVS_UUID:
		return json_is_string(v) && ovs_is_uuid(json_string_value(v));
	case OVS_STR:
		return json_is_string(v);
	}
	return false;
}

/* The decoded value holds atoms of the column's type. */
static bool ovs_type_ok(const json_t *v, const struct ovs_col *c)
{
	const char *k;
	json_t *e;
	size_t i;

	switch (c->kind) {
	case OVSDB_COL_OPTIONAL:
		return json_is_null(v) || ovs_atom_ok(v, c->atom);
	case OVSDB_COL_SCALAR:
		return ovs_atom_ok(v, c->atom);
	case OVSDB_COL_SET:
		json_array_foreach(v, i, e)
			if (!ovs_atom_ok(e, c->atom))
				return false;
		return true;
	case OVSDB_COL_MAP:
		json_object_foreach((json_t *)v, k, e)
			if (!ovs_atom_ok(e, c->atom))
				return false;
		return true;
	}
	return false;
}

/* One row into an object keyed as the report spells it. */
static int ovs_row_to_json(json_t **out, const json_t *row, const char *table,
			   const struct ovs_col *cols)
{
	json_t *obj = json_object();
	int rc = 0;

	*out = NULL;
	if (!obj)
		return cal_error_set(CAL_ENOMEM, "cannot allocate a %s row", table);
	if (!json_is_object(row)) {
		rc = cal_error_set(CAL_EPROTO, "%s row is not an object", table);
		goto done;
	}
	for (const struct ovs_col *c = cols; c->name; c++) {
		json_t *v;

		rc = ovsdb_datum_to_json(&v, json_object_get(row, c->name), c->kind);
		if (rc == 0 && !ovs_type_ok(v, c)) {
			json_decref(v);
			rc = cal_error_set(CAL_EPROTO, "holds %s of the wrong type",
					   c->kind == OVSDB_COL_MAP ? "values" : "a value");
		}
		if (rc < 0) {
			cal_error_prefix(rc, "%s column '%s'", table, c->name);
			goto done;
		}
		if (json_object_set_new(obj, c->key ? c->key : c->name, v) < 0) {
			rc = cal_error_set(CAL_ENOMEM, "cannot build a %s row", table);
			goto done;
		}
	}
done:
	if (rc < 0)
		json_decref(obj);
	else
		*out = obj;
	return rc;
}

/* Maps every row of select `op` by uuid: uuid -> report object. */
static int ovs_index_rows(json_t **out, const json_t *result, int op)
{
	json_t *rows, *index = NULL;
	size_t i;
	int rc;

	*out = NULL;
	rc = ovsdb_select_rows(&rows, result, (size_t)op);
	if (rc < 0)
		return rc;
	index = json_object();
	if (!index)
		return cal_error_set(CAL_ENOMEM, "cannot allocate an index");
	for (i = 0; i < json_array_size(rows); i++) {
		json_t *obj;

		rc = ovs_row_to_json(&obj, json_array_get(rows, i), ovs_ops[op].table,
				     ovs_ops[op].cols);
		if (rc < 0)
			goto fail;
		if (json_object_set_new(index, cal_json_str(obj, "uuid"), obj) < 0) {
			rc = cal_error_set(CAL_ENOMEM, "cannot index %s rows", ovs_ops[op].table);
			goto fail;
		}
	}
	*out = index;
	return 0;
fail:
	json_decref(index);
	return rc;
}

static int ovs_cmp_name(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(cal_json_str(x, "name"), cal_json_str(y, "name"));

	return c ? c : strcmp(cal_json_str(x, "uuid"), cal_json_str(y, "uuid"));
}

/* Orders plain values (controller targets): strings first, by text. */
static int ovs_cmp_value(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	const char *sx = json_string_value(x), *sy = json_string_value(y);

	if (sx && sy)
		return strcmp(sx, sy);
	return (sx == NULL) - (sy == NULL);
}

/* Replaces the array of uuids at obj[key] with the rows they name in
 * `index` (objects, sorted by name; or, when `field` is given, that field
 * of each row, sorted).  Unknown uuids are skipped. */
static int ovs_resolve(json_t *obj, const char *key, const json_t *index, const char *field)
{
	const json_t *uuids = json_object_get(obj, key);
	size_t n = json_array_size(uuids), k = 0;
	json_t **rows = NULL, *arr = json_array();
	int rc = 0;

	if (!arr)
		return cal_error_set(CAL_ENOMEM, "cannot resolve %s", key);
	if (n) {
		rows = calloc(n, sizeof(*rows));
		if (!rows) {
			json_decref(arr);
			return cal_error_set(CAL_ENOMEM, "cannot resolve %s", key);
		}
	}
	for (size_t i = 0; i < n; i++) {
		json_t *row = json_object_get(index, json_string_value(json_array_get(uuids, i)) ?
						      json_string_value(json_array_get(uuids, i)) : "");

		if (!row)
			continue;
		if (field) {
			json_t *v = json_object_get(row, field);

			if (v)
				rows[k++] = v;
		} else {
			rows[k++] = row;
		}
	}
	if (k > 1)
		qsort(rows, k, sizeof(*rows), field ? ovs_cmp_value : ovs_cmp_name);
	for (size_t i = 0; i < k && rc == 0; i++)
		if (json_array_append(arr, rows[i]) < 0)
			rc = cal_error_set(CAL_ENOMEM, "cannot resolve %s", key);
	if (rc == 0 && json_object_set_new(obj, key, arr) < 0)
		rc = cal_error_set(CAL_ENOMEM, "cannot resolve %s", key);
	else if (rc < 0)
		json_decref(arr);
	free(rows);
	return rc;
}

/* Resolves `key` of every row of `index`. */
static int ovs_resolve_all(json_t *index, const char *key, const json_t *target,
			   const char *field)
{
	const char *uuid;
	json_t *row;

	json_object_foreach(index, uuid, row) {
		int rc = ovs_resolve(row, key, target, field);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static int ovs_root_fields(json_t *section, const json_t *result)
{
	json_t *rows, *root = NULL;
	int rc;

	rc = ovsdb_select_rows(&rows, result, OVS_OP_ROOT);
	if (rc < 0)
		return rc;
	/* A database just created with ovsdb-tool has no Open_vSwitch row
	 * until ovs-vswitchd or `ovs-vsctl init` adds it. */
	if (json_array_size(rows) > 0) {
		rc = ovs_row_to_json(&root, json_array_get(rows, 0), "Open_vSwitch",
				     ovs_cols_root);
		if (rc < 0)
			return rc;
	}
	{
		json_t *ids = json_object_get(root, "external_ids");
		json_t *sid = json_object_get(ids, "system-id");
		json_t *ver = json_object_get(root, "ovs_version");
		json_t *dbv = json_object_get(root, "db_version");

		if (json_object_set_new(section, "system_id", sid ? json_incref(sid)
								  : json_null()) < 0 ||
		    json_object_set_new(section, "ovs_version", ver ? json_incref(ver)
								    : json_null()) < 0 ||
		    json_object_set_new(section, "db_version", dbv ? json_incref(dbv)
								   : json_null()) < 0)
			rc = cal_error_set(CAL_ENOMEM, "cannot build the ovs section");
	}
	json_decref(root);
	return rc;
}

int ovs_section_build(json_t **out, const char *remote, const json_t *result)
{
	json_t *section = NULL, *ifaces = NULL, *ports = NULL, *bridges = NULL, *ctls = NULL;
	json_t *list = NULL, **sorted = NULL;
	const char *uuid;
	json_t *row;
	size_t n = 0;
	int rc;

	*out = NULL;
	rc = ovsdb_transact_check(result, OVS_OP_COUNT);
	if (rc < 0)
		goto done;
	section = json_pack("{ss}", "remote", remote ? remote : "");
	list = json_array();
	if (!section || !list) {
		rc = cal_error_set(CAL_ENOMEM, "cannot build the ovs section");
		goto done;
	}
	rc = ovs_root_fields(section, result);
	if (rc < 0)
		goto done;
	if ((rc = ovs_index_rows(&ifaces, result, OVS_OP_IFACE)) < 0 ||
	    (rc = ovs_index_rows(&ports, result, OVS_OP_PORT)) < 0 ||
	    (rc = ovs_index_rows(&bridges, result, OVS_OP_BRIDGE)) < 0 ||
	    (rc = ovs_index_rows(&ctls, result, OVS_OP_CTL)) < 0)
		goto done;
	if ((rc = ovs_resolve_all(ports, "interfaces", ifaces, NULL)) < 0 ||
	    (rc = ovs_resolve_all(bridges, "ports", ports, NULL)) < 0 ||
	    (rc = ovs_resolve_all(bridges, "controller", ctls, "target")) < 0)
		goto done;
	if (json_object_size(bridges)) {
		sorted = calloc(json_object_size(bridges), sizeof(*sorted));
		if (!sorted) {
			rc = cal_error_set(CAL_ENOMEM, "cannot sort bridges");
			goto done;
		}
	}
	json_object_foreach(bridges, uuid, row)
		sorted[n++] = row;
	if (n > 1)
		qsort(sorted, n, sizeof(*sorted), ovs_cmp_name);
	for (size_t i = 0; i < n; i++) {
		if (json_array_append(list, sorted[i]) < 0) {
			rc = cal_error_set(CAL_ENOMEM, "cannot build the ovs section");
			goto done;
		}
	}
	if (json_object_set(section, "bridges", list) < 0) {
		rc = cal_error_set(CAL_ENOMEM, "cannot build the ovs section");
		goto done;
	}
	*out = section;
	section = NULL;
done:
	free(sorted);
	json_decref(list);
	json_decref(section);
	json_decref(ifaces);
	json_decref(ports);
	json_decref(bridges);
	json_decref(ctls);
	return rc;
}

int cal_ovs_scan(json_t **out, const char *remote, int timeout_ms)
{
	struct ovsdb_session *s = NULL;
	json_t *result = NULL;
	int rc;

	*out = NULL;
	if (!remote)
		remote = cal_ovs_default_remote();
	rc = ovsdb_session_new(&s, remote, timeout_ms);
	if (rc < 0)
		return rc;
	rc = ovsdb_transact(s, &result, "Open_vSwitch", ovs_scan_ops_new());
	if (rc < 0)
		goto done;
	rc = ovs_section_build(out, remote, result);
	if (rc < 0)
		cal_error_prefix(rc, "OVSDB at %s", remote);
done:
	json_decref(result);
	ovsdb_session_free(s);
	return rc;
}
