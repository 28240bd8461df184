// clique.ts - the graph of a focal point: one request for its clique
// (GET /cliques?id=), drawn with host boxes, icons, status colours and
// link names; hover for an object's key attributes, click to see it in
// the side panel, double click to open it (a box: collapse or expand);
// zoom, fit, another layout, PNG and SVG export; and the ways on: impact,
// a pre-change snapshot of this clique, the clique as it was at a time.

import type { Clique, InvObject } from '../api/types';
import { buildGraph, type GBox, type GNode, type Marks } from '../graph/elements';
import type { CliqueGraph, GraphTimings } from '../graph/view';

/** cytoscape.js and the graph code: a chunk of their own, loaded by the
 * first graph (dashboards and the login page do without it). */
export type GraphModule = typeof import('../graph/view');
let graphModule: Promise<GraphModule> | null = null;
export function loadGraphModule(): Promise<GraphModule> {
	graphModule ??= import('../graph/view');
	return graphModule;
}
import { keyAttributes } from '../lib/attrs';
import { h, replace } from '../lib/dom';
import { formatTime, plural } from '../lib/format';
import { level, STATUS_COLORS } from '../lib/status';
import { href } from '../router';
import { CLIQUE_TYPES, badge, crumbs, errorBox, icon, loading, objectHref, statusBadge, type ViewCtx } from './common';

/** What the end-to-end tests and the performance figures read. */
export interface GraphProbe {
	focal: string;
	timings: GraphTimings & { fetchMs: number; totalMs: number };
	drawn(): { nodes: string[]; edges: { id: string; source: string; target: string; label: string }[]; boxes: string[] };
	graph: CliqueGraph;
}

declare global {
	interface Window { __calipsoGraph?: GraphProbe }
}

function sidePanel(env: string, n: GNode | null, b: GBox | null, g: CliqueGraph): HTMLElement {
	if (b) {
		const btn = h('button', { type: 'button' }, g.isCollapsed(b.id) ? 'Expand' : 'Collapse');
		btn.addEventListener('click', () => {
			g.toggleBox(b.id);
			btn.textContent = g.isCollapsed(b.id) ? 'Expand' : 'Collapse';
		});
		return h('div', null,
			h('h2', null, icon(b.kind === 'switch' ? 'switch' : 'host'), ` ${b.label}`),
			h('div.row-actions', null, badge(b.level), btn,
				b.kind === 'host' ? h('a', { href: href('host', env, b.host) }, 'host dashboard') : null),
			h('div.muted.small', null, `${b.members.length} objects of this clique`));
	}
	if (!n)
		return h('div.muted.small', null, 'Click an object to see it here; double-click to open it. Double-click a host box to collapse it.');
	const o = n.obj;
	return h('div', null,
		h('h2', null, icon(o.type, o.service_type), ` ${o.name}`),
		h('div.row-actions', null, statusBadge(o),
			h('a', { href: objectHref(env, o) }, 'open'),
			CLIQUE_TYPES.has(o.type) && !n.focal ? h('a', { href: href('clique', env, o.id) }, 'its graph') : null,
			h('a', { href: href('impact', env, o.id) }, 'impact')),
		h('table.table.attrs', null, h('tbody', null, keyAttributes(o).map(([k, v]) => h('tr', null, h('td', null, k), h('td', null, v))))));
}

export interface GraphPageOpts {
	title: Node[];
	marks?: Marks;
	extraTools?: Node[];
	/** Text under the title (a comparison's summary). */
	sub?: Node | null;
}

