/* The monitor's confinement (internal to runtime/vm_*.c). */
#ifndef HUSK_RUNTIME_VM_MONITOR_H
#define HUSK_RUNTIME_VM_MONITOR_H

#include "common/err.h"

/* No capabilities in any set (bounding and ambient too), noNewPrivileges. */
int vm_monitor_drop_privileges(struct husk_err **err);
/* The allow-list (vm_monitor_seccomp.c); after the privileges are gone. */
int vm_monitor_seccomp_load(struct husk_err **err);

#endif
