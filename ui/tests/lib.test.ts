import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keyAttributes, shortValue, allAttributes } from '../src/lib/attrs';
import { duration, formatTime, relativeTime, toMs, bytes } from '../src/lib/format';
import { counterOf, countLevels, foldCounts, levelsOf } from '../src/lib/messages';
import { breadcrumbs } from '../src/lib/paths';
import { describeScan, isFinal, progressFraction } from '../src/lib/scan';
import { level, objectLevel, worstOf } from '../src/lib/status';
import { debounce, Latest } from '../src/lib/timing';
import { href, parseHash } from '../src/router';
import { clearSession, loadSession, saveSession } from '../src/state/session';
import { obj } from './fixtures';

describe('breadcrumbs', () => {
	it('splits paths whose names and ids hold "/"', () => {
		const vnic = obj('host1:vnic:qdhcp-34d4/ns-c453', 'vnic', {
			name: 'qdhcp-34d4/ns-c453', parent_id: 'host1:vservice:qdhcp-34d4', parent_type: 'vservice',
			id_path: '/lab/host1/host1:vservice:qdhcp-34d4/host1:vnic:qdhcp-34d4/ns-c453',
			name_path: '/lab/host1/qdhcp-34d4/qdhcp-34d4/ns-c453',
		});
		expect(breadcrumbs(vnic)).toEqual([
			{ id: null, name: 'lab', type: 'environment' },
			{ id: 'host1', name: 'host1' },
			{ id: 'host1:vservice:qdhcp-34d4', name: 'qdhcp-34d4', type: 'vservice' },
			{ id: 'host1:vnic:qdhcp-34d4/ns-c453', name: 'qdhcp-34d4/ns-c453', type: 'vnic' },
		]);
	});

	it('handles top-level objects and objects of a host', () => {
		expect(breadcrumbs(obj('vxlan-101', 'network', { parent_id: 'lab', parent_type: 'environment', id_path: '/lab/vxlan-101', name_path: '/lab/vxlan-101' })))
			.toEqual([{ id: null, name: 'lab', type: 'environment' }, { id: 'vxlan-101', name: 'vxlan-101', type: 'network' }]);
		const vm = obj('u1', 'instance', { name: 'vm3', parent_id: 'host1', parent_type: 'host', id_path: '/lab/host1/u1', name_path: '/lab/host1/vm3' });
		expect(breadcrumbs(vm).map((c) => c.name)).toEqual(['lab', 'host1', 'vm3']);
		expect(breadcrumbs(vm)[1]).toEqual({ id: 'host1', name: 'host1', type: 'host' });
	});

	it('falls back to the names when the paths do not end with the object', () => {
		expect(breadcrumbs(obj('x', 'vnic', { name: 'x', id_path: '/lab/a/b', name_path: '/lab/A/B' })).map((c) => c.name))
			.toEqual(['lab', 'A', 'x']);
	});
});

describe('status', () => {
	it('reads monitoring, operational and domain states', () => {
		expect(objectLevel({ status: 'critical', operstate: 'up' })).toBe('critical');
		expect(objectLevel({ status_value: 1 })).toBe('warning');
		expect(objectLevel({ operstate: 'lowerlayerdown' })).toBe('critical');
		expect(objectLevel({ operstate: 'up' })).toBe('ok');
		expect(objectLevel({ type: 'instance', state: 'shut off' })).toBe('critical');
		expect(objectLevel({ type: 'instance', state: 'running' })).toBe('ok');
		expect(objectLevel({ link_type: 'a-b', state: 'down' })).toBe('critical');
		expect(objectLevel({ type: 'otep' })).toBe('unknown');
		expect(level('completed_with_errors')).toBe('warning');
		expect(level('no-such-word')).toBeNull();
	});

	it('the worst level wins', () => {
		expect(worstOf(['ok', 'warning', 'ok'])).toBe('warning');
		expect(worstOf(['ok', 'unknown'])).toBe('unknown');
		expect(worstOf(['unknown', 'critical'])).toBe('critical');
		expect(worstOf([])).toBe('unknown');
	});
});

