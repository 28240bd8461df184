// login.ts - the sign-in page: user name and password for a token
// (POST /auth/tokens); then back to the address that was asked for.

import { iconElement } from '../graph/icons';
import { h } from '../lib/dom';
import { saveSession } from '../state/session';
import type { ViewCtx } from './common';

export function loginView(ctx: ViewCtx, onLogin: () => void): void {
	const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true, autofocus: true });
	const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
	const msg = h('div', { 'aria-live': 'polite' });
	const submit = h('button.primary', { type: 'submit', id: 'login-submit' }, 'Sign in');
	if (ctx.route.query.expired)
		msg.append(h('div.info-box', null, 'Your session has ended: please sign in again.'));
	const form = h('form.login', { id: 'login-form' },
		h('h1', null, iconElement('environment', 26, '#1a5fb4'), 'Calipso'),
		h('div.muted.small', { style: { textAlign: 'center' } }, 'Virtual networking, focal point first'),
		h('label', { for: 'login-user' }, 'User'), user,
		h('label', { for: 'login-password' }, 'Password'), pass,
		submit, msg);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		submit.disabled = true;
		msg.replaceChildren();
		try {
			const t = await ctx.app.api.login(user.value.trim(), pass.value);
			const expires = (t.expires_at ?? t.expires) as string | undefined;
			const s = { token: t.token, user: String(t.user ?? user.value.trim()), expires: typeof expires === 'string' ? expires : undefined };
			saveSession(localStorage, s);
			ctx.app.session = s;
			ctx.app.api.http.token = s.token;
			onLogin();
			const next = ctx.route.query.next;
			ctx.go(next && next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/');
		} catch (err) {
			msg.append(h('div.error-box', { role: 'alert' }, (err as Error).message));
			submit.disabled = false;
			pass.select();
		}
	});
	ctx.el.append(form);
	user.focus();
}
