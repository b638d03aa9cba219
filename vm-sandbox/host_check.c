/* vm_host_check (guest.h): refuse, with the reason, a host where a Linux
 * guest cannot boot, before anything of the container exists. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "vm-sandbox/guest.h"

/* A whole word "vmx" or "svm" on a "flags" line. */
static bool has_virt_flag(const char *cpuinfo)
{
	for (const char *line = cpuinfo; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (!strncmp(line, "flags", 5)) {
			const char *colon = memchr(line, ':', len);
			for (const char *p = colon; p && p < line + len;) {
				while (p < line + len && (*p == ' ' || *p == ':' || *p == '\t'))
					p++;
				size_t w = 0;
				while (p + w < line + len && p[w] != ' ' && p[w] != '\t')
					w++;
				if (w == 3 && (!strncmp(p, "vmx", 3) || !strncmp(p, "svm", 3)))
					return true;
				p += w;
				if (!w)
					break;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

int vm_host_check(const char *kvm_path, const char *cpuinfo, struct husk_err **err)
{
	if (!kvm_path)
		kvm_path = "/dev/kvm";
	struct stat st;
	if (stat(kvm_path, &st) < 0)
		return husk_err_set(err, ENODEV,
				    "--vm: no hardware virtualization: %s is missing (%s); the "
				    "bundle is not run as a container instead",
				    kvm_path, strerror(errno));
	if (!S_ISCHR(st.st_mode))
		return husk_err_set(err, ENODEV, "--vm: %s is not a character device", kvm_path);
	cleanup_free char *text = NULL;
	if (!cpuinfo) {
		if (read_file_at(AT_FDCWD, "/proc/cpuinfo", &text, NULL, err) < 0)
			return husk_err_wrap(err, "--vm: checking for hardware virtualization");
		cpuinfo = text;
	}
	if (!has_virt_flag(cpuinfo)) {
		bool pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
		return husk_err_set(
		    err, ENODEV,
		    "--vm: no hardware virtualization: the CPU flags in "
		    "/proc/cpuinfo have neither vmx nor svm%s, so a Linux guest "
		    "cannot boot here; the bundle is not run as a container instead",
		    pvm ? " (KVM is kvm_pvm, whose ring 0 is emulated)" : "");
	}
	return 0;
}
