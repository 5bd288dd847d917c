/* The bridge server: hvsim as the hypervisor of hvboot.efi running in QEMU.
 * Guest memory is QEMU's RAM file, mapped shared (sim/guestmem.c, bridge
 * mode), so SynIC messages, event flags, rings and GPADL pages need no
 * traffic; only the guest's four primitives arrive here, as frames of
 * arch/bridge_proto.h on COM2's socket. Each is executed through the sim
 * seam, i.e. under the simulator's lock exactly as an in-process guest's
 * call in threaded mode, while the host thread runs the devices.
 *
 * The guest is untrusted: a frame with a bad length or checksum is
 * counted, logged and dropped, and parsing resumes at the next start byte;
 * nothing a guest sends can crash hvsim or make it write outside the RAM
 * file. Until the sync string every byte is OVMF's console noise; after
 * DETACH every byte is Linux's, and both are ignored. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../arch/bridge_proto.h"
#include "../lib/crc32.h"
#include "../lib/util.h"
#include "sim.h"

static_assert(BRIDGE_TIME_MSR == HV_MSR_TIME_REF_COUNT, "the time page replaces TIME_REF_COUNT");

/* The time page's refresh period asked for. Measured on a 2-CPU VM: about
 * 100 us idle, 150-250 us with a guest spinning beside it; the guest's
 * deadlines are milliseconds, so either is plenty. */
#define TIME_PERIOD_NS 50000

enum srv_state {
	SRV_HUNT,     /* before the sync: discard */
	SRV_SESSION,  /* synced: HELLO expected */
	SRV_READY,    /* HELLO accepted */
	SRV_REFUSED,  /* HELLO with another version: every request refused */
	SRV_DETACHED, /* DETACH done: ignore everything */
};

struct srv {
	struct hvsim *sim;
	int fd;
	FILE *out, *log;
	enum srv_state state;
	bool dead; /* the socket failed on send */

	uint8_t win[BRIDGE_SYNC_LEN]; /* the last bytes outside frames, for the sync */
	size_t nwin;
	uint8_t frame[BRIDGE_FRAME_MAX]; /* the frame being assembled */
	size_t n;
	unsigned stray; /* bytes between frames (after the sync) */
	unsigned bad_len, bad_crc; /* dropped frames by kind, each logged 1st, 10th, ... */
	unsigned refeeding; /* looking again at a dropped frame's bytes */

	struct hvsim_bridge_result res;

	/* the time page, written by time_main */
	pthread_t time_thread;
	pthread_mutex_t time_lock;
	uint64_t *time_page;
	bool time_stop;
};

/* Logged the 1st, 10th, 100th ... time: visible, never a flood. */
static bool worth_logging(unsigned count)
{
	while (count >= 10 && count % 10 == 0)
		count /= 10;
	return count == 1;
}

static void *time_main(void *arg)
{
	struct srv *s = arg;
	const struct timespec period = { 0, TIME_PERIOD_NS };

	/* Linux stretches a sleep by the thread's timer slack (50 us by
	 * default), which would double the period. */
	prctl(PR_SET_TIMERSLACK, 1000ul, 0, 0, 0);
	pthread_mutex_lock(&s->time_lock);
	while (!s->time_stop) {
		if (s->time_page)
			__atomic_store_n(s->time_page, sim_now(s->sim), __ATOMIC_RELEASE);
		pthread_mutex_unlock(&s->time_lock);
		nanosleep(&period, NULL);
		pthread_mutex_lock(&s->time_lock);
	}
	pthread_mutex_unlock(&s->time_lock);
	return NULL;
}

/* After this returns the time thread never writes the old page again. */
static void time_page_set(struct srv *s, uint64_t *page)
{
	pthread_mutex_lock(&s->time_lock);
	s->time_page = page;
	if (page)
		__atomic_store_n(page, sim_now(s->sim), __ATOMIC_RELEASE);
	pthread_mutex_unlock(&s->time_lock);
}

static void reply(struct srv *s, const struct bridge_hdr *rq, uint8_t op, const void *payload,
		  uint16_t len)
{
	uint8_t f[BRIDGE_FRAME_MAX];
	struct bridge_hdr h = { BRIDGE_SOF, op | BRIDGE_REPLY, len, rq->seq };
	uint32_t crc;
	size_t n = sizeof(h) + len + BRIDGE_CRC_LEN, done = 0;

	memcpy(f, &h, sizeof(h));
	if (len)
		memcpy(f + sizeof(h), payload, len);
	crc = crc32(f, sizeof(h) + len);
	memcpy(f + sizeof(h) + len, &crc, sizeof(crc));
	while (done < n && !s->dead) {
		ssize_t w = send(s->fd, f + done, n - done, MSG_NOSIGNAL);

		if (w > 0) {
			done += (size_t)w;
		} else if (w < 0 && errno != EINTR) {
			fprintf(s->log, "hvsim: bridge: cannot answer the guest: %s\n", strerror(errno));
			s->dead = true;
		}
	}
}

