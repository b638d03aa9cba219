/* Every class of bad input gives one exact message naming the source and the
 * field path.  Documents and messages are written with ' for " and ` for ' to
 * stay readable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "oci/spec.h"

#define PROC	 "'process':{'args':['sh'],'cwd':'/','user':{'uid':0,'gid':0}}"
#define HEAD	 "{'ociVersion':'1.2.0','root':{'path':'rootfs'},"
#define DOC(...) HEAD __VA_ARGS__ "}"
#define WITH_PROC(...)                                                                             \
	HEAD "'process':{'args':['sh'],'cwd':'/','user':{'uid':0,'gid':0}," __VA_ARGS__ "}}"
#define WITH_USER(...)	  HEAD "'process':{'args':['sh'],'cwd':'/','user':{" __VA_ARGS__ "}}}"
#define WITH_LINUX(...)	  HEAD "'linux':{" __VA_ARGS__ "}}"
#define WITH_RES(...)	  WITH_LINUX("'resources':{" __VA_ARGS__ "}")
#define WITH_SECCOMP(...) WITH_LINUX("'seccomp':{" __VA_ARGS__ "}")

struct bad_case {
	const char *json;
	const char *msg;
};

static char *dequote(const char *s)
{
	char *d = xstrdup(s);
	for (char *p = d; *p; p++) {
		if (*p == '\'')
			*p = '"';
		else if (*p == '`')
			*p = '\'';
	}
	return d;
}

static void check_cases(const struct bad_case *cases, size_t n,
			int (*parse)(const char *, size_t, const char *, char **))
{
	int failures = 0;
	for (size_t i = 0; i < n; i++) {
		char *json = dequote(cases[i].json);
		char *want = dequote(cases[i].msg);
		char *got = NULL;
		if (parse(json, strlen(json), "config.json", &got) == 0) {
			print_error("case %zu: accepted: %s\n", i, json);
			failures++;
		} else if (strcmp(got, want) != 0) {
			print_error("case %zu: %s\n  want: %s\n  got:  %s\n", i, json, want, got);
			failures++;
		}
		free(json);
		free(want);
		free(got);
	}
	assert_int_equal(failures, 0);
}

static int parse_config(const char *json, size_t len, const char *src, char **msg)
{
	struct husk_err *err = NULL;
	struct oci_config *cfg = NULL;
	if (oci_config_parse(json, len, src, &cfg, &err) == 0) {
		oci_config_free(cfg);
		return 0;
	}
	assert_null(cfg);
	assert_int_equal(err->errnum, 0); /* bad input, not a system error */
	*msg = xstrdup(err->msg);
	husk_err_free(&err);
	return -1;
}

static void test_syntax(void **state)
{
	/* yajl's own messages; the offset is where yajl stopped reading. */
	static const struct bad_case cases[] = {
	    {"", "config.json: invalid JSON: premature EOF (near byte 0)"},
	    {"   ", "config.json: invalid JSON: premature EOF (near byte 3)"},
	    {"{", "config.json: invalid JSON: premature EOF (near byte 1)"},
	    {"{'ociVersion':", "config.json: invalid JSON: premature EOF (near byte 14)"},
	    {"{'a':1}}", "config.json: invalid JSON: trailing garbage (near byte 8)"},
	    {"{'a':1} {}", "config.json: invalid JSON: trailing garbage (near byte 9)"},
	    {"{'a':tru}", "config.json: invalid JSON: invalid string in json text (near byte 8)"},
	    {"{'a':01}", "config.json: invalid JSON: after key and value, inside map, I expect `,` "
			 "or `}` (near byte 6)"},
	    {"{a:1}", "config.json: invalid JSON: invalid char in json text (near byte 2)"},
	    {"{'a' 1}", "config.json: invalid JSON: object key and value must be separated by a "
			"colon (`:`) (near byte 6)"},
	    {"{'a':'\xff'}",
	     "config.json: invalid JSON: invalid bytes in UTF8 string (near byte 7)"},
	    {"['x',]", "config.json: invalid JSON: unallowed token at this point in JSON text "
		       "(near byte 6)"},
	    {"{'a':'\\q'}", "config.json: invalid JSON: inside a string, `\\` occurs before a "
			    "character which it may not (near byte 7)"},
	    {"{'a':-}",
	     "config.json: invalid JSON: malformed number, a digit is required after the "
	     "minus sign (near byte 6)"},
	};
	check_cases(cases, ARRAY_SIZE(cases), parse_config);
}

