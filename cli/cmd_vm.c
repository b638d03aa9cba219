/* husk vm boot: boot a kernel in a microVM, like `lkvm run`.  A low-level
 * command for kernels and test guests; bundles go through `husk run`. */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "vm-sandbox/vm.h"

#define DEFAULT_MEM_MIB 256

/* The values of the flags that need checking once parsed. */
struct boot_values {
	unsigned long long mem_mib, cpus;
	struct cli_strv disks, nets, fs;
	const char *console;
};

/* TAG:DIR[,ro]: the guest mounts it with `mount -t virtiofs TAG /mnt`.
 * arg (an argv string, which outlives the VM) is split in place. */
static int parse_fs(char *arg, struct vm_config *c)
{
	if (c->n_fs_shares == VM_MAX_FS_SHARES)
		return cli_usage_error("vm boot", "at most %d --fs", VM_MAX_FS_SHARES);
	char *colon = strchr(arg, ':');
	if (!colon || colon == arg || !colon[1])
		return cli_usage_error("vm boot", "--fs %s: want TAG:DIR[,ro]", arg);
	*colon = '\0';
	struct vm_fs_share *share = &c->fs_shares[c->n_fs_shares++];
	share->tag = arg;
	share->path = colon + 1;
	size_t len = strlen(share->path);
	if (len > 3 && strcmp(share->path + len - 3, ",ro") == 0) {
		colon[1 + len - 3] = '\0';
		share->readonly = true;
	}
	return 0;
}

static int check_boot(struct boot_values *v, struct vm_config *c)
{
	if (v->mem_mib < VM_MEM_MIN_MIB || v->mem_mib > VM_MEM_MAX_MIB)
		return cli_usage_error("vm boot",
				       "--memory %llu: want MiB between %d and %llu "
				       "(memory too small or not a number)",
				       v->mem_mib, VM_MEM_MIN_MIB, VM_MEM_MAX_MIB);
	c->mem_mib = v->mem_mib;
	if (v->cpus < 1 || v->cpus > VM_CPUS_MAX)
		return cli_usage_error("vm boot", "--cpus %llu: want 1 to %d", v->cpus,
				       VM_CPUS_MAX);
	c->cpus = (unsigned)v->cpus;
	if (v->disks.n > VM_MAX_DISKS)
		return cli_usage_error("vm boot", "at most %d --disk", VM_MAX_DISKS);
	for (size_t i = 0; i < v->disks.n; i++)
		c->disks[c->n_disks++] = v->disks.v[i];
	if (v->nets.n > VM_MAX_NETS)
		return cli_usage_error("vm boot", "at most %d --net", VM_MAX_NETS);
	for (size_t i = 0; i < v->nets.n; i++) {
		const char *n = v->nets.v[i];
		if (strncmp(n, "tap=", 4) != 0 || !n[4])
			return cli_usage_error("vm boot", "--net %s: want tap=NAME", n);
		c->nets[c->n_nets++] = n;
	}
	for (size_t i = 0; i < v->fs.n; i++)
		if (parse_fs((char *)v->fs.v[i], c) != 0)
			return 1;
	if (c->vsock && !strchr(c->vsock, ':'))
		return cli_usage_error("vm boot", "--vsock %s: want CID:PATH", c->vsock);
	if (strcmp(v->console, "stdio") == 0)
		c->console = VM_CONSOLE_STDIO;
	else if (strcmp(v->console, "none") == 0)
		c->console = VM_CONSOLE_NONE;
	else
		return cli_usage_error("vm boot", "--console %s: want stdio or none", v->console);
	if (!c->kernel)
		return cli_usage_error("vm boot", "--kernel FILE is required");
	return 0;
}

static int cmd_vm_boot(struct husk_globals *g, int argc, char **argv)
{
	struct vm_config c = {0};
	struct boot_values v = {.mem_mib = DEFAULT_MEM_MIB, .cpus = 1, .console = "stdio"};
	const struct cli_flag flags[] = {
	    {"kernel", CLI_FLAG_STRING, &c.kernel,
	     "the guest kernel: a bzImage, or an ELF vmlinux with a PVH note", "FILE"},
	    {"initrd", CLI_FLAG_STRING, &c.initrd, "initial ramdisk loaded next to the kernel",
	     "FILE"},
	    {"cmdline", CLI_FLAG_STRING, &c.cmdline,
	     "kernel command line (husk appends its devices)", "STR"},
	    {"memory", CLI_FLAG_UINT, &v.mem_mib, "guest memory in MiB (default 256)", "MiB"},
	    {"cpus", CLI_FLAG_UINT, &v.cpus, "number of vCPUs (default 1)", "N"},
	    {"disk", CLI_FLAG_STRV, &v.disks,
	     "virtio-blk disk backed by an image file, read-only with ,ro (repeatable)",
	     "FILE[,ro]"},
	    {"net", CLI_FLAG_STRV, &v.nets, "virtio-net on an existing tap device (repeatable)",
	     "tap=NAME"},
	    {"vsock", CLI_FLAG_STRING, &c.vsock,
	     "virtio-vsock: the guest's CID, the host side on a unix socket", "CID:PATH"},
	    {"fs", CLI_FLAG_STRV, &v.fs,
	     "virtio-fs share of a host directory, mounted in the guest by TAG; ,ro for "
	     "read-only (repeatable)",
	     "TAG:DIR[,ro]"},
	    {"console", CLI_FLAG_STRING, &v.console, "serial console on stdio (default) or none",
	     "stdio|none"},
	    {"hugepages", CLI_FLAG_BOOL, &c.hugepages, "back guest memory with huge pages", NULL},
	    {"trace", CLI_FLAG_BOOL, &c.trace, "phase timings and memory use on stderr", NULL},
	    {0},
	};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("vm boot", "--kernel FILE [options]", flags, argc, argv, 0, 0, &a, &rc))
		return rc;
	rc = check_boot(&v, &c);
	free(v.disks.v);
	free(v.nets.v);
	free(v.fs.v);
	cli_args_free(&a);
	if (rc != 0)
		return rc;
	/* The trace lines are info messages of the husk log. */
	if (c.trace)
		husk_log_raise(HUSK_LOG_INFO);
	cleanup_err struct husk_err *err = NULL;
	enum vm_stop stop;
	if (vm_boot(&c, &stop, &err) < 0) {
		husk_err_wrap(&err, "vm boot");
		return cli_fail(err);
	}
	return stop == VM_STOP_SIGNAL ? 2 : 0;
}

static const struct husk_subcommand vm_subcommands[] = {
    {.name = "boot",
     .summary = "boot a kernel in a KVM microVM, like lkvm run",
     .description = "A low-level command for kernels and test guests; bundles run in a "
		    "microVM through husk run.\n\n"
		    "Exit status: 0 when the guest shuts down or reboots, 1 on an error or a "
		    "guest crash, 2 when a signal (SIGINT, SIGTERM, SIGHUP) stopped the VM.",
     .run = cmd_vm_boot},
    {0},
};

static int cmd_vm(struct husk_globals *g, int argc, char **argv)
{
	return cli_run_subcommand(g, "vm", vm_subcommands, argc, argv);
}

HUSK_COMMAND(vm_command, {
			     .name = "vm",
			     .summary = "the KVM microVM monitor (vm boot --kernel FILE)",
			     .run = cmd_vm,
			 });
