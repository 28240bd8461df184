// http.ts - the one place the UI talks HTTP: JSON requests to the Calipso
// API with the session's X-Auth-Token, the API's error shape turned into
// ApiError, a log of every request (the end-to-end tests read it to check
// that no view asks for the whole inventory), and 401 handled once
// (the session ends and the login page shows).
//
// Trust: answers are JSON from our own server; nothing from them is ever
// inserted as HTML (views build DOM nodes with text).

export class ApiError extends Error {
	readonly status: number;
	readonly title: string;
	constructor(status: number, message: string, title = '') {
		super(message);
		this.status = status;
		this.title = title;
		this.name = 'ApiError';
	}
}

export interface RequestRecord {
	method: string;
	url: string;
	status: number;
	bytes: number;
	ms: number;
}

export type Query = Record<string, string | number | boolean | undefined | null>;
export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/** "?a=1&b=x" of the keys whose value is set, in the given order. */
export function queryString(q?: Query): string {
	if (!q)
		return '';
	const parts: string[] = [];
	for (const [k, v] of Object.entries(q)) {
		if (v === undefined || v === null || v === '')
			continue;
		parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
	}
	return parts.length ? `?${parts.join('&')}` : '';
}

/** The message of an error body {"error": {"message", "code", "title"}},
 * or a plain description of the status. */
export function errorMessage(status: number, body: unknown): { message: string; title: string } {
	if (body && typeof body === 'object' && 'error' in body) {
		const e = (body as { error: unknown }).error;
		if (e && typeof e === 'object') {
			const o = e as { message?: unknown; title?: unknown };
			return {
				message: typeof o.message === 'string' ? o.message : `HTTP ${status}`,
				title: typeof o.title === 'string' ? o.title : '',
			};
		}
		if (typeof e === 'string')
			return { message: e, title: '' };
	}
	return { message: status === 0 ? 'the server cannot be reached' : `HTTP ${status}`, title: '' };
}

export class Http {
	token: string | null = null;
	/** Every request made, newest last (bounded). */
	readonly log: RequestRecord[] = [];
	onUnauthorized: (() => void) | null = null;
	private readonly base: string;
	private readonly fetchFn: FetchFn;

	constructor(base = '', fetchFn?: FetchFn) {
		this.base = base.replace(/\/$/, '');
		this.fetchFn = fetchFn ?? ((i, init) => fetch(i, init));
	}

	url(path: string, q?: Query): string {
		return `${this.base}${path}${queryString(q)}`;
	}

	async request<T>(method: string, path: string, q?: Query, body?: unknown,
		opts: { signal?: AbortSignal; raw?: boolean; auth?: boolean } = {}): Promise<T> {
		const url = this.url(path, q);
		const headers: Record<string, string> = { Accept: 'application/json' };
		if (this.token && opts.auth !== false)
			headers['X-Auth-Token'] = this.token;
		if (body !== undefined)
			headers['Content-Type'] = 'application/json';
		const t0 = now();
		let res: Response;
		try {
			res = await this.fetchFn(url, {
				method,
				headers,
				body: body === undefined ? undefined : JSON.stringify(body),
				signal: opts.signal,
			});
		} catch (e) {
			if ((e as Error).name === 'AbortError')
				throw e;
			this.record({ method, url, status: 0, bytes: 0, ms: now() - t0 });
			throw new ApiError(0, 'the server cannot be reached');
		}
		const text = await res.text();
		this.record({ method, url, status: res.status, bytes: text.length, ms: now() - t0 });
		let doc: unknown = null;
		if (text && !opts.raw) {
			try {
				doc = JSON.parse(text);
			} catch {
				if (res.ok)
					throw new ApiError(res.status, `${path}: the answer is not JSON`);
			}
		}
		if (!res.ok) {
			const { message, title } = errorMessage(res.status, doc);
			if (res.status === 401 && this.token && opts.auth !== false && this.onUnauthorized)
				this.onUnauthorized();
			throw new ApiError(res.status, message, title);
		}
		return (opts.raw ? text : doc) as T;
	}

	get<T>(path: string, q?: Query, signal?: AbortSignal): Promise<T> {
		return this.request<T>('GET', path, q, undefined, { signal });
	}

	private record(r: RequestRecord): void {
		this.log.push(r);
		if (this.log.length > 2000)
			this.log.splice(0, this.log.length - 2000);
	}
}

function now(): number {
	return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
