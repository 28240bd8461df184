// stack.ts - what the end-to-end tests run against, started and stopped
// by e2e/setup.ts: the lab (prefix "ui") scanned into a temporary
// database, two simulated clouds (a dense one whose network cliques have
// about 500 objects, and the 1,000-host, 20,000-VM cloud), users with
// different roles, and `calipso serve` on 127.0.0.1 serving ui/dist.
// Everything it starts is stopped, and everything it makes is removed,
// even when a step fails half way.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(UI_DIR, '..');
/** The lab's name prefix: "ui" and the process id of the run (vitest's
 * main process, where the setup runs; test files get it from the stack's
 * info), so that two runs (a developer's and a CI clone's) never share a
 * lab. */
export function labPrefix(): string {
	return process.env.UI_LAB_PREFIX ?? `ui${process.pid}`.slice(0, 10);
}
export const PY = '/usr/bin/python3';

export interface StackInfo {
	base: string;
	bin: string;
	labPrefix: string;
	db: string;
	tmp: string;
	users: Record<string, { password: string; roles: string[] }>;
	envs: string[];
	/** The 20,000-VM cloud is there (UI_E2E_SIM_VMS=0 leaves it out). */
	bigSim: boolean;
	denseFocal: string;
	timings: Record<string, number>;
}

export function calipsoBin(): string {
	return path.resolve(ROOT, process.env.CALIPSO_BIN ?? 'build/src/cli/calipso');
}

export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = execFile(cmd, args, {
			timeout: opts.timeoutMs ?? 120000, maxBuffer: 256 * 1024 * 1024, cwd: opts.cwd ?? ROOT,
			env: { ...process.env },
		}, (err, stdout, stderr) => {
			if (err)
				reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
			else
				resolve(stdout);
		});
		if (opts.input !== undefined) {
			child.stdin?.write(opts.input);
			child.stdin?.end();
		}
	});
}

export function calipso(info: Pick<StackInfo, 'bin' | 'db'>, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
	return run(info.bin, ['--db', info.db, ...args], opts);
}

export function lab(prefix: string, args: string[], timeoutMs = 180000): Promise<string> {
	return run(PY, [path.join(ROOT, 'lab/lab.py'), ...args, '--prefix', prefix], { timeoutMs });
}

/** Labs of earlier runs whose process died without tearing them down
 * (ui<pid> whose node process is gone): removed before a new run. */
export async function removeStaleLabs(): Promise<string[]> {
	let names: string[] = [];
	try {
		names = readdirSync('/run/calipso-lab');
	} catch {
		return [];
	}
	const removed: string[] = [];
	for (const n of names) {
		const m = /^ui(\d+)$/.exec(n);
		if (!m || Number(m[1]) === process.pid)
			continue;
		let alive = false;
		try {
			alive = readFileSync(`/proc/${m[1]}/cmdline`, 'utf8').includes('node');
		} catch {
			alive = false;
		}
		if (alive)
			continue;
		await run(PY, [path.join(ROOT, 'lab/lab.py'), 'down', '--prefix', n]).catch(() => undefined);
		removed.push(n);
	}
	return removed;
}

export class Stack {
	info: StackInfo;
	private server: ChildProcess | null = null;
	private labUp = false;

	constructor() {
		const tmp = mkdtempSync(path.join(tmpdir(), 'ui-e2e-'));
		this.info = {
			base: '', bin: calipsoBin(), labPrefix: labPrefix(), db: path.join(tmp, 'calipso.db'), tmp, envs: [], bigSim: false, denseFocal: '',
			users: {
				noc: { password: 'noc-password-1', roles: ['edit-env:lab', 'view-env:dense', 'view-env:sim'] },
				viewer: { password: 'viewer-password-1', roles: ['view-env:dense'] },
			},
			timings: {},
		};
	}

