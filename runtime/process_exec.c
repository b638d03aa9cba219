/* Finding process.args[0] the way runc does: a name with a '/' as given, else
 * the first executable regular file on the process's PATH (or the default). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/process_security.h"
#include "runtime/state.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* runc's (Go's) wording: "exec: \"/x\": stat /x: no such file or directory".
 * Docker and podman match the lower-case errno text to exit 127. */
static int stat_failed(const char *name, struct husk_err **err)
{
	int e = errno;
	if (e == ENOENT)
		return container_err(err, e, "exec: \"%s\": stat %s: no such file or directory",
				     name, name);
	return husk_err_set(err, e, "exec: \"%s\": stat %s", name, name);
}

int process_find_executable(const char *name, char *const *env, char **out, struct husk_err **err)
{
	struct stat st;
	if (strchr(name, '/')) {
		if (stat(name, &st) < 0)
			return stat_failed(name, err);
		if (!S_ISREG(st.st_mode) || access(name, X_OK) < 0)
			return husk_err_set(err, EACCES, "exec: \"%s\": permission denied", name);
		*out = xstrdup(name);
		return 0;
	}
	const char *path = DEFAULT_PATH;
	for (char *const *e = env; e && *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	for (const char *p = path;;) {
		size_t n = strcspn(p, ":");
		cleanup_free char *cand = xasprintf("%.*s%s%s", (int)n, n ? p : ".", "/", name);
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			*out = steal_ptr(&cand);
			return 0;
		}
		if (!p[n])
			break;
		p += n + 1;
	}
	return container_err(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}
