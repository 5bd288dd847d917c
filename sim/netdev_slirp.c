/* hvsim's slirp network backend: a user-mode network behind the simulated
 * NIC (libslirp, as QEMU's -netdev user). slirp answers DHCP and TFTP
 * itself and NATs TCP and UDP to host sockets, so 10.0.2.2:port reaches
 * 127.0.0.1:port on this machine.
 *
 * slirp produces frames for the guest from inside slirp_input (an ARP or
 * TFTP answer) as well as from its sockets and timers. They are queued and
 * handed to deliver() only from poll(), so whoever sends a frame is never
 * re-entered from inside send(). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libslirp.h>

#include "netdev.h"

#define QUEUE_MAX 4096    /* frames waiting for poll(); more are dropped */
#define FRAME_MAX 65536   /* slirp never sends more than its MTU, but check */
#define BOOTFILE_MAX 127  /* slirp copies it into the 128-byte file field */
#define POLL_ROUNDS 16    /* socket passes per poll(): slirp reads one datagram a pass */

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerCb cb;          /* the v1 callback, or NULL */
	SlirpTimerId id;          /* the v4 id when cb is NULL */
	void *cb_opaque;
	int64_t expire_ms;        /* -1: not armed */
};

struct frame {
	size_t len;
	uint8_t data[];
};

struct netdev_slirp {
	struct sim_netdev nd;
	struct sim_slirp_config cfg;
	Slirp *slirp;
	struct slirp_timer *timers;
	struct frame *queue[QUEUE_MAX];
	unsigned q_head, q_count;
	unsigned long dropped;
	struct pollfd *pfds;
	size_t npfds, pfd_cap;
};

static struct netdev_slirp *of(struct sim_netdev *nd)
{
	return (struct netdev_slirp *)nd;
}

static int64_t now_ns(void *opaque)
{
	struct netdev_slirp *d = opaque;

	return (int64_t)d->cfg.now_ns(d->cfg.now_ctx);
}

static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct netdev_slirp *d = opaque;
	struct frame *f;

	/* A full queue drops, as a NIC with a full ring would: the guest's TCP
	 * recovers, its UDP clients retry. */
	if (len > FRAME_MAX || d->q_count == QUEUE_MAX || !(f = malloc(sizeof(*f) + len))) {
		d->dropped++;
		return (ssize_t)len;
	}
	f->len = len;
	memcpy(f->data, buf, len);
	d->queue[(d->q_head + d->q_count) % QUEUE_MAX] = f;
	d->q_count++;
	return (ssize_t)len;
}

static void guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	fprintf(stderr, "hvsim: slirp: guest error: %s\n", msg);
}

static struct slirp_timer *timer_add(struct netdev_slirp *d)
{
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->expire_ms = -1;
	t->next = d->timers;
	d->timers = t;
	return t;
}

static void *timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct slirp_timer *t = timer_add(opaque);

	if (t) {
		t->cb = cb;
		t->cb_opaque = cb_opaque;
	}
	return t;
}

static void *timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct slirp_timer *t = timer_add(opaque);

	if (t) {
		t->id = id;
		t->cb_opaque = cb_opaque;
	}
	return t;
}

static void timer_free(void *timer, void *opaque)
{
	struct netdev_slirp *d = opaque;

	for (struct slirp_timer **pp = &d->timers; *pp; pp = &(*pp)->next)
		if (*pp == timer) {
			*pp = ((struct slirp_timer *)timer)->next;
			free(timer);
			return;
		}
}

static void timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	((struct slirp_timer *)timer)->expire_ms = expire_ms;
}

/* poll() is redone from slirp_pollfds_fill on every pass, so slirp's
 * socket registrations need no bookkeeping here. */
static void register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void unregister_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void notify(void *opaque)
{
	(void)opaque;
}

