// session.ts - who is signed in: the token the server issued, kept in
// localStorage so every tab of the NOC's browser shares it, and dropped
// on sign-out, on expiry, or when the server answers 401.

export interface Session {
	token: string;
	user: string;
	expires?: string;
}

const KEY = 'calipso.session';

export interface KV {
	getItem(k: string): string | null;
	setItem(k: string, v: string): void;
	removeItem(k: string): void;
}

export function loadSession(store: KV, nowMs = Date.now()): Session | null {
	let s: Session | null = null;
	try {
		const raw = store.getItem(KEY);
		s = raw ? (JSON.parse(raw) as Session) : null;
	} catch {
		s = null;
	}
	if (!s || typeof s.token !== 'string' || !s.token)
		return null;
	if (s.expires && Date.parse(s.expires) <= nowMs) {
		store.removeItem(KEY);
		return null;
	}
	return s;
}

export function saveSession(store: KV, s: Session): void {
	store.setItem(KEY, JSON.stringify(s));
}

export function clearSession(store: KV): void {
	store.removeItem(KEY);
}
