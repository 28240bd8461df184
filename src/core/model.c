/* model.c - the object types of docs/model.md, their typed attributes, and
 * constructors for object and link documents.
 *
 * The attribute tables below are the single definition of what each type
 * carries; validation, the volatile-field split used by revisions and diff,
 * and `calipso constants` all read them.  Validation is strict: an attribute
 * not listed here is an error, so every new field gets documented here.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

static const char *const type_names[CAL_T_COUNT_] = {
	[CAL_T_UNKNOWN] = "unknown",
	[CAL_T_ENVIRONMENT] = "environment",
	[CAL_T_REGION] = "region",
	[CAL_T_AVAILABILITY_ZONE] = "availability_zone",
	[CAL_T_AGGREGATE] = "aggregate",
	[CAL_T_PROJECT] = "project",
	[CAL_T_HOST] = "host",
	[CAL_T_INSTANCE] = "instance",
	[CAL_T_VNIC] = "vnic",
	[CAL_T_VSERVICE] = "vservice",
	[CAL_T_NETWORK] = "network",
	[CAL_T_PORT] = "port",
	[CAL_T_VCONNECTOR] = "vconnector",
	[CAL_T_VEDGE] = "vedge",
	[CAL_T_OTEP] = "otep",
	[CAL_T_HOST_PNIC] = "host_pnic",
	[CAL_T_SWITCH] = "switch",
	[CAL_T_SWITCH_PNIC] = "switch_pnic",
	[CAL_T_NETWORK_AGENT] = "network_agent",
};

const char *cal_type_name(enum cal_obj_type t)
{
	if ((int)t < 0 || t >= CAL_T_COUNT_)
		return "unknown";
	return type_names[t];
}

enum cal_obj_type cal_type_from_name(const char *name)
{
	if (!name)
		return CAL_T_UNKNOWN;
	for (int t = 1; t < CAL_T_COUNT_; t++)
		if (strcmp(type_names[t], name) == 0)
			return (enum cal_obj_type)t;
	return CAL_T_UNKNOWN;
}

#define S(n) { n, CAL_A_STRING, false, false }
#define I(n) { n, CAL_A_INT, false, false }
#define B(n) { n, CAL_A_BOOL, false, false }
#define A(n) { n, CAL_A_ARRAY, false, false }
#define O(n) { n, CAL_A_OBJECT, false, false }
#define V(n, k) { n, k, false, true }
#define END { NULL, CAL_A_ANY, false, false }

/* Fields every object may carry whatever its type. */
static const struct cal_attr_def common_attrs[] = {
	{ CAL_F_ID, CAL_A_STRING, true, false },
	{ CAL_F_TYPE, CAL_A_STRING, true, false },
	{ CAL_F_NAME, CAL_A_STRING, true, false },
	{ CAL_F_OBJECT_NAME, CAL_A_STRING, true, false },
	{ CAL_F_PARENT_ID, CAL_A_STRING, false, false },
	{ CAL_F_PARENT_TYPE, CAL_A_STRING, false, false },
	{ CAL_F_ID_PATH, CAL_A_STRING, true, false },
	{ CAL_F_NAME_PATH, CAL_A_STRING, true, false },
	{ CAL_F_HOST, CAL_A_STRING, false, false },
	{ CAL_F_ENV, CAL_A_STRING, true, false },
	{ CAL_F_SOURCE, CAL_A_STRING, false, false },
	V(CAL_F_LAST_SCANNED, CAL_A_STRING),
	S(CAL_F_STATUS),
	S("status_value"),
	S("status_text"),
	V("status_timestamp", CAL_A_STRING),
	O("external"), /* attributes set by external systems through PATCH */
	END,
};

/* Interface facts shared by host_pnic, vnic, vconnector, switch_pnic. */
#define IFACE_ATTRS                                                                       \
	S("mac_address"), I("mtu"), S("operstate"), B("carrier"), A("flags"), I("ifindex"), \
		S("netns"), S("kind"), A("addresses"), S("master"), V("stats", CAL_A_OBJECT)

static const struct cal_attr_def env_attrs[] = { S("distribution"), S("distribution_version"),
						  A("mechanism_drivers"), A("type_drivers"), END };
static const struct cal_attr_def region_attrs[] = { S("description"), END };
static const struct cal_attr_def az_attrs[] = { B("available"), END };
static const struct cal_attr_def aggregate_attrs[] = { S("availability_zone"), A("hosts"),
							O("metadata"), S("uuid"), END };
