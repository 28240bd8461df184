// env.ts - one environment: its counts, its last scan and sources, a scan
// button with the scan followed live, and tabs of regions, projects,
// hosts, instances, network services, networks and bridges, each one
// page of objects at a time.

import { h, replace } from '../lib/dom';
import { shortValue } from '../lib/attrs';
import { isFinal } from '../lib/scan';
import { href } from '../router';
import { FOLDER_NAMES } from '../state/tree';
import { CLIQUE_TYPES, errorBox, icon, loading, objLink, statusBadge, type ViewCtx } from './common';
import { countCards, lastScanLine, sourcesSummary, sourcesTable } from './home';
import { pagedTable, type Column } from './paged';
import { watchScan } from './scanwatch';

const TABS = ['host', 'instance', 'vservice', 'network', 'vconnector', 'region', 'project', 'switch'];

function columns(env: string, type: string): Column[] {
	const name: Column = { title: 'name', cell: (o) => objLink(env, o) };
	const status: Column = { title: 'status', cell: (o) => statusBadge(o) };
	const host: Column = { title: 'host', cell: (o) => (o.host ? h('a', { href: href('host', env, o.host) }, o.host) : '') };
	const graph: Column = {
		title: '', cell: (o) => (CLIQUE_TYPES.has(o.type) ? h('a', { href: href('clique', env, o.id) }, 'graph') : ''),
	};
	const attr = (k: string, title = k): Column => ({ title, cell: (o) => shortValue(o[k]) });
	switch (type) {
	case 'host': return [name, attr('host_type', 'role'), status];
	case 'instance': return [name, host, attr('network'), attr('mac_address', 'MAC'), status, graph];
	case 'vservice': return [name, attr('service_type', 'service'), host, attr('network'), status, graph];
	case 'network': return [name, attr('provider:network_type', 'type'), attr('segmentation_id', 'segment'), attr('cidrs'), status, graph];
	case 'vconnector': return [name, host, attr('network'), status];
	default: return [name, status];
	}
}

export async function envView(ctx: ViewCtx): Promise<void> {
	const { app, el, signal } = ctx;
	const env = ctx.route.env!;
	const scanBox = h('div#scan-progress');
	const scanBtn = h('button.primary', { type: 'button', id: 'scan-env' }, 'Scan now');
	const head = h('div');
	const counts = h('div', null, loading());
	const tabs = h('div.tabs', { role: 'tablist' });
	const tabBody = h('div');
	el.append(h('h1', null, icon('environment', 22), env),
		h('div.row-actions', null, scanBtn, h('a', { href: href('scans', env) }, 'scan options and schedules')),
		scanBox, head, counts, tabs, tabBody);

	const refreshHead = async () => {
		try {
			const health = await app.api.health();
			replace(head, lastScanLine(health.environments?.[env]), sourcesSummary(health.environments?.[env]),
				h('details', null, h('summary', null, 'Sources of the last scan'), sourcesTable(health.environments?.[env])));
		} catch (e) {
			replace(head, errorBox(e));
		}
	};
	let counted: Record<string, number> = {};
	const refreshCounts = async () => {
		try {
			counted = await app.api.objectCounts(env);
			replace(counts, countCards(counted));
		} catch (e) {
			replace(counts, errorBox(e));
		}
	};
	const follow = async (id: number) => {
		scanBtn.disabled = true;
		const s = await watchScan(app.api, env, id, scanBox, signal);
		scanBtn.disabled = false;
		if (s && isFinal(s.status)) {
			await Promise.all([refreshHead(), refreshCounts()]);
			showTab(current);
		}
	};
	scanBtn.addEventListener('click', async () => {
		scanBtn.disabled = true;
		try {
			const s = await app.api.queueScan({ env_name: env });
			void follow(s.id);
		} catch (e) {
			scanBtn.disabled = false;
			replace(scanBox, errorBox(e));
		}
	});

	let current = 'host';
	const showTab = (t: string) => {
		current = t;
		for (const b of tabs.querySelectorAll('button'))
			b.classList.toggle('active', b.getAttribute('data-tab') === t);
		replace(tabBody, pagedTable((page, pageSize) => app.api.objects(env, { type: t, page, pageSize }, signal),
			columns(env, t), { empty: `no ${FOLDER_NAMES[t]?.toLowerCase() ?? t}` }));
	};
	await Promise.all([refreshHead(), refreshCounts()]);
	for (const t of TABS) {
		if (t !== 'host' && !counted[t])
			continue;
		const b = h('button', { type: 'button', role: 'tab', 'data-tab': t }, icon(t), ` ${FOLDER_NAMES[t] ?? t}`,
			counted[t] !== undefined ? h('span.muted', null, ` ${counted[t]}`) : null);
		b.addEventListener('click', () => showTab(t));
		tabs.append(b);
	}
	showTab('host');
	// A scan already queued or running is followed too.
	try {
		const running = [...await app.api.scans(env, { status: 'running', pageSize: 1 }),
			...await app.api.scans(env, { status: 'pending', pageSize: 1 })];
		if (running.length)
			void follow(running[0].id);
	} catch {
		/* the dashboard works without it */
	}
}
