// layout.ts - the clique drawn the way operators read it: top to bottom
// from the focal point to the wire.  Inside each host box the objects sit
// in rows by type (instances and services, vnics, bridges, virtual
// switch, tunnel endpoints, NICs), ordered to keep links short; boxes are
// laid side by side in a grid; networks and switches form the band below.
// Linear in the size of the clique (a 500-node clique lays out in a few
// milliseconds), deterministic, pure: positions only, unit-tested.

import type { GraphModel, GNode } from './elements';

export interface Pos { x: number; y: number }

export interface LayoutOpts {
	dx?: number;   /* horizontal distance between nodes */
	dy?: number;   /* vertical distance between rows */
	wrap?: number; /* nodes per line before a row wraps */
	gap?: number;  /* space between boxes */
}

/** Row of each type inside a host box. */
const HOST_RANK: Record<string, number> = {
	instance: 0, vservice: 0, network_agent: 0,
	vnic: 1, port: 1,
	vconnector: 2,
	vedge: 3,
	otep: 4,
	host_pnic: 5,
	host: 6,
};
const SWITCH_RANK: Record<string, number> = { switch_pnic: 0, switch: 1 };

export function rankOf(n: GNode, kind: 'host' | 'switch'): number {
	const t = kind === 'switch' ? SWITCH_RANK : HOST_RANK;
	return t[n.type] ?? (kind === 'switch' ? 2 : 3);
}