static const struct cal_attr_def project_attrs[] = { S("description"), S("domain_id"),
						      B("enabled"), END };
static const struct cal_attr_def host_attrs[] = {
	A("host_type"), S("os"), S("kernel"), S("netns"), S("availability_zone"),
	S("region"), A("services"), S("ip_address"), A("parent_namespaces"), S("hypervisor_type"),
	I("vcpus"), I("memory_mb"), S("state"), END,
};
static const struct cal_attr_def instance_attrs[] = {
	S("uuid"), S("local_name"), S("state"), I("vcpus"), I("memory_kb"), S("project"),
	S("project_id"), S("flavor"), S("image"), S("mac_address"), A("network_info"),
	A("network"), A("interfaces"), S("netns"), I("netns_inode"), A("processes"),
	V("pids", CAL_A_ARRAY), S("availability_zone"), S("status_os"), O("addresses_os"),
	S("hypervisor"), END,
};
static const struct cal_attr_def vnic_attrs[] = {
	IFACE_ATTRS, S("vnic_type"), O("peer"), S("network"), S("instance_id"), S("port_id"),
	O("virtualport"), S("source_bridge"), S("source_network"), S("model"), S("interface_type"),
	I("vlan_tag"), O("ovs"), END,
};
static const struct cal_attr_def vservice_attrs[] = {
	S("service_type"), S("local_service_id"), A("processes"), V("pids", CAL_A_ARRAY),
	I("netns_inode"), A("network"), S("router_id"), S("project_id"), A("interfaces"),
	S("netns"), END,
};
static const struct cal_attr_def network_attrs[] = {
	S("provider:network_type"), S("provider:physical_network"), I("segmentation_id"),
	A("cidrs"), A("subnets"), S("project"), S("project_id"), B("shared"), B("router:external"),
	S("status_os"), B("admin_state_up"), I("mtu"), S("uuid"), A("segments"), END,
};
static const struct cal_attr_def port_attrs[] = {
	S("network_id"), S("mac_address"), A("fixed_ips"), S("device_id"), S("device_owner"),
	S("binding:host_id"), S("binding:vif_type"), O("binding:vif_details"), S("status_os"),
	S("project_id"), B("admin_state_up"), END,
};
static const struct cal_attr_def vconnector_attrs[] = {
	IFACE_ATTRS, A("interfaces"), B("stp"), A("network"), I("vlan_filtering"), END,
};
static const struct cal_attr_def vedge_attrs[] = {
	S("agent_type"), S("ovs_version"), S("db_version"), S("ovsdb_remote"), A("bridges"),
	V("stats", CAL_A_OBJECT),
	O("ports"), A("tunnel_ports"), S("system_id"), S("datapath_types"), O("configurations"),
	END,
};
static const struct cal_attr_def otep_attrs[] = {
	S("overlay_type"), S("ip_address"), I("udp_port"), A("peers"), A("interfaces"),
	A("vnis"), S("underlay_device"), S("vedge_id"), END,
};
static const struct cal_attr_def host_pnic_attrs[] = {
	IFACE_ATTRS, A("members"), I("speed"), S("duplex"), S("parent_device"), S("bus"), O("peer"),
	A("network"), END,
};
static const struct cal_attr_def switch_attrs[] = { S("chassis_id"), S("description"),
						     S("netns"), S("mgmt_address"), END };
static const struct cal_attr_def switch_pnic_attrs[] = { IFACE_ATTRS, S("port_id"), O("peer"),
							  S("port_description"), I("vlan"), END };
static const struct cal_attr_def agent_attrs[] = {
	S("agent_type"), S("binary"), B("alive"), B("admin_state_up"), O("configurations"),
	S("topic"), S("availability_zone"), END,
};

static const struct cal_attr_def *const type_attrs[CAL_T_COUNT_] = {
	[CAL_T_ENVIRONMENT] = env_attrs,
	[CAL_T_REGION] = region_attrs,
	[CAL_T_AVAILABILITY_ZONE] = az_attrs,
	[CAL_T_AGGREGATE] = aggregate_attrs,
	[CAL_T_PROJECT] = project_attrs,
	[CAL_T_HOST] = host_attrs,
	[CAL_T_INSTANCE] = instance_attrs,
	[CAL_T_VNIC] = vnic_attrs,
	[CAL_T_VSERVICE] = vservice_attrs,
	[CAL_T_NETWORK] = network_attrs,
	[CAL_T_PORT] = port_attrs,
	[CAL_T_VCONNECTOR] = vconnector_attrs,
	[CAL_T_VEDGE] = vedge_attrs,
	[CAL_T_OTEP] = otep_attrs,
	[CAL_T_HOST_PNIC] = host_pnic_attrs,
	[CAL_T_SWITCH] = switch_attrs,
	[CAL_T_SWITCH_PNIC] = switch_pnic_attrs,
	[CAL_T_NETWORK_AGENT] = agent_attrs,
};

