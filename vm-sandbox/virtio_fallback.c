/* Stand-ins for the virtio device constructors until vm-sandbox/virtio/
 * lands: weak, so the real ones win at link time.  Remove with the merge. */
#include <errno.h>

#include "vm-sandbox/vm_device.h"

#define NOT_BUILT(what)                                                                            \
	do {                                                                                       \
		husk_err_set(err, ENOSYS, "%s is not built into this husk", what);                 \
		return 0;                                                                          \
	} while (0)

__attribute__((weak)) struct vm_device *virtio_blk_create(const struct vm_device_env *env,
							  const char *spec, struct husk_err **err)
{
	NOT_BUILT("virtio-blk");
}
__attribute__((weak)) struct vm_device *virtio_console_create(const struct vm_device_env *env,
							      int in_fd, int out_fd,
							      struct husk_err **err)
{
	NOT_BUILT("virtio-console");
}
__attribute__((weak)) struct vm_device *virtio_rng_create(const struct vm_device_env *env,
							  struct husk_err **err)
{
	NOT_BUILT("virtio-rng");
}
__attribute__((weak)) struct vm_device *virtio_vsock_create(const struct vm_device_env *env,
							    const char *spec, struct husk_err **err)
{
	NOT_BUILT("virtio-vsock");
}
__attribute__((weak)) struct vm_device *virtio_net_create(const struct vm_device_env *env,
							  const char *spec, struct husk_err **err)
{
	NOT_BUILT("virtio-net");
}
