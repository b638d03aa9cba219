/* The pure parts of `husk run --vm`: guest sizing from the spec, the guest
 * kernel's lookup order, the host check, the initramfs's contents and the
 * host/guest channel's framing. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "runtime/vm_container.h"
#include "vm-sandbox/agent/channel.h"
#include "vm-sandbox/guest.h"

static struct oci_config *config(const char *linux_json, const char *annotations)
{
	char *json = NULL;
	int n = asprintf(
	    &json,
	    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
	    "\"process\":{\"args\":[\"true\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}},"
	    "\"annotations\":{%s},\"linux\":{%s}}",
	    annotations ? annotations : "", linux_json ? linux_json : "");
	assert_true(n > 0);
	struct oci_config *cfg = NULL;
	struct husk_err *err = NULL;
	if (oci_config_parse(json, strlen(json), "config.json", &cfg, &err) < 0)
		fail_msg("%s", err->msg);
	free(json);
	return cfg;
}

static int size(const char *linux_json, const char *ann, uint64_t *mem, unsigned *cpus, char **msg)
{
	struct oci_config *cfg = config(linux_json, ann);
	struct husk_err *err = NULL;
	int r = vm_sizing(cfg, mem, cpus, &err);
	if (msg)
		*msg = err ? strdup(err->msg) : NULL;
	husk_err_free(&err);
	oci_config_free(cfg);
	return r;
}

static void test_sizing_defaults(void **state)
{
	uint64_t mem = 0;
	unsigned cpus = 0;
	assert_int_equal(size(NULL, NULL, &mem, &cpus, NULL), 0);
	assert_int_equal(mem, VM_DEFAULT_MEM_MIB);
	assert_int_equal(cpus, 1);
	/* -1 is "unlimited", as runc reads it */
	assert_int_equal(size("\"resources\":{\"memory\":{\"limit\":-1}}", NULL, &mem, &cpus, NULL),
			 0);
	assert_int_equal(mem, VM_DEFAULT_MEM_MIB);
}

static void test_sizing_memory_limit(void **state)
{
	uint64_t mem = 0;
	unsigned cpus = 0;
	assert_int_equal(
	    size("\"resources\":{\"memory\":{\"limit\":536870912}}", NULL, &mem, &cpus, NULL), 0);
	assert_int_equal(mem, 512 - VM_MONITOR_OVERHEAD_MIB);
	char *msg = NULL;
	/* 64 MiB: the monitor's share leaves too little to boot */
	assert_true(
	    size("\"resources\":{\"memory\":{\"limit\":67108864}}", NULL, &mem, &cpus, &msg) < 0);
	assert_non_null(strstr(msg, "too small for a VM"));
	assert_non_null(strstr(msg, "96 MiB in all"));
	free(msg);
}

static void test_sizing_cpus(void **state)
{
	uint64_t mem = 0;
	unsigned cpus = 0;
	assert_int_equal(size("\"resources\":{\"cpu\":{\"quota\":150000,\"period\":100000}}", NULL,
			      &mem, &cpus, NULL),
			 0);
	assert_int_equal(cpus, 2); /* 1.5 CPUs of time: 2 vCPUs */
	assert_int_equal(
	    size("\"resources\":{\"cpu\":{\"cpus\":\"0-2,7\"}}", NULL, &mem, &cpus, NULL), 0);
	assert_int_equal(cpus, 4);
	assert_int_equal(
	    size("\"resources\":{\"cpu\":{\"quota\":100000,\"period\":100000,\"cpus\":\"0-3\"}}",
		 NULL, &mem, &cpus, NULL),
	    0);
	assert_int_equal(cpus, 1); /* the smaller of the two */
	assert_int_equal(size("\"resources\":{\"cpu\":{\"quota\":-1}}", NULL, &mem, &cpus, NULL),
			 0);
	assert_int_equal(cpus, 1); /* -1: no quota */
}

