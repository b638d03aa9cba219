/* rootfs/ internals shared by its files (and its unit tests).  Not a public
 * interface: the runtime uses rootfs.h only. */
#ifndef HUSK_ROOTFS_INTERNAL_H
#define HUSK_ROOTFS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/spec.h"
#include "rootfs/rootfs.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef DEVPTS_SUPER_MAGIC
#define DEVPTS_SUPER_MAGIC 0x1cd1
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

/* ---- parsed mount options (mount_opts.c) --------------------------------- */

enum mount_opt_extra {
	MOPT_BIND = 1 << 0,
	MOPT_RBIND = 1 << 1,
	MOPT_REMOUNT = 1 << 2,
	MOPT_TMPCOPYUP = 1 << 3,
	MOPT_IDMAP = 1 << 4,
	MOPT_RIDMAP = 1 << 5,
};

/* config.json mount options translated for the new mount API.  Per-mount
 * attributes (ro, nosuid, ...) apply to the top mount only; the r* variants
 * (rro, rnosuid, ...) apply to the whole tree with AT_RECURSIVE, as in runc.
 * Superblock flags (sync, dirsync, mand, lazytime) go to fsconfig for new
 * filesystems and are meaningless for binds.  Unknown options are fs data. */
struct mount_opts {
	uint64_t attr_set, attr_clr;   /* MOUNT_ATTR_* on the top mount */
	uint64_t rattr_set, rattr_clr; /* MOUNT_ATTR_* on the whole tree */
	unsigned long propagation;     /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, 0: none */
	bool propagation_rec;	       /* rshared, rslave, ... */
	unsigned extra;		       /* enum mount_opt_extra */
	char **sb_flags;	       /* NULL-terminated: "sync", "nomand", ... (fsconfig flags) */
	size_t n_sb_flags;
	char *data; /* unknown options joined by ',' (NULL: none) */
};

int mount_opts_parse(const oci_strv *options, struct mount_opts *out, struct husk_err **err);
void mount_opts_free(struct mount_opts *o);
/* Propagation keyword ("rshared", "private", ...) to MS_* flags (with MS_REC when
 * recursive).  Returns 0 when unknown. */
unsigned long mount_propagation_flags(const char *name);

/* ---- syscalls the libc may lack (sys.c) ------------------------------------ */

int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
int sys_statx_mnt(int fd, uint64_t *mnt_id, struct statx *stx);
/* mount_setattr with a mount_opts-style attribute pair; propagation 0 = unchanged. */
int sys_setattr(int fd, bool recursive, uint64_t set, uint64_t clr, uint64_t propagation);
/* Make a detached filesystem mount: fsopen(type) + options + create + fsmount.
 * Returns the mount fd; on failure, err carries the kernel's fs_context message. */
int fs_new_mount(const char *type, const char *source, const struct mount_opts *o, uint64_t attrs,
		 struct husk_err **err);
/* Attach a detached mount (fd from fsmount/open_tree) onto target_fd. */
int attach_mount(int mnt_fd, int target_fd);

/* ---- in-root resolution (resolve.c) ---------------------------------------- */

#define ROOTFS_RESOLVE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

/* openat2(root, path, O_PATH...) with RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS, falling
 * back to an O_PATH walk if openat2 is missing.  Returns fd or -errno. */
int open_in_root_raw(int root_fd, const char *path, int flags, mode_t mode);
/* Force the walk (tests): */
extern bool rootfs_force_walk;

enum target_kind { TARGET_DIR, TARGET_FILE };
/* Open (O_PATH) path inside root, creating missing parents as directories and the
 * last component as `kind`.  Dangling symlinks are followed inside the root.
 * Returns fd or -errno. */
int open_or_create_in_root(int root_fd, const char *path, enum target_kind kind, mode_t mode);

/* ---- mounts (mounts.c, cgroup_mount.c) ------------------------------------- */

struct rootfs_ctx {
	const struct oci_config *cfg;
	const struct rootfs_opts *opts;
	int root_fd;   /* the rootfs bind mount's root (O_PATH) */
	int bundle_fd; /* opened lazily, -1 until needed */
};

int mount_config_entry(struct rootfs_ctx *ctx, size_t idx, struct husk_err **err);
int mount_cgroup(struct rootfs_ctx *ctx, const struct oci_mount *m, const struct mount_opts *o,
		 struct husk_err **err);
/* Second half of a v1 cgroup mount without cgroup namespace (from finalize,
 * before pivot_root, once the runtime has placed us in our cgroups). */
int rootfs_cgroup_populate(const struct oci_config *cfg, int root_fd, struct husk_err **err);
/* Bind `src_fd` (a tree from open_tree) onto dest inside root and verify it landed. */
int place_mount(struct rootfs_ctx *ctx, int mnt_fd, const char *dest, enum target_kind kind,
		struct husk_err **err);
/* "/a//b/../c/" -> "/a/c" (lexical, as runc's CleanPath); caller frees. */
char *clean_path(const char *p);

/* idmap/ridmap: give the detached bind tree_fd an id mapping (idmap.c). */
int apply_idmap(int tree_fd, const struct oci_config *cfg, const struct oci_mount *m,
		bool recursive, struct husk_err **err);

/* Copy the contents of directory src_fd into dst_fd (tmpcopyup), keeping modes,
 * owners, symlinks and device nodes. */
int copy_tree(int src_fd, int dst_fd, struct husk_err **err);

/* ---- /dev (dev.c) ------------------------------------------------------------ */

int setup_dev(struct rootfs_ctx *ctx, struct husk_err **err);
/* Bind the pty slave pty_fd onto /dev/console (dev_fd: the container's /dev)
 * after checking that it is a pty slave.  dev_is_ours: the entry may be
 * replaced (our tmpfs or the image's /dev), else it is only covered. */
int bind_console(int dev_fd, int pty_fd, bool dev_is_ours, struct husk_err **err);
/* Set by rootfs_prepare: /dev is a tmpfs of ours or the image's, not a config
 * bind (false until then). */
extern bool rootfs_dev_is_ours;
/* fd (O_PATH) of a verified /dev/null char device (1:3); -1 with err otherwise. */
int open_verified_null(int dir_fd, const char *path, struct husk_err **err);

/* The config asks for a namespace of this type (new or joined by path). */
bool rootfs_has_ns(const struct oci_config *cfg, enum oci_ns_type t);

/* ---- finalize pieces (finalize.c, sysctl.c) ---------------------------------- */

int sysctl_validate(const struct oci_config *cfg, const char *key, struct husk_err **err);
int apply_sysctls(const struct oci_config *cfg, int root_fd, struct husk_err **err);

#endif
