/* virtio-blk against a real raw image in a private temp dir: every request
 * type, data checked against the file, bounds, read-only, sparse discard, and
 * malformed requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/helpers/virtio_driver.h"

#define RAM	 (4u << 20)
#define V1	 BIT64(VIRTIO_F_VERSION_1)
#define IMG_SIZE (1u << 20)
#define SECTORS	 (IMG_SIZE / 512)

#define T_IN	       0
#define T_OUT	       1
#define T_FLUSH	       4
#define T_GET_ID       8
#define T_DISCARD      11
#define T_WRITE_ZEROES 13
#define S_OK	       0
#define S_IOERR	       1
#define S_UNSUPP       2
#define F_RO	       5
#define F_FLUSH	       9
#define F_DISCARD      13
#define F_WRITE_ZEROES 14

struct fixture {
	struct vdrv d;
	char dir[64];
	char img[96];
	int fd;
};

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9));
}

static struct fixture *make_fixture(bool ro)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/husk-virtio-blk-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->img, sizeof(f->img), "%s/disk.img", f->dir);
	f->fd = open(f->img, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(f->fd >= 0);
	uint8_t *buf = malloc(IMG_SIZE);
	for (uint64_t i = 0; i < IMG_SIZE; i++)
		buf[i] = pattern(i);
	assert_int_equal(pwrite(f->fd, buf, IMG_SIZE, 0), IMG_SIZE);
	free(buf);
	fsync(f->fd);

	char spec[128];
	snprintf(spec, sizeof(spec), "%s%s", f->img, ro ? ",ro" : "");
	struct husk_err *err = NULL;
	vdrv_init(&f->d, RAM);
	f->d.dev = virtio_blk_create(&f->d.env, spec, &err);
	if (!f->d.dev) {
		/* Leave nothing behind in /tmp when the device cannot be made. */
		unlink(f->img);
		rmdir(f->dir);
		fail_msg("virtio_blk_create: %s", err ? err->msg : "?");
	}
	uint64_t want = V1 | BIT64(VIRTIO_RING_F_INDIRECT_DESC) | BIT64(VIRTIO_RING_F_EVENT_IDX) |
			BIT64(F_FLUSH) | BIT64(F_DISCARD) | BIT64(F_WRITE_ZEROES) | BIT64(F_RO);
	if (vdrv_start(&f->d, VIRTIO_ID_BLOCK, want, 1, 64) != 0) {
		vdrv_fini(&f->d);
		unlink(f->img);
		rmdir(f->dir);
		fail_msg("virtio-blk: negotiation or queue setup failed");
	}
	return f;
}

static int setup_rw(void **state)
{
	*state = make_fixture(false);
	return 0;
}

static int setup_ro(void **state)
{
	*state = make_fixture(true);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vdrv_fini(&f->d);
	close(f->fd);
	unlink(f->img);
	rmdir(f->dir);
	free(f);
	return 0;
}

struct req {
	uint64_t hdr, status;
	uint8_t *st;
};

static struct req new_req(struct vdrv *d, uint32_t type, uint64_t sector)
{
	struct req r;
	r.hdr = vdrv_alloc(d, 16);
	r.status = vdrv_alloc(d, 1);
	uint32_t *h = vdrv_ptr(d, r.hdr);
	h[0] = type;
	h[1] = 0;
	memcpy(h + 2, &sector, 8);
	r.st = vdrv_ptr(d, r.status);
	*r.st = 0xff;
	return r;
}

/* hdr, then the data buffers, then the status byte. */
static long submit(struct vdrv *d, struct req *r, const struct vdrv_buf *data, unsigned n)
{
	struct vdrv_buf b[16];
	b[0] = (struct vdrv_buf){r->hdr, 16, false};
	if (n)
		memcpy(b + 1, data, n * sizeof(*data));
	b[n + 1] = (struct vdrv_buf){r->status, 1, true};
	return vdrv_submit(d, 0, b, n + 2);
}

static void check_file(struct fixture *f, uint64_t off, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(len);
	assert_int_equal(pread(f->fd, got, len, off), len);
	assert_memory_equal(got, want, len);
	free(got);
}

