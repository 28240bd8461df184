import { describe, expect, it } from 'vitest';
import { TreeLoader } from '../src/state/tree';
import { TreeView } from '../src/views/tree';
import { obj } from './fixtures';

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('TreeView', () => {
	it('loads the root, then a host\'s children only when its twisty is clicked', async () => {
		const asked: string[] = [];
		const loader = new TreeLoader({
			async children(_e, parent) {
				asked.push(parent);
				if (parent === 'lab')
					return [obj('host1', 'host', { name: 'host1' }), obj('vxlan-101', 'network')];
				if (parent === 'host1')
					return [obj('host1:vedge:ovs', 'vedge', { name: 'ovs' }), obj('vm-1', 'instance', { name: 'vm1', state: 'running' })];
				return [];
			},
		}, 'lab');
		const view = new TreeView(loader);
		document.body.append(view.el);
		await flush();
		expect(asked).toEqual(['lab']);
		const rows = [...view.el.querySelectorAll('.row[data-id]')].map((r) => r.getAttribute('data-id'));
		expect(rows).toEqual(['host1', 'vxlan-101']);
		const host = view.el.querySelector('.row[data-id="host1"]')!;
		expect(host.querySelector('a')!.getAttribute('href')).toBe('#/env/lab/host/host1');
		(host.querySelector('.twisty') as HTMLElement).click();
		await flush();
		await flush();
		expect(asked).toEqual(['lab', 'host1']);
		const names = [...view.el.querySelectorAll('li[data-key="o:host1"] .row .label')].map((l) => l.textContent);
		expect(names).toEqual(['host1', 'vm1', 'ovs']);
		expect(view.el.querySelector('.row[data-id="vm-1"] .dot')!.classList.contains('ok')).toBe(true);
		view.select('vm-1');
		expect(view.el.querySelector('.row.selected')!.getAttribute('data-id')).toBe('vm-1');
		view.destroy();
		view.el.remove();
	});
});
