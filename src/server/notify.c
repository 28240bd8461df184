/* notify.c - messages the server writes for operators (source_system
 * "Calipso"): scans queued, started and finished, schedules that fired,
 * scans a crash interrupted.  A message that cannot be written is logged
 * and otherwise ignored: it must not fail the work it reports.
 */
#include "server/server_int.h"

#include <stdarg.h>
#include <stdio.h>

void srv_message(cal_store *st, const char *env, const char *level, const char *origin_type,
		 int64_t origin_id, const char *fmt, ...)
{
	char text[1024];
	json_t *msg;
	va_list ap;

	if (!st || !env || !*env)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msg = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "environment", env, "source_system",
			"Calipso", "level", level, "message", text, "display_context", origin_type,
			"origin_type", origin_type, "origin_id", (json_int_t)origin_id);
	if (!msg || cal_store_message_add(st, NULL, msg))
		cal_log_warn("api", "cannot record the message '%s': %s", text, cal_error_last());
	json_decref(msg);
}
