/* The programs as a user runs them (the ASan build of hvboot-host). */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define HOST "build/hvboot-host-asan"

/* Runs cmd, returns its exit status; its stdout+stderr go to *out. */
static int run(const char *cmd, char *out, size_t len)
{
	char full[512];
	FILE *p;
	size_t n;
	int st;

	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	p = popen(full, "r");
	CHECK(p != NULL);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	CHECK(f != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

TEST(cli_inventory_with_trace)
{
	static char out[1 << 16];
	char trace[] = "/tmp/hvboot-trace-XXXXXX", cmd[256];
	const char *t;
	int fd = mkstemp(trace);

	if (access(HOST, X_OK) != 0)
		test_skip(HOST " is not built (run make test)");
	CHECK(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), HOST " --trace %s inventory", trace);
	CHECK_EQ(run(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "VMBus 6.0 (COPPER), message connection 1, 8 offer(s)"));
	CHECK(strstr(out, "Synthetic SCSI controller"));
	CHECK(strstr(out, "audit: clean"));
	t = slurp(trace);
	unlink(trace);
	/* the whole conversation, in order */
	const char *order[] = { "msg g2h conn=4 type=14 INITIATE_CONTACT len=40 0e000000",
				"msg h2g conn=1 type=15 VERSION_RESPONSE len=20 0f000000",
				"msg g2h conn=1 type=3 REQUESTOFFERS len=8 0300000000000000",
				"msg h2g conn=1 type=1 OFFERCHANNEL len=196 01000000",
				"msg h2g conn=1 type=4 ALLOFFERS_DELIVERED len=8 0400000000000000",
				"msg g2h conn=1 type=16 UNLOAD len=8 1000000000000000",
				"msg h2g conn=1 type=17 UNLOAD_RESPONSE len=8 1100000000000000" };
	const char *p = t;
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		p = strstr(p, order[i]);
		CHECK_MSG(p != NULL, "trace lacks, or has out of order: %s", order[i]);
	}
}

TEST(cli_inventory_old_host)
{
	static char out[1 << 16];

	if (access(HOST, X_OK) != 0)
		test_skip(HOST " is not built (run make test)");
	CHECK_EQ(run(HOST " --vmbus-max 2.4 --devices storvsc,netvsc inventory", out, sizeof(out)),
		 0);
	CHECK(strstr(out, "VMBus 2.4 (WIN8), message connection 1, 2 offer(s)"));
	CHECK(strstr(out, "audit: clean"));
}

TEST(cli_inventory_threaded)
{
	static char out[1 << 16];

	if (access(HOST, X_OK) != 0)
		test_skip(HOST " is not built (run make test)");
	CHECK_EQ(run(HOST " --threaded --devices storvsc,heartbeat*20 inventory", out, sizeof(out)),
		 0);
	CHECK(strstr(out, "21 offer(s)"));
	CHECK(strstr(out, "audit: clean"));
}

TEST(cli_bad_arguments)
{
	static char out[4096];

	if (access(HOST, X_OK) != 0)
		test_skip(HOST " is not built (run make test)");
	CHECK_EQ(run(HOST " --vmbus-max 9.9 inventory", out, sizeof(out)), 2);
	CHECK(strstr(out, "unknown VMBus version '9.9'"));
	CHECK_EQ(run(HOST " --devices floppy inventory", out, sizeof(out)), 2);
	CHECK(strstr(out, "unknown device class 'floppy'"));
	CHECK_EQ(run(HOST " frobnicate", out, sizeof(out)), 2);
	CHECK(strstr(out, "usage: hvboot-host"));
}
