// icons.ts - one small SVG icon per object type, drawn here (32x32,
// strokes in one colour) and bundled: the graph uses them as data URIs, the
// tree, search results and tables inline.  No icon font, nothing fetched.

const S = (body: string, color: string): string =>
	`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32" ` +
	`fill="none" stroke="${color}" stroke-width="2" stroke-linecap="round" ` +
	`stroke-linejoin="round">${body}</svg>`;

/** The body of each type's icon (inside a 32x32 viewBox). */
const BODIES: Record<string, string> = {
	// A server: two stacked units with lights.
	host: '<rect x="5" y="5" width="22" height="9" rx="1.5"/><rect x="5" y="18" width="22" height="9" rx="1.5"/>' +
		'<circle cx="10" cy="9.5" r="1" fill="currentColor"/><circle cx="10" cy="22.5" r="1" fill="currentColor"/>' +
		'<path d="M15 9.5h8M15 22.5h8"/>',
	// A VM: a screen on a stand.
	instance: '<rect x="4" y="5" width="24" height="16" rx="2"/><path d="M12 27h8M16 21v6"/>' +
		'<path d="M9 10l3 3-3 3M15 16h5"/>',
	// A virtual NIC: a card with its connector pins.
	vnic: '<rect x="5" y="8" width="22" height="13" rx="2"/><path d="M9 21v4M13 21v4M17 21v4M21 21v4"/>' +
		'<rect x="9" y="11" width="7" height="6" rx="1"/>',
	// A network service (DHCP server, router...): a hexagon with a dot.
	vservice: '<path d="M16 3l11 6.5v13L16 29 5 22.5v-13z"/><circle cx="16" cy="16" r="4"/>',
	// A router: a circle with four arrows.
	'vservice:router': '<circle cx="16" cy="16" r="12"/><path d="M16 6v8M13 9l3-3 3 3M16 26v-8M13 23l3 3 3-3' +
		'M6 16h8M9 13l-3 3 3 3M26 16h-8M23 13l3 3-3 3"/>',
	// A DHCP server: a hexagon with an address tag.
	'vservice:dhcp': '<path d="M16 3l11 6.5v13L16 29 5 22.5v-13z"/><path d="M11 13h10M11 17h10M11 21h6"/>',
	// A network: a cloud.
	network: '<path d="M9 24h15a5 5 0 0 0 0-10 7 7 0 0 0-13.5-2A5.5 5.5 0 0 0 9 24z"/>',
	// A Neutron port: a socket.
	port: '<rect x="7" y="7" width="18" height="18" rx="3"/><circle cx="16" cy="16" r="4"/>',
	// A Linux bridge: a bridge deck on pillars.
	vconnector: '<path d="M3 12h26M3 12c4 0 6 6 13 6s9-6 13-6M8 14v10M16 18v6M24 14v10M4 24h24"/>',
	// A virtual switch (OVS): a box with crossing arrows.
	vedge: '<rect x="3" y="7" width="26" height="18" rx="3"/><path d="M8 13h14M19 10l3 3-3 3M24 19H10M13 16l-3 3 3 3"/>',
	// A tunnel endpoint: an arch with a tunnel inside.
	otep: '<path d="M4 27V16a12 12 0 0 1 24 0v11"/><path d="M10 27v-9a6 6 0 0 1 12 0v9"/><path d="M2 27h28"/>',
	// A physical NIC: an RJ45 socket.
	host_pnic: '<path d="M6 8h20v14h-5v4H11v-4H6z"/><path d="M11 12v4M14 12v4M18 12v4M21 12v4"/>',
	// A physical switch: a flat box with ports.
	switch: '<rect x="3" y="9" width="26" height="14" rx="2"/><path d="M7 19h2M11 19h2M15 19h2M19 19h2M23 19h2"/>' +
		'<path d="M8 13h9M14 11l3 2-3 2"/>',
	// A switch port: a small socket.
	switch_pnic: '<path d="M8 9h16v11h-4v4h-8v-4H8z"/><path d="M12 13v3M16 13v3M20 13v3"/>',
	// A tenant: a briefcase.
	project: '<rect x="4" y="10" width="24" height="16" rx="2"/><path d="M12 10V7h8v3M4 17h24"/>',
	// A region: a globe.
	region: '<circle cx="16" cy="16" r="12"/><path d="M4 16h24M16 4c-4 4-4 20 0 24M16 4c4 4 4 20 0 24"/>',
	// An availability zone: a dashed enclosure with a pin.
	availability_zone: '<rect x="4" y="4" width="24" height="24" rx="3" stroke-dasharray="3 3"/>' +
		'<path d="M16 23s-5-5-5-9a5 5 0 0 1 10 0c0 4-5 9-5 9z"/>',
	// An aggregate: stacked boxes.
	aggregate: '<rect x="4" y="14" width="14" height="12" rx="1.5"/><rect x="10" y="9" width="14" height="12" rx="1.5"/>' +
		'<rect x="16" y="4" width="12" height="12" rx="1.5"/>',
	// A Neutron agent: a cog.
	network_agent: '<circle cx="16" cy="16" r="4"/><path d="M16 3v4M16 25v4M3 16h4M25 16h4M6.8 6.8l2.9 2.9' +
		'M22.3 22.3l2.9 2.9M6.8 25.2l2.9-2.9M22.3 9.7l2.9-2.9"/><circle cx="16" cy="16" r="9"/>',
	// An environment: a building of stacked layers.
	environment: '<path d="M16 4L3 10l13 6 13-6z"/><path d="M3 16l13 6 13-6M3 22l13 6 13-6"/>',
	// Anything else (folders and unknown types).
	other: '<path d="M4 9h9l3 3h12v13H4z"/>',
};

