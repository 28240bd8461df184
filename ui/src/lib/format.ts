// format.ts - times, durations and counts as operators read them.

/** Milliseconds since the epoch of an API time (RFC 3339 text, or a
 * number of seconds or microseconds), or NaN. */
export function toMs(t: unknown): number {
	if (typeof t === 'number') {
		if (t > 1e14)
			return t / 1000; /* microseconds */
		if (t > 1e11)
			return t; /* milliseconds */
		return t * 1000;
	}
	if (typeof t === 'string' && t)
		return Date.parse(t);
	return NaN;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "2026-11-25 13:33:14" in local time; "" when there is no time. */
export function formatTime(t: unknown): string {
	const ms = toMs(t);
	if (!Number.isFinite(ms))
		return '';
	const d = new Date(ms);
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
		`${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "5 s ago", "3 min ago", "2 h ago", "4 days ago"; "in 3 min" ahead. */
export function relativeTime(t: unknown, nowMs = Date.now()): string {
	const ms = toMs(t);
	if (!Number.isFinite(ms))
		return '';
	const d = (nowMs - ms) / 1000;
	const a = Math.abs(d);
	let s: string;
	if (a < 60)
		s = `${Math.round(a)} s`;
	else if (a < 3600)
		s = `${Math.round(a / 60)} min`;
	else if (a < 86400)
		s = `${Math.round(a / 3600)} h`;
	else {
		const days = Math.round(a / 86400);
		s = `${days} day${days === 1 ? '' : 's'}`;
	}
	return d >= 0 ? `${s} ago` : `in ${s}`;
}

/** A duration between two times: "1.2 s", "3 min 4 s". */
export function duration(from: unknown, to: unknown): string {
	const a = toMs(from), b = toMs(to);
	if (!Number.isFinite(a) || !Number.isFinite(b))
		return '';
	const s = Math.max(0, (b - a) / 1000);
	if (s < 60)
		return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
	return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
	return `${n} ${n === 1 ? word : many}`;
}

export function bytes(n: number): string {
	if (n < 1024)
		return `${n} B`;
	if (n < 1024 * 1024)
		return `${(n / 1024).toFixed(1)} KB`;
	return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
