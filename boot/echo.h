/* The guest side of hvsim's echo test device (sim/echo_proto.h): used by
 * hvboot-host echo, the tests and the benchmarks to move data both ways
 * through a real channel. Hosted only. */
#ifndef BOOT_ECHO_H
#define BOOT_ECHO_H

#include <stdbool.h>
#include <stdint.h>

#include "../sim/echo_proto.h"
#include "../vmbus/channel.h"

struct echo_client {
	struct vmbus *vb;
	struct vmbus_channel ch;
	/* unsolicited inband echoes */
	uint64_t echoes_received, echo_bytes;
	/* the request in flight (synchronous helpers) */
	int status;
	uint8_t reply[512];
	uint32_t reply_len;
	bool done;
};

/* The n-th (from 0) live offer of the echo class, or NULL. */
struct vmbus_offer *echo_find_nth(struct vmbus *vb, unsigned n);
static inline struct vmbus_offer *echo_find(struct vmbus *vb) { return echo_find_nth(vb, 0); }
/* Open the echo channel of offer (NULL: the first one). */
int echo_open_offer(struct echo_client *ec, struct vmbus *vb, struct vmbus_offer *offer,
		    uint32_t ring_bytes);
static inline int echo_open(struct echo_client *ec, struct vmbus *vb, uint32_t ring_bytes)
{
	return echo_open_offer(ec, vb, NULL, ring_bytes);
}
/* An inband request: the completion must carry the same bytes. */
int echo_roundtrip(struct echo_client *ec, const void *data, uint32_t len);
/* GPA-direct: the host fills the buffer (FILL) or hashes it (SUM). */
int echo_dma(struct echo_client *ec, uint32_t op, uint32_t seed, const struct vmbus_gpa_buf *bufs,
	     unsigned nbufs, struct echo_reply *reply);
/* Many round trips of random sizes (1..max_len), checking order and data;
 * then a FILL and a SUM over a multi-page buffer. 0 or -errno (logged). */
int echo_exercise(struct echo_client *ec, unsigned packets, uint32_t max_len, uint64_t seed);

#endif
