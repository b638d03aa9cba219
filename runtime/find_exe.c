/* The process's executable, looked up the way runc does (and with runc's
 * words: engines map "executable file not found in $PATH", "no such file or
 * directory" and "permission denied" to exit statuses 127 and 126). */
#include "runtime/process_security.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/state.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static bool runnable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int process_find_executable(const char *name, char *const *env, char **out, struct husk_err **err)
{
	struct stat st;
	if (strchr(name, '/')) {
		if (stat(name, &st) < 0)
			return husk_err_sys(err, "exec: \"%s\": stat %s", name, name);
		if (!S_ISREG(st.st_mode) || access(name, X_OK) < 0)
			return container_err(err, EACCES, "exec: \"%s\": permission denied", name);
		*out = xstrdup(name);
		return 0;
	}
	const char *path = DEFAULT_PATH;
	for (char *const *e = env; e && *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	for (const char *p = path;;) {
		size_t n = strcspn(p, ":");
		cleanup_free char *cand = xasprintf("%.*s/%s", (int)n, n ? p : ".", name);
		if (runnable(cand)) {
			*out = steal_ptr(&cand);
			return 0;
		}
		if (!p[n])
			break;
		p += n + 1;
	}
	return container_err(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}