static void test_top_level(void **state)
{
	static const struct bad_case cases[] = {
	    {"[]", "config.json: expected an object, got an array"},
	    {"'x'", "config.json: expected an object, got 'x'"},
	    {"null", "config.json: expected an object, got null"},
	    {"{'root':{'path':'r'}}", "config.json: ociVersion: required field is missing"},
	    {"{'ociVersion':1,'root':{'path':'r'}}",
	     "config.json: ociVersion: expected a string, got 1"},
	    {"{'ociVersion':'','root':{'path':'r'}}", "config.json: ociVersion: must not be empty"},
	    {"{'ociVersion':'1.2','root':{'path':'r'}}",
	     "config.json: ociVersion: must be a SemVer 2.0.0 version such as '1.2.0', got '1.2'"},
	    {"{'ociVersion':'v1.2.0','root':{'path':'r'}}",
	     "config.json: ociVersion: must be a SemVer 2.0.0 version such as '1.2.0', got "
	     "'v1.2.0'"},
	    {"{'ociVersion':'1.02.0','root':{'path':'r'}}",
	     "config.json: ociVersion: must be a SemVer 2.0.0 version such as '1.2.0', got "
	     "'1.02.0'"},
	    {"{'ociVersion':'1.0.0-rc.01','root':{'path':'r'}}",
	     "config.json: ociVersion: must be a SemVer 2.0.0 version such as '1.2.0', got "
	     "'1.0.0-rc.01'"},
	    {"{'ociVersion':'1.0.0+','root':{'path':'r'}}",
	     "config.json: ociVersion: must be a SemVer 2.0.0 version such as '1.2.0', got "
	     "'1.0.0+'"},
	    {"{'ociVersion':'1.2.0'}", "config.json: root: required field is missing"},
	    {"{'ociVersion':'1.2.0','root':{}}",
	     "config.json: root.path: required field is missing"},
	    {"{'ociVersion':'1.2.0','root':{'path':'a\\u0000b'}}",
	     "config.json: root.path: string contains a NUL character"},
	    {"{'ociVersion':'1.2.0','root':{'path':'r','readonly':'yes'}}",
	     "config.json: root.readonly: expected a boolean, got 'yes'"},
	    {"{'ociVersion':'1.2.0','root':[]}",
	     "config.json: root: expected an object, got an array"},
	    {DOC("'hostname':true"), "config.json: hostname: expected a string, got true"},
	    {DOC("'hostname':'h'"),
	     "config.json: hostname: setting the hostname needs a UTS namespace"},
	    {DOC("'domainname':'d','linux':{'namespaces':[{'type':'pid'}]}"),
	     "config.json: domainname: setting the domainname needs a UTS namespace"},
	    {DOC("'annotations':{'k':1}"),
	     "config.json: annotations['k']: expected a string, got 1"},
	    {DOC("'annotations':{'':'v'}"), "config.json: annotations['']: key must not be empty"},
	    {DOC("'annotations':{'a\\u0000b':'v'}"),
	     "config.json: annotations['a']: key contains a NUL character"},
	    {DOC("'annotations':['k']"),
	     "config.json: annotations: expected an object, got an array"},
	    {DOC("'mounts':{}"), "config.json: mounts: expected an array, got an object"},
	};
	check_cases(cases, ARRAY_SIZE(cases), parse_config);
}

static void test_mounts(void **state)
{
	static const struct bad_case cases[] = {
	    {DOC("'mounts':[{'destination':'/a'},{'destination':'/b'},{'destination':'mnt'}]"),
	     "config.json: mounts[2].destination: must be an absolute path, got 'mnt'"},
	    {DOC("'mounts':[{'type':'tmpfs'}]"),
	     "config.json: mounts[0].destination: required field is missing"},
	    {DOC("'mounts':[{'destination':''}]"),
	     "config.json: mounts[0].destination: must be an absolute path, got ''"},
	    {DOC("'mounts':[{'destination':'/a','options':['ro',7]}]"),
	     "config.json: mounts[0].options[1]: expected a string, got 7"},
	    {DOC("'mounts':['x']"), "config.json: mounts[0]: expected an object, got 'x'"},
	    {DOC("'mounts':[{'destination':'/"
		 "a','uidMappings':[{'containerID':0,'hostID':1,'size':1}]}]"),
	     "config.json: mounts[0]: uidMappings and gidMappings must be given together"},
	    {DOC("'mounts':[{'destination':'/a','uidMappings':[{'containerID':0,'hostID':1}]}]"),
	     "config.json: mounts[0].uidMappings[0].size: required field is missing"},
	};
	check_cases(cases, ARRAY_SIZE(cases), parse_config);
}

