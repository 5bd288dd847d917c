/* The programs as a user runs them (the ASan build of hvboot-host). */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "netsrv.h"

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
	static char buf[8 << 20];
	FILE *f = fopen(path, "r");
	size_t n;

	CHECK(f != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Runs hvboot-host with a trace file and the given arguments; checks it
 * exits 0; returns the trace, with the output in out. */
static const char *run_traced(const char *args, char *out, size_t len)
{
	char trace[] = "/tmp/hvboot-trace-XXXXXX", cmd[256];
	const char *t;
	int fd = mkstemp(trace);

	if (access(HOST, X_OK) != 0)
		test_skip(HOST " is not built (run make test)");
	CHECK(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), HOST " --trace %s %s", trace, args);
	CHECK_EQ(run(cmd, out, len), 0);
	t = slurp(trace);
	unlink(trace);
	return t;
}

/* Each needle appears, in this order. */
static void check_order(const char *t, const char *const *order, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		t = strstr(t, order[i]);
		CHECK_MSG(t != NULL, "trace lacks, or has out of order: %s", order[i]);
	}
}

TEST(cli_inventory_with_trace)
{
	static char out[1 << 16];
	const char *t = run_traced("inventory", out, sizeof(out));

	CHECK(strstr(out, "VMBus 6.0 (COPPER), message connection 1, 8 offer(s)"));
	CHECK(strstr(out, "Synthetic SCSI controller"));
	CHECK(strstr(out, "audit: clean"));
	/* the whole conversation, in order */
	const char *order[] = { "msg g2h conn=4 type=14 INITIATE_CONTACT len=40 0e000000",
				"msg h2g conn=1 type=15 VERSION_RESPONSE len=20 0f000000",
				"msg g2h conn=1 type=3 REQUESTOFFERS len=8 0300000000000000",
				"msg h2g conn=1 type=1 OFFERCHANNEL len=196 01000000",
				"msg h2g conn=1 type=4 ALLOFFERS_DELIVERED len=8 0400000000000000",
				"msg g2h conn=1 type=16 UNLOAD len=8 1000000000000000",
				"msg h2g conn=1 type=17 UNLOAD_RESPONSE len=8 1100000000000000" };
	check_order(t, order, sizeof(order) / sizeof(order[0]));
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

/* With a network the inventory has the NIC's row and, right under it, the
 * DHCP lease's (slirp's: 10.0.2.15/24, everything else at 10.0.2.2). */
TEST(cli_inventory_shows_the_lease)
{
	static char out[1 << 16];
	const char *nic, *lease;

	if (access(HOST, X_OK) != 0)
		test_skip(HOST " is not built (run make test)");
	CHECK_EQ(run(HOST " --devices netvsc --net slirp,bootfile=boot/vmlinuz inventory 2>/dev/null",
		     out, sizeof(out)), 0);
	nic = strstr(out, "netvsc1  00:15:5d:00:00:01  MTU 1500  link up  NVSP 6.1");
	CHECK_MSG(nic != NULL, "%s", out);
	lease = strstr(out, "\nnetvsc1  lease 10.0.2.15/24  router 10.0.2.2  dns 10.0.2.3  "
			    "server 10.0.2.2  next-server 10.0.2.2  tftp-server -  bootfile "
			    "boot/vmlinuz\n");
	CHECK_MSG(lease != NULL, "%s", out);
	CHECK_MSG(strchr(nic, '\n') == lease, "the lease row does not follow the NIC row:\n%s", out);
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

TEST(cli_hvsim_describes_the_network)
{
	static char out[1 << 16];

	if (access("build/hvsim", X_OK) != 0)
		test_skip("build/hvsim is not built (run make test)");
	CHECK_EQ(run("build/hvsim --net loop --describe", out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "Network: netvsc relid 2, MAC 00:15:5d:00:00:01, NVSP up to 0x60001, "
			      "backend loop"), "%s", out);
	CHECK_EQ(run("build/hvsim --net bogus --describe", out, sizeof(out)), 2);
	CHECK(strstr(out, "unknown network backend 'bogus'"));
	CHECK_EQ(run("build/hvsim --devices storvsc --net loop --describe", out, sizeof(out)), 2);
	CHECK(strstr(out, "no netvsc device is offered"));
}

TEST(cli_echo_with_trace)
{
	static char out[1 << 16];
	const char *t = run_traced("--packets 300 echo", out, sizeof(out));

	CHECK(strstr(out, "echo: 300 round trips"));
	CHECK(strstr(out, "data intact"));
	CHECK(strstr(out, "audit: clean"));
	CHECK(strstr(t, "pkt g2h relid="));
	CHECK(strstr(t, " type=6 flags=1 "));
	CHECK(strstr(t, "pkt h2g relid="));
	CHECK(strstr(t, " type=11 flags=0 "));
	CHECK(strstr(t, " type=9 ")); /* the GPA-direct DMA */
	const char *order[] = { "GPADL_HEADER", "GPADL_CREATED", "OPENCHANNEL ", "OPENCHANNEL_RESULT",
				"pkt g2h", "CLOSECHANNEL", "GPADL_TEARDOWN", "GPADL_TORNDOWN",
				"UNLOAD ", "UNLOAD_RESPONSE" };
	check_order(t, order, sizeof(order) / sizeof(order[0]));
}

/* A GPT disk with a FAT32 ESP holding /boot/vmlinuz (3 MiB + 7 random
 * bytes); returns the work directory. */
static const char *make_boot_disk(void)
{
	static char dir[] = "/tmp/hvboot-load-XXXXXX";
	char cmd[512];

	if (access(HOST, X_OK) != 0)
		test_skip(HOST " is not built (run make test)");
	if (system("command -v sgdisk mkfs.vfat mcopy >/dev/null 2>&1") != 0)
		test_skip("needs sgdisk, mkfs.vfat and mcopy (make deps)");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && head -c 3145735 /dev/urandom > vmlinuz && "
		 "%s/scripts/mkdisk.sh disk.img 64 vmlinuz:/boot/vmlinuz && "
		 "sha256sum vmlinuz | cut -c1-64 > sum",
		 dir, getenv("PWD") ? getenv("PWD") : ".");
	CHECK_EQ(system(cmd), 0);
	return dir;
}

TEST(cli_load_from_disk)
{
	static char out[1 << 16], cmd[1024];
	const char *dir = make_boot_disk();
	char *sum;

	snprintf(cmd, sizeof(cmd), HOST " --disk %s/disk.img load scsi:0/boot/vmlinuz %s/k", dir, dir);
	CHECK_EQ(run(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "from scsi:0 partition 1 (EFI system): 3145735 bytes"));
	CHECK(strstr(out, "audit: clean"));
	snprintf(cmd, sizeof(cmd), "cmp %s/vmlinuz %s/k", dir, dir);
	CHECK_EQ(system(cmd), 0);
	/* the printed digest is sha256sum's */
	snprintf(cmd, sizeof(cmd), "%s/sum", dir);
	sum = slurp(cmd);
	sum[64] = '\0';
	CHECK(strstr(out, sum));
	/* an expected digest that matches, and one that does not */
	snprintf(cmd, sizeof(cmd), HOST " --disk %s/disk.img load 'scsi:0/boot/vmlinuz#sha256=%s' %s/k2",
		 dir, sum, dir);
	CHECK_EQ(run(cmd, out, sizeof(out)), 0);
	snprintf(cmd, sizeof(cmd), HOST " --disk %s/disk.img load 'scsi:0/boot/vmlinuz#sha256=%064d' %s/k3",
		 dir, 0, dir);
	CHECK_EQ(run(cmd, out, sizeof(out)), 1);
	CHECK(strstr(out, "SHA-256 is"));
	CHECK(strstr(out, "expected 0000000000000000"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

TEST(cli_load_errors_and_raw_blocks)
{
	static char out[1 << 16], cmd[1024];
	const char *dir = make_boot_disk();

	snprintf(cmd, sizeof(cmd), HOST " --disk %s/disk.img load scsi:0/boot/nothere %s/x", dir, dir);
	CHECK_EQ(run(cmd, out, sizeof(out)), 1);
	CHECK(strstr(out, "no FAT partition on scsi:0 holds /boot/nothere"));
	snprintf(cmd, sizeof(cmd), HOST " --disk %s/disk.img load scsi:3/boot/vmlinuz %s/x", dir, dir);
	CHECK_EQ(run(cmd, out, sizeof(out)), 1);
	CHECK(strstr(out, "there is no SCSI LUN 3"));
	snprintf(cmd, sizeof(cmd), HOST " --disk %s/disk.img load scsi:zero/x %s/x", dir, dir);
	CHECK_EQ(run(cmd, out, sizeof(out)), 1);
	/* raw: the protective MBR in block 0 */
	snprintf(cmd, sizeof(cmd), HOST " --disk %s/disk.img load scsi:0@0+1 %s/mbr", dir, dir);
	CHECK_EQ(run(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "512 bytes"));
	snprintf(cmd, sizeof(cmd), "cmp -n 512 %s/disk.img %s/mbr", dir, dir);
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

/* The README's network promise: a file served on this machine, loaded over
 * netvsc, lwIP and slirp's NAT at 10.0.2.2; and one from slirp's TFTP. */
TEST(cli_load_over_the_network)
{
	static char out[1 << 16], cmd[1024];
	static char dir[] = "/tmp/hvboot-net-XXXXXX";
	struct netsrv httpd;
	int rc;

	if (access(HOST, X_OK) != 0)
		test_skip(HOST " is not built (run make test)");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(cmd, sizeof(cmd), "head -c 2000001 /dev/urandom > %s/f.bin", dir);
	CHECK_EQ(system(cmd), 0);
	httpd_start(&httpd, dir);
	snprintf(cmd, sizeof(cmd), HOST " --net slirp load http://10.0.2.2:%u/f/f.bin %s/h", httpd.port,
		 dir);
	rc = run(cmd, out, sizeof(out));
	netsrv_stop(&httpd);
	CHECK_MSG(rc == 0, "%s", out);
	CHECK(strstr(out, ": 2000001 bytes in"));
	CHECK(strstr(out, "audit: clean"));
	snprintf(cmd, sizeof(cmd), "cmp %s/f.bin %s/h", dir, dir);
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), HOST " --net slirp,tftp=%s load tftp://10.0.2.2/f.bin %s/t", dir, dir);
	CHECK_EQ(run(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "audit: clean"));
	snprintf(cmd, sizeof(cmd), "cmp %s/f.bin %s/t", dir, dir);
	CHECK_EQ(system(cmd), 0);
	/* without a network the user is told what to add */
	CHECK_EQ(run(HOST " load http://10.0.2.2/x /tmp/x", out, sizeof(out)), 2);
	CHECK(strstr(out, "give the NIC a network with --net slirp"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}
