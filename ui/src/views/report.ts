// report.ts - reports open in a new tab: the request carries the
// session's token (a plain link could not), and the HTML the server made
// is shown from a blob: address.

import type { CalipsoApi } from '../api/client';
import type { Query } from '../api/http';
import { h } from '../lib/dom';

export function reportLink(api: CalipsoApi, env: string, q: Query, label = 'report', id?: string): HTMLElement {
	const a = h('a', { href: '#', id: id ?? null, title: 'the report the server makes, in a new tab' }, label);
	a.addEventListener('click', async (e) => {
		e.preventDefault();
		// Opened now, while the click still allows it; filled when the
		// report arrives.
		const w = window.open('', '_blank');
		try {
			const html = await api.report(env, { format: 'html', ...q });
			const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
			if (w)
				w.location.href = url;
			else
				window.location.href = url;
		} catch (err) {
			w?.close();
			a.after(h('div.error-box', null, (err as Error).message));
		}
	});
	return a;
}
