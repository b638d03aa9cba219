/* virtio-fs (device id 26): placeholder until the FUSE server lands.  The
 * registration already exists so a config with shares fails loudly instead
 * of booting a guest without them. */
#include <errno.h>

#include "vm-sandbox/virtio/virtio.h"

static unsigned fs_count(const struct vm_config *cfg)
{
	return cfg->n_fs_shares;
}

static const char *fs_describe(const struct vm_config *cfg, unsigned i)
{
	return cfg->fs_shares[i].tag;
}

static struct vm_device *fs_create_instance(const struct vm_device_env *env,
					    const struct vm_config *cfg, unsigned i,
					    struct husk_err **err)
{
	husk_err_set(err, ENOSYS, "virtio-fs: not implemented yet");
	return NULL;
}

VM_DEVICE_TYPE(fs_type, {
			    .name = "virtio-fs",
			    .option = "--fs",
			    .order = 60,
			    .count = fs_count,
			    .describe = fs_describe,
			    .create = fs_create_instance,
			});
