// setup.ts - vitest's global setup of the end-to-end tests: starts the
// stack once (stack.ts) for every test file, hands its address and users
// to them, and stops it at the end whatever happened.

import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { Stack, type StackInfo } from './stack';

declare module 'vitest' {
	export interface ProvidedContext {
		stack: StackInfo;
	}
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
	const stack = new Stack();
	try {
		const info = await stack.start();
		console.log(`e2e stack: ${info.base}, environments ${info.envs.join(', ')}; setup seconds: ` +
			Object.entries(info.timings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', '));
		project.provide('stack', info);
	} catch (e) {
		await stack.stop().catch(() => undefined);
		throw e;
	}
	return () => stack.stop();
}
