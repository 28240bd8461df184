// tree.ts (view) - draws the lazy navigation tree of state/tree.ts in the
// sidebar: a click on a twisty expands (one request), a click on a name
// opens the object (a host its dashboard).  Only the expanded branch is
// redrawn.

import { h, replace } from '../lib/dom';
import { objectLevel } from '../lib/status';
import { CHILD_TYPES, type TreeLoader, type TreeNode } from '../state/tree';
import { dot, icon, objectHref } from './common';

export class TreeView {
	readonly el: HTMLElement;
	private readonly loader: TreeLoader;
	private readonly rows = new Map<string, HTMLElement>();
	private selectedId: string | null = null;
	private ctl = new AbortController();

	constructor(loader: TreeLoader) {
		this.loader = loader;
		this.el = h('div.tree', { role: 'tree', 'aria-label': 'inventory' });
		this.el.append(h('ul', null, this.item(loader.root)));
		void this.toggle(loader.root, true);
	}

	destroy(): void {
		this.ctl.abort();
	}

	/** Highlights an object's row when it is loaded. */
	select(id: string | null): void {
		this.selectedId = id;
		for (const r of this.el.querySelectorAll('.row.selected'))
			r.classList.remove('selected');
		if (id)
			this.rows.get(id)?.classList.add('selected');
	}

	private hasChildren(n: TreeNode): boolean {
		if (n.kind !== 'object')
			return true;
		return n.type in CHILD_TYPES;
	}

	private item(n: TreeNode): HTMLElement {
		const li = h('li', { role: 'treeitem', 'data-key': n.key });
		this.draw(li, n);
		return li;
	}

	private draw(li: HTMLElement, n: TreeNode): void {
		const twisty = h('span.twisty', null, this.hasChildren(n) ? (n.expanded ? '▾' : '▸') : '');
		let label: HTMLElement;
		if (n.kind === 'object') {
			const env = this.loader.env;
			label = h('a.label', { href: objectHref(env, { id: n.id, type: n.type }), title: n.obj?.name_path ?? n.id },
				n.label);
		} else {
			const count = n.count !== undefined ? ` (${n.count})` : n.kind === 'folder' && n.children ? ` (${n.children.length}+)` : '';
			label = h('span.label', null, n.label + count);
		}
		const row = h(`div.row${n.kind === 'folder' ? '.folder' : ''}`, {
			'data-id': n.kind === 'object' ? n.id : null,
			'data-type': n.type,
		}, twisty,
		n.kind === 'object' ? dot(objectLevel(n.obj ?? {})) : null,
		icon(n.kind === 'root' ? 'environment' : n.type, n.obj?.service_type, 15), label);
		if (n.kind === 'object') {
			this.rows.set(n.id, row);
			if (n.id === this.selectedId)
				row.classList.add('selected');
		}
		twisty.addEventListener('click', (e) => {
			e.preventDefault();
			e.stopPropagation();
			if (this.hasChildren(n))
				void this.toggle(n);
		});
		if (n.kind !== 'object')
			row.addEventListener('click', () => void this.toggle(n));
		const parts: HTMLElement[] = [row];
		if (n.expanded && this.hasChildren(n)) {
			const ul = h('ul', { role: 'group' });
			if (n.loading)
				ul.append(h('li.loading', null, 'loading…'));
			if (n.error)
				ul.append(h('li.err', null, n.error));
			for (const c of n.children ?? [])
				ul.append(this.item(c));
			if (n.children && !n.children.length && !n.loading)
				ul.append(h('li.loading', null, 'nothing here'));
			if (n.kind === 'folder' && !n.complete && !n.loading && n.children) {
				const more = h('li.more', { role: 'button' }, 'more…');
				more.addEventListener('click', () => void this.more(n, li));
				ul.append(more);
			}
			parts.push(ul);
		}
		replace(li, ...parts);
	}

	private async toggle(n: TreeNode, open = !n.expanded): Promise<void> {
		const li = this.el.querySelector<HTMLElement>(`li[data-key="${cssEscape(n.key)}"]`);
		if (!open) {
			this.loader.collapse(n);
			if (li)
				this.draw(li, n);
			return;
		}
		const p = this.loader.expand(n, this.ctl.signal);
		if (li)
			this.draw(li, n);
		try {
			await p;
		} catch {
			return;
		}
		const li2 = this.el.querySelector<HTMLElement>(`li[data-key="${cssEscape(n.key)}"]`);
		if (li2)
			this.draw(li2, n);
	}

	private async more(n: TreeNode, li: HTMLElement): Promise<void> {
		const p = this.loader.more(n, this.ctl.signal);
		this.draw(li, n);
		try {
			await p;
		} catch {
			return;
		}
		this.draw(li, n);
	}
}

function cssEscape(s: string): string {
	return typeof CSS !== 'undefined' && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, '\\$&');
}
