import { describe, expect, it } from 'vitest';
import { buildGraph } from '../src/graph/elements';
import { boxRect, layeredLayout, orderRows, rankOf } from '../src/graph/layout';
import { bigClique, vmClique } from './fixtures';

describe('layeredLayout', () => {
	it('places every node, from the focal point down to the wire', () => {
		const g = buildGraph(vmClique());
		const pos = layeredLayout(g);
		for (const n of g.nodes)
			expect(pos.has(n.id), n.id).toBe(true);
		const y = (id: string) => pos.get(id)!.y;
		expect(y('u-vm9')).toBeLessThan(y('host3:vnic:tap10816507-62'));
		expect(y('host3:vnic:tap10816507-62')).toBeLessThan(y('host3:vconnector:brqfcae30f3-2b'));
		expect(y('host3:vconnector:brqfcae30f3-2b')).toBeLessThan(y('host3:otep:vxlan-172.31.250.13'));
		expect(y('host3:otep:vxlan-172.31.250.13')).toBeLessThan(y('host3:host_pnic:eth0'));
		// Networks and the switch are in the band below the hosts.
		expect(y('vxlan-101')).toBeGreaterThan(y('host3:host_pnic:eth0'));
		expect(y('fabric:switch_pnic:h3-eth0')).toBeGreaterThan(y('vxlan-101'));
		expect(y('fabric')).toBeGreaterThan(y('fabric:switch_pnic:h3-eth0'));
	});

	it('keeps host boxes apart and nodes from overlapping, on a 500-node clique, fast', () => {
		const c = bigClique(40, 5);
		const g = buildGraph(c);
		expect(g.nodes.length).toBeGreaterThan(480);
		const t0 = performance.now();
		const pos = layeredLayout(g);
		const ms = performance.now() - t0;
		expect(ms).toBeLessThan(200);
		const seen = new Set<string>();
		for (const n of g.nodes) {
			const p = pos.get(n.id)!;
			const k = `${Math.round(p.x)},${Math.round(p.y)}`;
			expect(seen.has(k), `two nodes at ${k}`).toBe(false);
			seen.add(k);
		}
		// Bounding boxes of the hosts' members do not intersect.
		const rects = g.boxes.filter((b) => b.kind === 'host').map((b) => {
			const ps = b.members.map((m) => pos.get(m)!);
			return { x0: Math.min(...ps.map((p) => p.x)), x1: Math.max(...ps.map((p) => p.x)),
				y0: Math.min(...ps.map((p) => p.y)), y1: Math.max(...ps.map((p) => p.y)) };
		});
		for (let i = 0; i < rects.length; i++)
			for (let j = i + 1; j < rects.length; j++) {
				const a = rects[i], b = rects[j];
				const apart = a.x1 < b.x0 || b.x1 < a.x0 || a.y1 < b.y0 || b.y1 < a.y0;
				expect(apart, `boxes ${i} and ${j} overlap`).toBe(true);
			}
	});

	it('is deterministic', () => {
		const g = buildGraph(bigClique(5, 3));
		expect([...layeredLayout(g).entries()]).toEqual([...layeredLayout(buildGraph(bigClique(5, 3))).entries()]);
	});

	it('wraps a long row', () => {
		const g = buildGraph(bigClique(1, 25));
		const pos = layeredLayout(g, { wrap: 10 });
		const ys = new Set(g.nodes.filter((n) => n.type === 'instance').map((n) => pos.get(n.id)!.y));
		expect(ys.size).toBe(3);
	});
});

describe('ranks and ordering', () => {
	it('ranks types from services down to NICs', () => {
		const g = buildGraph(vmClique());
		const r = (t: string) => rankOf(g.nodes.find((n) => n.type === t)!, t.startsWith('switch') ? 'switch' : 'host');
		expect(r('instance')).toBeLessThan(r('vnic'));
		expect(r('vnic')).toBeLessThan(r('vconnector'));
		expect(r('otep')).toBeLessThan(r('host_pnic'));
		expect(r('switch_pnic')).toBeLessThan(r('switch'));
	});

	it('orders a row after its neighbours in the row above', () => {
		const mk = (id: string, label: string) => ({ id, label, type: 'x', icon: 'other', level: 'ok' as const, parent: null, focal: false, obj: { id, type: 'x', name: label } });
		const top = [mk('a', 'a'), mk('b', 'b')];
		const bottom = [mk('x', 'a-child-of-b'), mk('y', 'b-child-of-a')];
		const adj = new Map([['a', ['y']], ['y', ['a']], ['b', ['x']], ['x', ['b']]]);
		const out = orderRows([top, bottom], adj);
		expect(out[1].map((n) => n.id)).toEqual(['y', 'x']);
	});
});

describe('boxRect', () => {
	it('holds its members with room for their labels, and boxes of a layout do not overlap', () => {
		const r = boxRect([{ x: 0, y: 0 }, { x: 100, y: 200 }]);
		expect(r.x - r.w / 2).toBeLessThanOrEqual(-50);
		expect(r.x + r.w / 2).toBeGreaterThanOrEqual(150);
		expect(r.y - r.h / 2).toBeLessThanOrEqual(-30);
		expect(r.y + r.h / 2).toBeGreaterThanOrEqual(240);
		const g = buildGraph(bigClique(12, 3));
		const pos = layeredLayout(g);
		const rects = g.boxes.filter((b) => b.kind === 'host').map((b) => boxRect(b.members.map((m) => pos.get(m)!)));
		for (let i = 0; i < rects.length; i++)
			for (let j = i + 1; j < rects.length; j++) {
				const a = rects[i], b = rects[j];
				const apart = Math.abs(a.x - b.x) >= (a.w + b.w) / 2 || Math.abs(a.y - b.y) >= (a.h + b.h) / 2;
				expect(apart, `boxes ${i} and ${j} overlap`).toBe(true);
			}
	});
});
