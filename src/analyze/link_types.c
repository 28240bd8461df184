/* link_types.c - the link types of the model (docs/model.md "Links"), for
 * `calipso constants` and for resolving the entries of clique types.
 *
 * The linker (src/discover/linker.c) creates these types; a link type is
 * always "<source type>-<target type>" (cal_link_new()).  The table is the
 * documentation's, kept in code so that the CLI and the API print it.
 */
#include "analyze/analyze_int.h"

#include <string.h>

static const struct cal_link_type_def lt_table[] = {
	{ "instance-vnic", CAL_T_INSTANCE, CAL_T_VNIC,
	  "the vnic's instance_id or parent" },
	{ "vservice-vnic", CAL_T_VSERVICE, CAL_T_VNIC,
	  "the vnic lives in the vservice's namespace" },
	{ "vnic-vconnector", CAL_T_VNIC, CAL_T_VCONNECTOR,
	  "the vnic's device, or its host-side veth peer, has the bridge as master" },
	{ "vnic-vedge", CAL_T_VNIC, CAL_T_VEDGE,
	  "the vnic's device (or host-side peer) is an OVS port" },
	{ "vconnector-vedge", CAL_T_VCONNECTOR, CAL_T_VEDGE,
	  "a bridge port's veth peer is an OVS port (qvb/qvo)" },
	{ "vconnector-host_pnic", CAL_T_VCONNECTOR, CAL_T_HOST_PNIC,
	  "a host_pnic is a port of the bridge" },
	{ "vconnector-otep", CAL_T_VCONNECTOR, CAL_T_OTEP,
	  "a VXLAN device of the otep is a port of the bridge" },
	{ "vedge-otep", CAL_T_VEDGE, CAL_T_OTEP, "the otep's tunnel ports belong to the vedge" },
	{ "otep-host_pnic", CAL_T_OTEP, CAL_T_HOST_PNIC,
	  "the pnic holds the otep's local IP, is a system port of the OVS bridge holding it, "
	  "or is the VXLAN underlay device" },
	{ "otep-vconnector", CAL_T_OTEP, CAL_T_VCONNECTOR,
	  "a Linux bridge holds the otep's local IP" },
	{ "vedge-host_pnic", CAL_T_VEDGE, CAL_T_HOST_PNIC,
	  "a host_pnic is a system port of the vedge" },
	{ "host_pnic-network", CAL_T_HOST_PNIC, CAL_T_NETWORK,
	  "the pnic carries an otep whose VNIs or vedge ports belong to the network" },
	{ "host_pnic-switch_pnic", CAL_T_HOST_PNIC, CAL_T_SWITCH_PNIC,
	  "the pnic's veth peer is a port of the switch" },
	{ "switch-switch_pnic", CAL_T_SWITCH, CAL_T_SWITCH_PNIC, "the port belongs to the switch" },
	{ NULL, CAL_T_UNKNOWN, CAL_T_UNKNOWN, NULL },
};

const struct cal_link_type_def *cal_link_types(void)
{
	return lt_table;
}

bool cal_link_type_is_known(const char *name)
{
	for (const struct cal_link_type_def *d = lt_table; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return true;
	return false;
}

bool an_link_type_split(const char *lt, enum cal_obj_type *a, enum cal_obj_type *b)
{
	const char *dash = strchr(lt, '-');
	char left[64];
	size_t n;

	if (!dash || strchr(dash + 1, '-'))
		return false;
	n = (size_t)(dash - lt);
	if (n == 0 || n >= sizeof(left))
		return false;
	memcpy(left, lt, n);
	left[n] = '\0';
	*a = cal_type_from_name(left);
	*b = cal_type_from_name(dash + 1);
	return *a != CAL_T_UNKNOWN && *b != CAL_T_UNKNOWN;
}
