// scan.ts - reading scan records: which statuses are final, how far a
// running scan is, and a one-line description of it.

import type { Scan } from '../api/types';

export const FINAL = new Set(['completed', 'completed_with_errors', 'failed', 'aborted']);

export function isFinal(status: string): boolean {
	return FINAL.has(status);
}

/** 0..1 of a running scan's current step, or null when unknown. */
export function progressFraction(s: Scan): number | null {
	if (s.status === 'completed' || s.status === 'completed_with_errors')
		return 1;
	const p = s.progress;
	if (!p)
		return null;
	if (typeof p.percent === 'number')
		return Math.max(0, Math.min(1, p.percent / 100));
	if (typeof p.done === 'number' && typeof p.total === 'number' && p.total > 0)
		return Math.max(0, Math.min(1, p.done / p.total));
	return null;
}

export function describeScan(s: Scan): string {
	const what = s.object_id ? `from ${s.object_id}` : 'whole environment';
	const only = s.scan_only_inventory ? ', inventory only' : s.scan_only_links ? ', links only'
		: s.scan_only_cliques ? ', cliques only' : '';
	const step = s.status === 'running' && s.progress?.step ? `: ${String(s.progress.step)}` +
		(typeof s.progress.total === 'number' && s.progress.total > 0 ? ` ${s.progress.done ?? 0}/${s.progress.total}` : '') : '';
	return `scan ${s.id} (${what}${only}) ${s.status.replace(/_/g, ' ')}${step}`;
}
