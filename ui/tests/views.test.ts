import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CalipsoApi } from '../src/api/client';
import { groupEntries, type ImpactDoc } from '../src/views/impact';
import { mergeMessages } from '../src/views/messages';
import { scanOptions, scheduleWhen } from '../src/views/scans';
import { hitHref, SearchBox, SEARCH_DEBOUNCE_MS } from '../src/views/searchbox';
import { snapshotName } from '../src/views/snapshots';

describe('search box', () => {
	beforeEach(() => { vi.useFakeTimers(); });
	afterEach(() => { vi.useRealTimers(); });

	it('asks once per pause in typing, and shows type and name_path', async () => {
		const urls: string[] = [];
		const api = new CalipsoApi('', async (u) => {
			urls.push(u);
			return new Response(JSON.stringify({ results: [{ id: 'u1', type: 'instance', name: 'vm1', name_path: '/lab/host1/vm1' }] }));
		});
		const box = new SearchBox(api, () => 'lab', () => undefined);
		document.body.append(box.el);
		const input = box.el.querySelector('input')!;
		for (const t of ['v', 'vm', 'vm1']) {
			input.value = t;
			input.dispatchEvent(new Event('input'));
			vi.advanceTimersByTime(100);
		}
		expect(urls).toHaveLength(0);
		await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
		expect(urls).toHaveLength(1);
		expect(urls[0]).toContain('text=vm1');
		const hit = box.el.querySelector('.hit')!;
		expect(hit.getAttribute('href')).toBe('#/env/lab/clique/u1');
		expect(hit.textContent).toContain('instance');
		expect(hit.textContent).toContain('/lab/host1/vm1');
		box.el.remove();
	});

	it('leads each hit to its graph, dashboard or page', () => {
		expect(hitHref('lab', { id: 'n', type: 'network' })).toBe('#/env/lab/clique/n');
		expect(hitHref('lab', { id: 'h', type: 'host' })).toBe('#/env/lab/host/h');
		expect(hitHref('lab', { id: 'p', type: 'host_pnic' })).toBe('#/env/lab/object/p');
	});
});

describe('impact grouping', () => {
	it('resolves focal points and sorts groups by size', () => {
		const doc: ImpactDoc = {
			affected: [{ focal_point: 'a', name: 'vm1' }, { focal_point: 'b', name: 'vm2' }, { focal_point: 'c', name: 'net' }],
			by_host: { host1: ['a'], host2: ['b', 'c'] },
		};
		expect(groupEntries(doc, 'by_host').map(([k, es]) => [k, es.map((e) => e.name)])).toEqual([['host2', ['vm2', 'net']], ['host1', ['vm1']]]);
		expect(groupEntries(doc, 'by_switch')).toEqual([]);
	});
});

describe('forms', () => {
	it('builds scan requests from the form', () => {
		expect(scanOptions('scan_only_links', true, 'debug', ' host1 ')).toEqual({ scan_only_links: true, clear: true, log_level: 'debug', object_id: 'host1' });
		expect(scanOptions('', false, '', '')).toEqual({});
	});

	it('says when a schedule runs', () => {
		expect(scheduleWhen({ id: 1, environment: 'e', cron: '0 0 * * 0', timezone: 'Europe/Paris' })).toBe('cron “0 0 * * 0” (Europe/Paris)');
		expect(scheduleWhen({ id: 1, environment: 'e', freq: 'WEEKLY' })).toBe('weekly');
	});

	it('names snapshots after the time', () => {
		expect(snapshotName('pre', new Date(2026, 10, 25, 9, 5, 3))).toBe('pre-20261125-090503');
	});

	it('merges message pages newest first', () => {
		const m = mergeMessages([[{ id: 1, level: 'error', message: 'a', timestamp: '2026-01-01T00:00:00Z' }],
			[{ id: 2, level: 'alert', message: 'b', timestamp: '2026-01-02T00:00:00Z' }]]);
		expect(m.map((x) => x.id)).toEqual([2, 1]);
	});
});
