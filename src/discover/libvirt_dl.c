/* libvirt_dl.c - loads libvirt.so.0 and libxml2.so.2 on first use (see
 * libvirt_dl.h).
 *
 * The generic loader (cal_dl_load, src/core/dl.c) opens each library once
 * and resolves every symbol (a missing one is an error naming it); the
 * init hooks initialise libvirt (and silence its error printing) and
 * libxml2's parser.  The handles are never closed: libvirt keeps threads
 * and state for the life of the process.  libvirt itself needs libxml2:
 * once libvirt is loaded, loading libxml2 finds the same copy.
 */
#include "core/core.h"
#include "libvirt_dl.h"

static struct lv_api lv;
static int (*lv_initialize)(void);
static void (*lv_set_error_func)(void *arg, virErrorFunc fn);

void lv_silent(void *arg, virErrorPtr err)
{
	(void)arg;
	(void)err;
}

static int lv_init(void)
{
	if (lv_initialize() < 0)
		return cal_error_set(CAL_EIO, "cannot initialise libvirt");
	lv_set_error_func(NULL, lv_silent);
	return 0;
}

static const struct cal_dl_sym lv_syms[] = {
	{ "virInitialize", &lv_initialize },
	{ "virSetErrorFunc", &lv_set_error_func },
	{ "virConnectOpenReadOnly", &lv.connect_open_read_only },
	{ "virConnectOpen", &lv.connect_open },
	{ "virConnectClose", &lv.connect_close },
	{ "virConnectListAllDomains", &lv.connect_list_all_domains },
	{ "virConnSetErrorFunc", &lv.conn_set_error_func },
	{ "virDomainGetName", &lv.domain_get_name },
	{ "virDomainGetInfo", &lv.domain_get_info },
	{ "virDomainGetXMLDesc", &lv.domain_get_xml_desc },
	{ "virDomainFree", &lv.domain_free },
	{ "virGetLastError", &lv.get_last_error },
	{ "virGetLastErrorMessage", &lv.get_last_error_message },
	{ NULL, NULL },
};

static struct cal_dl_lib lv_lib = {
	.soname = "libvirt.so.0",
	.name = "libvirt",
	.package = "libvirt0",
	.purpose = "to read libvirt URIs",
	.syms = lv_syms,
	.init = lv_init,
};

const struct lv_api *lv_api(void)
{
	return cal_dl_load(&lv_lib) == 0 ? &lv : NULL;
}

static struct lv_xml_api lx;
static void (*lx_init_parser)(void);

static int lx_init(void)
{
	lx_init_parser();
	return 0;
}

static const struct cal_dl_sym lx_syms[] = {
	{ "xmlInitParser", &lx_init_parser },
	{ "xmlNewParserCtxt", &lx.new_parser_ctxt },
	{ "xmlCtxtReadMemory", &lx.ctxt_read_memory },
	{ "xmlCtxtGetLastError", &lx.ctxt_get_last_error },
	{ "xmlDocGetRootElement", &lx.doc_get_root_element },
	{ "xmlFreeDoc", &lx.free_doc },
	{ "xmlFreeParserCtxt", &lx.free_parser_ctxt },
	{ "xmlGetProp", &lx.get_prop },
	{ "xmlNodeGetContent", &lx.node_get_content },
	{ "xmlNodeListGetString", &lx.node_list_get_string },
	{ "xmlFree", &lx.free_var },
	{ "xmlSetGenericErrorFunc", &lx.set_generic_error_func },
	{ "__xmlGenericError", &lx.generic_error },
	{ "__xmlGenericErrorContext", &lx.generic_error_context },
	{ NULL, NULL },
};

static struct cal_dl_lib lx_lib = {
	.soname = "libxml2.so.2",
	.name = "libxml2",
	.package = "libxml2",
	.purpose = "to read libvirt domains",
	.syms = lx_syms,
	.init = lx_init,
};

const struct lv_xml_api *lv_xml_api(void)
{
	return cal_dl_load(&lx_lib) == 0 ? &lx : NULL;
}
