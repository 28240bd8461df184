// object.ts - one object: breadcrumbs from its name_path, its status and
// every attribute, its links both ways, the latest messages about it, and
// the way to its graph, its impact, and a scan from it.

import type { InvLink } from '../api/types';
import { allAttributes } from '../lib/attrs';
import { h, replace } from '../lib/dom';
import { formatTime } from '../lib/format';
import { objectLevel } from '../lib/status';
import { href } from '../router';
import { CLIQUE_TYPES, badge, crumbs, errorBox, icon, loading, objectHref, objectOrError, statusBadge, type ViewCtx } from './common';
import { scanFromButton } from './scanwatch';

function linksTable(env: string, id: string, links: InvLink[]): HTMLElement {
	if (!links.length)
		return h('div.muted', null, 'no link');
	return h('table.table', null,
		h('thead', null, h('tr', null, ['link type', 'other end', 'link name', 'state'].map((t) => h('th', null, t)))),
		h('tbody', null, links.map((l) => {
			const out = l.source_id === id;
			const other = out ? l.target_id : l.source_id;
			const label = (out ? l.target_label : l.source_label) ?? other;
			const otherType = (out ? l.link_type.split('-')[1] : l.link_type.split('-')[0]) ?? '';
			return h('tr', null, h('td', null, l.link_type),
				h('td', null, h('a.objlink', { href: objectHref(env, { id: other, type: otherType }), title: other }, icon(otherType), label)),
				h('td', null, l.link_name ?? ''), h('td', null, badge(objectLevel(l as unknown as Record<string, unknown>), l.state ?? '')));
		})));
}

export async function objectView(ctx: ViewCtx): Promise<void> {
	const { app, el } = ctx;
	const env = ctx.route.env!, id = ctx.route.id!;
	const o = await objectOrError(ctx);
	if (!o)
		return;
	const { button: scanBtn, box: scanBox } = scanFromButton(ctx, id, 'scan-object', 'Scan from here');
	const linksBox = h('div', null, loading());
	const msgBox = h('div', null, loading());
	el.append(crumbs(env, o),
		h('h1', null, icon(o.type, o.service_type, 22), o.name, statusBadge(o), h('span.muted.small', null, o.type)),
		h('div.row-actions', null,
			CLIQUE_TYPES.has(o.type) ? h('a', { href: href('clique', env, id), id: 'open-graph' }, 'clique graph') : null,
			o.type === 'host' ? h('a', { href: href('host', env, id) }, 'host dashboard') : null,
			h('a', { href: href('impact', env, id), id: 'open-impact' }, 'impact'),
			h('a', { href: href('change', env, undefined, { focal: CLIQUE_TYPES.has(o.type) ? id : undefined }) }, 'pre/post change'),
			scanBtn),
		scanBox,
		h('div.grid2', null,
			h('section', null, h('h2', null, 'Attributes'),
				h('table.table.attrs', null, h('tbody', null, allAttributes(o).map(([k, v]) =>
					h('tr', null, h('td', null, k), h('td', { class: k.endsWith('_path') || k === 'id' ? 'mono' : '' }, v)))))),
			h('section', null, h('h2', null, 'Links'), linksBox, h('h2', null, 'Latest messages'), msgBox)));
	try {
		replace(linksBox, linksTable(env, id, await app.api.links(env, { object_id: id, pageSize: 200 })));
	} catch (e) {
		replace(linksBox, errorBox(e));
	}
	try {
		const msgs = await app.api.messages(env, { related_object: id, pageSize: 10 });
		replace(msgBox, msgs.length ? h('table.table', null, h('tbody', null, msgs.map((m) => h('tr', null,
			h('td', null, badge(m.level === 'info' || m.level === 'notice' ? 'ok' : m.level, m.level)),
			h('td.small', null, formatTime(m.timestamp)), h('td', null, m.message)))))
			: h('div.muted', null, 'no message about this object'));
	} catch (e) {
		replace(msgBox, errorBox(e));
	}
}
