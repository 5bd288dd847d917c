/* Between netvsc.c (bring-up, control, teardown) and netvsc_io.c (the data
 * path, receive dispatch, the link). Not for other modules. */
#ifndef VSC_NETVSC_INT_H
#define VSC_NETVSC_INT_H

#include "netvsc.h"

/* A free send section that holds len bytes (marked busy), or NVSP_NO_SECTION. */
uint32_t netvsc_section_get(struct netvsc *nv, uint32_t len);
/* The host completed (status 0) or gave up on the send using it; a send
 * that timed out may still be read by the host: its section is never reused. */
void netvsc_section_put(struct netvsc *nv, uint32_t section, int status);
/* Whether a completion packet carries NVSP 108 with status SUCCESS (*status:
 * what it carried, 0 if too short). */
bool netvsc_rndis_pkt_complete_ok(const struct ring_pkt *pkt, uint32_t *status);
/* netvsc_ctl.c: one control exchange at a time; next() runs when it ends
 * (status 0, or the first error: -ETIMEDOUT, -EIO, -EPROTO, ...), with the
 * answer in nv->ctl.reply. Each returns 0 or why nothing was sent. */
int netvsc_nvsp_request(struct netvsc *nv, const struct nvsp_msg *m,
			void (*next)(struct netvsc *, int));
/* An NVSP message without an answer. */
int netvsc_nvsp_post(struct netvsc *nv, const struct nvsp_msg *m);
/* An RNDIS control message; its request id (byte 8) is filled in. reply_type
 * 0: no RNDIS completion is due (HALT). */
int netvsc_rndis_request(struct netvsc *nv, void *msg, uint32_t len, uint32_t reply_type,
			 void (*next)(struct netvsc *, int));
int netvsc_query(struct netvsc *nv, uint32_t oid, void (*next)(struct netvsc *, int));
int netvsc_set_filter(struct netvsc *nv, uint32_t filter, void (*next)(struct netvsc *, int));
/* An RNDIS completion found by the receive path (netvsc.c matches it). */
void netvsc_rndis_completion(struct netvsc *nv, uint32_t type, uint32_t rid, int err,
			     const uint8_t *msg, uint32_t len);
/* Receive callbacks and the link, before the channel opens. */
void netvsc_io_init(struct netvsc *nv);
/* The channel's on_packet: transfer-page packets, host notifications. */
void netvsc_on_packet(struct vmbus_channel *ch, const struct ring_pkt *pkt);

#endif
