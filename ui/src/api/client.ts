// client.ts - the Calipso REST API as typed calls (docs/api.md): one
// method per route the UI uses, each asking for exactly what a view shows
// (one object, a page of children, one clique), never the whole inventory.

import { Http, type FetchFn, type Query } from './http';
import type {
	Clique, CliqueSummary, Diff, EnvSummary, Impact, InvLink, InvObject, Message, Scan, Schedule,
	SearchHit, Snapshot, TokenInfo,
} from './types';

/** A list answer: the original API wraps lists ({"objects": [...]}). */
function list<T>(doc: unknown, key: string): T[] {
	if (Array.isArray(doc))
		return doc as T[];
	if (doc && typeof doc === 'object') {
		const v = (doc as Record<string, unknown>)[key];
		if (Array.isArray(v))
			return v as T[];
		for (const x of Object.values(doc))
			if (Array.isArray(x))
				return x as T[];
	}
	return [];
}

export interface HealthEnv {
	last_scan: { id: number; status: string; started?: string; finished?: string } | null;
	sources: { host: string; source: string; status: string; error?: string }[];
}

export interface Health {
	status: string;
	version?: string;
	time?: string;
	started?: string;
	environments: Record<string, HealthEnv>;
	scan_queue?: { running?: { id: number; environment: string }[] };
	scheduler?: boolean;
}

export interface Page { page?: number; pageSize?: number }

export interface ScanRequest {
	env_name: string;
	object_id?: string;
	clear?: boolean;
	scan_only_inventory?: boolean;
	scan_only_links?: boolean;
	scan_only_cliques?: boolean;
	log_level?: string;
}

export type ScheduleKind = 'scan' | 'snapshot';

export interface ScheduleRequest extends Partial<ScanRequest> {
	env_name: string;
	freq?: string;
	cron?: string;
	timezone?: string;
	enabled?: boolean;
	/* scheduled snapshots */
	name_prefix?: string;
	note?: string;
	pinned?: boolean;
	clique?: string;
	scan?: boolean;
}

export class CalipsoApi {
	readonly http: Http;

	constructor(base = '', fetchFn?: FetchFn) {
		this.http = new Http(base, fetchFn);
	}

	// ---- authentication ------------------------------------------------

	async login(username: string, password: string): Promise<TokenInfo> {
		const doc = await this.http.request<Record<string, unknown>>('POST', '/auth/tokens', undefined, {
			auth: { methods: ['credentials'], credentials: { username, password } },
		}, { auth: false });
		const token = (doc.token ?? (doc.auth as Record<string, unknown> | undefined)?.token) as string | undefined;
		if (!token)
			throw new Error('the server answered without a token');
		return { ...doc, token } as TokenInfo;
	}

	async logout(): Promise<void> {
		await this.http.request('DELETE', '/auth/tokens');
	}

	// ---- environments, health ------------------------------------------

	async environments(): Promise<EnvSummary[]> {
		const doc = await this.http.get<unknown>('/environment_configs', { page_size: 1000 });
		return list<Record<string, unknown>>(doc, 'environment_configs').map((e) => ({
			...e, name: String(e.name ?? e.env_name ?? e.environment ?? ''),
		}));
	}

	/** GET /health: per environment the last scan and its sources. */
	health(): Promise<Health> {
		return this.http.get('/health');
	}

	/** Object counts of an environment by type (/aggregates). */
	async objectCounts(env: string): Promise<Record<string, number>> {
		const doc = await this.http.get<{ aggregates?: { object_types?: Record<string, number> } }>(
			'/aggregates', { type: 'environment', env_name: env });
		return doc.aggregates?.object_types ?? {};
	}

	/** Message counts of an environment by level (/aggregates). */
	async messageCounts(env: string): Promise<Record<string, number>> {
		const doc = await this.http.get<{ aggregates?: { levels?: Record<string, number> } }>(
			'/aggregates', { type: 'message', env_name: env });
		return doc.aggregates?.levels ?? {};
	}

