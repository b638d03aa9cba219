#include "oci/names.h"

#include <string.h>
#include <sys/resource.h>

#include "common/util.h"

const char *const oci_ioprio_class_names[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
					      "IOPRIO_CLASS_IDLE", NULL};

const char *const oci_sched_policy_names[] = {"SCHED_OTHER",	"SCHED_FIFO", "SCHED_RR",
					      "SCHED_BATCH",	"SCHED_ISO",  "SCHED_IDLE",
					      "SCHED_DEADLINE", NULL};

const char *const oci_sched_flag_names[] = {
    "SCHED_FLAG_RESET_ON_FORK",	 "SCHED_FLAG_RECLAIM",
    "SCHED_FLAG_DL_OVERRUN",	 "SCHED_FLAG_KEEP_POLICY",
    "SCHED_FLAG_KEEP_PARAMS",	 "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX", NULL,
};

const char *const oci_seccomp_action_names[] = {
    "SCMP_ACT_KILL",	    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",	    "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",	    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",	    NULL,
};

const char *const oci_seccomp_op_names[] = {"SCMP_CMP_NE",	  "SCMP_CMP_LT", "SCMP_CMP_LE",
					    "SCMP_CMP_EQ",	  "SCMP_CMP_GE", "SCMP_CMP_GT",
					    "SCMP_CMP_MASKED_EQ", NULL};

const char *const oci_seccomp_arch_names[] = {
    "SCMP_ARCH_X86",	 "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",		"SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",	"SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",	 "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",	 "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",	"SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",	 "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",	"SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",	 "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",	NULL,
};

const char *const oci_seccomp_flag_names[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    NULL,
};

const char *const oci_mpol_mode_names[] = {
    "MPOL_DEFAULT",   "MPOL_BIND",	     "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
    "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL",	NULL,
};

const char *const oci_mpol_flag_names[] = {"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
					   "MPOL_F_STATIC_NODES", NULL};

/* The spec names four; runc also accepts the recursive spellings. */
const char *const oci_propagation_names[] = {"shared",	   "slave",	  "private",
					     "unbindable", "rshared",	  "rslave",
					     "rprivate",   "runbindable", NULL};

const char *const oci_personality_domain_names[] = {"LINUX", "LINUX32", NULL};

const char *const oci_cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
    NULL,
};

static const struct {
	const char *name;
	int resource;
} rlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int oci_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimits); i++)
		if (strcmp(rlimits[i].name, name) == 0)
			return rlimits[i].resource;
	return -1;
}

/* cpuset list: N or N-M, comma separated, M >= N; no empty items. */
bool oci_cpu_list_valid(const char *s)
{
	if (!*s)
		return false;
	for (;;) {
		unsigned long a = 0, b;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9') {
			a = a * 10 + (unsigned long)(*s++ - '0');
			if (a > 1u << 20)
				return false;
		}
		if (*s == '-') {
			s++;
			if (*s < '0' || *s > '9')
				return false;
			b = 0;
			while (*s >= '0' && *s <= '9') {
				b = b * 10 + (unsigned long)(*s++ - '0');
				if (b > 1u << 20)
					return false;
			}
			if (b < a)
				return false;
		}
		if (*s == '\0')
			return true;
		if (*s++ != ',')
			return false;
	}
}

bool oci_netdev_name_valid(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	return strpbrk(s, "/: \t\n\r\v\f") == NULL;
}

static bool is_ident_char(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '-';
}

/* One numeric part: 0 or no leading zero.  Advances *s. */
static bool semver_number(const char **s)
{
	const char *p = *s;
	if (*p < '0' || *p > '9')
		return false;
	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	*s = p;
	return true;
}

/* Dot-separated identifiers; prerelease ones that are all digits must not have
 * a leading zero. */
static bool semver_idents(const char **s, bool prerelease)
{
	const char *p = *s;
	for (;;) {
		const char *start = p;
		bool digits = true;
		while (is_ident_char(*p)) {
			digits &= *p >= '0' && *p <= '9';
			p++;
		}
		if (p == start)
			return false;
		if (prerelease && digits && *start == '0' && p - start > 1)
			return false;
		if (*p != '.')
			break;
		p++;
	}
	*s = p;
	return true;
}

bool oci_semver_valid(const char *s)
{
	if (!semver_number(&s) || *s++ != '.' || !semver_number(&s) || *s++ != '.' ||
	    !semver_number(&s))
		return false;
	if (*s == '-' && (s++, !semver_idents(&s, true)))
		return false;
	if (*s == '+' && (s++, !semver_idents(&s, false)))
		return false;
	return *s == '\0';
}