static void test_process(void **state)
{
	static const struct bad_case cases[] = {
	    {WITH_USER("'uid':'root','gid':0"),
	     "config.json: process.user.uid: expected a non-negative integer, got 'root'"},
	    {WITH_USER("'uid':-1,'gid':0"),
	     "config.json: process.user.uid: expected a non-negative integer, got -1"},
	    {WITH_USER("'uid':4294967296,'gid':0"),
	     "config.json: process.user.uid: 4294967296 is out of range (maximum 4294967295)"},
	    {WITH_USER("'uid':1.0,'gid':0"),
	     "config.json: process.user.uid: expected a non-negative integer, got 1.0"},
	    {WITH_USER("'uid':1e3,'gid':0"),
	     "config.json: process.user.uid: expected a non-negative integer, got 1e3"},
	    {WITH_USER("'uid':0"), "config.json: process.user.gid: required field is missing"},
	    {WITH_USER("'uid':0,'gid':0,'additionalGids':[1,-2]"),
	     "config.json: process.user.additionalGids[1]: expected a non-negative integer, got "
	     "-2"},
	    {WITH_USER("'uid':0,'gid':0,'umask':4294967296"),
	     "config.json: process.user.umask: 4294967296 is out of range (maximum 4294967295)"},
	    {DOC("'process':{'args':['sh'],'cwd':'/'}"),
	     "config.json: process.user: required field is missing"},
	    {DOC("'process':{'cwd':'/','user':{'uid':0,'gid':0}}"),
	     "config.json: process.args: required field is missing"},
	    {DOC("'process':{'args':[],'cwd':'/','user':{'uid':0,'gid':0}}"),
	     "config.json: process.args: must not be empty"},
	    {DOC("'process':{'args':['sh'],'user':{'uid':0,'gid':0}}"),
	     "config.json: process.cwd: required field is missing"},
	    {DOC("'process':{'args':['sh'],'cwd':'tmp','user':{'uid':0,'gid':0}}"),
	     "config.json: process.cwd: must be an absolute path, got 'tmp'"},
	    {WITH_PROC("'env':['A=1','FOO']"),
	     "config.json: process.env[1]: expected KEY=VALUE, got 'FOO'"},
	    {WITH_PROC("'env':['=x']"),
	     "config.json: process.env[0]: expected KEY=VALUE, got '=x'"},
	    {WITH_PROC("'terminal':'yes'"),
	     "config.json: process.terminal: expected a boolean, got 'yes'"},
	    {WITH_PROC("'consoleSize':{'height':1}"),
	     "config.json: process.consoleSize.width: required field is missing"},
	    {WITH_PROC("'capabilities':{'bounding':'CAP_KILL'}"),
	     "config.json: process.capabilities.bounding: expected an array, got 'CAP_KILL'"},
	    {WITH_PROC("'rlimits':[{'type':'RLIMIT_FOO','soft':1,'hard':1}]"),
	     "config.json: process.rlimits[0].type: unknown rlimit type 'RLIMIT_FOO'"},
	    {WITH_PROC("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
		       "{'type':'RLIMIT_NOFILE','soft':2,'hard':2}]"),
	     "config.json: process.rlimits[1].type: duplicate rlimit type 'RLIMIT_NOFILE'"},
	    {WITH_PROC("'rlimits':[{'type':'RLIMIT_CORE','soft':10,'hard':5}]"),
	     "config.json: process.rlimits[0]: soft limit 10 exceeds hard limit 5"},
	    {WITH_PROC("'rlimits':[{'type':'RLIMIT_CORE','hard':5}]"),
	     "config.json: process.rlimits[0].soft: required field is missing"},
	    {WITH_PROC("'rlimits':[{'type':'RLIMIT_CORE','soft':18446744073709551616,'hard':5}]"),
	     "config.json: process.rlimits[0].soft: 18446744073709551616 is out of range "
	     "(maximum 18446744073709551615)"},
	    {WITH_PROC("'oomScoreAdj':1001"),
	     "config.json: process.oomScoreAdj: 1001 is out of range (-1000 to 1000)"},
	    {WITH_PROC("'oomScoreAdj':-9223372036854775809"),
	     "config.json: process.oomScoreAdj: -9223372036854775809 is out of range (-1000 to "
	     "1000)"},
	    {WITH_PROC("'ioPriority':{'class':'IOPRIO_CLASS_XX'}"),
	     "config.json: process.ioPriority.class: unknown I/O priority class 'IOPRIO_CLASS_XX'"},
	    {WITH_PROC("'ioPriority':{'class':'IOPRIO_CLASS_RT','priority':8}"),
	     "config.json: process.ioPriority.priority: 8 is out of range (0 to 7)"},
	    {WITH_PROC("'ioPriority':{'priority':1}"),
	     "config.json: process.ioPriority.class: required field is missing"},
	    {WITH_PROC("'scheduler':{'policy':'SCHED_FAST'}"),
	     "config.json: process.scheduler.policy: unknown scheduler policy 'SCHED_FAST'"},
	    {WITH_PROC("'scheduler':{'policy':'SCHED_OTHER','nice':20}"),
	     "config.json: process.scheduler.nice: 20 is out of range (-20 to 19)"},
	    {WITH_PROC("'scheduler':{'policy':'SCHED_OTHER','flags':['SCHED_FLAG_NOPE']}"),
	     "config.json: process.scheduler.flags[0]: unknown scheduler flag 'SCHED_FLAG_NOPE'"},
	    {WITH_PROC("'execCPUAffinity':{'initial':'0-'}"),
	     "config.json: process.execCPUAffinity.initial: invalid CPU list '0-'"},
	    {WITH_PROC("'execCPUAffinity':{'final':'3-1'}"),
	     "config.json: process.execCPUAffinity.final: invalid CPU list '3-1'"},
	    {WITH_PROC("'apparmorProfile':'012345678901234567890123456789012345678901234567890'"),
	     "config.json: process.apparmorProfile: ok"},
	};
	/* The last case is valid: it checks that a long string is accepted. */
	check_cases(cases, ARRAY_SIZE(cases) - 1, parse_config);
	char *json = dequote(cases[ARRAY_SIZE(cases) - 1].json);
	char *msg = NULL;
	assert_int_equal(parse_config(json, strlen(json), "config.json", &msg), 0);
	free(json);
	/* A long bad value is shown truncated. */
	static const struct bad_case longval[] = {
	    {WITH_PROC("'terminal':'0123456789012345678901234567890123456789XYZ'"),
	     "config.json: process.terminal: expected a boolean, got "
	     "'0123456789012345678901234567890123456789...'"},
	};
	check_cases(longval, 1, parse_config);
	/* ...at a UTF-8 character boundary (snowmen are 3 bytes: 13 fit in 40). */
	static const struct bad_case utf8[] = {
	    {WITH_PROC("'terminal':'\u2603\u2603\u2603\u2603\u2603\u2603\u2603\u2603\u2603"
		       "\u2603\u2603\u2603\u2603\u2603\u2603'"),
	     "config.json: process.terminal: expected a boolean, got '\u2603\u2603\u2603"
	     "\u2603\u2603\u2603\u2603\u2603\u2603\u2603\u2603\u2603\u2603...'"},
	};
	check_cases(utf8, 1, parse_config);
}