static void config_and_features(void **state)
{
	struct fixture *f = *state;
	uint64_t cap;
	vdrv_config(&f->d, 0, &cap, 8);
	assert_int_equal(cap, SECTORS);
	assert_true(f->d.features & BIT64(F_FLUSH));
	assert_true(f->d.features & BIT64(F_DISCARD));
	assert_true(f->d.features & BIT64(F_WRITE_ZEROES));
	assert_false(f->d.features & BIT64(F_RO));
	uint32_t seg_max;
	vdrv_config(&f->d, 12, &seg_max, 4);
	assert_true(seg_max > 0 && seg_max < VIRTQ_MAX_SEGS);
}

static void read_sectors(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	struct req r = new_req(d, T_IN, 3);
	/* 1024 bytes split unevenly over three buffers. */
	uint64_t a = vdrv_alloc(d, 100), b = vdrv_alloc(d, 824), c = vdrv_alloc(d, 100);
	struct vdrv_buf data[] = {{a, 100, true}, {b, 824, true}, {c, 100, true}};
	assert_int_equal(submit(d, &r, data, 3), 1025);
	assert_int_equal(*r.st, S_OK);
	uint8_t want[1024];
	for (unsigned i = 0; i < 1024; i++)
		want[i] = pattern(3 * 512 + i);
	assert_memory_equal(vdrv_ptr(d, a), want, 100);
	assert_memory_equal(vdrv_ptr(d, b), want + 100, 824);
	assert_memory_equal(vdrv_ptr(d, c), want + 924, 100);
}

static void read_last_sector(void **state)
{
	struct fixture *f = *state;
	struct req r = new_req(&f->d, T_IN, SECTORS - 1);
	struct vdrv_buf data = {vdrv_alloc(&f->d, 512), 512, true};
	assert_int_equal(submit(&f->d, &r, &data, 1), 513);
	assert_int_equal(*r.st, S_OK);
	check_file(f, IMG_SIZE - 512, vdrv_ptr(&f->d, data.gpa), 512);
}

static void write_sectors(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	struct req r = new_req(d, T_OUT, 5);
	uint64_t a = vdrv_alloc(d, 1536);
	uint8_t *p = vdrv_ptr(d, a);
	for (unsigned i = 0; i < 1536; i++)
		p[i] = (uint8_t)(0xa5 ^ i);
	struct vdrv_buf data[] = {{a, 512, false}, {a + 512, 1024, false}};
	assert_int_equal(submit(d, &r, data, 2), 1);
	assert_int_equal(*r.st, S_OK);
	check_file(f, 5 * 512, p, 1536);
	/* Neighbours untouched. */
	uint8_t before = 0, after = 0;
	pread(f->fd, &before, 1, 5 * 512 - 1);
	pread(f->fd, &after, 1, 8 * 512);
	assert_int_equal(before, pattern(5 * 512 - 1));
	assert_int_equal(after, pattern(8 * 512));
}

static void write_then_read_indirect(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	struct req w = new_req(d, T_OUT, 100);
	uint64_t a = vdrv_alloc(d, 512);
	memset(vdrv_ptr(d, a), 0x3c, 512);
	struct vdrv_buf wb[] = {{w.hdr, 16, false}, {a, 512, false}, {w.status, 1, true}};
	uint16_t head = vdrv_chain_indirect(d, 0, wb, 3);
	vdrv_publish(d, 0, head);
	vdrv_kick(d, 0);
	assert_true(vdrv_used(d, 0, NULL, NULL));
	assert_int_equal(*w.st, S_OK);

	struct req r = new_req(d, T_IN, 100);
	struct vdrv_buf data = {vdrv_alloc(d, 512), 512, true};
	assert_int_equal(submit(d, &r, &data, 1), 513);
	assert_memory_equal(vdrv_ptr(d, data.gpa), vdrv_ptr(d, a), 512);
}

static void out_of_bounds(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	uint64_t sectors[] = {SECTORS - 1, SECTORS, UINT64_MAX, UINT64_MAX / 512 + 1};
	struct vdrv_buf data = {vdrv_alloc(d, 1024), 1024, true};
	for (unsigned i = 0; i < 4; i++) {
		struct req r = new_req(d, T_IN, sectors[i]);
		assert_int_equal(submit(d, &r, &data, 1), 1);
		assert_int_equal(*r.st, S_IOERR);
		struct req w = new_req(d, T_OUT, sectors[i]);
		struct vdrv_buf wd = {data.gpa, 1024, false};
		assert_int_equal(submit(d, &w, &wd, 1), 1);
		assert_int_equal(*w.st, S_IOERR);
	}
	struct stat st;
	fstat(f->fd, &st);
	assert_int_equal(st.st_size, IMG_SIZE); /* the image did not grow */
}

