/* hvsim's network backends: where the frames of a simulated NIC go.
 * netvsp (the host side of netvsc) sends the guest's frames with send() and
 * receives the network's frames through deliver(), which the backend calls
 * from poll() (run by hvsim's step). Backends: slirp (libslirp: DHCP, TFTP,
 * NAT to host sockets), tap (a real L2 segment), loop (a test peer). */
#ifndef SIM_NETDEV_H
#define SIM_NETDEV_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_netdev {
	const char *name; /* "slirp", "tap:veth0" */
	/* A whole Ethernet frame from the guest (no FCS). */
	void (*send)(struct sim_netdev *nd, const void *frame, size_t len);
	/* Let the backend run (timers, sockets); it calls deliver() for each
	 * frame for the guest. Never blocks. Returns how many it delivered. */
	int (*poll)(struct sim_netdev *nd);
	/* What an idle host thread waits on (threaded mode): up to max
	 * descriptors whose readiness means poll() has work, and *timeout_ms
	 * lowered to when poll() must run anyway (0: now). Returns how many
	 * descriptors it filled. NULL: the backend needs no waking (loop). */
	unsigned (*wait_fds)(struct sim_netdev *nd, struct pollfd *fds, unsigned max,
			     int *timeout_ms);
	void (*destroy)(struct sim_netdev *nd);
	void (*deliver)(void *ctx, const void *frame, size_t len);
	void *deliver_ctx;
};

struct sim_slirp_config {
	const char *tftp_root;  /* directory slirp's TFTP server serves, or NULL */
	const char *bootfile;   /* DHCP option 67 (slirp's bootfile), or NULL */
	uint64_t (*now_ns)(void *ctx); /* clock for slirp's timers */
	void *now_ctx;
};

/* Network 10.0.2.0/24, gateway and host 10.0.2.2, DNS 10.0.2.3, DHCP from
 * 10.0.2.15 (slirp's defaults). NULL on failure (reason on stderr). */
struct sim_netdev *sim_netdev_slirp(const struct sim_slirp_config *cfg);
/* An existing TAP interface (needs CAP_NET_ADMIN); NULL on failure. */
struct sim_netdev *sim_netdev_tap(const char *ifname);

/* A test peer at 10.0.2.2 (MAC 52:55:0a:00:02:02) without a network stack:
 * it answers ARP requests for 10.0.2.2 and ICMP echo requests to it (from
 * poll(), in order) and counts what it saw. */
#define SIM_LOOP_MAC { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 }
#define SIM_LOOP_IP 0x0a000202u /* 10.0.2.2 */
struct sim_netdev_loop_counts {
	unsigned frames;       /* from the guest */
	unsigned arp_replies;
	unsigned icmp_replies;
	unsigned bad_checksums; /* IPv4 header or ICMP checksum wrong: not answered */
	unsigned ignored;       /* anything else */
	unsigned dropped;       /* answers that found the queue full */
};
struct sim_netdev *sim_netdev_loop(void);
/* The counts of a loop backend; false for another backend. */
bool sim_netdev_loop_counts(const struct sim_netdev *nd, struct sim_netdev_loop_counts *c);

#endif
