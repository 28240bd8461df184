/* libvirt_dl.h - private to src/discover: libvirt, loaded on first use.
 *
 * libvirt and what it pulls in (glib, gnutls, ...) take about 11 MB of
 * resident memory in every process that maps them.  Most calipso commands,
 * and scans of hosts without libvirt, never call it, so it is not linked:
 * lv_api() loads libvirt.so.0 with dlopen the first time a libvirt source
 * or probe needs it.  The headers still come from libvirt-dev, so the types
 * and constants are libvirt's own.
 */
#ifndef CALIPSO_LIBVIRT_DL_H
#define CALIPSO_LIBVIRT_DL_H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

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

/* libvirt's default error handler replacement: prints nothing. */
void lv_silent(void *arg, virErrorPtr err);

#endif
