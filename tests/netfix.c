/* The network test fixture (netfix.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lwip/memp.h"
#include "lwip/stats.h"

#include "fixture.h"
#include "netfix.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* slirp's clock, optionally running faster than real time (its TCP
 * retransmits after a second at least: a lossy test would take minutes). */
static uint64_t now_ns(void *ctx)
{
	const struct nfx *f = ctx;

	return mono_ns() * (f->slirp_speed ? f->slirp_speed : 1);
}

static uint64_t now_ms(void *ctx)
{
	(void)ctx;
	return mono_ns() / 1000000u;
}

/* splitmix64: good numbers from the first call on, whatever the seed
 * (xorshift from a small seed starts with small numbers). */
static uint64_t mix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* The stack's random source: seeded, so runs repeat (a test may not need
 * unpredictability; it needs the numbers to vary). */
static uint32_t test_random(void *ctx)
{
	return (uint32_t)(mix64(ctx) >> 16);
}

static bool roll(struct nfx *f, unsigned permille)
{
	return f->impair && permille && mix64(&f->rng) % 1000 < permille;
}

static int link_send(struct net_link *l, const void *frame, size_t len)
{
	struct nfx *f = l->ctx;

	if (roll(f, f->busy)) {
		f->refused++;
		return -EAGAIN;
	}
	if (roll(f, f->loss)) {
		f->lost++;
		return 0;
	}
	f->nd->send(f->nd, frame, len);
	return 0;
}

/* slirp's frames wait here for the link's poll. */
static void deliver(void *ctx, const void *frame, size_t len)
{
	struct nfx *f = ctx;
	uint8_t *copy;

	if (f->q_count == NFX_QUEUE || !(copy = malloc(len)))
		return;
	memcpy(copy, frame, len);
	f->q[(f->q_head + f->q_count) % NFX_QUEUE].data = copy;
	f->q[(f->q_head + f->q_count) % NFX_QUEUE].len = len;
	f->q_count++;
}

/* The stack may poll the link again from inside receive() (a transmit
 * waiting for room), so nothing here is touched after the hand-over. */
static void hand_over(struct nfx *f, uint8_t *frame, size_t len)
{
	if (f->link.receive)
		f->link.receive(&f->link, frame, len);
	free(frame);
}

static bool release_held(struct nfx *f)
{
	uint8_t *frame = f->held;

	if (!frame)
		return false;
	f->held = NULL;
	hand_over(f, frame, f->held_len);
	return true;
}

static int link_poll(struct net_link *l)
{
	struct nfx *f = l->ctx;
	int n = 0;

	f->nd->poll(f->nd);
	while (f->q_count > 0) {
		uint8_t *frame = f->q[f->q_head].data;
		size_t len = f->q[f->q_head].len;

		f->q_head = (f->q_head + 1) % NFX_QUEUE;
		f->q_count--;
		n++;
		if (roll(f, f->loss)) {
			f->lost++;
			free(frame);
			continue;
		}
		if (!f->held && roll(f, f->reorder)) {
			/* Held back: it goes after the next frame. */
			f->held = frame;
			f->held_len = len;
			f->reordered++;
			continue;
		}
		hand_over(f, frame, len);
		release_held(f);
	}
	/* A held frame never waits more than one pass. */
	if (n == 0 && release_held(f))
		n++;
	return n;
}

static void link_idle(struct net_link *l)
{
	struct timespec ts = { 0, 50000 };

	(void)l;
	nanosleep(&ts, NULL);
}

void nfx_prepare(struct nfx *f)
{
	if (f->root[0])
		return;
	log_capture();
	strcpy(f->root, "/tmp/hvboot-net-XXXXXX");
	CHECK(mkdtemp(f->root) != NULL);
}

