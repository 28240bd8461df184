// timing.ts - debounce (search as you type) and "latest only" guards so a
// slow answer to an old request never replaces a newer one.

export interface Debounced<A extends unknown[]> {
	(...args: A): void;
	cancel(): void;
	flush(): void;
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): Debounced<A> {
	let timer: ReturnType<typeof setTimeout> | null = null;
	let last: A | null = null;
	const d = ((...args: A) => {
		last = args;
		if (timer)
			clearTimeout(timer);
		timer = setTimeout(() => {
			timer = null;
			const a = last!;
			last = null;
			fn(...a);
		}, ms);
	}) as Debounced<A>;
	d.cancel = () => {
		if (timer)
			clearTimeout(timer);
		timer = null;
		last = null;
	};
	d.flush = () => {
		if (timer && last) {
			clearTimeout(timer);
			timer = null;
			const a = last;
			last = null;
			fn(...a);
		}
	};
	return d;
}

/** Each call to next() aborts the previous request and returns a signal
 * for the new one; isCurrent(token) tells whether an answer is still wanted. */
export class Latest {
	private ctl: AbortController | null = null;
	private gen = 0;
	next(): { signal: AbortSignal; token: number } {
		this.ctl?.abort();
		this.ctl = new AbortController();
		return { signal: this.ctl.signal, token: ++this.gen };
	}
	isCurrent(token: number): boolean {
		return token === this.gen;
	}
	cancel(): void {
		this.ctl?.abort();
		this.ctl = null;
		this.gen++;
	}
}
