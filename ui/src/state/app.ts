// app.ts - the state every view shares: the API client, the session, the
// environments this user may see (the server decides: it lists only
// those), the current environment, and a tiny change notification.

import { CalipsoApi } from '../api/client';
import type { EnvSummary } from '../api/types';
import type { Session } from './session';

type Listener = () => void;

export class AppState {
	readonly api: CalipsoApi;
	session: Session | null = null;
	envs: EnvSummary[] = [];
	env: string | null = null;
	private listeners = new Set<Listener>();

	constructor(api: CalipsoApi) {
		this.api = api;
	}

	on(l: Listener): () => void {
		this.listeners.add(l);
		return () => this.listeners.delete(l);
	}

	changed(): void {
		for (const l of [...this.listeners])
			l();
	}

	/** The environment to show: the one asked for when the user may see
	 * it, else the remembered one, else the first. */
	pickEnv(wanted?: string | null): string | null {
		const names = this.envs.map((e) => e.name);
		if (wanted && names.includes(wanted))
			return wanted;
		if (this.env && names.includes(this.env))
			return this.env;
		return names[0] ?? null;
	}
}
