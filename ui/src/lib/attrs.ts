// attrs.ts - the few attributes of an object an operator looks at first
// (hover cards, dashboard rows), per type, as [label, text] pairs; and
// plain-text renderings of any attribute value for the object view.

import type { InvObject } from '../api/types';

type Row = [string, string];

/** Attributes shown for each type, in order; common ones come first. */
const BY_TYPE: Record<string, string[]> = {
	instance: ['state', 'mac_address', 'network', 'vcpus', 'memory_kb', 'project'],
	vnic: ['mac_address', 'addresses', 'network', 'operstate', 'vlan_tag', 'vnic_type', 'port_id'],
	vservice: ['service_type', 'local_service_id', 'network', 'processes'],
	vconnector: ['operstate', 'network', 'interfaces', 'stp'],
	vedge: ['bridges', 'ports', 'tunnel_ports', 'datapath_types'],
	otep: ['overlay_type', 'ip_address', 'udp_port', 'vnis', 'peers'],
	host_pnic: ['operstate', 'mac_address', 'addresses', 'carrier', 'speed', 'mtu'],
	network: ['provider:network_type', 'segmentation_id', 'cidrs', 'project'],
	host: ['host_type', 'source'],
	switch: ['source'],
	switch_pnic: ['operstate', 'mac_address', 'carrier'],
	port: ['mac_address', 'fixed_ips', 'device_owner', 'network_id'],
	project: ['description'],
};

/** A value as short text: arrays joined, objects summarised by size. */
export function shortValue(v: unknown, max = 60): string {
	let s: string;
	if (v === null || v === undefined)
		s = '';
	else if (Array.isArray(v)) {
		if (v.every((x) => typeof x !== 'object' || x === null))
			s = v.join(', ');
		else
			s = `${v.length} item${v.length === 1 ? '' : 's'}`;
	} else if (typeof v === 'object')
		s = `${Object.keys(v).length} fields`;
	else if (typeof v === 'boolean')
		s = v ? 'yes' : 'no';
	else
		s = String(v);
	return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function keyAttributes(o: InvObject): Row[] {
	const rows: Row[] = [['type', o.type]];
	if (o.host)
		rows.push(['host', o.host]);
	if (o.status)
		rows.push(['status', o.status_text ? `${o.status}: ${o.status_text}` : String(o.status)]);
	for (const k of BY_TYPE[o.type] ?? []) {
		const v = o[k];
		if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length))
			continue;
		rows.push([k, shortValue(v)]);
	}
	if (o.id !== o.name)
		rows.push(['id', shortValue(o.id, 80)]);
	return rows;
}

/** Every attribute of an object, sorted, for the detail table: common
 * identity fields first, then the rest by name. */
export function allAttributes(o: InvObject): Row[] {
	const first = ['id', 'type', 'name', 'object_name', 'host', 'parent_id', 'parent_type', 'name_path',
		'id_path', 'environment', 'source', 'status', 'status_text', 'status_timestamp', 'last_scanned'];
	const rows: Row[] = [];
	for (const k of first)
		if (o[k] !== undefined && o[k] !== null)
			rows.push([k, longValue(o[k])]);
	for (const k of Object.keys(o).sort())
		if (!first.includes(k) && o[k] !== undefined)
			rows.push([k, longValue(o[k])]);
	return rows;
}

export function longValue(v: unknown): string {
	if (v === null || v === undefined)
		return '';
	if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'))
		return v.join(', ');
	if (typeof v === 'object')
		return JSON.stringify(v, null, 1).replace(/\n\s*/g, ' ');
	return String(v);
}
