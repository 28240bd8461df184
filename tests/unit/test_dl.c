/* test_dl.c - optional libraries loaded on first use (cal_dl_load, core.h):
 * symbols resolved into their slots, init run once even when threads race,
 * and missing libraries or symbols failing with a message that names the
 * library and the Debian package, the same way on every later call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>
#include <pthread.h>

#include <cmocka.h>

#include "core/core.h"

/* libm is part of glibc: always there, and these tests never link it. */
#define DL_TEST_LIBM "libm.so.6"

static struct {
	__typeof__(cos) *cos;
	__typeof__(ldexp) *ldexp;
} dl_m;

static int dl_init_calls;

static int dl_count_init(void)
{
	__atomic_add_fetch(&dl_init_calls, 1, __ATOMIC_SEQ_CST);
	/* Symbols are resolved before init runs. */
	return dl_m.cos && dl_m.ldexp ? 0 : cal_error_set(CAL_EIO, "init ran before the symbols");
}

static const struct cal_dl_sym dl_m_syms[] = {
	{ "cos", &dl_m.cos },
	{ "ldexp", &dl_m.ldexp },
	{ NULL, NULL },
};

static struct cal_dl_lib dl_libm = {
	.soname = DL_TEST_LIBM,
	.name = "libm",
	.package = "libc6",
	.purpose = "to test",
	.syms = dl_m_syms,
	.init = dl_count_init,
};

static void *dl_racer(void *arg)
{
	int *rc = arg;

	*rc = cal_dl_load(&dl_libm);
	return NULL;
}

static void test_load_once_across_threads(void **state)
{
	pthread_t t[8];
	int rc[8];

	(void)state;
	assert_null(dl_m.cos);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, dl_racer, &rc[i]), 0);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(rc[i], 0);
	}
	assert_int_equal(dl_init_calls, 1);
	assert_int_equal(cal_dl_load(&dl_libm), 0);
	assert_int_equal(dl_init_calls, 1);
	/* The slots call the library's own functions. */
	assert_non_null(dl_m.cos);
	assert_true(dl_m.cos(0.0) == 1.0);
	assert_true(dl_m.ldexp(3.0, 4) == 48.0);
}

static void test_missing_library(void **state)
{
	static struct cal_dl_lib lib = {
		.soname = "libcalipso-dl-missing.so.0",
		.name = "libmissing",
		.package = "libmissing0",
		.purpose = "to read missing things",
		.syms = dl_m_syms,
	};
	char first[512];

	(void)state;
	assert_int_equal(cal_dl_load(&lib), CAL_EIO);
	snprintf(first, sizeof(first), "%s", cal_error_last());
	assert_non_null(strstr(first, "cannot load libmissing (libcalipso-dl-missing.so.0): "));
	/* dlerror's reason, then what to do. */
	assert_non_null(strstr(first, "cannot open shared object file"));
	assert_non_null(strstr(first, "; install Debian's libmissing0 to read missing things"));
	/* The first error is kept, whatever happened in between. */
	cal_error_clear();
	assert_int_equal(cal_dl_load(&lib), CAL_EIO);
	assert_string_equal(cal_error_last(), first);
}

static void test_missing_symbol(void **state)
{
	static void (*nothing)(void);
	static const struct cal_dl_sym syms[] = {
		{ "cos", &dl_m.cos },
		{ "cal_dl_no_such_symbol", &nothing },
		{ NULL, NULL },
	};
	static struct cal_dl_lib lib = {
		.soname = DL_TEST_LIBM,
		.name = "libm",
		.package = "libc6",
		.purpose = "to test",
		.syms = syms,
	};

	(void)state;
	assert_int_equal(cal_dl_load(&lib), CAL_EIO);
	assert_string_equal(cal_error_last(),
			    "cannot load libm: libm.so.6 has no symbol cal_dl_no_such_symbol; "
			    "install Debian's libc6 to test");
	assert_null(nothing);
}

static int dl_failing_calls;

static int dl_failing_init(void)
{
	dl_failing_calls++;
	return cal_error_set(CAL_EINVALID, "cannot initialise libm: refused");
}

static void test_init_failure_is_kept(void **state)
{
	static struct cal_dl_lib lib = {
		.soname = DL_TEST_LIBM,
		.name = "libm",
		.package = "libc6",
		.purpose = "to test",
		.init = dl_failing_init,
	};

	(void)state;
	assert_int_equal(cal_dl_load(&lib), CAL_EINVALID);
	assert_string_equal(cal_error_last(), "cannot initialise libm: refused");
	cal_error_clear();
	assert_int_equal(cal_dl_load(&lib), CAL_EINVALID);
	assert_string_equal(cal_error_last(), "cannot initialise libm: refused");
	assert_int_equal(dl_failing_calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_once_across_threads),
		cmocka_unit_test(test_missing_library),
		cmocka_unit_test(test_missing_symbol),
		cmocka_unit_test(test_init_failure_is_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
