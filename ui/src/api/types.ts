// types.ts - the shapes of the documents the server answers with
// (docs/api.md, docs/model.md).  Only the fields the UI reads are typed;
// every document may carry more, which the object view shows as they are.

export type Status = 'ok' | 'warning' | 'critical' | 'error' | 'unknown' | string;

/** An inventory object (docs/model.md "Common fields"). */
export interface InvObject {
	id: string;
	type: string;
	name: string;
	environment?: string;
	object_name?: string;
	parent_id?: string;
	parent_type?: string;
	id_path?: string;
	name_path?: string;
	host?: string;
	source?: string;
	last_scanned?: string;
	status?: Status;
	status_value?: number;
	status_text?: string;
	status_timestamp?: string;
	operstate?: string;
	state?: string;
	mac_address?: string;
	ip_address?: string;
	addresses?: string[];
	network?: string | string[];
	project?: string;
	service_type?: string;
	host_type?: string[] | string;
	/** Children count when the server gives it (tree listings). */
	children?: number;
	[key: string]: unknown;
}

/** A link (docs/model.md "Links"). */
export interface InvLink {
	id?: string;
	link_type: string;
	source_id: string;
	target_id: string;
	link_name?: string;
	state?: string;
	host?: string;
	status?: Status;
	source_label?: string;
	target_label?: string;
	attributes?: { network?: string; [key: string]: unknown };
	[key: string]: unknown;
}

/** A focal point's clique (analyze.h cal_clique_get). */
export interface Clique {
	focal_point: string;
	focal_point_type?: string;
	clique_type?: string;
	name?: string;
	host?: string;
	health?: Status;
	nodes: InvObject[];
	links: InvLink[];
	[key: string]: unknown;
}

/** One row of the clique list (cal_clique_list). */
export interface CliqueSummary {
	focal_point: string;
	focal_point_type: string;
	clique_type?: string;
	health?: Status;
	name?: string;
	host?: string;
	project?: string;
	networks?: string[];
	switches?: string[];
}

export interface SearchHit {
	id: string;
	type: string;
	name: string;
	name_path?: string;
	id_path?: string;
	host?: string;
	environment?: string;
	field?: string;
	matched?: string;
	value?: string;
	rank?: number;
	[key: string]: unknown;
}

export interface Message {
	id: number | string;
	environment?: string;
	source_system?: string;
	level: string;
	related_object?: string;
	related_object_type?: string;
	display_context?: string;
	message: string;
	timestamp?: string;
	received_timestamp?: string;
	viewed?: boolean;
	origin_id?: number | string;
	origin_type?: string;
}

export interface ScanProgress {
	phase?: string;
	percent?: number;
	done?: number;
	total?: number;
	message?: string;
	[key: string]: unknown;
}

export interface Scan {
	id: number;
	environment: string;
	status: string;
	object_id?: string;
	clear?: boolean;
	scan_only_inventory?: boolean;
	scan_only_links?: boolean;
	scan_only_cliques?: boolean;
	log_level?: string;
	created?: string;
	started?: string;
	finished?: string;
	submit_timestamp?: string;
	start_timestamp?: string;
	end_timestamp?: string;
	progress?: ScanProgress;
	summary?: unknown;
	error?: string;
	sources?: unknown;
	[key: string]: unknown;
}

export interface Schedule {
	id: number | string;
	environment: string;
	kind?: string; /* "scan" or "snapshot" */
	freq?: string;
	cron?: string;
	timezone?: string;
	next_run?: string;
	scheduled_timestamp?: string;
	last_run?: string;
	enabled?: boolean;
	request?: Record<string, unknown>;
	[key: string]: unknown;
}

export interface Snapshot {
	name: string;
	environment?: string;
	created?: string;
	time?: string;
	note?: string;
	pinned?: boolean;
	clique?: string | null;
	scan_id?: number;
	sources?: unknown;
	[key: string]: unknown;
}

export interface DiffObject {
	id: string;
	type: string;
	name?: string;
	host?: string;
	fields?: { field: string; before?: unknown; after?: unknown }[];
}

export interface DiffLink {
	id?: string;
	link_type: string;
	source_id: string;
	target_id: string;
	link_name?: string;
	state?: string;
	host?: string;
	fields?: { field: string; before?: unknown; after?: unknown }[];
}

export interface DiffClique {
	focal_point: string;
	change: string;
	health?: { before?: string; after?: string };
	nodes_added?: string[];
	nodes_removed?: string[];
	links_added?: string[];
	links_removed?: string[];
}

/** cal_diff's document. */
export interface Diff {
	environment?: string;
	a?: unknown;
	b?: unknown;
	scope?: string;
	equal: boolean;
	summary: Record<string, number>;
	objects: { added: DiffObject[]; removed: DiffObject[]; changed: DiffObject[] };
	links: { added: DiffLink[]; removed: DiffLink[]; changed: DiffLink[] };
	cliques?: DiffClique[];
}

/** cal_impact's document, as far as the UI needs it. */
export interface Impact {
	object?: InvObject | string;
	object_id?: string;
	cliques?: CliqueSummary[];
	focal_points?: CliqueSummary[];
	by_project?: Record<string, unknown>;
	by_host?: Record<string, unknown>;
	by_network?: Record<string, unknown>;
	by_switch?: Record<string, unknown>;
	what_if_down?: unknown;
	lose_path?: unknown;
	[key: string]: unknown;
}

export interface EnvSummary {
	name: string;
	config?: Record<string, unknown>;
	last_scan?: Scan | null;
	counts?: Record<string, number>;
	sources?: unknown;
	[key: string]: unknown;
}

export interface TokenInfo {
	token: string;
	expires?: string;
	expires_at?: string;
	user?: string;
	roles?: string[];
	[key: string]: unknown;
}
