/* virtio-blk throughput through the driver-side harness (the device model
 * driven exactly as a guest driver would, on this thread), against reading
 * the same image with pread.  Both read the whole image in 64 KiB requests;
 * the page cache is warm for both (the image is read once first).
 *   vm_blk IMAGE */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/helpers/virtio_driver.h"

#define CHUNK (64 * 1024)
#define RAM   (4u << 20)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double direct(const char *path, uint64_t size)
{
	int fd = open(path, O_RDONLY);
	char *buf = malloc(CHUNK);
	double t = now();
	for (uint64_t off = 0; off < size; off += CHUNK)
		if (pread(fd, buf, CHUNK, off) < 0)
			abort();
	t = now() - t;
	free(buf);
	close(fd);
	return t;
}

static double through_virtio(const char *path, uint64_t size)
{
	struct vdrv d;
	struct husk_err *err = NULL;
	vdrv_init(&d, RAM);
	d.dev = virtio_blk_create(&d.env, path, &err);
	if (!d.dev) {
		fprintf(stderr, "virtio-blk: %s\n", err->msg);
		exit(1);
	}
	if (vdrv_start(&d, VIRTIO_ID_BLOCK, BIT64(VIRTIO_F_VERSION_1), 1, 64) < 0)
		exit(1);
	uint64_t hdr = vdrv_alloc(&d, 16), data = vdrv_alloc(&d, CHUNK), st = vdrv_alloc(&d, 1);
	uint32_t *h = vdrv_ptr(&d, hdr);
	double t = now();
	for (uint64_t sector = 0; sector * 512 < size; sector += CHUNK / 512) {
		h[0] = 0; /* VIRTIO_BLK_T_IN */
		h[1] = 0;
		*(uint64_t *)(h + 2) = sector;
		struct vdrv_buf b[3] = {{hdr, 16, false}, {data, CHUNK, true}, {st, 1, true}};
		if (vdrv_submit(&d, 0, b, 3) != CHUNK + 1 || *(uint8_t *)vdrv_ptr(&d, st) != 0) {
			fprintf(stderr, "virtio-blk: read at sector %llu failed\n",
				(unsigned long long)sector);
			exit(1);
		}
	}
	t = now() - t;
	vdrv_fini(&d);
	return t;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: vm_blk IMAGE\n");
		return 2;
	}
	struct stat st;
	if (stat(argv[1], &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	uint64_t size = st.st_size & ~(uint64_t)(CHUNK - 1);
	direct(argv[1], size); /* warm the page cache */
	double best_d = 1e9, best_v = 1e9;
	for (int i = 0; i < 5; i++) {
		double a = direct(argv[1], size), b = through_virtio(argv[1], size);
		best_d = a < best_d ? a : best_d;
		best_v = b < best_v ? b : best_v;
	}
	double mib = size / 1048576.0;
	printf("virtio-blk read: %.0f MiB/s through the device model, %.0f MiB/s pread (%.0f%%), "
	       "%.0f MiB in 64 KiB requests, best of 5\n",
	       mib / best_v, mib / best_d, 100.0 * best_d / best_v, mib);
	return 0;
}
