/* Capabilities through libcap: name parsing, the bounding set, capset, ambient. */
#include "runtime/caps.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "common/log.h"

int caps_last_cap(void)
{
	static int last = -1;
	if (last < 0) {
		/* cap_max_bits() asks the kernel (it probes the bounding set). */
		int bits = (int)cap_max_bits();
		last = bits > 0 && bits <= 64 ? bits - 1 : CAP_LAST_CAP;
	}
	return last;
}

int caps_from_name(const char *name, int *cap, struct husk_err **err)
{
	if (!name || strncasecmp(name, "CAP_", 4) != 0 || !name[4])
		return husk_err_set(err, EINVAL, "unknown capability \"%s\"", name ? name : "(null)");
	/* cap_from_name also takes numbers and lists; accept only a plain name. */
	for (const char *p = name + 4; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return husk_err_set(err, EINVAL, "unknown capability \"%s\"", name);
	if (isdigit((unsigned char)name[4]))
		return husk_err_set(err, EINVAL, "unknown capability \"%s\"", name);
	cap_value_t v;
	if (cap_from_name(name, &v) != 0 || v < 0 || v >= 64)
		return husk_err_set(err, EINVAL, "unknown capability \"%s\"", name);
	*cap = v;
	return 0;
}

const char *caps_to_name(int cap)
{
	static char buf[64];
	char *n = cap_to_name(cap);
	if (!n) {
		snprintf(buf, sizeof(buf), "CAP_%d", cap);
		return buf;
	}
	/* libcap prints "cap_chown"; the spec spells it "CAP_CHOWN". */
	size_t i = 0;
	if (strncmp(n, "cap_", 4) != 0) {
		snprintf(buf, sizeof(buf), "CAP_%d", cap);
	} else {
		for (; n[i] && i + 1 < sizeof(buf); i++)
			buf[i] = (char)toupper((unsigned char)n[i]);
		buf[i] = '\0';
	}
	cap_free(n);
	return buf;
}

uint64_t caps_current_bounding(void)
{
	uint64_t set = 0;
	for (int c = 0; c <= caps_last_cap(); c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			set |= CAP_BIT(c);
	return set;
}

static int parse_set(const oci_strv *names, const char *set_name, uint64_t host_bounding,
		     uint64_t *out, struct husk_err **err)
{
	*out = 0;
	for (size_t i = 0; i < names->n; i++) {
		int cap;
		if (caps_from_name(names->v[i], &cap, err) < 0)
			return husk_err_wrap(err, "process.capabilities.%s[%zu]", set_name, i);
		if (cap > caps_last_cap() || !(host_bounding & CAP_BIT(cap))) {
			log_warn("process.capabilities.%s: %s is not in the host's bounding set, "
				 "dropping it",
				 set_name, names->v[i]);
			continue;
		}
		*out |= CAP_BIT(cap);
	}
	return 0;
}

int caps_parse(const struct oci_capabilities *c, uint64_t host_bounding, struct caps_sets *out,
	       struct husk_err **err)
{
	memset(out, 0, sizeof(*out));
	if (parse_set(&c->bounding, "bounding", host_bounding, &out->bounding, err) < 0 ||
	    parse_set(&c->effective, "effective", host_bounding, &out->effective, err) < 0 ||
	    parse_set(&c->inheritable, "inheritable", host_bounding, &out->inheritable, err) < 0 ||
	    parse_set(&c->permitted, "permitted", host_bounding, &out->permitted, err) < 0 ||
	    parse_set(&c->ambient, "ambient", host_bounding, &out->ambient, err) < 0)
		return -1;
	return 0;
}

int caps_drop_bounding(uint64_t drop, struct husk_err **err)
{
	for (int c = 0; c <= caps_last_cap(); c++)
		if ((drop & CAP_BIT(c)) && cap_drop_bound(c) != 0)
			return husk_err_sys(err, "dropping %s from the bounding set",
					    caps_to_name(c));
	return 0;
}

int caps_limit_bounding(uint64_t keep, struct husk_err **err)
{
	return caps_drop_bounding(caps_current_bounding() & ~keep, err);
}

static void add_flags(cap_t caps, cap_flag_t flag, uint64_t set)
{
	cap_value_t list[64];
	int n = 0;
	for (int c = 0; c < 64; c++)
		if (set & CAP_BIT(c))
			list[n++] = c;
	if (n)
		cap_set_flag(caps, flag, n, list, CAP_SET);
}

int caps_set_eip(uint64_t effective, uint64_t inheritable, uint64_t permitted,
		 struct husk_err **err)
{
	cap_t caps = cap_init();
	if (!caps)
		return husk_err_sys(err, "cap_init");
	add_flags(caps, CAP_EFFECTIVE, effective);
	add_flags(caps, CAP_INHERITABLE, inheritable);
	add_flags(caps, CAP_PERMITTED, permitted);
	int r = cap_set_proc(caps);
	int saved = errno;
	cap_free(caps);
	if (r != 0) {
		errno = saved;
		if ((effective & ~permitted) != 0)
			return husk_err_set(err, EINVAL,
					    "setting capabilities: effective set has %s, which is "
					    "not in the permitted set",
					    caps_to_name(__builtin_ctzll(effective & ~permitted)));
		return husk_err_sys(err, "setting capabilities (capset)");
	}
	return 0;
}

int caps_set_ambient(uint64_t ambient, struct husk_err **err)
{
	/* Kernels without ambient support reject the reset: fine when none is wanted.
	 * One prctl: libcap's cap_reset_ambient asks about every capability first. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && ambient)
		return husk_err_sys(err, "clearing the ambient capability set");
	for (int c = 0; c < 64; c++) {
		if (!(ambient & CAP_BIT(c)))
			continue;
		/* runc's own default spec lists ambient caps without inheritable ones,
		 * and runc only warns when the raise fails: engines rely on that. */
		if (cap_set_ambient(c, CAP_SET) != 0)
			log_debug("cannot raise ambient capability %s (it must also be in the "
				 "permitted and inheritable sets): %s",
				 caps_to_name(c), strerror(errno));
	}
	return 0;
}
