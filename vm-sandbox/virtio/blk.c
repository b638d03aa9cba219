/* virtio-blk over a raw image file: read, write, flush, get-id, discard (as a
 * punched hole, so a sparse image stays sparse) and write-zeroes.  Requests
 * are checked against the image's capacity before any I/O; a read-only disk
 * answers every write-class request with IOERR. */
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vm-sandbox/virtio/virtio.h"
#include "common/cleanup.h"
#include "common/util.h"

#define SECTOR			512ull
#define BLK_SEG_MAX		128
#define BLK_MAX_DISCARD_SEG	32
#define BLK_MAX_DISCARD_SECTORS (1u << 22) /* 2 GiB per segment */

struct blk {
	struct virtio_mmio vdev; /* first: freed through it */
	int fd;
	bool ro;
	uint64_t sectors;
	char id[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_config config;
	struct iovec data[VIRTQ_MAX_SEGS];
};

/* [sector, sector + bytes/512) inside the disk, without overflow. */
static bool in_bounds(const struct blk *b, uint64_t sector, uint64_t bytes)
{
	if (bytes % SECTOR)
		return false;
	return sector <= b->sectors && bytes / SECTOR <= b->sectors - sector;
}

static uint8_t blk_rw(struct blk *b, const struct virtq_chain *c, uint64_t sector, bool write,
		      uint32_t *written)
{
	/* Reads fill the writable area but its last byte (the status);
	 * writes take the readable area after the 16-byte header. */
	uint64_t len = write ? c->out_len - sizeof(struct virtio_blk_outhdr) : c->in_len - 1;
	unsigned n;

	if (write && b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (!in_bounds(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (write)
		n = iov_slice(c->iov, c->n_out, sizeof(struct virtio_blk_outhdr), len, b->data,
			      VIRTQ_MAX_SEGS);
	else
		n = iov_slice(c->iov + c->n_out, c->n_in, 0, len, b->data, VIRTQ_MAX_SEGS);

	off_t off = (off_t)(sector * SECTOR);
	struct iovec *iov = b->data;
	while (len) {
		ssize_t r =
		    write ? pwritev(b->fd, iov, (int)n, off) : preadv(b->fd, iov, (int)n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return VIRTIO_BLK_S_IOERR;
		len -= r;
		off += r;
		if (!write)
			*written += r;
		while (r > 0 && n) {
			if ((size_t)r >= iov->iov_len) {
				r -= iov->iov_len;
				iov++;
				n--;
			} else {
				iov->iov_base = (uint8_t *)iov->iov_base + r;
				iov->iov_len -= r;
				r = 0;
			}
		}
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_get_id(struct blk *b, const struct virtq_chain *c, uint32_t *written)
{
	size_t room = c->in_len - 1;
	if (room > VIRTIO_BLK_ID_BYTES)
		room = VIRTIO_BLK_ID_BYTES;
	*written += iov_from_buf(c->iov + c->n_out, c->n_in, 0, b->id, room);
	return VIRTIO_BLK_S_OK;
}

static int zero_range(struct blk *b, uint64_t off, uint64_t len, bool unmap)
{
	if (unmap && fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
		return 0;
	if (fallocate(b->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len) == 0)
		return 0;
	/* Filesystems without ZERO_RANGE: a hole reads back as zeroes too. */
	return fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
}

static uint8_t blk_discard(struct blk *b, const struct virtq_chain *c, bool zeroes)
{
	uint64_t len = c->out_len - sizeof(struct virtio_blk_outhdr);
	if (len == 0 || len % sizeof(struct virtio_blk_discard_write_zeroes) ||
	    len / sizeof(struct virtio_blk_discard_write_zeroes) > BLK_MAX_DISCARD_SEG)
		return VIRTIO_BLK_S_IOERR;
	if (b->ro)
		return VIRTIO_BLK_S_IOERR;
	for (uint64_t skip = sizeof(struct virtio_blk_outhdr); skip < c->out_len;
	     skip += sizeof(struct virtio_blk_discard_write_zeroes)) {
		struct virtio_blk_discard_write_zeroes s;
		iov_to_buf(c->iov, c->n_out, skip, &s, sizeof(s));
		uint32_t flags = le32toh(s.flags);
		uint64_t sector = le64toh(s.sector), n = le32toh(s.num_sectors);
		/* Discard has no flags; write-zeroes only "unmap". */
		if (flags & ~(zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0u))
			return VIRTIO_BLK_S_UNSUPP;
		if (n > BLK_MAX_DISCARD_SECTORS || !in_bounds(b, sector, n * SECTOR))
			return VIRTIO_BLK_S_IOERR;
		if (n == 0)
			continue;
		int r = zeroes ? zero_range(b, sector * SECTOR, n * SECTOR,
					    flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)
			       : fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					   (off_t)(sector * SECTOR), (off_t)(n * SECTOR));
		if (r < 0)
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* Returns the bytes written into the chain, status byte included. */
static uint32_t blk_request(struct blk *b, const struct virtq_chain *c)
{
	struct virtio_blk_outhdr h;
	uint32_t written = 0;
	uint8_t status;

	if (c->in_len == 0)
		return 0; /* no room even for the status byte: nothing we can say */
	if (c->out_len < sizeof(h)) {
		status = VIRTIO_BLK_S_IOERR;
		goto out;
	}
	iov_to_buf(c->iov, c->n_out, 0, &h, sizeof(h));
	uint64_t sector = le64toh(h.sector);
	switch (le32toh(h.type)) {
	case VIRTIO_BLK_T_IN:
		status = blk_rw(b, c, sector, false, &written);
		break;
	case VIRTIO_BLK_T_OUT:
		status = blk_rw(b, c, sector, true, &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		status = blk_get_id(b, c, &written);
		break;
	case VIRTIO_BLK_T_DISCARD:
		status = blk_discard(b, c, false);
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = blk_discard(b, c, true);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
out:
	iov_from_buf(c->iov + c->n_out, c->n_in, c->in_len - 1, &status, 1);
	return written + 1;
}

static void blk_notify(struct virtio_mmio *vdev, unsigned q)
{
	struct blk *b = (struct blk *)vdev;
	struct virtq *vq = virtio_queue(vdev, q);
	if (!vq)
		return;
	while (virtq_pop(vq, vdev->chain) > 0)
		virtq_push(vq, vdev->chain->head, blk_request(b, vdev->chain));
	virtio_mmio_notify_used(vdev, vq);
}

static void blk_destroy(struct virtio_mmio *vdev)
{
	struct blk *b = (struct blk *)vdev;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

static const struct virtio_dev_ops blk_ops = {
    .device_id = VIRTIO_ID_BLOCK,
    .queue_notify = blk_notify,
    .destroy = blk_destroy,
};

static void blk_fill_config(struct blk *b)
{
	struct virtio_blk_config *cfg = &b->config;
	cfg->capacity = htole64(b->sectors);
	cfg->seg_max = htole32(BLK_SEG_MAX);
	cfg->num_queues = htole16(1);
	cfg->max_discard_sectors = htole32(BLK_MAX_DISCARD_SECTORS);
	cfg->max_discard_seg = htole32(BLK_MAX_DISCARD_SEG);
	cfg->discard_sector_alignment = htole32(1);
	cfg->max_write_zeroes_sectors = htole32(BLK_MAX_DISCARD_SECTORS);
	cfg->max_write_zeroes_seg = htole32(BLK_MAX_DISCARD_SEG);
	cfg->write_zeroes_may_unmap = 1;
}

static int blk_open(struct blk *b, const char *spec, struct husk_err **err)
{
	cleanup_free char *path = xstrdup(spec);
	size_t l = strlen(path);
	if (l > 3 && strcmp(path + l - 3, ",ro") == 0) {
		path[l - 3] = 0;
		b->ro = true;
	} else if (l > 3 && strcmp(path + l - 3, ",rw") == 0) {
		path[l - 3] = 0;
	}
	if (!*path)
		return husk_err_set(err, EINVAL, "virtio-blk: empty disk path in \"%s\"", spec);
	b->fd = open(path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0)
		return husk_err_sys(err, "virtio-blk: open %s", path);
	struct stat st;
	if (fstat(b->fd, &st) < 0)
		return husk_err_sys(err, "virtio-blk: stat %s", path);
	if (!S_ISREG(st.st_mode))
		return husk_err_set(err, EINVAL, "virtio-blk: %s is not a regular file", path);
	b->sectors = (uint64_t)st.st_size / SECTOR;
	/* A short, stable serial: the guest sees it in /sys/block/vdX/serial. */
	char id[32];
	snprintf(id, sizeof(id), "husk%lx-%lx", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
	memcpy(b->id, id, strnlen(id, VIRTIO_BLK_ID_BYTES));
	return 0;
}

struct vm_device *virtio_blk_create(const struct vm_device_env *env, const char *spec,
				    struct husk_err **err)
{
	struct blk *b = calloc(1, sizeof(*b));
	if (!b) {
		husk_err_set(err, ENOMEM, "virtio-blk: allocate");
		return NULL;
	}
	b->fd = -1;
	if (blk_open(b, spec, err) < 0)
		goto fail;
	blk_fill_config(b);
	uint64_t features = BIT64(VIRTIO_RING_F_INDIRECT_DESC) | BIT64(VIRTIO_RING_F_EVENT_IDX) |
			    BIT64(VIRTIO_BLK_F_SEG_MAX) | BIT64(VIRTIO_BLK_F_FLUSH);
	if (b->ro)
		features |= BIT64(VIRTIO_BLK_F_RO);
	else
		features |= BIT64(VIRTIO_BLK_F_DISCARD) | BIT64(VIRTIO_BLK_F_WRITE_ZEROES);
	if (virtio_mmio_init(&b->vdev, env, "virtio-blk", &blk_ops, features, 1, &b->config,
			     sizeof(b->config), err) < 0)
		goto fail;
	return &b->vdev.dev;
fail:
	blk_destroy(&b->vdev);
	free(b);
	return NULL;
}

/* ---- registration: one instance per --disk ---- */

static unsigned blk_count(const struct vm_config *cfg)
{
	return cfg->n_disks;
}

static const char *blk_describe(const struct vm_config *cfg, unsigned i)
{
	return cfg->disks[i];
}

/* The image exists and opens as asked, so a typo fails before the guest runs. */
static int blk_check(const struct vm_config *cfg, unsigned i, struct husk_err **err)
{
	const char *spec = cfg->disks[i];
	const char *comma = strchr(spec, ',');
	cleanup_free char *path = comma ? strndup(spec, comma - spec) : xstrdup(spec);
	if (!path)
		return husk_err_set(err, ENOMEM, "virtio-blk: allocate");
	bool ro = comma && strcmp(comma, ",ro") == 0;
	if (access(path, ro ? R_OK : R_OK | W_OK) < 0)
		return husk_err_sys(err, "%s", path);
	return 0;
}

static struct vm_device *blk_create_instance(const struct vm_device_env *env,
					     const struct vm_config *cfg, unsigned i,
					     struct husk_err **err)
{
	return virtio_blk_create(env, cfg->disks[i], err);
}

VM_DEVICE_TYPE(blk_type, {
			     .name = "virtio-blk",
			     .option = "--disk",
			     .order = 10,
			     .count = blk_count,
			     .describe = blk_describe,
			     .check = blk_check,
			     .create = blk_create_instance,
			 });
