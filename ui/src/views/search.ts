// search.ts - the full results of a search (up to 100), with a type
// filter; each hit opens its graph, dashboard or page.

import { h, replace } from '../lib/dom';
import { href } from '../router';
import { TYPE_ORDER, FOLDER_NAMES } from '../state/tree';
import { errorBox, loading, type ViewCtx } from './common';
import { hitRow } from './searchbox';

export async function searchView(ctx: ViewCtx): Promise<void> {
	const { app, el, signal } = ctx;
	const env = ctx.route.env!;
	const q = ctx.route.query.q ?? '';
	const type = ctx.route.query.type ?? '';
	const input = h('input', { type: 'search', value: q, id: 'search-page-input', style: { width: '360px' }, 'aria-label': 'search text' });
	const sel = h('select', { 'aria-label': 'type' }, h('option', { value: '' }, 'any type'),
		TYPE_ORDER.map((t) => h('option', { value: t }, FOLDER_NAMES[t] ?? t)));
	sel.value = type;
	const form = h('form.inline', null, input, sel, h('button.primary', { type: 'submit' }, 'Search'));
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		ctx.go(href('search', env, undefined, { q: input.value.trim(), type: sel.value || undefined }));
	});
	const out = h('div.search-results', { style: { position: 'static', boxShadow: 'none', maxHeight: 'none' }, id: 'search-page-results' });
	el.append(h('h1', null, 'Search'), form, h('div', { style: { height: '10px' } }), out);
	if (q.length < 1) {
		replace(out, h('div.empty', null, 'Type a name, an id, a MAC, an IP or any attribute value.'));
		return;
	}
	replace(out, loading());
	try {
		const hits = await app.api.search(env, q, { type: type || undefined, limit: 100 }, signal);
		replace(out, hits.length ? hits.map((x) => hitRow(env, x)) : h('div.empty', null, `nothing matches “${q}”`));
	} catch (e) {
		replace(out, errorBox(e));
	}
}
