/* libFuzzer target: hvsim's bridge server (sim/bridge_server.c) fed
 * arbitrary guest bytes. hvsim_bridge_serve takes any connected stream
 * socket, so the real server loop runs unchanged: a "guest" thread writes
 * the input into one end of a socketpair, closes its sending side (QEMU
 * exiting) and reads every reply meanwhile, while hvsim_bridge_serve runs
 * on the other end until that end of input. No seam in the server was
 * needed. Guest RAM is a small memfd that both hvsim (bridge mode maps the
 * file by path, /proc/self/fd/N) and the target map, so the input can also
 * lay out what hypercalls read: the messages a guest posts, the pages it
 * hands the SynIC. Bridge mode is threaded (the devices run in hvsim's host
 * thread while requests execute), so how far the host got when a request
 * arrives varies from run to run: a seed's coverage is not exactly stable.
 *
 * Input: [config u8][ram_len u16 LE][ram_len bytes: guest RAM from GPA 0]
 *        [the guest's byte stream to COM2]
 *   config bits 0-1: devices: heartbeat; echo,heartbeat; the default set;
 *                    storvsc,echo
 *          bit 2:    SynIC MSRs come up with reserved bits set
 *          bit 3:    the host offers VMBus 1.1 (WIN7) at most
 *
 * Checked: no crash, UB or hang; everything hvsim sends is a well-formed
 * reply frame (start byte, reply bit, length, checksum), exactly one per
 * request it counted; the exit status agrees with its result. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../arch/bridge_proto.h"
#include "../../lib/crc32.h"
#include "../../sim/hvsim.h"
#include "fuzz_common.h"

#define RAM_BYTES (256u << 10)

static int ram_fd = -1;
static uint8_t *ram;
static char ram_path[40];
static FILE *devnull;

struct guest {
	int fd;
	const uint8_t *p;
	size_t n;
	uint8_t acc[4096]; /* reply bytes not yet taken apart */
	size_t nacc;
	unsigned replies;
	pthread_t th;
};

/* Whole reply frames at the front of acc: checked, counted and dropped. */
static void take_replies(struct guest *g)
{
	struct bridge_hdr h;
	size_t flen;
	uint32_t crc;

	while (g->nacc >= sizeof(h)) {
		memcpy(&h, g->acc, sizeof(h));
		if (h.sof != BRIDGE_SOF || !(h.op & BRIDGE_REPLY) || h.len > BRIDGE_MAX_PAYLOAD)
			__builtin_trap();
		flen = sizeof(h) + h.len + BRIDGE_CRC_LEN;
		if (g->nacc < flen)
			return;
		memcpy(&crc, g->acc + sizeof(h) + h.len, sizeof(crc));
		if (crc != crc32(g->acc, sizeof(h) + h.len))
			__builtin_trap();
		g->replies++;
		memmove(g->acc, g->acc + flen, g->nacc - flen);
		g->nacc -= flen;
	}
}

/* Sends the input and reads the replies at the same time (either side may
 * fill its socket buffer), then reads on until hvsim's side closes. */
static void *guest_main(void *arg)
{
	struct guest *g = arg;
	size_t done = 0;

	if (g->n == 0)
		shutdown(g->fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = g->fd, .events = POLLIN | (done < g->n ? POLLOUT : 0) };
		ssize_t r;

		if (poll(&p, 1, -1) < 0)
			continue;
		if (done < g->n && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = send(g->fd, g->p + done, g->n - done, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w > 0)
				done += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				done = g->n; /* hvsim stopped reading: it may, on a dead connection */
			if (done == g->n)
				shutdown(g->fd, SHUT_WR); /* QEMU exits */
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = recv(g->fd, g->acc + g->nacc, sizeof(g->acc) - g->nacc, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		g->nacc += (size_t)r;
		take_replies(g);
	}
	if (g->nacc)
		__builtin_trap(); /* a reply cut short */
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	static const char *const devices[4] = { "heartbeat", "echo,heartbeat", NULL, "storvsc,echo" };
	struct hvsim_config cfg = { 0 };
	struct hvsim_bridge_result res;
	struct hvsim *sim;
	struct guest g = { 0 };
	size_t ram_len;
	int sv[2], rc;

	if (ram_fd < 0) {
		ram_fd = memfd_create("fuzz-guest-ram", MFD_CLOEXEC);
		if (ram_fd < 0 || ftruncate(ram_fd, RAM_BYTES) != 0)
			__builtin_trap();
		ram = mmap(NULL, RAM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
		if (ram == MAP_FAILED)
			__builtin_trap();
		snprintf(ram_path, sizeof(ram_path), "/proc/self/fd/%d", ram_fd);
		/* FUZZ_VERBOSE=1: hvsim's notes and audit on stderr, to see
		 * how far a seed gets. */
		devnull = getenv("FUZZ_VERBOSE") ? stderr : fopen("/dev/null", "w");
		if (!devnull)
			__builtin_trap();
	}
	if (n < 3)
		return 0;
	ram_len = (size_t)in[1] | (size_t)in[2] << 8;
	if (ram_len > n - 3)
		ram_len = n - 3;
	memset(ram, 0, RAM_BYTES);
	memcpy(ram, in + 3, ram_len);

	cfg.seed = 1;
	cfg.guest_ram = ram_path;
	cfg.devices = devices[in[0] & 3];
	cfg.reserved_bits = in[0] & 4;
	if (in[0] & 8)
		cfg.vmbus_max = 0x00010001u; /* VMBUS_VERSION_WIN7 */
	sim = hvsim_create(&cfg);
	if (!sim)
		__builtin_trap();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		__builtin_trap();
	g.fd = sv[0];
	g.p = in + 3 + ram_len;
	g.n = n - 3 - ram_len;
	if (pthread_create(&g.th, NULL, guest_main, &g) != 0)
		__builtin_trap();
	rc = hvsim_bridge_serve(sim, sv[1], devnull, devnull, &res);
	shutdown(sv[1], SHUT_RDWR); /* the guest's reader sees the end */
	pthread_join(g.th, NULL);
	close(sv[0]);
	close(sv[1]);
	if (g.replies != res.requests)
		__builtin_trap();
	if (rc != (res.detached && res.clean ? 0 : 1))
		__builtin_trap();
	hvsim_destroy(sim);
	return 0;
}
