import { describe, expect, it } from 'vitest';
import { buildGraph, canon, linkId, marksFromLists, mergeCliques, shortLabel } from '../src/graph/elements';
import { link, obj, vmClique } from './fixtures';

describe('buildGraph', () => {
	it('puts each host\'s objects in its box, switch ports in the switch box, networks outside', () => {
		const g = buildGraph(vmClique());
		const boxes = Object.fromEntries(g.boxes.map((b) => [b.id, b]));
		expect(Object.keys(boxes).sort()).toEqual(['box:host:host3', 'box:switch:fabric']);
		expect(boxes['box:host:host3'].members.sort()).toEqual([
			'host3:host_pnic:eth0', 'host3:otep:vxlan-172.31.250.13', 'host3:vconnector:brqfcae30f3-2b',
			'host3:vnic:tap10816507-62', 'u-vm9']);
		expect(boxes['box:switch:fabric'].members.sort()).toEqual(['fabric', 'fabric:switch_pnic:h3-eth0']);
		const net = g.nodes.find((n) => n.id === 'vxlan-101')!;
		expect(net.parent).toBeNull();
		expect(g.nodes.find((n) => n.id === 'u-vm9')!.focal).toBe(true);
		expect(g.nodes.filter((n) => n.focal)).toHaveLength(1);
	});

	it('keeps every link as an edge with its name, and says when a link is down', () => {
		const c = vmClique();
		c.links[3] = { ...c.links[3], state: 'down' };
		const g = buildGraph(c);
		expect(g.edges).toHaveLength(7);
		const e = g.edges.find((x) => x.linkType === 'host_pnic-network')!;
		expect(e.label).toBe('Segment-101');
		expect(e.down).toBe(true);
		expect(e.level).toBe('critical');
		expect(g.edges.filter((x) => x.down)).toHaveLength(1);
	});

	it('colours by status: monitoring first, else the operational state', () => {
		const c = vmClique();
		c.nodes[6] = { ...c.nodes[6], operstate: 'down' };
		c.nodes[5] = { ...c.nodes[5], status: 'warning' };
		const g = buildGraph(c);
		const lv = Object.fromEntries(g.nodes.map((n) => [n.id, n.level]));
		expect(lv['host3:vnic:tap10816507-62']).toBe('critical');
		expect(lv['host3:vconnector:brqfcae30f3-2b']).toBe('warning');
		expect(lv['u-vm9']).toBe('ok');
		expect(lv['vxlan-101']).toBe('unknown');
		expect(g.boxes.find((b) => b.id === 'box:host:host3')!.level).toBe('critical');
	});

	it('skips links whose ends are not in the clique and duplicate objects', () => {
		const c = vmClique();
		c.nodes.push(c.nodes[0]);
		c.links.push(link('u-vm9', 'instance-vnic', 'elsewhere'));
		const g = buildGraph(c);
		expect(g.nodes.filter((n) => n.id === 'u-vm9')).toHaveLength(1);
		expect(g.edges).toHaveLength(7);
	});

	it('gives services their own icon', () => {
		const c = vmClique();
		c.nodes.push(obj('host3:vservice:qrouter-x', 'vservice', { host: 'host3', service_type: 'router' }));
		expect(buildGraph(c).nodes.find((n) => n.type === 'vservice')!.icon).toBe('vservice:router');
	});
});

describe('labels and ids', () => {
	it('shortens namespace interfaces and UUID-named services', () => {
		expect(shortLabel(obj('x', 'vnic', { name: 'qdhcp-34d49f91-3c6d-5765-88db-b9be14543b4e/ns-c4535463-a1' }))).toBe('ns-c4535463-a1');
		expect(shortLabel(obj('x', 'vservice', { name: 'qrouter-88494cc3-73d1-5527-9825-17d078d6394b' }))).toBe('qrouter-88494cc3…');
		expect(shortLabel(obj('x', 'instance', { name: 'vm1' }))).toBe('vm1');
	});

	it('names a link by source, type and target when it has no id', () => {
		expect(linkId({ source_id: 'a', target_id: 'b', link_type: 'x-y' })).toBe('a|x-y|b');
		expect(linkId({ id: 'given', source_id: 'a', target_id: 'b', link_type: 'x-y' })).toBe('given');
	});

	it('canon sorts keys and leaves ignored top-level keys out', () => {
		expect(canon({ b: 1, a: [{ d: 2, c: 3 }], last_scanned: 'x' }, new Set(['last_scanned'])))
			.toBe('{"a":[{"c":3,"d":2}],"b":1}');
	});
});

describe('mergeCliques', () => {
	it('marks what was added, removed and changed, ignoring volatile fields', () => {
		const before = vmClique();
		const after = vmClique();
		after.nodes = after.nodes.filter((n) => n.id !== 'vxlan-101').map((n) => ({ ...n, last_scanned: 'later' }));
		after.links = after.links.filter((l) => l.link_type !== 'host_pnic-network');
		after.nodes.push(obj('vxlan-102', 'network'));
		after.links.push(link('host3:host_pnic:eth0', 'host_pnic-network', 'vxlan-102'));
		after.nodes[6] = { ...after.nodes[6], operstate: 'down' };
		const { clique, marks } = mergeCliques(before, after);
		expect(marks.nodes.get('vxlan-101')).toBe('removed');
		expect(marks.nodes.get('vxlan-102')).toBe('added');
		expect(marks.nodes.get('host3:vnic:tap10816507-62')).toBe('changed');
		expect(marks.nodes.get('u-vm9')).toBeUndefined();
		expect(marks.links.get('host3:host_pnic:eth0|host_pnic-network|vxlan-101')).toBe('removed');
		expect(marks.links.get('host3:host_pnic:eth0|host_pnic-network|vxlan-102')).toBe('added');
		expect(clique.nodes.map((n) => n.id)).toContain('vxlan-101');
		expect(clique.links).toHaveLength(8);
		const g = buildGraph(clique, marks);
		expect(g.nodes.find((n) => n.id === 'vxlan-101')!.mark).toBe('removed');
		expect(g.edges.filter((e) => e.mark)).toHaveLength(2);
	});

	it('an absent side is all added or all removed', () => {
		expect([...mergeCliques(null, vmClique()).marks.nodes.values()].every((m) => m === 'added')).toBe(true);
		expect([...mergeCliques(vmClique(), null).marks.nodes.values()].every((m) => m === 'removed')).toBe(true);
	});

	it('marksFromLists gives removal precedence over change', () => {
		const m = marksFromLists(['a'], ['b'], ['b', 'c'], ['l1'], ['l2']);
		expect(m.nodes.get('a')).toBe('added');
		expect(m.nodes.get('b')).toBe('removed');
		expect(m.nodes.get('c')).toBe('changed');
		expect(m.links.get('l2')).toBe('removed');
	});
});
