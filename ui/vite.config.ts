// Builds the UI into ui/dist: static files that `calipso serve --ui-dir ui/dist`
// serves at /.  Everything is bundled (no asset is fetched from elsewhere at
// run time); relative base so the files work from any mount point.
import { defineConfig } from 'vite';

export default defineConfig({
	base: './',
	build: {
		outDir: 'dist',
		emptyOutDir: true,
		target: 'es2022',
		assetsInlineLimit: 0,
		chunkSizeWarningLimit: 1200,
		sourcemap: false,
	},
	server: {
		// `npm run dev` proxies the API to a running `calipso serve`.
		proxy: Object.fromEntries(
			['/auth', '/inventory', '/links', '/cliques', '/clique_types', '/messages', '/scans',
				'/scheduled_scans', '/constants', '/environment_configs', '/search', '/impact',
				'/snapshots', '/diff', '/designs', '/reports', '/health', '/openapi.json']
				.map((p) => [p, process.env.CALIPSO_URL ?? 'http://127.0.0.1:8747'])),
	},
});