static void reply_error(struct srv *s, const struct bridge_hdr *rq, uint32_t code)
{
	struct bridge_error e = { code, rq->op };

	reply(s, rq, BRIDGE_OP_ERROR, &e, sizeof(e));
}

static void do_hello(struct srv *s, const struct bridge_hdr *h, const uint8_t *p)
{
	struct bridge_hello rq;
	struct bridge_hello_reply rp = { BRIDGE_PROTO_VERSION, 0, s->sim->ram_size };

	if (h->len != sizeof(rq)) {
		reply_error(s, h, BRIDGE_ERR_BAD_LEN);
		return;
	}
	memcpy(&rq, p, sizeof(rq));
	if (rq.magic != BRIDGE_HELLO_MAGIC) {
		reply_error(s, h, BRIDGE_ERR_BAD_LEN);
		return;
	}
	if (rq.version != BRIDGE_PROTO_VERSION) {
		fprintf(s->log, "hvsim: bridge: the guest speaks bridge protocol version %u, hvsim "
			"speaks version %u; refusing its requests (use hvsim and hvboot.efi from the "
			"same build)\n", rq.version, BRIDGE_PROTO_VERSION);
		s->state = SRV_REFUSED;
	} else {
		s->state = SRV_READY;
	}
	/* Our version either way: the guest says the same sentence. */
	reply(s, h, BRIDGE_OP_HELLO, &rp, sizeof(rp));
}

static void do_detach(struct srv *s, const struct bridge_hdr *h)
{
	struct hvsim *sim = s->sim;
	struct bridge_detach_reply rp;
	unsigned nv;

	/* The guest frees the time page once we answer. */
	time_page_set(s, NULL);
	s->res.detached = true;
	s->res.clean = hvsim_audit(sim, true, s->res.audit, sizeof(s->res.audit));
	pthread_mutex_lock(&sim->lock);
	nv = sim->nviolations;
	for (unsigned i = 0; i < nv && i < SIM_MAX_VIOLATIONS; i++)
		fprintf(s->log, "hvsim: violation: %s\n", hvsim_violation(sim, i));
	pthread_mutex_unlock(&sim->lock);
	fprintf(s->out, "%s\n", s->res.audit);
	fflush(s->out);
	rp.clean = s->res.clean;
	rp.violations = nv;
	reply(s, h, BRIDGE_OP_DETACH, &rp, sizeof(rp));
	s->state = SRV_DETACHED;
}

/* One well-formed frame. */
static void execute(struct srv *s, const struct bridge_hdr *h, const uint8_t *p)
{
	struct hv_seam *seam = hvsim_seam(s->sim);
	static const uint8_t want_len[] = {
		[BRIDGE_OP_CPUID] = sizeof(struct bridge_cpuid),
		[BRIDGE_OP_RDMSR] = sizeof(struct bridge_rdmsr),
		[BRIDGE_OP_WRMSR] = sizeof(struct bridge_wrmsr),
		[BRIDGE_OP_HYPERCALL] = sizeof(struct bridge_hypercall),
		[BRIDGE_OP_TIME_PAGE] = sizeof(struct bridge_u64),
		[BRIDGE_OP_DETACH] = 0,
	};

	s->res.requests++;
	if (h->op == BRIDGE_OP_HELLO) {
		do_hello(s, h, p);
		return;
	}
	if (s->state == SRV_SESSION) {
		reply_error(s, h, BRIDGE_ERR_NO_HELLO);
		return;
	}
	if (s->state == SRV_REFUSED) {
		reply_error(s, h, BRIDGE_ERR_VERSION);
		return;
	}
	if (h->op < BRIDGE_OP_CPUID || h->op > BRIDGE_OP_DETACH) {
		reply_error(s, h, BRIDGE_ERR_BAD_OP);
		return;
	}
	if (h->len != want_len[h->op]) {
		reply_error(s, h, BRIDGE_ERR_BAD_LEN);
		return;
	}
	switch (h->op) {
	case BRIDGE_OP_CPUID: {
		struct bridge_cpuid rq;
		struct hv_cpuid r;
		struct bridge_cpuid_reply rp;

		memcpy(&rq, p, sizeof(rq));
		seam->cpuid(seam, rq.leaf, &r);
		rp = (struct bridge_cpuid_reply){ r.eax, r.ebx, r.ecx, r.edx };
		reply(s, h, h->op, &rp, sizeof(rp));
		break;
	}
	case BRIDGE_OP_RDMSR: {
		struct bridge_rdmsr rq;
		struct bridge_u64 rp;

		memcpy(&rq, p, sizeof(rq));
		rp.value = seam->rdmsr(seam, rq.msr);
		reply(s, h, h->op, &rp, sizeof(rp));
		break;
	}
	case BRIDGE_OP_WRMSR: {
		struct bridge_wrmsr rq;

		memcpy(&rq, p, sizeof(rq));
		seam->wrmsr(seam, rq.msr, rq.value);
		reply(s, h, h->op, NULL, 0);
		break;
	}
	case BRIDGE_OP_HYPERCALL: {
		struct bridge_hypercall rq;
		struct bridge_u64 rp;

		memcpy(&rq, p, sizeof(rq));
		rp.value = seam->hypercall(seam, rq.control, rq.in, rq.out);
		reply(s, h, h->op, &rp, sizeof(rp));
		break;
	}
	case BRIDGE_OP_TIME_PAGE: {
		struct bridge_u64 rq, rp;
		uint64_t *page;

		memcpy(&rq, p, sizeof(rq));
		/* The pool spans the whole file at GPA 0 and never changes: no
		 * lock needed to translate. */
		page = (rq.value & 7) ? NULL : pagepool_ptr(&s->sim->pool, rq.value, sizeof(*page));
		if (!page) {
			fprintf(s->log, "hvsim: bridge: refused a time page at GPA 0x%llx (unaligned "
				"or outside the %zu MiB of guest RAM)\n",
				(unsigned long long)rq.value, s->sim->ram_size >> 20);
			reply_error(s, h, BRIDGE_ERR_BAD_GPA);
			break;
		}
		time_page_set(s, page);
		rp.value = __atomic_load_n(page, __ATOMIC_ACQUIRE);
		reply(s, h, h->op, &rp, sizeof(rp));
		break;
	}
	case BRIDGE_OP_DETACH:
		do_detach(s, h);
		break;
	}
}