	/** The signed-in user (GET /auth/tokens). */
	whoami(): Promise<{ user: string; roles?: string[]; admin?: boolean; expires_at?: string }> {
		return this.http.get('/auth/tokens');
	}

	// ---- inventory -----------------------------------------------------

	object(env: string, id: string, at?: string): Promise<InvObject> {
		return this.http.get('/inventory', { env_name: env, id, at });
	}

	/** A page of the children of `parentId` (optionally of one type). */
	async children(env: string, parentId: string, opts: Page & { type?: string } = {},
		signal?: AbortSignal): Promise<InvObject[]> {
		const doc = await this.http.get<unknown>('/inventory', {
			env_name: env, parent_id: parentId, type: opts.type,
			page: opts.page ?? 0, page_size: opts.pageSize ?? 50,
		}, signal);
		return list<InvObject>(doc, 'objects');
	}

	/** A page of the objects of a type (optionally on one host). */
	async objects(env: string, q: Page & { type?: string; host?: string; name?: string } = {},
		signal?: AbortSignal): Promise<InvObject[]> {
		const doc = await this.http.get<unknown>('/inventory', {
			env_name: env, type: q.type, host: q.host, name: q.name,
			page: q.page ?? 0, page_size: q.pageSize ?? 100,
		}, signal);
		return list<InvObject>(doc, 'objects');
	}

	async links(env: string, q: Page & { object_id?: string; source_id?: string; target_id?: string; host?: string;
		link_type?: string; state?: string } = {}): Promise<InvLink[]> {
		const { page, pageSize, ...rest } = q;
		const doc = await this.http.get<unknown>('/links', {
			env_name: env, ...rest, page: page ?? 0, page_size: pageSize ?? 200,
		});
		return list<InvLink>(doc, 'links');
	}

	// ---- cliques, impact, search ---------------------------------------

	clique(env: string, focal: string, at?: string, signal?: AbortSignal): Promise<Clique> {
		return this.http.get('/cliques', { env_name: env, id: focal, at }, signal);
	}

	async focalPoints(env: string, type?: string, page: Page = {}): Promise<CliqueSummary[]> {
		const doc = await this.http.get<unknown>('/cliques', {
			env_name: env, focal_point_type: type, page: page.page ?? 0, page_size: page.pageSize ?? 100,
		});
		return list<CliqueSummary>(doc, 'cliques');
	}

	async search(env: string, text: string, opts: { type?: string; limit?: number } = {},
		signal?: AbortSignal): Promise<SearchHit[]> {
		const doc = await this.http.get<unknown>('/search', {
			env_name: env, text, type: opts.type, page_size: opts.limit ?? 20,
		}, signal);
		return list<SearchHit>(doc, 'results');
	}

	impact(env: string, id: string, opts: { whatIfDown?: boolean; project?: string } = {}): Promise<Impact> {
		return this.http.get('/impact', {
			env_name: env, id, what_if: opts.whatIfDown ? 'down' : undefined, project: opts.project,
		});
	}

	// ---- messages ------------------------------------------------------

	async messages(env: string, q: Page & { level?: string; related_object?: string;
		start_time?: string; source_system?: string } = {}): Promise<Message[]> {
		const { page, pageSize, ...rest } = q;
		const doc = await this.http.get<unknown>('/messages', {
			env_name: env, ...rest, page: page ?? 0, page_size: pageSize ?? 50,
		});
		return list<Message>(doc, 'messages');
	}

	// ---- scans and schedules -------------------------------------------

	async scans(env: string, q: Page & { status?: string; base_object?: string } = {}): Promise<Scan[]> {
		const { page, pageSize, ...rest } = q;
		const doc = await this.http.get<unknown>('/scans', {
			env_name: env, ...rest, page: page ?? 0, page_size: pageSize ?? 20,
		});
		return list<Scan>(doc, 'scans');
	}

