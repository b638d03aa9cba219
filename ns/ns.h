/* Namespaces for the container init: which ones are new (clone/unshare flags),
 * which ones are joined by path (setns, type-checked), user-namespace id maps
 * and time-namespace offsets.
 *
 * The plan is built once in the parent (it opens every path given in
 * linux.namespaces so a bad path fails before anything is cloned) and is
 * inherited by the child, which performs the joins. */
#ifndef HUSK_NS_H
#define HUSK_NS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/spec.h"

struct ns_plan {
	unsigned long new_flags;   /* CLONE_NEW* of every namespace to create */
	int join_fd[OCI_NS_COUNT]; /* fd of the namespace to join, -1 if none */
	bool any_join;		   /* at least one namespace is joined by path */
	bool user_new, user_join;
	bool time_offsets; /* linux.timeOffsets set (time ns must be new) */
};

/* Validate linux.namespaces (+ uid/gid mappings, timeOffsets, hostname) and open
 * the paths to join.  On failure nothing stays open. */
int ns_plan_build(const struct oci_config *cfg, struct ns_plan *plan, struct husk_err **err);
void ns_plan_close(struct ns_plan *plan);

/* setns() into the planned namespace of type t (no-op if none is joined). */
int ns_join(const struct ns_plan *plan, enum oci_ns_type t, struct husk_err **err);

/* Join every planned namespace except those in skip_mask (CLONE_NEW* bits);
 * the user namespace first, so the others are joined with its credentials. */
int ns_join_all(const struct ns_plan *plan, unsigned long skip_mask, struct husk_err **err);

/* Write /proc/PID/{setgroups,uid_map,gid_map} for a new user namespace.
 * setgroups is set to "deny" only when the writer lacks CAP_SETGID over the
 * parent namespace (rootless), as the kernel then requires it. */
int ns_write_id_maps(pid_t pid, const struct oci_linux *lx, struct husk_err **err);

/* Format mappings as the kernel wants them: "ctr host size\n" lines. */
char *ns_format_id_map(const struct oci_id_mapping *m, size_t n);

/* Write linux.timeOffsets into /proc/PID/timens_offsets.  The file belongs to
 * the time namespace PID's *children* will be in (after unshare(CLONE_NEWTIME)),
 * and only accepts writes before a process has entered that namespace.  pid 0: self. */
int ns_write_time_offsets(pid_t pid, const struct oci_linux *lx, struct husk_err **err);

#endif
