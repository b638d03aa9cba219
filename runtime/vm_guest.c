/* husk as the guest's /init (vm_container.h): read the process config the
 * monitor put in the initramfs, let the agent (vm-sandbox/agent/) build the
 * root and relay, and become the workload with the same process set-up as a
 * container's init (runtime/process_security.c). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/process_security.h"
#include "runtime/vm_container.h"
#include "vm-sandbox/agent/agent.h"

bool vm_guest_is_agent(void)
{
	return getpid() == 1 && getenv(AGENT_ENV) != NULL;
}

/* In the workload's child: cwd, identity, capabilities, rlimits, NNP,
 * seccomp last, execve. */
struct guest_process {
	const struct oci_config *cfg;
	const struct oci_process *proc;
	struct oci_process *owned; /* an exec's, parsed from the host's JSON */
};

static int exec_workload(void *ctx, struct husk_err **err)
{
	const struct guest_process *gp = ctx;
	const struct oci_config *cfg = gp->cfg;
	const struct oci_process *proc = gp->proc;
	struct process_security *ps = NULL;
	struct process_security_opts pso = {
	    .cfg = cfg, .proc = proc, .container_id = "", .bundle = "/", .state_root = NULL};
	if (process_security_prepare(&pso, &ps, err) < 0)
		return -1;
	cleanup_free char *exe = NULL;
	int ret = -1;
	if (process_chdir_checked(proc->cwd ? proc->cwd : "/", err) < 0 ||
	    process_find_executable(proc->args.v[0], proc->env.v, &exe, err) < 0 ||
	    process_security_apply(ps, err) < 0 || process_security_load_seccomp(ps, err) < 0)
		goto out;
	execve(exe, proc->args.v, proc->env.v);
	husk_err_sys(err, "exec %s", exe);
out:
	process_security_free(ps);
	return ret;
}

static int prepare_exec(void *ctx, const void *json, size_t len, struct agent_config *out,
			struct husk_err **err)
{
	const struct guest_process *main = ctx;
	struct oci_process *p = NULL;
	if (oci_process_parse(json, len, "exec process", &p, err) < 0)
		return -1;
	if (!p->args.n) {
		oci_process_free(p);
		return husk_err_set(err, EINVAL, "exec: no command given (args are empty)");
	}
	struct guest_process *gp = xcalloc(1, sizeof(*gp));
	*gp = (struct guest_process){.cfg = main->cfg, .proc = p, .owned = p};
	*out = (struct agent_config){
	    .terminal = p->terminal,
	    .rows = p->console_height.set ? (uint16_t)p->console_height.v : 0,
	    .cols = p->console_width.set ? (uint16_t)p->console_width.v : 0,
	    .exec_workload = exec_workload,
	    .ctx = gp,
	};
	return 0;
}

static void release_exec(void *exec_ctx)
{
	struct guest_process *gp = exec_ctx;
	if (!gp)
		return;
	oci_process_free(gp->owned);
	free(gp);
}

static int load_config(struct oci_config **cfg, struct husk_err **err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	if (read_file_at(AT_FDCWD, AGENT_CONFIG, &text, &len, err) < 0 ||
	    oci_config_parse(text, len, AGENT_CONFIG, cfg, err) < 0)
		return -1;
	if (!(*cfg)->process.args.n)
		return husk_err_set(err, EINVAL, "%s: process.args is empty", AGENT_CONFIG);
	return 0;
}

void vm_guest_main(void)
{
	struct husk_err *err = NULL;
	int chan = agent_channel_open(&err);
	if (chan < 0)
		agent_fail(-1, err);
	struct oci_config *cfg = NULL;
	if (load_config(&cfg, &err) < 0)
		agent_fail(chan, err);
	const struct oci_process *p = &cfg->process;
	struct guest_process gp = {.cfg = cfg, .proc = p};
	struct agent_config ac = {
	    .hostname = cfg->hostname,
	    .terminal = p->terminal,
	    .rows = p->console_height.set ? (uint16_t)p->console_height.v : 0,
	    .cols = p->console_width.set ? (uint16_t)p->console_width.v : 0,
	    .exec_workload = exec_workload,
	    .ctx = &gp,
	    .prepare_exec = prepare_exec,
	    .release_exec = release_exec,
	};
	if (agent_switch_root(&ac, &err) < 0)
		agent_fail(chan, err);
	if (agent_run(chan, &ac, &err) < 0)
		agent_fail(chan, err);
	agent_power_off();
}
