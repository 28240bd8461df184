/* libvirt_dl.c - loads libvirt.so.0 on first use (see libvirt_dl.h).
 *
 * The generic loader (cal_dl_load, src/core/dl.c) opens the library once
 * and resolves every symbol (a missing one is an error naming it); the
 * init hook initialises libvirt and silences its error printing.  The
 * handle is never closed: libvirt keeps threads and state for the life of
 * the process.
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
