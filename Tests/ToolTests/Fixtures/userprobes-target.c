/* The traced program: calls probed() and fires the USDT probe test:tick argv[1] times, once
 * its standard input says the probes are attached. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/sdt.h>

__attribute__((noinline)) long probed(long x)
{
	__asm__ volatile("" ::: "memory");
	return x * 2;
}

int main(int argc, char **argv)
{
	long n = atol(argv[1]), sum = 0;
	getchar();
	for (long i = 1; i <= n; i++) {
		sum += probed(i);
		DTRACE_PROBE1(test, tick, i);
	}
	printf("%ld\n", sum);
	return 0;
}
