import { describe, expect, it } from 'vitest';
import type { InvObject } from '../src/api/types';
import { groupChildren, sortObjects, TreeLoader, type ChildrenSource } from '../src/state/tree';
import { obj } from './fixtures';

/** A fake server: children by parent, paged and filtered like /inventory. */
function fake(children: Record<string, InvObject[]>) {
	const calls: { parent: string; type?: string; page?: number; pageSize?: number }[] = [];
	const src: ChildrenSource = {
		async children(_env, parent, o) {
			calls.push({ parent, ...o });
			const all = (children[parent] ?? []).filter((c) => !o.type || c.type === o.type);
			const size = o.pageSize ?? 1000, page = o.page ?? 0;
			return all.slice(page * size, (page + 1) * size);
		},
	};
	return { src, calls };
}

const many = (n: number, type: string, prefix: string) => Array.from({ length: n }, (_, i) => obj(`${prefix}${i}`, type, { name: `${prefix}${i}` }));

describe('TreeLoader', () => {
	it('shows a small parent\'s children flat, sorted by type then name', async () => {
		const { src, calls } = fake({ h1: [obj('b', 'vedge', { name: 'ovs' }), obj('a', 'instance', { name: 'vm10' }), obj('c', 'instance', { name: 'vm2' })] });
		const t = new TreeLoader(src, 'lab');
		const n = { ...t.root, id: 'h1', type: 'host' };
		await t.expand(n);
		expect(n.children!.map((c) => c.label)).toEqual(['vm2', 'vm10', 'ovs']);
		expect(n.complete).toBe(true);
		expect(calls).toEqual([{ parent: 'h1', page: 0, pageSize: 100 }]);
		await t.expand(n);
		expect(calls).toHaveLength(1); /* loaded once */
	});

	it('groups a complete list of several types into folders with counts', () => {
		const nodes = groupChildren('h1', [...many(10, 'instance', 'vm'), ...many(5, 'vnic', 'tap')]);
		expect(nodes.map((n) => [n.kind, n.label, n.count])).toEqual([['folder', 'Instances', 10], ['folder', 'vNICs', 5]]);
		expect(nodes[0].children).toHaveLength(10);
	});

	it('gives a parent with more than a page one folder per type, loaded page by page', async () => {
		const env = [...many(150, 'host', 'host'), ...many(120, 'network', 'net'), obj('fabric', 'switch')];
		const { src, calls } = fake({ lab: env });
		const t = new TreeLoader(src, 'lab', { pageSize: 100, folderPageSize: 50 });
		await t.expand(t.root);
		// The first page held only hosts; networks and switches were found by probes.
		expect(t.root.children!.map((c) => c.folderType)).toEqual(['host', 'switch', 'network']);
		expect(calls.filter((c) => c.pageSize === 1).map((c) => c.type).sort()).toEqual(
			['aggregate', 'availability_zone', 'network', 'project', 'region', 'switch']);
		const hosts = t.root.children![0];
		await t.expand(hosts);
		expect(hosts.children).toHaveLength(50);
		expect(hosts.complete).toBe(false);
		await t.more(hosts);
		await t.more(hosts);
		await t.more(hosts);
		expect(hosts.children).toHaveLength(150);
		expect(hosts.complete).toBe(true);
		expect(hosts.count).toBe(150);
		// No request ever asked for more than a page.
		expect(Math.max(...calls.map((c) => c.pageSize ?? Infinity))).toBe(100);
	});

	it('keeps an error on the node and lets it be tried again', async () => {
		let fail = true;
		const t = new TreeLoader({
			async children() {
				if (fail)
					throw new Error('HTTP 500');
				return [obj('x', 'host')];
			},
		}, 'lab');
		await t.expand(t.root);
		expect(t.root.error).toBe('HTTP 500');
		expect(t.root.children).toBeNull();
		fail = false;
		await t.expand(t.root);
		expect(t.root.error).toBeNull();
		expect(t.root.children).toHaveLength(1);
	});

	it('sorts numerically within a type', () => {
		expect(sortObjects([obj('a', 'host', { name: 'host10' }), obj('b', 'host', { name: 'host9' })]).map((o) => o.name)).toEqual(['host9', 'host10']);
	});
});