static void test_hooks(void **state)
{
	static const struct bad_case cases[] = {
	    {DOC("'hooks':{'prestart':[{'path':'bin/x'}]}"),
	     "config.json: hooks.prestart[0].path: must be an absolute path, got 'bin/x'"},
	    {DOC("'hooks':{'createRuntime':[{'args':['x']}]}"),
	     "config.json: hooks.createRuntime[0].path: required field is missing"},
	    {DOC("'hooks':{'poststop':[{'path':'/a'},{'path':'/b','timeout':0}]}"),
	     "config.json: hooks.poststop[1].timeout: must be greater than zero, got 0"},
	    {DOC("'hooks':{'startContainer':[{'path':'/b','timeout':-3}]}"),
	     "config.json: hooks.startContainer[0].timeout: must be greater than zero, got -3"},
	    {DOC("'hooks':{'poststart':[{'path':'/b','timeout':1.5}]}"),
	     "config.json: hooks.poststart[0].timeout: expected an integer, got 1.5"},
	    {DOC("'hooks':{'createContainer':[{'path':'/b','env':[1]}]}"),
	     "config.json: hooks.createContainer[0].env[0]: expected a string, got 1"},
	    {DOC("'hooks':{'prestart':{}}"),
	     "config.json: hooks.prestart: expected an array, got an object"},
	};
	check_cases(cases, ARRAY_SIZE(cases), parse_config);
}

