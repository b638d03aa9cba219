/* Port I/O that reaches the monitor: the COM1 UART and the i8042.  The PIC,
 * PIT and speaker port live in KVM.  Anything else reads as a floating bus
 * and ignores writes. */
#include <string.h>

#include "vm-sandbox/vm_internal.h"
#include "vm-sandbox/x86/layout.h"
#include "vm-sandbox/x86/i8042.h"
#include "vm-sandbox/x86/serial.h"

void arch_pio(struct vm *vm, uint16_t port, uint8_t *data, unsigned len, bool is_write)
{
	if (port >= SERIAL_PORT && port < SERIAL_PORT + 8 && len == 1) {
		serial_io(vm->serial, port - SERIAL_PORT, data, is_write);
		return;
	}
	if ((port == I8042_DATA || port == I8042_CMD) && len == 1) {
		i8042_io(vm, port, data, is_write);
		return;
	}
	if (!is_write)
		memset(data, 0xff, len);
}

int arch_devices_setup(struct vm *vm, struct husk_err **err)
{
	return serial_create(vm, vm->in_fd, vm->out_fd, &vm->serial, err);
}

void arch_devices_teardown(struct vm *vm)
{
	serial_destroy(vm->serial);
	vm->serial = NULL;
}
