/* Inside the network stack: the state behind struct net_stack and the calls
 * between the net/ sources. Includes lwIP's headers; net.h (the public API) does
 * not. */
#ifndef NET_STACK_H
#define NET_STACK_H

#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/tcp.h"

#include "dhcp_opts.h"
#include "http_parse.h"
#include "net.h"
#include "url.h"

/* The largest frame taken from or given to the link: 1500 bytes of IP, the
 * Ethernet header and room for a VLAN tag. */
#define NET_FRAME_MAX 1518
#define NET_MIN_FRAME 60     /* shorter frames are padded with zeros */
#define NET_DEFER_MAX 32     /* frames held while the link is polled for room */
#define NET_TX_TRIES 64      /* link polls waiting for room for one frame */
#define NET_PROGRESS_MS 100

/* An HTTP transfer's state. It lives in the stack, not on a caller's stack
 * frame, because lwIP holds a pointer to it (tcp_arg) until the pcb is
 * closed or aborted. */
struct net_http {
	struct net_stack *s;
	struct tcp_pcb *pcb;
	struct http_resp resp;
	char req[NET_PATH_MAX + NET_HOST_MAX + 192];
	size_t req_len, req_sent;
	bool connected, closed, stop, done;
	int err;             /* a negative errno once failed */
	char why[160];       /* the transport's failure, when err is set */
	uint64_t last_activity;
};

/* A DNS lookup's state, in the stack for the same reason (lwIP may call
 * back after the caller gave up: the generation tells old answers apart). */
struct net_dns {
	uint32_t gen;
	bool done;
	bool found;
	uint32_t ip;
};

struct net_stack {
	struct net_config cfg;
	struct net_params p;     /* cfg.params with the defaults filled in */
	struct net_link *link;
	struct netif netif;
	bool open;
	bool broken;             /* an lwIP assertion failed */
	bool have_lease;
	struct net_lease lease;
	struct net_stats stats;
	char err[320];
	/* Transmit: a frame is copied out of its pbuf chain here. */
	uint8_t txbuf[NET_FRAME_MAX];
	/* Frames that arrive while linkoutput polls the link for room cannot
	 * enter lwIP then (it is not re-entrant): they wait here. */
	bool in_output;
	struct {
		uint16_t len;
		uint8_t data[NET_FRAME_MAX];
	} defer[NET_DEFER_MAX];
	unsigned defer_head, defer_count;
	/* The latest DHCP ACK for our MAC, parsed as it went by. */
	bool ack_seen;
	int ack_err;             /* dhcp_parse_boot's error for it, or 0 */
	struct dhcp_boot_info ack;
	/* The transfer in progress. */
	struct net_progress prog;
	uint64_t prog_start, prog_reported;
	struct net_http http;
	struct net_dns dns;
};

/* Records and logs a failure; returns err. */
int net_fail(struct net_stack *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* netif.c: the lwIP interface over the link. */
int net_netif_add(struct net_stack *s);
void net_netif_remove(struct net_stack *s);
/* Feeds frames held during a transmit to lwIP; returns how many. */
int net_netif_drain(struct net_stack *s);
/* Follows the link's carrier. */
void net_netif_sync_link(struct net_stack *s);

/* Transfers (tftp.c, http.c): 0 with *got set, or a negative errno after
 * net_fail. */
int net_tftp_get(struct net_stack *s, const struct net_url *u, uint32_t ip, void *dst,
		 size_t cap, size_t *got);
int net_http_get(struct net_stack *s, const struct net_url *u, void *dst, size_t cap,
		 size_t *got);

/* The transfer counters the progress callback sees. */
void net_progress_begin(struct net_stack *s);
void net_progress_set(struct net_stack *s, uint64_t bytes, uint64_t total);
/* Calls the progress callback: at most every NET_PROGRESS_MS, or now. */
void net_progress_report(struct net_stack *s, bool force);

static inline uint32_t net_ip4_host(const ip_addr_t *a)
{
	return lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(a)));
}

#endif