static void test_linux(void **state)
{
	static const struct bad_case cases[] = {
	    {WITH_LINUX("'namespaces':[{'type':'pid'},{'type':'foo'}]"),
	     "config.json: linux.namespaces[1].type: unknown namespace type 'foo'"},
	    {WITH_LINUX("'namespaces':[{'type':'pid'},{'type':'uts'},{'type':'pid'}]"),
	     "config.json: linux.namespaces[2].type: duplicate namespace type 'pid'"},
	    {WITH_LINUX("'namespaces':[{'path':'/x'}]"),
	     "config.json: linux.namespaces[0].type: required field is missing"},
	    {WITH_LINUX("'namespaces':[{'type':'net','path':'/x'}]"),
	     "config.json: linux.namespaces[0].type: unknown namespace type 'net'"},
	    {WITH_LINUX("'namespaces':[{'type':'network','path':'proc/1/ns/net'}]"),
	     "config.json: linux.namespaces[0].path: must be an absolute path, got "
	     "'proc/1/ns/net'"},
	    {WITH_LINUX("'uidMappings':[{'containerID':0,'hostID':0,'size':1}],"
			"'gidMappings':[{'containerID':0,'hostID':0,'size':1}]"),
	     "config.json: linux.uidMappings: id mappings need a user namespace in "
	     "linux.namespaces"},
	    {WITH_LINUX("'namespaces':[{'type':'user'}],'uidMappings':[{'containerID':0,"
			"'hostID':0,'size':1}]"),
	     "config.json: linux.gidMappings: a new user namespace needs both uidMappings and "
	     "gidMappings"},
	    {WITH_LINUX("'uidMappings':[{'containerID':0,'hostID':-1,'size':1}]"),
	     "config.json: linux.uidMappings[0].hostID: expected a non-negative integer, got -1"},
	    {WITH_LINUX("'namespaces':[{'type':'user'}],'uidMappings':[{'containerID':0,"
			"'hostID':1000,'size':0}],'gidMappings':[]"),
	     "config.json: linux.uidMappings[0].size: must be greater than zero"},
	    {WITH_LINUX("'namespaces':[{'type':'user'}],'uidMappings':[{'containerID':1,"
			"'hostID':1000,'size':4294967295}]"),
	     "config.json: linux.uidMappings[0]: the range goes past the largest id (4294967295)"},
	    {WITH_LINUX("'namespaces':[{'type':'user'}],'uidMappings':[{'containerID':0,"
			"'hostID':1000,'size':1}],'gidMappings':[{'containerID':0,'hostID':1000,"
			"'size':10},{'containerID':9,'hostID':5000,'size':2}]"),
	     "config.json: linux.gidMappings[1]: its container ids overlap those of entry 0"},
	    {WITH_LINUX("'namespaces':[{'type':'user'}],'uidMappings':[{'containerID':0,"
			"'hostID':1000,'size':10},{'containerID':10,'hostID':1009,'size':1}]"),
	     "config.json: linux.uidMappings[1]: its host ids overlap those of entry 0"},
	    {WITH_LINUX("'timeOffsets':{'monotonic':{'secs':1}}"),
	     "config.json: linux.timeOffsets: time offsets need a time namespace"},
	    {WITH_LINUX("'namespaces':[{'type':'time','path':'/proc/1/ns/time'}],"
			"'timeOffsets':{'boottime':{'secs':1}}"),
	     "config.json: linux.timeOffsets: time offsets cannot be set when joining an "
	     "existing time namespace"},
	    {WITH_LINUX("'timeOffsets':{'realtime':{'secs':1}}"),
	     "config.json: linux.timeOffsets.realtime: unknown clock 'realtime' (expected "
	     "monotonic or boottime)"},
	    {WITH_LINUX("'timeOffsets':{'monotonic':{'nanosecs':1000000000}}"),
	     "config.json: linux.timeOffsets.monotonic.nanosecs: 1000000000 is out of range "
	     "(maximum 999999999)"},
	    {WITH_LINUX("'devices':[{'type':'x','path':'/dev/x'}]"),
	     "config.json: linux.devices[0].type: unknown device type 'x' (expected c, b, u or p)"},
	    {WITH_LINUX("'devices':[{'type':'c','path':'dev/x','major':1,'minor':1}]"),
	     "config.json: linux.devices[0].path: must be an absolute path, got 'dev/x'"},
	    {WITH_LINUX("'devices':[{'type':'c','path':'/dev/x','minor':1}]"),
	     "config.json: linux.devices[0].major: required field is missing (for type c, b and "
	     "u)"},
	    {WITH_LINUX("'devices':[{'type':'b','path':'/dev/x','major':1,'minor':-1}]"),
	     "config.json: linux.devices[0].minor: must not be negative"},
	    {WITH_LINUX("'devices':[{'type':'c','path':'/dev/x','major':1,'minor':1,"
			"'fileMode':-1}]"),
	     "config.json: linux.devices[0].fileMode: expected a non-negative integer, got -1"},
	    {WITH_LINUX("'cgroupsPath':7"),
	     "config.json: linux.cgroupsPath: expected a string, got 7"},
	    {WITH_LINUX("'sysctl':{'net.ipv4.ip_forward':1}"),
	     "config.json: linux.sysctl['net.ipv4.ip_forward']: expected a string, got 1"},
	    {WITH_LINUX("'sysctl':{'net.ipv4.ip_forward':'1'}"),
	     "config.json: linux.sysctl['net.ipv4.ip_forward']: needs a network namespace"},
	    {WITH_LINUX("'namespaces':[{'type':'network'}],'sysctl':{'net/ipv4/ip_forward':'1',"
			"'fs.mqueue.queues_max':'4'}"),
	     "config.json: linux.sysctl['fs.mqueue.queues_max']: needs an IPC namespace"},
	    {WITH_LINUX("'namespaces':[{'type':'ipc'}],'sysctl':{'kernel.shmmax':'1','vm."
			"swappiness':'1'}"),
	     "config.json: linux.sysctl['vm.swappiness']: is not namespaced: it would change the "
	     "host"},
	    {DOC("'hostname':'a','linux':{'namespaces':[{'type':'uts'}],'sysctl':{'kernel.hostname'"
		 ":'b'}}"),
	     "config.json: linux.sysctl['kernel.hostname']: conflicts with the hostname field"},
	    {WITH_LINUX("'rootfsPropagation':'rshared2'"),
	     "config.json: linux.rootfsPropagation: unknown propagation 'rshared2' (expected "
	     "shared, slave, private or unbindable)"},
	    {WITH_LINUX("'maskedPaths':['/proc/kcore','proc/keys']"),
	     "config.json: linux.maskedPaths[1]: must be an absolute path, got 'proc/keys'"},
	    {WITH_LINUX("'readonlyPaths':['']"),
	     "config.json: linux.readonlyPaths[0]: must be an absolute path, got ''"},
	    {WITH_LINUX("'personality':{'domain':'LINUX64'}"),
	     "config.json: linux.personality.domain: unknown personality domain 'LINUX64' "
	     "(expected LINUX or LINUX32)"},
	    {WITH_LINUX("'personality':{'flags':[]}"),
	     "config.json: linux.personality.domain: required field is missing"},
	    {WITH_LINUX("'netDevices':{'eth/0':{}}"),
	     "config.json: linux.netDevices['eth/0']: invalid network interface name"},
	    {WITH_LINUX("'netDevices':{'eth0':{'name':'0123456789abcdef'}}"),
	     "config.json: linux.netDevices['eth0'].name: invalid network interface name "
	     "'0123456789abcdef'"},
	    {WITH_LINUX("'memoryPolicy':{'mode':'MPOL_FAST'}"),
	     "config.json: linux.memoryPolicy.mode: unknown memory policy mode 'MPOL_FAST'"},
	    {WITH_LINUX("'memoryPolicy':{'mode':'MPOL_DEFAULT','nodes':'0'}"),
	     "config.json: linux.memoryPolicy.nodes: must be empty for MPOL_DEFAULT"},
	    {WITH_LINUX("'memoryPolicy':{'mode':'MPOL_BIND'}"),
	     "config.json: linux.memoryPolicy.nodes: is required for MPOL_BIND"},
	    {WITH_LINUX("'memoryPolicy':{'mode':'MPOL_BIND','nodes':'0,,1'}"),
	     "config.json: linux.memoryPolicy.nodes: invalid node list '0,,1'"},
	    {WITH_LINUX("'memoryPolicy':{'mode':'MPOL_BIND','nodes':'0','flags':["
			"'MPOL_F_STATIC_NODES','MPOL_F_RELATIVE_NODES']}"),
	     "config.json: linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and "
	     "MPOL_F_RELATIVE_NODES are mutually exclusive"},
	    {WITH_LINUX("'memoryPolicy':{'mode':'MPOL_BIND','nodes':'0','flags':['MPOL_F_X']}"),
	     "config.json: linux.memoryPolicy.flags[0]: unknown memory policy flag 'MPOL_F_X'"},
	    {WITH_LINUX("'intelRdt':{'closID':'../x'}"),
	     "config.json: linux.intelRdt.closID: invalid CLOS id '../x'"},
	    {WITH_LINUX("'intelRdt':{'enableCMT':1}"),
	     "config.json: linux.intelRdt.enableCMT: expected a boolean, got 1"},
	};
	check_cases(cases, ARRAY_SIZE(cases), parse_config);
}

