/* libvirt_xml.c - one libvirt domain description (virDomainGetXMLDesc, or
 * a test driver file) into the domain object of the "libvirt" report
 * section: uuid, name, vcpus, memory_kb and the network interfaces.
 *
 * Invariants: pure (parses the bytes it is given with libxml2, no file or
 * network access: XML_PARSE_NONET, no entity substitution, no DTD
 * loading); unknown elements and attributes are skipped.
 * Threading: reentrant (libxml2 is loaded and initialised once, by
 * lv_xml_api(): libvirt_dl.c).
 * Trust: none: the XML comes from a daemon or a file and is fuzzed;
 * malformed XML, a root other than <domain>, a domain without a name and
 * out-of-range numbers are CAL_EPROTO.
 */
#include "discover/discover.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt_dl.h"

/* Domain descriptions are a few kilobytes; anything near this is not one. */
#define LV_XML_MAX ((size_t)16 << 20)

/* xmlFree(p): the deallocator libxml2's variable holds. */
static void lv_xml_free(const struct lv_xml_api *x, void *p)
{
	(*x->free_var)(p);
}

static bool lv_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static const xmlNode *lv_child(const xmlNode *parent, const char *name)
{
	for (const xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
		if (lv_is(c, name))
			return c;
	return NULL;
}

/* A new JSON string of attribute `attr`, or json null when absent. */
static json_t *lv_attr_json(const struct lv_xml_api *x, const xmlNode *n, const char *attr)
{
	xmlChar *v = n ? x->get_prop(n, (const xmlChar *)attr) : NULL;
	json_t *j = v ? json_string((const char *)v) : json_null();

	lv_xml_free(x, v);
	return j ? j : json_null();
}

/* Text content of a child element, trimmed, malloc'ed; NULL when absent. */
static char *lv_child_text(const struct lv_xml_api *x, const xmlNode *parent,
			   const char *name)
{
	const xmlNode *c = lv_child(parent, name);
	xmlChar *t = c ? x->node_get_content(c) : NULL;
	char *s, *b, *e;

	if (!t)
		return NULL;
	b = (char *)t;
	while (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')
		b++;
	e = b + strlen(b);
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;
	s = strndup(b, (size_t)(e - b));
	lv_xml_free(x, t);
	return s;
}

static int lv_parse_ull(unsigned long long *out, const char *s)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return (errno || *end) ? -1 : 0;
}

/* libvirt's memory units (docs: formatdomain "memory"), as KiB. */
static int lv_unit_to_kib(const char *unit, long double *factor)
{
	static const struct {
		const char *name;
		long double kib;
	} units[] = {
		{ "b", 1.0L / 1024 }, { "bytes", 1.0L / 1024 },
		{ "KB", 1000.0L / 1024 }, { "k", 1 }, { "KiB", 1 },
		{ "MB", 1e6L / 1024 }, { "M", 1024 }, { "MiB", 1024 },
		{ "GB", 1e9L / 1024 }, { "G", 1048576 }, { "GiB", 1048576 },
		{ "TB", 1e12L / 1024 }, { "T", 1073741824.0L }, { "TiB", 1073741824.0L },
		{ "PB", 1e15L / 1024 }, { "P", 1099511627776.0L }, { "PiB", 1099511627776.0L },
		{ "EB", 1e18L / 1024 }, { "E", 1125899906842624.0L }, { "EiB", 1125899906842624.0L },
	};

	if (!unit) {
		*factor = 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(unit, units[i].name)) {
			*factor = units[i].kib;
			return 0;
		}
	}
	return -1;
}

/* <currentMemory> (what the guest has) or else <memory>, in KiB; json null
 * when neither is given. */