export const ICON_TYPES = Object.keys(BODIES);

/** The icon key of an object: its type, or "vservice:<service_type>". */
export function iconKey(type: string, serviceType?: string): string {
	if (type === 'vservice' && serviceType && BODIES[`vservice:${serviceType}`])
		return `vservice:${serviceType}`;
	return BODIES[type] ? type : 'other';
}

/** The drawing of an icon (elements of a 32x32 viewBox) in a colour. */
export function iconBody(key: string, color = '#1f2a37'): string {
	return (BODIES[key] ?? BODIES.other).replaceAll('currentColor', color);
}

/** The SVG text of an icon in a colour. */
export function iconSvg(key: string, color = '#1f2a37'): string {
	return S((BODIES[key] ?? BODIES.other).replaceAll('currentColor', color), color);
}

const uriCache = new Map<string, string>();

/** The icon as a data: URI (cached: the graph asks once per node). */
export function iconUri(key: string, color = '#1f2a37'): string {
	const k = `${key}|${color}`;
	let u = uriCache.get(k);
	if (!u) {
		u = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(iconSvg(key, color))}`;
		uriCache.set(k, u);
	}
	return u;
}

/** An <svg> element of the icon, for the DOM (built with DOMParser-free
 * innerHTML on an SVG namespace element: the text is our own constant). */
export function iconElement(key: string, size = 16, color = 'currentColor'): SVGSVGElement {
	const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
	svg.setAttribute('viewBox', '0 0 32 32');
	svg.setAttribute('width', String(size));
	svg.setAttribute('height', String(size));
	svg.setAttribute('fill', 'none');
	svg.setAttribute('stroke', color);
	svg.setAttribute('stroke-width', '2.4');
	svg.setAttribute('stroke-linecap', 'round');
	svg.setAttribute('stroke-linejoin', 'round');
	svg.setAttribute('class', 'icon');
	svg.setAttribute('aria-hidden', 'true');
	svg.innerHTML = BODIES[key] ?? BODIES.other;
	return svg;
}
