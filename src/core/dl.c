/* dl.c - optional libraries loaded on first use (cal_dl_load, core.h).
 *
 * Libraries that most commands never call (libpq, libcurl, libmicrohttpd,
 * libgvc, libvirt, libxml2) are not linked: mapping them and what they pull
 * in (OpenSSL, GnuTLS, Kerberos, LDAP, ICU, glib) costs every process
 * megabytes of resident memory.  Their users keep a table of function
 * pointers typed by the library's own headers and fill it here once.
 *
 * Invariants: a library is opened at most once per process and never
 * closed (the libraries keep threads, atexit handlers and global state);
 * its outcome, success or the first error, is final.
 * Threading: one process-wide mutex serialises first loads (dlopen, the
 * symbols, the library's init); later calls read the published state
 * with one acquire load.
 * Trust: sonames and symbol names are compile-time constants.
 */
#include "core.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum {
	DL_NEW = 0,
	DL_OK = 1,
	DL_FAILED = 2,
};

static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

/* Opens, resolves and initialises; the outcome in lib->dl_code/dl_err. */
static int dl_open(struct cal_dl_lib *lib)
{
	void *h = dlopen(lib->soname, RTLD_LAZY | RTLD_LOCAL);
	int rc;

	if (!h) {
		const char *why = dlerror();

		snprintf(lib->dl_err, sizeof(lib->dl_err),
			 "cannot load %s (%s): %s; install Debian's %s %s", lib->name, lib->soname,
			 why ? why : "unknown error", lib->package, lib->purpose);
		return CAL_EIO;
	}
	for (const struct cal_dl_sym *s = lib->syms; s && s->name; s++) {
		void *p = dlsym(h, s->name);

		if (!p) {
			snprintf(lib->dl_err, sizeof(lib->dl_err),
				 "cannot load %s: %s has no symbol %s; install Debian's %s %s",
				 lib->name, lib->soname, s->name, lib->package, lib->purpose);
			return CAL_EIO;
		}
		/* POSIX: dlsym's object pointer converts to a function pointer. */
		memcpy(s->slot, &p, sizeof(p));
	}
	if (lib->init) {
		rc = lib->init();
		if (rc < 0) {
			snprintf(lib->dl_err, sizeof(lib->dl_err), "%s", cal_error_last());
			return rc;
		}
	}
	return 0;
}

int cal_dl_load(struct cal_dl_lib *lib)
{
	int state = __atomic_load_n(&lib->dl_state, __ATOMIC_ACQUIRE);

	if (state == DL_NEW) {
		pthread_mutex_lock(&dl_lock);
		state = lib->dl_state;
		if (state == DL_NEW) {
			lib->dl_code = dl_open(lib);
			state = lib->dl_code == 0 ? DL_OK : DL_FAILED;
			__atomic_store_n(&lib->dl_state, state, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&dl_lock);
	}
	if (state == DL_OK)
		return 0;
	return cal_error_set(lib->dl_code, "%s", lib->dl_err);
}