/* Bytes outside frames: the last BRIDGE_SYNC_LEN of them are compared with
 * the sync string (a window, so overlapping starts are never missed). */
static bool sync_step(struct srv *s, uint8_t c)
{
	if (s->nwin < BRIDGE_SYNC_LEN) {
		s->win[s->nwin++] = c;
	} else {
		memmove(s->win, s->win + 1, BRIDGE_SYNC_LEN - 1);
		s->win[BRIDGE_SYNC_LEN - 1] = c;
	}
	if (s->nwin == BRIDGE_SYNC_LEN && memcmp(s->win, BRIDGE_SYNC, BRIDGE_SYNC_LEN) == 0) {
		s->nwin = 0;
		return true;
	}
	return false;
}

static void feed(struct srv *s, uint8_t c);

/* Drop the frame's first byte and look at the rest again: the next
 * start byte may begin the real frame. */
static void bad_frame(struct srv *s, unsigned *kind_count, const char *why)
{
	uint8_t rest[BRIDGE_FRAME_MAX];
	size_t k = s->n - 1;
	struct bridge_hdr h;

	memcpy(&h, s->frame, sizeof(h));
	s->res.bad_frames++;
	if (worth_logging(++*kind_count))
		fprintf(s->log, "hvsim: bridge: dropped a frame (op 0x%02x, seq %u): %s [%u so far]\n",
			h.op, h.seq, why, *kind_count);
	memcpy(rest, s->frame + 1, k);
	s->n = 0;
	/* Its bytes were logged as the dropped frame: not again one by one. */
	s->refeeding++;
	for (size_t i = 0; i < k; i++)
		feed(s, rest[i]);
	s->refeeding--;
}

static void frame_byte(struct srv *s, uint8_t c)
{
	struct bridge_hdr h;
	uint32_t crc, got;
	char why[80];

	s->frame[s->n++] = c;
	if (s->n < sizeof(h))
		return;
	memcpy(&h, s->frame, sizeof(h));
	if (h.len > BRIDGE_MAX_PAYLOAD) {
		snprintf(why, sizeof(why), "it claims %u payload bytes (at most %u)", h.len,
			 BRIDGE_MAX_PAYLOAD);
		bad_frame(s, &s->bad_len, why);
		return;
	}
	if (s->n < sizeof(h) + h.len + BRIDGE_CRC_LEN)
		return;
	crc = crc32(s->frame, sizeof(h) + h.len);
	memcpy(&got, s->frame + sizeof(h) + h.len, sizeof(got));
	if (crc != got) {
		snprintf(why, sizeof(why), "bad checksum 0x%08x, computed 0x%08x", got, crc);
		bad_frame(s, &s->bad_crc, why);
		return;
	}
	s->n = 0;
	execute(s, &h, s->frame + sizeof(h));
}

