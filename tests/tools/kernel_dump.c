/* kernel_dump.c - prints the "kernel" report section that cal_kernel_scan()
 * produces for this machine, so that people (and integration tests) can
 * look at what the kernel source sees.
 *
 *   kernel_dump [-n NAME]... [-a] [-c] [-t] [-D TOKENS]
 *     -n NAME    only this /run/netns namespace (repeatable), plus the root
 *     -a         keep every process of the root namespace
 *     -c         compact JSON on one line
 *     -t         print the scan's duration to stderr
 *     -D TOKENS  debug lines of these log tokens ("netlink,netns", "all")
 *
 * Exit status 0 with the JSON on stdout, 1 with the error on stderr.
 */
#include "discover/discover.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void kd_usage(FILE *f)
{
	fputs("usage: kernel_dump [-n NAME]... [-a] [-c] [-t] [-D TOKENS]\n", f);
}

int main(int argc, char **argv)
{
	struct cal_kernel_opts opts = { 0 };
	const char **only = calloc((size_t)argc + 1, sizeof(*only));
	size_t nonly = 0;
	size_t flags = JSON_INDENT(2);
	bool timing = false;
	json_t *out = NULL;
	int64_t t0;
	int c, rc;

	if (!only)
		return 1;
	while ((c = getopt(argc, argv, "n:acthD:")) != -1) {
		switch (c) {
		case 'n':
			only[nonly++] = optarg;
			break;
		case 'a':
			opts.all_root_processes = true;
			break;
		case 'c':
			flags = JSON_COMPACT;
			break;
		case 't':
			timing = true;
			break;
		case 'D':
			if (cal_log_enable_debug(optarg) != 0) {
				fprintf(stderr, "kernel_dump: %s\n", cal_error_last());
				free(only);
				return 1;
			}
			break;
		case 'h':
			kd_usage(stdout);
			free(only);
			return 0;
		default:
			kd_usage(stderr);
			free(only);
			return 1;
		}
	}
	if (optind < argc) {
		kd_usage(stderr);
		free(only);
		return 1;
	}
	if (nonly > 0)
		opts.only_netns = only;
	t0 = cal_time_mono_us();
	rc = cal_kernel_scan(&out, &opts);
	if (timing)
		fprintf(stderr, "kernel_dump: scan took %.3f ms\n",
			(double)(cal_time_mono_us() - t0) / 1000.0);
	if (rc) {
		fprintf(stderr, "kernel_dump: %s\n", cal_error_last());
		free(only);
		return 1;
	}
	rc = json_dumpf(out, stdout, flags | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(out);
	free(only);
	return rc == 0 ? 0 : 1;
}