/** Draws a clique page (also used by the diff view with marks). */
export function graphPage(ctx: ViewCtx, env: string, c: Clique, opts: GraphPageOpts, fetchMs: number, t0: number,
	mod: GraphModule): CliqueGraph {
	const { el } = ctx;
	const { CliqueGraph, download } = mod;
	ctx.fullHeight(true);
	const model = buildGraph(c, opts.marks);
	const wrap = h('div.graph-wrap');
	const canvas = h('div.graph', { id: 'graph', 'data-focal': c.focal_point });
	wrap.append(canvas);
	const side = h('aside.graph-side');
	const perf = h('div.perf', { id: 'graph-perf' });
	const tool = (label: string, title: string, fn: () => void, id?: string) => {
		const b = h('button', { type: 'button', title, id: id ?? null }, label);
		b.addEventListener('click', fn);
		return b;
	};
	const legend = h('div.graph-legend', null,
		(['ok', 'warning', 'critical', 'unknown'] as const).map((l) => h('span', null,
			h('span.dot', { style: { background: STATUS_COLORS[l] } }), l)),
		opts.marks ? [h('span', null, badge('ok', 'added')), h('span', null, badge('critical', 'removed')), h('span', null, badge('warning', 'changed'))] : null,
		h('span.muted', null, 'dashed: link down'));
	const tools = h('div.graph-tools');
	const head = h('div.graph-head', null, ...opts.title, tools);
	el.append(head);
	if (opts.sub)
		el.append(h('div', { style: { padding: '4px 16px', background: '#fff', borderBottom: '1px solid #d9dee5' } }, opts.sub));
	el.append(h('div.graph-body', null, wrap, side));

	let g: CliqueGraph;
	const select = (n: GNode | null, b: GBox | null) => replace(side, sidePanel(env, n, b, g), summary());
	const summary = () => h('div', null, h('h2', null, 'This graph'),
		h('div.small', null, `${plural(model.nodes.length, 'object')}, ${plural(model.edges.length, 'link')}, ` +
			plural(model.boxes.filter((b) => b.kind === 'host').length, 'host')),
		c.clique_type ? h('div.small.muted', null, `clique type ${String(c.clique_type)}`) : null,
		h('h2', null, 'Hosts'),
		h('div', null, [...model.boxes].sort((x, y) => (x.kind === y.kind ? x.label.localeCompare(y.label, undefined, { numeric: true }) : x.kind === 'host' ? -1 : 1)).map((b) => {
			const cb = h('input', { type: 'checkbox', checked: !g.isCollapsed(b.id), 'data-box': b.id });
			cb.addEventListener('change', () => g.toggleBox(b.id, !cb.checked));
			return h('label', { style: { display: 'flex', gap: '6px', alignItems: 'center' } }, cb,
				h('span.dot', { class: b.level }), b.label, h('span.muted.small', null, `(${b.members.length})`));
		})), h('h2', null, 'Legend'), legend, perf);
	g = new CliqueGraph(canvas, model, {
		onSelect: select,
		onOpen: (n) => ctx.go(objectHref(env, n.obj)),
		card: (n, b) => {
			if (n)
				return { title: n.obj.name, icon: n.icon, rows: [...keyAttributes(n.obj), ...(n.mark ? [['change', n.mark] as [string, string]] : [])] };
			if (b)
				return { title: b.label, icon: b.kind === 'switch' ? 'switch' : 'host', rows: [['objects', String(b.members.length)], ['status', b.level], ...(b.obj ? keyAttributes(b.obj as InvObject).slice(1) : [])] };
			return null;
		},
	}, {
		onFirstRender: (t) => {
			const totalMs = performance.now() - t0;
			perf.textContent = `fetched in ${fetchMs.toFixed(0)} ms, drawn in ${t.firstRenderMs.toFixed(0)} ms (layout ${t.layoutMs.toFixed(1)} ms)`;
			if (window.__calipsoGraph?.graph === g)
				window.__calipsoGraph.timings = { ...t, fetchMs, totalMs };
		},
	});
	const name = (c.name as string | undefined) ?? c.focal_point;
	tools.append(
		tool('Fit', 'fit the graph in the window', () => g.fit(), 'g-fit'),
		tool('+', 'zoom in', () => g.zoomBy(1.25), 'g-zoom-in'),
		tool('−', 'zoom out', () => g.zoomBy(0.8), 'g-zoom-out'),
		tool('Collapse hosts', 'one box per host', () => { g.setAllCollapsed(true); select(null, null); }, 'g-collapse'),
		tool('Expand hosts', 'every object', () => { g.setAllCollapsed(false); select(null, null); }, 'g-expand'),
		tool('Layered', 'from the focal point down to the wire', () => g.relayout('layered'), 'g-layered'),
		tool('Force', 'a force-directed layout (fCoSE)', () => g.relayout('force'), 'g-force'),
		tool('PNG', 'export as PNG', () => download(`clique-${safeName(name)}.png`, g.png()), 'g-png'),
		tool('SVG', 'export as SVG', () => download(`clique-${safeName(name)}.svg`, g.svg(`clique of ${name}`), 'image/svg+xml'), 'g-svg'),
		...(opts.extraTools ?? []));
	window.__calipsoGraph = {
		focal: c.focal_point,
		timings: { ...g.timings, fetchMs, totalMs: 0 },
		graph: g,
		drawn: () => ({
			nodes: g.cy.nodes().filter((n) => !n.hasClass('box')).map((n) => n.id()),
			boxes: g.cy.nodes('.box').map((n) => n.id()),
			edges: g.cy.edges().map((e) => ({ id: e.id(), source: e.source().id(), target: e.target().id(), label: String(e.data('label') ?? '') })),
		}),
	};
	select(null, null);
	ctx.onDispose(() => {
		g.destroy();
		if (window.__calipsoGraph?.graph === g)
			delete window.__calipsoGraph;
	});
	return g;
}

