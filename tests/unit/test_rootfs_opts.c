/* The mount option table (runc's option set) and sysctl validation. */
#include "tests/unit/helpers/unit_main.h"
#include "tests/unit/helpers/rootfs_fixture.h"

#include "rootfs/internal.h"

struct opt_case {
	const char *opts;
	uint64_t set, clr, rset, rclr;
	unsigned long prop;
	bool prop_rec;
	unsigned extra;
	const char *sb;	  /* sb flags joined by ',' */
	const char *data; /* NULL: none */
};

#define A(x) MOUNT_ATTR_##x

static const struct opt_case cases[] = {
    {"ro", A(RDONLY), 0, 0, 0, 0, false, 0, "", NULL},
    {"ro,rw", 0, A(RDONLY), 0, 0, 0, false, 0, "", NULL},
    {"rw,ro", A(RDONLY), 0, 0, 0, 0, false, 0, "", NULL},
    {"nosuid,nodev,noexec", A(NOSUID) | A(NODEV) | A(NOEXEC), 0, 0, 0, 0, false, 0, "", NULL},
    {"suid,dev,exec", 0, A(NOSUID) | A(NODEV) | A(NOEXEC), 0, 0, 0, false, 0, "", NULL},
    {"noatime", A(NOATIME), A(_ATIME), 0, 0, 0, false, 0, "", NULL},
    {"strictatime", A(STRICTATIME), A(_ATIME), 0, 0, 0, false, 0, "", NULL},
    {"noatime,relatime", A(RELATIME), A(_ATIME), 0, 0, 0, false, 0, "", NULL},
    {"atime", A(RELATIME), A(_ATIME), 0, 0, 0, false, 0, "", NULL},
    {"norelatime", A(STRICTATIME), A(_ATIME), 0, 0, 0, false, 0, "", NULL},
    {"nostrictatime", A(RELATIME), A(_ATIME), 0, 0, 0, false, 0, "", NULL},
    {"nodiratime", A(NODIRATIME), 0, 0, 0, 0, false, 0, "", NULL},
    {"diratime", 0, A(NODIRATIME), 0, 0, 0, false, 0, "", NULL},
    {"nosymfollow", A(NOSYMFOLLOW), 0, 0, 0, 0, false, 0, "", NULL},
    {"rro,rnosuid", 0, 0, A(RDONLY) | A(NOSUID), 0, 0, false, 0, "", NULL},
    {"rrw,rsuid,rdev,rexec", 0, 0, 0, A(RDONLY) | A(NOSUID) | A(NODEV) | A(NOEXEC), 0, false, 0, "",
     NULL},
    {"rnoatime", 0, 0, A(NOATIME), A(_ATIME), 0, false, 0, "", NULL},
    {"rnodiratime,rnosymfollow", 0, 0, A(NODIRATIME) | A(NOSYMFOLLOW), 0, 0, false, 0, "", NULL},
    {"private", 0, 0, 0, 0, MS_PRIVATE, false, 0, "", NULL},
    {"rprivate", 0, 0, 0, 0, MS_PRIVATE, true, 0, "", NULL},
    {"shared", 0, 0, 0, 0, MS_SHARED, false, 0, "", NULL},
    {"rshared", 0, 0, 0, 0, MS_SHARED, true, 0, "", NULL},
    {"slave", 0, 0, 0, 0, MS_SLAVE, false, 0, "", NULL},
    {"rslave", 0, 0, 0, 0, MS_SLAVE, true, 0, "", NULL},
    {"unbindable", 0, 0, 0, 0, MS_UNBINDABLE, false, 0, "", NULL},
    {"runbindable", 0, 0, 0, 0, MS_UNBINDABLE, true, 0, "", NULL},
    {"bind", 0, 0, 0, 0, 0, false, MOPT_BIND, "", NULL},
    {"rbind", 0, 0, 0, 0, 0, false, MOPT_RBIND, "", NULL},
    {"remount", 0, 0, 0, 0, 0, false, MOPT_REMOUNT, "", NULL},
    {"tmpcopyup", 0, 0, 0, 0, 0, false, MOPT_TMPCOPYUP, "", NULL},
    {"rbind,idmap", 0, 0, 0, 0, 0, false, MOPT_RBIND | MOPT_IDMAP, "", NULL},
    {"bind,ridmap", 0, 0, 0, 0, 0, false, MOPT_BIND | MOPT_RIDMAP, "", NULL},
    {"sync,dirsync,mand,lazytime", 0, 0, 0, 0, 0, false, 0, "sync,dirsync,mand,lazytime", NULL},
    {"async,nomand,nolazytime", 0, 0, 0, 0, 0, false, 0, "async,nomand,nolazytime", NULL},
    {"defaults,silent,loud,iversion,noiversion", 0, 0, 0, 0, 0, false, 0, "", NULL},
    {"mode=755,size=65536k", 0, 0, 0, 0, 0, false, 0, "", "mode=755,size=65536k"},
    {"nosuid,newinstance,ptmxmode=0666,gid=5", A(NOSUID), 0, 0, 0, 0, false, 0, "",
     "newinstance,ptmxmode=0666,gid=5"},
    {"rbind,ro,rprivate,nodev,uid=1", A(RDONLY) | A(NODEV), 0, 0, 0, MS_PRIVATE, true, MOPT_RBIND,
     "", "uid=1"},
};

