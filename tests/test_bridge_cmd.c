/* The hvsim --bridge command as a script runs it before QEMU: the
 * listening line, the whole guest stack over a unix socket with a clean
 * audit and exit 0, a guest leaving without DETACH, a missing RAM file. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/crc32.h"
#include "bridge_util.h"

#define HVSIM_BIN "build/hvsim"

/* --- the hvsim command --------------------------------------------------- */

struct proc {
	pid_t pid;
	int out, err; /* its stdout and stderr */
	char errbuf[4096], outbuf[4096];
	size_t nerr, nout;
};

static void proc_spawn(struct proc *p, const char *const argv[])
{
	int o[2], e[2];

	CHECK(pipe(o) == 0 && pipe(e) == 0);
	p->pid = fork();
	CHECK(p->pid >= 0);
	if (p->pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	p->out = o[0];
	p->err = e[0];
}

/* Reads fd into buf until needle shows or timeout_ms passes. */
static bool read_until(int fd, char *buf, size_t cap, size_t *n, const char *needle, int timeout_ms)
{
	uint64_t end = bfx_mono_us() + (uint64_t)timeout_ms * 1000;

	while (!strstr(buf, needle) && bfx_mono_us() < end && *n + 1 < cap) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pf, 1, 50) <= 0)
			continue;
		r = read(fd, buf + *n, cap - 1 - *n);
		if (r <= 0)
			break;
		*n += (size_t)r;
		buf[*n] = '\0';
	}
	return strstr(buf, needle) != NULL;
}

/* Waits (bounded) for the process; its exit status, or -1. */
static int proc_wait(struct proc *p, int timeout_ms)
{
	uint64_t end = bfx_mono_us() + (uint64_t)timeout_ms * 1000;
	int st;

	while (bfx_mono_us() < end) {
		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			read_until(p->out, p->outbuf, sizeof(p->outbuf), &p->nout, "\x01", 100);
			read_until(p->err, p->errbuf, sizeof(p->errbuf), &p->nerr, "\x01", 100);
			close(p->out);
			close(p->err);
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		usleep(10000);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &st, 0);
	return -1;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	CHECK(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	CHECK_MSG(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect %s: %s", path,
		  strerror(errno));
	return fd;
}

/* hvsim --bridge as a script runs it before QEMU: it says it listens, serves
 * the whole stack, prints "audit: clean" and exits 0 when the guest hangs up
 * after DETACH. */
TEST(bridge_hvsim_command)
{
	static struct bfx f;
	static struct proc p;
	char sock[64], line[128];
	bool clean = false;
	int rc;

	if (access(HVSIM_BIN, X_OK) != 0)
		test_skip(HVSIM_BIN " is not built (run make test)");
	log_capture_start();
	bfx_ram_create(&f.ram);
	f.disks[0] = bfx_make_disk();
	snprintf(sock, sizeof(sock), "/tmp/hvboot-bridge-%d.sock", (int)getpid());
	{
		const char *argv[] = { HVSIM_BIN,  "--bridge", sock,     "--guest-ram", f.ram.path,
				       "--disk",   f.disks[0], "--devices", "storvsc,echo", NULL };

		proc_spawn(&p, argv);
	}
	snprintf(line, sizeof(line), "hvsim: bridge listening on %s\n", sock);
	CHECK_MSG(read_until(p.err, p.errbuf, sizeof(p.errbuf), &p.nerr, line, 10000), "stderr: %s",
		  p.errbuf);
	bfx_guest_init(&f, connect_unix(sock));
	bfx_attach_ok(&f);
	bfx_run_guest_stack(&f, true);
	{
		struct hv_cpuid r;
		uint64_t t0 = bfx_mono_us(), n0 = f.br.stats.requests;

		for (int i = 0; i < 1000; i++)
			hv_cpuid(bridge_seam(&f.br), HV_CPUID_VENDOR, &r);
		printf("    1000 CPUID round trips to the hvsim process over a unix socket: %.1f us "
		       "each\n", (double)(bfx_mono_us() - t0) / 1000.0);
		CHECK_EQ(f.br.stats.requests, n0 + 1000);
	}
	CHECK_EQ(bridge_detach(&f.br, &clean), 0);
	CHECK(clean);
	CHECK(read_until(p.out, p.outbuf, sizeof(p.outbuf), &p.nout, "audit: clean\n", 5000));
	close(f.gfd); /* QEMU exits */
	rc = proc_wait(&p, 10000);
	CHECK_MSG(rc == 0, "hvsim exited %d; stderr: %s", rc, p.errbuf);
	CHECK_EQ(strcmp(p.outbuf, "audit: clean\n"), 0);
	CHECK(access(sock, F_OK) != 0); /* it removed its socket */
	bfx_ram_destroy(&f.ram);
	unlink(f.disks[0]);
}

/* The guest goes away without DETACH: non-zero, with the audit anyway. */
TEST(bridge_hvsim_command_without_detach)
{
	static struct bfx f;
	static struct proc p;
	char sock[64];
	int rc;

	if (access(HVSIM_BIN, X_OK) != 0)
		test_skip(HVSIM_BIN " is not built (run make test)");
	log_capture_start();
	bfx_ram_create(&f.ram);
	snprintf(sock, sizeof(sock), "/tmp/hvboot-bridge-%d.sock", (int)getpid());
	{
		const char *argv[] = { HVSIM_BIN, "--bridge", sock, "--guest-ram", f.ram.path, NULL };

		proc_spawn(&p, argv);
	}
	CHECK(read_until(p.err, p.errbuf, sizeof(p.errbuf), &p.nerr, "bridge listening on", 10000));
	bfx_guest_init(&f, connect_unix(sock));
	bfx_attach_ok(&f);
	CHECK_EQ(hv_init(&f.hv, bridge_seam(&f.br)), 0);
	close(f.gfd); /* crash: no teardown, no DETACH */
	rc = proc_wait(&p, 10000);
	CHECK_EQ(rc, 1);
	CHECK_MSG(strstr(p.outbuf, "audit: ") && strstr(p.outbuf, "SIMP enabled"), "%s", p.outbuf);
	CHECK_MSG(strstr(p.errbuf, "closed without DETACH"), "%s", p.errbuf);
	bfx_ram_destroy(&f.ram);
}

TEST(bridge_hvsim_command_refuses_bad_ram)
{
	static struct proc p;
	const char *argv[] = { HVSIM_BIN, "--bridge", "/tmp/hvboot-bridge-never.sock", "--guest-ram",
			       "/nonexistent/ram", NULL };

	if (access(HVSIM_BIN, X_OK) != 0)
		test_skip(HVSIM_BIN " is not built (run make test)");
	proc_spawn(&p, argv);
	CHECK_EQ(proc_wait(&p, 10000), 2);
	CHECK_MSG(strstr(p.errbuf, "cannot open the guest RAM file /nonexistent/ram"), "%s", p.errbuf);
	CHECK(!strstr(p.errbuf, "listening"));
}
