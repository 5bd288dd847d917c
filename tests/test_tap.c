/* hvsim's tap backend on a real L2 segment: the whole guest path (VMBus,
 * netvsc, lwIP, our DHCP, TFTP and HTTP clients) against real servers on
 * the host end of a TAP interface: dnsmasq for DHCP and TFTP, our HTTP
 * server (netsrv) for HTTP. Each test runs in a network namespace of its
 * own (the harness forks one process per test), so nothing collides with
 * the machine's interfaces, a dnsmasq service or another test, and the
 * interface and every address go away with the test.
 *
 * The order matters: hvsim's tap backend only attaches to an interface
 * that exists (it never creates devices), and dnsmasq 2.90 with
 * --bind-interfaces exits with "unknown interface hvbtap0" both when the
 * interface does not exist and when it has no IPv4 address yet. So the
 * test creates a persistent TAP interface (IFF_TAP | IFF_NO_PI, as the
 * backend attaches), gives it 10.77.0.1/24 and brings it up (it has no
 * carrier until hvsim attaches; dnsmasq binds to it anyway), starts
 * dnsmasq, waits until its TFTP server answers, and only then starts the
 * simulated host and the guest.
 *
 * hvsim runs threaded here, on the wall clock: stepped, its clock is
 * virtual (100 us per idle step, some 30 to 100 times faster than real
 * time), and against servers that answer in real time the guest's
 * timeouts would shrink by as much (a 1 s TFTP retransmission in 10-30
 * ms): flaky on a busy machine. The price: the idle host thread sleeps up
 * to 1 ms between looks at the TAP interface, so lock-step TFTP takes
 * about 1 ms a block (stepped mode polls it without pause). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/sha256.h"
#include "../lib/util.h"
#include "../net/url.h"
#include "../vmbus/devclass.h"
#include "../vsc/netvsc.h"
#include "fixture.h"
#include "netfix.h"
#include "netns.h"

#define TAP_IF "hvbtap0"
#define HOST_IP 0x0a4d0001u   /* 10.77.0.1: the host end, dnsmasq, the HTTP server */
#define MASK 0xffffff00u
#define POOL_FIRST 0x0a4d0032u /* 10.77.0.50 */
#define POOL_LAST 0x0a4d0096u  /* 10.77.0.150 */
#define NOBODY_IP 0x0a4d0009u  /* 10.77.0.9: in the subnet, nobody there */
#define GUEST_MAC "00:15:5d:00:00:01" /* hvsim's default */
#define READY_MS 5000          /* dnsmasq's TFTP server answers within this */

struct tfx {
	struct fx f;
	struct netvsc nv;
	struct net_stack *s;
	struct net_config cfg;
	uint64_t rng;
	char dir[64];          /* TFTP root; dnsmasq's log, leases and pid file */
	pid_t dnsmasq;
	struct netsrv httpd;
};

