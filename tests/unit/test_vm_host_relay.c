/* The host's side of the VM channel against a hostile guest: host_relay
 * (the monitor's relay thread, and an exec client's) and the exec
 * handshake.  Everything the guest sends is untrusted: malformed or oversized
 * frames end the relay cleanly, frames for other sessions or of the wrong
 * direction go nowhere, control characters never reach the host's terminal,
 * and a guest that sends without reading is held back instead of growing the
 * monitor.  The test plays the guest on one end of a socket pair. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "vm-sandbox/agent/channel.h"
#include "vm-sandbox/agent/host_relay.h"

static char tmpdir[] = "/tmp/husk-relay-test.XXXXXX";

struct rig {
	int guest;    /* the test's end: what the agent would write */
	int chan;     /* the relay's end */
	int out[2];   /* the workload's stdout as the runtime sees it */
	int err[2];   /* ... stderr */
	int listen;   /* exec clients' socket, -1 for none */
	sigset_t fwd; /* nothing forwarded */
	struct host_relay *r;
	char got[4096]; /* what reached stdout */
	size_t got_len;
};

static void rig_start(struct rig *g, bool with_exec, bool guest_up)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	g->guest = sv[0];
	g->chan = sv[1];
	assert_int_equal(pipe2(g->out, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(g->err, O_CLOEXEC | O_NONBLOCK), 0);
	g->listen = -1;
	if (with_exec) {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		snprintf(a.sun_path, sizeof(a.sun_path), "%s/vm.sock", tmpdir);
		unlink(a.sun_path);
		g->listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		assert_true(g->listen >= 0);
		assert_int_equal(bind(g->listen, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(listen(g->listen, 4), 0);
	}
	sigemptyset(&g->fwd);
	struct host_relay_opts o = {.chan = g->chan,
				    .in = -1,
				    .out = g->out[1],
				    .err = g->err[1],
				    .fwd = &g->fwd,
				    .exec_listen = g->listen,
				    .guest_up = guest_up};
	struct husk_err *e = NULL;
	assert_int_equal(host_relay_start(&o, &g->r, &e), 0);
}

/* The guest's end closes (or already broke the stream): the relay thread
 * must end by itself; then what it gathered. */
static int rig_end(struct rig *g, bool wait, int *status, char **error)
{
	shutdown(g->guest, SHUT_WR);
	if (wait)
		host_relay_wait(g->r);
	unsigned long long started = 0;
	int have = host_relay_finish(g->r, status, error, &started);
	ssize_t n = read(g->out[0], g->got, sizeof(g->got) - 1);
	g->got_len = n > 0 ? (size_t)n : 0;
	g->got[g->got_len] = '\0';
	int fds[] = {g->guest, g->chan, g->out[0], g->out[1], g->err[0], g->err[1], g->listen};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (g->listen >= 0) {
		char p[sizeof(tmpdir) + 16];
		snprintf(p, sizeof(p), "%s/vm.sock", tmpdir);
		unlink(p);
	}
	return have;
}

static int rig_finish(struct rig *g, int *status, char **error)
{
	return rig_end(g, true, status, error);
}

static void put(int fd, uint32_t session, uint32_t type, const void *data, uint32_t len)
{
	struct husk_err *e = NULL;
	assert_int_equal(chan_send_s(fd, session, type, data, len, &e), 0);
}

static void put_raw(int fd, const void *data, size_t len)
{
	assert_int_equal(write(fd, data, len), (ssize_t)len);
}

/* The next whole frame on fd (blocking), into buf; its type, or -1 at EOF. */
static int next_frame(int fd, uint8_t *buf, size_t cap, struct chan_frame *f)
{
	size_t have = 0;
	for (;;) {
		ssize_t used = chan_parse(buf, have, f);
		assert_true(used >= 0); /* the host never sends a malformed frame */
		if (used > 0)
			return (int)f->type;
		struct pollfd p = {fd, POLLIN, 0};
		assert_int_equal(poll(&p, 1, 30000), 1);
		ssize_t n = read(fd, buf + have, cap - have);
		if (n == 0)
			return -1;
		assert_true(n > 0);
		have += (size_t)n;
	}
}

static void test_well_formed(void **state)
{
	struct rig g;
	rig_start(&g, false, false);
	put(g.guest, 0, CHAN_STARTED, NULL, 0);
	put(g.guest, 0, CHAN_STDOUT, "out", 3);
	put(g.guest, 0, CHAN_STDERR, "err", 3);
	int32_t st = 3 << 8;
	put(g.guest, 0, CHAN_EXIT, &st, sizeof(st));
	uint8_t buf[64];
	struct chan_frame f;
	assert_int_equal(next_frame(g.guest, buf, sizeof(buf), &f), CHAN_EXIT_ACK);
	int status = 0;
	char *error = NULL;
	assert_int_equal(rig_finish(&g, &status, &error), 1);
	assert_int_equal(status, 3 << 8);
	assert_null(error);
}

/* Each header the parser must refuse: the relay ends at once, with nothing
 * reported, and without reading what follows. */
static void test_malformed_headers(void **state)
{
	struct chan_hdr bad[] = {
	    {.type = CHAN_STDOUT, .len = CHAN_MAX_PAYLOAD + 1},
	    {.type = CHAN_STDOUT, .len = UINT32_MAX},
	    {.type = 0, .len = 0},
	    {.type = 7, .len = 0},  /* between the two ranges */
	    {.type = 15, .len = 0}, /* just below the guest's */
	    {.type = 21, .len = 0}, /* just above */
	    {.type = UINT32_MAX, .len = 4},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rig g;
		rig_start(&g, false, false);
		put(g.guest, 0, CHAN_STDOUT, "a", 1);
		put_raw(g.guest, &bad[i], sizeof(bad[i]));
		/* a status after the bad header is never taken */
		int32_t st = 0;
		put(g.guest, 0, CHAN_EXIT, &st, sizeof(st));
		int status = -1;
		char *error = NULL;
		assert_int_equal(rig_finish(&g, &status, &error), 0);
		assert_null(error);
		assert_string_equal(g.got, "a"); /* once: no resync after the bad one */
	}
}

/* Truncated frames, odd payload sizes, unknown sessions: no status, no
 * crash, no hang. */
static void test_truncated_and_odd(void **state)
{
	struct rig g;
	rig_start(&g, false, false);
	struct chan_hdr h = {.type = CHAN_STDOUT, .len = 100};
	put_raw(g.guest, &h, sizeof(h));
	put_raw(g.guest, "short", 5); /* then the guest's end closes */
	int status = -1;
	char *error = NULL;
	assert_int_equal(rig_finish(&g, &status, &error), 0);

	rig_start(&g, false, false);
	put_raw(g.guest, &h, 7); /* half a header */
	assert_int_equal(rig_finish(&g, &status, &error), 0);

	rig_start(&g, false, false);
	put(g.guest, 0, CHAN_EXIT, "xy", 2);		    /* a status of the wrong size */
	put(g.guest, 0, CHAN_EXIT, "12345678", 8);	    /* ... */
	put(g.guest, 42, CHAN_STDOUT, "nobody", 6);	    /* a session that does not exist */
	put(g.guest, 0, CHAN_SIGNAL, "\x09\0\0\0", 4);	    /* a host -> guest type */
	put(g.guest, 0, CHAN_EXEC, "{}", 2);		    /* ... */
	put(g.guest, UINT32_MAX, CHAN_EXIT, "\0\0\0\0", 4); /* ... */
	put(g.guest, 0, CHAN_STDOUT, "main", 4);
	assert_int_equal(rig_finish(&g, &status, &error), 0);
	assert_null(error);
	assert_string_equal(g.got, "main"); /* session 42's bytes went nowhere */
}

/* CHAN_ERROR's text reaches the host with no control character in it. */
static void test_error_text(void **state)
{
	struct rig g;
	rig_start(&g, false, false);
	const char msg[] = "no\x1b]0;owned\x07 such\r\x7f file\n\tx\0y";
	put(g.guest, 0, CHAN_ERROR, msg, sizeof(msg) - 1);
	int status = 0;
	char *error = NULL;
	assert_int_equal(rig_finish(&g, &status, &error), 0);
	assert_non_null(error);
	assert_string_equal(error, "no?]0;owned? such?? file\n\tx?y");
	free(error);
}

/* Write frames without reading until the socket says EAGAIN; how many bytes
 * went.  Gives up (returns SIZE_MAX) past 64 MiB: the host never pushed back. */
static size_t flood(int fd, uint32_t session, uint32_t type, uint32_t len)
{
	static uint8_t frame[sizeof(struct chan_hdr) + 4096];
	struct chan_hdr h = {.type = type, .len = len, .session = session};
	memcpy(frame, &h, sizeof(h));
	size_t sent = 0, flen = sizeof(h) + len;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (sent < (64u << 20)) {
		size_t off = sent % flen;
		ssize_t n = write(fd, frame + off, flen - off);
		if (n < 0 && errno == EAGAIN) {
			/* give the relay time to drain the socket, then try again:
			 * only a relay that stopped reading leaves it full */
			struct pollfd p = {fd, POLLOUT, 0};
			if (poll(&p, 1, 2000) == 0)
				return sent;
			continue;
		}
		assert_true(n > 0);
		sent += (size_t)n;
	}
	return SIZE_MAX;
}

/* A guest that sends statuses and never reads the acknowledgements: the
 * relay stops reading it once a MiB is queued for it. */
static void test_guest_not_reading_is_held_back(void **state)
{
	struct rig g;
	rig_start(&g, false, false);
	size_t sent = flood(g.guest, 0, CHAN_EXIT, 4);
	assert_true(sent != SIZE_MAX);
	assert_true(sent < (16u << 20));
	/* it waits for the guest to read; the monitor stops it when the VM
	 * stops (host_relay_finish) */
	int status = 0;
	char *error = NULL;
	assert_int_equal(rig_end(&g, false, &status, &error), 1);
}

static int exec_client(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/vm.sock", tmpdir);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	put(fd, 0, CHAN_EXEC, "{}", 2);
	return fd;
}

/* An exec session: the client gets its own frames, renumbered to session 0,
 * only of the guest -> host types, and nothing after the status. */
static void test_exec_session(void **state)
{
	struct rig g;
	rig_start(&g, true, true);
	int c = exec_client();
	uint8_t buf[256];
	struct chan_frame f;
	assert_int_equal(next_frame(g.guest, buf, sizeof(buf), &f), CHAN_EXEC);
	uint32_t s = f.session;
	assert_true(s != 0);
	put(g.guest, s, CHAN_STARTED, NULL, 0);
	put(g.guest, s, CHAN_STDIN, "wrong-way", 9); /* a host -> guest type */
	put(g.guest, s, CHAN_EXEC, "{}", 2);
	put(g.guest, s + 1, CHAN_STDOUT, "other", 5); /* not this client's */
	put(g.guest, s, CHAN_STDOUT, "mine", 4);
	int32_t st = 0;
	put(g.guest, s, CHAN_EXIT, &st, sizeof(st));
	put(g.guest, s, CHAN_STDOUT, "late", 4); /* after the status */
	/* everything the client gets, to the end */
	uint8_t all[256];
	size_t have = 0;
	for (;;) {
		struct pollfd p = {c, POLLIN, 0};
		assert_int_equal(poll(&p, 1, 30000), 1);
		ssize_t n = read(c, all + have, sizeof(all) - have);
		assert_true(n >= 0);
		if (n == 0)
			break;
		have += (size_t)n;
	}
	size_t off = 0;
	int types[8], nt = 0;
	while (off < have && nt < 8) {
		ssize_t u = chan_parse(all + off, have - off, &f);
		assert_true(u > 0);
		assert_int_equal(f.session, 0);
		if (f.type == CHAN_STDOUT)
			assert_memory_equal(f.data, "mine", 4);
		types[nt++] = (int)f.type;
		off += (size_t)u;
	}
	assert_int_equal(off, have);
	assert_int_equal(nt, 3);
	assert_int_equal(types[0], CHAN_STARTED);
	assert_int_equal(types[1], CHAN_STDOUT);
	assert_int_equal(types[2], CHAN_EXIT);
	close(c);
	int status = 0;
	char *error = NULL;
	assert_int_equal(rig_finish(&g, &status, &error), 0);
}

/* A client that does not read while the guest floods its output: the guest
 * is held back (the monitor queues a MiB at most for it), and the
 * container's own session is not lost: it goes on once the client reads. */
static void test_exec_client_not_reading_holds_guest_back(void **state)
{
	struct rig g;
	rig_start(&g, true, true);
	int c = exec_client();
	uint8_t buf[256];
	struct chan_frame f;
	assert_int_equal(next_frame(g.guest, buf, sizeof(buf), &f), CHAN_EXEC);
	size_t sent = flood(g.guest, f.session, CHAN_STDOUT, 4096);
	assert_true(sent != SIZE_MAX);
	assert_true(sent < (16u << 20));
	/* the client goes away: its process is killed, the relay reads on */
	close(c);
	int status = 0;
	char *error = NULL;
	rig_finish(&g, &status, &error);
}

/* The exec client's first read. */
static int handshake_of(const void *data, size_t len, char **msg)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	if (len)
		put_raw(sv[0], data, len);
	close(sv[0]);
	struct husk_err *e = NULL;
	int r = host_relay_handshake(sv[1], &e);
	*msg = e ? strdup(e->msg) : NULL;
	husk_err_free(&e);
	close(sv[1]);
	return r;
}

static void test_handshake(void **state)
{
	char *msg = NULL;
	struct chan_hdr ok = {.type = CHAN_STARTED};
	assert_int_equal(handshake_of(&ok, sizeof(ok), &msg), 0);
	assert_null(msg);
	/* nothing, half a header, a payload cut short */
	assert_true(handshake_of(NULL, 0, &msg) < 0);
	assert_non_null(strstr(msg, "did not answer"));
	free(msg);
	assert_true(handshake_of(&ok, 5, &msg) < 0);
	free(msg);
	struct {
		struct chan_hdr h;
		char text[8];
	} err = {{.type = CHAN_ERROR, .len = 20}, "\x1b[2Jgone"};
	assert_true(handshake_of(&err, sizeof(err), &msg) < 0);
	assert_non_null(strstr(msg, "did not answer"));
	free(msg);
	/* the guest's error, tamed */
	err.h.len = 8;
	assert_true(handshake_of(&err, sizeof(err), &msg) < 0);
	assert_string_equal(msg, "?[2Jgone");
	free(msg);
	/* oversize (never allocated), another type first */
	struct chan_hdr big = {.type = CHAN_ERROR, .len = UINT32_MAX};
	assert_true(handshake_of(&big, sizeof(big), &msg) < 0);
	assert_non_null(strstr(msg, "malformed"));
	free(msg);
	struct chan_hdr other = {.type = CHAN_STDOUT, .len = 0};
	assert_true(handshake_of(&other, sizeof(other), &msg) < 0);
	assert_non_null(strstr(msg, "first"));
	free(msg);
}

static int setup(void **state)
{
	signal(SIGPIPE, SIG_IGN);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_well_formed),
	    cmocka_unit_test(test_malformed_headers),
	    cmocka_unit_test(test_truncated_and_odd),
	    cmocka_unit_test(test_error_text),
	    cmocka_unit_test(test_guest_not_reading_is_held_back),
	    cmocka_unit_test(test_exec_session),
	    cmocka_unit_test(test_exec_client_not_reading_holds_guest_back),
	    cmocka_unit_test(test_handshake),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
