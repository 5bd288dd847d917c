/* The network test fixture: the stack (net/) on a struct net_link whose
 * send() feeds hvsim's slirp backend and whose poll() runs slirp and hands
 * its frames to the stack; no VMBus in between. The link can lose, reorder
 * and refuse (-EAGAIN) frames, seeded, to test recovery. Time is real
 * (CLOCK_MONOTONIC): slirp talks to real sockets. */
#ifndef TEST_NETFIX_H
#define TEST_NETFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../net/net.h"
#include "../sim/netdev.h"
#include "netsrv.h"

#define NFX_QUEUE 8192

struct nfx {
	char root[64];            /* a temporary directory: slirp's TFTP root */
	struct sim_netdev *nd;
	struct net_link link;
	struct net_stack *s;
	struct net_params params;
	struct net_config cfg;    /* what nfx_start opened the stack with */
	void (*progress)(const struct net_progress *p, void *ctx);
	void *progress_ctx;
	const char *bootfile;     /* for slirp's DHCP; set before nfx_start */
	unsigned slirp_speed;     /* slirp's clock runs this many times real time (0: 1) */
	/* Frames from slirp waiting for the link's poll. */
	struct {
		size_t len;
		uint8_t *data;
	} q[NFX_QUEUE];
	unsigned q_head, q_count;
	/* Impairments, per mille, applied only while `impair` is set. */
	bool impair;
	unsigned loss, reorder, busy;
	uint64_t rng;
	uint8_t *held;            /* a frame held back to be reordered */
	size_t held_len;
	uint64_t lost, reordered, refused;
	/* Servers started by the test, stopped by nfx_finish. */
	struct netsrv httpd, tftpd, dnsd;
};

/* The temporary directory and log capture only (for servers that must run
 * before slirp is configured); nfx_start does it if needed. */
void nfx_prepare(struct nfx *f);
/* Temp directory, slirp, the link, the stack (net_open); captures logs. */
void nfx_start(struct nfx *f);
/* net_close, the servers stopped, slirp destroyed, the directory removed. */
void nfx_finish(struct nfx *f);
/* A file in the TFTP/HTTP root. */
void nfx_file(struct nfx *f, const char *name, const void *data, size_t len);
/* Pseudo-random bytes (seeded: the same every run). */
void nfx_fill(void *buf, size_t len, uint32_t seed);
/* Loads src into a buffer of `cap` bytes followed by a guard that must stay
 * untouched; returns net_load's result, the bytes in *out (malloc'd, the
 * caller frees) and checks the guard. */
int nfx_load(struct nfx *f, const char *src, size_t cap, uint8_t **out, size_t *got);
/* The same on any open stack (the TAP tests run it on netvsc). */
int nfx_stack_load(struct net_stack *s, const char *src, size_t cap, uint8_t **out, size_t *got);
/* DHCP within the fixture's params; CHECKs it worked. */
void nfx_dhcp(struct nfx *f);
/* slirp's addresses without DHCP (faster: no ARP probe of the lease). */
void nfx_static(struct nfx *f);
/* Fails the test unless every pbuf and TCP segment is back in lwIP's pools. */
void nfx_check_pools(struct nfx *f);
void nfx_stack_check_pools(struct net_stack *s);

#endif
