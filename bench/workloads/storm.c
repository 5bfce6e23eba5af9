/* getppid storm: N raw getppid() syscalls from one thread (default 2,000,000). */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	long sum = 0;

	for (long i = 0; i < n; i++)
		sum += syscall(SYS_getppid);
	return sum == 0 && n > 0; /* keep the loop; getppid() is never 0 here */
}