static void test_resources(void **state)
{
	static const struct bad_case cases[] = {
	    {WITH_RES("'devices':[{'access':'rwm'}]"),
	     "config.json: linux.resources.devices[0].allow: required field is missing"},
	    {WITH_RES("'devices':[{'allow':true,'access':'rwx'}]"),
	     "config.json: linux.resources.devices[0].access: must be a combination of r, w and "
	     "m, got 'rwx'"},
	    {WITH_RES("'devices':[{'allow':true,'access':'rr'}]"),
	     "config.json: linux.resources.devices[0].access: must be a combination of r, w and "
	     "m, got 'rr'"},
	    {WITH_RES("'devices':[{'allow':true,'type':'p'}]"),
	     "config.json: linux.resources.devices[0].type: unknown device type 'p' (expected a, "
	     "b or c)"},
	    {WITH_RES("'devices':[{'allow':true,'major':-2}]"),
	     "config.json: linux.resources.devices[0].major: must be a device number or -1, got "
	     "-2"},
	    {WITH_RES("'memory':{'swappiness':101}"),
	     "config.json: linux.resources.memory.swappiness: 101 is out of range (maximum 100)"},
	    {WITH_RES("'memory':{'limit':'1g'}"),
	     "config.json: linux.resources.memory.limit: expected an integer, got '1g'"},
	    {WITH_RES("'memory':{'limit':9223372036854775808}"),
	     "config.json: linux.resources.memory.limit: 9223372036854775808 is out of range "
	     "(-1 to 9223372036854775807)"},
	    {WITH_RES("'cpu':{'cpus':'a-b'}"),
	     "config.json: linux.resources.cpu.cpus: invalid list 'a-b' (expected e.g. '0-3,7')"},
	    {WITH_RES("'cpu':{'shares':-2}"),
	     "config.json: linux.resources.cpu.shares: expected a non-negative integer, got -2"},
	    {WITH_RES("'pids':{}"),
	     "config.json: linux.resources.pids.limit: required field is missing"},
	    {WITH_RES("'blockIO':{'weight':70000}"),
	     "config.json: linux.resources.blockIO.weight: 70000 is out of range (maximum 65535)"},
	    {WITH_RES("'blockIO':{'throttleReadBpsDevice':[{'major':8,'minor':0}]}"),
	     "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].rate: required field "
	     "is missing"},
	    {WITH_RES("'blockIO':{'weightDevice':[{'major':8}]}"),
	     "config.json: linux.resources.blockIO.weightDevice[0].minor: required field is "
	     "missing"},
	    {WITH_RES("'hugepageLimits':[{'limit':1}]"),
	     "config.json: linux.resources.hugepageLimits[0].pageSize: required field is missing"},
	    {WITH_RES("'network':{'classID':-1}"), "config.json: linux.resources.network.classID: "
						   "expected a non-negative integer, got -1"},
	    {WITH_RES("'network':{'priorities':[{'name':'eth0'}]}"),
	     "config.json: linux.resources.network.priorities[0].priority: required field is "
	     "missing"},
	    {WITH_RES("'rdma':{'mlx':{'hcaHandles':'x'}}"),
	     "config.json: linux.resources.rdma['mlx'].hcaHandles: expected a non-negative "
	     "integer, got 'x'"},
	    {WITH_RES("'unified':{'memory.max':1}"),
	     "config.json: linux.resources.unified['memory.max']: expected a string, got 1"},
	};
	check_cases(cases, ARRAY_SIZE(cases), parse_config);
}

