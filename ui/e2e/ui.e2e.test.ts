// ui.e2e.test.ts - the operator's walk through the UI on the lab, in
// Chromium against `calipso serve`: an unauthenticated visit lands on the
// login page; log in; environments a user may not see are not shown;
// search a VM and open its clique graph (the nodes and edges drawn are
// those `calipso clique ID --json` prints); hover, collapse, export; the
// lazy tree; a host dashboard; a scan run from the UI to completion; two
// snapshots around a change compared (table and marked graph); impact;
// messages; sign-out.  Every view is photographed; no request of the
// run reads a whole inventory.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiRequests, launch, login, shot, wholeInventoryRequests, type Browser } from './browser';
import { calipso, lab, type StackInfo } from './stack';

let s: StackInfo;
let b: Browser;
let vm3 = '';

interface Drawn { nodes: string[]; boxes: string[]; edges: { id: string; source: string; target: string; label: string }[] }

async function drawn(): Promise<Drawn> {
	return b.page.evaluate(() => window.__calipsoGraph!.drawn());
}

async function waitGraph(focal: string): Promise<void> {
	await b.page.waitForFunction((f) => !!window.__calipsoGraph && window.__calipsoGraph.focal === f &&
		window.__calipsoGraph.timings.firstRenderMs > 0, focal, { timeout: 20000 });
}

/** Where a node is drawn on the page (for the mouse). */
async function nodeOnPage(id: string): Promise<{ x: number; y: number }> {
	return b.page.evaluate((nid) => {
		const g = window.__calipsoGraph!.graph;
		const p = g.cy.getElementById(nid).renderedPosition();
		const r = g.cy.container()!.getBoundingClientRect();
		return { x: r.left + p.x, y: r.top + p.y };
	}, id);
}

beforeAll(async () => {
	s = inject('stack');
	b = await launch();
	const out = JSON.parse(await calipso(s, ['--env', 'lab', 'search', 'vm3', '--json'])) as { id: string; type: string; name: string }[];
	vm3 = out.find((h) => h.type === 'instance' && h.name === 'vm3')!.id;
});

afterAll(async () => {
	const bad = b ? wholeInventoryRequests(b.requests) : [];
	await b?.close();
	expect(bad.map((r) => r.url)).toEqual([]);
});

