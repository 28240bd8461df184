// host.ts - one host: its instances, network services, vNICs, bridges,
// virtual switches, NICs and tunnel endpoints, each with its status, one
// page per type (GET /inventory?host=H&type=T), and the way to its
// objects' graphs, its impact and a scan of it.

import { shortValue } from '../lib/attrs';
import { h } from '../lib/dom';
import { href } from '../router';
import { FOLDER_NAMES } from '../state/tree';
import { CLIQUE_TYPES, crumbs, icon, objLink, objectOrError, statusBadge, type ViewCtx } from './common';
import { pagedTable, type Column } from './paged';
import { scanFromButton } from './scanwatch';

const SECTIONS = ['instance', 'vservice', 'vnic', 'vconnector', 'vedge', 'host_pnic', 'otep', 'network_agent'];

function cols(env: string, type: string): Column[] {
	const name: Column = { title: 'name', cell: (o) => objLink(env, o) };
	const st: Column = { title: 'status', cell: (o) => statusBadge(o) };
	const a = (k: string, t = k): Column => ({ title: t, cell: (o) => shortValue(o[k]) });
	const graph: Column = { title: '', cell: (o) => (CLIQUE_TYPES.has(o.type) ? h('a', { href: href('clique', env, o.id) }, 'graph') : '') };
	const count = (k: string, t: string): Column => ({ title: t, cell: (o) => (Array.isArray(o[k]) ? String((o[k] as unknown[]).length) : '') });
	switch (type) {
	case 'instance': return [name, a('state'), a('network'), a('mac_address', 'MAC'), st, graph];
	case 'vservice': return [name, a('service_type', 'service'), a('network'), st, graph];
	case 'vnic': return [name, a('mac_address', 'MAC'), a('addresses'), a('network'), a('vlan_tag', 'VLAN'), st];
	case 'vconnector': return [name, a('network'), count('interfaces', 'ports'), st];
	case 'vedge': return [name, count('bridges', 'bridges'), count('ports', 'ports'), count('tunnel_ports', 'tunnels'), st];
	case 'host_pnic': return [name, a('mac_address', 'MAC'), a('addresses'), a('speed'), a('mtu', 'MTU'), st];
	case 'otep': return [name, a('overlay_type', 'type'), a('ip_address', 'IP'), a('udp_port', 'port'), count('peers', 'peers'), st];
	default: return [name, st];
	}
}

export async function hostView(ctx: ViewCtx): Promise<void> {
	const { app, el, signal } = ctx;
	const env = ctx.route.env!, id = ctx.route.id!;
	const host = await objectOrError(ctx);
	if (!host)
		return;
	const { button: scanBtn, box: scanBox } = scanFromButton(ctx, id, 'scan-host', 'Scan this host');
	el.append(crumbs(env, host),
		h('h1', null, icon('host', undefined, 22), host.name, statusBadge(host)),
		h('div.row-actions', null,
			h('a', { href: href('object', env, id) }, 'all attributes'),
			h('a', { href: href('impact', env, id) }, 'impact if this host changes'),
			h('a', { href: href('messages', env, undefined, { related_object: id }) }, 'messages'),
			scanBtn),
		scanBox,
		h('div.muted', null, `role: ${shortValue(host.host_type) || 'unknown'}`));
	for (const t of SECTIONS) {
		const sec = h('section', { 'data-section': t });
		el.append(sec);
		// Each section shows itself once it has objects.
		sec.append(h('h2', null, icon(t), ` ${FOLDER_NAMES[t] ?? t}`),
			pagedTable((page, pageSize) => app.api.objects(env, { type: t, host: id, page, pageSize }, signal),
				cols(env, t), { pageSize: 50, empty: 'none' }));
	}
}
