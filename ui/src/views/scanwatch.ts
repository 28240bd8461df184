// scanwatch.ts - a scan followed live: the record is read again every
// second while it is pending or running (one small request), drawn as a
// status badge, its step and a progress bar, until it ends.  A button
// scans from one object and follows that scan.

import type { CalipsoApi } from '../api/client';
import type { Scan } from '../api/types';
import { h, replace } from '../lib/dom';
import { duration } from '../lib/format';
import { describeScan, isFinal, progressFraction } from '../lib/scan';
import { badge, errorBox, type ViewCtx } from './common';

export function scanLine(s: Scan): HTMLElement {
	const f = progressFraction(s);
	const bar = h('div.progress', { class: f === null && !isFinal(s.status) ? 'indeterminate' : '' },
		h('div', { style: { width: `${Math.round((f ?? (isFinal(s.status) ? 1 : 0.3)) * 100)}%` } }));
	const took = s.started && s.finished ? ` in ${duration(s.started, s.finished)}` : '';
	return h('div.scanline', { 'data-scan': String(s.id), 'data-status': s.status },
		h('div.row-actions', null, badge(s.status === 'running' || s.status === 'pending' ? 'unknown' : s.status, s.status.replace(/_/g, ' ')),
			h('span', null, describeScan(s) + took)),
		isFinal(s.status) ? null : bar,
		typeof s.error === 'string' && s.error ? h('div.error-box', null, s.error) : null);
}

/** Follows scan `id` in `el` until it ends; resolves with the last record. */
export async function watchScan(api: CalipsoApi, env: string, id: number, el: HTMLElement,
	signal: AbortSignal, intervalMs = 1000): Promise<Scan | null> {
	for (;;) {
		if (signal.aborted)
			return null;
		let s: Scan;
		try {
			s = await api.scan(env, id);
		} catch (e) {
			replace(el, h('div.error-box', null, (e as Error).message));
			return null;
		}
		replace(el, scanLine(s));
		if (isFinal(s.status))
			return s;
		await new Promise<void>((res) => {
			const t = setTimeout(res, intervalMs);
			signal.addEventListener('abort', () => { clearTimeout(t); res(); }, { once: true });
		});
	}
}

/** A button (`id`, `label`) that queues a scan from object `objectId` of the
 *  route's environment and follows it in `box`; place both in the page. */
export function scanFromButton(ctx: ViewCtx, objectId: string, id: string, label: string):
	{ button: HTMLButtonElement; box: HTMLElement } {
	const { app, signal } = ctx;
	const env = ctx.route.env!;
	const box = h('div#scan-progress');
	const button = h('button', { type: 'button', id }, label);
	button.addEventListener('click', async () => {
		button.disabled = true;
		try {
			const s = await app.api.queueScan({ env_name: env, object_id: objectId });
			await watchScan(app.api, env, s.id, box, signal);
		} catch (e) {
			replace(box, errorBox(e));
		}
		button.disabled = false;
	});
	return { button, box };
}