static void test_sizing_annotations(void **state)
{
	uint64_t mem = 0;
	unsigned cpus = 0;
	assert_int_equal(size("\"resources\":{\"memory\":{\"limit\":536870912}}",
			      "\"org.husk.vm.memory\":\"200\",\"org.husk.vm.cpus\":\"3\"", &mem,
			      &cpus, NULL),
			 0);
	assert_int_equal(mem, 200);
	assert_int_equal(cpus, 3);
	char *msg = NULL;
	assert_true(size(NULL, "\"org.husk.vm.memory\":\"16\"", &mem, &cpus, &msg) < 0);
	assert_non_null(strstr(msg, "org.husk.vm.memory"));
	free(msg);
	assert_true(size(NULL, "\"org.husk.vm.cpus\":\"0\"", &mem, &cpus, &msg) < 0);
	assert_non_null(strstr(msg, "org.husk.vm.cpus"));
	free(msg);
}

static void test_annotation_selects(void **state)
{
	struct oci_config *cfg = config(NULL, "\"org.husk.vm\":\"true\"");
	assert_true(vm_annotation_selected(cfg));
	oci_config_free(cfg);
	cfg = config(NULL, "\"org.husk.vm\":\"false\"");
	assert_false(vm_annotation_selected(cfg));
	oci_config_free(cfg);
}

static char tmpdir[] = "/tmp/husk-vm-unit.XXXXXX";

static char *touch(const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", tmpdir, name) > 0);
	int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	return p;
}

static void test_kernel_lookup_order(void **state)
{
	char *ann = touch("ann"), *env = touch("env"), *inst = touch("inst"), *tree = touch("tree");
	char *gone = NULL;
	assert_true(asprintf(&gone, "%s/missing", tmpdir) > 0);
	char *path = NULL;
	struct husk_err *err = NULL;
	assert_int_equal(vm_guest_kernel_find_in(ann, env, inst, tree, &path, &err), 0);
	assert_string_equal(path, ann);
	free(path);
	assert_int_equal(vm_guest_kernel_find_in(NULL, env, inst, tree, &path, &err), 0);
	assert_string_equal(path, env);
	free(path);
	assert_int_equal(vm_guest_kernel_find_in(NULL, NULL, inst, tree, &path, &err), 0);
	assert_string_equal(path, inst);
	free(path);
	assert_int_equal(vm_guest_kernel_find_in(NULL, "", gone, tree, &path, &err), 0);
	assert_string_equal(path, tree);
	free(path);
	/* given but missing: an error, not the next place */
	assert_true(vm_guest_kernel_find_in(gone, env, inst, tree, &path, &err) < 0);
	assert_non_null(strstr(err->msg, "org.husk.vm.kernel"));
	husk_err_free(&err);
	assert_true(vm_guest_kernel_find_in(NULL, gone, inst, tree, &path, &err) < 0);
	assert_non_null(strstr(err->msg, "HUSK_VM_KERNEL"));
	husk_err_free(&err);
	/* nothing anywhere: every place is named */
	assert_true(vm_guest_kernel_find_in(NULL, NULL, gone, gone, &path, &err) < 0);
	assert_non_null(strstr(err->msg, "make guest-kernel"));
	assert_non_null(strstr(err->msg, gone));
	husk_err_free(&err);
	/* a directory is no kernel */
	assert_true(vm_guest_kernel_find_in(tmpdir, NULL, inst, tree, &path, &err) < 0);
	husk_err_free(&err);
	unlink(ann), unlink(env), unlink(inst), unlink(tree);
	free(ann), free(env), free(inst), free(tree), free(gone);
}