static void test_seccomp(void **state)
{
	static const struct bad_case cases[] = {
	    {WITH_SECCOMP("'architectures':[]"),
	     "config.json: linux.seccomp.defaultAction: required field is missing"},
	    {WITH_SECCOMP("'defaultAction':'SCMP_ACT_NOPE'"),
	     "config.json: linux.seccomp.defaultAction: unknown seccomp action 'SCMP_ACT_NOPE'"},
	    {WITH_SECCOMP("'defaultAction':'SCMP_ACT_NOTIFY','listenerPath':'/s'"),
	     "config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default "
	     "action"},
	    {WITH_SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_Z80']"),
	     "config.json: linux.seccomp.architectures[0]: unknown seccomp architecture "
	     "'SCMP_ARCH_Z80'"},
	    {WITH_SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_X']"),
	     "config.json: linux.seccomp.flags[0]: unknown seccomp flag 'SECCOMP_FILTER_FLAG_X'"},
	    {WITH_SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],"
			  "'action':'SCMP_ACT_ERRNO'}]"),
	     "config.json: linux.seccomp.syscalls[0].names: must not be empty"},
	    {WITH_SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[''],"
			  "'action':'SCMP_ACT_ERRNO'}]"),
	     "config.json: linux.seccomp.syscalls[0].names[0]: must not be empty"},
	    {WITH_SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read']}]"),
	     "config.json: linux.seccomp.syscalls[0].action: required field is missing"},
	    {WITH_SECCOMP(
		 "'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
		 "'action':'SCMP_ACT_ERRNO','args':[{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]"),
	     "config.json: linux.seccomp.syscalls[0].args[0].index: 6 is out of range (maximum 5)"},
	    {WITH_SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
			  "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':'EQ'}]}]"),
	     "config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator 'EQ'"},
	    {WITH_SECCOMP(
		 "'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],"
		 "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':-1,'op':'SCMP_CMP_EQ'}]}]"),
	     "config.json: linux.seccomp.syscalls[0].args[0].value: expected a non-negative "
	     "integer, got -1"},
	    {WITH_SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mount'],"
			  "'action':'SCMP_ACT_NOTIFY'}]"),
	     "config.json: linux.seccomp: listenerPath is required when a rule uses "
	     "SCMP_ACT_NOTIFY"},
	    {WITH_SECCOMP("'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'run/x.sock'"),
	     "config.json: linux.seccomp.listenerPath: must be an absolute path, got 'run/x.sock'"},
	    {WITH_SECCOMP("'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':4294967296"),
	     "config.json: linux.seccomp.defaultErrnoRet: 4294967296 is out of range (maximum "
	     "4294967295)"},
	};
	check_cases(cases, ARRAY_SIZE(cases), parse_config);
}

