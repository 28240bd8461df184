/* mhd_dl.c - loads libmicrohttpd.so.12 on first use (see mhd_dl.h), through
 * the generic loader (cal_dl_load): once per process, never closed (the
 * daemon's threads run inside it until the process ends).
 */
#include "core/core.h"
#include "server/mhd_dl.h"

static struct srv_mhd_api mhd;

static const struct cal_dl_sym mhd_syms[] = {
	{ "MHD_add_response_header", &mhd.add_response_header },
	{ "MHD_create_response_from_buffer", &mhd.create_response_from_buffer },
	{ "MHD_create_response_from_fd", &mhd.create_response_from_fd },
	{ "MHD_destroy_response", &mhd.destroy_response },
	{ "MHD_get_connection_info", &mhd.get_connection_info },
	{ "MHD_get_daemon_info", &mhd.get_daemon_info },
	{ "MHD_is_feature_supported", &mhd.is_feature_supported },
	{ "MHD_lookup_connection_value", &mhd.lookup_connection_value },
	{ "MHD_queue_response", &mhd.queue_response },
	{ "MHD_quiesce_daemon", &mhd.quiesce_daemon },
	{ "MHD_resume_connection", &mhd.resume_connection },
	{ "MHD_start_daemon", &mhd.start_daemon },
	{ "MHD_stop_daemon", &mhd.stop_daemon },
	{ "MHD_suspend_connection", &mhd.suspend_connection },
	{ NULL, NULL },
};

static struct cal_dl_lib mhd_lib = {
	.soname = "libmicrohttpd.so.12",
	.name = "libmicrohttpd",
	.package = "libmicrohttpd12",
	.purpose = "to run calipso serve",
	.syms = mhd_syms,
};

const struct srv_mhd_api *srv_mhd(void)
{
	return cal_dl_load(&mhd_lib) == 0 ? &mhd : NULL;
}