	private async timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
		const t0 = Date.now();
		try {
			return await fn();
		} finally {
			this.info.timings[name] = (Date.now() - t0) / 1000;
		}
	}

	async start(): Promise<StackInfo> {
		const i = this.info;
		if (!existsSync(i.bin))
			throw new Error(`no calipso binary at ${i.bin}: build it (ninja -C build) or set CALIPSO_BIN`);
		if (!existsSync(path.join(UI_DIR, 'dist/index.html')))
			throw new Error('ui/dist is not built: npm run build');
		for (const p of await removeStaleLabs())
			console.log(`e2e: removed the stale lab ${p} of a dead run`);
		this.labUp = true; /* whatever `up` left is removed by stop() */
		// --restore: a lab left changed (a VM added by an interrupted run) is
		// brought back to the built one.
		await this.timed('lab up', () => lab(i.labPrefix, ['up', '--restore']));
		await this.timed('lab scan', async () => {
			await calipso(i, ['env', 'add', 'lab', '--config', `/run/calipso-lab/${i.labPrefix}/environment.json`]);
			await calipso(i, ['--env', 'lab', 'scan']);
		});
		await this.timed('dense sim', () => calipso(i, ['sim', '--hosts', '50', '--vms', '560', '--networks', '4', '--env', 'dense']));
		i.denseFocal = 'vxlan-1000';
		const vms = Number(process.env.UI_E2E_SIM_VMS ?? '20000');
		if (vms > 0) {
			const hosts = Math.max(1, Math.round(vms / 20)), nets = Math.max(1, Math.round(vms / 10));
			await this.timed('big sim', () => calipso(i, ['sim', '--hosts', String(hosts), '--vms', String(vms),
				'--networks', String(nets), '--env', 'sim'], { timeoutMs: 600000 }));
			i.bigSim = true;
		}
		// An environment nobody but an admin sees.
		await calipso(i, ['sim', '--hosts', '2', '--vms', '2', '--networks', '1', '--env', 'hidden']);
		i.envs = ['lab', 'dense', ...(i.bigSim ? ['sim'] : []), 'hidden'];
		for (const [name, u] of Object.entries(i.users))
			await calipso(i, ['user', 'add', name, ...u.roles.flatMap((r) => ['--role', r]), '--password-stdin'],
				{ input: `${u.password}\n` });
		await this.timed('serve', () => this.serve());
		return i;
	}

	private serve(): Promise<void> {
		const i = this.info;
		return new Promise((resolve, reject) => {
			const child = spawn(i.bin, ['--db', i.db, 'serve', '--listen', '127.0.0.1:0', '--ui-dir', path.join(UI_DIR, 'dist'),
				'--access-log', path.join(i.tmp, 'access.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
			this.server = child;
			let out = '';
			const timer = setTimeout(() => reject(new Error(`calipso serve did not start: ${out}`)), 30000);
			const onData = (b: Buffer) => {
				out += b.toString();
				const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
				if (m && !i.base) {
					i.base = m[1];
					clearTimeout(timer);
					resolve();
				}
			};
			child.stdout!.on('data', onData);
			child.stderr!.on('data', onData);
			child.on('exit', (code) => {
				if (!i.base) {
					clearTimeout(timer);
					reject(new Error(`calipso serve exited (${code}): ${out}`));
				}
			});
		});
	}

	async stop(): Promise<void> {
		const errors: string[] = [];
		if (this.server && this.server.exitCode === null) {
			const s = this.server;
			await new Promise<void>((resolve) => {
				const t = setTimeout(() => { s.kill('SIGKILL'); }, 15000);
				s.on('exit', () => { clearTimeout(t); resolve(); });
				s.kill('SIGTERM');
			});
		}
		this.server = null;
		if (this.labUp) {
			try {
				await lab(this.info.labPrefix, ['down']);
			} catch (e) {
				errors.push((e as Error).message);
			}
			this.labUp = false;
		}
		if (!process.env.UI_E2E_KEEP)
			rmSync(this.info.tmp, { recursive: true, force: true });
		if (errors.length)
			throw new Error(errors.join('\n'));
	}
}
