// dom.ts - building DOM nodes without HTML strings: every text from the
// server goes in through textContent or attributes, never innerHTML.

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener | Partial<CSSStyleDeclaration>>;

type TagOf<S extends string> = S extends `${infer T}.${string}` ? T : S extends `${infer T}#${string}` ? T : S;
export type ElOf<S extends string> = TagOf<S> extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[TagOf<S>] : HTMLElement;

/** h('div.a.b#id', {attrs}, ...children); "on<event>" attributes become
 * listeners, `style` may be an object, boolean attributes set when true. */
export function h<S extends string>(sel: S, attrs?: Attrs | null, ...children: Child[]): ElOf<S> {
	const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(sel);
	const tag = (m && m[1]) || 'div';
	const el = document.createElement(tag) as unknown as ElOf<S>;
	if (m && m[2])
		for (const part of m[2].match(/[.#][\w-]+/g) ?? []) {
			if (part[0] === '.')
				el.classList.add(part.slice(1));
			else
				el.id = part.slice(1);
		}
	for (const [k, v] of Object.entries(attrs ?? {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k.startsWith('on') && typeof v === 'function')
			el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
		else if (k === 'style' && typeof v === 'object')
			Object.assign(el.style, v);
		else if (k === 'class')
			for (const c of String(v).split(/\s+/).filter(Boolean))
				el.classList.add(c);
		else if (k === 'value' && 'value' in el)
			(el as unknown as HTMLInputElement).value = String(v);
		else if (k === 'checked' && 'checked' in el)
			(el as unknown as HTMLInputElement).checked = Boolean(v);
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	append(el, children);
	return el;
}

export function append(el: Node, children: Child[]): void {
	for (const c of children) {
		if (c === null || c === undefined || c === false)
			continue;
		if (Array.isArray(c))
			append(el, c);
		else if (c instanceof Node)
			el.appendChild(c);
		else
			el.appendChild(document.createTextNode(String(c)));
	}
}

export function clear(el: Element): void {
	while (el.firstChild)
		el.removeChild(el.firstChild);
}

export function replace(el: Element, ...children: Child[]): void {
	clear(el);
	append(el, children);
}

/** A table: header cells and rows of cells (rows may be elements). */
export function table(cls: string, head: string[], rows: (Child[] | HTMLTableRowElement)[]): HTMLTableElement {
	return h('table', { class: `table ${cls}` },
		h('thead', null, h('tr', null, head.map((c) => h('th', null, c)))),
		h('tbody', null, rows.map((r) => (r instanceof HTMLTableRowElement ? r
			: h('tr', null, r.map((c) => h('td', null, c)))))));
}
