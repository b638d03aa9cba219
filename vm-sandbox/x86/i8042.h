#ifndef HUSK_VM_X86_I8042_H
#define HUSK_VM_X86_I8042_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* An access to I8042_DATA or I8042_CMD. */
void i8042_io(struct vm *vm, uint16_t port, uint8_t *data, bool is_write);

#endif
