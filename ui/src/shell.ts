// shell.ts - the frame around every view: the top bar (environment
// selector, search, message counters, sign-out), the sidebar (the
// environment's pages and its lazy tree), and the main area where the
// route's view is drawn.  Without a session every address leads to the
// login page, which comes back to the address asked for.

import { ApiError } from './api/http';
import { iconElement } from './graph/icons';
import { h, replace } from './lib/dom';
import { COUNTERS, foldCounts } from './lib/messages';
import { href, parseHash, type Route } from './router';
import type { AppState } from './state/app';
import { clearSession, loadSession } from './state/session';
import { TreeLoader } from './state/tree';
import { errorBox, type View, type ViewCtx } from './views/common';
import { SearchBox } from './views/searchbox';
import { TreeView } from './views/tree';
import { loginView } from './views/login';
import { homeView } from './views/home';
import { envView } from './views/env';
import { hostView } from './views/host';
import { objectView } from './views/object';
import { cliqueView, loadGraphModule } from './views/clique';
import { impactView } from './views/impact';
import { searchView } from './views/search';
import { snapshotsView } from './views/snapshots';
import { diffView } from './views/diff';
import { changeView } from './views/change';
import { scansView } from './views/scans';
import { messagesView } from './views/messages';

const VIEWS: Record<string, View> = {
	home: homeView, env: envView, host: hostView, object: objectView, clique: cliqueView, impact: impactView,
	search: searchView, snapshots: snapshotsView, diff: diffView, change: changeView, scans: scansView,
	messages: messagesView,
};

const NAV: [string, string][] = [
	['env', 'Dashboard'], ['scans', 'Scans'], ['snapshots', 'Snapshots'], ['change', 'Change'], ['messages', 'Messages'],
];

export class Shell {
	private readonly root: HTMLElement;
	private readonly app: AppState;
	private top: HTMLElement | null = null;
	private envSelect: HTMLSelectElement | null = null;
	private search: SearchBox | null = null;
	private counters: HTMLElement | null = null;
	private sidebar: HTMLElement | null = null;
	private nav: HTMLElement | null = null;
	private main: HTMLElement | null = null;
	private tree: TreeView | null = null;
	private treeEnv: string | null = null;
	private dispose: (() => void)[] = [];
	private viewCtl: AbortController | null = null;
	private counterTimer: ReturnType<typeof setInterval> | null = null;
	private countersAt = 0;
	private envsLoaded = false;

	constructor(root: HTMLElement, app: AppState) {
		this.root = root;
		this.app = app;
		app.api.http.onUnauthorized = () => this.signedOut(true);
	}

	start(): void {
		window.addEventListener('hashchange', () => void this.render());
		const s = loadSession(localStorage);
		if (s) {
			this.app.session = s;
			this.app.api.http.token = s.token;
		}
		void this.render();
	}

	go(hash: string): void {
		if (location.hash === hash)
			void this.render();
		else
			location.hash = hash;
	}

	/** The session ended (sign-out, or a 401 from the server). */
	signedOut(expired = false): void {
		const next = location.hash && !location.hash.startsWith('#/login') ? location.hash : '';
		clearSession(localStorage);
		this.app.session = null;
		this.app.api.http.token = null;
		this.app.envs = [];
		this.envsLoaded = false;
		this.teardownFrame();
		location.hash = href('login', undefined, undefined, { next: next || undefined, expired: expired ? '1' : undefined });
	}

	private teardownFrame(): void {
		this.endView();
		this.tree?.destroy();
		this.tree = null;
		this.treeEnv = null;
		if (this.counterTimer)
			clearInterval(this.counterTimer);
		this.counterTimer = null;
		this.top = null;
		this.main = null;
		replace(this.root);
	}

	private endView(): void {
		this.viewCtl?.abort();
		this.viewCtl = null;
		for (const d of this.dispose.splice(0))
			try {
				d();
			} catch {
				/* a view's cleanup never stops the next view */
			}
	}

	private async render(): Promise<void> {
		const route = parseHash(location.hash);
		if (route.name === 'login' || !this.app.session) {
			if (route.name !== 'login') {
				location.replace(href('login', undefined, undefined, { next: location.hash || undefined }));
				return;
			}
			this.teardownFrame();
			const ctl = new AbortController();
			this.viewCtl = ctl;
			const el = h('div');
			this.root.append(el);
			loginView({ app: this.app, route, el, signal: ctl.signal, onDispose: (f) => this.dispose.push(f),
				fullHeight: () => undefined, go: (x) => this.go(x) }, () => { this.envsLoaded = false; });
			return;
		}
		if (!this.envsLoaded) {
			try {
				this.app.envs = await this.app.api.environments();
				this.envsLoaded = true;
			} catch (e) {
				if (e instanceof ApiError && e.status === 401)
					return; /* onUnauthorized moved us to the login page */
				this.frame();
				replace(this.main!, errorBox(e));
				return;
			}
		}
		this.frame();
		const env = route.env ?? (route.name === 'home' ? null : this.app.pickEnv());
		if (route.env && !this.app.envs.some((e) => e.name === route.env)) {
			this.endView();
			replace(this.main!, errorBox(`environment '${route.env}' does not exist or you may not see it`));
			return;
		}
		this.app.env = env ?? this.app.pickEnv();
		this.updateFrame(route);
		this.show(route);
	}

