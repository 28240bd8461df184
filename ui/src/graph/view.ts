// view.ts - a clique on screen with cytoscape.js: host boxes as compound
// nodes, icons and status colours, link names on edges, a hover card,
// selection and opening of objects, collapse and expand of a box, zoom,
// pan, fit, a second (force, compound-aware fCoSE) layout on demand, and
// PNG and SVG export.  The default layout is layout.ts's (positions given,
// no simulation), which is what keeps a 500-node clique's first render
// well under a second.  Timings of the first render are kept in `timings`.

import cytoscape, { type Core, type ElementDefinition, type NodeSingular, type StylesheetJson } from 'cytoscape';
import fcose from 'cytoscape-fcose';
import { boxCentre, visibleGraph } from './collapse';
import type { GBox, GNode, GraphModel, Mark } from './elements';
import { iconUri } from './icons';
import { boxRect, layeredLayout, type Pos } from './layout';
import { sceneToSvg, type Scene, type SceneNode } from './svg';
import { STATUS_COLORS, STATUS_FILLS, type Level } from '../lib/status';

cytoscape.use(fcose);

export interface GraphCallbacks {
	/** A node was selected (click); null when the background was. */
	onSelect?(node: GNode | null, box: GBox | null): void;
	/** A node was opened (double click). */
	onOpen?(node: GNode): void;
	/** The hover card's rows for a node or box. */
	card?(node: GNode | null, box: GBox | null): { title: string; icon: string; rows: [string, string][] } | null;
}

export interface GraphTimings {
	layoutMs: number;
	elementsMs: number;
	firstRenderMs: number;
	/** cytoscape's constructor (styles, elements, compound bounds). */
	constructMs: number;
	nodes: number;
	edges: number;
}

const MARK_COLORS: Record<Mark, string> = { added: '#1e8e3e', removed: '#d93025', changed: '#e37400' };

// Few properties per selector: with compound nodes, cytoscape.js marks
// the style cache of an element's whole family dirty for every property
// it applies, so each property costs on every element (half of a 500-node
// graph's first render went there).  Defaults are left as they are
// (ellipse nodes, black text, no background fit, the page's font).
function styles(): StylesheetJson {
	return [
		{
			selector: 'node',
			style: {
				width: 40, height: 40,
				'background-color': 'data(fill)', 'border-color': 'data(stroke)', 'border-width': 2,
				'background-image': 'data(img)', 'background-width': '62%', 'background-height': '62%',
				label: 'data(label)', 'text-valign': 'bottom', 'text-margin-y': 4, 'font-size': 10,
				'min-zoomed-font-size': 6,
			},
		},
		{ selector: 'node.focal', style: { width: 52, height: 52, 'border-width': 4, 'border-color': '#1a5fb4', 'font-weight': 'bold' } },
		{
			selector: 'node.box',
			style: {
				shape: 'round-rectangle', 'background-color': '#f3f6fa', 'background-image': 'none',
				'text-valign': 'top', 'text-margin-y': -4, 'font-size': 13, 'font-weight': 'bold', padding: '18px',
				'border-width': 1.5,
			},
		},
		{ selector: 'node.box.switchbox', style: { 'background-color': '#f4f1fa', 'border-style': 'dashed' } },
		{ selector: 'node.box.drawn', style: { width: 'data(w)', height: 'data(h)', 'z-compound-depth': 'bottom' } },
		{
			selector: 'node.box.collapsed',
			style: {
				width: 96, height: 56, 'background-color': 'data(fill)', 'background-image': 'data(img)',
				'background-width': '40%', 'background-height': '60%', 'text-valign': 'bottom', 'text-margin-y': 4,
				'border-width': 2.5,
			},
		},
		{
			selector: 'edge',
			style: {
				width: 1.6, 'line-color': 'data(color)', 'curve-style': 'straight',
				label: 'data(label)', 'font-size': 8, color: '#52606d',
				'text-background-color': '#ffffff', 'text-background-opacity': 0.9, 'min-zoomed-font-size': 7,
			},
		},
		{ selector: 'edge.down', style: { 'line-style': 'dashed', width: 2.2 } },
		{ selector: 'edge.agg', style: { width: 3 } },
		{ selector: 'node:selected', style: { 'overlay-color': '#1a5fb4', 'overlay-opacity': 0.18, 'overlay-padding': 6 } },
		{ selector: 'edge:selected', style: { width: 3, 'line-color': '#1a5fb4' } },
		{ selector: 'node.m-added', style: { 'border-color': MARK_COLORS.added, 'border-width': 5, 'underlay-color': MARK_COLORS.added, 'underlay-opacity': 0.25, 'underlay-padding': 6 } },
		{ selector: 'node.m-changed', style: { 'border-color': MARK_COLORS.changed, 'border-width': 5, 'underlay-color': MARK_COLORS.changed, 'underlay-opacity': 0.25, 'underlay-padding': 6 } },
		{ selector: 'node.m-removed', style: { 'border-color': MARK_COLORS.removed, 'border-width': 4, 'border-style': 'dashed', opacity: 0.55 } },
		{ selector: 'edge.m-added', style: { 'line-color': MARK_COLORS.added, width: 3.5 } },
		{ selector: 'edge.m-changed', style: { 'line-color': MARK_COLORS.changed, width: 3.5 } },
		{ selector: 'edge.m-removed', style: { 'line-color': MARK_COLORS.removed, 'line-style': 'dashed', width: 3, opacity: 0.6 } },
	];
}

