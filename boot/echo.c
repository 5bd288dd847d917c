/* The echo client. */
#include "echo.h"

#include <errno.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "../sim/echo_proto.h"
#include "../vmbus/devclass.h"

#define ECHO_TIMEOUT (5 * HV_TICKS_PER_SEC)

struct vmbus_offer *echo_find_nth(struct vmbus *vb, unsigned n)
{
	static const struct guid echo = ECHO_CLASS_GUID;

	for (unsigned i = 0; i < vb->noffers; i++)
		if (guid_equal(&vb->offers[i].type, &echo) && !vb->offers[i].rescinded && n-- == 0)
			return &vb->offers[i];
	return NULL;
}

static void on_packet(struct vmbus_channel *ch, const struct ring_pkt *pkt)
{
	struct echo_client *ec = ch->params.ctx;

	ec->echoes_received++;
	ec->echo_bytes += pkt->len - pkt->offset;
}

int echo_open_offer(struct echo_client *ec, struct vmbus *vb, struct vmbus_offer *offer,
		    uint32_t ring_bytes)
{
	struct vmbus_channel_params p = {
		.out_bytes = ring_bytes,
		.in_bytes = ring_bytes,
		.max_requests = 256,
		.on_packet = on_packet,
		.ctx = ec,
	};
	memset(ec, 0, sizeof(*ec));
	ec->vb = vb;
	if (!offer)
		offer = echo_find(vb);
	if (!offer) {
		log_err("echo: the host offers no echo device (hvsim --devices ...,echo)");
		return -ENODEV;
	}
	return vmbus_channel_open(vb, &ec->ch, offer, &p);
}

static void on_done(struct vmbus_channel *ch, struct vmbus_request *req, int status,
		    const struct ring_pkt *pkt)
{
	struct echo_client *ec = req->ctx;

	(void)ch;
	ec->status = status;
	ec->reply_len = 0;
	if (pkt) {
		ec->reply_len = HVB_MIN(pkt->len - pkt->offset, (uint32_t)sizeof(ec->reply));
		memcpy(ec->reply, pkt->data + pkt->offset, ec->reply_len);
	}
	ec->done = true;
}

/* Send with a request slot, retrying while the ring is full; then wait. */
static int request(struct echo_client *ec, const struct vmbus_gpa_buf *bufs, unsigned nbufs,
		   const void *data, uint32_t len)
{
	uint64_t tid = vmbus_request_start(&ec->ch, on_done, ec, ECHO_TIMEOUT);
	uint64_t give_up = hv_time(ec->vb->hv) + ECHO_TIMEOUT;
	int rc;

	if (!tid)
		return ec->ch.state == CHANNEL_OPEN ? -EBUSY : -EPIPE;
	ec->done = false;
	for (;;) {
		rc = nbufs ? vmbus_send_gpa_direct(&ec->ch, bufs, nbufs, data, len, tid)
			   : vmbus_send_inband(&ec->ch, data, len, tid);
		if (rc != -EAGAIN)
			break;
		if (hv_time(ec->vb->hv) >= give_up) {
			rc = -ETIMEDOUT;
			break;
		}
		if (!vmbus_loop_once(ec->vb))
			hv_idle(ec->vb->hv->seam);
	}
	if (rc) {
		vmbus_request_cancel(&ec->ch, tid);
		return rc;
	}
	while (!ec->done)
		if (!vmbus_loop_once(ec->vb))
			hv_idle(ec->vb->hv->seam);
	return ec->status;
}

int echo_roundtrip(struct echo_client *ec, const void *data, uint32_t len)
{
	int rc = request(ec, NULL, 0, data, len);

	if (rc)
		return rc;
	/* The payload comes back padded to 8 bytes. */
	if (ec->reply_len < len || memcmp(ec->reply, data, len) != 0) {
		log_err("echo: a %u-byte packet came back different", len);
		return -EIO;
	}
	return 0;
}

int echo_dma(struct echo_client *ec, uint32_t op, uint32_t seed, const struct vmbus_gpa_buf *bufs,
	     unsigned nbufs, struct echo_reply *reply)
{
	struct echo_cmd cmd = { op, seed };
	int rc = request(ec, bufs, nbufs, &cmd, sizeof(cmd));

	if (rc)
		return rc;
	if (ec->reply_len < sizeof(*reply)) {
		log_err("echo: a %u-byte DMA reply is too short", ec->reply_len);
		return -EIO;
	}
	memcpy(reply, ec->reply, sizeof(*reply));
	return reply->status ? -EIO : 0;
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int echo_exercise(struct echo_client *ec, unsigned packets, uint32_t max_len, uint64_t seed)
{
	struct hv_seam *s = ec->vb->hv->seam;
	uint8_t buf[512];
	uint64_t rng = seed | 1, gpa, want;
	struct vmbus_gpa_buf bufs[2];
	struct echo_reply reply;
	uint8_t *dma;
	int rc = 0;

	max_len = HVB_MIN(max_len, (uint32_t)sizeof(buf));
	for (unsigned i = 0; i < packets && rc == 0; i++) {
		uint32_t len = 1 + (uint32_t)(next_rand(&rng) % max_len);

		for (uint32_t j = 0; j < len; j++)
			buf[j] = (uint8_t)(next_rand(&rng) >> 24);
		rc = echo_roundtrip(ec, buf, len);
	}
	if (rc)
		return rc;
	/* DMA both ways over a buffer that starts mid-page and spans pages,
	 * described as two ranges. */
	dma = s->alloc(s, 8, &gpa);
	if (!dma)
		return -ENOMEM;
	bufs[0] = (struct vmbus_gpa_buf){ gpa + 100, 3 * HVB_PAGE_SIZE };
	bufs[1] = (struct vmbus_gpa_buf){ gpa + 4 * HVB_PAGE_SIZE + 8, 2 * HVB_PAGE_SIZE + 1 };
	rc = echo_dma(ec, ECHO_OP_FILL, 77, bufs, 2, &reply);
	for (uint64_t i = 0; rc == 0 && i < 3 * HVB_PAGE_SIZE; i++)
		if (dma[100 + i] != echo_fill_byte(77, i))
			rc = -EIO;
	for (uint64_t i = 0; rc == 0 && i < 2 * HVB_PAGE_SIZE + 1; i++)
		if (dma[4 * HVB_PAGE_SIZE + 8 + i] != echo_fill_byte(77, 3 * HVB_PAGE_SIZE + i))
			rc = -EIO;
	if (rc == 0 && (dma[99] != 0 || dma[4 * HVB_PAGE_SIZE + 7] != 0))
		rc = -EIO; /* written outside the ranges */
	if (rc == -EIO)
		log_err("echo: the host's FILL did not land exactly in the ranges");
	if (rc == 0) {
		for (uint32_t i = 0; i < 8 * HVB_PAGE_SIZE; i++)
			dma[i] = (uint8_t)(next_rand(&rng) >> 24);
		want = echo_fnv1a(ECHO_FNV_OFFSET, dma + 100, 3 * HVB_PAGE_SIZE);
		want = echo_fnv1a(want, dma + 4 * HVB_PAGE_SIZE + 8, 2 * HVB_PAGE_SIZE + 1);
		rc = echo_dma(ec, ECHO_OP_SUM, 0, bufs, 2, &reply);
		if (rc == 0 && (reply.hash != want || reply.bytes != 5 * HVB_PAGE_SIZE + 1)) {
			log_err("echo: the host read different bytes than the guest wrote");
			rc = -EIO;
		}
	}
	s->free(s, dma, 8);
	return rc;
}