describe('the lab in the browser', () => {
	it('an unauthenticated visit lands on the login page, then comes back after login', async () => {
		await b.page.goto(`${s.base}/#/env/lab`);
		await b.page.waitForSelector('#login-form');
		expect(b.page.url()).toContain('#/login');
		expect(await b.page.isVisible('header.topbar')).toBe(false);
		await shot(b.page, '01-login');
		// A wrong password is refused on the page.
		await b.page.fill('#login-user', 'noc');
		await b.page.fill('#login-password', 'wrong-password');
		await b.page.click('#login-submit');
		await b.page.waitForSelector('.login .error-box');
		await b.page.fill('#login-password', s.users.noc.password);
		await b.page.click('#login-submit');
		await b.page.waitForSelector('header.topbar');
		await b.page.waitForFunction(() => location.hash === '#/env/lab');
		await b.page.waitForSelector('.cards .card');
	});

	it('shows only the environments the user may see', async () => {
		await b.page.goto(`${s.base}/#/`);
		await b.page.waitForSelector('section.envcard .cards .card');
		const envs = await b.page.$$eval('#env-select option', (os) => os.map((o) => (o as HTMLOptionElement).value));
		expect(envs.sort()).toEqual(['dense', 'lab', ...(s.bigSim ? ['sim'] : [])].sort());
		const cards = await b.page.$$eval('section.envcard', (es) => es.map((e) => e.getAttribute('data-env')));
		expect(cards).not.toContain('hidden');
		// The lab's card counts its 12 VMs and says its last scan completed.
		const vms = await b.page.textContent('section.envcard[data-env="lab"] .card[data-type="instance"] .num');
		expect(Number(vms)).toBeGreaterThanOrEqual(12);
		expect(await b.page.textContent('section.envcard[data-env="lab"]')).toContain('completed');
		await shot(b.page, '02-environments');
		await b.page.goto(`${s.base}/#/env/hidden`);
		await b.page.waitForSelector('.error-box');
		expect(await b.page.textContent('.error-box')).toContain('may not see');
	});

	it('search as you type finds a VM by name and opens its clique graph', async () => {
		await b.page.goto(`${s.base}/#/env/lab`);
		await b.page.waitForSelector('.cards .card');
		const before = b.requests.length;
		await b.page.click('.searchbox input');
		await b.page.keyboard.type('vm3', { delay: 20 });
		await b.page.waitForSelector(`.search-results .hit[data-id="${vm3}"]`);
		// Debounced: fewer search requests than keystrokes (one, unless the
		// machine stalls the typing).
		const searches = apiRequests(b.requests.slice(before)).filter((r) => new URL(r.url).pathname === '/search');
		expect(searches.length).toBeGreaterThanOrEqual(1);
		expect(searches.length).toBeLessThan(3);
		const hit = await b.page.textContent(`.search-results .hit[data-id="${vm3}"]`);
		expect(hit).toContain('instance');
		expect(hit).toContain('/lab/host1/vm3');
		await shot(b.page, '03-search');
		await b.page.click(`.search-results .hit[data-id="${vm3}"]`);
		await waitGraph(vm3);
		await b.page.waitForTimeout(300);
		await shot(b.page, '04-clique-vm3');
	});

	it('draws exactly the clique the CLI prints: its nodes, its links with their names, in host boxes', async () => {
		const cli = JSON.parse(await calipso(s, ['--env', 'lab', 'clique', vm3, '--json'])) as {
			nodes: { id: string; host?: string; type: string }[]; links: { source_id: string; target_id: string; link_name?: string }[];
		};
		const d = await drawn();
		expect(d.nodes.sort()).toEqual(cli.nodes.map((n) => n.id).sort());
		expect(d.edges.map((e) => `${e.source}>${e.target}:${e.label}`).sort())
			.toEqual(cli.links.map((l) => `${l.source_id}>${l.target_id}:${l.link_name ?? ''}`).sort());
		const hosts = [...new Set(cli.nodes.filter((n) => n.type !== 'network' && !n.type.startsWith('switch')).map((n) => n.host))];
		for (const h of hosts)
			expect(d.boxes).toContain(`box:host:${h}`);
	});

	it('hover shows the key attributes; click selects; a host collapses and expands; zoom and fit', async () => {
		const vnic = (await drawn()).nodes.find((n) => n.includes(':vnic:'))!;
		const p = await nodeOnPage(vnic);
		await b.page.mouse.move(p.x, p.y);
		await b.page.waitForSelector('.hovercard', { state: 'visible' });
		const card = await b.page.textContent('.hovercard');
		expect(card).toContain('mac_address');
		expect(card).toContain('host1');
		await shot(b.page, '05-hover-card');
		await b.page.mouse.click(p.x, p.y);
		await b.page.waitForSelector('.graph-side h2');
		expect(await b.page.textContent('.graph-side')).toContain('open');
		const all = (await drawn()).nodes.length;
		await b.page.click('#g-collapse');
		let d = await drawn();
		expect(d.nodes.every((n) => !n.startsWith('host1:') && n !== vm3)).toBe(true);
		expect(d.nodes.length).toBeLessThan(all);
		expect(d.edges.some((e) => e.source === 'box:host:host1' || e.target === 'box:host:host1')).toBe(true);
		await shot(b.page, '06-clique-collapsed');
		await b.page.click('#g-expand');
		d = await drawn();
		expect(d.nodes.length).toBe(all);
		const z0 = await b.page.evaluate(() => window.__calipsoGraph!.graph.cy.zoom());
		await b.page.click('#g-zoom-in');
		expect(await b.page.evaluate(() => window.__calipsoGraph!.graph.cy.zoom())).toBeGreaterThan(z0);
		await b.page.click('#g-fit');
	});

	it('exports the graph as SVG and PNG', async () => {
		const [svg] = await Promise.all([b.page.waitForEvent('download'), b.page.click('#g-svg')]);
		const text = readFileSync((await svg.path())!, 'utf8');
		expect(svg.suggestedFilename()).toMatch(/\.svg$/);
		expect(text).toContain('<svg');
		expect(text).toContain('vm3');
		expect((text.match(/class="node"/g) ?? []).length).toBe((await drawn()).nodes.length);
		const [png] = await Promise.all([b.page.waitForEvent('download'), b.page.click('#g-png')]);
		const bytes = readFileSync((await png.path())!);
		expect(bytes.subarray(1, 4).toString()).toBe('PNG');
		expect(bytes.length).toBeGreaterThan(5000);
	});

	it('the tree loads children one node at a time, and opens a host dashboard', async () => {
		const before = b.requests.length;
		await b.page.click('.tree .row[data-id="host1"] .twisty');
		// host1 holds objects of many types: one folder per type.
		await b.page.click('.tree li[data-key="o:host1"] .row.folder[data-type="instance"]');
		await b.page.waitForSelector(`.tree .row[data-id="${vm3}"]`);
		const asked = apiRequests(b.requests.slice(before)).map((r) => new URL(r.url));
		expect(asked.some((u) => u.pathname === '/inventory' && u.searchParams.get('parent_id') === 'host1')).toBe(true);
		await b.page.click('.tree .row[data-id="host1"] a');
		await b.page.waitForSelector('section[data-section="instance"] tbody tr');
		const rows = await b.page.$$eval('section[data-section="instance"] tbody tr', (rs) => rs.map((r) => r.textContent ?? ''));
		expect(rows.some((r) => r.includes('vm3'))).toBe(true);
		for (const sec of ['vnic', 'vconnector', 'vedge', 'host_pnic', 'otep'])
			await b.page.waitForSelector(`section[data-section="${sec}"] tbody tr .badge`);
		expect(await b.page.textContent('section[data-section="host_pnic"]')).toContain('eth0');
		await shot(b.page, '07-host-dashboard');
	});

	it('an object page shows breadcrumbs, attributes and links', async () => {
		await b.page.goto(`${s.base}/#/env/lab/object/${encodeURIComponent(vm3)}`);
		await b.page.waitForSelector('table.attrs');
		expect(await b.page.textContent('.crumbs')).toContain('host1');
		await b.page.waitForSelector('section table.table tbody tr td');
		expect(await b.page.textContent('main')).toContain('instance-vnic');
		await shot(b.page, '08-object');
	});

	it('a scan started from the environment dashboard runs to completion', async () => {
		await b.page.goto(`${s.base}/#/env/lab`);
		await b.page.waitForSelector('#scan-env');
		await b.page.click('#scan-env');
		await b.page.waitForSelector('.scanline');
		await shot(b.page, '09-scan-running');
		await b.page.waitForSelector('.scanline[data-status="completed"]', { timeout: 60000 });
		await shot(b.page, '10-scan-completed');
	});

	it('the scans page queues a scan with options and keeps schedules with their next run', async () => {
		await b.page.goto(`${s.base}/#/env/lab/scans`);
		await b.page.waitForSelector('#scan-form');
		await b.page.selectOption('#scan-only', 'scan_only_links');
		await b.page.click('#scan-queue');
		await b.page.waitForSelector('#scan-progress .scanline[data-status="completed"]', { timeout: 60000 });
		expect(await b.page.textContent('#scan-progress')).toContain('links only');
		await b.page.selectOption('#sched-kind', 'cron');
		await b.page.fill('#sched-cron', '0 0 * * 0');
		await b.page.fill('#sched-tz', 'UTC');
		await b.page.click('#sched-form button[type="submit"]');
		await b.page.waitForSelector('#schedules tbody tr');
		const row = await b.page.textContent('#schedules tbody tr');
		expect(row).toContain('0 0 * * 0');
		expect(row).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d/); /* its next run */
		// A weekly snapshot of vm3's clique, after a scan.
		await b.page.selectOption('#ssched-freq', 'WEEKLY');
		await b.page.fill('#ssched-prefix', 'weekly');
		await b.page.fill('#ssched-clique', vm3);
		await b.page.check('#ssched-scan');
		await b.page.click('#ssched-form button[type="submit"]');
		await b.page.waitForSelector('#snapshot-schedules tbody tr');
		const srow = await b.page.textContent('#snapshot-schedules tbody tr');
		expect(srow).toContain('weekly');
		expect(srow).toContain(vm3);
		expect(srow).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d/);
		await shot(b.page, '11-scans');
		await b.page.click('#schedules tbody tr button.danger');
		await b.page.waitForSelector('#schedules', { state: 'detached' });
		await b.page.click('#snapshot-schedules tbody tr button.danger');
		await b.page.waitForSelector('#snapshot-schedules', { state: 'detached' });
	});

	it('two snapshots around a change compare as a table of changes and a marked graph', async () => {
		await b.page.goto(`${s.base}/#/env/lab/snapshots`);
		await b.page.waitForSelector('#snap-form');
		await b.page.fill('#snap-name', 'ui-before');
		await b.page.click('#snap-create');
		await b.page.waitForSelector('tr[data-snapshot="ui-before"]');
		// The change: a VM added on host2, then a scan from the UI.
		await lab(s.labPrefix, ['vm-add', 'vm13', '--host', 'host2', '--network', 'net1']);
		await b.page.goto(`${s.base}/#/env/lab`);
		await b.page.click('#scan-env');
		await b.page.waitForSelector('.scanline[data-status="completed"]', { timeout: 60000 });
		await b.page.goto(`${s.base}/#/env/lab/snapshots`);
		await b.page.waitForSelector('#snap-form');
		await b.page.fill('#snap-name', 'ui-after');
		await b.page.click('#snap-create');
		await b.page.waitForSelector('tr[data-snapshot="ui-after"]');
		await shot(b.page, '12-snapshots');
		await b.page.check('tr[data-snapshot="ui-before"] input[type="checkbox"]');
		await b.page.check('tr[data-snapshot="ui-after"] input[type="checkbox"]');
		await b.page.click('#cmp-selected');
		await b.page.waitForSelector('#diff-summary');
		const added = await b.page.$$eval('#diff-objects tr[data-change="added"]', (rs) => rs.map((r) => r.textContent ?? ''));
		expect(added.some((r) => r.includes('vm13'))).toBe(true);
		expect(Number(await b.page.textContent('#diff-summary .card[data-key="objects_added"] .num'))).toBeGreaterThanOrEqual(2);
		await shot(b.page, '13-diff-table');
		// The network's clique gained the VM: its graph marks it added.
		const vm13 = (JSON.parse(await calipso(s, ['--env', 'lab', 'search', 'vm13', '--json'])) as { id: string; type: string }[])
			.find((h) => h.type === 'instance')!.id;
		await b.page.goto(`${s.base}/#/env/lab/diff?a=ui-before&b=ui-after&scope=${encodeURIComponent('clique:vxlan-101')}&view=graph`);
		await waitGraph('vxlan-101');
		expect(await b.page.evaluate((id) => window.__calipsoGraph!.graph.cy.getElementById(id).hasClass('m-added'), vm13)).toBe(true);
		await b.page.waitForTimeout(300);
		await shot(b.page, '14-diff-graph');
	});

	it('a design saved from the first snapshot shows the drift of live', async () => {
		await b.page.goto(`${s.base}/#/env/lab/snapshots`);
		await b.page.waitForSelector('#design-form');
		await b.page.fill('#design-name', 'ui-design');
		await b.page.selectOption('#design-from', 'ui-before');
		await b.page.click('#design-form button[type="submit"]');
		await b.page.waitForSelector('tr[data-design="ui-design"]');
		await b.page.click('tr[data-design="ui-design"] a');
		await b.page.waitForSelector('#diff-summary');
		expect(await b.page.textContent('h1')).toContain('design:ui-design');
		const added = await b.page.$$eval('#diff-objects tr[data-change="added"]', (rs) => rs.map((r) => r.textContent ?? ''));
		expect(added.some((r) => r.includes('vm13'))).toBe(true);
		await shot(b.page, '15-design-drift');
	});

	it('impact lists the focal points a host NIC carries, and which lose their path if it goes down', async () => {
		const id = 'host2:host_pnic:eth0';
		const cli = JSON.parse(await calipso(s, ['--env', 'lab', 'impact', id, '--what-if', 'down', '--json'])) as {
			affected: { focal_point: string }[]; lost?: string[];
		};
		await b.page.goto(`${s.base}/#/env/lab/impact/${encodeURIComponent(id)}?what_if=down`);
		await b.page.waitForSelector('#impact-count');
		expect(Number(await b.page.textContent('#impact-count'))).toBe(cli.affected.length);
		expect(Number(await b.page.textContent('#impact-lost'))).toBe((cli.lost ?? []).length);
		const shown = await b.page.$$eval('table[data-group="by_host"] [data-focal]', (es) => [...new Set(es.map((e) => e.getAttribute('data-focal')))]);
		expect(shown.sort()).toEqual(cli.affected.map((a) => a.focal_point).sort());
		await shot(b.page, '16-impact');
	});

	it('messages are counted in the top bar and listed with their objects', async () => {
		await b.page.goto(`${s.base}/#/env/lab/messages`);
		await b.page.waitForSelector('#messages tbody tr');
		expect(await b.page.textContent('#messages')).toContain('scan');
		// The top bar counts them: at least the scans' own messages.
		await b.page.waitForFunction(() => Number((document.querySelector('.counter[data-level="info"]')?.textContent ?? '')
			.replace(/\D+/g, '')) > 0, undefined, { timeout: 10000 });
		await shot(b.page, '17-messages');
	});

	it('the pre/post-change flow snapshots a clique and compares it', async () => {
		await b.page.goto(`${s.base}/#/env/lab/change?focal=${encodeURIComponent(vm3)}`);
		await b.page.waitForSelector('#change-pre');
		await b.page.uncheck('#change-scan');
		await b.page.click('#change-pre');
		await b.page.waitForSelector('#change-pre-name');
		await b.page.click('#change-compare');
		await b.page.waitForSelector('#change-results .change-result');
		expect(await b.page.getAttribute('#change-results .change-result', 'data-equal')).toBe('1');
		await b.page.click('#change-schedule');
		await b.page.waitForFunction(() => document.querySelector('#change-schedule')?.parentElement?.parentElement?.textContent?.includes('scheduled'));
		const scheds = await fetch(`${s.base}/scheduled_snapshots?env_name=lab`, {
			headers: { 'X-Auth-Token': await b.page.evaluate(() => JSON.parse(localStorage.getItem('calipso.session')!).token as string) },
		}).then((r) => r.json()) as { scheduled_snapshots: { cron?: string }[] };
		expect(scheds.scheduled_snapshots.some((x) => x.cron === '*/10 * * * *')).toBe(true);
		await shot(b.page, '18-change');
	});

	it('a user limited to another environment sees only it; signing out revokes the token', async () => {
		const token = await b.page.evaluate(() => JSON.parse(localStorage.getItem('calipso.session')!).token as string);
		await b.page.click('#sign-out');
		await b.page.waitForSelector('#login-form');
		const r = await fetch(`${s.base}/health`, { headers: { 'X-Auth-Token': token } });
		expect(r.status).toBe(401);
		await login(b.page, s.base, 'viewer', s.users.viewer.password);
		await b.page.waitForSelector('section.envcard');
		const envs = await b.page.$$eval('#env-select option', (os) => os.map((o) => (o as HTMLOptionElement).value));
		expect(envs).toEqual(['dense']);
		await b.page.goto(`${s.base}/#/env/lab`);
		await b.page.waitForSelector('.error-box');
		await shot(b.page, '19-viewer');
		await b.page.click('#sign-out');
		await b.page.waitForSelector('#login-form');
	});
});
