/* read/write: N one-byte write()+read() pairs on a pipe, one thread (default 200,000). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	int fd[2];
	char c = 'x';

	if (pipe(fd)) {
		perror("pipe");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		if (write(fd[1], &c, 1) != 1 || read(fd[0], &c, 1) != 1) {
			perror("rw");
			return 1;
		}
	}
	return 0;
}
