/* config.json mount options -> mount API attributes.  The table follows runc's
 * option set (so configs written for runc mean the same here); options it does
 * not know are handed to the filesystem as data, as mount(8) does. */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/util.h"
#include "rootfs/internal.h"

enum opt_kind {
	K_SET,	  /* attr_set |= v, attr_clr &= ~v */
	K_CLR,	  /* attr_clr |= v */
	K_ATIME,  /* atime mode v on the top mount */
	K_RSET,	  /* recursive set */
	K_RCLR,	  /* recursive clear */
	K_RATIME, /* recursive atime mode */
	K_SB,	  /* superblock flag, passed to fsconfig by name */
	K_PROP,	  /* propagation */
	K_EXTRA,  /* enum mount_opt_extra */
	K_IGNORE, /* accepted, no effect with the mount API */
};

struct opt_def {
	const char *name;
	enum opt_kind kind;
	uint64_t v;
};

static const struct opt_def opt_table[] = {
    {"defaults", K_IGNORE, 0},
    {"ro", K_SET, MOUNT_ATTR_RDONLY},
    {"rw", K_CLR, MOUNT_ATTR_RDONLY},
    {"nosuid", K_SET, MOUNT_ATTR_NOSUID},
    {"suid", K_CLR, MOUNT_ATTR_NOSUID},
    {"nodev", K_SET, MOUNT_ATTR_NODEV},
    {"dev", K_CLR, MOUNT_ATTR_NODEV},
    {"noexec", K_SET, MOUNT_ATTR_NOEXEC},
    {"exec", K_CLR, MOUNT_ATTR_NOEXEC},
    {"nodiratime", K_SET, MOUNT_ATTR_NODIRATIME},
    {"diratime", K_CLR, MOUNT_ATTR_NODIRATIME},
    {"nosymfollow", K_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"symfollow", K_CLR, MOUNT_ATTR_NOSYMFOLLOW},
    {"noatime", K_ATIME, MOUNT_ATTR_NOATIME},
    {"atime", K_ATIME, MOUNT_ATTR_RELATIME},
    {"relatime", K_ATIME, MOUNT_ATTR_RELATIME},
    {"norelatime", K_ATIME, MOUNT_ATTR_STRICTATIME},
    {"strictatime", K_ATIME, MOUNT_ATTR_STRICTATIME},
    {"nostrictatime", K_ATIME, MOUNT_ATTR_RELATIME},
    {"rro", K_RSET, MOUNT_ATTR_RDONLY},
    {"rrw", K_RCLR, MOUNT_ATTR_RDONLY},
    {"rnosuid", K_RSET, MOUNT_ATTR_NOSUID},
    {"rsuid", K_RCLR, MOUNT_ATTR_NOSUID},
    {"rnodev", K_RSET, MOUNT_ATTR_NODEV},
    {"rdev", K_RCLR, MOUNT_ATTR_NODEV},
    {"rnoexec", K_RSET, MOUNT_ATTR_NOEXEC},
    {"rexec", K_RCLR, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", K_RSET, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", K_RCLR, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", K_RSET, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", K_RCLR, MOUNT_ATTR_NOSYMFOLLOW},
    {"rnoatime", K_RATIME, MOUNT_ATTR_NOATIME},
    {"ratime", K_RATIME, MOUNT_ATTR_RELATIME},
    {"rrelatime", K_RATIME, MOUNT_ATTR_RELATIME},
    {"rnorelatime", K_RATIME, MOUNT_ATTR_STRICTATIME},
    {"rstrictatime", K_RATIME, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", K_RATIME, MOUNT_ATTR_RELATIME},
    {"sync", K_SB, 0},
    {"async", K_SB, 0},
    {"dirsync", K_SB, 0},
    {"mand", K_SB, 0},
    {"nomand", K_SB, 0},
    {"lazytime", K_SB, 0},
    {"nolazytime", K_SB, 0},
    {"silent", K_IGNORE, 0},
    {"loud", K_IGNORE, 0},
    {"iversion", K_IGNORE, 0},
    {"noiversion", K_IGNORE, 0},
    {"private", K_PROP, MS_PRIVATE},
    {"rprivate", K_PROP, MS_PRIVATE | MS_REC},
    {"shared", K_PROP, MS_SHARED},
    {"rshared", K_PROP, MS_SHARED | MS_REC},
    {"slave", K_PROP, MS_SLAVE},
    {"rslave", K_PROP, MS_SLAVE | MS_REC},
    {"unbindable", K_PROP, MS_UNBINDABLE},
    {"runbindable", K_PROP, MS_UNBINDABLE | MS_REC},
    {"bind", K_EXTRA, MOPT_BIND},
    {"rbind", K_EXTRA, MOPT_RBIND},
    {"remount", K_EXTRA, MOPT_REMOUNT},
    {"tmpcopyup", K_EXTRA, MOPT_TMPCOPYUP},
    {"idmap", K_EXTRA, MOPT_IDMAP},
    {"ridmap", K_EXTRA, MOPT_RIDMAP},
};

static const struct opt_def *opt_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(opt_table); i++)
		if (strcmp(opt_table[i].name, name) == 0)
			return &opt_table[i];
	return NULL;
}

