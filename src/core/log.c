/* log.c - leveled logging with a subsystem token on every line.
 *
 * Lines look like "calipso: warn netlink: cannot enter namespace 'x': ..." on
 * stderr, or go to a sink set by the server.  Debug output can be enabled
 * per token (lldpd's -D), independently of the global level.  The token
 * list is set once at start-up, before threads exist; reads are lock-free.
 */
#include "core.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_LINE_MAX 2048
#define LOG_TOKENS_MAX 32

static int log_level = CAL_LOG_WARN;
static char log_debug_tokens[LOG_TOKENS_MAX][32];
static int log_debug_ntokens;
static bool log_debug_all;
static cal_log_sink_fn log_sink;
static void *log_sink_arg;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void cal_log_set_level(int level)
{
	if (level < CAL_LOG_ERROR)
		level = CAL_LOG_ERROR;
	if (level > CAL_LOG_DEBUG)
		level = CAL_LOG_DEBUG;
	log_level = level;
}

int cal_log_enable_debug(const char *tokens)
{
	const char *p = tokens;

	if (!tokens || !*tokens)
		return cal_error_set(CAL_EINVALID, "empty debug token list");
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 3 && strncmp(p, "all", 3) == 0) {
			log_debug_all = true;
		} else if (n > 0 && n < sizeof(log_debug_tokens[0]) &&
			   log_debug_ntokens < LOG_TOKENS_MAX) {
			memcpy(log_debug_tokens[log_debug_ntokens], p, n);
			log_debug_tokens[log_debug_ntokens][n] = '\0';
			log_debug_ntokens++;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

bool cal_log_is_debug(const char *token)
{
	if (log_level >= CAL_LOG_DEBUG || log_debug_all)
		return true;
	for (int i = 0; i < log_debug_ntokens; i++)
		if (token && strcmp(log_debug_tokens[i], token) == 0)
			return true;
	return false;
}

void cal_log_set_sink(cal_log_sink_fn fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

/* Escapes control bytes in place into `out`, so that a hostile interface
 * name cannot start a new log line or a terminal escape sequence. */
static void log_sanitize(char *out, size_t outsz, const char *in)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < outsz; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
}

void cal_logv(int level, const char *token, const char *fmt, va_list ap)
{
	char raw[LOG_LINE_MAX];
	char line[LOG_LINE_MAX];

	if (level > log_level && !(level == CAL_LOG_DEBUG && cal_log_is_debug(token)))
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_sanitize(line, sizeof(line), raw);
	if (level < 0)
		level = 0;
	if (level > CAL_LOG_DEBUG)
		level = CAL_LOG_DEBUG;
	if (log_sink) {
		log_sink(level, token ? token : "-", line, log_sink_arg);
		return;
	}
	fprintf(stderr, "calipso: %s %s: %s\n", level_names[level], token ? token : "-", line);
}

void cal_log(int level, const char *token, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cal_logv(level, token, fmt, ap);
	va_end(ap);
}