static void test_host_check(void **state)
{
	char *dev = touch("kvm"); /* a regular file is no KVM device */
	struct husk_err *err = NULL;
	assert_true(vm_host_check("/nonexistent/kvm", "flags : fpu vmx", &err) < 0);
	assert_non_null(strstr(err->msg, "no hardware virtualization"));
	assert_non_null(strstr(err->msg, "/nonexistent/kvm is missing"));
	husk_err_free(&err);
	assert_true(vm_host_check(dev, "flags : fpu vmx", &err) < 0);
	assert_non_null(strstr(err->msg, "not a character device"));
	husk_err_free(&err);
	if (access("/dev/null", F_OK) == 0) {
		/* /dev/null stands in for a character device */
		assert_int_equal(vm_host_check("/dev/null", "flags\t\t: fpu vme svm lm\n", &err),
				 0);
		assert_int_equal(vm_host_check("/dev/null", "a\nflags : fpu vmx\n", &err), 0);
		assert_true(
		    vm_host_check("/dev/null", "flags : fpu vmxe svmx\nbugs : vmx\n", &err) < 0);
		assert_non_null(strstr(err->msg, "neither vmx nor svm"));
		husk_err_free(&err);
	}
	unlink(dev);
	free(dev);
}

static void test_initramfs(void **state)
{
	int fd = memfd_create("t", MFD_CLOEXEC);
	assert_true(fd >= 0);
	int src = memfd_create("bin", MFD_CLOEXEC);
	char big[100000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	assert_int_equal(write(src, big, sizeof(big)), sizeof(big));
	const char cfg[] = "{\"x\":1}";
	struct vm_initramfs_file files[] = {
	    {.path = "init", .fd = src, .mode = 0755},
	    {.path = "husk/config.json", .fd = -1, .data = cfg, .len = strlen(cfg), .mode = 0600},
	    {.path = "a/b/c", .fd = -1, .data = "z", .len = 1, .mode = 0644},
	};
	struct husk_err *err = NULL;
	assert_int_equal(vm_initramfs_write(fd, files, 3, &err), 0);
	lseek(fd, 0, SEEK_SET);
	struct archive *a = archive_read_new();
	archive_read_support_format_cpio(a);
	assert_int_equal(archive_read_open_fd(a, fd, 4096), ARCHIVE_OK);
	struct archive_entry *e;
	int seen = 0;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		assert_int_equal(archive_format(a), ARCHIVE_FORMAT_CPIO_SVR4_NOCRC);
		if (!strcmp(p, "init")) {
			assert_int_equal(archive_entry_filetype(e), AE_IFREG);
			assert_int_equal(archive_entry_perm(e), 0755);
			assert_int_equal(archive_entry_size(e), sizeof(big));
			static char got[sizeof(big)];
			assert_int_equal(archive_read_data(a, got, sizeof(got)), sizeof(big));
			assert_memory_equal(got, big, sizeof(big));
			seen |= 1;
		} else if (!strcmp(p, "husk/config.json")) {
			char got[32] = {0};
			assert_int_equal(archive_entry_perm(e), 0600);
			assert_int_equal(archive_read_data(a, got, sizeof(got)), strlen(cfg));
			assert_string_equal(got, cfg);
			seen |= 2;
		} else if (!strcmp(p, "dev/console")) {
			assert_int_equal(archive_entry_filetype(e), AE_IFCHR);
			assert_int_equal(archive_entry_rdevmajor(e), 5);
			assert_int_equal(archive_entry_rdevminor(e), 1);
			seen |= 4;
		} else if (!strcmp(p, "a/b")) {
			assert_int_equal(archive_entry_filetype(e), AE_IFDIR);
			seen |= 8;
		} else if (!strcmp(p, "newroot") || !strcmp(p, "proc") || !strcmp(p, "sys")) {
			assert_int_equal(archive_entry_filetype(e), AE_IFDIR);
			seen |= 16;
		}
		assert_int_equal(archive_entry_uid(e), 0);
	}
	assert_int_equal(seen, 31);
	archive_read_free(a);
	close(fd);
	close(src);
}

static int count_cb(void *arg, const struct chan_frame *f)
{
	int *n = arg;
	(*n)++;
	return f->type == CHAN_EXIT ? -1 : 0;
}

