/* virtio-fs throughput through the driver-side harness: FUSE READ and WRITE
 * requests of 128 KiB (the server's max_write) on one file, one request per
 * doorbell as the guest sends them, against pread()/pwrite() of the same file
 * with the same size.  Warm page cache (the file lives in a temp dir, /dev/shm
 * when there is one), so the difference is the request path's own cost:
 * decoding, the handle table, the copy between guest memory and the file.
 * Also: LOOKUP+GETATTR+FORGET of one name, per second (metadata path).
 *
 *   virtio_fs_bench [FILE_MiB] [PASSES]        (defaults 64, 4) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "tests/unit/helpers/fuse_client.h"

#define REQ (128u * 1024)

static double mbps(uint64_t bytes, unsigned long long ns)
{
	return (double)bytes / (1 << 20) / ((double)ns / 1e9);
}

static double bench_plain(int fd, uint64_t size, unsigned passes, bool write)
{
	uint8_t *buf = aligned_alloc(4096, REQ);
	memset(buf, 0x5a, REQ);
	unsigned long long t0 = now_ns();
	for (unsigned p = 0; p < passes; p++)
		for (uint64_t off = 0; off < size; off += REQ) {
			ssize_t n = write ? pwrite(fd, buf, REQ, (off_t)off)
					  : pread(fd, buf, REQ, (off_t)off);
			if (n != (ssize_t)REQ)
				abort();
		}
	unsigned long long t = now_ns() - t0;
	free(buf);
	return mbps(size * passes, t);
}

static double bench_fuse(struct fc *f, uint64_t fh, uint64_t size, unsigned passes, bool write)
{
	/* The request (header + args + data) and the reply live in guest RAM. */
	uint8_t *req = vdrv_ptr(&f->d, f->req_gpa), *rep = vdrv_ptr(&f->d, f->rep_gpa);
	memset(req, 0x5a, FC_BUF);
	size_t hdr = sizeof(struct fuse_in_header);
	unsigned long long t0 = now_ns();
	for (unsigned p = 0; p < passes; p++)
		for (uint64_t off = 0, u = 1; off < size; off += REQ, u++) {
			struct fuse_in_header h = {
			    .opcode = write ? FUSE_WRITE : FUSE_READ, .unique = u, .nodeid = 1};
			size_t in_len;
			if (write) {
				struct fuse_write_in wi = {.fh = fh, .offset = off, .size = REQ};
				in_len = hdr + sizeof(wi) + REQ;
				memcpy(req + hdr, &wi, sizeof(wi));
			} else {
				struct fuse_read_in ri = {.fh = fh, .offset = off, .size = REQ};
				in_len = hdr + sizeof(ri);
				memcpy(req + hdr, &ri, sizeof(ri));
			}
			h.len = (uint32_t)in_len;
			memcpy(req, &h, hdr);
			size_t rep_len = sizeof(struct fuse_out_header) + (write ? 16 : REQ);
			struct vdrv_buf b[2] = {{f->req_gpa, (uint32_t)in_len, false},
						{f->rep_gpa, (uint32_t)rep_len, true}};
			if (vdrv_submit(&f->d, FC_REQUESTS, b, 2) <= 0)
				abort();
			struct fuse_out_header oh;
			memcpy(&oh, rep, sizeof(oh));
			if (oh.error)
				abort();
		}
	unsigned long long t = now_ns() - t0;
	return mbps(size * passes, t);
}

static double bench_lookup(struct fc *f, unsigned n)
{
	struct fmsg forget = {0};
	struct fuse_forget_in fi = {.nlookup = 1};
	fm_put(&forget, &fi, sizeof(fi));
	struct fmsg gm = {0};
	struct fuse_getattr_in gi = {0};
	fm_put(&gm, &gi, sizeof(gi));
	unsigned long long t0 = now_ns();
	for (unsigned i = 0; i < n; i++) {
		int64_t node = fc_lookup(f, 1, "data", NULL);
		struct fuse_attr_out ao;
		if (node < 0 ||
		    fc_call(f, FUSE_GETATTR, (uint64_t)node, &gm, &ao, sizeof(ao), NULL))
			abort();
		fc_call_q(f, FC_HIPRIO, FUSE_FORGET, (uint64_t)node, &forget, NULL, 0, NULL);
	}
	return n / ((double)(now_ns() - t0) / 1e9);
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 64;
	unsigned passes = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 4;
	uint64_t size = mib << 20;
	char dir[] = "/dev/shm/husk-vfs-bench.XXXXXX";
	if (!mkdtemp(dir)) {
		memcpy(dir, "/tmp", 4);
		if (!mkdtemp(dir))
			return 1;
	}
	struct fc f;
	if (fc_open(&f, dir, false) < 0 || fc_init(&f) < 0)
		return 1;
	char path[96];
	snprintf(path, sizeof(path), "%s/data", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return 1;
	int64_t node = fc_lookup(&f, 1, "data", NULL);
	int64_t fh = node > 0 ? fc_open_fh(&f, (uint64_t)node, O_RDWR, false) : -1;
	if (fh < 0)
		return 1;
	bench_plain(fd, size, 1, true); /* warm the page cache */
	printf("virtio-fs, %llu MiB x %u passes, %u KiB requests\n", (unsigned long long)mib,
	       passes, REQ / 1024);
	printf("  write: FUSE %.0f MB/s, pwrite %.0f MB/s\n",
	       bench_fuse(&f, (uint64_t)fh, size, passes, true),
	       bench_plain(fd, size, passes, true));
	printf("  read:  FUSE %.0f MB/s, pread %.0f MB/s\n",
	       bench_fuse(&f, (uint64_t)fh, size, passes, false),
	       bench_plain(fd, size, passes, false));
	printf("  lookup+getattr+forget: %.0f per second\n", bench_lookup(&f, 20000));
	close(fd);
	fc_close(&f);
	unlink(path);
	rmdir(dir);
	return 0;
}
