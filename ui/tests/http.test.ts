import { describe, expect, it, vi } from 'vitest';
import { CalipsoApi } from '../src/api/client';
import { ApiError, errorMessage, Http, queryString } from '../src/api/http';

function res(status: number, body: unknown): Response {
	return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
}

describe('queryString', () => {
	it('encodes set keys in order and drops empty ones', () => {
		expect(queryString({ env_name: 'lab', id: 'host1:vnic:a/b|c', page: 0, x: undefined, y: null, z: '' }))
			.toBe('?env_name=lab&id=host1%3Avnic%3Aa%2Fb%7Cc&page=0');
		expect(queryString({})).toBe('');
	});
});

describe('errorMessage', () => {
	it('reads the API\'s error shape', () => {
		expect(errorMessage(400, { error: { message: 'unknown key \'x\'', code: '400', title: 'Bad Request' } }))
			.toEqual({ message: 'unknown key \'x\'', title: 'Bad Request' });
		expect(errorMessage(502, 'nope').message).toBe('HTTP 502');
		expect(errorMessage(0, null).message).toBe('the server cannot be reached');
	});
});

describe('Http', () => {
	it('sends the token, records the request and parses JSON', async () => {
		const f = vi.fn(async () => res(200, { objects: [1, 2] }));
		const h = new Http('', f);
		h.token = 'abc';
		const doc = await h.get('/inventory', { env_name: 'lab' });
		expect(doc).toEqual({ objects: [1, 2] });
		const [url, init] = f.mock.calls[0] as unknown as [string, RequestInit];
		expect(url).toBe('/inventory?env_name=lab');
		expect((init.headers as Record<string, string>)['X-Auth-Token']).toBe('abc');
		expect(h.log).toHaveLength(1);
		expect(h.log[0]).toMatchObject({ method: 'GET', url: '/inventory?env_name=lab', status: 200, bytes: 17 });
	});

	it('turns error answers into ApiError and a 401 into the end of the session', async () => {
		const h = new Http('', async () => res(401, { error: { message: 'invalid token', code: '401', title: 'Unauthorized' } }));
		h.token = 't';
		const ended = vi.fn();
		h.onUnauthorized = ended;
		const e = (await h.get("/health").catch((x) => x)) as ApiError;
		expect(e).toBeInstanceOf(ApiError);
		expect(e.status).toBe(401);
		expect(e.message).toBe('invalid token');
		expect(ended).toHaveBeenCalledOnce();
	});

	it('does not end the session on a failed login', async () => {
		const api = new CalipsoApi('', async () => res(401, { error: { message: 'authentication failed' } }));
		const ended = vi.fn();
		api.http.onUnauthorized = ended;
		await expect(api.login('a', 'b')).rejects.toThrow('authentication failed');
		expect(ended).not.toHaveBeenCalled();
	});

	it('reports an unreachable server', async () => {
		const h = new Http('', async () => { throw new TypeError('fetch failed'); });
		const e = (await h.get("/health").catch((x) => x)) as ApiError;
		expect(e.status).toBe(0);
		expect(h.log[0].status).toBe(0);
	});
});

describe('CalipsoApi', () => {
	it('logs in with the original API\'s credentials body', async () => {
		const f = vi.fn(async () => res(201, { token: 'tok', expires_at: '2030-01-01T00:00:00Z', user: 'noc' }));
		const api = new CalipsoApi('', f);
		const t = await api.login('noc', 'pw');
		expect(t.token).toBe('tok');
		const init = (f.mock.calls[0] as unknown as [string, RequestInit])[1];
		expect(JSON.parse(String(init.body))).toEqual({ auth: { methods: ['credentials'], credentials: { username: 'noc', password: 'pw' } } });
		expect((init.headers as Record<string, string>)['X-Auth-Token']).toBeUndefined();
	});

	it('asks for one page of children and unwraps the list', async () => {
		const f = vi.fn(async () => res(200, { objects: [{ id: 'a', type: 'host', name: 'a' }] }));
		const api = new CalipsoApi('', f);
		const c = await api.children('lab', 'lab', { type: 'host', page: 2, pageSize: 50 });
		expect(c).toHaveLength(1);
		expect((f.mock.calls[0] as unknown as [string])[0]).toBe('/inventory?env_name=lab&parent_id=lab&type=host&page=2&page_size=50');
	});

	it('reads counts from /aggregates', async () => {
		const api = new CalipsoApi('', async (u) => res(200, u.includes('type=message')
			? { aggregates: { levels: { error: 2 } } } : { aggregates: { object_types: { host: 3 } } }));
		expect(await api.objectCounts('lab')).toEqual({ host: 3 });
		expect(await api.messageCounts('lab')).toEqual({ error: 2 });
	});

	it('queues a scan and returns its record', async () => {
		const api = new CalipsoApi('', async () => res(201, { message: 'created a new scan', id: 7, scan: { id: 7, status: 'pending', environment: 'lab' } }));
		expect((await api.queueScan({ env_name: 'lab' })).status).toBe('pending');
	});
});
