/* The one main() of a cmocka suite: its tests in one group, with the group's
 * set-up and tear-down (NULL for none). Suites that do work before the group
 * runs (skip checks, re-exec as a child) keep their own main(). */
#ifndef HUSK_TESTS_UNIT_MAIN_H
#define HUSK_TESTS_UNIT_MAIN_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define UNIT_MAIN(group_setup, group_teardown, ...)                                                \
	int main(void)                                                                             \
	{                                                                                          \
		const struct CMUnitTest tests[] = {__VA_ARGS__};                                   \
		return cmocka_run_group_tests(tests, group_setup, group_teardown);                 \
	}

#endif
