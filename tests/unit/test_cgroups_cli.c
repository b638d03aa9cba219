/* The value parsers of the cgroup commands: `update`'s byte sizes (runc's
 * units) and `events --interval` durations (Go's syntax). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include "cli/cgroup_cmd.h"

static void test_bytes(void **state)
{
	struct {
		const char *in;
		int64_t want;
	} ok[] = {
	    {"-1", -1},
	    {"0", 0},
	    {"4096", 4096},
	    {"512k", 524288},
	    {"512K", 524288},
	    {"64m", 67108864},
	    {"64MB", 67108864},
	    {"64MiB", 67108864},
	    {"1g", 1073741824},
	    {"1.5g", 1610612736},
	    {"2t", 2199023255552LL},
	    {"100b", 100},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t v = 0;
		if (update_parse_bytes(ok[i].in, &v) < 0)
			fail_msg("rejected %s", ok[i].in);
		assert_int_equal(v, ok[i].want);
	}
	const char *bad[] = {"", "lots", "12x", "-2", "1gg", "m", "--1", "9999999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v;
		if (update_parse_bytes(bad[i], &v) == 0)
			fail_msg("accepted %s", bad[i]);
	}
}

static void test_durations(void **state)
{
	struct {
		const char *in;
		long long ms;
	} ok[] = {{"5s", 5000},	  {"500ms", 500},    {"1m30s", 90000}, {"2h", 7200000},
		  {"1.5s", 1500}, {"250000us", 250}, {"0", 0}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		long long ms = -1;
		if (events_parse_duration_ms(ok[i].in, &ms) < 0)
			fail_msg("rejected %s", ok[i].in);
		assert_int_equal(ms, ok[i].ms);
	}
	const char *bad[] = {"", "5", "s", "5x", "-1s", "nonsense", "1s2"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long long ms;
		if (events_parse_duration_ms(bad[i], &ms) == 0)
			fail_msg("accepted %s", bad[i]);
	}
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test(test_bytes), cmocka_unit_test(test_durations))
