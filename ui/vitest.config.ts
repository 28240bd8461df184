// Unit tests of the UI's logic (tests/*.test.ts); the end-to-end tests have
// their own configuration (e2e/vitest.config.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['tests/**/*.test.ts'],
		environment: 'happy-dom',
	},
});
