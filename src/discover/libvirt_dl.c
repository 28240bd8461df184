/* libvirt_dl.c - loads libvirt.so.0 on first use (see libvirt_dl.h).
 *
 * One pthread_once: the library is opened, every symbol resolved (a missing
 * one is an error naming it), libvirt initialised and its error printing
 * silenced.  The handle is never closed: libvirt keeps threads and state
 * for the life of the process.
 */
#include "core/core.h"
#include "libvirt_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define LV_SONAME "libvirt.so.0"

static pthread_once_t lv_once = PTHREAD_ONCE_INIT;
static struct lv_api lv;
static bool lv_ok;
static char lv_err[512];

void lv_silent(void *arg, virErrorPtr err)
{
	(void)arg;
	(void)err;
}

static bool lv_sym(void *h, void *out, const char *name)
{
	void *p = dlsym(h, name);

	if (!p) {
		snprintf(lv_err, sizeof(lv_err), "cannot load libvirt: %s has no symbol %s",
			 LV_SONAME, name);
		return false;
	}
	/* POSIX guarantees data and function pointers convert through dlsym. */
	*(void **)out = p;
	return true;
}

static void lv_load(void)
{
	void *h = dlopen(LV_SONAME, RTLD_LAZY | RTLD_LOCAL);
	int (*initialize)(void) = NULL;
	void (*set_error_func)(void *, virErrorFunc) = NULL;

	if (!h) {
		snprintf(lv_err, sizeof(lv_err),
			 "cannot load libvirt (%s): %s; install Debian's libvirt0 to read libvirt "
			 "URIs",
			 LV_SONAME, dlerror());
		return;
	}
	if (!lv_sym(h, &initialize, "virInitialize") ||
	    !lv_sym(h, &set_error_func, "virSetErrorFunc") ||
	    !lv_sym(h, &lv.connect_open_read_only, "virConnectOpenReadOnly") ||
	    !lv_sym(h, &lv.connect_open, "virConnectOpen") ||
	    !lv_sym(h, &lv.connect_close, "virConnectClose") ||
	    !lv_sym(h, &lv.connect_list_all_domains, "virConnectListAllDomains") ||
	    !lv_sym(h, &lv.conn_set_error_func, "virConnSetErrorFunc") ||
	    !lv_sym(h, &lv.domain_get_name, "virDomainGetName") ||
	    !lv_sym(h, &lv.domain_get_info, "virDomainGetInfo") ||
	    !lv_sym(h, &lv.domain_get_xml_desc, "virDomainGetXMLDesc") ||
	    !lv_sym(h, &lv.domain_free, "virDomainFree") ||
	    !lv_sym(h, &lv.get_last_error, "virGetLastError") ||
	    !lv_sym(h, &lv.get_last_error_message, "virGetLastErrorMessage"))
		return;
	if (initialize() < 0) {
		snprintf(lv_err, sizeof(lv_err), "cannot initialise libvirt");
		return;
	}
	set_error_func(NULL, lv_silent);
	lv_ok = true;
}

const struct lv_api *lv_api(void)
{
	pthread_once(&lv_once, lv_load);
	if (!lv_ok) {
		cal_error_set(CAL_EIO, "%s", lv_err);
		return NULL;
	}
	return &lv;
}
