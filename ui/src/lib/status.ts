// status.ts - the status of an object or link as the UI colours it.
// Monitoring sets `status` (ok, warning, critical) and `status_value`
// (0, 1, 2); until it has, what discovery saw decides: an interface whose
// operational state is down, a domain that is shut off.  The worst status
// wins when several are combined (a host box, a clique).

export type Level = 'ok' | 'warning' | 'critical' | 'unknown';

const ORDER: Record<Level, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

export const STATUS_COLORS: Record<Level, string> = {
	ok: '#1e8e3e',
	warning: '#c58a00',
	critical: '#d93025',
	unknown: '#7b8794',
};

export const STATUS_FILLS: Record<Level, string> = {
	ok: '#e6f4ea',
	warning: '#fef7e0',
	critical: '#fce8e6',
	unknown: '#f1f3f4',
};

/** A status word of the API as one of the four levels. */
export function level(s: unknown): Level | null {
	if (typeof s === 'number')
		return s <= 0 ? 'ok' : s === 1 ? 'warning' : 'critical';
	if (typeof s !== 'string')
		return null;
	switch (s.toLowerCase()) {
	case 'ok': case 'up': case 'healthy': case 'running': case 'active': case 'completed':
		return 'ok';
	case 'warning': case 'warn': case 'degraded': case 'paused': case 'completed_with_errors':
		return 'warning';
	case 'critical': case 'error': case 'down': case 'lowerlayerdown': case 'failed':
	case 'shutoff': case 'shut off': case 'crashed': case 'aborted':
		return 'critical';
	case 'unknown': case '':
		return 'unknown';
	default:
		return null;
	}
}

/** An object's (or link's) status: monitoring's when it has one, else
 * its operational state (interfaces, links), else its domain state. */
export function objectLevel(o: Record<string, unknown>): Level {
	const fromStatus = level(o.status) ?? (typeof o.status_value === 'number' ? level(o.status_value) : null);
	if (fromStatus && fromStatus !== 'unknown')
		return fromStatus;
	const op = o.operstate ?? (o.link_type ? o.state : undefined);
	if (typeof op === 'string') {
		const l = level(op);
		if (l)
			return l;
	}
	if (o.type === 'instance' && typeof o.state === 'string')
		return level(o.state) ?? 'unknown';
	return 'unknown';
}

/** The worse of two levels. */
export function worst(a: Level, b: Level): Level {
	return ORDER[a] >= ORDER[b] ? a : b;
}

export function worstOf(levels: Iterable<Level>): Level {
	let w: Level = 'ok';
	let any = false;
	for (const l of levels) {
		w = any ? worst(w, l) : l;
		any = true;
	}
	return any ? w : 'unknown';
}
