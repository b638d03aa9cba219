/* `husk check`: what this host can do for husk, and why not.
 *
 * Each module reports the features it depends on itself (ns/ the namespaces,
 * cgroups/ the layout, runtime/ seccomp and capabilities, rootfs/ the mount
 * API, vm-sandbox/ KVM): a probe registered with HUSK_CHECK() adds items to
 * the report.  cli/cmd_check.c only orders and prints them. */
#ifndef HUSK_COMMON_CHECK_H
#define HUSK_COMMON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

enum check_status { CHECK_OK, CHECK_LIMITED, CHECK_MISSING };

struct check_item {
	char *section; /* "namespaces" */
	char *name;    /* "user" */
	enum check_status status;
	char *detail; /* what was found: "limit 63379" */
	char *effect; /* one line on what it means for containers */
};

struct check_report {
	struct check_item *items;
	size_t n;
};

void check_add(struct check_report *r, const char *section, const char *name,
	       enum check_status status, const char *effect, const char *detail_fmt, ...)
    __attribute__((format(printf, 6, 7)));
void check_report_free(struct check_report *r);
const char *check_status_name(enum check_status s);

/* Append WORD to the space-separated *LIST (NULL or "" start it). */
void check_list_append(char **list, const char *word);

/* One item for a set of features: ok with OK_EFFECT when MISSING (a
 * space-separated list) is empty, else limited with an effect made from
 * LIMITED_FMT and the missing list (its one %s).  The detail is DETAIL. */
void check_add_set(struct check_report *r, const char *section, const char *name,
		   const char *missing, const char *limited_fmt, const char *ok_effect,
		   const char *detail);

/* Read a small /proc or /sys file, trailing newline removed; NULL if unreadable. */
char *check_read_line(const char *path);

struct husk_check_probe {
	int order; /* sections print in this order */
	void (*probe)(struct check_report *r);
};

#define HUSK_CHECK(sym, ...)                                                                       \
	static const struct husk_check_probe sym = __VA_ARGS__;                                    \
	static const struct husk_check_probe *const sym##_registration                             \
	    __attribute__((used, section("husk_checks"))) = &sym

/* Run every registered probe, in order. */
void check_run_all(struct check_report *r);

#endif
