// browser.ts - Debian's Chromium driven by playwright-core for the
// end-to-end tests: headless, no sandbox (root), no network of its own
// (no component updates, sync or QUIC), a fresh profile directory per
// browser, removed at the end; every request the page makes is recorded
// with its size; screenshots go to $UI_SCREENSHOTS.

import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './stack';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = path.resolve(ROOT, process.env.UI_SCREENSHOTS ?? 'build-results/ui-screenshots');

export interface Req {
	method: string;
	url: string;
	status: number;
	/** Response headers and body as transferred. */
	bytes: number;
}

export interface Browser {
	context: BrowserContext;
	page: Page;
	requests: Req[];
	close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
	const profile = mkdtempSync(path.join(tmpdir(), 'ui-chromium-'));
	let context: BrowserContext;
	try {
		context = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM,
			headless: true,
			args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
				'--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
			viewport: { width: 1440, height: 900 },
			acceptDownloads: true,
		});
	} catch (e) {
		rmSync(profile, { recursive: true, force: true });
		throw e;
	}
	const page = context.pages()[0] ?? await context.newPage();
	const requests: Req[] = [];
	page.on('requestfinished', async (r) => {
		try {
			const s = await r.sizes();
			const res = await r.response();
			requests.push({ method: r.method(), url: r.url(), status: res?.status() ?? 0, bytes: s.responseBodySize + s.responseHeadersSize });
		} catch {
			/* the page went away */
		}
	});
	page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
	return {
		context, page, requests,
		close: async () => {
			await context.close().catch(() => undefined);
			rmSync(profile, { recursive: true, force: true });
		},
	};
}

export async function shot(page: Page, name: string): Promise<void> {
	mkdirSync(SHOTS, { recursive: true });
	await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

export async function login(page: Page, base: string, user: string, password: string, hash = '#/'): Promise<void> {
	await page.goto(`${base}/${hash}`);
	await page.waitForSelector('#login-form');
	await page.fill('#login-user', user);
	await page.fill('#login-password', password);
	await page.click('#login-submit');
	await page.waitForSelector('header.topbar');
}

/** API requests only (the page's own files left out), as paths with queries. */
export function apiRequests(reqs: Req[]): Req[] {
	return reqs.filter((r) => {
		const p = new URL(r.url).pathname;
		return !(p === '/' || p.startsWith('/assets/') || p.endsWith('.html') || p === '/favicon.ico');
	});
}

/** Requests that would read a whole inventory: a list of objects or
 * links of an environment with no narrowing key, or pages too large. */
export function wholeInventoryRequests(reqs: Req[]): Req[] {
	return apiRequests(reqs).filter((r) => {
		const u = new URL(r.url);
		const q = u.searchParams;
		const size = Number(q.get('page_size') ?? '1000');
		if (u.pathname === '/inventory')
			return !q.has('id') && (size > 200 || !(q.has('parent_id') || q.has('type') || q.has('host') || q.has('name')));
		if (u.pathname === '/links')
			return !q.has('id') && (size > 500 || !(q.has('object_id') || q.has('source_id') || q.has('target_id') || q.has('host')));
		if (u.pathname === '/cliques')
			return !q.has('id') && size > 200;
		return false;
	});
}
