/* Freestanding odds and ends for the test guests. */
#include "guest.h"

#define COM1 0x3f8

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memset(void *d, int c, size_t n)
{
	uint8_t *dp = d;
	while (n--)
		*dp++ = (uint8_t)c;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (uint8_t)*a - (uint8_t)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

/* Lines go out whole, one rep outsb each: every port access is a VM exit.
 * The UART transmits at once, so there is no LSR polling. */
static char line[256];
static size_t line_len;

void serial_flush(void)
{
	if (line_len)
		outsb(COM1, line, line_len);
	line_len = 0;
}

void serial_putc(char c)
{
	line[line_len++] = c;
	if (c == '\n' || line_len == sizeof(line))
		serial_flush();
}

void print(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

void print_u64(uint64_t v)
{
	char buf[21];
	int i = 20;
	buf[i] = 0;
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	print(buf + i);
}

void print_hex(uint64_t v)
{
	char buf[19];
	int i = 18;
	buf[i] = 0;
	do {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	print(buf + i);
}

static unsigned n_run, n_failed;

void checkf(bool ok, const char *what, const char *detail, uint64_t value)
{
	n_run++;
	if (!ok)
		n_failed++;
	print(ok ? "ok " : "not ok ");
	print_u64(n_run);
	print(" - ");
	print(what);
	if (!ok && detail) {
		print(": ");
		print(detail);
		print(" ");
		print_hex(value);
	}
	print("\n");
}

void check(bool ok, const char *what)
{
	checkf(ok, what, 0, 0);
}

unsigned checks_failed(void)
{
	return n_failed;
}

unsigned checks_run(void)
{
	return n_run;
}

const char *cmdline_get(const char *cmdline, const char *key, size_t *len)
{
	size_t klen = strlen(key);
	const char *p = cmdline;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *tok = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - tok) > klen && strncmp(tok, key, klen) == 0 && tok[klen] == '=') {
			if (len)
				*len = p - tok - klen - 1;
			return tok + klen + 1;
		}
	}
	return 0;
}

bool parse_num(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/* cksum(1): CRC-32 (poly 0x04c11db7, MSB first) over the data, then over the
 * length in as few bytes as it takes, least significant first; inverted. */
static uint32_t crc_byte(uint32_t crc, uint8_t b)
{
	crc ^= (uint32_t)b << 24;
	for (int i = 0; i < 8; i++)
		crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04c11db7u : crc << 1;
	return crc;
}

uint32_t posix_cksum(const uint8_t *p, uint64_t len)
{
	static uint32_t table[256];
	static bool ready;
	if (!ready) {
		for (unsigned i = 0; i < 256; i++)
			table[i] = crc_byte(0, (uint8_t)i);
		ready = true;
	}
	uint32_t crc = 0;
	for (uint64_t i = 0; i < len; i++)
		crc = (crc << 8) ^ table[(crc >> 24) ^ p[i]];
	for (uint64_t n = len; n; n >>= 8)
		crc = (crc << 8) ^ table[(crc >> 24) ^ (uint8_t)n];
	return ~crc;
}

void guest_reset(void)
{
	/* i8042 "pulse reset line": the monitor stops the VM. */
	serial_flush();
	for (;;)
		outb(0x64, 0xfe);
}
