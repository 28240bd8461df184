// messages.ts - message levels as the top bar counts them: the eight
// syslog-like levels of the API folded into four counters.

import type { Message } from '../api/types';

export type Counter = 'critical' | 'error' | 'warning' | 'info';
export const COUNTERS: Counter[] = ['critical', 'error', 'warning', 'info'];

export function counterOf(level: string): Counter | null {
	switch (level.toLowerCase()) {
	case 'panic': case 'alert': case 'critical': case 'emergency':
		return 'critical';
	case 'error':
		return 'error';
	case 'warning': case 'warn':
		return 'warning';
	case 'notice': case 'info':
		return 'info';
	default:
		return null;
	}
}

/** The levels of the API a counter stands for (for the messages filter). */
export function levelsOf(c: Counter): string[] {
	switch (c) {
	case 'critical': return ['panic', 'alert', 'critical'];
	case 'error': return ['error'];
	case 'warning': return ['warning'];
	case 'info': return ['notice', 'info'];
	}
}

export function countLevels(msgs: Message[]): Record<Counter, number> {
	const out: Record<Counter, number> = { critical: 0, error: 0, warning: 0, info: 0 };
	for (const m of msgs) {
		const c = counterOf(m.level ?? '');
		if (c)
			out[c]++;
	}
	return out;
}

/** Counts by API level ({"error": 3, "info": 10}) folded into counters. */
export function foldCounts(levels: Record<string, number>): Record<Counter, number> {
	const out: Record<Counter, number> = { critical: 0, error: 0, warning: 0, info: 0 };
	for (const [l, n] of Object.entries(levels)) {
		const c = counterOf(l);
		if (c && typeof n === 'number')
			out[c] += n;
	}
	return out;
}