static void partial_sector(void **state)
{
	struct fixture *f = *state;
	struct req r = new_req(&f->d, T_IN, 0);
	struct vdrv_buf data = {vdrv_alloc(&f->d, 100), 100, true};
	assert_int_equal(submit(&f->d, &r, &data, 1), 1);
	assert_int_equal(*r.st, S_IOERR);
}

static void flush(void **state)
{
	struct fixture *f = *state;
	struct req r = new_req(&f->d, T_FLUSH, 0);
	assert_int_equal(submit(&f->d, &r, NULL, 0), 1);
	assert_int_equal(*r.st, S_OK);
}

static void get_id(void **state)
{
	struct fixture *f = *state;
	struct req r = new_req(&f->d, T_GET_ID, 0);
	struct vdrv_buf data = {vdrv_alloc(&f->d, 20), 20, true};
	long len = submit(&f->d, &r, &data, 1);
	assert_true(len > 1 && len <= 21);
	assert_int_equal(*r.st, S_OK);
	assert_memory_equal(vdrv_ptr(&f->d, data.gpa), "husk", 4);
}

static void unknown_type(void **state)
{
	struct fixture *f = *state;
	struct req r = new_req(&f->d, 0x1234, 0);
	assert_int_equal(submit(&f->d, &r, NULL, 0), 1);
	assert_int_equal(*r.st, S_UNSUPP);
}

static uint64_t discard_req(struct vdrv *d, uint64_t sector, uint32_t n, uint32_t flags)
{
	uint64_t g = vdrv_alloc(d, 16);
	uint8_t *p = vdrv_ptr(d, g);
	memcpy(p, &sector, 8);
	memcpy(p + 8, &n, 4);
	memcpy(p + 12, &flags, 4);
	return g;
}

static void discard_punches_hole(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	struct stat before, after;
	fstat(f->fd, &before);
	struct req r = new_req(d, T_DISCARD, 0);
	struct vdrv_buf seg = {discard_req(d, 256, 512, 0), 16, false}; /* 256 KiB at 128 KiB */
	assert_int_equal(submit(d, &r, &seg, 1), 1);
	assert_int_equal(*r.st, S_OK);
	fstat(f->fd, &after);
	assert_int_equal(after.st_size, IMG_SIZE);
	assert_true(after.st_blocks <= before.st_blocks - (256 << 10) / 512);
	uint8_t zero[512] = {0};
	check_file(f, 256 * 512, zero, sizeof(zero));
	check_file(f, 767 * 512, zero, sizeof(zero));
	uint8_t edge;
	pread(f->fd, &edge, 1, 768 * 512);
	assert_int_equal(edge, pattern(768 * 512));
}

static void discard_rejects(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	struct req r = new_req(d, T_DISCARD, 0);
	struct vdrv_buf seg = {discard_req(d, 0, 8, 1), 16,
			       false}; /* unmap flag: not for discard */
	assert_int_equal(submit(d, &r, &seg, 1), 1);
	assert_int_equal(*r.st, S_UNSUPP);
	r = new_req(d, T_DISCARD, 0);
	seg = (struct vdrv_buf){discard_req(d, SECTORS - 4, 8, 0), 16, false};
	assert_int_equal(submit(d, &r, &seg, 1), 1);
	assert_int_equal(*r.st, S_IOERR);
	r = new_req(d, T_DISCARD, 0);
	seg = (struct vdrv_buf){discard_req(d, 0, 8, 0), 12, false}; /* truncated segment */
	assert_int_equal(submit(d, &r, &seg, 1), 1);
	assert_int_equal(*r.st, S_IOERR);
	uint8_t one;
	pread(f->fd, &one, 1, 4);
	assert_int_equal(one, pattern(4));
}

