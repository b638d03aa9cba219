#include "runtime/signals.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

static const struct {
	const char *name;
	int sig;
} signal_table[] = {
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},	 {"CHLD", SIGCHLD},
    {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},	 {"HUP", SIGHUP},
    {"ILL", SIGILL},   {"INT", SIGINT},	  {"IO", SIGIO},	 {"IOT", SIGIOT},
    {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},	 {"PROF", SIGPROF},
    {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},	 {"STKFLT", SIGSTKFLT},
    {"STOP", SIGSTOP}, {"SYS", SIGSYS},	  {"TERM", SIGTERM},	 {"TRAP", SIGTRAP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},	 {"URG", SIGURG},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

static int parse_rt(const char *s, int *sig)
{
	int base, sign;
	if (!strncasecmp(s, "RTMIN", 5)) {
		base = SIGRTMIN;
		sign = 1;
	} else if (!strncasecmp(s, "RTMAX", 5)) {
		base = SIGRTMAX;
		sign = -1;
	} else {
		return -1;
	}
	s += 5;
	if (!*s) {
		*sig = base;
		return 0;
	}
	if ((sign > 0 && *s != '+') || (sign < 0 && *s != '-'))
		return -1;
	unsigned long long off;
	if (parse_u64(s + 1, &off) < 0 || off > (unsigned long long)(SIGRTMAX - SIGRTMIN))
		return -1;
	*sig = base + sign * (int)off;
	return 0;
}

int signal_parse(const char *s, int *sig, struct husk_err **err)
{
	unsigned long long n;
	if (!s || !*s)
		return husk_err_set(err, EINVAL, "invalid signal: empty");
	if (parse_u64(s, &n) == 0) {
		/* 0 sends nothing and only checks that the init is alive (kill(2)), as
		 * `runc kill ID 0` does. */
		if (n > (unsigned long long)SIGRTMAX)
			return husk_err_set(err, EINVAL, "invalid signal: %s", s);
		*sig = (int)n;
		return 0;
	}
	const char *name = s;
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++) {
		if (!strcasecmp(name, signal_table[i].name)) {
			*sig = signal_table[i].sig;
			return 0;
		}
	}
	if (parse_rt(name, sig) == 0)
		return 0;
	return husk_err_set(err, EINVAL, "unknown signal \"%s\"", s);
}
