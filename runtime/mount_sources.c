/* Bind sources for a container with a user namespace of its own.
 *
 * The init is root only inside its user namespace: a source below a
 * directory the mapped root may not search ("/srv/private/data" with
 * /srv/private 0700) fails with "permission denied", though the runtime,
 * host root, may open it.  As runc does: the runtime opens every bind source
 * (O_PATH) from inside the container's new mount namespace, where the init
 * can attach it, and hands the fds over the sync socket.  A helper process
 * does the setns (husk's own process may have threads, and must stay where
 * it is). */
#include "runtime/mount_sources.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fd_pass.h"
#include "common/util.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

static bool is_bind(const struct oci_mount *m)
{
	if (!m->source || !*m->source)
		return false;
	if (m->type && !strcmp(m->type, "bind"))
		return true;
	for (size_t i = 0; i < m->options.n; i++)
		if (!strcmp(m->options.v[i], "bind") || !strcmp(m->options.v[i], "rbind"))
			return true;
	return false;
}

bool mount_sources_needed(const struct oci_config *cfg, bool userns)
{
	if (!userns)
		return false;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (is_bind(&cfg->mounts[i]))
			return true;
	return false;
}

static void send_one(int sock, int fd)
{
	struct husk_err *err = NULL;
	if (sync_send(sock, SYNC_MOUNT_SOURCES, &err) < 0 ||
	    terminal_send_fd(sock, fd, fd >= 0 ? "y" : "n", &err) < 0)
		_exit(1);
}

__attribute__((noreturn)) static void helper(const struct oci_config *cfg, const char *bundle,
					     pid_t child, int sock)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)child);
	int ns = open(path, O_RDONLY | O_CLOEXEC);
	bool in = ns >= 0 && setns(ns, CLONE_NEWNS) == 0 && chdir(bundle) == 0;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		int fd = -1;
		if (in && is_bind(&cfg->mounts[i]))
			fd = open(cfg->mounts[i].source, O_PATH | O_CLOEXEC);
		/* -1: the init tries the path itself and reports its own error. */
		send_one(sock, fd);
		if (fd >= 0)
			close(fd);
	}
	_exit(0);
}

int mount_sources_send(const struct oci_config *cfg, const char *bundle, pid_t child, int sock,
		       struct husk_err **err)
{
	pid_t pid = fork();
	if (pid < 0)
		return husk_err_sys(err, "fork the mount source helper");
	if (pid == 0)
		helper(cfg, bundle, child, sock);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return husk_err_sys(err, "wait for the mount source helper");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return husk_err_set(err, EPROTO, "the mount source helper failed");
	return 0;
}

static int recv_one(int sock, int *fd, struct husk_err **err)
{
	char flag = 0;
	ssize_t n = fd_pass_recv(sock, &flag, 1, fd);
	if (n < 0)
		return husk_err_sys(err, "receive a mount source");
	if (n != 1 || (flag == 'y') != (*fd >= 0))
		return husk_err_set(err, EPROTO, "malformed mount source message");
	return 0;
}

int mount_sources_receive(const struct oci_config *cfg, int sock, int **fds, struct husk_err **err)
{
	int *v = xcalloc(cfg->n_mounts ? cfg->n_mounts : 1, sizeof(int));
	for (size_t i = 0; i < cfg->n_mounts; i++)
		v[i] = -1;
	*fds = v;
	if (sync_send(sock, SYNC_MOUNT_SOURCES, err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (sync_expect(sock, SYNC_MOUNT_SOURCES, err) < 0 ||
		    recv_one(sock, &v[i], err) < 0)
			return -1;
	return 0;
}
