/* Mock cgroupfs dirs for the cgroup driver unit tests (see cgroup_mock.c). */
#ifndef HUSK_TESTS_CGROUP_MOCK_H
#define HUSK_TESTS_CGROUP_MOCK_H

#include <stddef.h>

/* Make a temp dir holding the NULL-terminated list of empty files; returns its
 * fd (dir name in dir_out), -1 on failure. */
int cgmock_open(char *dir_out, size_t len, const char *const *files);
/* The file's content (heap), NULL if it does not exist. */
char *cgmock_get(int fd, const char *file);
/* Empty every listed file again. */
void cgmock_reset(int fd, const char *const *files);
void cgmock_close(int fd, const char *dir, const char *const *files);

#endif
