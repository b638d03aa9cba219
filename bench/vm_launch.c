/* Launch a command with HUSK_VM_T0 set to CLOCK_MONOTONIC (ns) taken just
 * before execve, so `husk vm boot --trace` can report the time from process
 * start (exec, dynamic loading, setup) to the first KVM_RUN. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: vm_launch CMD [ARG...]\n");
		return 2;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	char t0[32];
	snprintf(t0, sizeof(t0), "%llu",
		 (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec);
	setenv("HUSK_VM_T0", t0, 1);
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