export class CliqueGraph {
	readonly cy: Core;
	readonly model: GraphModel;
	readonly timings: GraphTimings;
	private positions: Map<string, Pos>;
	private collapsed = new Set<string>();
	private readonly card: HTMLElement;
	private readonly cb: GraphCallbacks;
	private readonly byId: Map<string, GNode>;
	private readonly boxes: Map<string, GBox>;
	private readonly resizeObs: ResizeObserver;
	private userMoved = false;
	/** Host boxes as cytoscape compound parents (the force layout needs
	 * them), or as nodes drawn behind their members, sized by the layout
	 * (the layered layout: half the cost of a first render, since
	 * cytoscape.js re-marks a compound's whole family for every style
	 * property of every element). */
	private compound = false;

	constructor(container: HTMLElement, model: GraphModel, cb: GraphCallbacks = {},
		opts: { collapsed?: Iterable<string>; onFirstRender?: (t: GraphTimings) => void } = {}) {
		const t0 = performance.now();
		this.model = model;
		this.cb = cb;
		this.byId = new Map(model.nodes.map((n) => [n.id, n]));
		this.boxes = new Map(model.boxes.map((b) => [b.id, b]));
		for (const c of opts.collapsed ?? [])
			this.collapsed.add(c);
		this.positions = layeredLayout(model);
		const t1 = performance.now();
		const elements = this.elements();
		const t2 = performance.now();
		this.timings = { layoutMs: t1 - t0, elementsMs: t2 - t1, firstRenderMs: 0, constructMs: 0, nodes: model.nodes.length, edges: model.edges.length };
		this.cy = cytoscape({
			container,
			elements,
			style: styles(),
			layout: { name: 'preset', fit: true, padding: 30 },
			minZoom: 0.05,
			maxZoom: 4,
			boxSelectionEnabled: false,
			textureOnViewport: model.nodes.length > 300,
			hideEdgesOnViewport: model.nodes.length > 800,
			pixelRatio: 'auto',
		});
		this.timings.constructMs = performance.now() - t2;
		this.cy.one('render', () => {
			this.timings.firstRenderMs = performance.now() - t0;
			opts.onFirstRender?.(this.timings);
		});
		// The container gets its final size once the page around it is
		// laid out (and again when the window changes): fit then.
		let fitted = false;
		this.resizeObs = new ResizeObserver(() => {
			this.cy.resize();
			if (!fitted || !this.userMoved) {
				fitted = true;
				this.fit();
			}
		});
		this.resizeObs.observe(container);
		this.cy.on('dragpan scrollzoom pinchzoom', () => { this.userMoved = true; });
		this.card = document.createElement('div');
		this.card.className = 'hovercard';
		this.card.style.display = 'none';
		container.parentElement?.appendChild(this.card);
		this.bind();
	}

	private nodeData(n: GNode) {
		return {
			id: n.id,
			label: n.label,
			parent: this.compound && n.parent && !this.collapsed.has(n.parent) ? n.parent : undefined,
			fill: STATUS_FILLS[n.level],
			stroke: STATUS_COLORS[n.level],
			img: iconUri(n.icon),
			type: n.type,
		};
	}

