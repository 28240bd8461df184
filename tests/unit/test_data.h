/* test_data.h - reading the captured bytes of tests/data/<module>/ in unit
 * tests: $CALIPSO_TEST_DATA (the build sets it), else tests/data from the
 * source tree.  Header-only (static inline), for tests only; include it
 * after <cmocka.h>.
 */
#ifndef CALIPSO_TEST_DATA_H
#define CALIPSO_TEST_DATA_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *td_dir(void)
{
	const char *dir = getenv("CALIPSO_TEST_DATA");

	return dir ? dir : "tests/data";
}

/* The whole of <data>/<sub>/<name>, NUL-terminated (malloc'ed); *len (may
 * be NULL) its size.  Fails the test when the file cannot be read. */
static inline char *td_read(const char *sub, const char *name, size_t *len)
{
	char path[1024];
	char *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s/%s", td_dir(), sub, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

#endif
