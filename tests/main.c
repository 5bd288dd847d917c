/* The test runner: runs every registered test (or those whose name contains
 * argv[1]) in a child process and ends with "N passed, N failed[, N skipped]". */
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define MAX_TESTS 512
#define TEST_TIME_LIMIT 120 /* seconds per test */
#define EXIT_SKIP 77

static struct {
	const char *name;
	test_fn fn;
} tests[MAX_TESTS];
static unsigned ntests;

void test_register(const char *name, test_fn fn)
{
	if (ntests < MAX_TESTS)
		tests[ntests++] = (typeof(tests[0])){ name, fn };
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(NULL);
	_exit(1);
}

void test_skip(const char *reason)
{
	printf("    skipped: %s\n", reason);
	fflush(NULL);
	_exit(EXIT_SKIP);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(((const typeof(tests[0]) *)a)->name, ((const typeof(tests[0]) *)b)->name);
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0, skipped = 0;
	bool in_ci = getenv("CI") && strcmp(getenv("CI"), "true") == 0;

	qsort(tests, ntests, sizeof(tests[0]), cmp);
	for (unsigned i = 0; i < ntests; i++) {
		struct timespec t0, t1;
		int status;
		pid_t pid;

		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		fflush(NULL);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		pid = fork();
		if (pid == 0) {
			alarm(TEST_TIME_LIMIT);
			tests[i].fn();
			fflush(NULL);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			passed++;
			printf("ok   %s (%.0f ms)\n", tests[i].name, ms);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP && !in_ci) {
			skipped++;
			printf("skip %s\n", tests[i].name);
		} else {
			failed++;
			if (WIFSIGNALED(status))
				printf("FAIL %s (signal %d%s)\n", tests[i].name, WTERMSIG(status),
				       WTERMSIG(status) == SIGALRM ? ": time limit" : "");
			else if (WEXITSTATUS(status) == EXIT_SKIP)
				printf("FAIL %s (skipped, but nothing may skip in CI)\n", tests[i].name);
			else
				printf("FAIL %s\n", tests[i].name);
		}
		fflush(stdout);
	}
	if (skipped)
		printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
	else
		printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
