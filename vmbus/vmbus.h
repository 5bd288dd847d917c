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
};

/* Negotiate the newest version the host accepts (6.0 down to 0.13), then
 * collect every offer until ALLOFFERS_DELIVERED. */
int vmbus_connect(struct vmbus *vb, struct hv *hv, const struct vmbus_params *params);
/* UNLOAD and a bounded wait for UNLOAD_RESPONSE, discarding anything else;
 * then the pages lent to the host are freed. */
int vmbus_unload(struct vmbus *vb);
/* Take and handle at most one host message; returns 1 if one was taken. */
int vmbus_poll(struct vmbus *vb);

/* Inventory: one call of out() per line (header first), like lsvmbus -vv. */
void vmbus_inventory(const struct vmbus *vb, void (*out)(const char *line, void *ctx), void *ctx);
/* "Synthetic SCSI controller", or "unknown class". */
const char *vmbus_class_name(const struct guid *type);

#endif
