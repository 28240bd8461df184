// impact.ts - what a change to an object touches: every clique that
// holds it, the affected focal points grouped by project, host, network
// and switch, and with "what if it goes down" which of them lose their
// path to the wire; each focal point opens its graph.  One request
// (GET /impact), and a link to the printable report.

import { h, replace } from '../lib/dom';
import { level } from '../lib/status';
import { href } from '../router';
import { reportLink } from './report';
import { badge, crumbs, errorBox, icon, loading, objectHref, type ViewCtx } from './common';

export interface ImpactEntry {
	focal_point: string;
	focal_point_type?: string;
	name?: string;
	host?: string;
	project?: string;
	networks?: string[];
	switches?: string[];
	health?: string;
	loses_path?: boolean;
	unreachable?: string[];
}

export interface ImpactDoc {
	environment?: string;
	object?: { id: string; type: string; name?: string; host?: string };
	what_if?: string | null;
	cliques?: number;
	by_project?: Record<string, string[]>;
	by_host?: Record<string, string[]>;
	by_network?: Record<string, string[]>;
	by_switch?: Record<string, string[]>;
	affected?: ImpactEntry[];
	lost?: string[];
	notes?: string[];
}

export const GROUPS: [keyof ImpactDoc, string, string][] = [
	['by_project', 'Project', 'projects'], ['by_host', 'Host', 'hosts'], ['by_network', 'Network', 'networks'],
	['by_switch', 'Switch', 'switches'],
];

/** Groups as [key, entries] sorted by size then name, entries resolved. */
export function groupEntries(doc: ImpactDoc, key: keyof ImpactDoc): [string, ImpactEntry[]][] {
	const byId = new Map((doc.affected ?? []).map((e) => [e.focal_point, e]));
	const g = (doc[key] ?? {}) as Record<string, string[]>;
	return Object.entries(g)
		.map(([k, ids]) => [k, ids.map((id) => byId.get(id) ?? { focal_point: id })] as [string, ImpactEntry[]])
		.sort((a, b) => (b[1].length - a[1].length) || a[0].localeCompare(b[0]));
}

function entryLink(env: string, e: ImpactEntry, lost: Set<string>): HTMLElement {
	const l = lost.has(e.focal_point);
	return h('span', { class: 'objlink', 'data-focal': e.focal_point, 'data-lost': l ? '1' : null },
		h('a.objlink', { href: href('clique', env, e.focal_point), title: e.focal_point },
			icon(e.focal_point_type ?? 'other'), e.name || e.focal_point),
		e.health ? h('span.dot', { class: level(e.health) ?? 'unknown', title: `health ${e.health}` }) : null,
		l ? badge('critical', 'loses its path') : null);
}

export async function impactView(ctx: ViewCtx): Promise<void> {
	const { app, el } = ctx;
	const env = ctx.route.env!, id = ctx.route.id!;
	const down = ctx.route.query.what_if === 'down';
	const project = ctx.route.query.project;
	const body = h('div', null, loading('Computing the impact…'));
	const head = h('div');
	el.append(head, body);
	try {
		const obj = await app.api.object(env, id).catch(() => null);
		replace(head, obj ? crumbs(env, obj) : null,
			h('h1', null, obj ? icon(obj.type, obj.service_type, 22) : null, `Impact of ${obj?.name ?? id}`),
			h('div.row-actions', null,
				h('a', { href: href('impact', env, id, { project }), class: down ? '' : 'active' },
					h('button', { type: 'button', class: down ? '' : 'primary', id: 'impact-all' }, 'Cliques holding it')),
				h('a', { href: href('impact', env, id, { what_if: 'down', project }) },
					h('button', { type: 'button', class: down ? 'primary' : '', id: 'impact-down' }, 'What if it goes down')),
				h('a', { href: objectHref(env, { id, type: obj?.type }) }, 'the object'),
				reportLink(app.api, env, { kind: 'impact', object_id: id, what_if: down ? 'down' : undefined, project }, 'report', 'impact-report')));
		const doc = (await app.api.impact(env, id, { whatIfDown: down, project })) as ImpactDoc;
		const lost = new Set(doc.lost ?? []);
		const affected = doc.affected ?? [];
		const parts: Node[] = [];
		parts.push(h('div.cards', null,
			h('div.card', null, h('div.num', { id: 'impact-count' }, String(affected.length)), h('div.lbl', null, 'focal points affected')),
			down ? h('div.card', null, h('div.num', { id: 'impact-lost' }, String(lost.size)), h('div.lbl', null, 'lose their path')) : null,
			...GROUPS.map(([k, , plural]) => h('div.card', null, h('div.num', null, String(Object.keys(doc[k] ?? {}).length)),
				h('div.lbl', null, plural)))));
		for (const n of doc.notes ?? [])
			parts.push(h('div.info-box.small', null, n));
		if (!affected.length)
			parts.push(h('div.info-box', null, 'No clique holds this object: a change to it affects no focal point.'));
		for (const [k, name] of GROUPS) {
			const groups = groupEntries(doc, k);
			if (!groups.length)
				continue;
			parts.push(h('h2', null, `By ${name.toLowerCase()}`),
				h('table.table', { 'data-group': String(k) }, h('thead', null, h('tr', null, h('th', null, name), h('th', null, 'affected focal points'))),
					h('tbody', null, groups.map(([g, es]) => h('tr', null,
						h('td', null, k === 'by_host' && g ? h('a', { href: href('host', env, g) }, g) : g || h('span.muted', null, '(none)')),
						h('td', null, h('div', { style: { display: 'flex', flexWrap: 'wrap', gap: '4px 14px' } },
							es.map((e) => entryLink(env, e, lost)))))))));
		}
		replace(body, ...parts);
	} catch (e) {
		replace(body, errorBox(e));
	}
}