static int lv_memory(const struct lv_xml_api *x, json_t **out, const xmlNode *dom)
{
	const char *which = lv_child(dom, "currentMemory") ? "currentMemory" : "memory";
	const xmlNode *n = lv_child(dom, which);
	char *text = NULL;
	xmlChar *unit = NULL;
	unsigned long long v;
	long double f, kib;
	int rc = 0;

	*out = NULL;
	if (!n) {
		*out = json_null();
		return 0;
	}
	text = lv_child_text(x, dom, which);
	unit = x->get_prop(n, (const xmlChar *)"unit");
	if (lv_parse_ull(&v, text) < 0 || lv_unit_to_kib((const char *)unit, &f) < 0) {
		rc = cal_error_set(CAL_EPROTO, "domain <%s> is not a size: '%s' unit '%s'", which,
				   text ? text : "", unit ? (const char *)unit : "KiB");
		goto done;
	}
	kib = (long double)v * f;
	if (kib > (long double)LLONG_MAX) {
		rc = cal_error_set(CAL_EPROTO, "domain <%s> is too large", which);
		goto done;
	}
	*out = json_integer((json_int_t)(kib + 0.5L));
done:
	free(text);
	lv_xml_free(x, unit);
	return rc;
}

/* <vcpu current='N'>MAX</vcpu>: the current count when given. */
static int lv_vcpus(const struct lv_xml_api *x, json_t **out, const xmlNode *dom)
{
	const xmlNode *n = lv_child(dom, "vcpu");
	xmlChar *cur = n ? x->get_prop(n, (const xmlChar *)"current") : NULL;
	char *text = cur ? strdup((const char *)cur) : lv_child_text(x, dom, "vcpu");
	unsigned long long v;
	int rc = 0;

	lv_xml_free(x, cur);
	*out = NULL;
	if (!n) {
		*out = json_null();
	} else if (lv_parse_ull(&v, text) < 0 || v > INT_MAX) {
		rc = cal_error_set(CAL_EPROTO, "domain <vcpu> is not a count: '%s'",
				   text ? text : "");
	} else {
		*out = json_integer((json_int_t)v);
	}
	free(text);
	return rc;
}

/* Every attribute of an element into a JSON object (virtualport
 * parameters: interfaceid, profileid, instanceid, typeid, ...). */
static int lv_attrs_into(const struct lv_xml_api *x, json_t *obj, const xmlNode *n)
{
	for (const xmlAttr *a = n ? n->properties : NULL; a; a = a->next) {
		xmlChar *v = x->node_list_get_string(n->doc, a->children, 1);
		json_t *s = json_string(v ? (const char *)v : "");
		int rc = s ? json_object_set_new(obj, (const char *)a->name, s) : -1;

		lv_xml_free(x, v);
		if (rc < 0)
			return cal_error_set(CAL_ENOMEM, "cannot copy virtualport parameters");
	}
	return 0;
}

static int lv_interface(const struct lv_xml_api *x, json_t **out, const xmlNode *n)
{
	const xmlNode *mac = lv_child(n, "mac");
	const xmlNode *src = lv_child(n, "source");
	const xmlNode *tgt = lv_child(n, "target");
	const xmlNode *model = lv_child(n, "model");
	const xmlNode *vp = lv_child(n, "virtualport");
	json_t *iface, *vport = json_null();

	*out = NULL;
	if (vp) {
		vport = json_object();
		if (!vport || json_object_set_new(vport, "type", lv_attr_json(x, vp, "type")) < 0 ||
		    lv_attrs_into(x, vport, lv_child(vp, "parameters")) < 0) {
			json_decref(vport);
			return cal_error_set(CAL_ENOMEM, "cannot build an interface");
		}
	}
	iface = json_pack("{s:o s:o s:o s:o s:o s:o s:o s:o s:o}",
			  "type", lv_attr_json(x, n, "type"),
			  "mac", lv_attr_json(x, mac, "address"),
			  "source_bridge", lv_attr_json(x, src, "bridge"),
			  "source_network", lv_attr_json(x, src, "network"),
			  "source_dev", lv_attr_json(x, src, "dev"),
			  "source_mode", lv_attr_json(x, src, "mode"),
			  "target", lv_attr_json(x, tgt, "dev"),
			  "model", lv_attr_json(x, model, "type"),
			  "virtualport", vport);
	if (!iface)
		return cal_error_set(CAL_ENOMEM, "cannot build an interface");
	*out = iface;
	return 0;
}

