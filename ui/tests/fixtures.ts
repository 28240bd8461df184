// fixtures.ts - small documents shaped like the server's, for the unit
// tests (the lab's instance clique: a VM down to its host NIC, network and
// switch port).

import type { Clique, InvLink, InvObject } from '../src/api/types';

export function obj(id: string, type: string, extra: Partial<InvObject> = {}): InvObject {
	return { id, type, name: extra.name ?? id.split(':').pop()!, environment: 'lab', ...extra };
}

export function link(source: string, type: string, target: string, extra: Partial<InvLink> = {}): InvLink {
	return { id: `${source}|${type}|${target}`, source_id: source, target_id: target, link_type: type, state: 'up', ...extra };
}

export function vmClique(): Clique {
	const vm = obj('u-vm9', 'instance', { name: 'vm9', host: 'host3', state: 'running', parent_id: 'host3', parent_type: 'host' });
	return {
		focal_point: 'u-vm9',
		focal_point_type: 'instance',
		clique_type: 'instance',
		health: 'unknown',
		nodes: [
			vm,
			obj('fabric', 'switch', { host: 'fabric' }),
			obj('fabric:switch_pnic:h3-eth0', 'switch_pnic', { host: 'fabric', parent_id: 'fabric', parent_type: 'switch', operstate: 'up' }),
			obj('host3:host_pnic:eth0', 'host_pnic', { host: 'host3', operstate: 'up' }),
			obj('host3:otep:vxlan-172.31.250.13', 'otep', { host: 'host3' }),
			obj('host3:vconnector:brqfcae30f3-2b', 'vconnector', { host: 'host3', operstate: 'up' }),
			obj('host3:vnic:tap10816507-62', 'vnic', { host: 'host3', operstate: 'up', mac_address: 'fa:16:3e:fe:2c:60' }),
			obj('vxlan-101', 'network', { segmentation_id: 101 }),
		],
		links: [
			link('u-vm9', 'instance-vnic', 'host3:vnic:tap10816507-62', { link_name: 'vxlan-101' }),
			link('fabric', 'switch-switch_pnic', 'fabric:switch_pnic:h3-eth0', { link_name: 'h3-eth0' }),
			link('host3:host_pnic:eth0', 'host_pnic-switch_pnic', 'fabric:switch_pnic:h3-eth0', { link_name: 'h3-eth0' }),
			link('host3:host_pnic:eth0', 'host_pnic-network', 'vxlan-101', { link_name: 'Segment-101' }),
			link('host3:otep:vxlan-172.31.250.13', 'otep-host_pnic', 'host3:host_pnic:eth0', { link_name: '172.31.250.13' }),
			link('host3:vconnector:brqfcae30f3-2b', 'vconnector-otep', 'host3:otep:vxlan-172.31.250.13', { link_name: 'vxlan-101' }),
			link('host3:vnic:tap10816507-62', 'vnic-vconnector', 'host3:vconnector:brqfcae30f3-2b', { link_name: 'fa:16:3e:fe:2c:60' }),
		],
	};
}

/** A network clique over `hosts` hosts with `vms` VMs each, like the
 * simulated cloud's: about 2 + hosts * (3 + 2 * vms) + hosts objects. */
export function bigClique(hosts: number, vms: number): Clique {
	const nodes: InvObject[] = [obj('net', 'network'), obj('sw', 'switch', { host: 'sw' })];
	const links: InvLink[] = [];
	for (let h = 0; h < hosts; h++) {
		const host = `h${h}`;
		const br = `${host}:vconnector:br`, ot = `${host}:otep:vx`, pn = `${host}:host_pnic:eth0`, sp = `sw:switch_pnic:${host}`;
		nodes.push(obj(br, 'vconnector', { host }), obj(ot, 'otep', { host }), obj(pn, 'host_pnic', { host, operstate: 'up' }),
			obj(sp, 'switch_pnic', { host: 'sw', parent_id: 'sw', parent_type: 'switch' }));
		links.push(link(br, 'vconnector-otep', ot), link(ot, 'otep-host_pnic', pn), link(pn, 'host_pnic-network', 'net'),
			link(pn, 'host_pnic-switch_pnic', sp), link('sw', 'switch-switch_pnic', sp));
		for (let v = 0; v < vms; v++) {
			const vm = `${host}-vm${v}`, tap = `${host}:vnic:tap${v}`;
			nodes.push(obj(vm, 'instance', { host, state: v % 7 === 0 ? 'shutoff' : 'running' }), obj(tap, 'vnic', { host }));
			links.push(link(vm, 'instance-vnic', tap), link(tap, 'vnic-vconnector', br));
		}
	}
	return { focal_point: 'net', focal_point_type: 'network', nodes, links };
}
