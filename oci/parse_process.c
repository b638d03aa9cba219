/* The process object: config.json "process" and exec's process.json. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/util.h"
#include "oci/names.h"
#include "oci/parse_util.h"

static int decode_console_size(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_process *p = base;
	struct {
		uint32_t height, width;
	} sz = {0, 0};
	static const struct field tab[] = {
	    {.name = "height", .kind = FK_U32, .flags = F_REQ, .off = 0},
	    {.name = "width", .kind = FK_U32, .flags = F_REQ, .off = sizeof(uint32_t)},
	};
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), &sz);
	if (r < 0)
		return r;
	p->console_height = (oci_opt_u64){true, sz.height};
	p->console_width = (oci_opt_u64){true, sz.width};
	return 0;
}

static int decode_additional_gids(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_user *u = base;
	if (pc_expect(c, n, JT_ARRAY) < 0)
		return -1;
	u->additional_gids = xcalloc(n->u.kids.n ? n->u.kids.n : 1, sizeof(uint32_t));
	size_t i = 0;
	jt_foreach(e, n)
	{
		uint64_t v;
		size_t old = pc_push_idx(c, i);
		int r = pc_u64(c, e, UINT32_MAX, &v);
		pc_pop(c, old);
		if (r < 0)
			return r;
		u->additional_gids[i++] = (uint32_t)v;
		u->n_additional_gids = i;
	}
	return 0;
}

static int decode_user(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct oci_user, "uid", FK_U32, uid, F_REQ),
	    FLD(struct oci_user, "gid", FK_U32, gid, F_REQ),
	    FLD_RANGE(struct oci_user, "umask", FK_OU64, umask, 0, 0, UINT32_MAX),
	    FLD_FN("additionalGids", decode_additional_gids, 0),
	    FLD(struct oci_user, "username", FK_STR, username, 0),
	};
	return pc_object(c, n, tab, ARRAY_SIZE(tab), &((struct oci_process *)base)->user);
}

/* Entries are KEY=VALUE with a non-empty KEY (runc refuses anything else). */
static int decode_env(struct pctx *c, const struct jt_node *n, void *base)
{
	oci_strv *env = &((struct oci_process *)base)->env;
	int r = pc_strv(c, n, env);
	if (r < 0)
		return r;
	for (size_t i = 0; i < env->n; i++) {
		const char *eq = strchr(env->v[i], '=');
		if (!eq || eq == env->v[i]) {
			size_t old = pc_push_idx(c, i);
			r = pc_fail(c, "expected KEY=VALUE, got \"%s\"", env->v[i]);
			pc_pop(c, old);
			return r;
		}
	}
	return 0;
}

static int decode_caps(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct oci_capabilities, "bounding", FK_STRV, bounding, 0),
	    FLD(struct oci_capabilities, "effective", FK_STRV, effective, 0),
	    FLD(struct oci_capabilities, "inheritable", FK_STRV, inheritable, 0),
	    FLD(struct oci_capabilities, "permitted", FK_STRV, permitted, 0),
	    FLD(struct oci_capabilities, "ambient", FK_STRV, ambient, 0),
	};
	/* Names are not checked here: like runc, unknown capabilities are the
	 * business of the code that applies them (it may warn and skip). */
	struct oci_capabilities *caps = &((struct oci_process *)base)->capabilities;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), caps);
	if (r < 0)
		return r;
	caps->present = true;
	return 0;
}

static int decode_rlimit(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct oci_rlimit, "type", FK_STR, type, F_REQ),
	    FLD(struct oci_rlimit, "soft", FK_U64, soft, F_REQ),
	    FLD(struct oci_rlimit, "hard", FK_U64, hard, F_REQ),
	};
	struct oci_rlimit *rl = elem;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), rl);
	if (r < 0)
		return r;
	rl->resource = oci_rlimit_from_name(rl->type);
	size_t old = pc_push_key(c, "type");
	if (rl->resource < 0)
		r = pc_fail(c, "unknown rlimit type \"%s\"", rl->type);
	pc_pop(c, old);
	if (r == 0 && rl->soft > rl->hard)
		r = pc_fail(c, "soft limit %llu exceeds hard limit %llu",
			    (unsigned long long)rl->soft, (unsigned long long)rl->hard);
	return r;
}

static int decode_rlimits(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_process *p = base;
	int r =
	    pc_array(c, n, sizeof(*p->rlimits), (void **)&p->rlimits, &p->n_rlimits, decode_rlimit);
	if (r < 0)
		return r;
	/* runtime-spec: duplicated entries with the same type MUST be an error. */
	for (size_t i = 1; i < p->n_rlimits; i++) {
		for (size_t j = 0; j < i; j++) {
			if (p->rlimits[i].resource == p->rlimits[j].resource) {
				size_t old = pc_push_idx(c, i);
				pc_push_key(c, "type");
				r = pc_fail(c, "duplicate rlimit type \"%s\"", p->rlimits[i].type);
				pc_pop(c, old);
				return r;
			}
		}
	}
	return 0;
}

static int check_enum(struct pctx *c, const char *key, const char *value,
		      const char *const *allowed, const char *what)
{
	if (!value || pc_name_index(allowed, value) >= 0)
		return 0;
	size_t old = pc_push_key(c, key);
	int r = pc_fail(c, "unknown %s \"%s\"", what, value);
	pc_pop(c, old);
	return r;
}

