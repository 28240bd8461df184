// collapse.ts - what is drawn when some host boxes are collapsed: the
// box's members are hidden, the box stands for them as one node, and the
// links that crossed its border now end on the box (several links between
// the same two ends become one edge that says how many).  Links inside a
// collapsed box are hidden with it.  Pure, unit-tested.

import type { GEdge, GraphModel, GNode } from './elements';
import type { Pos } from './layout';

export interface VisibleEdge extends GEdge {
	/** How many links this edge stands for (1 for a plain link). */
	count: number;
}

export interface VisibleGraph {
	nodes: GNode[];
	collapsed: Set<string>;
	edges: VisibleEdge[];
}

export function visibleGraph(g: GraphModel, collapsed: ReadonlySet<string>): VisibleGraph {
	const hiddenIn = new Map<string, string>();
	for (const b of g.boxes)
		if (collapsed.has(b.id))
			for (const m of b.members)
				hiddenIn.set(m, b.id);
	const nodes = g.nodes.filter((n) => !hiddenIn.has(n.id));
	const edges: VisibleEdge[] = [];
	const merged = new Map<string, VisibleEdge>();
	for (const e of g.edges) {
		const s = hiddenIn.get(e.source) ?? e.source;
		const t = hiddenIn.get(e.target) ?? e.target;
		if (s === e.source && t === e.target) {
			edges.push({ ...e, count: 1 });
			continue;
		}
		if (s === t)
			continue;
		const k = s < t ? `${s}\u0000${t}` : `${t}\u0000${s}`;
		const m = merged.get(k);
		if (m) {
			m.count++;
			m.label = `${m.count} links`;
			m.down = m.down || e.down;
			if (e.level === 'critical' || (e.level === 'warning' && m.level !== 'critical'))
				m.level = e.level;
			continue;
		}
		const v: VisibleEdge = { ...e, id: `agg:${k}`, source: s, target: t, count: 1 };
		merged.set(k, v);
		edges.push(v);
	}
	return { nodes, collapsed: new Set([...collapsed].filter((c) => g.boxes.some((b) => b.id === c))), edges };
}

/** Where a collapsed box is drawn: the centre of its members. */
export function boxCentre(g: GraphModel, boxId: string, pos: ReadonlyMap<string, Pos>): Pos {
	const b = g.boxes.find((x) => x.id === boxId);
	const ps = (b?.members ?? []).map((m) => pos.get(m)).filter((p): p is Pos => !!p);
	if (!ps.length)
		return { x: 0, y: 0 };
	const xs = ps.map((p) => p.x), ys = ps.map((p) => p.y);
	return { x: (Math.min(...xs) + Math.max(...xs)) / 2, y: (Math.min(...ys) + Math.max(...ys)) / 2 };
}
