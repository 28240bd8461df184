// svg.ts - a drawn graph as one standalone SVG document: host boxes,
// edges with their link names, nodes with their icons and labels, in the
// colours of the screen.  The view reads positions and colours from
// cytoscape into a Scene; turning the scene into text is pure (tested).
// Every label is escaped: names come from the discovered network.

import { iconBody } from './icons';

export interface SceneNode {
	id: string;
	x: number; /* centre */
	y: number;
	w: number;
	h: number;
	label: string;
	box: boolean;     /* a host box: rectangle with the label on top */
	icon?: string;    /* icon key */
	fill: string;
	stroke: string;
	strokeWidth: number;
	dashed?: boolean;
	iconColor?: string;
	opacity?: number;
}

export interface SceneEdge {
	x1: number; y1: number; x2: number; y2: number;
	label: string;
	color: string;
	width: number;
	dashed?: boolean;
	opacity?: number;
}

export interface Scene {
	nodes: SceneNode[];
	edges: SceneEdge[];
	title?: string;
}

export function xmlEscape(s: string): string {
	return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[c]!));
}

const n2 = (v: number) => (Math.round(v * 100) / 100).toString();

export function sceneBounds(s: Scene): { x: number; y: number; w: number; h: number } {
	let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
	for (const n of s.nodes) {
		const extra = n.box ? 0 : 22; /* the label under a node */
		x0 = Math.min(x0, n.x - n.w / 2 - (n.box ? 0 : 30));
		x1 = Math.max(x1, n.x + n.w / 2 + (n.box ? 0 : 30));
		y0 = Math.min(y0, n.y - n.h / 2 - (n.box ? 18 : 0));
		y1 = Math.max(y1, n.y + n.h / 2 + extra);
	}
	for (const e of s.edges) {
		x0 = Math.min(x0, e.x1, e.x2);
		x1 = Math.max(x1, e.x1, e.x2);
		y0 = Math.min(y0, e.y1, e.y2);
		y1 = Math.max(y1, e.y1, e.y2);
	}
	if (!isFinite(x0))
		return { x: 0, y: 0, w: 100, h: 100 };
	const m = 20;
	return { x: x0 - m, y: y0 - m, w: x1 - x0 + 2 * m, h: y1 - y0 + 2 * m };
}

export function sceneToSvg(s: Scene): string {
	const b = sceneBounds(s);
	const out: string[] = [];
	out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
	out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="${n2(b.x)} ${n2(b.y)} ${n2(b.w)} ${n2(b.h)}" ` +
		`width="${n2(b.w)}" height="${n2(b.h)}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">`);
	if (s.title)
		out.push(`<title>${xmlEscape(s.title)}</title>`);
	out.push(`<rect x="${n2(b.x)}" y="${n2(b.y)}" width="${n2(b.w)}" height="${n2(b.h)}" fill="#ffffff"/>`);
	for (const n of s.nodes.filter((n) => n.box)) {
		out.push(`<g class="box" data-id="${xmlEscape(n.id)}"${n.opacity !== undefined ? ` opacity="${n2(n.opacity)}"` : ''}>` +
			`<rect x="${n2(n.x - n.w / 2)}" y="${n2(n.y - n.h / 2)}" width="${n2(n.w)}" height="${n2(n.h)}" rx="8" ` +
			`fill="${n.fill}" stroke="${n.stroke}" stroke-width="${n2(n.strokeWidth)}"${n.dashed ? ' stroke-dasharray="6 4"' : ''}/>` +
			`<text x="${n2(n.x - n.w / 2 + 8)}" y="${n2(n.y - n.h / 2 - 6)}" font-size="13" font-weight="bold" fill="#1f2a37">` +
			`${xmlEscape(n.label)}</text></g>`);
	}
	for (const e of s.edges) {
		const mx = (e.x1 + e.x2) / 2, my = (e.y1 + e.y2) / 2;
		out.push(`<g class="edge"${e.opacity !== undefined ? ` opacity="${n2(e.opacity)}"` : ''}>` +
			`<line x1="${n2(e.x1)}" y1="${n2(e.y1)}" x2="${n2(e.x2)}" y2="${n2(e.y2)}" stroke="${e.color}" ` +
			`stroke-width="${n2(e.width)}"${e.dashed ? ' stroke-dasharray="6 4"' : ''}/>` +
			(e.label ? `<text x="${n2(mx)}" y="${n2(my - 3)}" font-size="9" fill="#52606d" text-anchor="middle" ` +
				`stroke="#ffffff" stroke-width="3" paint-order="stroke">${xmlEscape(e.label)}</text>` : '') + `</g>`);
	}
	for (const n of s.nodes.filter((n) => !n.box)) {
		const r = Math.min(n.w, n.h) / 2;
		const icon = n.icon ? `<g transform="translate(${n2(n.x - r * 0.62)} ${n2(n.y - r * 0.62)}) scale(${n2((r * 1.24) / 32)})" ` +
			`fill="none" stroke="${n.iconColor ?? '#1f2a37'}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">` +
			`${iconBody(n.icon, n.iconColor ?? '#1f2a37')}</g>` : '';
		out.push(`<g class="node" data-id="${xmlEscape(n.id)}"${n.opacity !== undefined ? ` opacity="${n2(n.opacity)}"` : ''}>` +
			`<circle cx="${n2(n.x)}" cy="${n2(n.y)}" r="${n2(r)}" fill="${n.fill}" stroke="${n.stroke}" ` +
			`stroke-width="${n2(n.strokeWidth)}"${n.dashed ? ' stroke-dasharray="5 3"' : ''}/>${icon}` +
			`<text x="${n2(n.x)}" y="${n2(n.y + r + 13)}" font-size="11" fill="#1f2a37" text-anchor="middle">` +
			`${xmlEscape(n.label)}</text></g>`);
	}
	out.push('</svg>');
	return out.join('\n');
}
