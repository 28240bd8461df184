// diffgraph.ts - the clique graph of a comparison: the clique on the "b"
// side, plus what the diff says was removed (objects and links only on
// the "a" side), each element marked added, removed or changed.  Pure:
// built from the b-side clique and the diff document, so it works for
// any two of live, a snapshot, a time or a design.

import type { Clique, Diff, InvLink, InvObject } from '../api/types';
import { linkId, type Marks } from './elements';

export function diffGraph(b: Clique, d: Diff): { clique: Clique; marks: Marks } {
	const marks: Marks = { nodes: new Map(), links: new Map() };
	const nodes: InvObject[] = [...b.nodes];
	const have = new Set(nodes.map((n) => n.id));
	for (const o of d.objects?.changed ?? [])
		if (have.has(o.id))
			marks.nodes.set(o.id, 'changed');
	for (const o of d.objects?.added ?? [])
		if (have.has(o.id))
			marks.nodes.set(o.id, 'added');
	for (const o of d.objects?.removed ?? []) {
		marks.nodes.set(o.id, 'removed');
		if (!have.has(o.id)) {
			nodes.push({ id: o.id, type: o.type, name: o.name ?? o.id, host: o.host });
			have.add(o.id);
		}
	}
	const links: InvLink[] = [...b.links];
	const haveL = new Set(links.map(linkId));
	for (const l of d.links?.changed ?? [])
		marks.links.set(linkId(l as InvLink), 'changed');
	for (const l of d.links?.added ?? [])
		marks.links.set(linkId(l as InvLink), 'added');
	for (const l of d.links?.removed ?? []) {
		const id = linkId(l as InvLink);
		marks.links.set(id, 'removed');
		// A removed link is drawn when both its ends are.
		if (!haveL.has(id) && have.has(l.source_id) && have.has(l.target_id)) {
			links.push({ ...(l as InvLink), state: l.state ?? 'down' });
			haveL.add(id);
		}
	}
	return { clique: { ...b, nodes, links }, marks };
}

/** Summary rows of a diff in a fixed order, with their counts. */
export const SUMMARY_KEYS: [string, string][] = [
	['objects_added', 'objects added'], ['objects_removed', 'objects removed'], ['objects_changed', 'objects changed'],
	['links_added', 'links added'], ['links_removed', 'links removed'], ['links_changed', 'links changed'],
	['cliques_added', 'cliques added'], ['cliques_removed', 'cliques removed'], ['cliques_changed', 'cliques changed'],
];

/** A reference ("live", a snapshot, a time, "design:NAME") in words. */
export function refText(r: unknown): string {
	if (typeof r === 'string')
		return r;
	if (r && typeof r === 'object') {
		const o = r as Record<string, unknown>;
		if (typeof o.ref === 'string' && o.ref)
			return o.ref;
		const kind = String(o.kind ?? o.type ?? '');
		const name = o.name ?? o.snapshot ?? o.design;
		if (kind === 'live' || o.live === true)
			return 'live';
		if (name)
			return `${kind && kind !== 'snapshot' ? `${kind}:` : ''}${String(name)}`;
		if (o.time)
			return String(o.time);
		return kind || JSON.stringify(r);
	}
	return '';
}

/** The time a reference stands for, when it says (for cliques at a time). */
export function refTime(r: unknown): string | undefined {
	if (r && typeof r === 'object') {
		const t = (r as Record<string, unknown>).time;
		if (typeof t === 'string')
			return t;
	}
	return undefined;
}

/** Whether a reference is the live inventory. */
export function refIsLive(r: unknown): boolean {
	return r === 'live' || refText(r) === 'live';
}

/** Whether a reference is a design (no clique can be read at it). */
export function refIsDesign(r: unknown): boolean {
	return refText(r).startsWith('design:') || (!!r && typeof r === 'object' && (r as Record<string, unknown>).kind === 'design');
}
