/* Value parsers of the cgroup commands, apart from the commands so unit tests
 * can link them without the CLI. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cgroup_cmd.h"
#include "common/util.h"

/* "-1", "123", "512k", "64MiB", "1g": docker's RAMInBytes (binary units). */
int update_parse_bytes(const char *s, int64_t *out)
{
	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0)
		return -1;
	uint64_t mult = 1;
	char u = (char)tolower((unsigned char)*end);
	const char *units = "bkmgtp";
	const char *pos = *end ? strchr(units, u) : units;
	if (!pos)
		return -1;
	for (const char *x = units; x < pos; x++)
		mult *= 1024;
	if (*end) {
		end++;
		/* optional "b", "ib" after k/m/g... */
		if (pos != units && (tolower((unsigned char)*end) == 'i'))
			end++;
		if (pos != units && tolower((unsigned char)*end) == 'b')
			end++;
	}
	if (*end)
		return -1;
	double total = v * (double)mult;
	if (total > (double)INT64_MAX)
		return -1;
	*out = (int64_t)total;
	return 0;
}

/* Go's time.ParseDuration subset: "5s", "500ms", "1m30s", "2h", "250us". */
int events_parse_duration_ms(const char *s, long long *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3},	{"ms", 1},
		     {"s", 1000},  {"m", 60000}, {"h", 3600000}};
	double total = 0;
	if (!*s)
		return -1;
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		if (end == s || v < 0)
			return -1;
		s = end;
		size_t best = 0, idx = 0;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t l = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, l) == 0 && l > best) {
				best = l;
				idx = i;
			}
		}
		if (!best)
			return -1;
		total += v * units[idx].ms;
		s += best;
	}
	*ms = (long long)total;
	return 0;
}
