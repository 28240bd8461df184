// scans.ts - scans and schedules of an environment: queue a scan (the
// whole environment or from one object, with the API's options) and
// follow it live; the latest scans with their status, progress and
// duration; scheduled scans (and snapshots, when the server schedules
// them) with their next run, added and removed here.

import type { ScheduleKind, ScheduleRequest } from '../api/client';
import type { Scan, Schedule } from '../api/types';
import { h, replace } from '../lib/dom';
import { duration, formatTime } from '../lib/format';
import { describeScan, isFinal } from '../lib/scan';
import { badge, errorBox, isMissingRoute, loading, when, type ViewCtx } from './common';
import { scanLine, watchScan } from './scanwatch';

const ONLY = [['', 'everything'], ['scan_only_inventory', 'objects only'], ['scan_only_links', 'links only'],
	['scan_only_cliques', 'cliques only']];
const LOG_LEVELS = ['', 'critical', 'error', 'warning', 'info', 'debug'];
const FREQS = ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];

/** The options of a scan form as a request body. */
export function scanOptions(only: string, clear: boolean, logLevel: string, objectId: string): Record<string, unknown> {
	const r: Record<string, unknown> = {};
	if (only)
		r[only] = true;
	if (clear)
		r.clear = true;
	if (logLevel)
		r.log_level = logLevel;
	if (objectId.trim())
		r.object_id = objectId.trim();
	return r;
}

/** A schedule's timing in words. */
export function scheduleWhen(s: Schedule): string {
	if (s.cron)
		return `cron “${s.cron}”${s.timezone ? ` (${s.timezone})` : ''}`;
	return s.freq ? s.freq.toLowerCase() : '';
}

function optionsText(o: Record<string, unknown>): string {
	const parts: string[] = [];
	if (o.object_id)
		parts.push(`from ${String(o.object_id)}`);
	for (const [k, label] of ONLY)
		if (k && o[k])
			parts.push(label);
	if (o.clear)
		parts.push('clear');
	if (o.log_level)
		parts.push(`log ${String(o.log_level)}`);
	return parts.join(', ') || 'whole environment';
}

function scanForm(ctx: ViewCtx, env: string, onQueued: (s: Scan) => void): HTMLElement {
	const obj = h('input', { placeholder: 'object id (empty: whole environment)', id: 'scan-object-id', style: { width: '300px' }, value: ctx.route.query.object_id ?? '' });
	const only = h('select', { id: 'scan-only' }, ONLY.map(([v, l]) => h('option', { value: v }, l)));
	const clear = h('input', { type: 'checkbox', id: 'scan-clear' });
	const log = h('select', { id: 'scan-log' }, LOG_LEVELS.map((l) => h('option', { value: l }, l || 'log level')));
	const msg = h('div');
	const submit = h('button.primary', { type: 'submit', id: 'scan-queue' }, 'Queue scan');
	const form = h('form.inline', { id: 'scan-form' }, obj, only, h('label', null, clear, 'clear'), log, submit);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		submit.disabled = true;
		replace(msg);
		try {
			const s = await ctx.app.api.queueScan({ env_name: env, ...scanOptions(only.value, clear.checked, log.value, obj.value) });
			onQueued(s);
		} catch (err) {
			msg.append(errorBox(err));
		}
		submit.disabled = false;
	});
	return h('div', null, form, msg);
}

function scheduleForm(ctx: ViewCtx, env: string, kind: ScheduleKind, onAdded: () => void): HTMLElement {
	const k = (id: string) => `${kind === 'scan' ? 'sched' : 'ssched'}-${id}`;
	const how = h('select', { id: k('kind') }, h('option', { value: 'freq' }, 'every'), h('option', { value: 'cron' }, 'cron'));
	const freq = h('select', { id: k('freq') }, FREQS.map((f) => h('option', { value: f }, f.toLowerCase())));
	const cron = h('input', { id: k('cron'), placeholder: '0 0 * * 0 (Sundays at midnight)', style: { width: '220px', display: 'none' } });
	const tz = h('input', { id: k('tz'), placeholder: 'time zone (UTC)', style: { width: '150px' },
		value: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' });
	const only = h('select', null, ONLY.map(([v, l]) => h('option', { value: v }, l)));
	const prefix = h('input', { id: k('prefix'), placeholder: 'name prefix (scheduled)', style: { width: '160px' } });
	const clique = h('input', { id: k('clique'), placeholder: 'focal point id (empty: environment)', style: { width: '230px' } });
	const scanFirst = h('input', { type: 'checkbox', id: k('scan') });
	const msg = h('div');
	how.addEventListener('change', () => {
		freq.style.display = how.value === 'freq' ? '' : 'none';
		cron.style.display = how.value === 'cron' ? '' : 'none';
	});
	const form = h('form.inline', { id: k('form') }, kind === 'scan' ? 'Scan' : 'Snapshot', how, freq, cron, tz,
		kind === 'scan' ? only : [prefix, clique, h('label', null, scanFirst, 'scan first')],
		h('button', { type: 'submit' }, 'Add schedule'));
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		replace(msg);
		const req: ScheduleRequest = kind === 'scan' ? { env_name: env, ...scanOptions(only.value, false, '', '') } : {
			env_name: env, name_prefix: prefix.value.trim() || undefined, clique: clique.value.trim() || undefined,
			scan: scanFirst.checked || undefined,
		};
		if (how.value === 'cron')
			req.cron = cron.value.trim();
		else
			req.freq = freq.value;
		if (tz.value.trim())
			req.timezone = tz.value.trim();
		try {
			await ctx.app.api.createSchedule(req, kind);
			onAdded();
		} catch (err) {
			msg.append(errorBox(err));
		}
	});
	return h('div', null, form, msg);
}

