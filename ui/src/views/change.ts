// change.ts - the pre/post-change flow of the usage stories, for one
// focal point: (1) a pre-change snapshot of its clique, after a fresh
// scan; (2) during the change, compare the clique now with it, by hand or
// every few minutes while this page is open (each time a scan and a
// "during" snapshot); (3) after the change, a post-change snapshot
// compared with the pre-change one and, when there is one, with the
// design.  The flow's state is in the address (?focal=&pre=), so a
// reload or a colleague's browser picks it up.

import type { Diff } from '../api/types';
import { SUMMARY_KEYS } from '../graph/diffgraph';
import { h, replace } from '../lib/dom';
import { formatTime } from '../lib/format';
import { isFinal } from '../lib/scan';
import { href } from '../router';
import { badge, errorBox, loading, objLink, type ViewCtx } from './common';
import { snapshotName } from './snapshots';

function diffLine(env: string, a: string, b: string, focal: string, d: Diff): HTMLElement {
	const s = d.summary ?? {};
	const parts = SUMMARY_KEYS.filter(([k]) => s[k]).map(([k, l]) => `${s[k]} ${l}`);
	return h('div.change-result', { 'data-equal': d.equal ? '1' : '0' }, h('span.small.muted', null, formatTime(new Date().toISOString())), ' ',
		d.equal ? badge('ok', 'as before') : badge('warning', 'changed'), ' ',
		`${a} → ${b}: ${parts.join(', ') || 'no change'} `,
		h('a', { href: href('diff', env, undefined, { a, b, scope: `clique:${focal}`, view: 'graph' }) }, 'graph'), ' · ',
		h('a', { href: href('diff', env, undefined, { a, b, scope: `clique:${focal}`, view: 'table' }) }, 'table'));
}

