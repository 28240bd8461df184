// messages.ts - an environment's messages, newest first, one page at a
// time, filtered by level (a counter of the top bar stands for several
// levels) or by object; each message leads to its object and its graph.

import type { Message } from '../api/types';
import { h, replace } from '../lib/dom';
import { formatTime } from '../lib/format';
import { COUNTERS, levelsOf, type Counter } from '../lib/messages';
import { href } from '../router';
import { CLIQUE_TYPES, badge, errorBox, icon, loading, objectHref, type ViewCtx } from './common';

const LEVELS = ['panic', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'];
const PAGE = 50;

export function levelBadge(l: string): HTMLElement {
	const map: Record<string, string> = { panic: 'critical', alert: 'critical', critical: 'critical', error: 'critical',
		warning: 'warning', notice: 'ok', info: 'ok', debug: 'unknown' };
	return badge(map[l] ?? 'unknown', l);
}

/** Newest first, ties by id (newest id first). */
export function mergeMessages(lists: Message[][]): Message[] {
	return lists.flat().sort((a, b) => (Date.parse(b.timestamp ?? '') || 0) - (Date.parse(a.timestamp ?? '') || 0)
		|| Number(b.id) - Number(a.id));
}

export async function messagesView(ctx: ViewCtx): Promise<void> {
	const { app, el } = ctx;
	const env = ctx.route.env!;
	const lv = ctx.route.query.level ?? '';
	const obj = ctx.route.query.related_object ?? '';
	const page = Number(ctx.route.query.page ?? '0') || 0;
	const sel = h('select', { 'aria-label': 'level', id: 'msg-level' }, h('option', { value: '' }, 'every level'),
		COUNTERS.map((c) => h('option', { value: c }, `${c} (${levelsOf(c).join(', ')})`)),
		LEVELS.filter((l) => !COUNTERS.includes(l as Counter)).map((l) => h('option', { value: l }, l)));
	sel.value = lv;
	sel.addEventListener('change', () => ctx.go(href('messages', env, undefined, { level: sel.value || undefined, related_object: obj || undefined })));
	const body = h('div', null, loading());
	el.append(h('h1', null, 'Messages'), h('div.row-actions', null, sel,
		obj ? h('span', null, 'about ', h('a', { href: href('object', env, obj) }, obj), ' ',
			h('a', { href: href('messages', env, undefined, { level: lv || undefined }) }, '(all objects)')) : null), body);
	try {
		const levels = COUNTERS.includes(lv as Counter) ? levelsOf(lv as Counter) : lv ? [lv] : [undefined];
		// A group of levels: one request per level, the same page of each.
		const lists = await Promise.all(levels.map((l) => app.api.messages(env, {
			level: l, related_object: obj || undefined, page, pageSize: PAGE,
		})));
		const msgs = mergeMessages(lists);
		const full = lists.some((l) => l.length >= PAGE);
		if (!msgs.length) {
			replace(body, h('div.muted', null, 'no message'));
			return;
		}
		replace(body, h('table.table', { id: 'messages' },
			h('thead', null, h('tr', null, ['time', 'level', 'source', 'object', 'message'].map((t) => h('th', null, t)))),
			h('tbody', null, msgs.map((m) => h('tr', { 'data-level': m.level },
				h('td.small', { style: { whiteSpace: 'nowrap' } }, formatTime(m.timestamp)),
				h('td', null, levelBadge(m.level)),
				h('td.small', null, m.source_system ?? ''),
				h('td', null, m.related_object ? h('span', null,
					h('a.objlink', { href: objectHref(env, { id: m.related_object, type: m.related_object_type }) },
						icon(m.related_object_type ?? 'other'), m.display_context || m.related_object),
					m.related_object_type && CLIQUE_TYPES.has(m.related_object_type)
						? h('a.small', { href: href('clique', env, m.related_object), style: { marginLeft: '6px' } }, 'graph') : null)
					: m.origin_type === 'scan' && m.origin_id !== undefined
						? h('a', { href: href('scans', env) }, `scan ${String(m.origin_id)}`) : ''),
				h('td', null, m.message))))),
		h('div.row-actions', null,
			page > 0 ? h('a', { href: href('messages', env, undefined, { level: lv || undefined, related_object: obj || undefined, page: String(page - 1) }) }, '‹ newer') : null,
			h('span.muted.small', null, `page ${page + 1}`),
			full ? h('a', { href: href('messages', env, undefined, { level: lv || undefined, related_object: obj || undefined, page: String(page + 1) }) }, 'older ›') : null));
	} catch (e) {
		replace(body, errorBox(e));
	}
}
