// home.ts - all environments at a glance: per environment its object
// counts by type, its last scan (status, when, how long) and which
// sources answered, from /health and /aggregates (a few small requests
// per environment, whatever its size).

import type { HealthEnv } from '../api/client';
import { h, replace } from '../lib/dom';
import { duration } from '../lib/format';
import { href } from '../router';
import { TYPE_ORDER, FOLDER_NAMES } from '../state/tree';
import { badge, errorBox, icon, loading, when, type ViewCtx } from './common';

export function sourcesTable(h_: HealthEnv | undefined): HTMLElement {
	const src = h_?.sources ?? [];
	if (!src.length)
		return h('div.muted.small', null, 'no source has answered yet');
	return h('table.table.small', null,
		h('thead', null, h('tr', null, h('th', null, 'host'), h('th', null, 'source'), h('th', null, 'status'))),
		h('tbody', null, src.map((s) => h('tr', null,
			h('td', null, s.host), h('td', null, s.source),
			h('td', { title: s.error ?? '' }, badge(s.status === 'ok' ? 'ok' : s.status === 'partial' ? 'warning' : 'critical', s.status),
				s.error ? h('span.muted.small', null, ` ${s.error}`) : null)))));
}

/** "10 of 10 sources answered", or which did not. */
export function sourcesSummary(hv: HealthEnv | undefined): HTMLElement {
	const src = hv?.sources ?? [];
	if (!src.length)
		return h('div.muted.small', null, 'no source has answered yet');
	const bad = src.filter((x) => x.status !== 'ok');
	return h('div.small', { class: bad.length ? '' : 'muted' },
		`${src.length - bad.length} of ${src.length} sources answered`,
		bad.length ? h('span', null, ': not ', bad.map((x, i) => h('span', null, i ? ', ' : '',
			badge('critical', `${x.host} ${x.source}`)))) : null);
}

export function countCards(counts: Record<string, number>): HTMLElement {
	const types = Object.keys(counts).sort((a, b) => {
		const ia = TYPE_ORDER.indexOf(a), ib = TYPE_ORDER.indexOf(b);
		return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
	});
	if (!types.length)
		return h('div.muted', null, 'no object yet: run a scan');
	return h('div.cards', null, types.map((t) => h('div.card', { 'data-type': t },
		h('div.num', null, String(counts[t])),
		h('div.lbl', null, icon(t), FOLDER_NAMES[t] ?? t))));
}

export function lastScanLine(hv: HealthEnv | undefined): HTMLElement {
	const ls = hv?.last_scan;
	if (!ls)
		return h('div.muted', null, 'never scanned');
	return h('div', null, 'Last scan ', badge(ls.status), ' ', when(ls.finished ?? ls.started),
		ls.started && ls.finished ? h('span.muted', null, ` (took ${duration(ls.started, ls.finished)})`) : null);
}

export async function homeView(ctx: ViewCtx): Promise<void> {
	const { app, el } = ctx;
	el.append(h('h1', null, 'Environments'));
	if (!app.envs.length) {
		el.append(h('div.info-box', null, 'You may not see any environment: ask an administrator for a view-env role.'));
		return;
	}
	const status = loading();
	el.append(status);
	let health: Awaited<ReturnType<typeof app.api.health>> | null = null;
	try {
		health = await app.api.health();
	} catch (e) {
		el.append(errorBox(e));
	}
	status.remove();
	const grid = h('div.envcards');
	el.append(grid);
	for (const env of app.envs) {
		const hv = health?.environments?.[env.name];
		const counts = h('div', null, loading());
		const cfg = env as Record<string, unknown>;
		const facts = [cfg.distribution, cfg.distribution_version, cfg.mechanism_drivers, cfg.type_drivers]
			.flat().filter((x) => typeof x === 'string' && x).join(' · ');
		grid.append(h('section.panel.envcard', { 'data-env': env.name },
			h('h2', null, h('a', { href: href('env', env.name) }, env.name), facts ? h('span.muted.small', null, ` ${facts}`) : null),
			lastScanLine(hv), sourcesSummary(hv), h('h2', null, 'Objects'), counts,
			h('details', null, h('summary', null, 'Sources of the last scan'), sourcesTable(hv))));
		app.api.objectCounts(env.name).then((c) => replace(counts, countCards(c)),
			(e) => replace(counts, errorBox(e)));
	}
}
