// elements.ts - a clique document (nodes, links) as graph elements: one
// box (compound node) per host and per switch holding that host's objects,
// networks outside any box, an icon key, a status level and a label per
// node, the link name and state per edge, and the marks of a comparison
// (added, removed, changed).  Pure: no DOM, no cytoscape, unit-tested.

import type { Clique, InvLink, InvObject } from '../api/types';
import { iconKey } from './icons';
import { type Level, objectLevel, worstOf } from '../lib/status';

export type Mark = 'added' | 'removed' | 'changed';

export interface GNode {
	id: string;
	label: string;
	type: string;
	icon: string;
	level: Level;
	/** The box holding the node, or null. */
	parent: string | null;
	focal: boolean;
	mark?: Mark;
	obj: InvObject;
}

export interface GBox {
	id: string;
	label: string;
	kind: 'host' | 'switch';
	/** The host (or switch) name the box stands for. */
	host: string;
	level: Level;
	members: string[];
	/** The host object itself, when it is in the clique. */
	obj?: InvObject;
}

export interface GEdge {
	id: string;
	source: string;
	target: string;
	label: string;
	linkType: string;
	level: Level;
	down: boolean;
	mark?: Mark;
	link: InvLink;
}

export interface GraphModel {
	focal: string;
	nodes: GNode[];
	boxes: GBox[];
	edges: GEdge[];
}

export interface Marks {
	nodes: Map<string, Mark>;
	links: Map<string, Mark>;
}

/** The id of a link: its own, else `<source>|<type>|<target>` (docs/model.md). */
export function linkId(l: InvLink): string {
	return l.id ?? `${l.source_id}|${l.link_type}|${l.target_id}`;
}

export function boxId(kind: 'host' | 'switch', host: string): string {
	return `box:${kind}:${host}`;
}

/** Types drawn outside any host box (they span hosts). */
const UNBOXED = new Set(['network', 'project', 'region', 'availability_zone', 'aggregate']);

/** Shortens the long names the model gives objects inside namespaces
 * ("qdhcp-<uuid>/ns-xxx" -> "ns-xxx") and UUID-named services. */
export function shortLabel(o: InvObject): string {
	let n = o.name || o.id;
	const slash = n.lastIndexOf('/');
	if (slash >= 0 && slash < n.length - 1)
		n = n.slice(slash + 1);
	const m = /^(q[a-z]+|snat|fip|ovnmeta)-([0-9a-f]{8})-[0-9a-f-]{27}$/.exec(n);
	if (m)
		n = `${m[1]}-${m[2]}…`;
	return n;
}

function boxOf(o: InvObject): { kind: 'host' | 'switch'; host: string } | null {
	if (UNBOXED.has(o.type))
		return null;
	if (o.type === 'switch')
		return { kind: 'switch', host: o.id };
	if (o.type === 'switch_pnic')
		return { kind: 'switch', host: o.parent_id && o.parent_type === 'switch' ? o.parent_id : (o.host ?? '') };
	if (o.type === 'host')
		return { kind: 'host', host: o.id };
	if (o.host)
		return { kind: 'host', host: o.host };
	return null;
}

/** The graph of a clique; `marks` flags elements of a comparison. */
export function buildGraph(c: Clique, marks?: Marks): GraphModel {
	const nodes: GNode[] = [];
	const boxes = new Map<string, GBox>();
	const seen = new Set<string>();
	for (const o of c.nodes) {
		if (seen.has(o.id))
			continue;
		seen.add(o.id);
		const b = boxOf(o);
		let parent: string | null = null;
		if (b) {
			parent = boxId(b.kind, b.host);
			let box = boxes.get(parent);
			if (!box) {
				box = { id: parent, label: b.host, kind: b.kind, host: b.host, level: 'unknown', members: [] };
				boxes.set(parent, box);
			}
			// The host (switch) object is drawn inside its own box, and
			// gives the box its attributes for the hover card.
			if ((o.type === 'host' || o.type === 'switch') && o.id === b.host)
				box.obj = o;
			box.members.push(o.id);
		}
		nodes.push({
			id: o.id,
			label: shortLabel(o),
			type: o.type,
			icon: iconKey(o.type, typeof o.service_type === 'string' ? o.service_type : undefined),
			level: objectLevel(o),
			parent,
			focal: o.id === c.focal_point,
			mark: marks?.nodes.get(o.id),
			obj: o,
		});
	}
	const nodeIds = new Set(nodes.map((n) => n.id));
	// A link whose end is not in the clique's nodes is left out: the
	// server sends both ends of every link, so this only guards.
	const endpoint = (id: string): string | null => (nodeIds.has(id) ? id : null);
	const edges: GEdge[] = [];
	const edgeIds = new Set<string>();
	for (const l of c.links) {
		const id = linkId(l);
		const s = endpoint(l.source_id), t = endpoint(l.target_id);
		if (!s || !t || edgeIds.has(id))
			continue;
		edgeIds.add(id);
		const lv = objectLevel(l as unknown as Record<string, unknown>);
		edges.push({
			id,
			source: s,
			target: t,
			label: l.link_name ?? '',
			linkType: l.link_type,
			level: lv,
			down: l.state === 'down',
			mark: marks?.links.get(id),
			link: l,
		});
	}
	const byId = new Map(nodes.map((n) => [n.id, n]));
	for (const b of boxes.values()) {
		b.level = worstOf(b.members.map((m) => byId.get(m)!.level));
	}
	return { focal: c.focal_point, nodes, boxes: [...boxes.values()], edges };
}

