#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include "runtime/signals.h"

static int parse_ok(const char *s)
{
	int sig = -1;
	struct husk_err *err = NULL;
	assert_int_equal(signal_parse(s, &sig, &err), 0);
	return sig;
}

static void test_names(void **state)
{
	assert_int_equal(parse_ok("TERM"), SIGTERM);
	assert_int_equal(parse_ok("SIGKILL"), SIGKILL);
	assert_int_equal(parse_ok("sigusr1"), SIGUSR1);
	assert_int_equal(parse_ok("hup"), SIGHUP);
	assert_int_equal(parse_ok("WINCH"), SIGWINCH);
	assert_int_equal(parse_ok("RTMIN"), SIGRTMIN);
	assert_int_equal(parse_ok("SIGRTMIN+2"), SIGRTMIN + 2);
	assert_int_equal(parse_ok("RTMAX-1"), SIGRTMAX - 1);
}

static void test_numbers(void **state)
{
	assert_int_equal(parse_ok("0"), 0); /* a liveness check, as runc */
	assert_int_equal(parse_ok("9"), 9);
	assert_int_equal(parse_ok("15"), 15);
	assert_int_equal(parse_ok("64"), 64);
}

static void test_invalid(void **state)
{
	const char *bad[] = {"", "65", "-9", "SIGNOPE", "RTMIN-1", "RTMAX+1", "9x", "SIG"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int sig = -1;
		struct husk_err *err = NULL;
		assert_true(signal_parse(bad[i], &sig, &err) < 0);
		assert_non_null(err);
		husk_err_free(&err);
	}
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test(test_names), cmocka_unit_test(test_numbers),
	  cmocka_unit_test(test_invalid))
