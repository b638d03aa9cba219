#include "runtime/exec_pidfd.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/terminal.h"

int pidfd_send_to_socket(const char *socket_path, pid_t pid, const char *kind,
			 struct husk_err **err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (!socket_path || !*socket_path)
		return husk_err_set(err, EINVAL, "--pidfd-socket: empty path");
	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return husk_err_set(err, ENAMETOOLONG, "--pidfd-socket %s: path too long", socket_path);
	strcpy(addr.sun_path, socket_path);
	cleanup_fd int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return husk_err_sys(err, "--pidfd-socket: pidfd_open %d", (int)pid);
	cleanup_fd int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return husk_err_sys(err, "--pidfd-socket: socket");
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return husk_err_sys(err, "--pidfd-socket: connect to %s", socket_path);
	if (terminal_send_fd(s, pidfd, kind, err) < 0)
		return husk_err_wrap(err, "--pidfd-socket %s", socket_path);
	return 0;
}
