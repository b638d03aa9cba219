/* The closed vocabularies of runtime-spec 1.2 (namespace types, rlimits,
 * capabilities, seccomp actions, ...) and their kernel numbers.  Used by the
 * parser to validate, and by the modules that apply the values. */
#ifndef HUSK_OCI_NAMES_H
#define HUSK_OCI_NAMES_H

#include <stdbool.h>

/* NULL-terminated lists. */
extern const char *const oci_ioprio_class_names[];	 /* IOPRIO_CLASS_RT, _BE, _IDLE */
extern const char *const oci_sched_policy_names[];	 /* SCHED_OTHER, ... */
extern const char *const oci_sched_flag_names[];	 /* SCHED_FLAG_* */
extern const char *const oci_seccomp_action_names[];	 /* SCMP_ACT_* */
extern const char *const oci_seccomp_op_names[];	 /* SCMP_CMP_* */
extern const char *const oci_seccomp_arch_names[];	 /* SCMP_ARCH_* */
extern const char *const oci_seccomp_flag_names[];	 /* SECCOMP_FILTER_FLAG_* */
extern const char *const oci_mpol_mode_names[];		 /* MPOL_* */
extern const char *const oci_mpol_flag_names[];		 /* MPOL_F_* */
extern const char *const oci_propagation_names[];	 /* shared, rslave, ... */
extern const char *const oci_personality_domain_names[]; /* LINUX, LINUX32 */
extern const char *const oci_cap_names[];		 /* index == capability number */

/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 if unknown. */
int oci_rlimit_from_name(const char *name);
/* "0-3,7" style CPU / NUMA node lists (Linux cpuset syntax). */
bool oci_cpu_list_valid(const char *s);
/* SemVer 2.0.0: MAJOR.MINOR.PATCH[-prerelease][+build] (config.md: ociVersion MUST be one). */
bool oci_semver_valid(const char *s);
/* A network interface name: 1..15 bytes, not "." or "..", no '/', ':' or whitespace. */
bool oci_netdev_name_valid(const char *s);

#endif
