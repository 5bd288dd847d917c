/* VMBus channels: open/close/rescind, sending packets (inband, GPA-direct,
 * completions), and requests whose completions are matched by transaction
 * id. Transaction ids are slot numbers in a per-channel table (slot in the
 * low 16 bits, a generation above, so a late completion for a reused slot
 * is still recognised as stale); id 0 is the host's unsolicited packets. */
#ifndef VMBUS_CHANNEL_H
#define VMBUS_CHANNEL_H

#include "ring.h"
#include "vmbus.h"

/* Policy */
#define VMBUS_CHANNEL_MAX_REQUESTS 1024u
#define VMBUS_GPA_DIRECT_MAX_PFNS 1024u /* per packet: 4 MiB in one request */
#define VMBUS_CLOSE_TIMEOUT VMBUS_GPADL_TIMEOUT

enum vmbus_channel_state {
	CHANNEL_CLOSED,
	CHANNEL_OPENING,   /* ring GPADL or OPENCHANNEL in flight */
	CHANNEL_OPEN,
	CHANNEL_BROKEN,    /* a bad packet or index from the host: no further I/O */
	CHANNEL_RESCINDED, /* the host withdrew the device */
};

struct vmbus_channel;
struct vmbus_request;

/* done: status 0 with the completion packet, or -ETIMEDOUT, -EPIPE (ring
 * broken), -ENODEV (rescinded), -ECANCELED (closed) with pkt NULL. */
typedef void (*vmbus_request_done)(struct vmbus_channel *ch, struct vmbus_request *req, int status,
				   const struct ring_pkt *pkt);

struct vmbus_request {
	uint64_t tid;      /* 0 = slot free */
	uint64_t deadline;
	vmbus_request_done done;
	void *ctx;
};

/* A buffer for a GPA-direct packet: one range, any length, page-crossing. */
struct vmbus_gpa_buf {
	uint64_t gpa;
	uint32_t len;
};

struct vmbus_channel_params {
	uint32_t out_bytes, in_bytes; /* ring data sizes, multiples of 4096 */
	uint16_t max_requests;        /* outstanding at once; 0 = 64 */
	/* Inband and transfer-page packets, and completions with id 0. The
	 * packet is a private copy, valid during the call. */
	void (*on_packet)(struct vmbus_channel *ch, const struct ring_pkt *pkt);
	void *ctx;
};

struct vmbus_channel {
	struct vmbus_channel *next; /* on the connection's list */
	struct vmbus *vb;
	struct vmbus_offer *offer;
	uint32_t relid;
	char name[24];
	enum vmbus_channel_state state;
	struct vmbus_channel_params params;

	void *ring_mem, *scratch;
	uint64_t ring_gpa, scratch_gpa;
	uint32_t ring_pages, out_pages;
	struct vmbus_gpadl ring_gpadl;
	struct ring out, in;

	uint32_t openid;
	struct vmbus_op gpadl_op;   /* internal: the ring GPADL */
	struct vmbus_op *open_op;   /* the caller's */
	uint64_t open_deadline;

	struct vmbus_request *reqs; /* slots 1..max_requests */
	uint64_t generation;
	unsigned outstanding;
	uint64_t next_req_deadline;

	uint64_t signals;       /* HvSignalEvent calls made */
	uint64_t stale_completions;
};

/* Open: allocate the rings, create their GPADL, OPENCHANNEL. op completes
 * with 0 (open), or -EIO (refused), -ETIMEDOUT, -ENODEV (rescinded). */
int vmbus_channel_open_start(struct vmbus *vb, struct vmbus_channel *ch, struct vmbus_offer *offer,
			     const struct vmbus_channel_params *params, struct vmbus_op *op);
int vmbus_channel_open(struct vmbus *vb, struct vmbus_channel *ch, struct vmbus_offer *offer,
		       const struct vmbus_channel_params *params);
/* CLOSECHANNEL, fail what is outstanding (-ECANCELED), tear the ring GPADL
 * down (bounded wait) and free the rings. Returns 0 or the teardown error
 * (then the ring memory stays with the host and is not reused). */
int vmbus_channel_close(struct vmbus_channel *ch);

/* A request slot: returns the transaction id, or 0 when all slots are busy.
 * timeout in reference-time ticks. */
uint64_t vmbus_request_start(struct vmbus_channel *ch, vmbus_request_done done, void *ctx,
			     uint64_t timeout);
/* Give the slot back without completing (e.g. the send failed). */
void vmbus_request_cancel(struct vmbus_channel *ch, uint64_t tid);

/* Packets. tid != 0 asks for a completion. Returns 0, -EAGAIN (ring full:
 * try again after the loop ran), -EPIPE/-ENODEV (channel unusable), or
 * -EINVAL/-EMSGSIZE (a packet that can never be sent). */
int vmbus_send_inband(struct vmbus_channel *ch, const void *payload, uint32_t len, uint64_t tid);
int vmbus_send_gpa_direct(struct vmbus_channel *ch, const struct vmbus_gpa_buf *bufs,
			  unsigned nbufs, const void *payload, uint32_t len, uint64_t tid);
int vmbus_send_completion(struct vmbus_channel *ch, uint64_t tid, const void *payload,
			  uint32_t len);
/* Several packets, one publication: packets sent between begin and end
 * reach the host (and signal it, once, if needed) at end. Use it whenever
 * several requests go out together. */
void vmbus_channel_batch_begin(struct vmbus_channel *ch);
void vmbus_channel_batch_end(struct vmbus_channel *ch);
/* Signal the host now (after writes the ring said need it). */
void vmbus_channel_signal(struct vmbus_channel *ch);

#endif
