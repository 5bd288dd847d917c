/* The fuzz targets, briefly, on their corpora (make fuzz runs them long). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static void run_target(const char *name, unsigned runs)
{
	char bin[128], work[] = "/tmp/hvboot-fuzz-XXXXXX", cmd[512];
	int st;

	snprintf(bin, sizeof(bin), "build/%s", name);
	if (access(bin, X_OK) != 0)
		test_skip("the fuzz targets need clang and libclang-rt-14-dev (make deps)");
	CHECK(mkdtemp(work) != NULL);
	snprintf(cmd, sizeof(cmd),
		 "%s %s tests/fuzz/corpus/%s -runs=%u -seed=1 >%s/log 2>&1 || (tail -40 %s/log; exit 1)",
		 bin, work, name, runs, work, work);
	st = system(cmd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", work);
	CHECK_EQ(system(cmd), 0);
	CHECK_MSG(st == 0, "%s found a crash (see above)", name);
}

TEST(fuzz_ring_briefly)
{
	run_target("fuzz_ring", 200000);
}

TEST(fuzz_chanmsg_briefly)
{
	run_target("fuzz_chanmsg", 50000);
}

TEST(fuzz_gpt_briefly)
{
	run_target("fuzz_gpt", 10000);
}

TEST(fuzz_fat_briefly)
{
	run_target("fuzz_fat", 50000);
}

TEST(fuzz_storvsc_briefly)
{
	run_target("fuzz_storvsc", 100000);
}

TEST(fuzz_netvsc_rx_briefly)
{
	run_target("fuzz_netvsc_rx", 100000);
}

TEST(fuzz_tftp_briefly)
{
	run_target("fuzz_tftp", 100000);
}

TEST(fuzz_http_briefly)
{
	run_target("fuzz_http", 50000);
}

TEST(fuzz_dhcp_briefly)
{
	run_target("fuzz_dhcp", 100000);
}

TEST(fuzz_linux_briefly)
{
	run_target("fuzz_linux", 50000);
}

TEST(fuzz_bridge_reply_briefly)
{
	run_target("fuzz_bridge_reply", 20000);
}

/* Each run is a whole hvsim with its threads: a few hundred a second. */
TEST(fuzz_bridge_server_briefly)
{
	run_target("fuzz_bridge_server", 2000);
}

TEST(fuzz_config_briefly)
{
	run_target("fuzz_config", 100000);
}
