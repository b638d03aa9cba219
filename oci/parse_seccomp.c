/* linux.seccomp */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "oci/names.h"
#include "oci/parse_util.h"

int oci_decode_seccomp(struct pctx *c, const struct jt_node *n, struct oci_seccomp *s);

static int check_name(struct pctx *c, const char *key, const char *value,
		      const char *const *allowed, const char *what)
{
	if (pc_name_index(allowed, value) >= 0)
		return 0;
	size_t old = pc_push_key(c, key);
	int r = pc_fail(c, "unknown %s \"%s\"", what, value);
	pc_pop(c, old);
	return r;
}

static int check_names(struct pctx *c, const char *key, const oci_strv *v,
		       const char *const *allowed, const char *what)
{
	for (size_t i = 0; i < v->n; i++) {
		if (pc_name_index(allowed, v->v[i]) < 0) {
			size_t old = pc_push_key(c, key);
			pc_push_idx(c, i);
			int r = pc_fail(c, "unknown %s \"%s\"", what, v->v[i]);
			pc_pop(c, old);
			return r;
		}
	}
	return 0;
}

static int decode_arg(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD_RANGE(struct oci_seccomp_arg, "index", FK_U32, index, F_REQ, 0, 5),
	    FLD(struct oci_seccomp_arg, "value", FK_U64, value, F_REQ),
	    FLD(struct oci_seccomp_arg, "valueTwo", FK_U64, value_two, 0),
	    FLD(struct oci_seccomp_arg, "op", FK_STR, op, F_REQ),
	};
	struct oci_seccomp_arg *a = elem;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), a);
	if (r < 0)
		return r;
	return check_name(c, "op", a->op, oci_seccomp_op_names, "seccomp operator");
}

static int decode_args(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_seccomp_syscall *sc = base;
	return pc_array(c, n, sizeof(*sc->args), (void **)&sc->args, &sc->n_args, decode_arg);
}

static int decode_syscall(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct oci_seccomp_syscall, "names", FK_STRV, names, F_REQ | F_NONEMPTY),
	    FLD(struct oci_seccomp_syscall, "action", FK_STR, action, F_REQ),
	    FLD_RANGE(struct oci_seccomp_syscall, "errnoRet", FK_OU64, errno_ret, 0, 0, UINT32_MAX),
	    FLD_FN("args", decode_args, 0),
	};
	struct oci_seccomp_syscall *sc = elem;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), sc);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sc->names.n; i++) {
		if (!sc->names.v[i][0]) {
			size_t old = pc_push_key(c, "names");
			pc_push_idx(c, i);
			r = pc_fail(c, "must not be empty");
			pc_pop(c, old);
			return r;
		}
	}
	return check_name(c, "action", sc->action, oci_seccomp_action_names, "seccomp action");
}

static int decode_syscalls(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_seccomp *s = base;
	return pc_array(c, n, sizeof(*s->syscalls), (void **)&s->syscalls, &s->n_syscalls,
			decode_syscall);
}

static bool is_notify(const char *action)
{
	return action && strcmp(action, "SCMP_ACT_NOTIFY") == 0;
}

int oci_decode_seccomp(struct pctx *c, const struct jt_node *n, struct oci_seccomp *s)
{
	static const struct field tab[] = {
	    FLD(struct oci_seccomp, "defaultAction", FK_STR, default_action, F_REQ),
	    FLD_RANGE(struct oci_seccomp, "defaultErrnoRet", FK_OU64, default_errno_ret, 0, 0,
		      UINT32_MAX),
	    FLD(struct oci_seccomp, "architectures", FK_STRV, architectures, 0),
	    FLD(struct oci_seccomp, "flags", FK_STRV, flags, 0),
	    FLD(struct oci_seccomp, "listenerPath", FK_STR, listener_path, 0),
	    FLD(struct oci_seccomp, "listenerMetadata", FK_STR, listener_metadata, 0),
	    FLD_FN("syscalls", decode_syscalls, 0),
	};
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), s);
	if (r < 0)
		return r;
	if ((r = check_name(c, "defaultAction", s->default_action, oci_seccomp_action_names,
			    "seccomp action")) < 0 ||
	    (r = check_names(c, "architectures", &s->architectures, oci_seccomp_arch_names,
			     "seccomp architecture")) < 0 ||
	    (r = check_names(c, "flags", &s->flags, oci_seccomp_flag_names, "seccomp flag")) < 0)
		return r;
	/* runc: the default action may not be NOTIFY (it would trap the runtime's own
	 * calls); a NOTIFY rule needs a listener to hand the fd to. */
	if (is_notify(s->default_action)) {
		size_t old = pc_push_key(c, "defaultAction");
		r = pc_fail(c, "SCMP_ACT_NOTIFY cannot be the default action");
		pc_pop(c, old);
		return r;
	}
	bool notify = false;
	for (size_t i = 0; i < s->n_syscalls; i++)
		notify |= is_notify(s->syscalls[i].action);
	if (notify && (!s->listener_path || !s->listener_path[0]))
		return pc_fail(c, "listenerPath is required when a rule uses SCMP_ACT_NOTIFY");
	if (s->listener_path && s->listener_path[0] && s->listener_path[0] != '/') {
		size_t old = pc_push_key(c, "listenerPath");
		r = pc_fail(c, "must be an absolute path, got \"%s\"", s->listener_path);
		pc_pop(c, old);
		return r;
	}
	s->present = true;
	return 0;
}