static int parse_resources(const char *json, size_t len, const char *src, char **msg)
{
	struct husk_err *err = NULL;
	struct oci_resources *r = NULL;
	if (oci_resources_parse(json, len, "resources.json", &r, &err) == 0) {
		oci_resources_free(r);
		return 0;
	}
	assert_null(r);
	*msg = xstrdup(err->msg);
	husk_err_free(&err);
	return -1;
}

static int parse_process(const char *json, size_t len, const char *src, char **msg)
{
	struct husk_err *err = NULL;
	struct oci_process *p = NULL;
	if (oci_process_parse(json, len, "process.json", &p, &err) == 0) {
		oci_process_free(p);
		return 0;
	}
	assert_null(p);
	*msg = xstrdup(err->msg);
	husk_err_free(&err);
	return -1;
}

/* The standalone documents report paths from their own root. */
static void test_standalone_documents(void **state)
{
	static const struct bad_case res[] = {
	    {"{'memory':{'limit':1.5}}",
	     "resources.json: memory.limit: expected an integer, got 1.5"},
	    {"{'cpu':", "resources.json: invalid JSON: premature EOF (near byte 7)"},
	    {"[]", "resources.json: expected an object, got an array"},
	};
	check_cases(res, ARRAY_SIZE(res), parse_resources);
	static const struct bad_case proc[] = {
	    {"{'args':['sh'],'cwd':'x','user':{'uid':0,'gid':0}}",
	     "process.json: cwd: must be an absolute path, got 'x'"},
	    {"{'args':['sh'],'cwd':'/','user':{'uid':0,'gid':'0'}}",
	     "process.json: user.gid: expected a non-negative integer, got '0'"},
	    {"{'args':['sh'],'cwd':'/','user':{'uid':0,'gid':0},'rlimits':[{'type':'RLIMIT_X',"
	     "'soft':1,'hard':1}]}",
	     "process.json: rlimits[0].type: unknown rlimit type 'RLIMIT_X'"},
	};
	check_cases(proc, ARRAY_SIZE(proc), parse_process);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_top_level),
	    cmocka_unit_test(test_mounts),
	    cmocka_unit_test(test_process),
	    cmocka_unit_test(test_hooks),
	    cmocka_unit_test(test_linux),
	    cmocka_unit_test(test_resources),
	    cmocka_unit_test(test_seccomp),
	    cmocka_unit_test(test_standalone_documents),
	};
	return cmocka_run_group_tests_name("oci_errors", tests, NULL, NULL);
}