function byLabel(a: GNode, b: GNode): number {
	if (a.focal !== b.focal)
		return a.focal ? -1 : 1;
	return a.label < b.label ? -1 : a.label > b.label ? 1 : (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Orders rows to shorten links: rows sorted by label first, then each row
 * by the mean position of its neighbours in the row above (a down
 * sweep) and then below (an up sweep). */
export function orderRows(rows: GNode[][], adj: Map<string, string[]>): GNode[][] {
	const out = rows.map((r) => [...r].sort(byLabel));
	const index = new Map<string, number>();
	const reindex = (r: GNode[]) => r.forEach((n, i) => index.set(n.id, i / Math.max(1, r.length - 1)));
	out.forEach(reindex);
	const sweep = (r: number, ref: number) => {
		const refIds = new Set(out[ref].map((n) => n.id));
		const key = new Map<string, number>();
		out[r].forEach((n, i) => {
			const ns = (adj.get(n.id) ?? []).filter((m) => refIds.has(m));
			key.set(n.id, ns.length ? ns.reduce((s, m) => s + index.get(m)!, 0) / ns.length
				: i / Math.max(1, out[r].length - 1));
		});
		out[r].sort((a, b) => (key.get(a.id)! - key.get(b.id)!) || byLabel(a, b));
		reindex(out[r]);
	};
	for (let r = 1; r < out.length; r++)
		if (out[r].length && out[r - 1].length)
			sweep(r, r - 1);
	for (let r = out.length - 2; r >= 0; r--)
		if (out[r].length && out[r + 1].length)
			sweep(r, r + 1);
	return out;
}

interface Block { id: string; w: number; h: number; place: (x0: number, y0: number) => void }

/** Positions of every node (boxes are sized by their members). */
export function layeredLayout(g: GraphModel, opts: LayoutOpts = {}): Map<string, Pos> {
	const dx = opts.dx ?? 110, dy = opts.dy ?? 95, wrapAt = opts.wrap ?? 10, gap = opts.gap ?? 70;
	const pos = new Map<string, Pos>();
	const adj = new Map<string, string[]>();
	for (const e of g.edges) {
		(adj.get(e.source) ?? adj.set(e.source, []).get(e.source)!).push(e.target);
		(adj.get(e.target) ?? adj.set(e.target, []).get(e.target)!).push(e.source);
	}
	const byId = new Map(g.nodes.map((n) => [n.id, n]));

	// A box's rows: one per rank, long rows wrapped into lines.
	const blockOf = (id: string, members: GNode[], kind: 'host' | 'switch'): Block => {
		// A switch's ports (one per host NIC) spread wider than a host's rows.
		const wrap = kind === 'switch' ? Math.max(wrapAt, Math.ceil(Math.sqrt(members.length * 4))) : wrapAt;
		const nr = Math.max(0, ...members.map((n) => rankOf(n, kind))) + 1;
		const rows: GNode[][] = Array.from({ length: nr }, () => []);
		for (const n of members)
			rows[rankOf(n, kind)].push(n);
		const ordered = orderRows(rows.filter((r) => r.length), adj);
		const lines: GNode[][] = [];
		for (const r of ordered)
			for (let i = 0; i < r.length; i += wrap)
				lines.push(r.slice(i, i + wrap));
		const cols = Math.max(1, ...lines.map((l) => l.length));
		return {
			id,
			w: cols * dx,
			h: lines.length * dy,
			place: (x0, y0) => lines.forEach((l, li) => {
				const off = ((cols - l.length) * dx) / 2;
				l.forEach((n, i) => pos.set(n.id, { x: x0 + off + i * dx + dx / 2, y: y0 + li * dy + dy / 2 }));
			}),
		};
	};

	const focalBox = byId.get(g.focal)?.parent ?? null;
	const hostBoxes = g.boxes.filter((b) => b.kind === 'host')
		.sort((a, b) => (a.id === focalBox ? -1 : b.id === focalBox ? 1 : a.label.localeCompare(b.label)));
	const blocks = hostBoxes.map((b) => blockOf(b.id, b.members.map((m) => byId.get(m)!).filter(Boolean), 'host'));

	// Host boxes in a grid about twice as wide as it is high.
	const area = blocks.reduce((s, b) => s + (b.w + gap) * (b.h + gap), 0);
	const maxW = Math.max(Math.sqrt(area * 2), ...blocks.map((b) => b.w));
	let x = 0, y = 0, lineH = 0, width = 0;
	for (const b of blocks) {
		if (x > 0 && x + b.w > maxW) {
			x = 0;
			y += lineH + gap;
			lineH = 0;
		}
		b.place(x, y);
		x += b.w + gap;
		lineH = Math.max(lineH, b.h);
		width = Math.max(width, x - gap);
	}
	const bandY = blocks.length ? y + lineH + gap : 0;

	// The band below: networks (and other unboxed objects), then each
	// switch box, each placed under the objects it links to when there
	// is room, left to right without overlap.
	const free = g.nodes.filter((n) => !n.parent);
	const wantX = (ids: string[]) => {
		const xs = ids.flatMap((id) => adj.get(id) ?? []).map((m) => pos.get(m)?.x)
			.filter((v): v is number => v !== undefined);
		return xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : null;
	};
	const bandBlocks: (Block & { want: number | null; key: string })[] = [];
	// With a switch below, networks lean left and switches right of the
	// NICs they hang from, so that no NIC-to-switch link crosses a network.
	const lean = g.boxes.some((b) => b.kind === 'switch') ? dx / 2 : 0;
	const shifted = (v: number | null, by: number) => (v === null ? null : v + by);
	for (const n of free)
		bandBlocks.push({
			id: n.id, w: dx, h: dy, want: shifted(wantX([n.id]), -lean), key: n.label,
			place: (x0, y0) => pos.set(n.id, { x: x0 + dx / 2, y: y0 + dy / 2 }),
		});
	for (const b of g.boxes.filter((b) => b.kind === 'switch')) {
		const members = b.members.map((m) => byId.get(m)!).filter(Boolean);
		bandBlocks.push({ ...blockOf(b.id, members, 'switch'), want: shifted(wantX(b.members), free.length ? lean : 0), key: b.label });
	}
	// Networks in a row under their NICs, switch boxes in the row below.
	const rowOf = (b: { id: string }) => (b.id.startsWith('box:') ? 1 : 0);
	bandBlocks.sort((a, b) => (rowOf(a) - rowOf(b)) || ((a.want ?? Infinity) - (b.want ?? Infinity)) || a.key.localeCompare(b.key));
	let bx = -Infinity, by = bandY, bandLineH = 0, row = 0;
	const bandMax = Math.max(width, maxW, dx * wrapAt);
	for (const b of bandBlocks) {
		if (rowOf(b) !== row && bandLineH > 0) {
			by += bandLineH + gap / 2;
			bandLineH = 0;
			bx = -Infinity;
		}
		row = rowOf(b);
		let x0 = Math.max(bx, b.want === null ? -Infinity : b.want - b.w / 2);
		if (x0 === -Infinity)
			x0 = 0;
		if (x0 + b.w > bandMax + dx && bx !== -Infinity) {
			by += bandLineH + gap / 2;
			bandLineH = 0;
			x0 = 0;
		}
		b.place(x0, by);
		bx = x0 + b.w + (row ? gap : 0);
		bandLineH = Math.max(bandLineH, b.h);
	}
	return pos;
}

/** The rectangle a host box is drawn as around its members' centres:
 * room for the nodes (radius 20-26), their labels below, the box's own
 * label above, and a margin.  Centre and size. */
export function boxRect(ps: Pos[]): { x: number; y: number; w: number; h: number } {
	if (!ps.length)
		return { x: 0, y: 0, w: 60, h: 40 };
	const x0 = Math.min(...ps.map((p) => p.x)) - 56, x1 = Math.max(...ps.map((p) => p.x)) + 56;
	const y0 = Math.min(...ps.map((p) => p.y)) - 40, y1 = Math.max(...ps.map((p) => p.y)) + 48;
	return { x: (x0 + x1) / 2, y: (y0 + y1) / 2, w: x1 - x0, h: y1 - y0 };
}
