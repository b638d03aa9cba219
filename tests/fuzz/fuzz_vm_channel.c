/* libFuzzer target: a hostile guest against the host's side of the VM
 * channel (vm-sandbox/agent/channel.h): the monitor's relay thread
 * (host_relay) and an exec client's handshake and relay.
 *
 * The first input byte picks the host side:
 *   0  the monitor's relay, the guest's stream as it comes;
 *   1  the monitor's relay with an exec client connected (its session
 *      exists before the guest's bytes arrive; the stream may name it);
 *   2  an exec client (husk exec's relay): the handshake, then the relay.
 * The rest is everything the guest writes, then its end closes.  The relay
 * must end by itself (EOF or a broken stream: never a hang), leak nothing,
 * and the exec client must only ever get well-formed frames of the guest ->
 * host types (checked: abort otherwise).
 *
 * HUSK_FUZZ_SEEDS=DIR writes a few valid streams there first. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm-sandbox/agent/channel.h"
#include "vm-sandbox/agent/host_relay.h"

static char sock_dir[] = "/tmp/husk-fuzz-chan.XXXXXX";
static char sock_path[sizeof(sock_dir) + 16];
static int listen_fd = -1, null_fd = -1;
static sigset_t no_signals;

static void die(const char *what)
{
	perror(what);
	abort();
}

static void write_all_or_die(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			die("write the guest's bytes");
		p += w;
		n -= (size_t)w;
	}
}

/* Every frame the exec client got: whole, session 0, guest -> host types. */
static void check_client_stream(int fd)
{
	static uint8_t buf[1 << 20];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (have == sizeof(buf))
			break;
	}
	size_t off = 0;
	while (off < have) {
		struct chan_frame f;
		ssize_t used = chan_parse(buf + off, have - off, &f);
		if (used == 0)
			break; /* cut off when the relay stopped: nothing follows */
		if (used < 0 || f.session != 0 || f.type < CHAN_STARTED)
			abort(); /* the monitor passed on something it must not */
		off += (size_t)used;
	}
}

static void put_frame(uint8_t **p, uint32_t session, uint32_t type, const void *data, uint32_t len)
{
	struct chan_hdr h = {.type = type, .len = len, .session = session};
	memcpy(*p, &h, sizeof(h));
	if (len)
		memcpy(*p + sizeof(h), data, len);
	*p += sizeof(h) + len;
}

static void write_seeds(const char *dir)
{
	int32_t st = 3 << 8;
	uint8_t buf[512], *p;
	char path[4096];
	for (int mode = 0; mode < 3; mode++) {
		p = buf;
		*p++ = (uint8_t)mode;
		uint32_t s = mode == 1 ? 1 : 0;
		put_frame(&p, s, CHAN_STARTED, NULL, 0);
		put_frame(&p, s, CHAN_STDOUT, "hello\n", 6);
		put_frame(&p, s, CHAN_STDERR, "oops\n", 5);
		if (mode == 1)
			put_frame(&p, 0, CHAN_STDOUT, "main\n", 5);
		put_frame(&p, s, CHAN_ERROR, "no such file", 12);
		put_frame(&p, s, CHAN_EXIT, &st, sizeof(st));
		snprintf(path, sizeof(path), "%s/seed-%d", dir, mode);
		FILE *f = fopen(path, "w");
		if (!f || fwrite(buf, 1, (size_t)(p - buf), f) != (size_t)(p - buf) || fclose(f))
			die(path);
	}
}

static void cleanup(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&no_signals);
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd < 0 || !mkdtemp(sock_dir))
		die("set up");
	snprintf(sock_path, sizeof(sock_path), "%s/vm.sock", sock_dir);
	atexit(cleanup);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(listen_fd, 4) < 0)
		die("exec socket");
	const char *seeds = getenv("HUSK_FUZZ_SEEDS");
	if (seeds)
		write_seeds(seeds);
	return 0;
}

/* A connected exec client whose CHAN_EXEC the relay already passed to the
 * guest (so its session exists before the guest's bytes). */
static int connect_client(int guest)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	struct husk_err *err = NULL;
	if (chan_send(c, CHAN_EXEC, "{}", 2, &err) < 0)
		die("send CHAN_EXEC");
	uint8_t buf[64];
	size_t have = 0;
	struct chan_frame f;
	while (chan_parse(buf, have, &f) == 0) {
		ssize_t n = read(guest, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR) /* libFuzzer's -timeout alarm */
			continue;
		if (n <= 0)
			die("the relay did not pass CHAN_EXEC on");
		have += (size_t)n;
	}
	if (f.type != CHAN_EXEC || f.session == 0)
		abort();
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536) /* the guest's bytes fit the socket's buffer */
		return 0;
	int mode = data[0] % 3;
	data++, size--;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	int bufsz = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	int guest = sv[0], chan = sv[1], client = -1;
	struct husk_err *err = NULL;
	struct host_relay *r = NULL;
	struct host_relay_opts o = {.chan = chan,
				    .in = -1,
				    .out = null_fd,
				    .err = null_fd,
				    .fwd = &no_signals,
				    .exec_listen = mode == 1 ? listen_fd : -1,
				    .guest_up = mode != 0};
	if (mode == 1) {
		if (host_relay_start(&o, &r, &err) < 0)
			die("host_relay_start");
		client = connect_client(guest);
	}
	write_all_or_die(guest, data, size);
	shutdown(guest, SHUT_WR);
	if (mode == 2 && host_relay_handshake(chan, &err) < 0) {
		husk_err_free(&err);
	} else {
		if (mode != 1 && host_relay_start(&o, &r, &err) < 0)
			die("host_relay_start");
		/* ends by itself: the guest's end is closed */
		host_relay_wait(r);
		int status;
		char *error = NULL;
		unsigned long long started;
		host_relay_finish(r, &status, &error, &started);
		free(error);
	}
	if (client >= 0) {
		check_client_stream(client);
		close(client);
	}
	close(guest);
	close(chan);
	return 0;
}
