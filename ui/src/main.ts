// main.ts - the UI's entry point: one API client (same origin as the
// page: `calipso serve` serves both), the shared state, the shell.

import './styles.css';
import { CalipsoApi } from './api/client';
import { Shell } from './shell';
import { AppState } from './state/app';

declare global {
	interface Window { __calipso?: { app: AppState } }
}

const app = new AppState(new CalipsoApi(''));
window.__calipso = { app };
new Shell(document.getElementById('app')!, app).start();
