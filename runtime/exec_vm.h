/* `husk exec` into a VM container: the process runs in the guest, a relay on
 * the host stands for it (runtime/exec_vm.c). */
#ifndef HUSK_RUNTIME_EXEC_VM_H
#define HUSK_RUNTIME_EXEC_VM_H

#include <stddef.h>

#include "common/err.h"
#include "oci/spec.h"
#include "runtime/container.h"

/* PROC as JSON for the guest agent (heap). */
int exec_vm_process_json(const struct oci_process *p, char **out, size_t *len,
			 struct husk_err **err);

/* Start PROC in the VM over CONN (connected to the monitor; the caller
 * closes it): res->pid is the host relay (husk's child), res->pty_master the
 * terminal to proxy when there is no --console-socket. */
int exec_vm(const struct container_exec_opts *o, const struct oci_process *proc, int conn,
	    struct exec_result *res, struct husk_err **err);

#endif
