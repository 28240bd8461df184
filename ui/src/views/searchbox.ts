// searchbox.ts - the top bar's search: as the operator types (debounced),
// one request for the first hits of the current environment, shown with
// their type and name_path; arrows and Enter pick one, which opens its
// graph (a focal point), its dashboard (a host) or its page.  Enter with
// no hit picked opens the full results page.

import type { CalipsoApi } from '../api/client';
import type { SearchHit } from '../api/types';
import { h, replace } from '../lib/dom';
import { debounce, Latest } from '../lib/timing';
import { href } from '../router';
import { CLIQUE_TYPES, icon } from './common';

export const SEARCH_DEBOUNCE_MS = 250;

/** Where a search hit leads. */
export function hitHref(env: string, hit: { id: string; type: string }): string {
	if (CLIQUE_TYPES.has(hit.type))
		return href('clique', env, hit.id);
	if (hit.type === 'host')
		return href('host', env, hit.id);
	return href('object', env, hit.id);
}

export function hitRow(env: string, hit: SearchHit): HTMLElement {
	return h('a.hit', { href: hitHref(env, hit), 'data-id': hit.id },
		icon(hit.type, hit.service_type, 20),
		h('div', null,
			h('div', null, h('span.hit-name', null, hit.name || hit.id), ' ', h('span.hit-type', null, hit.type)),
			h('div.hit-path', null, hit.name_path ?? hit.id),
			hit.field && hit.field !== 'name' && hit.field !== 'id'
				? h('div.hit-path', null, `matched ${hit.field}${hit.value ? `: ${String(hit.value)}` : ''}`) : null));
}

export class SearchBox {
	readonly el: HTMLElement;
	private readonly input: HTMLInputElement;
	private readonly results: HTMLElement;
	private readonly latest = new Latest();
	private hits: SearchHit[] = [];
	private active = -1;
	private readonly run: ReturnType<typeof debounce<[string]>>;

	constructor(private readonly api: CalipsoApi, private readonly env: () => string | null,
		private readonly go: (hash: string) => void) {
		this.input = h('input', {
			type: 'search', placeholder: 'Search names, ids, MACs, IPs…', 'aria-label': 'search',
			autocomplete: 'off', spellcheck: 'false',
		});
		this.results = h('div.search-results', { role: 'listbox' });
		this.results.style.display = 'none';
		this.el = h('div.searchbox', null, this.input, this.results);
		this.run = debounce((text: string) => void this.search(text), SEARCH_DEBOUNCE_MS);
		this.input.addEventListener('input', () => {
			const t = this.input.value.trim();
			if (t.length < 2) {
				this.run.cancel();
				this.latest.cancel();
				this.hide();
				return;
			}
			this.run(t);
		});
		this.input.addEventListener('keydown', (e) => this.key(e));
		this.input.addEventListener('focus', () => {
			if (this.hits.length)
				this.results.style.display = 'block';
		});
		this.input.addEventListener('blur', () => setTimeout(() => this.hide(), 200));
		this.results.addEventListener('click', () => this.hide());
	}

	/** Closes the results (the page changed). */
	close(): void {
		this.run.cancel();
		this.latest.cancel();
		this.hide();
	}

	private hide(): void {
		this.results.style.display = 'none';
	}

	private async search(text: string): Promise<void> {
		const env = this.env();
		if (!env)
			return;
		const { signal, token } = this.latest.next();
		let hits: SearchHit[];
		try {
			hits = await this.api.search(env, text, { limit: 15 }, signal);
		} catch (e) {
			if ((e as Error).name === 'AbortError' || !this.latest.isCurrent(token))
				return;
			replace(this.results, h('div.empty', null, (e as Error).message));
			this.results.style.display = 'block';
			return;
		}
		if (!this.latest.isCurrent(token))
			return;
		this.hits = hits;
		this.active = -1;
		replace(this.results, hits.length ? hits.map((x) => hitRow(env, x))
			: h('div.empty', null, `nothing matches “${text}”`));
		if (hits.length >= 15)
			this.results.append(h('a.hit', { href: href('search', env, undefined, { q: text }) }, h('div.hit-path', null, 'all results…')));
		this.results.style.display = 'block';
	}

	private key(e: KeyboardEvent): void {
		const rows = [...this.results.querySelectorAll<HTMLElement>('.hit')];
		if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
			e.preventDefault();
			if (!rows.length)
				return;
			this.active = (this.active + (e.key === 'ArrowDown' ? 1 : rows.length - 1 + (this.active < 0 ? 1 : 0))) % rows.length;
			rows.forEach((r, i) => r.classList.toggle('active', i === this.active));
			rows[this.active].scrollIntoView({ block: 'nearest' });
		} else if (e.key === 'Enter') {
			e.preventDefault();
			const env = this.env();
			const text = this.input.value.trim();
			if (this.active >= 0 && rows[this.active]) {
				this.go(rows[this.active].getAttribute('href')!);
			} else if (env && text) {
				this.run.cancel();
				this.go(href('search', env, undefined, { q: text }));
			}
			this.hide();
		} else if (e.key === 'Escape') {
			this.hide();
			this.input.blur();
		}
	}
}
