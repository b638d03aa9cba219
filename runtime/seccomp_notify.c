/* linux.seccomp.listenerPath: send the notify fd and the container process
 * state to the agent, as runtime-spec config-linux.md describes.
 *
 * The fd exists only once the filter is installed, and from then on every
 * system call of this thread goes through the filter: if the profile sends
 * sendmsg (or fcntl, futex, ...) to SCMP_ACT_NOTIFY, husk would block waiting
 * for the very listener it is trying to reach.  So the sending is done by a
 * thread started *before* the filter: a filter installed without TSYNC does
 * not apply to threads that already exist, and threads share the fd table.
 * The installing thread only stores the fd number in memory and spins (no
 * system call) until the sender reports back; then it returns to execve. */
#include "runtime/process_security_internal.h"
#include "runtime/seccomp_filter.h"

#include <linux/seccomp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fd_pass.h"
#include "common/util.h"
#include "oci/json_gen.h"
#include "oci/state.h"

#define FD_PENDING	(-1)
#define FD_FAILED	(-2)
#define SEND_TIMEOUT_NS (30ULL * 1000000000ULL)

struct seccomp_listener {
	int sock;
	char *msg;
	size_t msg_len;
	_Atomic int notify_fd;
	_Atomic int done; /* 0 running, 1 sent, 2 failed */
	int send_errno;
};

/* The message that goes with the fd (runtime-spec config-linux.md): the
 * container process state of the agent's protocol, around the OCI state. */
static char *state_message(const struct oci_config *cfg, const char *id, const char *bundle,
			   pid_t pid, bool exec, size_t *len, struct husk_err **err)
{
	struct oci_state st = {.oci_version = cfg->oci_version,
			       .id = id,
			       .status = exec ? OCI_STATUS_RUNNING : OCI_STATUS_CREATING,
			       .pid = pid,
			       .bundle = bundle,
			       .annotations = &cfg->annotations};
	static const char *const fds[] = {"seccompFd", NULL};
	yajl_gen g = jg_new(false);
	bool ok = jg_open_map(g) && jg_kstr(g, "ociVersion", OCI_SPEC_VERSION) &&
		  jg_kstrv(g, "fds", fds) && jg_kint(g, "pid", pid);
	if (ok && cfg->linux_.seccomp.listener_metadata)
		ok = jg_kstr(g, "metadata", cfg->linux_.seccomp.listener_metadata);
	ok = ok && jg_key(g, "state") && oci_state_gen(g, &st) && jg_close_map(g);
	char *out = NULL;
	if (jg_finish(g, ok, &out, len, err) < 0) {
		husk_err_wrap(err, "the seccomp agent's state message");
		return NULL;
	}
	return out;
}

int seccomp_listener_connect(const struct oci_config *cfg, const char *container_id,
			     const char *bundle, pid_t pid, bool exec,
			     struct seccomp_listener **out, struct husk_err **err)
{
	const char *path = cfg->linux_.seccomp.listener_path;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (!path || !*path)
		return husk_err_set(err, EINVAL, "linux.seccomp.listenerPath is empty");
	if (strlen(path) >= sizeof(addr.sun_path))
		return husk_err_set(err, ENAMETOOLONG,
				    "linux.seccomp.listenerPath \"%s\" is too long", path);
	strcpy(addr.sun_path, path);
	cleanup_fd int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return husk_err_sys(err, "socket");
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return husk_err_sys(err, "connecting to the seccomp listener %s", path);
	size_t msg_len = 0;
	char *msg = state_message(cfg, container_id, bundle, pid, exec, &msg_len, err);
	if (!msg)
		return -1;
	struct seccomp_listener *l = xcalloc(1, sizeof(*l));
	l->sock = steal_fd(&sock);
	l->msg = msg;
	l->msg_len = msg_len;
	atomic_init(&l->notify_fd, FD_PENDING);
	atomic_init(&l->done, 0);
	*out = l;
	return 0;
}

void seccomp_listener_free(struct seccomp_listener *l)
{
	if (!l)
		return;
	if (l->sock >= 0)
		close(l->sock);
	free(l->msg);
	free(l);
}

static int send_fd(int sock, const char *msg, size_t len, int fd)
{
	ssize_t r = fd_pass_send(sock, msg, len, fd);
	if (r < 0)
		return -errno;
	/* The rest of a long state document goes without the fd. */
	size_t sent = (size_t)r;
	if (sent < len && write_all(sock, msg + sent, len - sent) < 0)
		return -errno;
	return 0;
}

static void *sender_main(void *arg)
{
	struct seccomp_listener *l = arg;
	int fd;
	while ((fd = atomic_load(&l->notify_fd)) == FD_PENDING) {
		struct timespec ts = {0, 20 * 1000};
		nanosleep(&ts, NULL);
	}
	if (fd == FD_FAILED) {
		atomic_store(&l->done, 2);
		return NULL;
	}
	int r = send_fd(l->sock, l->msg, l->msg_len, fd);
	l->send_errno = -r;
	atomic_store(&l->done, r == 0 ? 1 : 2);
	return NULL;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static unsigned long long mono_ns(void)
{
	struct timespec ts;
	/* vDSO: no system call, so nothing for the filter to see. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

int seccomp_listener_install(struct seccomp_listener *l, const struct seccomp_prog *prog,
			     struct husk_err **err)
{
	pthread_attr_t attr;
	pthread_t th;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	int r = pthread_create(&th, &attr, sender_main, l);
	pthread_attr_destroy(&attr);
	if (r != 0)
		return husk_err_set(err, r, "starting the seccomp listener sender thread");

	/* TSYNC would put the filter on the sender thread too (and the kernel refuses
	 * TSYNC with NEW_LISTENER); the sender is the only other thread, so leaving
	 * it out changes nothing for the container process. */
	struct seccomp_prog p = *prog;
	p.flags &= ~(unsigned int)SECCOMP_FILTER_FLAG_TSYNC;
	int fd = seccomp_prog_install(&p, SECCOMP_FILTER_FLAG_NEW_LISTENER);
	int install_errno = errno;
	atomic_store(&l->notify_fd, fd >= 0 ? fd : FD_FAILED);

	/* From here on: no system call until the sender is done. */
	unsigned long long start = mono_ns();
	unsigned spins = 0;
	int done;
	while ((done = atomic_load(&l->done)) == 0) {
		cpu_relax();
		if (++spins % 4096 == 0 && start && mono_ns() - start > SEND_TIMEOUT_NS)
			return husk_err_set(err, ETIMEDOUT,
					    "sending the seccomp fd to the listener timed out");
	}
	if (fd < 0)
		return husk_err_set(err, install_errno, "loading the seccomp filter");
	if (done != 1)
		return husk_err_set(err, l->send_errno, "sending the seccomp fd to the listener %s",
				    "(linux.seccomp.listenerPath)");
	return 0;
}