static int lv_domain(const struct lv_xml_api *x, json_t **out, const xmlNode *dom)
{
	const xmlNode *devices = lv_child(dom, "devices");
	char *name = lv_child_text(x, dom, "name");
	char *uuid = lv_child_text(x, dom, "uuid");
	json_t *d = NULL, *ifaces = NULL, *vcpus = NULL, *mem = NULL;
	int rc;

	*out = NULL;
	if (!name || !*name) {
		rc = cal_error_set(CAL_EPROTO, "domain XML has no <name>");
		goto done;
	}
	if ((rc = lv_vcpus(x, &vcpus, dom)) < 0 || (rc = lv_memory(x, &mem, dom)) < 0)
		goto done;
	ifaces = json_array();
	/* The state is not in the description: the scan fills it in. */
	d = json_pack("{s:o s:s s:n s:O s:O s:O}",
		      "uuid", uuid ? json_string(uuid) : json_null(), "name", name,
		      "state", "vcpus", vcpus, "memory_kb", mem, "interfaces", ifaces);
	if (!d) {
		/* json_pack also fails on a name that is not UTF-8. */
		rc = cal_error_set(CAL_EPROTO, "domain XML has an unusable <name> or <uuid>");
		goto done;
	}
	for (const xmlNode *c = devices ? devices->children : NULL; c; c = c->next) {
		json_t *iface;

		if (!lv_is(c, "interface"))
			continue;
		rc = lv_interface(x, &iface, c);
		if (rc < 0)
			goto done;
		if (json_array_append_new(ifaces, iface) < 0) {
			rc = cal_error_set(CAL_ENOMEM, "cannot build domain '%s'", name);
			goto done;
		}
	}
	*out = d;
	d = NULL;
	rc = 0;
done:
	json_decref(d);
	json_decref(ifaces);
	json_decref(vcpus);
	json_decref(mem);
	free(name);
	free(uuid);
	return rc;
}

int cal_libvirt_parse_domain_xml(json_t **out, const char *xml, size_t len)
{
	const struct lv_xml_api *x;
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	const xmlNode *root;
	int rc;

	*out = NULL;
	if (!xml || len == 0)
		return cal_error_set(CAL_EPROTO, "empty domain XML");
	if (len > LV_XML_MAX)
		return cal_error_set(CAL_EPROTO, "domain XML of %zu bytes is larger than %zu", len,
				     LV_XML_MAX);
	x = lv_xml_api();
	if (!x)
		return CAL_EIO;
	ctxt = x->new_parser_ctxt();
	if (!ctxt)
		return cal_error_set(CAL_ENOMEM, "cannot create an XML parser");
	doc = x->ctxt_read_memory(ctxt, xml, (int)len, "domain.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				XML_PARSE_NOCDATA);
	if (!doc || !ctxt->wellFormed) {
		const xmlError *e = x->ctxt_get_last_error(ctxt);
		char msg[256] = "not well-formed";

		if (e && e->message) {
			size_t n = strlen(e->message);

			/* libxml2 ends its messages with a newline. */
			snprintf(msg, sizeof(msg), "%.*s", (int)(n && e->message[n - 1] == '\n' ?
								 n - 1 : n), e->message);
		}
		rc = cal_error_set(CAL_EPROTO, "malformed domain XML at line %d: %s",
				   e ? e->line : 0, msg);
		goto done;
	}
	/* libvirt never writes a DTD; refusing one keeps entity expansion
	 * (and its amplification) out of reach. */
	if (doc->intSubset || doc->extSubset) {
		rc = cal_error_set(CAL_EPROTO, "domain XML carries a DTD");
		goto done;
	}
	root = x->doc_get_root_element(doc);
	if (!lv_is(root, "domain")) {
		rc = cal_error_set(CAL_EPROTO, "XML root is <%s>, not <domain>",
				   root ? (const char *)root->name : "");
		goto done;
	}
	rc = lv_domain(x, out, root);
done:
	x->free_doc(doc);
	x->free_parser_ctxt(ctxt);
	return rc;
}
