/* The i8042 keyboard controller, of which a microVM needs one command: 0xfe
 * on the command port pulses the CPU reset line.  Linux reboots that way with
 * reboot=k; the test guests end that way.  Status reads say "no data, input
 * buffer empty", so a driver probing for a keyboard gives up at once. */
#include "vm-sandbox/vm_internal.h"
#include "vm-sandbox/x86/layout.h"
#include "vm-sandbox/x86/i8042.h"

#define I8042_CMD_RESET 0xfe

void i8042_io(struct vm *vm, uint16_t port, uint8_t *data, bool is_write)
{
	if (!is_write) {
		*data = 0;
		return;
	}
	if (port == I8042_CMD && *data == I8042_CMD_RESET)
		vm_request_stop(vm, VM_STOP_RESET);
}
