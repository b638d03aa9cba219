/* A guest-side vsock client for tests/bats/vm_linux.bats (static, in the
 * guest's initramfs): connect to the host (CID 2) on PORT, send MESSAGE,
 * close the sending side and print what comes back until the host closes.
 *   vsock-ping PORT MESSAGE */
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: vsock-ping PORT MESSAGE\n");
		return 2;
	}
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	struct sockaddr_vm a = {
	    .svm_family = AF_VSOCK,
	    .svm_cid = VMADDR_CID_HOST,
	    .svm_port = (unsigned)atoi(argv[1]),
	};
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("vsock-ping: connect");
		return 1;
	}
	size_t len = strlen(argv[2]);
	if (write(fd, argv[2], len) != (ssize_t)len || shutdown(fd, SHUT_WR) < 0) {
		perror("vsock-ping: send");
		return 1;
	}
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	if (n < 0) {
		perror("vsock-ping: read");
		return 1;
	}
	putchar('\n');
	return 0;
}
