// common.ts - what every view shares: the view context, status badges,
// links to objects (a host opens its dashboard, a focal point its graph),
// breadcrumbs, error and loading boxes.

import type { InvObject } from '../api/types';
import { ApiError } from '../api/http';
import { iconElement, iconKey } from '../graph/icons';
import { h } from '../lib/dom';
import { formatTime, relativeTime } from '../lib/format';
import { breadcrumbs } from '../lib/paths';
import { type Level, level, objectLevel } from '../lib/status';
import { href, type Route } from '../router';
import type { AppState } from '../state/app';

export interface ViewCtx {
	app: AppState;
	route: Route;
	/** The element the view fills. */
	el: HTMLElement;
	/** Aborted when the view is left. */
	signal: AbortSignal;
	/** Runs when the view is left (timers, graphs). */
	onDispose(fn: () => void): void;
	/** Asks the shell for the full-height layout (graphs). */
	fullHeight(on: boolean): void;
	go(hash: string): void;
}

export type View = (ctx: ViewCtx) => void | Promise<void>;

/** Types whose objects are focal points of cliques. */
export const FOCAL_TYPES = new Set(['instance', 'vservice', 'network', 'switch_pnic', 'host_pnic', 'vnic',
	'vconnector', 'vedge', 'otep']);
/** Types whose graph is their own clique (clique types start there). */
export const CLIQUE_TYPES = new Set(['instance', 'vservice', 'network', 'switch_pnic']);

export function badge(l: Level | string, text?: string): HTMLElement {
	const lv = level(l) ?? 'unknown';
	return h('span', { class: `badge ${lv}` }, text ?? String(l));
}

export function dot(l: Level): HTMLElement {
	return h('span', { class: `dot ${l}`, title: l });
}

export function statusBadge(o: Record<string, unknown>): HTMLElement {
	const l = objectLevel(o);
	const word = (typeof o.status === 'string' && o.status) || (typeof o.operstate === 'string' && o.operstate) ||
		(o.type === 'instance' && typeof o.state === 'string' && o.state) || (typeof o.state === 'string' && o.state) || l;
	return badge(l, String(word));
}

export function icon(type: string, serviceType?: unknown, size = 16): SVGSVGElement {
	return iconElement(iconKey(type, typeof serviceType === 'string' ? serviceType : undefined), size);
}

/** The page of an object: hosts open their dashboard, others their view. */
export function objectHref(env: string, o: { id: string; type?: string }): string {
	if (o.type === 'host')
		return href('host', env, o.id);
	return href('object', env, o.id);
}

export function objLink(env: string, o: { id: string; type: string; name?: string; service_type?: unknown },
	label?: string): HTMLElement {
	return h('a', { class: 'objlink', href: objectHref(env, o), title: o.id },
		icon(o.type, o.service_type), label ?? o.name ?? o.id);
}

export function crumbs(env: string, o: InvObject): HTMLElement {
	const cs = breadcrumbs(o);
	const out = h('div.crumbs');
	cs.forEach((c, i) => {
		if (i)
			out.append(h('span.sep', null, '›'));
		if (i === 0)
			out.append(h('a', { href: href('env', env) }, c.name));
		else if (i === cs.length - 1 || !c.id)
			out.append(h('span', null, c.name));
		else
			out.append(h('a', { href: objectHref(env, { id: c.id, type: c.type ?? (i === 1 && o.host === c.id ? 'host' : undefined) }) }, c.name));
	});
	return out;
}

export function errorBox(e: unknown): HTMLElement {
	let msg = e instanceof Error ? e.message : String(e);
	if (isMissingRoute(e))
		msg = `this server does not serve this yet (${msg})`;
	return h('div.error-box', { role: 'alert' }, msg);
}

export function isMissingRoute(e: unknown): boolean {
	return e instanceof ApiError && (e.status === 404 || e.status === 405) &&
		/HTTP 40[45]|no such resource|no route|not allowed/i.test(e.message);
}

export function loading(what = 'Loading…'): HTMLElement {
	return h('div.loading', null, what);
}

export function when(t: unknown): HTMLElement {
	const abs = formatTime(t);
	return h('span', { title: abs }, abs ? relativeTime(t) : '—');
}

/** The route's object (env and id), or null after showing why it could
 *  not be read in the view's element. */
export async function objectOrError(ctx: ViewCtx): Promise<InvObject | null> {
	try {
		return await ctx.app.api.object(ctx.route.env!, ctx.route.id!);
	} catch (e) {
		ctx.el.append(errorBox(e));
		return null;
	}
}

/** Runs `fn` and shows its error in `el` instead of throwing. */
export async function guarded(el: HTMLElement, fn: () => Promise<void>): Promise<void> {
	try {
		await fn();
	} catch (e) {
		if ((e as Error).name === 'AbortError')
			return;
		el.append(errorBox(e));
	}
}
