/* libvirt_dl.h - private to src/discover: libvirt and libxml2, loaded on
 * first use.
 *
 * libvirt and what it pulls in (glib, gnutls, ...) take about 11 MB of
 * resident memory in every process that maps them, libxml2 (with ICU)
 * about 2 MB.  Most calipso commands, and scans of hosts without libvirt,
 * never call them, so they are not linked: lv_api() loads libvirt.so.0 and
 * lv_xml_api() libxml2.so.2 (cal_dl_load) the first time a libvirt source,
 * probe or domain XML needs them.  The headers still come from libvirt-dev
 * and libxml2-dev, so the types and constants are the libraries' own.
 */
#ifndef CALIPSO_LIBVIRT_DL_H
#define CALIPSO_LIBVIRT_DL_H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

struct lv_api {
	virConnectPtr (*connect_open_read_only)(const char *uri);
	virConnectPtr (*connect_open)(const char *uri);
	int (*connect_close)(virConnectPtr conn);
	int (*connect_list_all_domains)(virConnectPtr conn, virDomainPtr **domains,
					unsigned int flags);
	void (*conn_set_error_func)(virConnectPtr conn, void *arg, virErrorFunc fn);
	const char *(*domain_get_name)(virDomainPtr dom);
	int (*domain_get_info)(virDomainPtr dom, virDomainInfoPtr info);
	char *(*domain_get_xml_desc)(virDomainPtr dom, unsigned int flags);
	int (*domain_free)(virDomainPtr dom);
	virErrorPtr (*get_last_error)(void);
	const char *(*get_last_error_message)(void);
};

/* The loaded API, initialised once per process with libvirt's own error
 * printing switched off.  NULL when libvirt cannot be loaded, with the
 * reason in cal_error_last() (CAL_EIO).  Thread-safe. */
const struct lv_api *lv_api(void);

/* libxml2's functions (the domain XML parser, libvirt_xml.c; silencing
 * libxml2 while libvirt opens a URI, libvirt_source.c).  xmlFree is a
 * variable holding the deallocator: `free_var` points at it.
 * xmlGenericError and xmlGenericErrorContext are macros over per-thread
 * slots: these are the functions the macros call, returning the slot. */
struct lv_xml_api {
	__typeof__(xmlNewParserCtxt) *new_parser_ctxt;
	__typeof__(xmlCtxtReadMemory) *ctxt_read_memory;
	__typeof__(xmlCtxtGetLastError) *ctxt_get_last_error;
	__typeof__(xmlDocGetRootElement) *doc_get_root_element;
	__typeof__(xmlFreeDoc) *free_doc;
	__typeof__(xmlFreeParserCtxt) *free_parser_ctxt;
	__typeof__(xmlGetProp) *get_prop;
	__typeof__(xmlNodeGetContent) *node_get_content;
	__typeof__(xmlNodeListGetString) *node_list_get_string;
	__typeof__(xmlFree) *free_var;                             /* &xmlFree */
	__typeof__(xmlSetGenericErrorFunc) *set_generic_error_func;
	__typeof__(__xmlGenericError) *generic_error;              /* &xmlGenericError */
	__typeof__(__xmlGenericErrorContext) *generic_error_context;
};

/* The loaded API, libxml2 initialised (xmlInitParser) once per process.
 * NULL when libxml2 cannot be loaded, with the reason (naming Debian's
 * libxml2) in cal_error_last(), CAL_EIO.  Thread-safe. */
const struct lv_xml_api *lv_xml_api(void);

/* libvirt's default error handler replacement: prints nothing. */
void lv_silent(void *arg, virErrorPtr err);

#endif
