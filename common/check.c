/* The husk check report, and the one item no module owns: the kernel. */
#include "common/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/util.h"

void check_add(struct check_report *r, const char *section, const char *name,
	       enum check_status status, const char *effect, const char *detail_fmt, ...)
{
	r->items = xrealloc(r->items, (r->n + 1) * sizeof(*r->items));
	struct check_item *it = &r->items[r->n++];
	it->section = xstrdup(section);
	it->name = xstrdup(name);
	it->status = status;
	it->effect = xstrdup(effect ? effect : "");
	va_list ap;
	va_start(ap, detail_fmt);
	if (vasprintf(&it->detail, detail_fmt, ap) < 0)
		abort();
	va_end(ap);
}

void check_list_append(char **list, const char *word)
{
	char *s = xasprintf("%s%s%s", *list ? *list : "", *list && **list ? " " : "", word);
	free(*list);
	*list = s;
}

void check_add_set(struct check_report *r, const char *section, const char *name,
		   const char *missing, const char *limited_fmt, const char *ok_effect,
		   const char *detail)
{
	if (!*missing) {
		check_add(r, section, name, CHECK_OK, ok_effect, "%s", detail);
		return;
	}
	char *effect = xasprintf(limited_fmt, missing);
	check_add(r, section, name, CHECK_LIMITED, effect, "%s", detail);
	free(effect);
}

void check_report_free(struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].section);
		free(r->items[i].name);
		free(r->items[i].detail);
		free(r->items[i].effect);
	}
	free(r->items);
	r->items = NULL;
	r->n = 0;
}

const char *check_status_name(enum check_status s)
{
	switch (s) {
	case CHECK_OK:
		return "ok";
	case CHECK_LIMITED:
		return "limited";
	case CHECK_MISSING:
		return "missing";
	}
	return "?";
}

char *check_read_line(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	fclose(f);
	if (n < 0) {
		free(line);
		return xstrdup("");
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

extern const struct husk_check_probe *const __start_husk_checks[];
extern const struct husk_check_probe *const __stop_husk_checks[];

static int by_order(const void *a, const void *b)
{
	const struct husk_check_probe *pa = *(const struct husk_check_probe *const *)a;
	const struct husk_check_probe *pb = *(const struct husk_check_probe *const *)b;
	return (pa->order > pb->order) - (pa->order < pb->order);
}

void check_run_all(struct check_report *r)
{
	size_t n = (size_t)(__stop_husk_checks - __start_husk_checks);
	const struct husk_check_probe **probes = xcalloc(n ? n : 1, sizeof(*probes));
	memcpy(probes, __start_husk_checks, n * sizeof(*probes));
	qsort(probes, n, sizeof(*probes), by_order);
	for (size_t i = 0; i < n; i++)
		probes[i]->probe(r);
	free(probes);
}

/* husk needs 5.8 for openat2 (5.6), clone3 with CLONE_INTO_CGROUP (5.7) and
 * pidfd_getfd; the modules below say which feature is missing on older ones. */
static void probe_kernel(struct check_report *r)
{
	struct utsname u;
	if (uname(&u) < 0) {
		check_add(r, "kernel", "version", CHECK_MISSING, "uname failed", "unknown");
		return;
	}
	unsigned major = 0, minor = 0;
	sscanf(u.release, "%u.%u", &major, &minor);
	bool new_enough = major > 5 || (major == 5 && minor >= 8);
	check_add(r, "kernel", "version", new_enough ? CHECK_OK : CHECK_LIMITED,
		  new_enough ? "Linux 5.8 or later: every feature husk uses can be there"
			     : "older than Linux 5.8: see the missing features below",
		  "%s %s", u.release, u.machine);
}

HUSK_CHECK(kernel_check, {.order = 0, .probe = probe_kernel});