static const SlirpCb callbacks = {
	.send_packet = send_packet,
	.guest_error = guest_error,
	.clock_get_ns = now_ns,
	.timer_new = timer_new,
	.timer_free = timer_free,
	.timer_mod = timer_mod,
	.register_poll_fd = register_poll_fd,
	.unregister_poll_fd = unregister_poll_fd,
	.notify = notify,
	.timer_new_opaque = timer_new_opaque,
};

static int add_poll(int fd, int events, void *opaque)
{
	struct netdev_slirp *d = opaque;
	struct pollfd *p;

	if (d->npfds == d->pfd_cap) {
		size_t cap = d->pfd_cap ? d->pfd_cap * 2 : 16;
		struct pollfd *n = realloc(d->pfds, cap * sizeof(*n));

		if (!n)
			return -1; /* slirp then treats the socket as not ready */
		d->pfds = n;
		d->pfd_cap = cap;
	}
	p = &d->pfds[d->npfds];
	p->fd = fd;
	p->events = (short)((events & SLIRP_POLL_IN ? POLLIN : 0) |
			    (events & SLIRP_POLL_OUT ? POLLOUT : 0) |
			    (events & SLIRP_POLL_PRI ? POLLPRI : 0));
	p->revents = 0;
	return (int)d->npfds++;
}

