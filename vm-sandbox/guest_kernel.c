/* The guest kernel's lookup (guest.h): one function, so `husk run --vm`,
 * `husk check` and the tests agree on where it is. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "vm-sandbox/guest.h"

#ifndef HUSK_GUEST_KERNEL_INSTALLED
#define HUSK_GUEST_KERNEL_INSTALLED "/usr/local/lib/husk/guest/vmlinux"
#endif
#ifndef HUSK_GUEST_KERNEL_BUILD
#define HUSK_GUEST_KERNEL_BUILD ""
#endif

static bool is_file(const char *path)
{
	struct stat st;
	return path && *path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int given(const char *what, const char *path, char **out, struct husk_err **err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return husk_err_sys(err, "guest kernel %s (from %s)", path, what);
	if (!S_ISREG(st.st_mode))
		return husk_err_set(err, EINVAL, "guest kernel %s (from %s): not a regular file",
				    path, what);
	*out = xstrdup(path);
	return 0;
}

int vm_guest_kernel_find_in(const char *annotation, const char *env, const char *installed,
			    const char *build_tree, char **path, struct husk_err **err)
{
	*path = NULL;
	if (annotation && *annotation)
		return given("annotation org.husk.vm.kernel", annotation, path, err);
	if (env && *env)
		return given("HUSK_VM_KERNEL", env, path, err);
	if (is_file(installed)) {
		*path = xstrdup(installed);
		return 0;
	}
	if (is_file(build_tree)) {
		*path = xstrdup(build_tree);
		return 0;
	}
	return husk_err_set(err, ENOENT,
			    "no guest kernel: not at %s (make install) nor %s (make guest-kernel); "
			    "set HUSK_VM_KERNEL or the annotation org.husk.vm.kernel",
			    installed && *installed ? installed : "(no installed path)",
			    build_tree && *build_tree ? build_tree : "(no build tree)");
}

int vm_guest_kernel_find(const char *annotation, char **path, struct husk_err **err)
{
	return vm_guest_kernel_find_in(annotation, getenv("HUSK_VM_KERNEL"),
				       HUSK_GUEST_KERNEL_INSTALLED, HUSK_GUEST_KERNEL_BUILD, path,
				       err);
}