	private boxData(b: GBox) {
		const collapsed = this.collapsed.has(b.id);
		return {
			id: b.id,
			label: collapsed ? `${b.label} (${b.members.length})` : b.label,
			fill: STATUS_FILLS[b.level],
			stroke: STATUS_COLORS[b.level],
			img: iconUri(b.kind === 'switch' ? 'switch' : 'host'),
		};
	}

	private elements(): ElementDefinition[] {
		const v = visibleGraph(this.model, this.collapsed);
		const els: ElementDefinition[] = [];
		for (const b of this.model.boxes) {
			const collapsed = this.collapsed.has(b.id);
			const cls = `box${b.kind === 'switch' ? ' switchbox' : ''}${collapsed ? ' collapsed' : ''}`;
			if (collapsed || this.compound) {
				els.push({
					group: 'nodes', data: this.boxData(b), classes: cls,
					position: collapsed ? boxCentre(this.model, b.id, this.positions) : undefined,
				});
				continue;
			}
			const r = boxRect(b.members.map((m) => this.positions.get(m)).filter((p): p is Pos => !!p));
			els.push({
				group: 'nodes', data: { ...this.boxData(b), w: r.w, h: r.h }, classes: `${cls} drawn`,
				position: { x: r.x, y: r.y },
			});
		}
		for (const n of v.nodes)
			els.push({
				group: 'nodes', data: this.nodeData(n), position: { ...(this.positions.get(n.id) ?? { x: 0, y: 0 }) },
				classes: [n.focal ? 'focal' : '', n.mark ? `m-${n.mark}` : ''].filter(Boolean).join(' '),
			});
		for (const e of v.edges)
			els.push({
				group: 'edges',
				data: { id: e.id, source: e.source, target: e.target, label: e.label, color: e.down ? STATUS_COLORS.critical : edgeColor(e.level) },
				classes: [e.down ? 'down' : '', e.count > 1 || e.id.startsWith('agg:') ? 'agg' : '', e.mark ? `m-${e.mark}` : ''].filter(Boolean).join(' '),
			});
		return els;
	}

	private bind(): void {
		const cy = this.cy;
		cy.on('mouseover', 'node', (ev) => this.showCard(ev.target as NodeSingular));
		cy.on('mouseout', 'node', () => { this.card.style.display = 'none'; });
		cy.on('pan zoom', () => { this.card.style.display = 'none'; });
		cy.on('tap', (ev) => {
			if (ev.target === cy)
				this.cb.onSelect?.(null, null);
		});
		cy.on('tap', 'node', (ev) => {
			const id = (ev.target as NodeSingular).id();
			this.cb.onSelect?.(this.byId.get(id) ?? null, this.boxes.get(id) ?? null);
		});
		// A drawn box moves its members with it, and follows them.
		let grabbed: Pos | null = null;
		cy.on('grab', 'node.box.drawn', (ev) => { grabbed = { ...(ev.target as NodeSingular).position() }; });
		cy.on('drag', 'node.box.drawn', (ev) => {
			const n = ev.target as NodeSingular;
			const p = n.position();
			if (!grabbed)
				return;
			const dx = p.x - grabbed.x, dy = p.y - grabbed.y;
			grabbed = { ...p };
			cy.batch(() => {
				for (const m of this.boxes.get(n.id())?.members ?? [])
					cy.getElementById(m).shift({ x: dx, y: dy });
			});
		});
		cy.on('free', 'node.box.drawn', () => { grabbed = null; });
		cy.on('drag', 'node', (ev) => {
			const n = ev.target as NodeSingular;
			const g = this.byId.get(n.id());
			if (g?.parent && !this.compound && !this.collapsed.has(g.parent))
				this.refitBox(g.parent);
		});
		cy.on('dbltap', 'node', (ev) => {
			const id = (ev.target as NodeSingular).id();
			if (this.boxes.has(id))
				this.toggleBox(id);
			else if (this.byId.has(id))
				this.cb.onOpen?.(this.byId.get(id)!);
		});
	}