/** The schedules of one kind, with their next runs, each removable. */
function scheduleList(ctx: ViewCtx, env: string, kind: ScheduleKind): { el: HTMLElement; refresh(): Promise<void> } {
	const el = h('div', null, loading());
	const refresh = async () => {
		let ss: Schedule[];
		try {
			ss = await ctx.app.api.schedules(env, kind);
		} catch (e) {
			replace(el, isMissingRoute(e) ? h('div.muted', null, 'this server does not schedule them') : errorBox(e));
			return;
		}
		replace(el, ss.length ? h('table.table', { id: kind === 'scan' ? 'schedules' : 'snapshot-schedules' },
			h('thead', null, h('tr', null, ['id', 'when', kind === 'scan' ? 'options' : 'what', 'next run', 'last run', 'enabled', '']
				.map((t) => h('th', null, t)))),
			h('tbody', null, ss.map((s) => {
				const del = h('button.danger', { type: 'button' }, 'remove');
				del.addEventListener('click', async () => {
					del.disabled = true;
					try {
						await ctx.app.api.deleteSchedule(env, s.id, kind);
						void refresh();
					} catch (e) {
						el.append(errorBox(e));
					}
				});
				const req = { ...(s.request ?? {}), ...s } as Record<string, unknown>;
				const what = kind === 'scan' ? optionsText(req)
					: `${req.clique ? `clique ${String(req.clique)}` : 'environment'}, named ${String(req.name_prefix ?? 'scheduled')}-…${req.scan ? ', after a scan' : ''}`;
				const next = s.next_run ?? s.scheduled_timestamp;
				return h('tr', { 'data-schedule': String(s.id) }, h('td', null, String(s.id)), h('td', null, scheduleWhen(s)),
					h('td', null, what), h('td', null, formatTime(next), ' ', h('span.muted.small', null, when(next))),
					h('td.small', null, formatTime(s.last_run)), h('td', null, s.enabled === false ? 'no' : 'yes'), h('td', null, del));
			})))
			: h('div.muted', null, kind === 'scan' ? 'no scheduled scan' : 'no scheduled snapshot'));
	};
	return { el, refresh };
}

export async function scansView(ctx: ViewCtx): Promise<void> {
	const { app, el, signal } = ctx;
	const env = ctx.route.env!;
	const live = h('div#scan-progress');
	const list = h('div', null, loading());
	const scanScheds = scheduleList(ctx, env, 'scan');
	const snapScheds = scheduleList(ctx, env, 'snapshot');
	let timer: ReturnType<typeof setTimeout> | null = null;
	ctx.onDispose(() => { if (timer) clearTimeout(timer); });

	const refreshList = async () => {
		if (timer)
			clearTimeout(timer);
		let scans: Scan[];
		try {
			scans = await app.api.scans(env, { pageSize: 20 });
		} catch (e) {
			replace(list, errorBox(e));
			return;
		}
		replace(list, scans.length ? h('table.table', { id: 'scans' },
			h('thead', null, h('tr', null, ['id', 'status', 'what', 'queued', 'started', 'took', 'progress'].map((t) => h('th', null, t)))),
			h('tbody', null, scans.map((s) => h('tr', { 'data-scan': String(s.id), 'data-status': s.status },
				h('td', null, String(s.id)),
				h('td', null, badge(s.status === 'running' || s.status === 'pending' ? 'unknown' : s.status, s.status.replace(/_/g, ' '))),
				h('td', null, optionsText(s as Record<string, unknown>)),
				h('td.small', null, formatTime(s.created ?? s.submit_timestamp)),
				h('td.small', null, formatTime(s.started ?? s.start_timestamp)),
				h('td.small', null, duration(s.started, s.finished)),
				h('td.small', null, s.status === 'running' ? describeScan(s) : typeof s.error === 'string' ? s.error : '')))))
			: h('div.muted', null, 'no scan yet'));
		if (scans.some((s) => !isFinal(s.status)) && !signal.aborted)
			timer = setTimeout(() => void refreshList(), 2000);
	};
	el.append(h('h1', null, `Scans of ${env}`),
		h('section.panel', null, h('h2', { style: { marginTop: '0' } }, 'Queue a scan'),
			scanForm(ctx, env, (s) => {
				replace(live, scanLine(s));
				void refreshList();
				void watchScan(app.api, env, s.id, live, signal).then(() => refreshList());
			}), live),
		h('h2', null, 'Latest scans'), list,
		h('h2', null, 'Scheduled scans'), scheduleForm(ctx, env, 'scan', () => void scanScheds.refresh()), scanScheds.el,
		h('h2', null, 'Scheduled snapshots'), scheduleForm(ctx, env, 'snapshot', () => void snapScheds.refresh()), snapScheds.el);
	await Promise.all([refreshList(), scanScheds.refresh(), snapScheds.refresh()]);
}