	scan(env: string, id: number): Promise<Scan> {
		return this.http.get('/scans', { env_name: env, id });
	}

	async queueScan(req: ScanRequest): Promise<Scan> {
		const doc = await this.http.request<Record<string, unknown>>('POST', '/scans', undefined, req);
		return (doc.scan ?? { ...doc, id: doc.id }) as Scan;
	}

	abortScan(env: string, id: number): Promise<unknown> {
		return this.http.request('DELETE', '/scans', { env_name: env, id });
	}

	/** Scheduled scans ('scan') or snapshots ('snapshot') with their next runs. */
	async schedules(env: string, kind: ScheduleKind = 'scan'): Promise<Schedule[]> {
		const doc = await this.http.get<unknown>(`/scheduled_${kind}s`, { env_name: env, page_size: 200 });
		return list<Schedule>(doc, `scheduled_${kind}s`);
	}

	createSchedule(req: ScheduleRequest, kind: ScheduleKind = 'scan'): Promise<unknown> {
		return this.http.request('POST', `/scheduled_${kind}s`, undefined, req);
	}

	deleteSchedule(env: string, id: number | string, kind: ScheduleKind = 'scan'): Promise<unknown> {
		return this.http.request('DELETE', `/scheduled_${kind}s`, { env_name: env, id });
	}

	// ---- snapshots, diff, designs, reports -----------------------------

	async snapshots(env: string): Promise<Snapshot[]> {
		const doc = await this.http.get<unknown>('/snapshots', { env_name: env, page_size: 500 });
		return list<Snapshot>(doc, 'snapshots');
	}

	/** Takes a snapshot now; with `scan`, the server queues a scan first and
	 * answers with it ({"scan_id", "scan"}): the snapshot is taken when it ends. */
	createSnapshot(env: string, body: { name: string; note?: string; clique?: string; scan?: boolean;
		pinned?: boolean }): Promise<Snapshot & { scan_id?: number; scan?: Scan }> {
		return this.http.request('POST', '/snapshots', undefined, { env_name: env, ...body });
	}

	pinSnapshot(env: string, name: string, pinned: boolean): Promise<unknown> {
		return this.http.request('PATCH', '/snapshots', { env_name: env, name }, { pinned });
	}

	deleteSnapshot(env: string, name: string): Promise<unknown> {
		return this.http.request('DELETE', '/snapshots', { env_name: env, name });
	}

	diff(env: string, a: string, b: string, scope?: string): Promise<Diff> {
		return this.http.get('/diff', { env_name: env, a, b, scope });
	}

	async designs(env: string): Promise<Record<string, unknown>[]> {
		const doc = await this.http.get<unknown>('/designs', { env_name: env });
		return list<Record<string, unknown>>(doc, 'designs');
	}

	/** Stores a design baseline made from a snapshot, live or a time. */
	createDesign(env: string, name: string, from: string, replace = false): Promise<Record<string, unknown>> {
		return this.http.request('POST', '/designs', undefined, { env_name: env, name, from, replace: replace || undefined });
	}

	deleteDesign(env: string, name: string): Promise<unknown> {
		return this.http.request('DELETE', '/designs', { env_name: env, name });
	}

	async reports(env: string): Promise<Record<string, unknown>[]> {
		const doc = await this.http.get<unknown>('/reports', { env_name: env });
		return list<Record<string, unknown>>(doc, 'reports');
	}

	createReport(env: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
		return this.http.request('POST', '/reports', undefined, { env_name: env, ...body });
	}

	/** A report made now (GET /reports?kind=...), as its text. */
	report(env: string, q: Query): Promise<string> {
		return this.http.request<string>('GET', '/reports', { env_name: env, ...q }, undefined, { raw: true });
	}

	/** A kept report's content. */
	keptReport(env: string, id: number | string): Promise<string> {
		return this.http.request<string>('GET', '/reports', { env_name: env, id }, undefined, { raw: true });
	}
}