	private showCard(n: NodeSingular): void {
		const c = this.cb.card?.(this.byId.get(n.id()) ?? null, this.boxes.get(n.id()) ?? null);
		if (!c) {
			this.card.style.display = 'none';
			return;
		}
		this.card.replaceChildren();
		const title = document.createElement('div');
		title.className = 'title';
		const img = document.createElement('img');
		img.src = iconUri(c.icon);
		img.width = 18;
		img.height = 18;
		title.append(img, document.createTextNode(c.title));
		const t = document.createElement('table');
		for (const [k, v] of c.rows) {
			const tr = t.insertRow();
			tr.insertCell().textContent = k;
			tr.insertCell().textContent = v;
		}
		this.card.append(title, t);
		const p = n.renderedPosition();
		const w = this.cy.width();
		this.card.style.display = 'block';
		const left = p.x + 30 + 380 > w ? Math.max(4, p.x - 30 - this.card.offsetWidth) : p.x + 30;
		this.card.style.left = `${left}px`;
		this.card.style.top = `${Math.max(4, p.y - 20)}px`;
	}

	/** A drawn box around its members as they are now. */
	private refitBox(boxId: string): void {
		const box = this.cy.getElementById(boxId);
		const b = this.boxes.get(boxId);
		if (box.empty() || !b)
			return;
		const r = boxRect(b.members.map((m) => this.cy.getElementById(m)).filter((e) => e.nonempty()).map((e) => e.position()));
		box.data({ w: r.w, h: r.h });
		box.position({ x: r.x, y: r.y });
	}

	isCollapsed(boxId: string): boolean {
		return this.collapsed.has(boxId);
	}

	collapsedBoxes(): string[] {
		return [...this.collapsed];
	}

	/** Collapses or expands a host box; the rest of the drawing keeps its place. */
	toggleBox(boxId: string, collapse = !this.collapsed.has(boxId)): void {
		if (!this.boxes.has(boxId) || collapse === this.collapsed.has(boxId))
			return;
		this.savePositions();
		if (collapse)
			this.collapsed.add(boxId);
		else
			this.collapsed.delete(boxId);
		this.rebuild();
	}

	setAllCollapsed(collapse: boolean): void {
		this.savePositions();
		this.collapsed = collapse ? new Set(this.model.boxes.filter((b) => b.kind === 'host').map((b) => b.id)) : new Set();
		this.rebuild();
		this.fit();
	}

	private savePositions(): void {
		this.cy.nodes().forEach((n) => {
			if (!n.isParent() && this.byId.has(n.id()))
				this.positions.set(n.id(), { ...n.position() });
		});
	}

	private rebuild(): void {
		const zoom = this.cy.zoom(), pan = this.cy.pan();
		this.cy.batch(() => {
			this.cy.elements().remove();
			this.cy.add(this.elements());
		});
		this.cy.viewport({ zoom, pan });
	}

	zoomBy(f: number): void {
		this.userMoved = true;
		const c = { x: this.cy.width() / 2, y: this.cy.height() / 2 };
		this.cy.zoom({ level: this.cy.zoom() * f, renderedPosition: c });
	}

	/** Fits the graph in the window, no larger than 1.4 times its size. */
	fit(): void {
		this.cy.fit(undefined, 30);
		if (this.cy.zoom() > 1.4) {
			this.cy.zoom(1.4);
			this.cy.center();
		}
	}

	/** Lays the graph out again: 'layered' (default) or 'force' (fCoSE,
	 * with the host boxes as compound nodes it keeps together). */
	relayout(kind: 'layered' | 'force'): void {
		if (kind === 'layered') {
			this.compound = false;
			this.positions = layeredLayout(this.model);
			this.rebuild();
			this.fit();
			return;
		}
		if (!this.compound) {
			this.compound = true;
			this.rebuild();
		}
		this.cy.layout({
			name: 'fcose', animate: false, randomize: true, quality: 'default', nodeDimensionsIncludeLabels: true,
			nodeRepulsion: () => 6000, idealEdgeLength: () => 70, padding: 30,
		} as cytoscape.LayoutOptions).run();
		this.savePositions();
	}

	select(id: string): void {
		this.cy.elements().unselect();
		const n = this.cy.getElementById(id);
		if (n.nonempty()) {
			n.select();
			this.cy.animate({ center: { eles: n }, duration: 200 });
		}
	}

	png(): Blob {
		return this.cy.png({ output: 'blob', full: true, scale: 2, bg: '#ffffff', maxWidth: 8000, maxHeight: 8000 }) as unknown as Blob;
	}

