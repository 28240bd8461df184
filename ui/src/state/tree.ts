// tree.ts - the navigation tree's model, loaded lazily: expanding a node
// asks the server for one page of its children (parent_id, page_size),
// never more.  A node whose children fit in that page shows them, in
// folders by type when there are many of several types; a node with more
// (an environment of 1,000 hosts and 2,000 networks) gets one folder per
// type, each loading its own pages of that type on demand, with "more"
// at the end of a page.  The view (views/tree.ts) only draws this model.

import type { InvObject } from '../api/types';

export interface ChildrenSource {
	children(env: string, parentId: string, opts: { type?: string; page?: number; pageSize?: number },
		signal?: AbortSignal): Promise<InvObject[]>;
}

export interface TreeNode {
	key: string;
	kind: 'object' | 'folder' | 'root';
	/** The object's id (object nodes), or the parent's id (folders, root). */
	id: string;
	type: string;
	label: string;
	obj?: InvObject;
	/** Folder: the type of its objects. */
	folderType?: string;
	children: TreeNode[] | null;
	/** All children are loaded. */
	complete: boolean;
	nextPage: number;
	expanded: boolean;
	loading: boolean;
	error: string | null;
	/** A count known for sure (complete folders). */
	count?: number;
}

/** Order of types in the tree, and the folder names. */
export const TYPE_ORDER = ['region', 'availability_zone', 'aggregate', 'project', 'host', 'switch', 'network',
	'instance', 'vservice', 'vnic', 'port', 'vconnector', 'vedge', 'otep', 'host_pnic', 'switch_pnic',
	'network_agent'];

export const FOLDER_NAMES: Record<string, string> = {
	region: 'Regions', availability_zone: 'Availability zones', aggregate: 'Aggregates', project: 'Projects',
	host: 'Hosts', switch: 'Switches', network: 'Networks', instance: 'Instances', vservice: 'Network services',
	vnic: 'vNICs', port: 'Ports', vconnector: 'Bridges', vedge: 'Virtual switches', otep: 'Tunnel endpoints',
	host_pnic: 'NICs', switch_pnic: 'Switch ports', network_agent: 'Agents',
};

/** Types that may be children of each type (docs/model.md, and the
 * OpenStack hierarchy: projects > networks > ports and services; regions
 * > availability zones > hosts > instances, bridges, switches, NICs). */
export const CHILD_TYPES: Record<string, string[]> = {
	environment: ['region', 'availability_zone', 'aggregate', 'project', 'host', 'switch', 'network'],
	region: ['availability_zone', 'host'],
	availability_zone: ['host'],
	aggregate: ['host'],
	project: ['network', 'instance'],
	network: ['port', 'vservice'],
	host: ['instance', 'vservice', 'vconnector', 'vedge', 'otep', 'host_pnic', 'network_agent', 'vnic'],
	instance: ['vnic'],
	vservice: ['vnic'],
	switch: ['switch_pnic'],
};

function typeRank(t: string): number {
	const i = TYPE_ORDER.indexOf(t);
	return i < 0 ? TYPE_ORDER.length : i;
}

export function sortObjects(objs: InvObject[]): InvObject[] {
	return [...objs].sort((a, b) => (typeRank(a.type) - typeRank(b.type)) ||
		a.name.localeCompare(b.name, undefined, { numeric: true }) || (a.id < b.id ? -1 : 1));
}

export function objectNode(o: InvObject): TreeNode {
	return {
		key: `o:${o.id}`, kind: 'object', id: o.id, type: o.type, label: o.name || o.id, obj: o,
		children: null, complete: false, nextPage: 0, expanded: false, loading: false, error: null,
	};
}

export function folderNode(parentId: string, type: string, children: TreeNode[] | null = null): TreeNode {
	return {
		key: `f:${parentId}:${type}`, kind: 'folder', id: parentId, type, folderType: type,
		label: FOLDER_NAMES[type] ?? type, children, complete: children !== null, nextPage: children ? 1 : 0,
		expanded: false, loading: false, error: null, count: children ? children.length : undefined,
	};
}