unsigned long mount_propagation_flags(const char *name)
{
	const struct opt_def *d = name ? opt_lookup(name) : NULL;
	return d && d->kind == K_PROP ? d->v : 0;
}

static void set_atime(uint64_t *set, uint64_t *clr, uint64_t mode)
{
	*set = (*set & ~(uint64_t)MOUNT_ATTR__ATIME) | mode;
	*clr |= MOUNT_ATTR__ATIME;
}

/* An attribute option on one (set, clear) pair: the top mount's, or the
 * whole tree's for the recursive kinds; a later option wins. */
static void apply_attr(const struct opt_def *d, uint64_t *set, uint64_t *clr)
{
	switch (d->kind) {
	case K_SET:
	case K_RSET:
		*set |= d->v;
		*clr &= ~d->v;
		break;
	case K_CLR:
	case K_RCLR:
		*set &= ~d->v;
		*clr |= d->v;
		break;
	default: /* K_ATIME, K_RATIME */
		set_atime(set, clr, d->v);
	}
}

static void append_data(char **data, const char *opt)
{
	if (!*data) {
		*data = xstrdup(opt);
		return;
	}
	char *n = xasprintf("%s,%s", *data, opt);
	free(*data);
	*data = n;
}

int mount_opts_parse(const oci_strv *options, struct mount_opts *o, struct husk_err **err)
{
	memset(o, 0, sizeof(*o));
	size_t n = options ? options->n : 0;
	if (n)
		o->sb_flags = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const char *name = options->v[i];
		if (!name || !*name)
			continue;
		const struct opt_def *d = opt_lookup(name);
		if (!d) {
			append_data(&o->data, name);
			continue;
		}
		switch (d->kind) {
		case K_SET:
		case K_CLR:
		case K_ATIME:
			apply_attr(d, &o->attr_set, &o->attr_clr);
			break;
		case K_RSET:
		case K_RCLR:
		case K_RATIME:
			apply_attr(d, &o->rattr_set, &o->rattr_clr);
			break;
		case K_SB:
			o->sb_flags[o->n_sb_flags++] = xstrdup(name);
			break;
		case K_PROP:
			o->propagation = d->v & ~(unsigned long)MS_REC;
			o->propagation_rec = (d->v & MS_REC) != 0;
			break;
		case K_EXTRA:
			o->extra |= d->v;
			break;
		case K_IGNORE:
			break;
		}
	}
	return 0;
}

void mount_opts_free(struct mount_opts *o)
{
	for (size_t i = 0; i < o->n_sb_flags; i++)
		free(o->sb_flags[i]);
	free(o->sb_flags);
	free(o->data);
	memset(o, 0, sizeof(*o));
}