static void test_channel(void **state)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct husk_err *err = NULL;
	assert_int_equal(chan_send(p[1], CHAN_STDOUT, "hello", 5, &err), 0);
	assert_int_equal(chan_send_i32(p[1], CHAN_SIGNAL, 15, &err), 0);
	uint8_t buf[64];
	ssize_t n = read(p[0], buf, sizeof(buf));
	assert_int_equal(n, 2 * sizeof(struct chan_hdr) + 5 + 4);
	struct chan_frame f;
	/* every prefix short of a whole frame is incomplete */
	for (size_t i = 0; i < sizeof(struct chan_hdr) + 5; i++)
		assert_int_equal(chan_parse(buf, i, &f), 0);
	assert_int_equal(chan_parse(buf, (size_t)n, &f), sizeof(struct chan_hdr) + 5);
	assert_int_equal(f.type, CHAN_STDOUT);
	assert_memory_equal(f.data, "hello", 5);
	assert_int_equal(chan_parse(buf + sizeof(struct chan_hdr) + 5,
				    (size_t)n - sizeof(struct chan_hdr) - 5, &f),
			 sizeof(struct chan_hdr) + 4);
	assert_int_equal(f.type, CHAN_SIGNAL);
	assert_int_equal(f.session, 0);
	/* an exec's frames carry their session */
	assert_int_equal(chan_send_s(p[1], 7, CHAN_EXEC, "{}", 2, &err), 0);
	n = read(p[0], buf, sizeof(buf));
	assert_int_equal(chan_parse(buf, (size_t)n, &f), sizeof(struct chan_hdr) + 2);
	assert_int_equal(f.type, CHAN_EXEC);
	assert_int_equal(f.session, 7);
	/* unknown type, oversize: refused */
	struct chan_hdr bad = {.type = 99, .len = 0};
	assert_int_equal(chan_parse((uint8_t *)&bad, sizeof(bad), &f), -1);
	bad = (struct chan_hdr){.type = CHAN_STDIN, .len = CHAN_MAX_PAYLOAD + 1};
	assert_int_equal(chan_parse((uint8_t *)&bad, sizeof(bad), &f), -1);
	assert_true(chan_send(p[1], CHAN_STDIN, buf, CHAN_MAX_PAYLOAD + 1, &err) < 0);
	husk_err_free(&err);
	/* the reader: frames split across reads, a refusing callback stops it */
	static struct chan_reader rd;
	int frames = 0;
	assert_int_equal(write(p[1], &(struct chan_hdr){.type = CHAN_STARTED}, 4), 4);
	assert_int_equal(chan_read(&rd, p[0], count_cb, &frames, &err), 0);
	assert_int_equal(frames, 0);
	assert_int_equal(write(p[1], (char *)&(struct chan_hdr){.type = CHAN_STARTED} + 4,
			       sizeof(struct chan_hdr) - 4),
			 (ssize_t)sizeof(struct chan_hdr) - 4);
	assert_int_equal(chan_read(&rd, p[0], count_cb, &frames, &err), 0);
	assert_int_equal(frames, 1);
	assert_int_equal(chan_send_i32(p[1], CHAN_EXIT, 0, &err), 0);
	assert_true(chan_read(&rd, p[0], count_cb, &frames, &err) < 0);
	husk_err_free(&err);
	/* and the stream stays broken: nothing after a refused frame is read */
	assert_int_equal(chan_send(p[1], CHAN_STARTED, NULL, 0, &err), 0);
	close(p[1]);
	assert_true(chan_read(&rd, p[0], count_cb, &frames, &err) < 0);
	husk_err_free(&err);
	assert_int_equal(frames, 2);
	close(p[0]);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizing_defaults),
	    cmocka_unit_test(test_sizing_memory_limit),
	    cmocka_unit_test(test_sizing_cpus),
	    cmocka_unit_test(test_sizing_annotations),
	    cmocka_unit_test(test_annotation_selects),
	    cmocka_unit_test(test_kernel_lookup_order),
	    cmocka_unit_test(test_host_check),
	    cmocka_unit_test(test_initramfs),
	    cmocka_unit_test(test_channel),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