static void feed(struct srv *s, uint8_t c)
{
	switch (s->state) {
	case SRV_DETACHED:
		s->res.ignored++;
		return;
	case SRV_HUNT:
		s->res.discarded++;
		if (sync_step(s, c)) {
			s->res.discarded -= BRIDGE_SYNC_LEN; /* the sync is no garbage */
			s->state = SRV_SESSION;
		}
		return;
	default:
		break;
	}
	if (s->n == 0 && c != BRIDGE_SOF) {
		/* Between frames: a guest that starts over sends the sync
		 * again; anything else is noise. */
		s->res.discarded++;
		if (sync_step(s, c)) {
			s->res.discarded -= BRIDGE_SYNC_LEN;
			s->state = SRV_SESSION;
			s->stray = 0;
			fprintf(s->log, "hvsim: bridge: the guest synced again: a new session\n");
			return;
		}
		if (!s->refeeding && worth_logging(++s->stray))
			fprintf(s->log, "hvsim: bridge: discarded byte 0x%02x between frames [%u so "
				"far]\n", c, s->stray);
		return;
	}
	s->nwin = 0;
	frame_byte(s, c);
}

int hvsim_bridge_serve(struct hvsim *sim, int fd, FILE *out, FILE *log,
		       struct hvsim_bridge_result *res)
{
	struct srv *s = calloc(1, sizeof(*s));
	uint8_t buf[4096];
	int rc;

	if (!out)
		out = stdout;
	if (!log)
		log = stderr;
	if (!sim->shared_ram) {
		fprintf(log, "hvsim: the bridge needs bridge mode (a guest RAM file)\n");
		free(s);
		return 1;
	}
	if (!s) {
		fprintf(log, "hvsim: out of memory for the bridge\n");
		return 1;
	}
	s->sim = sim;
	s->fd = fd;
	s->out = out;
	s->log = log;
	s->state = SRV_HUNT;
	pthread_mutex_init(&s->time_lock, NULL);
	if (pthread_create(&s->time_thread, NULL, time_main, s) != 0) {
		fprintf(log, "hvsim: cannot start the bridge's time thread\n");
		pthread_mutex_destroy(&s->time_lock);
		free(s);
		return 1;
	}
	while (!s->dead) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fprintf(log, "hvsim: bridge: reading the connection failed: %s\n",
				strerror(errno));
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && !s->dead; i++)
			feed(s, buf[i]);
	}
	pthread_mutex_lock(&s->time_lock);
	s->time_stop = true;
	s->time_page = NULL;
	pthread_mutex_unlock(&s->time_lock);
	pthread_join(s->time_thread, NULL);
	pthread_mutex_destroy(&s->time_lock);

	if (!s->res.detached) {
		fprintf(log, "hvsim: bridge: the connection closed without DETACH (%s)\n",
			s->state == SRV_HUNT ? "the guest never sent the sync string"
			: s->state == SRV_SESSION ? "the guest never sent HELLO"
			: s->state == SRV_REFUSED ? "its protocol version was refused"
			: "the guest did not finish");
		/* A guest that never got past the handshake touched nothing:
		 * the audit is of what is left, not of an UNLOAD never due. */
		s->res.clean = hvsim_audit(sim, s->state != SRV_HUNT && s->state != SRV_SESSION &&
						s->state != SRV_REFUSED,
					   s->res.audit, sizeof(s->res.audit));
		fprintf(out, "%s\n", s->res.audit);
		fflush(out);
	}
	fprintf(log, "hvsim: bridge: %u request(s), %u bad frame(s), %llu byte(s) discarded, "
		"%llu ignored after DETACH\n", s->res.requests, s->res.bad_frames,
		(unsigned long long)s->res.discarded, (unsigned long long)s->res.ignored);
	fflush(log);
	rc = s->res.detached && s->res.clean ? 0 : 1;
	if (res)
		*res = s->res;
	free(s);
	return rc;
}

int hvsim_bridge_listen(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, err;

	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "hvsim: the socket path %s is too long (at most %zu bytes)\n", path,
			sizeof(a.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(a.sun_path, path);
	/* A socket left by an earlier run would make bind fail; anything
	 * else at that path is not ours to remove. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "hvsim: %s exists and is not a socket; not replacing it\n", path);
			return -EEXIST;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 1) != 0) {
		err = errno;
		fprintf(stderr, "hvsim: cannot listen on %s: %s\n", path, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	return fd;
}

int hvsim_bridge_accept(int listen_fd, int timeout_ms)
{
	struct pollfd p = { .fd = listen_fd, .events = POLLIN };
	int r, fd;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		fprintf(stderr, "hvsim: nobody connected to the bridge socket within %d s (is QEMU "
			"started with -serial chardev:... on this socket?)\n", timeout_ms / 1000);
		return -ETIMEDOUT;
	}
	if (r < 0 || (fd = accept(listen_fd, NULL, NULL)) < 0) {
		int err = errno;

		fprintf(stderr, "hvsim: accepting the bridge connection failed: %s\n", strerror(err));
		return -err;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}
