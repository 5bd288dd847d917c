/* The VMBus connection: version negotiation, offers, unload, inventory.
 * Host messages are taken from the SynIC slot by vmbus_poll() and handed to
 * a handler per message type (a table, not a switch); waits poll with a
 * deadline and let the host run in between. */
#ifndef VMBUS_VMBUS_H
#define VMBUS_VMBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "hv.h"
#include "vmbus_proto.h"

/* Policy: timeouts in reference-time ticks (100 ns). */
#define VMBUS_CONTACT_TIMEOUT (5 * HV_TICKS_PER_SEC)
#define VMBUS_OFFERS_TIMEOUT (10 * HV_TICKS_PER_SEC)
/* Azure may flush its disk cache before answering UNLOAD: "up to 50 s"
 * observed, Linux waits 100 s (facts 7.2). */
#define VMBUS_UNLOAD_TIMEOUT (100 * HV_TICKS_PER_SEC)
#define VMBUS_MAX_OFFERS 256u
#define VMBUS_GPADL_TIMEOUT (5 * HV_TICKS_PER_SEC)    /* GPADL_CREATED, GPADL_TORNDOWN */
#define VMBUS_OPEN_TIMEOUT (5 * HV_TICKS_PER_SEC)     /* OPENCHANNEL_RESULT */
/* One GPADL is one range whose 16-bit range_buflen counts 8 + 8 per page:
 * at most 8190 pages (32 MiB). */
#define VMBUS_GPADL_MAX_PAGES 8190u
#define VMBUS_GPADL_FIRST_HANDLE 0xE1E10u /* as Linux: easy to spot in traces */

/* An asynchronous operation: status is -EINPROGRESS until it completes,
 * then 0 or -errno; done (if set) is called once at completion. */
struct vmbus_op {
	int status;
	void (*done)(struct vmbus_op *op);
	void *ctx;
};

enum vmbus_gpadl_state {
	GPADL_IDLE,
	GPADL_CREATING,     /* header and bodies sent, waiting for GPADL_CREATED */
	GPADL_READY,
	GPADL_TEARING_DOWN, /* waiting for GPADL_TORNDOWN */
};

/* A guest buffer described to the host (facts 3.2). The buffer is one run
 * of contiguous guest-physical pages. */
struct vmbus_gpadl {
	struct vmbus_gpadl *next; /* on the connection's list while known to the host */
	uint32_t handle, relid, npages;
	uint64_t gpa;
	enum vmbus_gpadl_state state;
	uint64_t deadline;
	struct vmbus_op *op;      /* the create or teardown in progress */
};

struct vmbus_channel;

/* A one-shot timer run by the event loop (e.g. a retry backoff). */
struct vmbus_timer {
	struct vmbus_timer *next;
	uint64_t when;
	void (*fn)(struct vmbus_timer *t);
	void *ctx;
	bool armed;
};

/* A validated offer. */
struct vmbus_offer {
	struct guid type, instance;
	uint32_t relid;
	uint32_t connection_id;   /* guest->host signal; VMBUS_EVENT_CONNECTION_ID before WIN7 */
	uint16_t sub_channel;
	uint16_t chn_flags;
	uint16_t mmio_megabytes;
	bool monitor_allocated;
	uint8_t monitor_id;       /* valid only if monitor_allocated */
	bool dedicated_interrupt;
	bool rescinded;           /* the host withdrew it; the relid may come back */
	uint8_t user_def[120];
};

enum vmbus_state {
	VMBUS_DISCONNECTED,
	VMBUS_CONTACTING,   /* INITIATE_CONTACT sent, waiting for VERSION_RESPONSE */
	VMBUS_CONNECTED,
	VMBUS_UNLOADING,    /* UNLOAD sent, waiting for UNLOAD_RESPONSE */
};

struct vmbus_params {
	uint64_t contact_timeout, offers_timeout, unload_timeout; /* 0 = the defaults above */
};

struct vmbus {
	struct hv *hv;
	enum vmbus_state state;
	struct vmbus_params params;
	uint32_t version;      /* negotiated */
	uint32_t msg_conn;     /* connection id for our posts */

	/* pages lent to the host by INITIATE_CONTACT */
	void *int_page, *monitor_pages;
	uint64_t int_page_gpa, monitor_gpa;

