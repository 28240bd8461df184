import { describe, expect, it } from 'vitest';
import type { Diff } from '../src/api/types';
import { diffGraph, refIsDesign, refIsLive, refText, refTime } from '../src/graph/diffgraph';
import { buildGraph } from '../src/graph/elements';
import { vmClique } from './fixtures';

function emptyDiff(): Diff {
	return { equal: false, summary: {}, objects: { added: [], removed: [], changed: [] }, links: { added: [], removed: [], changed: [] } };
}

describe('diffGraph', () => {
	it('draws the b side with what was removed, every element marked', () => {
		const b = vmClique();
		b.nodes = b.nodes.filter((n) => n.id !== 'vxlan-101');
		b.links = b.links.filter((l) => l.target_id !== 'vxlan-101');
		const d = emptyDiff();
		d.objects.removed.push({ id: 'vxlan-101', type: 'network', name: 'vxlan-101' });
		d.objects.changed.push({ id: 'host3:vnic:tap10816507-62', type: 'vnic', fields: [{ field: 'operstate', before: 'up', after: 'down' }] });
		d.objects.added.push({ id: 'u-vm9', type: 'instance' });
		d.links.removed.push({ source_id: 'host3:host_pnic:eth0', target_id: 'vxlan-101', link_type: 'host_pnic-network', link_name: 'Segment-101' });
		d.links.removed.push({ source_id: 'gone', target_id: 'vxlan-101', link_type: 'host_pnic-network' });
		const { clique, marks } = diffGraph(b, d);
		expect(clique.nodes.map((n) => n.id)).toContain('vxlan-101');
		expect(marks.nodes.get('vxlan-101')).toBe('removed');
		expect(marks.nodes.get('u-vm9')).toBe('added');
		expect(marks.nodes.get('host3:vnic:tap10816507-62')).toBe('changed');
		// The removed link whose ends are both drawn is drawn; the other is not.
		expect(clique.links.filter((l) => l.target_id === 'vxlan-101')).toHaveLength(1);
		const g = buildGraph(clique, marks);
		expect(g.edges.find((e) => e.mark === 'removed')!.label).toBe('Segment-101');
		expect(g.nodes.filter((n) => n.mark)).toHaveLength(3);
	});

	it('ignores changes of objects outside the clique', () => {
		const d = emptyDiff();
		d.objects.changed.push({ id: 'elsewhere', type: 'vnic' });
		expect(diffGraph(vmClique(), d).marks.nodes.size).toBe(0);
	});
});

describe('references', () => {
	it('reads references given as text or objects', () => {
		expect(refText('live')).toBe('live');
		expect(refText({ ref: 'snapshot:pre', kind: 'snapshot', name: 'pre', time: 'T' })).toBe('snapshot:pre');
		expect(refText({ kind: 'snapshot', name: 'pre' })).toBe('pre');
		expect(refText({ kind: 'design', name: 'd1' })).toBe('design:d1');
		expect(refText({ kind: 'time', time: '2026-01-01T00:00:00Z' })).toBe('2026-01-01T00:00:00Z');
		expect(refIsLive({ kind: 'live' })).toBe(true);
		expect(refIsLive('snap')).toBe(false);
		expect(refIsDesign('design:d1')).toBe(true);
		expect(refIsDesign({ kind: 'design', name: 'd' })).toBe(true);
		expect(refTime({ kind: 'snapshot', name: 'x', time: 'T' })).toBe('T');
		expect(refTime('live')).toBeUndefined();
	});
});