static const char *dnsmasq_path(void)
{
	static const char *const where[] = { "/usr/sbin/dnsmasq", "/sbin/dnsmasq",
					     "/usr/local/sbin/dnsmasq", "/usr/bin/dnsmasq" };

	for (size_t i = 0; i < ARRAY_SIZE(where); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

/* Skips (one line, why) unless this can run; then the namespace and the
 * interface, and the directory dnsmasq serves. */
static void setup(struct tfx *t)
{
	const char *why;

	memset(t, 0, sizeof(*t));
	if (geteuid() != 0)
		test_skip("needs root (a network namespace, a TAP interface, dnsmasq on ports 67 and 69)");
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		test_skip("/dev/net/tun is missing: no TUN/TAP support here");
	if (!dnsmasq_path())
		test_skip("needs dnsmasq (make deps installs dnsmasq-base)");
	why = netns_enter();
	if (why)
		test_skip(why);
	CHECK_EQ(netns_tap_create(TAP_IF), 0);
	CHECK_EQ(netns_if_addr(TAP_IF, HOST_IP, MASK), 0);
	CHECK_EQ(netns_if_up(TAP_IF), 0);
	strcpy(t->dir, "/tmp/hvboot-tap-XXXXXX");
	CHECK(mkdtemp(t->dir) != NULL);
	CHECK(chmod(t->dir, 0755) == 0);
}

/* A file to serve. dnsmasq running as root serves only world-readable
 * files (others get ERROR 2 "cannot access PATH: Permission denied"), so
 * 0644 whatever the umask. */
static void put_file(struct tfx *t, const char *name, const void *data, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	CHECK(fchmod(fd, 0644) == 0);
	CHECK(len == 0 || write(fd, data, len) == (ssize_t)len);
	CHECK(close(fd) == 0);
}

static char *read_text(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static const char *dnsmasq_log(struct tfx *t)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/dnsmasq.log", t->dir);
	return read_text(path);
}

/* One TFTP read request for a file that is not there: an ERROR back means
 * dnsmasq is in its main loop, its DHCP socket bound too (every socket is
 * set up before the loop). The probe comes from this namespace and
 * arrives over lo, not the TAP interface; with --bind-interfaces dnsmasq's
 * TFTP socket is bound to 10.77.0.1 and answers it all the same. */
static bool tftp_answers(int fd)
{
	static const uint8_t rrq[] = "\0\1hvboot-ready-probe\0octet";
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(69),
				  .sin_addr.s_addr = htonl(HOST_IP) };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t b[600];

	if (sendto(fd, rrq, sizeof(rrq), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return false;
	if (poll(&p, 1, 50) != 1)
		return false;
	return recv(fd, b, sizeof(b), 0) >= 4 && b[0] == 0 && b[1] == 5;
}

/* dnsmasq as a child of the test, with `extra` options (NULL-terminated),
 * waited for with a bound. What the options are for:
 *   --keep-in-foreground   no fork (its pid is ours to stop); unlike
 *                          --no-daemon it still writes the pid file and
 *                          handles DHCP as in production
 *   --conf-file=/dev/null  not /etc/dnsmasq.conf and its conf-dir
 *   --port=0               no DNS: nothing on port 53
 *   --bind-interfaces, --interface
 *                          only the TAP interface (and it must exist)
 *   --no-ping              it would otherwise ping each address before
 *                          offering it and wait for silence (seconds);
 *                          nobody else is in this namespace
 *   --user, --group=root   it stays root (not its default dnsmasq/dip), so
 *                          the test's directory need not be opened to
 *                          another account (but see put_file)
 *   --dhcp-leasefile, --pid-file
 *                          in the test's directory, not /var/lib/misc or
 *                          /run/dnsmasq (which may not exist)
 *   --log-facility=-       stderr (into dnsmasq.log here), not syslog */
static void dnsmasq_start(struct tfx *t, const char *const *extra)
{
	char range[80], root[96], leases[96], pidf[96], logp[96];
	const char *argv[40];
	unsigned n = 0;
	pid_t parent = getpid();
	int fd, probe;

	snprintf(range, sizeof(range), "--dhcp-range=10.77.0.50,10.77.0.150,255.255.255.0,1h");
	snprintf(root, sizeof(root), "--tftp-root=%s", t->dir);
	snprintf(leases, sizeof(leases), "--dhcp-leasefile=%s/leases", t->dir);
	snprintf(pidf, sizeof(pidf), "--pid-file=%s/dnsmasq.pid", t->dir);
	snprintf(logp, sizeof(logp), "%s/dnsmasq.log", t->dir);
	argv[n++] = "dnsmasq";
	argv[n++] = "--keep-in-foreground";
	argv[n++] = "--conf-file=/dev/null";
	argv[n++] = "--log-facility=-";
	argv[n++] = "--log-dhcp";
	argv[n++] = "--port=0";
	argv[n++] = "--bind-interfaces";
	argv[n++] = "--interface=" TAP_IF;
	argv[n++] = "--no-ping";
	argv[n++] = "--user=root";
	argv[n++] = "--group=root";
	argv[n++] = range;
	argv[n++] = leases;
	argv[n++] = pidf;
	argv[n++] = "--enable-tftp";
	argv[n++] = root;
	for (; extra && *extra && n < ARRAY_SIZE(argv) - 1; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;

	fflush(NULL);
	t->dnsmasq = fork();
	CHECK(t->dnsmasq >= 0);
	if (t->dnsmasq == 0) {
		/* Dies with the test, whatever ends it (a CHECK, the time limit). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execv(dnsmasq_path(), (char *const *)argv);
		_exit(127);
	}
	probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(probe >= 0);
	for (unsigned waited = 0;; waited += 50) {
		int st;

		if (waitpid(t->dnsmasq, &st, WNOHANG) == t->dnsmasq) {
			t->dnsmasq = 0;
			CHECK_MSG(false, "dnsmasq exited (status %#x) before it served:\n%s", st,
				  dnsmasq_log(t));
		}
		if (tftp_answers(probe))
			break;
		CHECK_MSG(waited < READY_MS, "dnsmasq's TFTP server did not answer within %u ms:\n%s",
			  READY_MS, dnsmasq_log(t));
	}
	close(probe);
}

/* SIGTERM, and its exit within a bound (it exits 0 on SIGTERM). */
static void dnsmasq_stop(struct tfx *t)
{
	int st = 0;

	if (t->dnsmasq <= 0)
		return;
	kill(t->dnsmasq, SIGTERM);
	for (unsigned waited = 0; waitpid(t->dnsmasq, &st, WNOHANG) != t->dnsmasq; waited += 10) {
		if (waited >= 3000) {
			kill(t->dnsmasq, SIGKILL);
			waitpid(t->dnsmasq, &st, 0);
			CHECK_MSG(false, "dnsmasq ignored SIGTERM for 3 s");
		}
		usleep(10000);
	}
	t->dnsmasq = 0;
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "dnsmasq ended with status %#x:\n%s", st,
		  dnsmasq_log(t));
}

static uint64_t now_ms(void *ctx)
{
	return hv_time(ctx) / HV_TICKS_PER_MS;
}

static uint32_t next_random(void *ctx)
{
	uint64_t *s = ctx;
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return (uint32_t)((z ^ (z >> 31)) >> 16);
}

/* The simulated host with the NIC on the TAP interface, the guest's VMBus
 * and netvsc, and the network stack on netvsc's link, as hvboot-host runs
 * them. */
static void guest_start(struct tfx *t, const struct net_params *p)
{
	struct vmbus_offer *nic = NULL;
	int rc;

	fx_config(&t->f);
	t->f.cfg.devices = "netvsc";
	t->f.cfg.net = "tap:" TAP_IF;
	t->f.cfg.threaded = true;
	t->f.cfg.mem_mib = 128;
	fx_start(&t->f);
	fx_connect(&t->f);
	for (unsigned i = 0; i < t->f.vb.noffers; i++)
		if (vmbus_devclass_by_guid(&t->f.vb.offers[i].type) == vmbus_devclass_by_key("netvsc"))
			nic = &t->f.vb.offers[i];
	CHECK(nic != NULL);
	rc = netvsc_attach(&t->nv, &t->f.vb, nic, NULL);
	if (rc)
		log_dump();
	CHECK_EQ(rc, 0);
	t->rng = 0x7461702d74657374u;
	t->cfg.link = netvsc_link(&t->nv);
	t->cfg.clock = (struct net_clock){ now_ms, &t->f.hv };
	t->cfg.random = (struct net_random){ next_random, &t->rng };
	if (p)
		t->cfg.params = *p;
	t->s = net_open(&t->cfg);
	CHECK(t->s != NULL);
}

/* lwIP's pools all back, the NIC and VMBus torn down, no violations, a
 * clean audit; then the servers stopped and the directory removed. */
static void finish(struct tfx *t)
{
	char audit[512], cmd[128];

	nfx_stack_check_pools(t->s);
	net_close(t->s);
	CHECK_EQ(netvsc_detach(&t->nv), 0);
	CHECK_EQ(vmbus_shutdown(&t->f.vb), 0);
	hv_teardown(&t->f.hv);
	fx_no_violations(&t->f);
	CHECK_MSG(hvsim_audit(t->f.sim, true, audit, sizeof(audit)), "%s", audit);
	fx_destroy(&t->f);
	dnsmasq_stop(t);
	netsrv_stop(&t->httpd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	CHECK_EQ(system(cmd), 0);
}

static void load_and_compare(struct tfx *t, const char *src, const uint8_t *want, size_t len)
{
	uint8_t *buf, d1[32], d2[32];
	size_t got = 0;
	int rc = nfx_stack_load(t->s, src, len, &buf, &got);

	if (rc)
		fprintf(stderr, "--- dnsmasq ---\n%s", dnsmasq_log(t));
	CHECK_MSG(rc == 0, "%s: %d (%s)", src, rc, net_error(t->s));
	CHECK_MSG(got == len, "%s: got %zu bytes, want %zu", src, got, len);
	CHECK_MSG(len == 0 || memcmp(buf, want, len) == 0, "%s: the bytes differ", src);
	sha256(buf, got, d1);
	sha256(want, len, d2);
	CHECK(memcmp(d1, d2, 32) == 0);
	free(buf);
}

static void dhcp(struct tfx *t, struct net_lease *l)
{
	int rc = net_dhcp(t->s, l);

	if (rc)
		fprintf(stderr, "--- dnsmasq ---\n%s", dnsmasq_log(t));
	CHECK_MSG(rc == 0, "%d: %s", rc, net_error(t->s));
}

/* dnsmasq's lease file names the guest's MAC and address. The file is
 * rewritten after the ACK goes out, so this waits for it (bounded). */
static void check_lease_file(struct tfx *t, uint32_t ip)
{
	char path[128], want[64], addr[16];

	snprintf(path, sizeof(path), "%s/leases", t->dir);
	net_ip_str(ip, addr);
	snprintf(want, sizeof(want), " " GUEST_MAC " %s ", addr);
	for (unsigned waited = 0; !strstr(read_text(path), want); waited += 10) {
		CHECK_MSG(waited < 2000, "dnsmasq's lease file lacks \"%s\":\n%s", want,
			  read_text(path));
		usleep(10000);
	}
}

/* (a) A lease over TAP: an address from the range, dnsmasq as router,
 * DHCP server and boot server (siaddr: its own address, since TFTP is on),
 * the boot file from --dhcp-boot, and dnsmasq agrees. */
TEST(tap_dhcp_lease_from_dnsmasq)
{
	static const char *const opts[] = { "--dhcp-boot=pxe/boot.bin", NULL };
	static struct tfx t;
	struct net_lease l;
	char row[640];

	setup(&t);
	dnsmasq_start(&t, opts);
	guest_start(&t, NULL);
	CHECK(t.nv.link_up);
	dhcp(&t, &l);
	CHECK_MSG(l.ip >= POOL_FIRST && l.ip <= POOL_LAST, "address %#x outside the range", l.ip);
	CHECK_EQ(l.mask, MASK);
	CHECK_EQ(l.gateway, HOST_IP);
	CHECK_EQ(l.server, HOST_IP);
	CHECK_EQ(l.next_server, HOST_IP);
	/* --port=0: dnsmasq offers no DNS server when it is not one. */
	CHECK_EQ(l.dns[0], 0);
	CHECK_MSG(strcmp(l.bootfile, "pxe/boot.bin") == 0, "bootfile \"%s\"", l.bootfile);
	CHECK_MSG(strcmp(l.tftp_server, "") == 0, "tftp_server \"%s\"", l.tftp_server);
	check_lease_file(&t, l.ip);
	net_lease_row(&l, row, sizeof(row));
	CHECK_MSG(strstr(row, "/24  router 10.77.0.1  dns -  server 10.77.0.1  next-server 10.77.0.1"
			      "  tftp-server -  bootfile pxe/boot.bin"), "%s", row);
	finish(&t);
}

/* (b) The `dhcp` source through option 66: dnsmasq sends it (the stack
 * asks for 66 and 67) and it wins over siaddr, which points at an address
 * where nobody answers here: only option 66 can have served the file. */
TEST(tap_dhcp_source_tftp_server_from_option66)
{
	static const char *const opts[] = { "--dhcp-boot=boot/kernel,,10.77.0.9",
					     "--dhcp-option=66,10.77.0.1", NULL };
	static struct tfx t;
	size_t len = 300007;
	uint8_t *data = malloc(len);
	struct net_lease l;

	CHECK(data != NULL);
	nfx_fill(data, len, 21);
	setup(&t);
	{
		char sub[96];

		snprintf(sub, sizeof(sub), "%s/boot", t.dir);
		CHECK(mkdir(sub, 0755) == 0);
	}
	put_file(&t, "boot/kernel", data, len);
	dnsmasq_start(&t, opts);
	guest_start(&t, NULL);
	dhcp(&t, &l);
	CHECK_MSG(strcmp(l.tftp_server, "10.77.0.1") == 0, "tftp_server \"%s\"", l.tftp_server);
	CHECK_MSG(strcmp(l.bootfile, "boot/kernel") == 0, "bootfile \"%s\"", l.bootfile);
	CHECK_EQ(l.next_server, NOBODY_IP);
	load_and_compare(&t, "dhcp", data, len);
	finish(&t);
	free(data);
}

/* (b) The `dhcp` source without option 66: the boot server is siaddr. */
TEST(tap_dhcp_source_tftp_server_from_siaddr)
{
	static const char *const opts[] = { "--dhcp-boot=kernel.img", NULL };
	static struct tfx t;
	size_t len = 200003;
	uint8_t *data = malloc(len);
	struct net_lease l;

	CHECK(data != NULL);
	nfx_fill(data, len, 22);
	setup(&t);
	put_file(&t, "kernel.img", data, len);
	dnsmasq_start(&t, opts);
	guest_start(&t, NULL);
	dhcp(&t, &l);
	CHECK_MSG(strcmp(l.tftp_server, "") == 0, "tftp_server \"%s\"", l.tftp_server);
	CHECK_EQ(l.next_server, HOST_IP);
	load_and_compare(&t, "dhcp", data, len);
	finish(&t);
	free(data);
}

static const size_t sizes[] = { 0, 1, 511, 512, 513, 1024, 1467, 1468, 1469, 3 << 20 };

/* Every size, each file named after it. */
static void tftp_sizes(struct tfx *t, const uint8_t *data)
{
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char name[32], url[64];

		snprintf(name, sizeof(name), "s%zu", sizes[i]);
		snprintf(url, sizeof(url), "tftp://10.77.0.1/%s", name);
		load_and_compare(t, url, data, sizes[i]);
	}
}

/* (c) dnsmasq's TFTP server: it honours blksize (1468 here, the TAP MTU
 * less 32) and tsize but ignores windowsize (2.90: no windowsize in its
 * OACK), so the stack runs lock-step; its errors reach the user. Every
 * size once with the stack's default options and once with 512-byte
 * blocks asked for (the boundaries at 511, 512, 513 then matter). */
TEST(tap_tftp_sizes_from_dnsmasq)
{
	static struct tfx t;
	uint8_t *data = malloc(3 << 20), *buf;
	size_t got = 1;

	CHECK(data != NULL);
	nfx_fill(data, 3 << 20, 23);
	setup(&t);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char name[32];

		snprintf(name, sizeof(name), "s%zu", sizes[i]);
		put_file(&t, name, data, sizes[i]);
	}
	dnsmasq_start(&t, NULL);
	guest_start(&t, NULL);
	tftp_sizes(&t, data);
	CHECK_MSG(log_has("net: tftp://10.77.0.1/s3145728: 3145728 bytes in blocks of 1468, window 1, "
			  "tsize given"), "the agreed options differ; see the log");
	/* A missing file: dnsmasq's message names its own path. */
	CHECK_EQ(nfx_stack_load(t.s, "tftp://10.77.0.1/missing", 100, &buf, &got), -ENOENT);
	CHECK_MSG(strstr(net_error(t.s), "answered with error 1 (file not found): \"file ") &&
		  strstr(net_error(t.s), "/missing not found for 10.77.0."), "%s", net_error(t.s));
	CHECK_EQ(got, 0);
	free(buf);
	/* tsize above the buffer: refused before any data. */
	CHECK_EQ(nfx_stack_load(t.s, "tftp://10.77.0.1/s1469", 1468, &buf, &got), -EFBIG);
	CHECK_MSG(strstr(net_error(t.s), "the file is 1469 bytes, more than the 1468-byte buffer"), "%s",
		  net_error(t.s));
	free(buf);
	/* Again with 512-byte blocks, on a stack opened afresh (a new lease). */
	nfx_stack_check_pools(t.s);
	net_close(t.s);
	t.cfg.params.tftp_blksize = 512;
	t.s = net_open(&t.cfg);
	CHECK(t.s != NULL);
	log_clear();
	tftp_sizes(&t, data);
	CHECK_MSG(log_has("net: tftp://10.77.0.1/s513: 513 bytes in blocks of 512, window 1, tsize "
			  "given"), "the agreed options differ; see the log");
	finish(&t);
	free(data);
}

/* (d) HTTP over TAP from our server bound to the host end: a few MiB, with
 * Content-Length and chunked. */
TEST(tap_http_large_from_netsrv)
{
	static struct tfx t;
	size_t len = 6 << 20;
	uint8_t *data = malloc(len);
	char url[96];

	CHECK(data != NULL);
	nfx_fill(data, len, 24);
	setup(&t);
	put_file(&t, "big", data, len);
	httpd_start_at(&t.httpd, t.dir, HOST_IP);
	dnsmasq_start(&t, NULL);
	guest_start(&t, NULL);
	dhcp(&t, &(struct net_lease){ 0 });
	snprintf(url, sizeof(url), "http://10.77.0.1:%u/f/big", t.httpd.port);
	load_and_compare(&t, url, data, len);
	snprintf(url, sizeof(url), "http://10.77.0.1:%u/chunked/big", t.httpd.port);
	load_and_compare(&t, url, data, len);
	finish(&t);
	free(data);
}
