/* The loop backend: a peer at 10.0.2.2 that answers ARP requests for its
 * address and ICMP echo requests to it, enough to test a NIC without a
 * network stack. Frames from the guest are untrusted: every length and
 * checksum is checked before an answer is built; anything else is counted
 * and ignored. Answers wait in a queue and are delivered from poll(), in
 * order, as the backend interface asks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "netdev.h"

#define QUEUE 512u
#define FRAME_MAX 1518u
#define ETH_HDR 14u
#define ETH_MIN 60u          /* frames are padded to this, as NICs do (no FCS) */
#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_ARP 0x0806u
#define IP_PROTO_ICMP 1u
#define ICMP_ECHO_REPLY 0u
#define ICMP_ECHO_REQUEST 8u

struct loop {
	struct sim_netdev nd;
	struct sim_netdev_loop_counts counts;
	uint32_t len[QUEUE];
	uint8_t (*frame)[FRAME_MAX];
	unsigned head, n;
};

static const uint8_t loop_mac[6] = SIM_LOOP_MAC;

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The Internet checksum (RFC 1071) of n bytes. */
static uint16_t csum(const uint8_t *p, uint32_t n)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += be16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A slot for an answer of len bytes (zero-padded to 60), or NULL. */
static uint8_t *queue_slot(struct loop *l, uint32_t len)
{
	uint8_t *f;

	if (l->n == QUEUE) {
		l->counts.dropped++;
		return NULL;
	}
	f = l->frame[(l->head + l->n) % QUEUE];
	l->len[(l->head + l->n) % QUEUE] = HVB_MAX(len, ETH_MIN);
	l->n++;
	memset(f, 0, ETH_MIN);
	return f;
}

static void arp(struct loop *l, const uint8_t *f, size_t len)
{
	const uint8_t *a = f + ETH_HDR;
	uint8_t *r;

	/* Ethernet/IPv4, a request, for 10.0.2.2. */
	if (len < ETH_HDR + 28 || be16(a) != 1 || be16(a + 2) != ETHERTYPE_IPV4 || a[4] != 6 ||
	    a[5] != 4 || be16(a + 6) != 1 || be32(a + 24) != SIM_LOOP_IP) {
		l->counts.ignored++;
		return;
	}
	r = queue_slot(l, ETH_HDR + 28);
	if (!r)
		return;
	memcpy(r, a + 8, 6); /* to the asker's hardware address */
	memcpy(r + 6, loop_mac, 6);
	put16(r + 12, ETHERTYPE_ARP);
	memcpy(r + ETH_HDR, a, 6); /* htype, ptype, hlen, plen */
	put16(r + ETH_HDR + 6, 2);
	memcpy(r + ETH_HDR + 8, loop_mac, 6);
	memcpy(r + ETH_HDR + 14, a + 24, 4); /* we are the address asked for */
	memcpy(r + ETH_HDR + 18, a + 8, 10); /* the asker's hardware and IP address */
	l->counts.arp_replies++;
}

static void icmp(struct loop *l, const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HDR;
	uint32_t ihl, total;
	uint8_t *r, *rip, tmp[4];

	if (len < ETH_HDR + 20 || (ip[0] >> 4) != 4) {
		l->counts.ignored++;
		return;
	}
	ihl = (ip[0] & 15u) * 4;
	total = be16(ip + 2);
	if (ihl < 20 || total < ihl + 8 || ETH_HDR + (size_t)total > len ||
	    (be16(ip + 6) & 0x3fff) != 0 /* a fragment */ || ip[9] != IP_PROTO_ICMP ||
	    be32(ip + 16) != SIM_LOOP_IP || ip[ihl] != ICMP_ECHO_REQUEST || ip[ihl + 1] != 0) {
		l->counts.ignored++;
		return;
	}
	if (csum(ip, ihl) != 0 || csum(ip + ihl, total - ihl) != 0) {
		l->counts.bad_checksums++;
		return;
	}
	r = queue_slot(l, ETH_HDR + total);
	if (!r)
		return;
	memcpy(r, f + 6, 6);
	memcpy(r + 6, loop_mac, 6);
	put16(r + 12, ETHERTYPE_IPV4);
	rip = r + ETH_HDR;
	memcpy(rip, ip, total);
	memcpy(tmp, rip + 12, 4); /* swap the addresses */
	memcpy(rip + 12, rip + 16, 4);
	memcpy(rip + 16, tmp, 4);
	rip[8] = 64;
	put16(rip + 10, 0);
	put16(rip + 10, csum(rip, ihl));
	rip[ihl] = ICMP_ECHO_REPLY;
	put16(rip + ihl + 2, 0);
	put16(rip + ihl + 2, csum(rip + ihl, total - ihl));
	l->counts.icmp_replies++;
}

static void loop_send(struct sim_netdev *nd, const void *frame, size_t len)
{
	struct loop *l = (struct loop *)nd;
	const uint8_t *f = frame;

	l->counts.frames++;
	if (len < ETH_HDR || len > FRAME_MAX) {
		l->counts.ignored++;
		return;
	}
	switch (be16(f + 12)) {
	case ETHERTYPE_ARP: arp(l, f, len); break;
	case ETHERTYPE_IPV4: icmp(l, f, len); break;
	default: l->counts.ignored++; break;
	}
}

static int loop_poll(struct sim_netdev *nd)
{
	struct loop *l = (struct loop *)nd;
	uint8_t copy[FRAME_MAX];
	int n = 0;

	/* deliver() may send, and so queue into the slot just freed: it gets
	 * a copy. */
	while (l->n) {
		uint32_t len = l->len[l->head];

		memcpy(copy, l->frame[l->head], len);
		l->head = (l->head + 1) % QUEUE;
		l->n--;
		if (nd->deliver)
			nd->deliver(nd->deliver_ctx, copy, len);
		n++;
	}
	return n;
}

/* Answers are made in send() and wait for poll(): then it is due now. */
static unsigned loop_wait_fds(struct sim_netdev *nd, struct pollfd *fds, unsigned max,
			      int *timeout_ms)
{
	(void)fds;
	(void)max;
	if (((struct loop *)nd)->n)
		*timeout_ms = 0;
	return 0;
}

static void loop_destroy(struct sim_netdev *nd)
{
	struct loop *l = (struct loop *)nd;

	free(l->frame);
	free(l);
}

struct sim_netdev *sim_netdev_loop(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (l)
		l->frame = calloc(QUEUE, FRAME_MAX);
	if (!l || !l->frame) {
		free(l);
		fprintf(stderr, "hvsim: loop backend: out of memory\n");
		return NULL;
	}
	l->nd.name = "loop";
	l->nd.send = loop_send;
	l->nd.poll = loop_poll;
	l->nd.wait_fds = loop_wait_fds;
	l->nd.destroy = loop_destroy;
	return &l->nd;
}

bool sim_netdev_loop_counts(const struct sim_netdev *nd, struct sim_netdev_loop_counts *c)
{
	if (!nd || nd->send != loop_send)
		return false;
	*c = ((const struct loop *)nd)->counts;
	return true;
}