const struct cal_attr_def *cal_type_attrs(enum cal_obj_type t)
{
	static const struct cal_attr_def none[] = { END };

	if ((int)t <= 0 || t >= CAL_T_COUNT_ || !type_attrs[t])
		return none;
	return type_attrs[t];
}

const struct cal_attr_def *cal_common_attrs(void)
{
	return common_attrs;
}

static const struct cal_attr_def *model_find_attr(const struct cal_attr_def *defs,
						  const char *key)
{
	for (; defs->name; defs++)
		if (strcmp(defs->name, key) == 0)
			return defs;
	return NULL;
}

static bool model_kind_ok(enum cal_attr_kind kind, const json_t *v)
{
	if (json_is_null(v))
		return true;
	switch (kind) {
	case CAL_A_STRING: return json_is_string(v);
	case CAL_A_INT: return json_is_integer(v);
	case CAL_A_BOOL: return json_is_boolean(v);
	case CAL_A_ARRAY: return json_is_array(v);
	case CAL_A_OBJECT: return json_is_object(v);
	case CAL_A_ANY: return true;
	}
	return false;
}

int cal_object_validate(const json_t *obj)
{
	const char *id, *key;
	enum cal_obj_type t;
	const struct cal_attr_def *attrs;
	json_t *v;

	if (!json_is_object(obj))
		return cal_error_set(CAL_EINVALID, "object is not a JSON object");
	id = cal_json_str(obj, CAL_F_ID);
	t = cal_type_from_name(cal_json_str_or_null(obj, CAL_F_TYPE));
	if (t == CAL_T_UNKNOWN)
		return cal_error_set(CAL_EINVALID, "object '%s': unknown type '%s'", id,
				     cal_json_str(obj, CAL_F_TYPE));
	attrs = cal_type_attrs(t);
	for (const struct cal_attr_def *d = common_attrs; d->name; d++) {
		v = json_object_get(obj, d->name);
		if (d->required && (!v || (d->kind == CAL_A_STRING && !json_is_string(v))))
			return cal_error_set(CAL_EINVALID, "object '%s': missing field '%s'", id,
					     d->name);
	}
	json_object_foreach((json_t *)obj, key, v) {
		const struct cal_attr_def *d = model_find_attr(common_attrs, key);

		if (!d)
			d = model_find_attr(attrs, key);
		if (!d)
			return cal_error_set(CAL_EINVALID, "object '%s' (%s): unknown attribute '%s'",
					     id, cal_type_name(t), key);
		if (!model_kind_ok(d->kind, v))
			return cal_error_set(CAL_EINVALID,
					     "object '%s' (%s): attribute '%s' has the wrong type", id,
					     cal_type_name(t), key);
	}
	return 0;
}