	/* answers the waits look for */
	bool got_version_response;
	struct vmbus_msg_version_response version_response;
	bool all_offers_delivered;
	bool unload_response;

	struct vmbus_offer offers[VMBUS_MAX_OFFERS];
	unsigned noffers;
	unsigned rejected; /* host messages rejected by validation */

	struct vmbus_gpadl *gpadls;     /* created or in progress */
	uint32_t next_gpadl;
	struct vmbus_channel *channels; /* open or opening */
	struct vmbus_timer *timers;     /* armed */
	uint64_t next_deadline;         /* earliest deadline of anything pending */
	/* Called for an offer that arrives after ALLOFFERS_DELIVERED (hot plug). */
	void (*on_hotplug)(struct vmbus *vb, struct vmbus_offer *offer, void *ctx);
	void *hotplug_ctx;
};

/* Negotiate the newest version the host accepts (6.0 down to 0.13), then
 * collect every offer until ALLOFFERS_DELIVERED. */
int vmbus_connect(struct vmbus *vb, struct hv *hv, const struct vmbus_params *params);
/* UNLOAD and a bounded wait for UNLOAD_RESPONSE, discarding anything else;
 * then the pages lent to the host are freed. */
int vmbus_unload(struct vmbus *vb);
/* Close every channel, tear down every GPADL, then UNLOAD: what a hand-off
 * needs. Returns the first error (and keeps going). */
int vmbus_shutdown(struct vmbus *vb);
/* Take and handle at most one host message; returns 1 if one was taken. */
int vmbus_poll(struct vmbus *vb);

/* The event loop: one pass over the SynIC message slot, the event flags,
 * every open channel's inbound ring and every deadline. Returns how much
 * work it did (0 = idle). */
int vmbus_loop_once(struct vmbus *vb);
/* Run the loop until op completes (every op has its own deadline). */
int vmbus_wait_op(struct vmbus *vb, struct vmbus_op *op);
/* Run the loop until *flag is true or timeout ticks pass: 0 or -ETIMEDOUT. */
int vmbus_wait_flag(struct vmbus *vb, const bool *flag, uint64_t timeout);
/* A deadline something pending now has: the loop checks deadlines only when
 * the earliest one is due. */
void vmbus_note_deadline(struct vmbus *vb, uint64_t deadline);

/* Run t->fn once, delay ticks from now (re-arming moves it). */
void vmbus_timer_start(struct vmbus *vb, struct vmbus_timer *t, uint64_t delay);
void vmbus_timer_cancel(struct vmbus *vb, struct vmbus_timer *t);

/* GPADLs. start: sends GPADL_HEADER and the GPADL_BODY messages and returns;
 * op completes on GPADL_CREATED (0, or -EIO for a non-zero status) or after
 * VMBUS_GPADL_TIMEOUT (-ETIMEDOUT). npages <= VMBUS_GPADL_MAX_PAGES. */
int vmbus_gpadl_create_start(struct vmbus *vb, struct vmbus_gpadl *g, uint32_t relid, uint64_t gpa,
			     uint32_t npages, struct vmbus_op *op);
int vmbus_gpadl_teardown_start(struct vmbus *vb, struct vmbus_gpadl *g, struct vmbus_op *op);
/* The same, waiting for the answer. */
int vmbus_gpadl_create(struct vmbus *vb, struct vmbus_gpadl *g, uint32_t relid, uint64_t gpa,
		       uint32_t npages);
int vmbus_gpadl_teardown(struct vmbus *vb, struct vmbus_gpadl *g);
/* Operation bookkeeping shared by the modules. */
void vmbus_op_start(struct vmbus_op *op);
void vmbus_op_finish(struct vmbus_op *op, int status);
struct vmbus_offer *vmbus_find_offer(struct vmbus *vb, uint32_t relid);
/* The first live primary channel of a device class ("storvsc", "netvsc"),
 * or NULL. */
struct vmbus_offer *vmbus_find_class(struct vmbus *vb, const char *key);
uint16_t vmbus_post(struct vmbus *vb, const void *msg, uint32_t len);

/* Inventory: one call of out() per line (header first), like lsvmbus -vv. */
void vmbus_inventory(const struct vmbus *vb, void (*out)(const char *line, void *ctx), void *ctx);
/* "Synthetic SCSI controller", or "unknown class". */
const char *vmbus_class_name(const struct guid *type);

#endif