void nfx_start(struct nfx *f)
{
	struct sim_slirp_config sc = { .now_ns = now_ns, .now_ctx = f };
	struct net_config *cfg = &f->cfg;
	static uint64_t random_state;

	nfx_prepare(f);
	sc.tftp_root = f->root;
	sc.bootfile = f->bootfile;
	f->nd = sim_netdev_slirp(&sc);
	CHECK(f->nd != NULL);
	f->nd->deliver = deliver;
	f->nd->deliver_ctx = f;
	if (!f->rng)
		f->rng = 0x9e3779b97f4a7c15u;
	snprintf(f->link.name, sizeof(f->link.name), "slirp0");
	memcpy(f->link.mac, "\x52\x54\x00\x12\x34\x56", 6);
	f->link.mtu = 1500;
	f->link.up = true;
	f->link.send = link_send;
	f->link.poll = link_poll;
	f->link.idle = link_idle;
	f->link.ctx = f;
	random_state = f->rng ^ 0x5deece66du;
	memset(cfg, 0, sizeof(*cfg));
	cfg->link = &f->link;
	cfg->clock.now_ms = now_ms;
	cfg->random.next = test_random;
	cfg->random.ctx = &random_state;
	cfg->params = f->params;
	cfg->progress = f->progress;
	cfg->progress_ctx = f->progress_ctx;
	f->s = net_open(cfg);
	CHECK(f->s != NULL);
}

void nfx_finish(struct nfx *f)
{
	char cmd[128];

	net_close(f->s);
	netsrv_stop(&f->httpd);
	netsrv_stop(&f->tftpd);
	netsrv_stop(&f->dnsd);
	f->nd->destroy(f->nd);
	while (f->q_count) {
		free(f->q[f->q_head].data);
		f->q_head = (f->q_head + 1) % NFX_QUEUE;
		f->q_count--;
	}
	free(f->held);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->root);
	CHECK_EQ(system(cmd), 0);
}

void nfx_file(struct nfx *f, const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->root, name);
	fp = fopen(path, "wb");
	CHECK(fp != NULL);
	CHECK(len == 0 || fwrite(data, 1, len, fp) == len);
	CHECK(fclose(fp) == 0);
}

void nfx_fill(void *buf, size_t len, uint32_t seed)
{
	uint64_t s = seed * 2654435761u + 1;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(mix64(&s) >> 24);
}

#define GUARD 256

int nfx_load(struct nfx *f, const char *src, size_t cap, uint8_t **out, size_t *got)
{
	return nfx_stack_load(f->s, src, cap, out, got);
}

int nfx_stack_load(struct net_stack *s, const char *src, size_t cap, uint8_t **out, size_t *got)
{
	uint8_t *buf = malloc(cap + GUARD);
	uint8_t digest[32];
	int rc;

	CHECK(buf != NULL);
	memset(buf, 0xa5, cap + GUARD);
	rc = net_load(s, src, buf, cap, got, digest);
	for (size_t i = cap; i < cap + GUARD; i++)
		CHECK_MSG(buf[i] == 0xa5, "%s: byte %zu past the %zu-byte buffer was written",
			  src, i - cap, cap);
	*out = buf;
	return rc;
}

void nfx_dhcp(struct nfx *f)
{
	struct net_lease l;

	CHECK_EQ(net_dhcp(f->s, &l), 0);
	CHECK_EQ(l.ip, 0x0a00020f);
}

static bool pools_clean(void *ctx)
{
	(void)ctx;
	return lwip_stats.memp[MEMP_PBUF_POOL]->used == 0 &&
	       lwip_stats.memp[MEMP_TCP_SEG]->used == 0 && lwip_stats.memp[MEMP_PBUF]->used == 0;
}

void nfx_static(struct nfx *f)
{
	CHECK_EQ(net_static(f->s, 0x0a00020f, 0xffffff00, 0x0a000202, 0x0a000203), 0);
}

void nfx_check_pools(struct nfx *f)
{
	nfx_stack_check_pools(f->s);
}

void nfx_stack_check_pools(struct net_stack *s)
{
	/* A connection's FIN may still wait for its ACK: give it a moment. */
	net_wait(s, pools_clean, NULL, net_now(s) + 3000);
	CHECK_MSG(lwip_stats.memp[MEMP_PBUF_POOL]->used == 0, "%u pool pbufs still in use",
		  (unsigned)lwip_stats.memp[MEMP_PBUF_POOL]->used);
	CHECK_MSG(lwip_stats.memp[MEMP_TCP_SEG]->used == 0, "%u TCP segments still in use",
		  (unsigned)lwip_stats.memp[MEMP_TCP_SEG]->used);
	CHECK_MSG(lwip_stats.memp[MEMP_PBUF]->used == 0, "%u ref pbufs still in use",
		  (unsigned)lwip_stats.memp[MEMP_PBUF]->used);
}
