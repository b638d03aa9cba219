#ifndef HUSK_VM_X86_SERIAL_H
#define HUSK_VM_X86_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

struct vm;
struct serial;

/* An 8250/16550A UART.  in_fd (may be -1) feeds the receiver through the
 * event loop; out_fd (may be -1) gets the transmitter's bytes. */
int serial_create(struct vm *vm, int in_fd, int out_fd, struct serial **out, struct husk_err **err);
void serial_io(struct serial *s, unsigned reg, uint8_t *data, bool is_write);
void serial_destroy(struct serial *s);

#endif
