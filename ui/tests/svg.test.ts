import { describe, expect, it } from 'vitest';
import { sceneBounds, sceneToSvg, xmlEscape, type Scene } from '../src/graph/svg';

const scene: Scene = {
	title: 'clique of <vm1>',
	nodes: [
		{ id: 'box:host:h1', x: 100, y: 100, w: 200, h: 150, label: 'h1', box: true, fill: '#fff', stroke: '#000', strokeWidth: 1 },
		{ id: 'vm1', x: 80, y: 80, w: 40, h: 40, label: 'vm"1 & <co>', box: false, icon: 'instance', fill: '#efe', stroke: '#0a0', strokeWidth: 2 },
		{ id: 'net', x: 300, y: 400, w: 40, h: 40, label: 'net', box: false, icon: 'network', fill: '#eee', stroke: '#888', strokeWidth: 2, dashed: true, opacity: 0.5 },
	],
	edges: [{ x1: 80, y1: 80, x2: 300, y2: 400, label: 'Segment-101', color: '#888', width: 1.6, dashed: true }],
};

describe('sceneToSvg', () => {
	it('is a standalone SVG document with every node, edge and label escaped', () => {
		const s = sceneToSvg(scene);
		expect(s.startsWith('<?xml')).toBe(true);
		expect(s).toContain('xmlns="http://www.w3.org/2000/svg"');
		expect(s).toContain('<title>clique of &lt;vm1&gt;</title>');
		expect(s).toContain('vm&quot;1 &amp; &lt;co&gt;');
		expect(s).not.toContain('<co>');
		expect((s.match(/class="node"/g) ?? []).length).toBe(2);
		expect((s.match(/class="box"/g) ?? []).length).toBe(1);
		expect((s.match(/class="edge"/g) ?? []).length).toBe(1);
		expect(s).toContain('Segment-101');
		expect(s).toContain('stroke-dasharray');
		// Parses as XML.
		const doc = new DOMParser().parseFromString(s, 'image/svg+xml');
		expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
		expect(doc.documentElement.tagName).toBe('svg');
	});

	it('bounds hold every shape with a margin', () => {
		const b = sceneBounds(scene);
		expect(b.x).toBeLessThanOrEqual(0);
		expect(b.y).toBeLessThanOrEqual(25 - 18);
		expect(b.x + b.w).toBeGreaterThanOrEqual(330);
		expect(b.y + b.h).toBeGreaterThanOrEqual(442);
		expect(sceneBounds({ nodes: [], edges: [] })).toEqual({ x: 0, y: 0, w: 100, h: 100 });
	});

	it('escapes every XML special character', () => {
		expect(xmlEscape(`<a b="c" d='e'>&`)).toBe('&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt;&amp;');
	});
});
