/* Device access rules: the rule set a container gets, and the v1 writer
 * (devices.allow / devices.deny).  The v2 eBPF program is in v2_devices.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

#define RULE(t, maj, min, acc)                                                                     \
	{                                                                                          \
		.allow = true, .type = (char *)(t), .major = {(maj) >= 0, (maj)},                  \
		.minor = {(min) >= 0, (min)}, .access = (char *)(acc)                              \
	}

/* What runc allows every container on top of its config (specconv's
 * AllowedDevices): mknod of anything, and the standard /dev nodes. */
static const struct oci_device_cgroup default_rules[] = {
    RULE("c", -1, -1, "m"),    RULE("b", -1, -1, "m"), /* mknod */
    RULE("c", 1, 3, "rwm"),			       /* /dev/null */
    RULE("c", 1, 8, "rwm"),			       /* /dev/random */
    RULE("c", 1, 7, "rwm"),			       /* /dev/full */
    RULE("c", 5, 0, "rwm"),			       /* /dev/tty */
    RULE("c", 1, 5, "rwm"),			       /* /dev/zero */
    RULE("c", 1, 9, "rwm"),			       /* /dev/urandom */
    RULE("c", 5, 1, "rwm"),			       /* /dev/console */
    RULE("c", 136, -1, "rwm"),			       /* /dev/pts/N */
    RULE("c", 5, 2, "rwm"),			       /* /dev/ptmx */
    RULE("c", 10, 200, "rwm"),			       /* /dev/net/tun */
};

void cg_devices_merge(const struct oci_device_cgroup *spec, size_t n_spec,
		      const struct oci_device *extra, size_t n_extra, struct cg_dev_rules *out)
{
	size_t n = n_spec + ARRAY_SIZE(default_rules) + n_extra;
	out->v = xcalloc(n, sizeof(*out->v));
	out->n = 0;
	for (size_t i = 0; i < n_spec; i++)
		out->v[out->n++] = spec[i];
	for (size_t i = 0; i < ARRAY_SIZE(default_rules); i++)
		out->v[out->n++] = default_rules[i];
	for (size_t i = 0; i < n_extra; i++) {
		const struct oci_device *d = &extra[i];
		if (!d->type ||
		    (strcmp(d->type, "c") && strcmp(d->type, "b") && strcmp(d->type, "u")))
			continue; /* fifos need no cgroup permission */
		struct oci_device_cgroup r = {
		    .allow = true,
		    .type = (char *)(strcmp(d->type, "b") == 0 ? "b" : "c"),
		    .major = {true, d->major},
		    .minor = {true, d->minor},
		    .access = (char *)"rwm",
		};
		out->v[out->n++] = r;
	}
}

int cg_device_rule_check(const struct oci_device_cgroup *r, struct husk_err **err)
{
	const char *t = r->type ? r->type : "a";
	if (strcmp(t, "a") && strcmp(t, "c") && strcmp(t, "b"))
		return husk_err_set(
		    err, EINVAL, "linux.resources.devices: type \"%s\" is not one of a, c, b", t);
	const char *acc = r->access ? r->access : "rwm";
	if (!*acc || strspn(acc, "rwm") != strlen(acc))
		return husk_err_set(err, EINVAL,
				    "linux.resources.devices: access \"%s\" is not a subset of rwm",
				    acc);
	if ((r->major.set && r->major.v < 0) || (r->minor.set && r->minor.v < 0))
		return husk_err_set(err, EINVAL,
				    "linux.resources.devices: negative major/minor number");
	return 0;
}

static void fmt_num(char *buf, size_t len, oci_opt_i64 v)
{
	if (v.set)
		snprintf(buf, len, "%" PRId64, v.v);
	else
		snprintf(buf, len, "*");
}

/* The v1 devices controller keeps an exception list; "a" resets it to
 * allow-all or deny-all.  Writing the rules in order gives the OCI meaning
 * (later rules win) for the usual shape: deny all, then allow some. */
int cg1_devices_apply(int fd, const struct oci_device_cgroup *devs, size_t n, struct husk_err **err)
{
	for (size_t i = 0; i < n; i++) {
		const struct oci_device_cgroup *r = &devs[i];
		if (cg_device_rule_check(r, err) < 0)
			return -1;
		const char *file = r->allow ? "devices.allow" : "devices.deny";
		const char *t = r->type ? r->type : "a";
		const char *acc = r->access ? r->access : "rwm";
		bool all = !r->major.set && !r->minor.set && strstr(acc, "r") && strstr(acc, "w") &&
			   strstr(acc, "m");
		if (strcmp(t, "a") == 0 && all) {
			if (cg_write(fd, file, "a", err) < 0)
				return -1;
			continue;
		}
		char maj[24], min[24];
		fmt_num(maj, sizeof(maj), r->major);
		fmt_num(min, sizeof(min), r->minor);
		/* "a" with numbers or partial access means both device kinds. */
		const char *types[2] = {t, NULL};
		if (strcmp(t, "a") == 0) {
			types[0] = "c";
			types[1] = "b";
		}
		for (int k = 0; k < 2 && types[k]; k++)
			if (cg_writef(fd, file, err, "%s %s:%s %s", types[k], maj, min, acc) < 0)
				return -1;
	}
	return 0;
}
