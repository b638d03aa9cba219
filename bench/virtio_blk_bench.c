/* virtio-blk read throughput through the driver-side harness (descriptor
 * chains in guest memory, doorbell through mmio(), used ring) against pread()
 * of the same image with the same request size.  Both run warm, from the page
 * cache, so the difference is the device model's own cost per request.
 *
 *   virtio_blk_bench [IMAGE_MiB] [PASSES]        (defaults 256, 4) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "tests/unit/helpers/virtio_driver.h"

#define QSZ   256
#define BATCH 64 /* requests per doorbell */

static double mbps(uint64_t bytes, unsigned long long ns)
{
	return (double)bytes / (1 << 20) / ((double)ns / 1e9);
}

/* Into BATCH rotating buffers, like the guest's: the same cache footprint. */
static double bench_pread(int fd, uint64_t size, size_t req, unsigned passes)
{
	uint8_t *buf = aligned_alloc(4096, req * BATCH);
	unsigned long long t0 = now_ns();
	for (unsigned p = 0; p < passes; p++)
		for (uint64_t off = 0, i = 0; off < size; off += req, i = (i + 1) % BATCH)
			if (pread(fd, buf + i * req, req, (off_t)off) != (ssize_t)req)
				abort();
	unsigned long long t = now_ns() - t0;
	free(buf);
	return mbps(size * passes, t);
}

static double bench_virtio(const char *img, uint64_t size, size_t req, unsigned passes)
{
	struct vdrv d;
	struct husk_err *err = NULL;
	vdrv_init(&d, 16ull * 4096 + BATCH * (req + 64) + (1 << 20));
	d.dev = virtio_blk_create(&d.env, img, &err);
	if (!d.dev) {
		fprintf(stderr, "virtio_blk_create: %s\n", err->msg);
		exit(1);
	}
	uint64_t want = BIT64(VIRTIO_F_VERSION_1) | BIT64(VIRTIO_RING_F_EVENT_IDX);
	if (vdrv_start(&d, VIRTIO_ID_BLOCK, want, 1, QSZ) < 0)
		abort();
	/* One header/data/status triple per batch slot, reused every round. */
	uint64_t hdr[BATCH], data[BATCH], status[BATCH];
	for (unsigned i = 0; i < BATCH; i++) {
		hdr[i] = vdrv_alloc(&d, 16);
		data[i] = vdrv_alloc(&d, req);
		status[i] = vdrv_alloc(&d, 1);
	}
	uint64_t sectors_per_req = req / 512, nreq = size / req;
	unsigned long long t0 = now_ns();
	for (unsigned p = 0; p < passes; p++) {
		for (uint64_t r = 0; r < nreq; r += BATCH) {
			unsigned n = nreq - r < BATCH ? (unsigned)(nreq - r) : BATCH;
			for (unsigned i = 0; i < n; i++) {
				uint32_t *h = vdrv_ptr(&d, hdr[i]);
				uint64_t sector = (r + i) * sectors_per_req;
				h[0] = 0; /* VIRTIO_BLK_T_IN */
				h[1] = 0;
				memcpy(h + 2, &sector, 8);
				struct vdrv_buf b[] = {{hdr[i], 16, false},
						       {data[i], (uint32_t)req, true},
						       {status[i], 1, true}};
				vdrv_publish(&d, 0, vdrv_chain(&d, 0, b, 3));
			}
			vdrv_kick(&d, 0);
			uint32_t len;
			for (unsigned i = 0; i < n; i++)
				if (!vdrv_used(&d, 0, NULL, &len) || len != req + 1 ||
				    *(uint8_t *)vdrv_ptr(&d, status[i]) != 0)
					abort();
		}
	}
	unsigned long long t = now_ns() - t0;
	vdrv_fini(&d);
	return mbps(nreq * req * passes, t);
}

#define REPS 5

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 256;
	unsigned passes = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 4;
	uint64_t size = mib << 20;
	char dir[] = "/tmp/husk-virtio-bench-XXXXXX", img[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	int fd = open(img, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	uint8_t *chunk = malloc(1 << 20);
	for (unsigned i = 0; i < (1u << 20); i++)
		chunk[i] = (uint8_t)(i * 31);
	for (uint64_t off = 0; off < size; off += 1 << 20)
		if (pwrite(fd, chunk, 1 << 20, (off_t)off) != 1 << 20)
			return 1;
	free(chunk);

	printf("virtio-blk read throughput, %llu MiB image x %u passes, warm page cache,\n"
	       "median of %d interleaved runs\n",
	       (unsigned long long)mib, passes, REPS);
	printf("%-8s %14s %14s %8s\n", "req", "virtio MB/s", "pread MB/s", "ratio");
	size_t reqs[] = {4096, 65536, 262144};
	for (unsigned i = 0; i < ARRAY_SIZE(reqs); i++) {
		double vs[REPS], ps[REPS];
		bench_pread(fd, size, reqs[i], 1); /* warm up */
		for (int r = 0; r < REPS; r++) {
			vs[r] = bench_virtio(img, size, reqs[i], passes);
			ps[r] = bench_pread(fd, size, reqs[i], passes);
		}
		qsort(vs, REPS, sizeof(double), cmp_double);
		qsort(ps, REPS, sizeof(double), cmp_double);
		double v = vs[REPS / 2], p = ps[REPS / 2];
		printf("%-8zu %14.0f %14.0f %8.2f\n", reqs[i], v, p, v / p);
	}
	close(fd);
	unlink(img);
	rmdir(dir);
	return 0;
}
