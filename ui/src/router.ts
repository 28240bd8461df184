// router.ts - the address of every view, in the URL's hash so that any
// view can be bookmarked, linked from a report or a ticket, and reloaded
// (the server only serves index.html at /).  Segments are
// percent-encoded: object ids hold ':', '/' and '|'.
//
//   #/login                      #/                  (all environments)
//   #/env/E                      #/env/E/host/ID     #/env/E/object/ID
//   #/env/E/clique/ID            #/env/E/impact/ID   #/env/E/search?q=
//   #/env/E/snapshots            #/env/E/diff?a=&b=&scope=
//   #/env/E/change?focal=        #/env/E/scans       #/env/E/messages?level=

export interface Route {
	name: string;
	env?: string;
	id?: string;
	query: Record<string, string>;
}

const ENV_VIEWS = new Set(['host', 'object', 'clique', 'impact']);
const ENV_PAGES = new Set(['search', 'snapshots', 'diff', 'change', 'scans', 'messages', 'tree']);

export function parseHash(hash: string): Route {
	let h = hash.startsWith('#') ? hash.slice(1) : hash;
	let query: Record<string, string> = {};
	const qi = h.indexOf('?');
	if (qi >= 0) {
		query = Object.fromEntries(new URLSearchParams(h.slice(qi + 1)));
		h = h.slice(0, qi);
	}
	const seg = h.split('/').filter((s) => s !== '').map((s) => {
		try {
			return decodeURIComponent(s);
		} catch {
			return s;
		}
	});
	if (!seg.length)
		return { name: 'home', query };
	if (seg[0] === 'login')
		return { name: 'login', query };
	if (seg[0] === 'env' && seg[1] !== undefined) {
		const env = seg[1];
		if (seg.length === 2)
			return { name: 'env', env, query };
		if (ENV_VIEWS.has(seg[2]) && seg.length >= 4)
			return { name: seg[2], env, id: seg.slice(3).join('/'), query };
		if (ENV_PAGES.has(seg[2]) && seg.length === 3)
			return { name: seg[2], env, query };
	}
	return { name: 'notfound', query };
}

export function href(name: string, env?: string, id?: string, query?: Record<string, string | undefined>): string {
	let h = '#/';
	if (name === 'login')
		h = '#/login';
	else if (name !== 'home' && env !== undefined) {
		h = `#/env/${encodeURIComponent(env)}`;
		if (name !== 'env')
			h += `/${name}`;
		if (id !== undefined)
			h += `/${encodeURIComponent(id)}`;
	}
	const q = Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== '') as [string, string][];
	if (q.length)
		h += `?${new URLSearchParams(q).toString()}`;
	return h;
}
