// End-to-end tests: Chromium against `calipso serve` on the lab
// (e2e/setup.ts starts and stops everything).  One file at a time: the
// machine has two cores and the browser and the server share them.
import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		root: new URL('..', import.meta.url).pathname,
		include: ['e2e/**/*.e2e.test.ts'],
		globalSetup: ['e2e/setup.ts'],
		environment: 'node',
		testTimeout: 90000,
		hookTimeout: 900000,
		fileParallelism: false,
		sequence: { concurrent: false },
	},
});