/** The union of a clique before and after a change, with each element
 * marked: in `after` only = added, in `before` only = removed, in both
 * with another document = changed (volatile fields ignored). */
export function mergeCliques(before: Clique | null, after: Clique | null,
	ignore: ReadonlySet<string> = VOLATILE): { clique: Clique; marks: Marks } {
	const marks: Marks = { nodes: new Map(), links: new Map() };
	const b = before ?? { focal_point: after?.focal_point ?? '', nodes: [], links: [] };
	const a = after ?? { focal_point: b.focal_point, nodes: [], links: [] };
	const bn = new Map(b.nodes.map((o) => [o.id, o]));
	const an = new Map(a.nodes.map((o) => [o.id, o]));
	const nodes: InvObject[] = [];
	for (const o of a.nodes) {
		const old = bn.get(o.id);
		if (!old)
			marks.nodes.set(o.id, 'added');
		else if (!sameDoc(old, o, ignore))
			marks.nodes.set(o.id, 'changed');
		nodes.push(o);
	}
	for (const o of b.nodes)
		if (!an.has(o.id)) {
			marks.nodes.set(o.id, 'removed');
			nodes.push(o);
		}
	const bl = new Map(b.links.map((l) => [linkId(l), l]));
	const al = new Map(a.links.map((l) => [linkId(l), l]));
	const links: InvLink[] = [];
	for (const l of a.links) {
		const id = linkId(l);
		const old = bl.get(id);
		if (!old)
			marks.links.set(id, 'added');
		else if (!sameDoc(old, l, ignore))
			marks.links.set(id, 'changed');
		links.push(l);
	}
	for (const l of b.links)
		if (!al.has(linkId(l))) {
			marks.links.set(linkId(l), 'removed');
			links.push(l);
		}
	return { clique: { ...a, focal_point: a.focal_point || b.focal_point, nodes, links }, marks };
}

/** Fields that change without the object changing (docs/model.md). */
export const VOLATILE: ReadonlySet<string> = new Set([
	'last_scanned', 'status_timestamp', 'stats', 'pids', 'scan_id', 'valid_from', 'valid_to',
	'revision', 'source_label', 'target_label',
]);

function sameDoc(x: object, y: object, ignore: ReadonlySet<string>): boolean {
	return canon(x, ignore) === canon(y, ignore);
}

/** A stable JSON text of a document, keys sorted, ignored keys left out at
 * the top level. */
export function canon(v: unknown, ignore: ReadonlySet<string> = new Set(), top = true): string {
	if (Array.isArray(v))
		return `[${v.map((x) => canon(x, ignore, false)).join(',')}]`;
	if (v && typeof v === 'object') {
		const keys = Object.keys(v).filter((k) => !(top && ignore.has(k))).sort();
		return `{${keys.map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k], ignore, false)}`).join(',')}}`;
	}
	return JSON.stringify(v) ?? 'null';
}

/** Marks from a diff's clique entry (ids of nodes and links added or
 * removed) when only the current clique is at hand. */
export function marksFromLists(added: string[] = [], removed: string[] = [], changed: string[] = [],
	linksAdded: string[] = [], linksRemoved: string[] = []): Marks {
	const m: Marks = { nodes: new Map(), links: new Map() };
	for (const id of changed) m.nodes.set(id, 'changed');
	for (const id of added) m.nodes.set(id, 'added');
	for (const id of removed) m.nodes.set(id, 'removed');
	for (const id of linksAdded) m.links.set(id, 'added');
	for (const id of linksRemoved) m.links.set(id, 'removed');
	return m;
}
