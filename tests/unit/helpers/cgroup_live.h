/* For the suites that drive a real cgroupfs (test_cgroups_manager.c on v1 and
 * hybrid hosts, test_cgroups_unified.c on the cgroup2 mount). */
#ifndef HUSK_TESTS_CGROUP_LIVE_H
#define HUSK_TESTS_CGROUP_LIVE_H

#include <sys/types.h>

struct cgroup_manager;

/* A cgroup file's content without its trailing newlines (heap); NULL when it
 * cannot be read. */
char *cglive_read(const char *dir, const char *file);
/* The manager of cgroup PARENT/LEAF, made as the host's layout says, or on
 * the cgroup2 mount at V2ROOT alone when it is not NULL; the test fails when
 * it cannot be made. */
struct cgroup_manager *cglive_make(const char *parent, const char *leaf, const char *v2root);
/* No cgroup of this test process (husk-cgtest-PID*) is left in any hierarchy. */
void cglive_assert_none_left(void);
/* Wait for PID (EINTR retried): its wait status, -1 on failure. */
int cglive_reap(pid_t pid);

#endif
