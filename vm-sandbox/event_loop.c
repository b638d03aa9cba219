/* The I/O thread: one epoll set.  Devices watch their backend fds here
 * (tap, vsock sockets, console input, ioeventfds); callbacks run one at a
 * time on this thread, so a device's I/O side needs no lock against itself. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util.h"
#include "vm-sandbox/vm_internal.h"

struct watch {
	int fd;
	vm_event_cb cb;
	void *arg;
	struct watch *next;
};

struct vm_event_loop {
	int epfd;
	int quit_efd;
	_Atomic bool quit;
	pthread_mutex_t lock; /* the watch list: devices may add from vCPU threads */
	struct watch *watches;
};

struct vm_event_loop *vm_event_loop_new(struct husk_err **err)
{
	struct vm_event_loop *l = xcalloc(1, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->quit_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&l->lock, NULL);
	if (l->epfd < 0 || l->quit_efd < 0) {
		husk_err_sys(err, "event loop");
		vm_event_loop_free(l);
		return NULL;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->quit_efd, &ev) < 0) {
		husk_err_sys(err, "event loop");
		vm_event_loop_free(l);
		return NULL;
	}
	return l;
}

int vm_event_loop_add(struct vm_event_loop *loop, int fd, uint32_t events, vm_event_cb cb,
		      void *arg, struct husk_err **err)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	pthread_mutex_lock(&loop->lock);
	struct epoll_event ev = {.events = events, .data.ptr = w};
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		pthread_mutex_unlock(&loop->lock);
		free(w);
		return husk_err_sys(err, "watch fd %d", fd);
	}
	w->next = loop->watches;
	loop->watches = w;
	pthread_mutex_unlock(&loop->lock);
	return 0;
}

/* The watch stays allocated until the loop is freed: an event for it may
 * already sit in the current epoll_wait batch.  Its fd is set to -1 so that
 * event is dropped. */
int vm_event_loop_del(struct vm_event_loop *loop, int fd)
{
	int ret = -1;
	pthread_mutex_lock(&loop->lock);
	for (struct watch *w = loop->watches; w; w = w->next) {
		if (w->fd == fd) {
			epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
			w->fd = -1;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&loop->lock);
	return ret;
}

int vm_event_loop_run(struct vm_event_loop *loop, struct husk_err **err)
{
	struct epoll_event evs[16];
	while (!loop->quit) {
		int n = epoll_wait(loop->epfd, evs, ARRAY_SIZE(evs), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return husk_err_sys(err, "epoll_wait");
		}
		for (int i = 0; i < n && !loop->quit; i++) {
			struct watch *w = evs[i].data.ptr;
			if (!w)
				continue; /* quit_efd */
			if (w->fd < 0)
				continue;
			w->cb(w->arg, w->fd, evs[i].events);
		}
	}
	return 0;
}

void vm_event_loop_quit(struct vm_event_loop *loop)
{
	loop->quit = true;
	uint64_t one = 1;
	if (write(loop->quit_efd, &one, sizeof(one)) < 0) {
		/* The counter is already non-zero: the loop wakes anyway. */
	}
}

void vm_event_loop_free(struct vm_event_loop *loop)
{
	if (!loop)
		return;
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->quit_efd >= 0)
		close(loop->quit_efd);
	for (struct watch *w = loop->watches, *next; w; w = next) {
		next = w->next;
		free(w);
	}
	pthread_mutex_destroy(&loop->lock);
	free(loop);
}