static int decode_io_priority(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct oci_io_priority, "class", FK_STR, klass, F_REQ),
	    FLD_RANGE(struct oci_io_priority, "priority", FK_I64, priority, 0, 0, 7),
	};
	struct oci_io_priority *io = &((struct oci_process *)base)->io_priority;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), io);
	if (r < 0)
		return r;
	io->present = true;
	return check_enum(c, "class", io->klass, oci_ioprio_class_names, "I/O priority class");
}

static int decode_scheduler(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct oci_scheduler, "policy", FK_STR, policy, F_REQ),
	    FLD_RANGE(struct oci_scheduler, "nice", FK_OI64, nice, 0, -20, 19),
	    FLD_RANGE(struct oci_scheduler, "priority", FK_OI64, priority, 0, INT32_MIN, INT32_MAX),
	    FLD(struct oci_scheduler, "flags", FK_STRV, flags, 0),
	    FLD(struct oci_scheduler, "runtime", FK_OU64, runtime, 0),
	    FLD(struct oci_scheduler, "deadline", FK_OU64, deadline, 0),
	    FLD(struct oci_scheduler, "period", FK_OU64, period, 0),
	};
	struct oci_scheduler *s = &((struct oci_process *)base)->scheduler;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), s);
	if (r < 0)
		return r;
	s->present = true;
	if ((r = check_enum(c, "policy", s->policy, oci_sched_policy_names, "scheduler policy")) <
	    0)
		return r;
	for (size_t i = 0; i < s->flags.n; i++) {
		if (pc_name_index(oci_sched_flag_names, s->flags.v[i]) < 0) {
			size_t old = pc_push_key(c, "flags");
			pc_push_idx(c, i);
			r = pc_fail(c, "unknown scheduler flag \"%s\"", s->flags.v[i]);
			pc_pop(c, old);
			return r;
		}
	}
	return 0;
}

static int decode_cpu_affinity(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct oci_exec_cpu_affinity, "initial", FK_STR, initial, 0),
	    FLD(struct oci_exec_cpu_affinity, "final", FK_STR, final, 0),
	};
	struct oci_exec_cpu_affinity *a = &((struct oci_process *)base)->exec_cpu_affinity;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), a);
	if (r < 0)
		return r;
	const char *keys[] = {"initial", "final"};
	const char *vals[] = {a->initial, a->final};
	for (size_t i = 0; i < 2; i++) {
		if (vals[i] && !oci_cpu_list_valid(vals[i])) {
			size_t old = pc_push_key(c, keys[i]);
			r = pc_fail(c, "invalid CPU list \"%s\"", vals[i]);
			pc_pop(c, old);
			return r;
		}
	}
	return 0;
}

/* config.json follows the spec: user and an absolute cwd are REQUIRED.  An
 * exec process.json is decoded like runc does: Go's zero values stand in for a
 * missing user (root) and a missing or empty cwd (the runtime's default). */
#define PROCESS_FIELDS(user_flags, cwd_flags)                                                      \
	{                                                                                          \
		FLD(struct oci_process, "terminal", FK_BOOL, terminal, 0),                         \
		    FLD_FN("consoleSize", decode_console_size, 0),                                 \
		    FLD_FN("user", decode_user, user_flags),                                       \
		    FLD(struct oci_process, "args", FK_STRV, args, F_REQ | F_NONEMPTY),            \
		    FLD(struct oci_process, "commandLine", FK_STR, command_line, 0),               \
		    FLD_FN("env", decode_env, 0),                                                  \
		    FLD(struct oci_process, "cwd", FK_STR, cwd, cwd_flags),                        \
		    FLD_FN("capabilities", decode_caps, 0), FLD_FN("rlimits", decode_rlimits, 0),  \
		    FLD(struct oci_process, "noNewPrivileges", FK_BOOL, no_new_privileges, 0),     \
		    FLD(struct oci_process, "apparmorProfile", FK_STR, apparmor_profile, 0),       \
		    FLD_RANGE(struct oci_process, "oomScoreAdj", FK_OI64, oom_score_adj, 0, -1000, \
			      1000),                                                               \
		    FLD(struct oci_process, "selinuxLabel", FK_STR, selinux_label, 0),             \
		    FLD_FN("ioPriority", decode_io_priority, 0),                                   \
		    FLD_FN("scheduler", decode_scheduler, 0),                                      \
		    FLD_FN("execCPUAffinity", decode_cpu_affinity, 0),                             \
	}

int oci_decode_process(struct pctx *c, const struct jt_node *n, struct oci_process *p)
{
	static const struct field tab[] = PROCESS_FIELDS(F_REQ, F_REQ | F_ABS);
	static const struct field exec_tab[] = PROCESS_FIELDS(0, 0);
	int r;
	if (c->exec_process) {
		r = pc_object(c, n, exec_tab, ARRAY_SIZE(exec_tab), p);
		if (r == 0 && p->cwd && p->cwd[0] && p->cwd[0] != '/') {
			size_t old = pc_push_key(c, "cwd");
			r = pc_fail(c, "must be an absolute path, got \"%s\"", p->cwd);
			pc_pop(c, old);
		}
	} else {
		r = pc_object(c, n, tab, ARRAY_SIZE(tab), p);
	}
	if (r < 0)
		return r;
	p->present = true;
	return 0;
}
