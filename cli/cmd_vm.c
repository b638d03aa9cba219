/* husk vm boot: boot a kernel in a microVM, like `lkvm run`.  A low-level
 * command for kernels and test guests; bundles go through `husk run`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "vm-sandbox/vm.h"

#define DEFAULT_MEM_MIB 256

static const char vm_usage[] =
    "usage: husk vm boot --kernel FILE [--initrd FILE] [--cmdline STR] [--memory MiB]\n"
    "                    [--cpus N] [--disk FILE[,ro]]... [--net tap=NAME]...\n"
    "                    [--vsock CID:PATH] [--fs TAG:DIR[,ro]]... [--console stdio|none]\n"
    "                    [--hugepages] [--trace]\n"
    "Exit status: 0 when the guest shuts down or reboots, 1 on error or guest crash,\n"
    "2 when a signal stopped the VM.\n";

enum { OPT_HUGEPAGES = 0x100, OPT_TRACE };

static const struct option boot_opts[] = {
    {"kernel", required_argument, NULL, 'k'},
    {"initrd", required_argument, NULL, 'i'},
    {"cmdline", required_argument, NULL, 'c'},
    {"memory", required_argument, NULL, 'm'},
    {"cpus", required_argument, NULL, 'p'},
    {"disk", required_argument, NULL, 'd'},
    {"net", required_argument, NULL, 'n'},
    {"vsock", required_argument, NULL, 'v'},
    {"fs", required_argument, NULL, 'f'},
    {"console", required_argument, NULL, 'o'},
    {"hugepages", no_argument, NULL, OPT_HUGEPAGES},
    {"trace", no_argument, NULL, OPT_TRACE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* TAG:DIR[,ro]: the guest mounts it with `mount -t virtiofs TAG /mnt`.
 * optarg is split in place (argv outlives the VM). */
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

static int parse_boot(int argc, char **argv, struct vm_config *c)
{
	unsigned long long n;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+", boot_opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			c->kernel = optarg;
			break;
		case 'i':
			c->initrd = optarg;
			break;
		case 'c':
			c->cmdline = optarg;
			break;
		case 'm':
			if (parse_u64(optarg, &n) < 0 || n < VM_MEM_MIN_MIB || n > VM_MEM_MAX_MIB)
				return cli_usage_error("vm boot",
						       "--memory %s: want MiB between %d and %llu "
						       "(memory too small or not a number)",
						       optarg, VM_MEM_MIN_MIB, VM_MEM_MAX_MIB);
			c->mem_mib = n;
			break;
		case 'p':
			if (parse_u64(optarg, &n) < 0 || n < 1 || n > VM_CPUS_MAX)
				return cli_usage_error("vm boot", "--cpus %s: want 1 to %d", optarg,
						       VM_CPUS_MAX);
			c->cpus = n;
			break;
		case 'd':
			if (c->n_disks == VM_MAX_DISKS)
				return cli_usage_error("vm boot", "at most %d --disk",
						       VM_MAX_DISKS);
			c->disks[c->n_disks++] = optarg;
			break;
		case 'n':
			if (c->n_nets == VM_MAX_NETS)
				return cli_usage_error("vm boot", "at most %d --net", VM_MAX_NETS);
			if (strncmp(optarg, "tap=", 4) != 0 || !optarg[4])
				return cli_usage_error("vm boot", "--net %s: want tap=NAME",
						       optarg);
			c->nets[c->n_nets++] = optarg;
			break;
		case 'v':
			if (!strchr(optarg, ':'))
				return cli_usage_error("vm boot", "--vsock %s: want CID:PATH",
						       optarg);
			c->vsock = optarg;
			break;
		case 'f':
			if (parse_fs(optarg, c) != 0)
				return 1;
			break;
		case 'o':
			if (strcmp(optarg, "stdio") == 0)
				c->console = VM_CONSOLE_STDIO;
			else if (strcmp(optarg, "none") == 0)
				c->console = VM_CONSOLE_NONE;
			else
				return cli_usage_error("vm boot",
						       "--console %s: want stdio or none", optarg);
			break;
		case OPT_HUGEPAGES:
			c->hugepages = true;
			break;
		case OPT_TRACE:
			c->trace = true;
			/* The trace lines are info messages of the husk log. */
			husk_log_raise(HUSK_LOG_INFO);
			break;
		case 'h':
			fputs(vm_usage, stdout);
			return 2;
		default:
			return cli_usage_error("vm boot", "unknown or incomplete option %s\n%s",
					       argv[optind - 1], vm_usage);
		}
	}
	if (optind < argc)
		return cli_usage_error("vm boot", "unexpected argument %s", argv[optind]);
	if (!c->kernel)
		return cli_usage_error("vm boot", "--kernel FILE is required\n%s", vm_usage);
	return 0;
}

static int cmd_vm(struct husk_globals *g, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "boot") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			fputs(vm_usage, stdout);
			return 0;
		}
		return cli_usage_error("vm", "unknown subcommand%s%s\n%s", argc >= 2 ? " " : "",
				       argc >= 2 ? argv[1] : "", vm_usage);
	}
	struct vm_config c = {.mem_mib = DEFAULT_MEM_MIB, .cpus = 1, .console = VM_CONSOLE_STDIO};
	int r = parse_boot(argc - 1, argv + 1, &c);
	if (r == 2)
		return 0;
	if (r != 0)
		return r;
	cleanup_err struct husk_err *err = NULL;
	enum vm_stop stop;
	if (vm_boot(&c, &stop, &err) < 0) {
		husk_err_wrap(&err, "vm boot");
		return cli_fail(err);
	}
	return stop == VM_STOP_SIGNAL ? 2 : 0;
}

HUSK_COMMAND(vm_command, {
			     .name = "vm",
			     .summary = "boot a kernel in a KVM microVM (vm boot --kernel FILE)",
			     .run = cmd_vm,
			 });
