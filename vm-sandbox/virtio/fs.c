/* virtio-fs (device id 26): a host directory the guest mounts with
 * `mount -t virtiofs TAG DIR`.  Queue 0 is the high-priority queue (FORGET,
 * INTERRUPT), queue 1 the one request queue; each chain is one FUSE request
 * (readable part) and room for its reply (writable part), served by the
 * FUSE server in fs_*.c.  Config space: the tag and the request queue count. */
#include <errno.h>
#include <linux/virtio_fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vm-sandbox/virtio/fs_server.h"
#include "vm-sandbox/virtio/virtio.h"

#define FS_TAG_MAX	  ((int)sizeof(((struct virtio_fs_config *)0)->tag))
#define FS_REQUEST_QUEUES 1

struct fs_dev {
	struct virtio_mmio vdev; /* first: freed through it */
	struct virtio_fs_config config;
	struct fs_server *srv;
};

static void fs_notify(struct virtio_mmio *vdev, unsigned q)
{
	struct fs_dev *f = (struct fs_dev *)vdev;
	struct virtq *vq = virtio_queue(vdev, q);
	if (!vq)
		return;
	while (virtq_pop(vq, vdev->chain) > 0) {
		const struct virtq_chain *c = vdev->chain;
		size_t n = fs_server_handle(f->srv, c->iov, c->n_out, c->out_len, c->iov + c->n_out,
					    c->n_in, c->in_len);
		virtq_push(vq, c->head, (uint32_t)n);
	}
	virtio_mmio_notify_used(vdev, vq);
}

/* A reset driver starts over with INIT; what it looked up is gone. */
static void fs_reset(struct virtio_mmio *vdev)
{
	struct fs_dev *f = (struct fs_dev *)vdev;
	fs_inode_reset(f->srv);
	f->srv->initialized = false;
}

static void fs_destroy(struct virtio_mmio *vdev)
{
	struct fs_dev *f = (struct fs_dev *)vdev;
	if (f->srv) {
		fs_server_fini(f->srv);
		free(f->srv);
		f->srv = NULL;
	}
}

static const struct virtio_dev_ops fs_ops = {
    .device_id = VIRTIO_ID_FS,
    .queue_notify = fs_notify,
    .reset = fs_reset,
    .destroy = fs_destroy,
};

static int tag_check(const char *tag, struct husk_err **err)
{
	size_t len = tag ? strlen(tag) : 0;
	if (len == 0 || len > (size_t)FS_TAG_MAX)
		return husk_err_set(err, EINVAL, "virtio-fs: tag \"%s\": want 1 to %d bytes",
				    tag ? tag : "", FS_TAG_MAX);
	return 0;
}

struct vm_device *virtio_fs_create(const struct vm_device_env *env, const struct vm_fs_share *share,
				   struct husk_err **err)
{
	if (tag_check(share->tag, err) < 0)
		return NULL;
	struct fs_dev *f = calloc(1, sizeof(*f));
	struct fs_server *srv = calloc(1, sizeof(*srv));
	if (!f || !srv) {
		free(f);
		free(srv);
		husk_err_set(err, ENOMEM, "virtio-fs: allocate");
		return NULL;
	}
	f->srv = srv;
	if (fs_server_init(srv, share->path, share->readonly, err) < 0) {
		fs_destroy(&f->vdev);
		free(f);
		return NULL;
	}
	memcpy(f->config.tag, share->tag, strlen(share->tag));
	f->config.num_request_queues = htole32(FS_REQUEST_QUEUES);
	uint64_t features = BIT64(VIRTIO_RING_F_INDIRECT_DESC) | BIT64(VIRTIO_RING_F_EVENT_IDX);
	if (virtio_mmio_init(&f->vdev, env, "virtio-fs", &fs_ops, features, 1 + FS_REQUEST_QUEUES,
			     &f->config, sizeof(f->config), err) < 0) {
		fs_destroy(&f->vdev);
		free(f);
		return NULL;
	}
	return &f->vdev.dev;
}

/* ---- registration: one instance per share ---- */

static unsigned fs_count(const struct vm_config *cfg)
{
	return cfg->n_fs_shares;
}

static const char *fs_describe(const struct vm_config *cfg, unsigned i)
{
	return cfg->fs_shares[i].tag;
}

/* The directory exists, so a typo fails before the guest runs. */
static int fs_check(const struct vm_config *cfg, unsigned i, struct husk_err **err)
{
	const struct vm_fs_share *share = &cfg->fs_shares[i];
	if (tag_check(share->tag, err) < 0)
		return -1;
	for (unsigned j = 0; j < i; j++)
		if (strcmp(cfg->fs_shares[j].tag, share->tag) == 0)
			return husk_err_set(err, EEXIST, "virtio-fs: tag %s given twice",
					    share->tag);
	struct stat st;
	if (!share->path || stat(share->path, &st) < 0)
		return husk_err_sys(err, "virtio-fs: %s", share->path ? share->path : "(no path)");
	if (!S_ISDIR(st.st_mode))
		return husk_err_set(err, ENOTDIR, "virtio-fs: %s is not a directory", share->path);
	return 0;
}

static struct vm_device *fs_create_instance(const struct vm_device_env *env,
					    const struct vm_config *cfg, unsigned i,
					    struct husk_err **err)
{
	return virtio_fs_create(env, &cfg->fs_shares[i], err);
}

VM_DEVICE_TYPE(fs_type, {
			    .name = "virtio-fs",
			    .option = "--fs",
			    .order = 60,
			    .count = fs_count,
			    .describe = fs_describe,
			    .check = fs_check,
			    .create = fs_create_instance,
			});
