// paths.ts - breadcrumbs of an object from its name_path and id_path
// ("/lab/host1/qdhcp-x/qdhcp-x/ns-1"), which join names and ids with '/'
// although names and ids may contain '/' themselves (an interface inside
// a namespace is named "<namespace>/<device>").  The object's own id and
// name and its parent's id are known exactly, so they are taken off the
// ends first; what is left above the parent splits on '/' (hosts,
// regions, projects and environments have no '/').

import type { InvObject } from '../api/types';

export interface Crumb {
	id: string | null; /* null: a level whose id is not known */
	name: string;
	type?: string;
}

function stripSuffix(s: string, suffix: string): string | null {
	if (suffix && s.endsWith(`/${suffix}`))
		return s.slice(0, s.length - suffix.length - 1);
	return null;
}

/** Crumbs from the environment down to the object itself (included). */
export function breadcrumbs(o: InvObject): Crumb[] {
	const self: Crumb = { id: o.id, name: o.name, type: o.type };
	const idPath = o.id_path ?? '', namePath = o.name_path ?? '';
	let ids = stripSuffix(idPath, o.id);
	let names = stripSuffix(namePath, o.name);
	if (ids === null || names === null)
		return naive(idPath, namePath, self);
	// The environment: the first element of both.
	const env = ids.split('/')[1] ?? '';
	const out: Crumb[] = [{ id: null, name: env, type: 'environment' }];
	if (ids === `/${env}` || !o.parent_id || o.parent_type === 'environment')
		return [...out, self];
	const pid = o.parent_id;
	const above = stripSuffix(ids, pid);
	if (above === null)
		return naive(idPath, namePath, self);
	const aboveIds = above.split('/').slice(2);
	const nameParts = names.split('/').slice(2);
	// Names of the levels above the parent, one segment each; the
	// parent's name is the rest (it may hold '/').
	const aboveNames = nameParts.slice(0, aboveIds.length);
	const parentName = nameParts.slice(aboveIds.length).join('/') || pid;
	aboveIds.forEach((id, i) => out.push({ id, name: aboveNames[i] ?? id }));
	out.push({ id: pid, name: parentName, type: o.parent_type });
	out.push(self);
	return out;
}

function naive(idPath: string, namePath: string, self: Crumb): Crumb[] {
	const ids = idPath.split('/').slice(1), names = namePath.split('/').slice(1);
	const out: Crumb[] = [];
	if (ids.length === names.length && ids.length > 0) {
		ids.forEach((id, i) => out.push({ id: i === 0 ? null : id, name: names[i] }));
		out[out.length - 1] = self;
		return out;
	}
	if (names.length)
		out.push({ id: null, name: names[0], type: 'environment' });
	out.push(self);
	return out;
}
