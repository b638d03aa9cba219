/* A minimal seccomp notify agent for the listenerPath tests.
 *
 *   notify_agent SOCKET STATE_FILE [SYSCALL ERRNO]...
 *
 * Listens on SOCKET, accepts one runtime connection, stores the container
 * process state it receives in STATE_FILE (plus a line "fd=yes" when an fd
 * came with it), then answers notifications: a listed SYSCALL fails with
 * ERRNO, anything else continues.  Each handled syscall name is appended to
 * STATE_FILE.log.  Exits when the container is gone or after 60 s. */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3 || (argc - 3) % 2) {
		fprintf(stderr, "usage: %s SOCKET STATE_FILE [SYSCALL ERRNO]...\n", argv[0]);
		return 2;
	}
	int nrules = (argc - 3) / 2;
	int nrs[32], errs[32];
	for (int i = 0; i < nrules && i < 32; i++) {
		nrs[i] = seccomp_syscall_resolve_name(argv[3 + 2 * i]);
		errs[i] = atoi(argv[4 + 2 * i]);
	}
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[1]);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(argv[1]);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0) {
		perror("listen");
		return 1;
	}
	struct pollfd pa = {.fd = s, .events = POLLIN};
	if (poll(&pa, 1, 60000) != 1)
		return 3;
	int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	static char msg[65536];
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = msg, .iov_len = sizeof(msg) - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			    .msg_controllen = sizeof(control)};
	ssize_t n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return 4;
	/* The state may come in more than one read. */
	struct pollfd pc = {.fd = c, .events = POLLIN};
	while ((size_t)n < sizeof(msg) - 1 && poll(&pc, 1, 50) == 1) {
		ssize_t m = read(c, msg + n, sizeof(msg) - 1 - (size_t)n);
		if (m <= 0)
			break;
		n += m;
	}
	msg[n] = 0;
	int nfd = -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&nfd, CMSG_DATA(cm), sizeof(int));
	FILE *st = fopen(argv[2], "w");
	fprintf(st, "%s\nfd=%s\n", msg, nfd >= 0 ? "yes" : "no");
	fclose(st);
	if (nfd < 0)
		return 5;
	char logpath[4096];
	snprintf(logpath, sizeof(logpath), "%s.log", argv[2]);
	struct seccomp_notif_sizes sz;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		return 6;
	struct seccomp_notif *req = calloc(1, sz.seccomp_notif);
	struct seccomp_notif_resp *resp = calloc(1, sz.seccomp_notif_resp);
	for (;;) {
		struct pollfd p = {.fd = nfd, .events = POLLIN};
		if (poll(&p, 1, 60000) != 1 || (p.revents & (POLLHUP | POLLERR)))
			break;
		memset(req, 0, sz.seccomp_notif);
		if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			break;
		}
		memset(resp, 0, sz.seccomp_notif_resp);
		resp->id = req->id;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		for (int i = 0; i < nrules; i++)
			if (req->data.nr == nrs[i]) {
				resp->flags = 0;
				resp->error = -errs[i];
			}
		char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
		FILE *lf = fopen(logpath, "a");
		if (lf) {
			fprintf(lf, "%s\n", name ? name : "?");
			fclose(lf);
		}
		free(name);
		ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, resp);
	}
	free(req);
	free(resp);
	close(nfd);
	return 0;
}