	/** The drawing as it is (positions, collapsed boxes) as SVG text. */
	svg(title?: string): string {
		const scene: Scene = { nodes: [], edges: [], title };
		this.cy.nodes().forEach((n) => {
			const id = n.id();
			const box = this.boxes.get(id);
			if (box && !this.collapsed.has(id)) {
				const bb = n.boundingBox({ includeLabels: false, includeOverlays: false });
				scene.nodes.push({
					id, x: (bb.x1 + bb.x2) / 2, y: (bb.y1 + bb.y2) / 2, w: bb.w, h: bb.h, label: box.label, box: true,
					fill: box.kind === 'switch' ? '#f4f1fa' : '#f3f6fa', stroke: STATUS_COLORS[box.level], strokeWidth: 1.5,
					dashed: box.kind === 'switch',
				});
				return;
			}
			const g = this.byId.get(id);
			const p = n.position();
			const lv: Level = g?.level ?? box?.level ?? 'unknown';
			const sn: SceneNode = {
				id, x: p.x, y: p.y, w: n.width(), h: n.height(),
				label: g ? g.label : `${box!.label} (${box!.members.length})`, box: false,
				icon: g ? g.icon : box!.kind === 'switch' ? 'switch' : 'host',
				fill: STATUS_FILLS[lv], stroke: g?.mark ? MARK_COLORS[g.mark] : g?.focal ? '#1a5fb4' : STATUS_COLORS[lv],
				strokeWidth: g?.mark || g?.focal ? 4 : 2, dashed: g?.mark === 'removed',
				opacity: g?.mark === 'removed' ? 0.55 : undefined,
			};
			scene.nodes.push(sn);
		});
		this.cy.edges().forEach((e) => {
			const s = e.sourceEndpoint(), t = e.targetEndpoint();
			const mark = [...e.classes()].find((c) => c.startsWith('m-'))?.slice(2) as Mark | undefined;
			scene.edges.push({
				x1: s.x, y1: s.y, x2: t.x, y2: t.y, label: String(e.data('label') ?? ''),
				color: mark ? MARK_COLORS[mark] : String(e.data('color')), width: mark ? 3 : 1.6,
				dashed: e.hasClass('down') || mark === 'removed', opacity: mark === 'removed' ? 0.6 : undefined,
			});
		});
		return sceneToSvg(scene);
	}

	destroy(): void {
		this.resizeObs.disconnect();
		this.card.remove();
		this.cy.destroy();
	}
}

function edgeColor(l: Level): string {
	return l === 'critical' ? STATUS_COLORS.critical : l === 'warning' ? STATUS_COLORS.warning : '#8d99a6';
}

/** Builds and drops a small compound graph off screen so that the
 * browser has compiled cytoscape's hot paths before the first real graph
 * (run when the page is idle). */
export function warmUp(): void {
	const els: ElementDefinition[] = [];
	for (let b = 0; b < 4; b++) {
		els.push({ group: 'nodes', data: { id: `b${b}`, label: `b${b}`, fill: '#fff', stroke: '#000', img: iconUri('host'), w: 80, h: 260 }, classes: 'box drawn', position: { x: b * 100 + 25, y: 100 } });
		for (let i = 0; i < 6; i++)
			els.push({ group: 'nodes', data: { id: `n${b}_${i}`, label: `n${i}`, fill: '#fff', stroke: '#000', img: iconUri('vnic') }, position: { x: b * 100 + i * 10, y: i * 40 } });
		for (let i = 1; i < 6; i++)
			els.push({ group: 'edges', data: { id: `e${b}_${i}`, source: `n${b}_${i - 1}`, target: `n${b}_${i}`, label: 'x', color: '#888' } });
	}
	const div = document.createElement('div');
	div.style.cssText = 'position:absolute;left:-10000px;top:0;width:300px;height:200px';
	document.body.appendChild(div);
	try {
		const cy = cytoscape({ container: div, elements: els, style: styles(), layout: { name: 'preset' } });
		cy.one('render', () => { cy.destroy(); div.remove(); });
		setTimeout(() => { if (!cy.destroyed()) cy.destroy(); div.remove(); }, 2000);
	} catch {
		div.remove();
	}
}

/** Saves a blob or text as a file through a temporary link. */
export function download(name: string, data: Blob | string, type = 'application/octet-stream'): void {
	const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
	const url = URL.createObjectURL(blob);
	const a = document.createElement('a');
	a.href = url;
	a.download = name;
	document.body.appendChild(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 5000);
}