export function rootNode(env: string): TreeNode {
	return {
		key: `r:${env}`, kind: 'root', id: env, type: 'environment', label: env, children: null,
		complete: false, nextPage: 0, expanded: true, loading: false, error: null,
	};
}

/** How a complete list of children is shown: flat when few or of one
 * type, else in folders by type (with exact counts). */
export function groupChildren(parentId: string, objs: InvObject[], flatMax = 12): TreeNode[] {
	const sorted = sortObjects(objs);
	const types = [...new Set(sorted.map((o) => o.type))];
	if (types.length <= 1 || sorted.length <= flatMax)
		return sorted.map(objectNode);
	return types.map((t) => {
		const f = folderNode(parentId, t, sorted.filter((o) => o.type === t).map(objectNode));
		return f;
	});
}

export class TreeLoader {
	readonly env: string;
	readonly root: TreeNode;
	/** Children asked for per request. */
	readonly pageSize: number;
	/** Children of one type asked for per request, inside a folder. */
	readonly folderPageSize: number;
	private readonly src: ChildrenSource;

	constructor(src: ChildrenSource, env: string, opts: { pageSize?: number; folderPageSize?: number } = {}) {
		this.src = src;
		this.env = env;
		this.root = rootNode(env);
		this.pageSize = opts.pageSize ?? 100;
		this.folderPageSize = opts.folderPageSize ?? 50;
	}

	/** Loads what expanding `n` shows (nothing when already loaded). */
	async expand(n: TreeNode, signal?: AbortSignal): Promise<void> {
		n.expanded = true;
		if (n.children !== null || n.loading)
			return;
		n.error = null;
		await this.load(n, () => (n.kind === 'folder' ? this.loadFolderPage(n, signal) : this.loadChildren(n, signal)));
	}

	collapse(n: TreeNode): void {
		n.expanded = false;
	}

	/** The next page of a folder ("more"). */
	async more(n: TreeNode, signal?: AbortSignal): Promise<void> {
		if (n.complete || n.loading)
			return;
		await this.load(n, () => this.loadFolderPage(n, signal));
	}

	/** Runs `fn`, a load of `n`: `loading` while it runs, its error kept in
	 *  `error` (an abort is thrown on). */
	private async load(n: TreeNode, fn: () => Promise<void>): Promise<void> {
		n.loading = true;
		try {
			await fn();
		} catch (e) {
			if ((e as Error).name === 'AbortError')
				throw e;
			n.error = e instanceof Error ? e.message : String(e);
		} finally {
			n.loading = false;
		}
	}

	private async loadChildren(n: TreeNode, signal?: AbortSignal): Promise<void> {
		const objs = await this.src.children(this.env, n.id, { page: 0, pageSize: this.pageSize }, signal);
		if (objs.length < this.pageSize) {
			n.children = groupChildren(n.id, objs);
			n.complete = true;
			return;
		}
		// More children than one page: a folder per type.  Types seen are
		// there for sure; the other types this parent may hold are probed
		// with one object each, in parallel, and kept when they have any.
		const seen = [...new Set(objs.map((o) => o.type))];
		const maybe = (CHILD_TYPES[n.type] ?? []).filter((t) => !seen.includes(t));
		const probes = await Promise.all(maybe.map((t) =>
			this.src.children(this.env, n.id, { type: t, page: 0, pageSize: 1 }, signal)
				.then((r) => (r.length ? t : null), () => null)));
		const types = [...seen, ...probes.filter((t): t is string => t !== null)]
			.sort((a, b) => typeRank(a) - typeRank(b));
		n.children = types.map((t) => folderNode(n.id, t));
		n.complete = true;
	}

	private async loadFolderPage(f: TreeNode, signal?: AbortSignal): Promise<void> {
		const objs = await this.src.children(this.env, f.id, {
			type: f.folderType, page: f.nextPage, pageSize: this.folderPageSize,
		}, signal);
		const have = new Set((f.children ?? []).map((c) => c.id));
		f.children = [...(f.children ?? []), ...sortObjects(objs.filter((o) => !have.has(o.id))).map(objectNode)];
		f.nextPage++;
		f.complete = objs.length < this.folderPageSize;
		if (f.complete)
			f.count = f.children.length;
	}
}
