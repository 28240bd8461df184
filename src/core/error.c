/* error.c - per-thread "last error" message, libgit2 style.
 *
 * Each thread keeps one message buffer; setting an error overwrites it,
 * cal_error_prefix() adds context as the error travels up.  Messages are
 * bounded (CAL_ERROR_MAX) and truncated, never allocated, so reporting an
 * out-of-memory condition cannot itself fail.
 */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CAL_ERROR_MAX 1024

static _Thread_local char err_msg[CAL_ERROR_MAX];

int cal_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	return code;
}

int cal_error_set_errno(int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	len = strlen(err_msg);
	if (len < sizeof(err_msg))
		snprintf(err_msg + len, sizeof(err_msg) - len, ": %s", strerror(errnum));
	return code;
}

int cal_error_prefix(int code, const char *fmt, ...)
{
	char prefix[CAL_ERROR_MAX];
	char old[CAL_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err_msg, sizeof(old));
	if (old[0])
		snprintf(err_msg, sizeof(err_msg), "%s: %s", prefix, old);
	else
		snprintf(err_msg, sizeof(err_msg), "%s", prefix);
	return code;
}

const char *cal_error_last(void)
{
	return err_msg;
}

void cal_error_clear(void)
{
	err_msg[0] = '\0';
}

const char *cal_error_name(int code)
{
	switch (code) {
	case CAL_OK: return "ok";
	case CAL_ENOTFOUND: return "not found";
	case CAL_EEXISTS: return "exists";
	case CAL_EINVALID: return "invalid";
	case CAL_EPROTO: return "protocol error";
	case CAL_ETIMEOUT: return "timeout";
	case CAL_ENOMEM: return "out of memory";
	case CAL_EIO: return "i/o error";
	case CAL_EPERM: return "permission denied";
	case CAL_EAUTH: return "authentication failed";
	default: return "error";
	}
}
