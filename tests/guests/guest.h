/* The test guests: tiny freestanding kernels that husk boots through the
 * real boot paths.  They run in ring 0 (see start.S for why not ring 3),
 * which nested PVM hosts emulate at ~1 us per instruction: every loop here
 * is kept short. */
#ifndef HUSK_GUEST_H
#define HUSK_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MODE_LINUX64 0
#define GUEST_MODE_PVH	   1

/* lib.c */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

static inline void outsb(uint16_t port, const void *buf, uint64_t n)
{
	__asm__ volatile("rep outsb" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint32_t mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}
static inline void mmio_write32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

void serial_putc(char c);
void serial_flush(void);
void print(const char *s);
void print_u64(uint64_t v);
void print_hex(uint64_t v);

/* TAP-ish reporting on the serial port */
void check(bool ok, const char *what);
void checkf(bool ok, const char *what, const char *detail, uint64_t value);
unsigned checks_failed(void);
unsigned checks_run(void);

/* The kernel command line: "key=value" lookup; NULL when absent.  *len gets
 * the value's length (values end at a space). */
const char *cmdline_get(const char *cmdline, const char *key, size_t *len);
bool parse_num(const char *s, size_t len, uint64_t *out); /* decimal or 0x hex */

/* POSIX cksum(1) of a buffer */
uint32_t posix_cksum(const uint8_t *p, uint64_t len);

/* virtio.c: drive every virtio-mmio device on the command line */
void virtio_checks(const char *cmdline);

__attribute__((noreturn)) void guest_reset(void);

#endif
