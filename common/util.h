/* Small helpers shared by every module: whole-file I/O, full reads/writes,
 * allocation that cannot fail, strict number parsing, clocks.  Anything bigger
 * belongs to its own module. */
#ifndef HUSK_COMMON_UTIL_H
#define HUSK_COMMON_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Loop over EINTR and short counts.  read_all returns bytes read (short only at EOF). */
ssize_t read_all(int fd, void *buf, size_t len);
ssize_t write_all(int fd, const void *buf, size_t len);

/* Read a whole file (relative to dirfd, AT_FDCWD for cwd) into a NUL-terminated buffer. */
int read_file_at(int dirfd, const char *path, char **out, size_t *len, struct husk_err **err);
/* Write a string to a file: used for /proc and cgroup knobs. */
int write_string_at(int dirfd, const char *path, const char *s, struct husk_err **err);
/* Create/replace a file atomically (tmp + rename) with mode. */
int write_file_atomic_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode,
			 struct husk_err **err);

/* mkdir -p relative to dirfd.  Existing directories are fine. */
int mkdir_p_at(int dirfd, const char *path, mode_t mode, struct husk_err **err);

/* Allocation that cannot fail (aborts on OOM, as there is nothing sane to do). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Strict integer parsing: the whole string must be a number in range. */
int parse_u64(const char *s, unsigned long long *out);
int parse_i64(const char *s, long long *out);

/* Monotonic and boot time in ns. */
unsigned long long now_ns(void);

#endif