json_t *cal_object_new(const char *env, enum cal_obj_type type, const char *id,
		       const char *name, const char *host)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (json_object_set_new(o, CAL_F_ID, json_string(id)) ||
	    json_object_set_new(o, CAL_F_TYPE, json_string(cal_type_name(type))) ||
	    json_object_set_new(o, CAL_F_NAME, json_string(name)) ||
	    json_object_set_new(o, CAL_F_OBJECT_NAME, json_string(name)) ||
	    json_object_set_new(o, CAL_F_ENV, json_string(env)) ||
	    (host && json_object_set_new(o, CAL_F_HOST, json_string(host)))) {
		json_decref(o);
		return NULL;
	}
	/* Paths until a parent is set: directly under the environment. */
	if (cal_object_set_parent(o, NULL)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int cal_object_set_parent(json_t *obj, const json_t *parent)
{
	const char *env = cal_json_str(obj, CAL_F_ENV);
	const char *id = cal_json_str(obj, CAL_F_ID);
	const char *name = cal_json_str(obj, CAL_F_NAME);
	char *idp, *namep;
	int rc = 0;

	if (parent) {
		idp = cal_strdup_printf("%s/%s", cal_json_str(parent, CAL_F_ID_PATH), id);
		namep = cal_strdup_printf("%s/%s", cal_json_str(parent, CAL_F_NAME_PATH), name);
	} else {
		idp = cal_strdup_printf("/%s/%s", env, id);
		namep = cal_strdup_printf("/%s/%s", env, name);
	}
	if (!idp || !namep) {
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
		goto out;
	}
	if (json_object_set_new(obj, CAL_F_PARENT_ID,
				json_string(parent ? cal_json_str(parent, CAL_F_ID) : env)) ||
	    json_object_set_new(obj, CAL_F_PARENT_TYPE,
				json_string(parent ? cal_json_str(parent, CAL_F_TYPE)
						   : "environment")) ||
	    json_object_set_new(obj, CAL_F_ID_PATH, json_string(idp)) ||
	    json_object_set_new(obj, CAL_F_NAME_PATH, json_string(namep)))
		rc = cal_error_set(CAL_ENOMEM, "out of memory");
out:
	free(idp);
	free(namep);
	return rc;
}

char *cal_id_host_object(const char *host, enum cal_obj_type type, const char *ns,
			 const char *name)
{
	if (ns && *ns)
		return cal_strdup_printf("%s:%s:%s/%s", host, cal_type_name(type), ns, name);
	return cal_strdup_printf("%s:%s:%s", host, cal_type_name(type), name);
}

char *cal_id_link(const char *source_id, const char *link_type, const char *target_id)
{
	return cal_strdup_printf("%s|%s|%s", source_id, link_type, target_id);
}

json_t *cal_link_new(const char *env, const json_t *source, const json_t *target,
		     const char *link_name, const char *state, const char *network,
		     const char *host)
{
	const char *sid = cal_json_str(source, CAL_F_ID);
	const char *tid = cal_json_str(target, CAL_F_ID);
	char *type = cal_strdup_printf("%s-%s", cal_json_str(source, CAL_F_TYPE),
				       cal_json_str(target, CAL_F_TYPE));
	char *id = type ? cal_id_link(sid, type, tid) : NULL;
	json_t *l = NULL, *attrs = NULL;

	if (!type || !id)
		goto fail;
	l = json_object();
	attrs = json_object();
	if (!l || !attrs)
		goto fail;
	if (network && json_object_set_new(attrs, "network", json_string(network)))
		goto fail;
	if (json_object_set_new(l, CAL_F_ID, json_string(id)) ||
	    json_object_set_new(l, CAL_F_ENV, json_string(env)) ||
	    json_object_set_new(l, CAL_F_LINK_TYPE, json_string(type)) ||
	    json_object_set_new(l, CAL_F_SOURCE_ID, json_string(sid)) ||
	    json_object_set_new(l, CAL_F_TARGET_ID, json_string(tid)) ||
	    json_object_set_new(l, "source_label", json_string(cal_json_str(source, CAL_F_NAME))) ||
	    json_object_set_new(l, "target_label", json_string(cal_json_str(target, CAL_F_NAME))) ||
	    json_object_set_new(l, CAL_F_LINK_NAME, json_string(link_name ? link_name : "")) ||
	    json_object_set_new(l, CAL_F_STATE, json_string(state ? state : "up")) ||
	    (host && json_object_set_new(l, CAL_F_HOST, json_string(host))))
		goto fail;
	json_object_set_new(l, CAL_F_ATTRIBUTES, attrs);
	free(type);
	free(id);
	return l;
fail:
	json_decref(l);
	json_decref(attrs);
	free(type);
	free(id);
	return NULL;
}

json_t *cal_object_stable(const json_t *obj, json_t **volatile_out)
{
	enum cal_obj_type t = cal_type_from_name(cal_json_str_or_null(obj, CAL_F_TYPE));
	const struct cal_attr_def *attrs = cal_type_attrs(t);
	json_t *stable = json_copy((json_t *)obj);
	json_t *vol = volatile_out ? json_object() : NULL;
	const struct cal_attr_def *lists[2] = { common_attrs, attrs };

	if (!stable || (volatile_out && !vol)) {
		json_decref(stable);
		json_decref(vol);
		return NULL;
	}
	for (int l = 0; l < 2; l++) {
		for (const struct cal_attr_def *d = lists[l]; d->name; d++) {
			json_t *v;

			if (!d->is_volatile)
				continue;
			v = json_object_get(stable, d->name);
			if (!v)
				continue;
			if (vol)
				json_object_set(vol, d->name, v);
			json_object_del(stable, d->name);
		}
	}
	if (volatile_out)
		*volatile_out = vol;
	return stable;
}