export function safeName(s: string): string {
	return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'graph';
}

export async function cliqueView(ctx: ViewCtx): Promise<void> {
	const { app, el, signal } = ctx;
	const env = ctx.route.env!, id = ctx.route.id!;
	const at = ctx.route.query.at;
	const t0 = performance.now();
	const wait = loading('Loading the clique…');
	el.append(wait);
	const mod = loadGraphModule();
	let c: Clique;
	try {
		c = await app.api.clique(env, id, at, signal);
	} catch (e) {
		wait.remove();
		el.append(errorBox(e));
		// Not a focal point: its page says which cliques hold it.
		el.append(h('div.info-box', null, 'Objects that are not focal points are in the graphs of the cliques that hold them: ',
			h('a', { href: href('impact', env, id) }, 'see its impact'), ' or ', h('a', { href: href('object', env, id) }, 'its page'), '.'));
		return;
	}
	const fetchMs = performance.now() - t0;
	const m = await mod;
	wait.remove();
	const focal = c.nodes.find((n) => n.id === c.focal_point);
	const health = level(c.health) ?? 'unknown';
	const navBtn = (label: string, title: string, to: string, bid: string) => {
		const b = h('button', { type: 'button', title, id: bid }, label);
		b.addEventListener('click', () => ctx.go(to));
		return b;
	};
	const atBox = h('input', { type: 'datetime-local', title: 'the clique as it was at this time', id: 'g-at', style: { width: '190px' } });
	atBox.addEventListener('change', () => {
		if (atBox.value)
			ctx.go(href('clique', env, id, { at: new Date(atBox.value).toISOString() }));
	});
	graphPage(ctx, env, c, {
		title: [
			h('div', null,
				focal ? crumbs(env, focal) : null,
				h('h1', null, icon(c.focal_point_type ?? focal?.type ?? 'other', focal?.service_type, 20),
					(c.name as string | undefined) ?? focal?.name ?? id, badge(health, `health ${c.health ?? 'unknown'}`),
					at ? h('span.badge', null, `as of ${formatTime(at)}`) : null)),
		],
		extraTools: [
			navBtn('Impact', 'what a change to this object affects', href('impact', env, id), 'g-impact'),
			navBtn('Pre/post change', 'snapshot this clique before a change and compare', href('change', env, undefined, { focal: id }), 'g-prechange'),
			atBox,
			at ? navBtn('Live', 'the clique as it is now', href('clique', env, id), 'g-live') : null,
		].filter(Boolean) as Node[],
	}, fetchMs, t0, m);
}
