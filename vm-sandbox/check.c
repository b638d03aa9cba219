/* husk check, microVMs: /dev/kvm and what backs it (hardware virtualization,
 * PVM, or nothing), and the guest kernel VM mode boots. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/check.h"
#include "common/cleanup.h"
#include "common/util.h"

#ifndef HUSK_PREFIX
#define HUSK_PREFIX "/usr/local"
#endif

static bool has_word(const char *line, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = line; (p = strstr(p, w)); p += n)
		if (p > line && (p[-1] == ' ' || p[-1] == '\t') &&
		    (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* "vmx", "svm" or NULL from /proc/cpuinfo's flags. */
static const char *cpu_virt_flag(void)
{
	cleanup_file FILE *f = fopen("/proc/cpuinfo", "re");
	cleanup_free char *line = NULL;
	size_t cap = 0;
	while (f && getline(&line, &cap, f) > 0) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		if (has_word(line, "vmx"))
			return "vmx";
		if (has_word(line, "svm"))
			return "svm";
		return NULL;
	}
	return NULL;
}

static void probe_kvm(struct check_report *r)
{
	const char *flag = cpu_virt_flag();
	bool pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
	const char *backing = flag  ? (strcmp(flag, "vmx") == 0 ? "hardware (Intel VT-x, vmx)"
								: "hardware (AMD-V, svm)")
			      : pvm ? "PVM (kvm_pvm, no vmx/svm flag)"
				    : "no vmx/svm flag";
	if (access("/dev/kvm", F_OK) != 0) {
		check_add(r, "vm", "/dev/kvm", CHECK_MISSING,
			  "no microVMs: husk vm boot and VM mode are unavailable", "absent; %s",
			  backing);
		return;
	}
	cleanup_fd int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		check_add(r, "vm", "/dev/kvm", CHECK_LIMITED,
			  "husk cannot open /dev/kvm: no microVMs for this user", "%s; %s",
			  strerror(errno), backing);
		return;
	}
	int api = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (flag)
		check_add(r, "vm", "/dev/kvm", CHECK_OK, "microVMs boot Linux guests",
			  "KVM API %d, %s", api, backing);
	else
		check_add(r, "vm", "/dev/kvm", CHECK_LIMITED,
			  pvm ? "PVM: husk's test guests run, a stock Linux guest kernel does not "
				"boot directly"
			      : "KVM without hardware virtualization flags: guests may not boot",
			  "KVM API %d, %s", api, backing);
}

static bool readable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

/* Where VM mode looks for its kernel, in order: HUSK_VM_KERNEL, the
 * installed one, the build tree next to this husk (make guest-kernel). */
static char *find_guest_kernel(const char **source)
{
	const char *env = getenv("HUSK_VM_KERNEL");
	if (env && *env) {
		*source = "HUSK_VM_KERNEL";
		return xstrdup(env);
	}
	char *installed = xstrdup(HUSK_PREFIX "/lib/husk/guest/vmlinux");
	if (readable_file(installed)) {
		*source = "installed";
		return installed;
	}
	free(installed);
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *built = xasprintf("%s/guest-kernel/vmlinux", dirname(exe));
		if (readable_file(built)) {
			*source = "build tree";
			return built;
		}
		free(built);
	}
	return NULL;
}

static void probe_guest_kernel(struct check_report *r)
{
	const char *source = NULL;
	cleanup_free char *path = find_guest_kernel(&source);
	if (!path)
		check_add(r, "vm", "guest kernel", CHECK_MISSING,
			  "VM mode has no kernel to boot: make guest-kernel && make install, or "
			  "set HUSK_VM_KERNEL",
			  "not found (HUSK_VM_KERNEL, %s/lib/husk/guest, build tree)", HUSK_PREFIX);
	else if (!readable_file(path))
		check_add(r, "vm", "guest kernel", CHECK_MISSING,
			  "the guest kernel named is not a readable file", "%s (%s)", path, source);
	else
		check_add(r, "vm", "guest kernel", CHECK_OK, "VM mode boots this kernel", "%s (%s)",
			  path, source);
}

static void probe_vm(struct check_report *r)
{
	probe_kvm(r);
	probe_guest_kernel(r);
}

HUSK_CHECK(vm_check, {.order = 60, .probe = probe_vm});
