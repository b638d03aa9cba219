/* libFuzzer target for the image layer reader: the input is a layer blob
 * (gzip, zstd or plain tar) applied onto a scratch rootfs with the same code
 * as `husk image unpack` (oci/image/layer_stream.c, layer_apply.c).
 *
 * Invariant checked on every input, besides the sanitizers: nothing is ever
 * written outside the rootfs.  The rootfs sits in a directory next to a
 * sentinel directory; after each input that directory holds only "rootfs"
 * and the sentinel stays empty.  Device nodes and ownership are not applied
 * (unprivileged mode): the fuzzer must not leave device nodes under /tmp. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/image/image.h"
#include "oci/image/internal.h"

static int base_fd = -1, outside_fd = -1;
static char base_path[] = "/tmp/husk-fuzz-image.XXXXXX";

static void remove_base(void)
{
	struct husk_err *err = NULL;
	if (image_remove_tree_at(AT_FDCWD, base_path, &err) < 0)
		husk_err_free(&err);
}

static void setup(void)
{
	char *tmpl = base_path;
	if (!mkdtemp(tmpl))
		abort();
	atexit(remove_base);
	base_fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base_fd < 0 || mkdirat(base_fd, "box", 0755) < 0 ||
	    mkdirat(base_fd, "outside", 0755) < 0)
		abort();
	outside_fd = openat(base_fd, "outside", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (outside_fd < 0)
		abort();
}

/* Entries of dir_fd other than "." and ".."; at most 2 names kept. */
static int list(int dir_fd, char names[2][256])
{
	int dfd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d)
		abort();
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n < 2)
			snprintf(names[n], 256, "%s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (base_fd < 0)
		setup();
	int box = openat(base_fd, "box", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (box < 0 || mkdirat(box, "rootfs", 0755) < 0)
		abort();
	int root = openat(box, "rootfs", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int fd = memfd_create("layer", MFD_CLOEXEC);
	if (root < 0 || fd < 0 || (size && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) < 0)
		abort();
	struct img_layer l = {.name = "fuzz", .fd = fd, .size = -1};
	struct img_apply a;
	struct husk_err *err = NULL;
	mode_t old = umask(0);
	img_apply_init(&a, root, false);
	if (img_layer_apply(&a, &l, &err) < 0)
		husk_err_free(&err);
	img_apply_clear(&a);
	umask(old);
	close(fd);
	close(root);

	char names[2][256];
	int n = list(box, names);
	if (n != 1 || strcmp(names[0], "rootfs") != 0) {
		fprintf(stderr, "written outside the rootfs: %s\n",
			n ? names[n > 1] : "(rootfs gone)");
		abort();
	}
	if (list(outside_fd, names) != 0) {
		fprintf(stderr, "written into the sentinel dir: %s\n", names[0]);
		abort();
	}
	/* Leave the next input a fresh rootfs; a tree the image made unremovable
	 * (a directory without write permission for us: impossible as root)
	 * would show up as a failed mkdir above. */
	if (image_remove_tree_at(box, "rootfs", &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		abort();
	}
	close(box);
	return 0;
}