static void write_zeroes(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	uint64_t segs = vdrv_alloc(d, 32);
	memcpy(vdrv_ptr(d, segs), vdrv_ptr(d, discard_req(d, 10, 2, 0)), 16);
	memcpy(vdrv_ptr(d, segs + 16), vdrv_ptr(d, discard_req(d, 20, 1, 1)), 16);
	struct req r = new_req(d, T_WRITE_ZEROES, 0);
	struct vdrv_buf seg = {segs, 32, false};
	assert_int_equal(submit(d, &r, &seg, 1), 1);
	assert_int_equal(*r.st, S_OK);
	uint8_t zero[1024] = {0};
	check_file(f, 10 * 512, zero, 1024);
	check_file(f, 20 * 512, zero, 512);
	uint8_t edge;
	pread(f->fd, &edge, 1, 12 * 512);
	assert_int_equal(edge, pattern(12 * 512));
}

static void malformed_requests(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	/* Header shorter than 16 bytes: IOERR in the status byte. */
	struct req r = new_req(d, T_IN, 0);
	struct vdrv_buf b[] = {{r.hdr, 8, false}, {r.status, 1, true}};
	assert_int_equal(vdrv_submit(d, 0, b, 2), 1);
	assert_int_equal(*r.st, S_IOERR);
	/* No writable byte at all: returned with nothing written. */
	struct vdrv_buf only_hdr = {r.hdr, 16, false};
	assert_int_equal(vdrv_submit(d, 0, &only_hdr, 1), 0);
	/* Only the status byte, for a read: nothing to read, OK. */
	r = new_req(d, T_IN, 0);
	assert_int_equal(submit(d, &r, NULL, 0), 1);
	assert_int_equal(*r.st, S_OK);
	assert_false(vdrv_needs_reset(d));
}

static void ro_disk(void **state)
{
	struct fixture *f = *state;
	struct vdrv *d = &f->d;
	assert_true(d->features & BIT64(F_RO));
	assert_false(d->features & BIT64(F_DISCARD));
	struct req w = new_req(d, T_OUT, 0);
	uint64_t a = vdrv_alloc(d, 512);
	memset(vdrv_ptr(d, a), 0, 512);
	struct vdrv_buf data = {a, 512, false};
	assert_int_equal(submit(d, &w, &data, 1), 1);
	assert_int_equal(*w.st, S_IOERR);
	struct req z = new_req(d, T_WRITE_ZEROES, 0);
	struct vdrv_buf seg = {discard_req(d, 0, 1, 0), 16, false};
	assert_int_equal(submit(d, &z, &seg, 1), 1);
	assert_int_equal(*z.st, S_IOERR);
	uint8_t first[512];
	for (unsigned i = 0; i < 512; i++)
		first[i] = pattern(i);
	check_file(f, 0, first, 512);
	struct req r = new_req(d, T_IN, 0);
	struct vdrv_buf rd = {vdrv_alloc(d, 512), 512, true};
	assert_int_equal(submit(d, &r, &rd, 1), 513);
	assert_memory_equal(vdrv_ptr(d, rd.gpa), first, 512);
}

static void bad_specs(void **state)
{
	struct vdrv d;
	struct husk_err *err = NULL;
	vdrv_init(&d, 4096);
	assert_null(virtio_blk_create(&d.env, "/nonexistent/husk-virtio.img", &err));
	assert_non_null(err);
	assert_int_equal(err->errnum, ENOENT);
	assert_non_null(strstr(err->msg, "/nonexistent/husk-virtio.img"));
	husk_err_free(&err);
	assert_null(virtio_blk_create(&d.env, "/tmp,ro", &err));
	assert_non_null(strstr(err->msg, "not a regular file"));
	husk_err_free(&err);
	assert_null(virtio_blk_create(&d.env, ",ro", &err));
	husk_err_free(&err);
	vdrv_fini(&d);
}

#define RW(f) cmocka_unit_test_setup_teardown(f, setup_rw, teardown)
UNIT_MAIN(NULL, NULL, RW(config_and_features), RW(read_sectors), RW(read_last_sector),
	  RW(write_sectors), RW(write_then_read_indirect), RW(out_of_bounds), RW(partial_sector),
	  RW(flush), RW(get_id), RW(unknown_type), RW(discard_punches_hole), RW(discard_rejects),
	  RW(write_zeroes), RW(malformed_requests),
	  cmocka_unit_test_setup_teardown(ro_disk, setup_ro, teardown), cmocka_unit_test(bad_specs))
