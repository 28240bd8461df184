// paged.ts - a table of objects loaded one page at a time (the API's
// page/page_size): "next" and "previous" ask for another page, never for
// everything.

import type { InvObject } from '../api/types';
import { h, replace } from '../lib/dom';
import { errorBox, loading } from './common';

export interface Column {
	title: string;
	cell(o: InvObject): Node | string;
}

export function pagedTable(load: (page: number, pageSize: number) => Promise<InvObject[]>, cols: Column[],
	opts: { pageSize?: number; empty?: string; cls?: string } = {}): HTMLElement {
	const pageSize = opts.pageSize ?? 50;
	const box = h('div.paged', { class: opts.cls ?? '' });
	let page = 0;
	const show = async () => {
		replace(box, loading());
		let objs: InvObject[];
		try {
			objs = await load(page, pageSize);
		} catch (e) {
			replace(box, errorBox(e));
			return;
		}
		// Within a page, by name (numbers as numbers: vm2 before vm10).
		objs = [...objs].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '', undefined, { numeric: true }));
		if (!objs.length && page === 0) {
			replace(box, h('div.muted', null, opts.empty ?? 'none'));
			return;
		}
		const prev = h('button', { type: 'button', disabled: page === 0 }, '‹ previous');
		const next = h('button', { type: 'button', disabled: objs.length < pageSize }, 'next ›');
		prev.addEventListener('click', () => { page--; void show(); });
		next.addEventListener('click', () => { page++; void show(); });
		replace(box,
			h('table.table', null,
				h('thead', null, h('tr', null, cols.map((c) => h('th', null, c.title)))),
				h('tbody', null, objs.map((o) => h('tr', { 'data-id': o.id }, cols.map((c) => h('td', null, c.cell(o))))))),
			page > 0 || objs.length >= pageSize
				? h('div.row-actions', null, prev, h('span.muted.small', null, `page ${page + 1}`), next) : null);
	};
	void show();
	return box;
}
