/* mhd_dl.h - private to src/server: libmicrohttpd, loaded on first use.
 *
 * libmicrohttpd and the GnuTLS it brings take megabytes of resident memory
 * in every process that maps them, and only `calipso serve` calls them: so
 * they are not linked.  The server's start loads libmicrohttpd.so.12 once
 * (cal_dl_load); the headers still come from libmicrohttpd-dev, so types,
 * constants and prototypes are the library's own (TLS included).
 */
#ifndef CALIPSO_MHD_DL_H
#define CALIPSO_MHD_DL_H

#include <microhttpd.h>

struct srv_mhd_api {
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_create_response_from_fd) *create_response_from_fd;
	__typeof__(MHD_destroy_response) *destroy_response;
	__typeof__(MHD_get_connection_info) *get_connection_info; /* variadic */
	__typeof__(MHD_get_daemon_info) *get_daemon_info;         /* variadic */
	__typeof__(MHD_is_feature_supported) *is_feature_supported;
	__typeof__(MHD_lookup_connection_value) *lookup_connection_value;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_quiesce_daemon) *quiesce_daemon;
	__typeof__(MHD_resume_connection) *resume_connection;
	__typeof__(MHD_start_daemon) *start_daemon;               /* variadic */
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_suspend_connection) *suspend_connection;
};

/* The loaded API, or NULL when libmicrohttpd cannot be loaded, with the
 * reason (naming Debian's libmicrohttpd12) in cal_error_last(), CAL_EIO.
 * The server's start checks it; code that runs for a connection or a
 * response (a daemon is running) may use it without a check.
 * Thread-safe. */
const struct srv_mhd_api *srv_mhd(void);

#endif
