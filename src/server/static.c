/* static.c - the web UI's files (ui/dist) at /, for GET and HEAD: "/" is
 * index.html, content types by extension, no directory listings.
 *
 * Trust: the path comes from the client.  It is refused when it holds a
 * "..", a hidden component, a backslash or a control byte; the resolved
 * file must be a regular file inside the UI directory (symbolic links
 * cannot lead out of it).
 */
#include "server/server_int.h"
#include "server/mhd_dl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CALIPSO_UI_DIR_INSTALLED
#define CALIPSO_UI_DIR_INSTALLED "/usr/local/share/calipso/ui"
#endif

static const struct {
	const char *ext, *type;
} st_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".map", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" },
	{ ".gif", "image/gif" },
	{ ".ico", "image/x-icon" },
	{ ".webp", "image/webp" },
	{ ".woff", "font/woff" },
	{ ".woff2", "font/woff2" },
	{ ".ttf", "font/ttf" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".wasm", "application/wasm" },
};

static const char *st_content_type(const char *path)
{
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');

	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(st_types) / sizeof(st_types[0]); i++)
			if (strcasecmp(dot, st_types[i].ext) == 0)
				return st_types[i].type;
	return "application/octet-stream";
}

char *srv_ui_dir_default(void)
{
	static const char *const candidates[] = {
		CALIPSO_UI_DIR_INSTALLED,
#ifdef CALIPSO_UI_DIR_SOURCE
		CALIPSO_UI_DIR_SOURCE,
#endif
	};
	struct stat sb;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (stat(candidates[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			return realpath(candidates[i], NULL);
	return NULL;
}

static bool st_path_ok(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *s = p; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\' || *s == '%')
			return false;
		if (*s == '/' && s[1] == '.')
			return false; /* "..", hidden files */
	}
	return true;
}

bool srv_static_serve(struct srv_req *r)
{
	const char *ui = r->srv->ui_dir;
	char path[PATH_MAX], *real = NULL;
	struct MHD_Response *resp;
	struct stat sb;
	size_t n;
	int fd;

	if (!ui || !r->path || !st_path_ok(r->path))
		return false;
	n = (size_t)snprintf(path, sizeof(path), "%s%s%s", ui, r->path,
			     r->path[strlen(r->path) - 1] == '/' ? "index.html" : "");
	if (n >= sizeof(path))
		return false;
	real = realpath(path, NULL);
	if (!real || strncmp(real, ui, strlen(ui)) != 0 || real[strlen(ui)] != '/') {
		free(real);
		return false;
	}
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		free(real);
		return false;
	}
	resp = srv_mhd()->create_response_from_fd((uint64_t)sb.st_size, fd);
	if (!resp) {
		close(fd);
		free(real);
		return false;
	}
	srv_mhd()->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, st_content_type(real));
	/* index.html names the hashed assets: always revalidated. */
	srv_mhd()->add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				strstr(real, "/index.html") ? "no-cache" : "public, max-age=300");
	free(real);
	r->resp = resp;
	r->status = MHD_HTTP_OK;
	r->resp_len = (size_t)sb.st_size;
	r->answered = true;
	return true;
}