describe('attributes', () => {
	it('shows the key attributes of each type', () => {
		const rows = keyAttributes(obj('h:vnic:tap1', 'vnic', { name: 'tap1', host: 'h', mac_address: 'fa:16:3e:00:00:01', addresses: ['10.0.0.5/24'], operstate: 'up' }));
		expect(rows).toEqual([['type', 'vnic'], ['host', 'h'], ['mac_address', 'fa:16:3e:00:00:01'],
			['addresses', '10.0.0.5/24'], ['operstate', 'up'], ['id', 'h:vnic:tap1']]);
		expect(keyAttributes(obj('o', 'otep', { peers: [{ ip: 'a' }, { ip: 'b' }] })).find((r) => r[0] === 'peers')![1]).toBe('2 items');
	});

	it('shortens long values', () => {
		expect(shortValue('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
		expect(shortValue(true)).toBe('yes');
		expect(shortValue({ a: 1, b: 2 })).toBe('2 fields');
	});

	it('lists identity fields first', () => {
		expect(allAttributes(obj('a', 'host', { zeta: 1, host: 'a' })).map((r) => r[0])).toEqual(['id', 'type', 'name', 'host', 'environment', 'zeta']);
	});
});

describe('format', () => {
	it('reads times in text, seconds, milliseconds and microseconds', () => {
		expect(toMs('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
		expect(toMs(1767225600)).toBe(1767225600000);
		expect(toMs(1767225600000)).toBe(1767225600000);
		expect(toMs(1767225600000000)).toBe(1767225600000);
		expect(Number.isNaN(toMs(undefined))).toBe(true);
		expect(formatTime(undefined)).toBe('');
	});

	it('says how long ago and how long', () => {
		const now = Date.UTC(2026, 0, 1, 12);
		expect(relativeTime(new Date(now - 30000).toISOString(), now)).toBe('30 s ago');
		expect(relativeTime(new Date(now - 5 * 60000).toISOString(), now)).toBe('5 min ago');
		expect(relativeTime(new Date(now + 3 * 3600000).toISOString(), now)).toBe('in 3 h');
		expect(relativeTime(new Date(now - 86400000).toISOString(), now)).toBe('1 day ago');
		expect(duration('2026-01-01T00:00:00Z', '2026-01-01T00:00:01.5Z')).toBe('1.5 s');
		expect(duration('2026-01-01T00:00:00Z', '2026-01-01T00:02:05Z')).toBe('2 min 5 s');
		expect(bytes(2048)).toBe('2.0 KB');
	});
});

describe('messages', () => {
	it('folds the API\'s levels into four counters', () => {
		expect(counterOf('alert')).toBe('critical');
		expect(counterOf('notice')).toBe('info');
		expect(counterOf('debug')).toBeNull();
		expect(foldCounts({ panic: 1, critical: 2, error: 3, warning: 4, info: 5, notice: 1, debug: 9 }))
			.toEqual({ critical: 3, error: 3, warning: 4, info: 6 });
		expect(countLevels([{ id: 1, level: 'error', message: '' }, { id: 2, level: 'info', message: '' }]))
			.toEqual({ critical: 0, error: 1, warning: 0, info: 1 });
		expect(levelsOf('critical')).toEqual(['panic', 'alert', 'critical']);
	});
});

describe('scans', () => {
	it('reads a scan\'s progress', () => {
		expect(progressFraction({ id: 1, environment: 'e', status: 'running', progress: { step: 'link', done: 3, total: 4 } })).toBe(0.75);
		expect(progressFraction({ id: 1, environment: 'e', status: 'running' })).toBeNull();
		expect(progressFraction({ id: 1, environment: 'e', status: 'completed' })).toBe(1);
		expect(isFinal('completed_with_errors')).toBe(true);
		expect(isFinal('running')).toBe(false);
		expect(describeScan({ id: 4, environment: 'e', status: 'running', object_id: 'host1', scan_only_links: true, progress: { step: 'discover', done: 1, total: 3 } }))
			.toBe('scan 4 (from host1, links only) running: discover 1/3');
	});
});

describe('router', () => {
	it('round-trips ids holding ":", "/" and "|"', () => {
		const id = 'host1:vnic:qdhcp-x/ns-1|y';
		const h = href('object', 'lab', id, { at: '2026-01-01T00:00:00Z' });
		expect(parseHash(h)).toEqual({ name: 'object', env: 'lab', id, query: { at: '2026-01-01T00:00:00Z' } });
		expect(parseHash('#/env/lab')).toEqual({ name: 'env', env: 'lab', query: {} });
		expect(parseHash('#/env/lab/snapshots')).toEqual({ name: 'snapshots', env: 'lab', query: {} });
		expect(parseHash('#/login?next=%23%2Fenv%2Flab').query.next).toBe('#/env/lab');
		expect(parseHash('')).toEqual({ name: 'home', query: {} });
		expect(parseHash('#/nowhere').name).toBe('notfound');
		expect(href('diff', 'lab', undefined, { a: 'pre', b: 'live', scope: undefined })).toBe('#/env/lab/diff?a=pre&b=live');
	});
});

describe('session', () => {
	const store = () => {
		const m = new Map<string, string>();
		return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), m };
	};
	it('keeps a session until it expires or is cleared', () => {
		const s = store();
		saveSession(s, { token: 't', user: 'noc', expires: '2030-01-01T00:00:00Z' });
		expect(loadSession(s, Date.UTC(2029, 0, 1))?.user).toBe('noc');
		expect(loadSession(s, Date.UTC(2031, 0, 1))).toBeNull();
		expect(s.m.size).toBe(0);
		saveSession(s, { token: 't', user: 'noc' });
		clearSession(s);
		expect(loadSession(s)).toBeNull();
		s.setItem('calipso.session', '{broken');
		expect(loadSession(s)).toBeNull();
	});
});

describe('timing', () => {
	beforeEach(() => { vi.useFakeTimers(); });
	afterEach(() => { vi.useRealTimers(); });
	it('debounce runs once with the last arguments', () => {
		const f = vi.fn();
		const d = debounce(f, 250);
		d('v');
		d('vm');
		d('vm1');
		vi.advanceTimersByTime(249);
		expect(f).not.toHaveBeenCalled();
		vi.advanceTimersByTime(1);
		expect(f).toHaveBeenCalledExactlyOnceWith('vm1');
		d('x');
		d.cancel();
		vi.advanceTimersByTime(1000);
		expect(f).toHaveBeenCalledOnce();
		d('y');
		d.flush();
		expect(f).toHaveBeenLastCalledWith('y');
	});

	it('Latest aborts the previous request', () => {
		const l = new Latest();
		const a = l.next();
		const b = l.next();
		expect(a.signal.aborted).toBe(true);
		expect(l.isCurrent(a.token)).toBe(false);
		expect(l.isCurrent(b.token)).toBe(true);
	});
});
