/* builder_libvirt.c - libvirt domains as instances, their target devices
 * as vnics (docs/model.md).
 *
 * A domain is an instance identified by its UUID (as Nova does).  Its
 * interfaces' target devices are matched to the kernel's devices by name
 * within the host; a container namespace whose guest interface is cabled to
 * a domain's target device is that domain, seen from the kernel.  Interfaces
 * whose device the kernel does not show (a stopped domain, the test driver)
 * still become vnics, from libvirt's facts alone.
 */
#include "builder_private.h"

#include <stdlib.h>
#include <string.h>

int bld_libvirt_index(struct bld *b, struct bld_host *h)
{
	json_t *lv = json_object_get(h->report, "libvirt");
	size_t i;
	json_t *d;

	json_array_foreach(json_object_get(lv, "domains"), i, d) {
		const char *uuid = cal_json_str(d, "uuid");
		const char *name = cal_json_str(d, "name");
		json_t *inst;
		size_t k;
		json_t *ifc;

		if (!*uuid)
			continue;
		inst = cal_object_new(b->env, CAL_T_INSTANCE, uuid, *name ? name : uuid, h->host);
		if (!inst)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		cal_object_set_parent(inst, h->host_obj);
		json_object_set_new(inst, "uuid", json_string(uuid));
		json_object_set_new(inst, "local_name", json_string(name));
		if (*cal_json_str(d, "state"))
			json_object_set_new(inst, "state", json_string(cal_json_str(d, "state")));
		if (json_object_get(d, "vcpus"))
			json_object_set(inst, "vcpus", json_object_get(d, "vcpus"));
		if (json_object_get(d, "memory_kb"))
			json_object_set(inst, "memory_kb", json_object_get(d, "memory_kb"));
		inst = bld_add(b, h, inst, "libvirt");
		if (!inst)
			continue;
		json_object_set(h->lv_instances, uuid, inst);
		json_array_foreach(json_object_get(d, "interfaces"), k, ifc) {
			const char *dev = cal_json_str(ifc, "target");

			if (!*dev)
				continue;
			json_object_set_new(h->lv_targets, dev,
					    json_pack("{s:O, s:O, s:b}", "instance", inst, "iface",
						      ifc, "seen", 0));
			if (!*cal_json_str(inst, "mac_address") && *cal_json_str(ifc, "mac"))
				json_object_set_new(inst, "mac_address",
						    json_string(cal_json_str(ifc, "mac")));
		}
	}
	return 0;
}

json_t *bld_libvirt_instance_for_ns(struct bld *b, struct bld_host *h, struct bld_ns *n)
{
	const char *machine = cal_json_str(n->report, "machine");
	size_t i;
	json_t *l;

	if (json_object_size(h->lv_targets) == 0)
		return NULL;
	json_array_foreach(json_object_get(n->ns, "links"), i, l) {
		struct bld_ns *pns;
		json_t *peer = bld_veth_peer(b, machine, l, &pns);
		json_t *t;

		if (!peer || pns->cls != BLD_NS_ROOT || pns->report != n->report)
			continue;
		t = json_object_get(h->lv_targets, cal_json_str(peer, "name"));
		if (t)
			return json_object_get(t, "instance");
	}
	return NULL;
}

static void lv_apply(json_t *vnic, json_t *t)
{
	json_t *ifc = json_object_get(t, "iface");
	json_t *inst = json_object_get(t, "instance");
	json_t *vp = json_object_get(ifc, "virtualport");
	static const struct {
		const char *from, *to;
	} copy[] = {
		{ "source_bridge", "source_bridge" }, { "source_network", "source_network" },
		{ "model", "model" },		     { "type", "interface_type" },
	};

	if (*cal_json_str(ifc, "mac"))
		json_object_set_new(vnic, "mac_address", json_string(cal_json_str(ifc, "mac")));
	for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++)
		if (*cal_json_str(ifc, copy[i].from))
			json_object_set_new(vnic, copy[i].to,
					    json_string(cal_json_str(ifc, copy[i].from)));
	if (json_is_object(vp)) {
		json_object_set(vnic, "virtualport", vp);
		if (*cal_json_str(vp, "interfaceid"))
			json_object_set_new(vnic, "port_id",
					    json_string(cal_json_str(vp, "interfaceid")));
	}
	json_object_set_new(vnic, "instance_id", json_string(cal_json_str(inst, CAL_F_ID)));
	json_object_set_new(vnic, "vnic_type", json_string("instance_vnic"));
	cal_object_set_parent(vnic, inst);
	json_object_set_new(t, "seen", json_true());
}

void bld_libvirt_enrich_vnic(struct bld_host *h, json_t *vnic, const char *dev)
{
	json_t *t = json_object_get(h->lv_targets, dev);

	if (t)
		lv_apply(vnic, t);
}

int bld_libvirt_objects(struct bld *b, struct bld_host *h)
{
	const char *dev;
	json_t *t;

	json_object_foreach(h->lv_targets, dev, t) {
		char *id;
		json_t *v;

		if (json_is_true(json_object_get(t, "seen")))
			continue;
		id = cal_id_host_object(h->host, CAL_T_VNIC, NULL, dev);
		v = id ? cal_object_new(b->env, CAL_T_VNIC, id, dev, h->host) : NULL;
		free(id);
		if (!v)
			return cal_error_set(CAL_ENOMEM, "out of memory");
		json_object_set_new(v, "netns", json_string(""));
		lv_apply(v, t);
		bld_add(b, h, v, "libvirt");
	}
	return 0;
}