export async function changeView(ctx: ViewCtx): Promise<void> {
	const { app, el, signal } = ctx;
	const env = ctx.route.env!;
	const focal = ctx.route.query.focal ?? '';
	const pre = ctx.route.query.pre ?? '';
	el.append(h('h1', null, 'Pre/post change'),
		h('div.muted', null, 'Snapshot a clique before a change, compare it during the change, and check after it that it is back as it was (and as designed).'));
	const pick = h('input', { id: 'change-focal', value: focal, placeholder: 'focal point id (a VM, a router, a network…)', style: { width: '380px' } });
	const pickForm = h('form.inline', null, h('b', null, '1. Focal point'), pick, h('button', { type: 'submit' }, 'Use'));
	pickForm.addEventListener('submit', (e) => {
		e.preventDefault();
		ctx.go(href('change', env, undefined, { focal: pick.value.trim() || undefined }));
	});
	const focalLine = h('div.small', null, focal ? h('a', { href: href('clique', env, focal) }, 'its clique graph') : null);
	el.append(h('section.panel', null, pickForm, focalLine));
	if (!focal)
		return;
	app.api.object(env, focal).then((o) => focalLine.prepend(objLink(env, o), ` (${o.type}) · `),
		(e) => focalLine.prepend(errorBox(e)));
	const scanFirst = h('input', { type: 'checkbox', checked: true, id: 'change-scan' });
	const status = h('div');
	const scanAndSnap = async (prefix: string, note: string): Promise<string> => {
		if (scanFirst.checked) {
			replace(status, loading('Scanning…'));
			const s = await app.api.queueScan({ env_name: env });
			for (;;) {
				const r = await app.api.scan(env, s.id);
				if (isFinal(r.status)) {
					if (r.status === 'failed' || r.status === 'aborted')
						throw new Error(`scan ${r.id} ${r.status}${r.error ? `: ${String(r.error)}` : ''}`);
					break;
				}
				await new Promise((res) => setTimeout(res, 1000));
				if (signal.aborted)
					throw new Error('left the page');
			}
		}
		replace(status, loading('Taking the snapshot…'));
		const name = snapshotName(prefix);
		await app.api.createSnapshot(env, { name, clique: focal, note });
		replace(status);
		return name;
	};

	// Step 2: the pre-change snapshot.
	const preBtn = h('button.primary', { type: 'button', id: 'change-pre' }, 'Take the pre-change snapshot');
	preBtn.addEventListener('click', async () => {
		preBtn.disabled = true;
		try {
			const name = await scanAndSnap('pre', `pre-change snapshot of ${focal}`);
			ctx.go(href('change', env, undefined, { focal, pre: name }));
		} catch (e) {
			replace(status, errorBox(e));
			preBtn.disabled = false;
		}
	});
	el.append(h('section.panel', null, h('div.row-actions', null, h('b', null, '2. Before the change'),
		pre ? h('span', null, 'pre-change snapshot ', h('code', { id: 'change-pre-name' }, pre)) : preBtn,
		h('label', null, scanFirst, 'scan first')), status));
	if (!pre)
		return;

	// Step 3: during the change.
	const results = h('div', { id: 'change-results' });
	const compare = async (prefix: string) => {
		try {
			const name = await scanAndSnap(prefix, `${prefix}-change snapshot of ${focal}`);
			const d = await app.api.diff(env, pre, name, `clique:${focal}`);
			results.prepend(diffLine(env, pre, name, focal, d));
			return d;
		} catch (e) {
			results.prepend(errorBox(e));
			return null;
		}
	};
	const nowBtn = h('button', { type: 'button', id: 'change-compare' }, 'Compare now');
	nowBtn.addEventListener('click', async () => {
		nowBtn.disabled = true;
		await compare('during');
		nowBtn.disabled = false;
	});
	const every = h('select', { id: 'change-every' }, ['off', '1', '5', '10', '30'].map((m) => h('option', { value: m }, m === 'off' ? 'off' : `every ${m} min`)));
	let timer: ReturnType<typeof setInterval> | null = null;
	every.addEventListener('change', () => {
		if (timer)
			clearInterval(timer);
		timer = every.value === 'off' ? null : setInterval(() => void compare('during'), Number(every.value) * 60000);
	});
	ctx.onDispose(() => { if (timer) clearInterval(timer); });
	// The story's "snapshot every 10 minutes during the change", kept by
	// the server's scheduler even when no browser is open.
	const schedBtn = h('button', { type: 'button', id: 'change-schedule' }, 'Snapshot it every 10 min on the server');
	const schedMsg = h('span.small');
	schedBtn.addEventListener('click', async () => {
		schedBtn.disabled = true;
		try {
			await app.api.createSchedule({
				env_name: env, cron: '*/10 * * * *', timezone: 'UTC', clique: focal, scan: true,
				name_prefix: 'during', note: `during-change snapshots of ${focal}, compare with ${pre}`,
			}, 'snapshot');
			replace(schedMsg, 'scheduled: ', h('a', { href: href('scans', env) }, 'see or remove it'),
				'; compare its snapshots with ', h('code', null, pre), ' on the ', h('a', { href: href('snapshots', env) }, 'snapshots page'));
		} catch (e) {
			replace(schedMsg, errorBox(e));
			schedBtn.disabled = false;
		}
	});

	// Step 4: after the change.
	const design = h('select', { id: 'change-design' }, h('option', { value: '' }, 'no design'));
	const postBtn = h('button.primary', { type: 'button', id: 'change-post' }, 'Take the post-change snapshot and compare');
	const verdict = h('div', { id: 'change-verdict' });
	postBtn.addEventListener('click', async () => {
		postBtn.disabled = true;
		const d = await compare('post');
		if (d) {
			const parts: (Node | string)[] = [d.equal ? badge('ok', 'back as it was before the change') : badge('critical', 'not as before the change')];
			if (design.value) {
				try {
					const dd = await app.api.diff(env, `design:${design.value}`, 'live', `clique:${focal}`);
					parts.push(' ', dd.equal ? badge('ok', 'as designed') : badge('critical', 'drifts from the design'), ' ',
						h('a', { href: href('diff', env, undefined, { a: `design:${design.value}`, b: 'live', scope: `clique:${focal}` }) }, 'drift'));
				} catch (e) {
					parts.push(errorBox(e));
				}
			}
			replace(verdict, h('div.panel', null, ...parts));
		}
		postBtn.disabled = false;
	});
	el.append(h('section.panel', null, h('div.row-actions', null, h('b', null, '3. During the change'), nowBtn, every,
		schedBtn, h('a', { href: href('clique', env, focal) }, 'live graph')), schedMsg),
	h('section.panel', null, h('div.row-actions', null, h('b', null, '4. After the change'), postBtn, 'and check against', design), verdict),
	h('h2', null, 'Comparisons with the pre-change snapshot'), results);
	try {
		for (const d of await app.api.designs(env))
			design.append(h('option', { value: String(d.name) }, String(d.name)));
	} catch {
		/* no designs on this server: the post-change check compares with the pre-change snapshot only */
	}
}
