// snapshots.ts - an environment's snapshots: take one (of the whole
// environment or of one clique, after a fresh scan or not), pin, remove,
// and compare any two, or one with live or with a design.

import type { Snapshot } from '../api/types';
import { h, replace } from '../lib/dom';
import { formatTime } from '../lib/format';
import { href } from '../router';
import { errorBox, isMissingRoute, loading, type ViewCtx } from './common';
import { watchScan } from './scanwatch';

/** A snapshot name from a prefix and the time: "manual-20261125-1433". */
export function snapshotName(prefix: string, d = new Date()): string {
	const p = (n: number) => String(n).padStart(2, '0');
	return `${prefix}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function scopeOf(s: Snapshot): string {
	if (s.clique)
		return `clique ${String(s.clique)}`;
	return typeof s.scope === 'string' && s.scope !== 'env' ? s.scope : 'environment';
}

function sourcesText(s: Snapshot): string {
	const src = Array.isArray(s.sources) ? (s.sources as Record<string, unknown>[]) : [];
	if (!src.length)
		return '';
	const ok = src.filter((x) => x.status === 'ok').length;
	return `${ok}/${src.length} answered`;
}

export async function snapshotsView(ctx: ViewCtx): Promise<void> {
	const { app, el } = ctx;
	const env = ctx.route.env!;
	const list = h('div', null, loading());
	const msg = h('div');
	const name = h('input', { id: 'snap-name', value: snapshotName('manual'), style: { width: '230px' }, 'aria-label': 'name' });
	const note = h('input', { id: 'snap-note', placeholder: 'note', style: { width: '220px' }, 'aria-label': 'note' });
	const clique = h('input', { id: 'snap-clique', placeholder: 'focal point id (empty: whole environment)', style: { width: '280px' },
		value: ctx.route.query.clique ?? '', 'aria-label': 'clique' });
	const scan = h('input', { type: 'checkbox', id: 'snap-scan' });
	const pin = h('input', { type: 'checkbox', id: 'snap-pin' });
	const create = h('button.primary', { type: 'submit', id: 'snap-create' }, 'Take snapshot');
	const form = h('form.inline', { id: 'snap-form' }, name, note, clique, h('label', null, scan, 'scan first'),
		h('label', null, pin, 'pinned'), create);

	const aSel = h('select', { id: 'cmp-a', 'aria-label': 'compare' });
	const bSel = h('select', { id: 'cmp-b', 'aria-label': 'with' });
	const scope = h('input', { id: 'cmp-scope', placeholder: 'scope: env, host:H, project:P, clique:ID', style: { width: '260px' } });
	const cmpForm = h('form.inline', { id: 'cmp-form' }, 'Compare', aSel, 'with', bSel, scope, h('button.primary', { type: 'submit', id: 'cmp-go' }, 'Compare'));
	cmpForm.addEventListener('submit', (e) => {
		e.preventDefault();
		ctx.go(href('diff', env, undefined, { a: aSel.value, b: bSel.value, scope: scope.value.trim() || undefined }));
	});

	let snaps: Snapshot[] = [];
	let designs: string[] = [];
	const dFrom = h('select', { id: 'design-from', 'aria-label': 'from' });
	const refresh = async () => {
		try {
			snaps = await app.api.snapshots(env);
		} catch (e) {
			replace(list, errorBox(e));
			return;
		}
		const fromWas = dFrom.value;
		replace(dFrom, snaps.slice().reverse().map((x) => h('option', { value: x.name }, x.name)),
			h('option', { value: 'live' }, 'live'));
		if (fromWas)
			dFrom.value = fromWas;
		const opts = () => [
			...snaps.slice().reverse().map((s) => h('option', { value: s.name }, `${s.name} (${formatTime(s.time ?? s.created)})`)),
			h('option', { value: 'live' }, 'live'),
			...designs.map((d) => h('option', { value: `design:${d}` }, `design ${d}`)),
		];
		const av = aSel.value, bv = bSel.value;
		replace(aSel, opts());
		replace(bSel, opts());
		aSel.value = av || (snaps.length >= 2 ? snaps[snaps.length - 2].name : snaps[snaps.length - 1]?.name ?? 'live');
		bSel.value = bv || (snaps.length >= 2 ? snaps[snaps.length - 1].name : 'live');
		const checked = new Set<string>();
		const pair = h('button', { type: 'button', id: 'cmp-selected', disabled: true }, 'Compare the two selected');
		pair.addEventListener('click', () => {
			const [a, b] = snaps.filter((s) => checked.has(s.name)).map((s) => s.name);
			ctx.go(href('diff', env, undefined, { a, b }));
		});
		if (!snaps.length) {
			replace(list, h('div.muted', null, 'no snapshot yet'));
			return;
		}
		replace(list, h('table.table', { id: 'snapshots' },
			h('thead', null, h('tr', null, ['', 'name', 'time', 'scope', 'objects', 'sources', 'note', 'pinned', ''].map((t) => h('th', null, t)))),
			h('tbody', null, snaps.slice().reverse().map((s) => {
				const cb = h('input', { type: 'checkbox', 'aria-label': `select ${s.name}` });
				cb.addEventListener('change', () => {
					if (cb.checked)
						checked.add(s.name);
					else
						checked.delete(s.name);
					pair.disabled = checked.size !== 2;
				});
				const pinBtn = h('button', { type: 'button', class: 'pin' }, s.pinned ? 'unpin' : 'pin');
				pinBtn.addEventListener('click', async () => {
					pinBtn.disabled = true;
					try {
						await app.api.pinSnapshot(env, s.name, !s.pinned);
						await refresh();
					} catch (e) {
						msg.append(errorBox(e));
						pinBtn.disabled = false;
					}
				});
				const del = h('button.danger', { type: 'button', class: 'delete' }, 'remove');
				del.addEventListener('click', async () => {
					if (!confirm(`Remove snapshot ${s.name}?`))
						return;
					del.disabled = true;
					try {
						await app.api.deleteSnapshot(env, s.name);
						await refresh();
					} catch (e) {
						msg.append(errorBox(e));
						del.disabled = false;
					}
				});
				const counts = s.counts as { objects?: number; links?: number } | undefined;
				return h('tr', { 'data-snapshot': s.name },
					h('td', null, cb), h('td', null, h('b', null, s.name)), h('td.small', null, formatTime(s.time ?? s.created)),
					h('td.small', null, s.clique ? h('a', { href: href('clique', env, String(s.clique)) }, scopeOf(s)) : scopeOf(s)),
					h('td.small', null, counts ? `${counts.objects ?? '?'} objects, ${counts.links ?? '?'} links` : ''),
					h('td.small', null, sourcesText(s)), h('td.small', null, s.note ?? ''),
					h('td', null, s.pinned ? '📌' : ''),
					h('td', null, h('div.row-actions', { style: { margin: '0' } },
						h('a', { href: href('diff', env, undefined, { a: s.name, b: 'live' }) }, 'vs live'), pinBtn, del)));
			}))), h('div.row-actions', null, pair));
	};
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		create.disabled = true;
		replace(msg, loading(scan.checked ? 'Scanning, then taking the snapshot…' : 'Taking the snapshot…'));
		try {
			const taken = name.value.trim();
			const r = await app.api.createSnapshot(env, {
				name: taken, note: note.value.trim() || undefined, clique: clique.value.trim() || undefined,
				scan: scan.checked || undefined, pinned: pin.checked || undefined,
			});
			if (r.scan_id) {
				// The server scans first and takes the snapshot when the scan ends.
				const box = h('div');
				replace(msg, box);
				const done = await watchScan(app.api, env, r.scan_id, box, ctx.signal);
				if (done && done.status !== 'completed' && done.status !== 'completed_with_errors')
					throw new Error(`scan ${done.id} ${done.status}: no snapshot was taken`);
			}
			replace(msg, h('div.info-box', null, `snapshot ${taken} taken`));
			name.value = snapshotName('manual');
			await refresh();
		} catch (err) {
			replace(msg, errorBox(err));
		}
		create.disabled = false;
	});
	// Design baselines: made from a snapshot (or live), compared with live.
	const designBox = h('div');
	const dName = h('input', { id: 'design-name', placeholder: 'design name', style: { width: '180px' } });
	const dMsg = h('div');
	const dForm = h('form.inline', { id: 'design-form' }, 'Save design', dName, 'from', dFrom,
		h('button', { type: 'submit' }, 'Save'));
	const refreshDesigns = async () => {
		let ds: Record<string, unknown>[] = [];
		try {
			ds = await app.api.designs(env);
		} catch (e) {
			replace(designBox, isMissingRoute(e) ? h('div.muted', null, 'this server keeps no designs') : errorBox(e));
			return;
		}
		designs = ds.map((d) => String(d.name ?? '')).filter(Boolean);
		replace(designBox, designs.length ? h('table.table', { id: 'designs' },
			h('thead', null, h('tr', null, ['design', 'made', '', ''].map((t) => h('th', null, t)))),
			h('tbody', null, ds.map((d) => {
				const n = String(d.name ?? '');
				const del = h('button.danger', { type: 'button' }, 'remove');
				del.addEventListener('click', async () => {
					del.disabled = true;
					try {
						await app.api.deleteDesign(env, n);
						await refreshDesigns();
						await refresh();
					} catch (e) {
						dMsg.append(errorBox(e));
					}
				});
				return h('tr', { 'data-design': n }, h('td', null, h('b', null, n)),
					h('td.small', null, formatTime(d.created ?? d.updated), d.taken_from ? ` from ${String(d.taken_from)}` : ''),
					h('td', null, h('a', { href: href('diff', env, undefined, { a: `design:${n}`, b: 'live' }) }, 'drift of live')),
					h('td', null, del));
			}))) : h('div.muted', null, 'no design yet'));
	};
	dForm.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(dMsg);
		try {
			await app.api.createDesign(env, dName.value.trim(), dFrom.value);
			dName.value = '';
			await refreshDesigns();
			await refresh();
		} catch (err) {
			dMsg.append(errorBox(err));
		}
	});
	el.append(h('h1', null, `Snapshots of ${env}`),
		h('section.panel', null, h('h2', { style: { marginTop: '0' } }, 'Take a snapshot'), form, msg),
		h('section.panel', null, cmpForm), list,
		h('h2', null, 'Designs'), h('section.panel', null, dForm, dMsg, designBox));
	await refreshDesigns();
	await refresh();
}
