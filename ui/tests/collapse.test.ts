import { describe, expect, it } from 'vitest';
import { boxCentre, visibleGraph } from '../src/graph/collapse';
import { buildGraph } from '../src/graph/elements';
import { layeredLayout } from '../src/graph/layout';
import { bigClique, vmClique } from './fixtures';

describe('visibleGraph', () => {
	it('shows everything when nothing is collapsed', () => {
		const g = buildGraph(vmClique());
		const v = visibleGraph(g, new Set());
		expect(v.nodes).toHaveLength(g.nodes.length);
		expect(v.edges.map((e) => e.id).sort()).toEqual(g.edges.map((e) => e.id).sort());
		expect(v.edges.every((e) => e.count === 1)).toBe(true);
	});

	it('hides a collapsed host\'s objects and ends crossing links on its box', () => {
		const g = buildGraph(vmClique());
		const v = visibleGraph(g, new Set(['box:host:host3']));
		const ids = v.nodes.map((n) => n.id).sort();
		expect(ids).toEqual(['fabric', 'fabric:switch_pnic:h3-eth0', 'vxlan-101']);
		// host3's internal links are gone; the two crossing ones end on the box.
		expect(v.edges.map((e) => [e.source, e.target].sort().join(' ')).sort()).toEqual([
			'box:host:host3 fabric:switch_pnic:h3-eth0',
			'box:host:host3 vxlan-101',
			'fabric fabric:switch_pnic:h3-eth0',
		]);
	});

	it('merges parallel links between collapsed boxes into one edge that counts them', () => {
		const g = buildGraph(bigClique(3, 2));
		const v = visibleGraph(g, new Set(['box:host:h0', 'box:host:h1', 'box:host:h2', 'box:switch:sw']));
		// Each host box links to the network once and to the switch box once.
		const toSwitch = v.edges.filter((e) => [e.source, e.target].includes('box:switch:sw'));
		expect(toSwitch).toHaveLength(3);
		expect(toSwitch.every((e) => e.count === 1)).toBe(true);
		const g2 = buildGraph(bigClique(2, 2));
		g2.edges.push({ ...g2.edges[0], id: 'extra', source: 'h0:host_pnic:eth0', target: 'net', label: 'second' });
		const v2 = visibleGraph(g2, new Set(['box:host:h0']));
		const agg = v2.edges.find((e) => e.id.startsWith('agg:') && [e.source, e.target].includes('net'))!;
		expect(agg.count).toBe(2);
		expect(agg.label).toBe('2 links');
	});

	it('ignores unknown boxes', () => {
		const g = buildGraph(vmClique());
		expect(visibleGraph(g, new Set(['box:host:nope'])).collapsed.size).toBe(0);
	});

	it('draws a collapsed box at the centre of its objects', () => {
		const g = buildGraph(vmClique());
		const pos = layeredLayout(g);
		const c = boxCentre(g, 'box:host:host3', pos);
		const ys = g.boxes.find((b) => b.id === 'box:host:host3')!.members.map((m) => pos.get(m)!.y);
		expect(c.y).toBe((Math.min(...ys) + Math.max(...ys)) / 2);
	});
});