	private frame(): void {
		if (this.top)
			return;
		replace(this.root);
		this.envSelect = h('select', { 'aria-label': 'environment', id: 'env-select' });
		this.envSelect.addEventListener('change', () => this.go(href('env', this.envSelect!.value)));
		const search = new SearchBox(this.app.api, () => this.app.env, (x) => this.go(x));
		this.search = search;
		this.counters = h('div.counters', { 'aria-label': 'messages by level' });
		const signOut = h('button', { id: 'sign-out', type: 'button' }, 'Sign out');
		signOut.addEventListener('click', async () => {
			try {
				await this.app.api.logout();
			} catch {
				/* the token is dropped here whatever the server says */
			}
			this.signedOut();
		});
		this.top = h('header.topbar', null,
			h('a.brand', { href: '#/' }, iconElement('environment', 20, '#9fc3ef'), 'Calipso'),
			this.envSelect, search.el, h('div.spacer'), this.counters,
			h('span.user', null, this.app.session?.user ?? ''), signOut);
		this.nav = h('nav', { 'aria-label': 'pages' });
		this.sidebar = h('aside.sidebar', null, this.nav);
		this.main = h('main.main', { id: 'main' });
		this.root.append(this.top, h('div.body', null, this.sidebar, this.main));
		this.counterTimer = setInterval(() => void this.refreshCounters(), 30000);
		// Graphs draw faster once cytoscape's code is warm: do it while
		// the operator reads the first page (not when a graph is the
		// first page: that one warms it up anyway).
		if (!location.hash.includes('/clique/') && !location.hash.includes('/diff'))
			setTimeout(() => void loadGraphModule().then((m) => m.warmUp()), 1500);
	}

	private updateFrame(route: Route): void {
		const env = this.app.env;
		const sel = this.envSelect!;
		replace(sel, this.app.envs.map((e) => h('option', { value: e.name }, e.name)));
		if (!this.app.envs.length)
			sel.append(h('option', { value: '' }, 'no environment'));
		sel.value = env ?? '';
		replace(this.nav!, h('a', { href: '#/', class: route.name === 'home' ? 'active' : '' }, 'All'),
			env ? NAV.map(([name, label]) => h('a', {
				href: href(name, env), class: route.name === name ? 'active' : '',
			}, label)) : null);
		if (env !== this.treeEnv) {
			this.tree?.el.remove();
			this.tree?.destroy();
			this.tree = null;
			this.treeEnv = env;
			if (env) {
				this.tree = new TreeView(new TreeLoader(this.app.api, env));
				this.sidebar!.append(this.tree.el);
			}
			void this.refreshCounters();
		}
		this.tree?.select(route.id ?? null);
		// Counters follow what the operator just did (a scan writes
		// messages): read again when a page opens, at most every 5 s.
		if (Date.now() - this.countersAt > 5000)
			void this.refreshCounters();
	}

	private async refreshCounters(): Promise<void> {
		const env = this.app.env;
		if (!env || !this.counters)
			return;
		this.countersAt = Date.now();
		try {
			const c = foldCounts(await this.app.api.messageCounts(env));
			replace(this.counters, COUNTERS.map((k) => h('a', {
				class: `counter ${k}${c[k] ? '' : ' zero'}`, href: href('messages', env, undefined, { level: k }),
				title: `${k} messages of ${env}`, 'data-level': k,
			}, `${k} ${c[k]}`)));
		} catch {
			replace(this.counters, h('span.counter.zero', { title: 'messages cannot be read' }, 'messages ?'));
		}
	}

	private show(route: Route): void {
		this.endView();
		this.search?.close();
		const main = this.main!;
		main.className = 'main';
		replace(main);
		const ctl = new AbortController();
		this.viewCtl = ctl;
		const envFree = route.name === 'home';
		const view = VIEWS[route.name];
		const ctx: ViewCtx = {
			app: this.app,
			route: envFree || route.env ? route : { ...route, env: this.app.env ?? undefined },
			el: main,
			signal: ctl.signal,
			onDispose: (f) => this.dispose.push(f),
			fullHeight: (on) => { main.className = on ? 'main full' : 'main'; },
			go: (x) => this.go(x),
		};
		if (!view) {
			main.append(errorBox(`no page at ${location.hash}`));
			return;
		}
		if (!envFree && !ctx.route.env) {
			main.append(h('div.info-box', null, 'You may not see any environment yet: ask an administrator for a view-env role.'));
			return;
		}
		document.title = `Calipso — ${route.name}${ctx.route.env ? ` — ${ctx.route.env}` : ''}`;
		Promise.resolve(view(ctx)).catch((e) => {
			if ((e as Error).name !== 'AbortError')
				main.append(errorBox(e));
		});
	}
}
