/*
 * timeit OUT CMD [ARGS...]: run CMD, write its wall time in ns (CLOCK_MONOTONIC,
 * fork to reap) to the file OUT, exit with CMD's status. Lets the benchmark time
 * the workload alone, without a tracer's start-up and tear-down.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long long t0, t1;
	int status;
	pid_t pid;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: timeit OUT CMD [ARGS...]\n");
		return 127;
	}
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		return 127;
	}
	t1 = now_ns();
	f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%lld\n", t1 - t0) < 0 || fclose(f)) {
		perror(argv[1]);
		return 127;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
