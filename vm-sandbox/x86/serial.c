/* 8250 UART (16550A register set) on COM1: what Linux's 8250 driver and the
 * early console need.  Transmit is immediate (THR is always empty again by
 * the next read of LSR); receive has a FIFO filled from the console input on
 * the I/O thread.  The interrupt line is level: it follows IIR. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/util.h"
#include "vm-sandbox/vm_internal.h"
#include "vm-sandbox/x86/layout.h"
#include "vm-sandbox/x86/serial.h"

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define IER_RDI	   0x01
#define IER_THRI   0x02
#define IIR_NONE   0x01
#define IIR_THRI   0x02
#define IIR_RDI	   0x04
#define IIR_FIFO   0xc0
#define FCR_FIFO   0x01
#define FCR_CLR_RX 0x02
#define LCR_DLAB   0x80
#define LSR_DR	   0x01
#define LSR_THRE   0x20
#define LSR_TEMT   0x40
#define MCR_LOOP   0x10
#define MSR_CTS	   0x10
#define MSR_DSR	   0x20
#define MSR_RI	   0x40
#define MSR_DCD	   0x80

#define RX_SIZE 1024

struct serial {
	struct vm *vm;
	pthread_mutex_t lock;
	int in_fd, out_fd;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thr_irq; /* THR-empty interrupt pending until IIR is read */
	bool line;    /* current IRQ level */
	uint8_t rx[RX_SIZE];
	unsigned rx_head, rx_len;
};

static uint8_t iir(const struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_FIFO) ? IIR_FIFO : 0;
	if ((s->ier & IER_RDI) && s->rx_len)
		return IIR_RDI | fifo;
	if ((s->ier & IER_THRI) && s->thr_irq)
		return IIR_THRI | fifo;
	return IIR_NONE | fifo;
}

static void update_irq(struct serial *s)
{
	bool level = !(iir(s) & IIR_NONE);
	if (level != s->line) {
		s->line = level;
		vm_irq_line(s->vm, SERIAL_IRQ, level);
	}
}

static void rx_push(struct serial *s, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n && s->rx_len < RX_SIZE; i++) {
		s->rx[(s->rx_head + s->rx_len) % RX_SIZE] = buf[i];
		s->rx_len++;
	}
}

static uint8_t rx_pop(struct serial *s)
{
	if (!s->rx_len)
		return 0;
	uint8_t c = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % RX_SIZE;
	s->rx_len--;
	return c;
}

static uint8_t msr(const struct serial *s)
{
	if (!(s->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	/* loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
	uint8_t m = 0;
	if (s->mcr & 0x01)
		m |= MSR_DSR;
	if (s->mcr & 0x02)
		m |= MSR_CTS;
	if (s->mcr & 0x04)
		m |= MSR_RI;
	if (s->mcr & 0x08)
		m |= MSR_DCD;
	return m;
}

static void transmit(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP)
		rx_push(s, &c, 1);
	else if (s->out_fd >= 0 && write_all(s->out_fd, &c, 1) < 0)
		s->out_fd = -1; /* the reader went away: the guest keeps running */
	s->thr_irq = true;
}

static void reg_write(struct serial *s, unsigned reg, uint8_t v)
{
	bool dlab = s->lcr & LCR_DLAB;
	switch (reg) {
	case RBR_THR:
		if (dlab)
			s->dll = v;
		else
			transmit(s, v);
		break;
	case IER:
		if (dlab) {
			s->dlm = v;
		} else {
			/* Enabling THRI with an empty THR raises it at once (16550A). */
			if ((v & IER_THRI) && !(s->ier & IER_THRI))
				s->thr_irq = true;
			s->ier = v & 0x0f;
		}
		break;
	case IIR_FCR:
		s->fcr = v & FCR_FIFO;
		if (v & FCR_CLR_RX)
			s->rx_len = 0;
		break;
	case LCR:
		s->lcr = v;
		break;
	case MCR:
		s->mcr = v & 0x1f;
		break;
	case SCR:
		s->scr = v;
		break;
	default:
		break; /* LSR, MSR: read-only */
	}
}

static uint8_t reg_read(struct serial *s, unsigned reg)
{
	bool dlab = s->lcr & LCR_DLAB;
	switch (reg) {
	case RBR_THR:
		return dlab ? s->dll : rx_pop(s);
	case IER:
		return dlab ? s->dlm : s->ier;
	case IIR_FCR: {
		uint8_t v = iir(s);
		if ((v & 0x0f) == IIR_THRI)
			s->thr_irq = false;
		return v;
	}
	case LCR:
		return s->lcr;
	case MCR:
		return s->mcr;
	case LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_len ? LSR_DR : 0);
	case MSR:
		return msr(s);
	case SCR:
		return s->scr;
	}
	return 0xff;
}

void serial_io(struct serial *s, unsigned reg, uint8_t *data, bool is_write)
{
	pthread_mutex_lock(&s->lock);
	if (is_write)
		reg_write(s, reg, *data);
	else
		*data = reg_read(s, reg);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void on_input(void *arg, int fd, uint32_t events)
{
	struct serial *s = arg;
	uint8_t buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		vm_event_loop_del(s->vm->loop, fd); /* EOF: the guest sees no more input */
		return;
	}
	pthread_mutex_lock(&s->lock);
	rx_push(s, buf, n);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

int serial_create(struct vm *vm, int in_fd, int out_fd, struct serial **out, struct husk_err **err)
{
	struct serial *s = xcalloc(1, sizeof(*s));
	s->vm = vm;
	s->in_fd = in_fd;
	s->out_fd = out_fd;
	s->mcr = 0x08; /* OUT2 */
	pthread_mutex_init(&s->lock, NULL);
	if (in_fd >= 0 && vm_event_loop_add(vm->loop, in_fd, EPOLLIN, on_input, s, err) < 0) {
		/* A regular file or /dev/null cannot be polled: no input then. */
		if (!*err || (*err)->errnum != EPERM) {
			serial_destroy(s);
			return -1;
		}
		husk_err_free(err);
	}
	*out = s;
	return 0;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}
