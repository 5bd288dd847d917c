/* The network stack: lwIP (IPv4, UDP, TCP, DHCP, DNS) on a struct
 * net_link, and the boot downloads on top of it (TFTP, HTTP). Polled and
 * single-threaded like the rest of hvboot: nothing runs unless the caller
 * is inside a net_* call, and every wait is bounded by a deadline.
 *
 * lwIP keeps global state, so there is one stack per program: net_open
 * fails while another is open. */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"

/* Milliseconds from any fixed point; never goes back. Native: the Hyper-V
 * reference counter; tests: CLOCK_MONOTONIC. */
struct net_clock {
	uint64_t (*now_ms)(void *ctx);
	void *ctx;
};

/* Unpredictable 32-bit numbers for DHCP xids, DNS ids, source ports and
 * TCP initial sequence numbers (predictable ones were PixieFail
 * CVE-2023-45236/45237). Never a constant: native uses RDRAND when the CPU
 * has it, else the reference time mixed with the TSC; tests use
 * getrandom() or a seeded generator. */
struct net_random {
	uint32_t (*next)(void *ctx);
	void *ctx;
};

/* Policy. 0 everywhere means the default in brackets. */
struct net_params {
	uint32_t dhcp_timeout_ms;  /* a lease, all retries included [20000] */
	uint32_t dns_timeout_ms;   /* one name [10000] */
	uint32_t tftp_timeout_ms;  /* silence before a retransmission [1000] */
	uint32_t tftp_retries;     /* retransmissions in a row before giving up [5] */
	uint16_t tftp_blksize;     /* asked for; capped to fit the MTU [1468] */
	uint16_t tftp_windowsize;  /* asked for; 1 = lock-step [16] */
	uint32_t http_timeout_ms;  /* a whole transfer, redirects included [600000] */
	uint32_t http_idle_ms;     /* connecting, or silence mid-transfer [20000] */
};

struct net_progress {
	uint64_t bytes;      /* received into the destination so far */
	uint64_t total;      /* announced size (tsize, Content-Length), 0 if unknown */
	uint64_t elapsed_ms; /* since the transfer started */
};

struct net_config {
	struct net_link *link;
	struct net_clock clock;
	struct net_random random;
	struct net_params params;
	/* Called during a transfer at most every 100 ms (may be NULL). */
	void (*progress)(const struct net_progress *p, void *ctx);
	void *progress_ctx;
};

/* Addresses are in host byte order (0x0a00020f is 10.0.2.15). */
struct net_lease {
	uint32_t ip, mask, gateway;
	uint32_t dns[2];          /* 0 when absent */
	uint32_t server;          /* the DHCP server (option 54) */
	uint32_t next_server;     /* siaddr: the boot server */
	char tftp_server[256];    /* option 66 (or sname), "" if none */
	char bootfile[256];       /* option 67 (or the file field), "" if none */
};

struct net_stats {
	uint64_t tx_frames, tx_busy_drops, tx_errors;
	uint64_t rx_frames, rx_dropped, rx_deferred;
};

struct net_stack;

/* Brings the stack up on cfg->link (which stays the caller's). NULL, with
 * a logged reason, when the config is incomplete or a stack is open. */
struct net_stack *net_open(const struct net_config *cfg);
/* Stops DHCP, drops the interface; any download must be over. */
void net_close(struct net_stack *s);

/* One pass: frames in, timers. Returns the frames received. */
int net_poll(struct net_stack *s);
/* Polls until done(ctx) is true (0), the deadline (net_now ms) passes
 * (-ETIMEDOUT) or the stack broke (-EIO). Lets the link idle when a pass
 * did nothing. */
int net_wait(struct net_stack *s, bool (*done)(void *ctx), void *ctx, uint64_t deadline_ms);
uint64_t net_now(struct net_stack *s);

/* A DHCP lease within params.dhcp_timeout_ms: 0, -ETIMEDOUT, -EIO. */
int net_dhcp(struct net_stack *s, struct net_lease *lease);
/* The lease as one inventory row: "lease 10.0.2.15/24  router 10.0.2.2
 * dns 10.0.2.3  server 10.0.2.2  next-server 10.0.2.2  tftp-server -
 * bootfile vmlinuz" ("-" where a field is absent; the mask as a prefix
 * length unless it is not contiguous). */
void net_lease_row(const struct net_lease *l, char *out, size_t cap);
/* A fixed address instead (gateway may be 0); dns may be 0. */
int net_static(struct net_stack *s, uint32_t ip, uint32_t mask, uint32_t gateway, uint32_t dns);
/* The lease or static setup in force; NULL before either. */
const struct net_lease *net_lease(const struct net_stack *s);
/* A dotted quad or a DNS name to an address (host byte order). */
int net_resolve(struct net_stack *s, const char *host, uint32_t *ip);

/* Loads `source` (tftp://, http:// or dhcp, optionally #sha256=<hex>; see
 * net/url.h) into dst[0..dst_len). Brings the interface up with DHCP first
 * if it has no address. On success *got is the size and, unless digest is
 * NULL, digest the file's SHA-256; the sum is checked against the source's
 * #sha256= if it has one, and not computed when neither asks for it.
 * Returns 0 or a negative errno; the reason is logged and kept in
 * net_error(). */
int net_load(struct net_stack *s, const char *source, void *dst, size_t dst_len, size_t *got,
	     uint8_t digest[32]);
/* The last failure as a sentence ("" if none). */
const char *net_error(const struct net_stack *s);
/* The current (or last) transfer's counters. */
void net_get_progress(const struct net_stack *s, struct net_progress *p);
void net_get_stats(const struct net_stack *s, struct net_stats *st);

#endif
