/* The guest agent: husk as PID 1 inside the VM.  It knows nothing of OCI:
 * runtime/vm_guest.c reads the config and hands over what the agent needs,
 * plus a callback that turns the forked child into the workload (runtime's
 * process set-up: user, capabilities, rlimits, seccomp, execve).
 *
 *   agent_channel_open()  devtmpfs on /dev, /dev/hvc0 raw: the channel
 *   agent_switch_root()   virtio-fs root, proc, sysfs, dev, devpts, shm; chroot
 *   agent_run()           the workload, stdio and signals relayed, its status
 *                         sent to the host
 *   agent_power_off()     sync and reset (the monitor stops on it) */
#ifndef HUSK_VM_AGENT_H
#define HUSK_VM_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define AGENT_ROOT_TAG "root" /* the virtio-fs tag of the container's root */
#define AGENT_CHANNEL  "/dev/hvc0"
#define AGENT_CONFIG   "/husk/config.json"
#define AGENT_ENV      "HUSK_AGENT" /* on the kernel command line: init's environment */
/* Debugging aid (HUSK_VM_NO_ROOT_SHARE=1 for the monitor): no virtio-fs, the
 * initramfs is the workload's root (only husk is there: /init). */
#define AGENT_ENV_NO_ROOT "HUSK_AGENT_NO_ROOT"
/* HUSK_VM_DEBUG=1 for the monitor: the agent narrates on the kernel console. */
#define AGENT_ENV_DEBUG "HUSK_AGENT_DEBUG"

struct agent_config {
	const char *hostname; /* NULL: keep the kernel's */
	bool terminal;
	uint16_t rows, cols; /* initial terminal size, 0: unset */
	/* In the forked child, with stdio in place, cwd "/" of the new root:
	 * become the workload and execve.  Returns only on failure. */
	int (*exec_workload)(void *ctx, struct husk_err **err);
	void *ctx;
	/* `husk exec`: turn a process JSON from the host into *out (terminal,
	 * size, exec_workload and a ctx of its own, released by release_exec
	 * once the process started or failed).  NULL: exec is refused. */
	int (*prepare_exec)(void *ctx, const void *json, size_t len, struct agent_config *out,
			    struct husk_err **err);
	void (*release_exec)(void *exec_ctx);
};

/* Returns the channel fd (blocking), or < 0 with err. */
int agent_channel_open(struct husk_err **err);
int agent_switch_root(const struct agent_config *cfg, struct husk_err **err);
/* Runs the workload to its end.  Returns its wait status (>= 0), or < 0 when
 * it could not be started (err set; nothing was sent yet). */
int agent_run(int chan, const struct agent_config *cfg, struct husk_err **err);
/* Report err over the channel (and the kernel console), then power off. */
__attribute__((noreturn)) void agent_fail(int chan, struct husk_err *err);
__attribute__((noreturn)) void agent_power_off(void);

#endif