static void test_option_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct opt_case *c = &cases[i];
		oci_strv v = fx_strv(c->opts);
		struct mount_opts o;
		struct husk_err *e = NULL;
		if (mount_opts_parse(&v, &o, &e) < 0)
			fail_msg("%s: %s", c->opts, e->msg);
		if (o.attr_set != c->set || o.attr_clr != c->clr || o.rattr_set != c->rset ||
		    o.rattr_clr != c->rclr)
			fail_msg("\"%s\": set %#llx clr %#llx rset %#llx rclr %#llx", c->opts,
				 (unsigned long long)o.attr_set, (unsigned long long)o.attr_clr,
				 (unsigned long long)o.rattr_set, (unsigned long long)o.rattr_clr);
		if (o.propagation != c->prop || o.propagation_rec != c->prop_rec)
			fail_msg("\"%s\": propagation %#lx rec %d", c->opts, o.propagation,
				 o.propagation_rec);
		if (o.extra != c->extra)
			fail_msg("\"%s\": extra %#x", c->opts, o.extra);
		char sb[256] = "";
		for (size_t j = 0; j < o.n_sb_flags; j++)
			snprintf(sb + strlen(sb), sizeof(sb) - strlen(sb), "%s%s", j ? "," : "",
				 o.sb_flags[j]);
		if (strcmp(sb, c->sb) != 0)
			fail_msg("\"%s\": sb flags \"%s\"", c->opts, sb);
		if ((o.data == NULL) != (c->data == NULL) || (o.data && strcmp(o.data, c->data)))
			fail_msg("\"%s\": data \"%s\"", c->opts, o.data ? o.data : "(null)");
		mount_opts_free(&o);
		for (size_t j = 0; j < v.n; j++)
			free(v.v[j]);
		free(v.v);
	}
}

static void test_propagation_names(void **state)
{
	(void)state;
	assert_int_equal(mount_propagation_flags("rslave"), MS_SLAVE | MS_REC);
	assert_int_equal(mount_propagation_flags("shared"), MS_SHARED);
	assert_int_equal(mount_propagation_flags("runbindable"), MS_UNBINDABLE | MS_REC);
	assert_int_equal(mount_propagation_flags("ro"), 0);
	assert_int_equal(mount_propagation_flags("bogus"), 0);
	assert_int_equal(mount_propagation_flags(NULL), 0);
}

static void test_sysctl_rules(void **state)
{
	(void)state;
	struct oci_config none = {0};
	struct oci_namespace ns[] = {
	    {OCI_NS_IPC, NULL}, {OCI_NS_UTS, NULL}, {OCI_NS_NETWORK, (char *)"/var/run/netns/x"}};
	struct oci_config all = {0};
	all.linux_.namespaces = ns;
	all.linux_.n_namespaces = 3;
	static const struct {
		const char *key;
		bool ok_none, ok_all;
	} cases[] = {
	    {"kernel.msgmax", false, true},
	    {"kernel.sem", false, true},
	    {"kernel.shm_rmid_forced", false, true},
	    {"fs.mqueue.queues_max", false, true},
	    {"fs/mqueue/msg_max", false, true},
	    {"net.ipv4.ip_forward", false, true},
	    {"net/ipv4/conf/eth0.100/forwarding", false, true},
	    {"kernel.hostname", false, true},
	    {"kernel.domainname", false, true},
	    {"kernel.pid_max", false, false},
	    {"vm.swappiness", false, false},
	    {"kernel.shmmax.", false, false},
	    {"net..x", false, false},
	    {"../kernel/x", false, false},
	    {"", false, false},
	    {"kernel.msgmaxx", false, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct husk_err *e = NULL;
		bool ok = sysctl_validate(&none, cases[i].key, &e) == 0;
		if (ok != cases[i].ok_none)
			fail_msg("%s without namespaces: %s", cases[i].key,
				 ok ? "accepted" : e->msg);
		husk_err_free(&e);
		ok = sysctl_validate(&all, cases[i].key, &e) == 0;
		if (ok != cases[i].ok_all)
			fail_msg("%s with namespaces: %s", cases[i].key, ok ? "accepted" : e->msg);
		husk_err_free(&e);
	}
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test(test_option_table), cmocka_unit_test(test_propagation_names),
	  cmocka_unit_test(test_sysctl_rules))
