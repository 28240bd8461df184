// diff.ts - a comparison of any two of live, a snapshot, a time or a
// design (GET /diff), whole environment or scoped to a host, a project or
// one clique: the summary, a table of the changes (field by field), and
// for a clique the graph with added, removed and changed elements marked.

import type { Clique, Diff, DiffLink, DiffObject } from '../api/types';
import { diffGraph, refIsDesign, refIsLive, refText, refTime, SUMMARY_KEYS } from '../graph/diffgraph';
import { shortValue } from '../lib/attrs';
import { h } from '../lib/dom';
import { href } from '../router';
import { badge, errorBox, icon, loading, objectHref, type ViewCtx } from './common';
import { graphPage, loadGraphModule } from './clique';
import { reportLink } from './report';

/** A field's value in a diff: text, or compact JSON for objects. */
export function fieldText(v: unknown, max = 120): string {
	if (v === null || v === undefined)
		return '∅';
	const s = typeof v === 'object' ? JSON.stringify(v) : shortValue(v, max);
	return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function fieldsCell(fs: DiffObject['fields']): HTMLElement {
	return h('div', null, (fs ?? []).map((f) => h('div.small', null, h('b', null, f.field), ': ',
		h('span.mono', { style: { color: '#b3261e' } }, fieldText(f.before)), ' → ',
		h('span.mono', { style: { color: '#1e8e3e' } }, fieldText(f.after)))));
}

/** Names of the objects a diff mentions, for its other tables. */
function names(d: Diff): Map<string, DiffObject> {
	const m = new Map<string, DiffObject>();
	for (const o of [...(d.objects?.added ?? []), ...(d.objects?.removed ?? []), ...(d.objects?.changed ?? [])])
		m.set(o.id, o);
	return m;
}

/** One line of counts, for the graph view. */
export function summaryLine(d: Diff): HTMLElement {
	const s = d.summary ?? {};
	const parts = SUMMARY_KEYS.filter(([k]) => s[k]).map(([k, l]) => `${s[k]} ${l}`);
	return h('div.small', { id: 'diff-summary-line' }, parts.join(' · ') || 'no change');
}

function objRows(env: string, kind: string, objs: DiffObject[]): HTMLTableRowElement[] {
	return objs.map((o) => h('tr', { 'data-change': kind, 'data-id': o.id },
		h('td', null, badge(kind === 'added' ? 'ok' : kind === 'removed' ? 'critical' : 'warning', kind)),
		h('td', null, kind === 'removed' ? h('span.objlink', null, icon(o.type), o.name ?? o.id)
			: h('a.objlink', { href: objectHref(env, o), title: o.id }, icon(o.type), o.name ?? o.id)),
		h('td.small', null, o.type), h('td.small', null, o.host ?? ''), h('td', null, fieldsCell(o.fields))));
}

function linkRows(kind: string, ls: DiffLink[]): HTMLTableRowElement[] {
	return ls.map((l) => h('tr', { 'data-change': kind },
		h('td', null, badge(kind === 'added' ? 'ok' : kind === 'removed' ? 'critical' : 'warning', kind)),
		h('td', null, l.link_type), h('td.small.mono', null, `${l.source_id} → ${l.target_id}`),
		h('td.small', null, l.link_name ?? ''), h('td', null, l.fields?.length ? fieldsCell(l.fields) : h('span.small', null, l.state ?? ''))));
}

export function changesTable(env: string, d: Diff): HTMLElement {
	const objs = [...objRows(env, 'added', d.objects?.added ?? []), ...objRows(env, 'removed', d.objects?.removed ?? []),
		...objRows(env, 'changed', d.objects?.changed ?? [])];
	const links = [...linkRows('added', d.links?.added ?? []), ...linkRows('removed', d.links?.removed ?? []),
		...linkRows('changed', d.links?.changed ?? [])];
	const cliques = d.cliques ?? [];
	const known = names(d);
	return h('div', { id: 'diff-table' },
		h('h2', null, 'Objects'), objs.length ? h('table.table', { id: 'diff-objects' },
			h('thead', null, h('tr', null, ['change', 'object', 'type', 'host', 'fields'].map((t) => h('th', null, t)))),
			h('tbody', null, objs)) : h('div.muted', null, 'no object changed'),
		h('h2', null, 'Links'), links.length ? h('table.table', { id: 'diff-links' },
			h('thead', null, h('tr', null, ['change', 'link type', 'ends', 'name', 'fields'].map((t) => h('th', null, t)))),
			h('tbody', null, links)) : h('div.muted', null, 'no link changed'),
		h('h2', null, 'Cliques'), cliques.length ? h('table.table', { id: 'diff-cliques' },
			h('thead', null, h('tr', null, ['focal point', 'change', 'health', 'members', ''].map((t) => h('th', null, t)))),
			h('tbody', null, cliques.map((c) => h('tr', null,
				h('td', null, h('a', { href: href('clique', env, c.focal_point), title: c.focal_point },
					known.has(c.focal_point) ? icon(known.get(c.focal_point)!.type) : null,
					known.get(c.focal_point)?.name ?? c.focal_point)),
				h('td', null, c.change),
				h('td', null, c.health ? `${c.health.before ?? '—'} → ${c.health.after ?? '—'}` : ''),
				h('td.small', null, `+${c.nodes_added?.length ?? 0} −${c.nodes_removed?.length ?? 0} objects, ` +
					`+${c.links_added?.length ?? 0} −${c.links_removed?.length ?? 0} links`),
				h('td', null, h('a', { href: href('diff', env, undefined, { a: refText(d.a), b: refText(d.b), scope: `clique:${c.focal_point}`, view: 'graph' }) }, 'graph of the change'))))))
			: h('div.muted', null, 'no clique changed'));
}

export function summaryCards(d: Diff): HTMLElement {
	return h('div.cards', { id: 'diff-summary' }, SUMMARY_KEYS.filter(([k]) => k in (d.summary ?? {})).map(([k, label]) =>
		h('div.card', { 'data-key': k }, h('div.num', null, String(d.summary[k] ?? 0)), h('div.lbl', null, label))));
}

export async function diffView(ctx: ViewCtx): Promise<void> {
	const { app, el, signal } = ctx;
	const env = ctx.route.env!;
	const { a = '', b = 'live', scope } = ctx.route.query;
	const view = ctx.route.query.view ?? (scope?.startsWith('clique:') ? 'graph' : 'table');
	if (!a) {
		el.append(errorBox('choose what to compare on the snapshots page'), h('a', { href: href('snapshots', env) }, 'snapshots'));
		return;
	}
	const wait = loading('Comparing…');
	el.append(wait);
	const t0 = performance.now();
	let d: Diff;
	try {
		d = await app.api.diff(env, a, b, scope);
	} catch (e) {
		wait.remove();
		el.append(h('h1', null, `Compare ${a} with ${b}`), errorBox(e));
		return;
	}
	wait.remove();
	const title = h('div', null,
		h('h1', null, 'Compare ', h('code', null, refText(d.a) || a), ' with ', h('code', null, refText(d.b) || b),
			d.scope && d.scope !== 'env' ? h('span.muted.small', null, ` (${d.scope})`) : null,
			d.equal ? badge('ok', 'equal') : badge('warning', 'different')));
	const tabs = h('div.tabs', null,
		h('a', { href: href('diff', env, undefined, { a, b, scope, view: 'table' }) },
			h('button', { type: 'button', class: view === 'table' ? 'active' : '', id: 'diff-tab-table' }, 'Changes')),
		scope?.startsWith('clique:') ? h('a', { href: href('diff', env, undefined, { a, b, scope, view: 'graph' }) },
			h('button', { type: 'button', class: view === 'graph' ? 'active' : '', id: 'diff-tab-graph' }, 'Graph')) : null,
		h('span', { style: { marginLeft: 'auto', alignSelf: 'center' } }, reportLink(app.api, env, { kind: 'diff', a, b, scope }, 'report', 'diff-report')));
	if (view === 'graph' && scope?.startsWith('clique:')) {
		const focal = scope.slice('clique:'.length);
		let bside: Clique;
		try {
			if (refIsDesign(d.b) || refIsDesign(b))
				throw new Error('a design has no clique to draw: compare the design with live instead');
			const at = refIsLive(d.b) || b === 'live' ? undefined : refTime(d.b) ?? b;
			bside = await app.api.clique(env, focal, at, signal);
		} catch (e) {
			// The focal point may be gone on the b side: draw what was removed.
			bside = { focal_point: focal, nodes: [], links: [] };
			el.append(errorBox(e));
		}
		const { clique, marks } = diffGraph(bside, d);
		graphPage(ctx, env, clique, { title: [title], marks, extraTools: [tabs], sub: summaryLine(d) },
			performance.now() - t0, t0, await loadGraphModule());
		return;
	}
	el.append(title, summaryCards(d), tabs, changesTable(env, d));
}