static int get_revents(int idx, void *opaque)
{
	struct netdev_slirp *d = opaque;
	short r;

	if (idx < 0 || (size_t)idx >= d->npfds)
		return 0;
	r = d->pfds[idx].revents;
	return (r & POLLIN ? SLIRP_POLL_IN : 0) | (r & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (r & POLLPRI ? SLIRP_POLL_PRI : 0) | (r & POLLERR ? SLIRP_POLL_ERR : 0) |
	       (r & POLLHUP ? SLIRP_POLL_HUP : 0);
}

static void nd_send(struct sim_netdev *nd, const void *frame, size_t len)
{
	struct netdev_slirp *d = of(nd);

	if (len < 14 || len > FRAME_MAX)
		return;
	slirp_input(d->slirp, frame, (int)len);
}

static void run_timers(struct netdev_slirp *d)
{
	int64_t now = now_ns(d) / 1000000;

	/* A callback may free or re-arm any timer, so start over after each. */
	for (int guard = 0; guard < 64; guard++) {
		struct slirp_timer *t = d->timers;

		while (t && (t->expire_ms < 0 || t->expire_ms > now))
			t = t->next;
		if (!t)
			return;
		t->expire_ms = -1;
		if (t->cb)
			t->cb(t->cb_opaque);
		else
			slirp_handle_timer(d->slirp, t->id, t->cb_opaque);
	}
}

static int nd_poll(struct sim_netdev *nd)
{
	struct netdev_slirp *d = of(nd);
	uint32_t timeout = 0;
	int rc, n = 0;

	run_timers(d);
	/* slirp takes one datagram per readable UDP socket a pass: a TFTP
	 * window that arrived at once becomes frames for one delivery, and
	 * so one transfer-page packet, instead of a host step each. A pass
	 * that queued nothing new, or found nothing ready, ends it. */
	for (int round = 0; round < POLL_ROUNDS; round++) {
		unsigned before = d->q_count;

		d->npfds = 0;
		slirp_pollfds_fill(d->slirp, &timeout, add_poll, d);
		rc = d->npfds ? poll(d->pfds, d->npfds, 0) : 0;
		slirp_pollfds_poll(d->slirp, rc < 0, get_revents, d);
		if (rc <= 0 || d->q_count == before)
			break;
	}
	/* Only what was queued when delivery began: deliver() may send, and a
	 * send may queue more (those wait for the next poll). */
	for (unsigned todo = d->q_count; todo > 0; todo--) {
		struct frame *f = d->queue[d->q_head];

		d->q_head = (d->q_head + 1) % QUEUE_MAX;
		d->q_count--;
		if (d->nd.deliver)
			d->nd.deliver(d->nd.deliver_ctx, f->data, f->len);
		free(f);
		n++;
	}
	return n;
}

/* slirp's sockets (what it would read or write now) and the earliest of
 * its timers; frames already queued for the guest want poll() at once. */
static unsigned nd_wait_fds(struct sim_netdev *nd, struct pollfd *fds, unsigned max,
			    int *timeout_ms)
{
	struct netdev_slirp *d = of(nd);
	int64_t now = now_ns(d) / 1000000;
	uint32_t t = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;
	unsigned n;

	if (d->q_count) {
		*timeout_ms = 0;
		return 0;
	}
	for (struct slirp_timer *tm = d->timers; tm; tm = tm->next) {
		if (tm->expire_ms < 0)
			continue; /* not armed */
		if (tm->expire_ms <= now)
			t = 0;
		else if ((uint64_t)(tm->expire_ms - now) < t)
			t = (uint32_t)(tm->expire_ms - now);
	}
	d->npfds = 0;
	slirp_pollfds_fill(d->slirp, &t, add_poll, d);
	n = d->npfds < max ? (unsigned)d->npfds : max;
	if (n)
		memcpy(fds, d->pfds, n * sizeof(*fds));
	/* Sockets that did not fit are looked at within a millisecond. */
	if (n < d->npfds && t > 1)
		t = 1;
	if (t < (uint32_t)INT32_MAX && (*timeout_ms < 0 || (int)t < *timeout_ms))
		*timeout_ms = (int)t;
	return n;
}

static void nd_destroy(struct sim_netdev *nd)
{
	struct netdev_slirp *d = of(nd);

	if (!d)
		return;
	if (d->slirp)
		slirp_cleanup(d->slirp);
	while (d->timers) {
		struct slirp_timer *t = d->timers;

		d->timers = t->next;
		free(t);
	}
	while (d->q_count) {
		free(d->queue[d->q_head]);
		d->q_head = (d->q_head + 1) % QUEUE_MAX;
		d->q_count--;
	}
	free(d->pfds);
	free(d);
}

struct sim_netdev *sim_netdev_slirp(const struct sim_slirp_config *cfg)
{
	struct netdev_slirp *d;
	SlirpConfig sc;

	if (!cfg || !cfg->now_ns) {
		fprintf(stderr, "hvsim: slirp: the configuration has no clock (now_ns)\n");
		return NULL;
	}
	if (cfg->bootfile && strlen(cfg->bootfile) > BOOTFILE_MAX) {
		fprintf(stderr, "hvsim: slirp: the boot file name is over %d bytes "
			"(slirp puts it in the 128-byte BOOTP file field)\n", BOOTFILE_MAX);
		return NULL;
	}
	/* slirp writes to host TCP sockets whose peer may have closed: that
	 * must be an EPIPE it handles, not a signal that kills hvsim (QEMU
	 * ignores SIGPIPE for the same reason). */
	signal(SIGPIPE, SIG_IGN);
	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "hvsim: slirp: out of memory\n");
		return NULL;
	}
	d->cfg = *cfg;
	memset(&sc, 0, sizeof(sc));
	sc.version = 4;
	sc.restricted = 0;
	sc.in_enabled = true;
	inet_pton(AF_INET, "10.0.2.0", &sc.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &sc.vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &sc.vhost);
	inet_pton(AF_INET, "10.0.2.15", &sc.vdhcp_start);
	inet_pton(AF_INET, "10.0.2.3", &sc.vnameserver);
	sc.in6_enabled = false;
	sc.tftp_path = cfg->tftp_root;
	sc.bootfile = cfg->bootfile;
	sc.if_mtu = 1500;
	sc.if_mru = 1500;
	sc.disable_dhcp = false;
	d->slirp = slirp_new(&sc, &callbacks, d);
	if (!d->slirp) {
		fprintf(stderr, "hvsim: slirp: slirp_new failed\n");
		free(d);
		return NULL;
	}
	d->nd.name = "slirp";
	d->nd.send = nd_send;
	d->nd.poll = nd_poll;
	d->nd.wait_fds = nd_wait_fds;
	d->nd.destroy = nd_destroy;
	return &d->nd;
}
