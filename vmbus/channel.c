/* Channels (facts 3.2, 3.6, 4). Receives data from the host: every inbound
 * packet is copied out of the ring by ring_read (which checks it), and every
 * completion id is checked against the request table before use. */
#include "channel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "vmbus_internal.h"

#define TID_SLOT(tid) ((uint32_t)((tid)&0xffff))
#define DEFAULT_MAX_REQUESTS 64u
#define SCRATCH_PAGES 3u /* a GPA-direct header with VMBUS_GPA_DIRECT_MAX_PFNS */

static void *alloc_pages(struct vmbus_channel *ch, uint32_t npages, uint64_t *gpa)
{
	struct hv_seam *s = ch->vb->hv->seam;

	return s->alloc(s, npages, gpa);
}

static uint32_t req_pages(const struct vmbus_channel *ch)
{
	return HVB_PAGES((ch->params.max_requests + 1) * (uint32_t)sizeof(struct vmbus_request));
}

static uint32_t buf_pages(const struct vmbus_channel *ch)
{
	return SCRATCH_PAGES + ch->params.in_bytes / HVB_PAGE_SIZE; /* scratch, then packet copy */
}

static void free_memory(struct vmbus_channel *ch)
{
	struct hv_seam *s = ch->vb->hv->seam;

	s->free(s, ch->ring_mem, ch->ring_pages);
	s->free(s, ch->scratch, buf_pages(ch));
	s->free(s, ch->reqs, req_pages(ch));
	ch->ring_mem = ch->scratch = NULL;
	ch->reqs = NULL;
}

static void list_remove(struct vmbus_channel *ch)
{
	for (struct vmbus_channel **pp = &ch->vb->channels; *pp; pp = &(*pp)->next) {
		if (*pp == ch) {
			*pp = ch->next;
			ch->next = NULL;
			return;
		}
	}
}

/* Fail every outstanding request. */
static void fail_requests(struct vmbus_channel *ch, int status)
{
	if (!ch->reqs)
		return;
	for (uint32_t i = 1; i <= ch->params.max_requests; i++) {
		struct vmbus_request r = ch->reqs[i];

		if (!r.tid)
			continue;
		ch->reqs[i].tid = 0;
		ch->outstanding--;
		if (r.done)
			r.done(ch, &r, status, NULL);
	}
}

void vmbus_channel_signal(struct vmbus_channel *ch)
{
	struct vmbus *vb = ch->vb;
	uint32_t conn = ch->offer->connection_id;
	uint16_t st;

	/* Below WIN7, and for channels without a dedicated interrupt, the host
	 * learns which channel from its bit in the send half of the interrupt
	 * page (facts 3.6). */
	if (vb->version < VMBUS_VERSION_WIN7 || !ch->offer->dedicated_interrupt) {
		uint8_t *send = (uint8_t *)vb->int_page + HVB_PAGE_SIZE / 2;

		__atomic_or_fetch(&send[ch->relid / 8], (uint8_t)(1u << (ch->relid % 8)),
				  __ATOMIC_SEQ_CST);
	}
	st = hv_signal_event(vb->hv, conn);
	ch->signals++;
	if (st != HV_STATUS_SUCCESS && ch->signals < 4)
		log_err("vmbus: %s: HvSignalEvent on connection %#x failed with HV status 0x%04x (%s)",
			ch->name, conn, st, hv_status_name(st));
}

static void broken(struct vmbus_channel *ch)
{
	if (ch->state != CHANNEL_OPEN)
		return;
	ch->state = CHANNEL_BROKEN;
	log_err("vmbus: %s: the host broke the channel's ring protocol; its requests fail", ch->name);
	fail_requests(ch, -EPIPE);
}

/* --- open -------------------------------------------------------------- */

static void open_failed(struct vmbus_channel *ch, int status)
{
	struct vmbus_op *op = ch->open_op;

	ch->open_op = NULL;
	ch->state = CHANNEL_CLOSED;
	list_remove(ch);
	vmbus_op_finish(op, status);
}

/* A refused or timed-out open leaves the ring GPADL with the host: take it
 * back before the memory is freed. If that fails too, the memory is never
 * reused (it may still be written by the host). */
static void reclaim_done(struct vmbus_op *op)
{
	struct vmbus_channel *ch = op->ctx;

	if (op->status == 0)
		free_memory(ch);
	else
		log_err("vmbus: %s: ring memory stays reserved (GPADL teardown failed)", ch->name);
}

static void reclaim_rings(struct vmbus_channel *ch)
{
	ch->gpadl_op.done = reclaim_done;
	ch->gpadl_op.ctx = ch;
	if (vmbus_gpadl_teardown_start(ch->vb, &ch->ring_gpadl, &ch->gpadl_op) != 0)
		log_err("vmbus: %s: ring memory stays reserved (no GPADL teardown)", ch->name);
}

static void ring_gpadl_done(struct vmbus_op *op)
{
	struct vmbus_channel *ch = op->ctx;
	struct vmbus *vb = ch->vb;
	struct vmbus_msg_open_channel m;
	uint16_t st;

	if (ch->state != CHANNEL_OPENING)
		return; /* rescinded meanwhile */
	if (op->status != 0) {
		log_err("vmbus: %s: the ring GPADL failed (%d); not opened", ch->name, op->status);
		free_memory(ch);
		open_failed(ch, op->status);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.hdr.msgtype = VMBUS_MSG_OPENCHANNEL;
	m.child_relid = ch->relid;
	m.openid = ch->openid;
	m.ringbuffer_gpadl = ch->ring_gpadl.handle;
	m.target_vp = vb->hv->vp_index;
	m.downstream_page_offset = ch->out_pages;
	st = vmbus_post(vb, &m, sizeof(m));
	if (st != HV_STATUS_SUCCESS) {
		log_err("vmbus: %s: posting OPENCHANNEL failed with HV status 0x%04x (%s)", ch->name,
			st, hv_status_name(st));
		reclaim_rings(ch);
		open_failed(ch, -EIO);
		return;
	}
	ch->open_deadline = hv_time(vb->hv) + VMBUS_OPEN_TIMEOUT;
	vmbus_note_deadline(vb, ch->open_deadline);
}

int vmbus_channel_open_start(struct vmbus *vb, struct vmbus_channel *ch, struct vmbus_offer *offer,
			     const struct vmbus_channel_params *params, struct vmbus_op *op)
{
	uint32_t out = params->out_bytes, in = params->in_bytes;
	uint64_t unused_gpa;
	char in_name[32];
	int rc;

	memset(ch, 0, sizeof(*ch));
	ch->vb = vb;
	ch->offer = offer;
	ch->relid = offer->relid;
	ch->params = *params;
	if (!ch->params.max_requests)
		ch->params.max_requests = DEFAULT_MAX_REQUESTS;
	snprintf(ch->name, sizeof(ch->name), "relid %u", offer->relid);
	if (vb->state != VMBUS_CONNECTED || offer->rescinded)
		return -ENODEV;
	if (!out || !in || out % HVB_PAGE_SIZE || in % HVB_PAGE_SIZE ||
	    ch->params.max_requests > VMBUS_CHANNEL_MAX_REQUESTS ||
	    2 + (out + in) / HVB_PAGE_SIZE > VMBUS_GPADL_MAX_PAGES)
		return -EINVAL;
	for (struct vmbus_channel *c = vb->channels; c; c = c->next)
		if (c->relid == ch->relid)
			return -EBUSY;

	/* One GPADL for both rings: [out header, out data..., in header, in data...]. */
	ch->out_pages = 1 + out / HVB_PAGE_SIZE;
	ch->ring_pages = ch->out_pages + 1 + in / HVB_PAGE_SIZE;
	ch->ring_mem = alloc_pages(ch, ch->ring_pages, &ch->ring_gpa);
	ch->scratch = alloc_pages(ch, buf_pages(ch), &ch->scratch_gpa);
	ch->reqs = alloc_pages(ch, req_pages(ch), &unused_gpa);
	if (!ch->ring_mem || !ch->scratch || !ch->reqs) {
		log_err("vmbus: %s: out of memory for %u ring pages", ch->name, ch->ring_pages);
		free_memory(ch);
		return -ENOMEM;
	}
	/* Fresh pages: both indices are 0, which ring_init accepts. */
	snprintf(in_name, sizeof(in_name), "relid %u out", ch->relid);
	rc = ring_init(&ch->out, ch->ring_mem, ch->out_pages * HVB_PAGE_SIZE, in_name);
	snprintf(in_name, sizeof(in_name), "relid %u in", ch->relid);
	rc = rc ? rc : ring_init(&ch->in, (uint8_t *)ch->ring_mem + ch->out_pages * HVB_PAGE_SIZE,
				 (ch->ring_pages - ch->out_pages) * HVB_PAGE_SIZE, in_name);
	if (rc) {
		free_memory(ch);
		return rc;
	}
	ring_reset(&ch->out);
	ring_reset(&ch->in);
	ch->in.allowed_types = 1u << VMBUS_PKT_DATA_INBAND | 1u << VMBUS_PKT_DATA_XFER_PAGES |
			       1u << VMBUS_PKT_COMP;
	ch->openid = ch->relid; /* echoed by the host; as Linux */

	ch->gpadl_op.done = ring_gpadl_done;
	ch->gpadl_op.ctx = ch;
	ch->state = CHANNEL_OPENING;
	vmbus_op_start(op);
	ch->open_op = op;
	ch->next = vb->channels;
	vb->channels = ch;
	rc = vmbus_gpadl_create_start(vb, &ch->ring_gpadl, ch->relid, ch->ring_gpa, ch->ring_pages,
				      &ch->gpadl_op);
	if (rc) {
		free_memory(ch);
		ch->open_op = NULL;
		ch->state = CHANNEL_CLOSED;
		list_remove(ch);
		op->status = rc;
		return rc;
	}
	return 0;
}

int vmbus_channel_open(struct vmbus *vb, struct vmbus_channel *ch, struct vmbus_offer *offer,
		       const struct vmbus_channel_params *params)
{
	struct vmbus_op op = { 0 };
	int rc = vmbus_channel_open_start(vb, ch, offer, params, &op);

	return rc ? rc : vmbus_wait_op(vb, &op);
}

static struct vmbus_channel *find_channel(struct vmbus *vb, uint32_t relid)
{
	for (struct vmbus_channel *c = vb->channels; c; c = c->next)
		if (c->relid == relid)
			return c;
	return NULL;
}

void vmbus_on_open_result(struct vmbus *vb, const void *msg, uint32_t size)
{
	struct vmbus_msg_open_result m;
	struct vmbus_channel *ch;
	struct vmbus_op *op;

	memcpy(&m, msg, HVB_MIN(size, (uint32_t)sizeof(m)));
	ch = find_channel(vb, m.child_relid);
	if (!ch || ch->state != CHANNEL_OPENING || ch->ring_gpadl.state != GPADL_READY ||
	    m.openid != ch->openid) {
		vmbus_reject(vb, "ignored OPENCHANNEL_RESULT for relid %u (open id %u): no such open "
			     "in progress", m.child_relid, m.openid);
		return;
	}
	if (m.status != 0) {
		log_err("vmbus: %s: the host refused to open the channel (status %#x)", ch->name,
			m.status);
		reclaim_rings(ch);
		open_failed(ch, -EIO);
		return;
	}
	ch->state = CHANNEL_OPEN;
	op = ch->open_op;
	ch->open_op = NULL;
	vmbus_op_finish(op, 0);
}

/* --- close, rescind ---------------------------------------------------- */

static uint16_t post_relid_msg(struct vmbus *vb, uint32_t type, uint32_t relid)
{
	struct vmbus_msg_relid m = { { type, 0 }, relid };

	return vmbus_post(vb, &m, sizeof(m));
}

int vmbus_channel_close(struct vmbus_channel *ch)
{
	struct vmbus *vb = ch->vb;
	int rc;

	if (ch->state == CHANNEL_OPENING && ch->open_op)
		vmbus_wait_op(vb, ch->open_op); /* bounded by the open's own deadline */
	if (ch->state != CHANNEL_OPEN && ch->state != CHANNEL_BROKEN) {
		list_remove(ch);
		return 0; /* closed, never opened, or rescinded (already released) */
	}
	list_remove(ch);
	post_relid_msg(vb, VMBUS_MSG_CLOSECHANNEL, ch->relid); /* no reply */
	ch->state = CHANNEL_CLOSED;
	fail_requests(ch, -ECANCELED);
	/* Only after TORNDOWN may the ring memory be reused (facts 7.3). */
	rc = vmbus_gpadl_teardown(vb, &ch->ring_gpadl);
	if (rc) {
		log_err("vmbus: %s: ring GPADL teardown failed (%d); its memory stays reserved",
			ch->name, rc);
		return rc;
	}
	free_memory(ch);
	return 0;
}

void vmbus_on_rescind(struct vmbus *vb, const void *msg, uint32_t size)
{
	struct vmbus_msg_relid m;
	struct vmbus_offer *offer;
	struct vmbus_channel *ch;

	memcpy(&m, msg, HVB_MIN(size, (uint32_t)sizeof(m)));
	offer = vmbus_find_offer(vb, m.child_relid);
	if (!offer) {
		vmbus_reject(vb, "ignored RESCIND_CHANNELOFFER for relid %u: no such offer",
			     m.child_relid);
		return;
	}
	offer->rescinded = true;
	ch = find_channel(vb, m.child_relid);
	if (ch) {
		bool opened = ch->state == CHANNEL_OPEN || ch->state == CHANNEL_BROKEN ||
			      (ch->state == CHANNEL_OPENING && ch->ring_gpadl.state == GPADL_READY);
		struct vmbus_op *op = ch->open_op;

		log_warn("vmbus: %s (%s): rescinded by the host; closing it", ch->name,
			 vmbus_class_name(&offer->type));
		ch->state = CHANNEL_RESCINDED;
		ch->open_op = NULL;
		fail_requests(ch, -ENODEV);
		vmbus_op_finish(op, -ENODEV);
		if (opened)
			post_relid_msg(vb, VMBUS_MSG_CLOSECHANNEL, ch->relid);
		/* The host releases a rescinded channel's GPADLs itself once the
		 * relid is released (Linux skips GPADL_TEARDOWN here too). */
		vmbus_gpadl_forget(vb, &ch->ring_gpadl);
		list_remove(ch);
		post_relid_msg(vb, VMBUS_MSG_RELID_RELEASED, ch->relid);
		free_memory(ch);
	} else {
		log_info("vmbus: relid %u (%s): rescinded by the host", m.child_relid,
			 vmbus_class_name(&offer->type));
		post_relid_msg(vb, VMBUS_MSG_RELID_RELEASED, m.child_relid);
	}
}

/* --- requests ---------------------------------------------------------- */

uint64_t vmbus_request_start(struct vmbus_channel *ch, vmbus_request_done done, void *ctx,
			     uint64_t timeout)
{
	uint32_t max = ch->params.max_requests;

	if (ch->state != CHANNEL_OPEN || ch->outstanding == max)
		return 0;
	ch->generation++;
	for (uint32_t n = 0; n < max; n++) {
		uint32_t slot = 1 + (uint32_t)((ch->generation + n) % max);
		struct vmbus_request *r = &ch->reqs[slot];

		if (r->tid)
			continue;
		r->tid = slot | ch->generation << 16;
		r->deadline = hv_time(ch->vb->hv) + timeout;
		r->done = done;
		r->ctx = ctx;
		ch->outstanding++;
		if (!ch->next_req_deadline || r->deadline < ch->next_req_deadline)
			ch->next_req_deadline = r->deadline;
		vmbus_note_deadline(ch->vb, r->deadline);
		return r->tid;
	}
	return 0;
}

static struct vmbus_request *lookup(struct vmbus_channel *ch, uint64_t tid)
{
	uint32_t slot = TID_SLOT(tid);

	if (slot == 0 || slot > ch->params.max_requests || ch->reqs[slot].tid != tid)
		return NULL;
	return &ch->reqs[slot];
}

void vmbus_request_cancel(struct vmbus_channel *ch, uint64_t tid)
{
	struct vmbus_request *r = lookup(ch, tid);

	if (r) {
		r->tid = 0;
		ch->outstanding--;
	}
}

static void on_completion(struct vmbus_channel *ch, const struct ring_pkt *pkt)
{
	struct vmbus_request *r, copy;

	if (pkt->trans_id == 0) {
		ch->params.on_packet(ch, pkt); /* unsolicited */
		return;
	}
	r = lookup(ch, pkt->trans_id);
	if (!r) {
		/* Keep the channel: a stale or bogus id is the host's mistake. */
		if (ch->stale_completions++ < 4)
			log_warn("vmbus: %s: rejected a completion for transaction %#llx, which is not "
				 "outstanding", ch->name, (unsigned long long)pkt->trans_id);
		ch->vb->rejected++;
		return;
	}
	copy = *r;
	r->tid = 0;
	ch->outstanding--;
	if (copy.done)
		copy.done(ch, &copy, 0, pkt);
}

void vmbus_channels_check_deadlines(struct vmbus *vb, uint64_t now)
{
	for (struct vmbus_channel *ch = vb->channels, *next; ch; ch = next) {
		next = ch->next;
		if (ch->state == CHANNEL_OPENING && ch->open_deadline) {
			if (now >= ch->open_deadline) {
				log_err("vmbus: %s: no OPENCHANNEL_RESULT within %llu ms", ch->name,
					(unsigned long long)(VMBUS_OPEN_TIMEOUT / HV_TICKS_PER_MS));
				/* The host may still open it: close and take the rings back. */
				post_relid_msg(vb, VMBUS_MSG_CLOSECHANNEL, ch->relid);
				reclaim_rings(ch);
				open_failed(ch, -ETIMEDOUT);
				continue;
			}
			vmbus_note_deadline(vb, ch->open_deadline);
		}
		if (!ch->outstanding || now < ch->next_req_deadline) {
			if (ch->outstanding)
				vmbus_note_deadline(vb, ch->next_req_deadline);
			continue;
		}
		ch->next_req_deadline = 0;
		for (uint32_t i = 1; i <= ch->params.max_requests; i++) {
			struct vmbus_request r = ch->reqs[i];

			if (!r.tid)
				continue;
			if (now < r.deadline) {
				if (!ch->next_req_deadline || r.deadline < ch->next_req_deadline)
					ch->next_req_deadline = r.deadline;
				continue;
			}
			ch->reqs[i].tid = 0;
			ch->outstanding--;
			log_err("vmbus: %s: request %#llx got no completion in time", ch->name,
				(unsigned long long)r.tid);
			if (r.done)
				r.done(ch, &r, -ETIMEDOUT, NULL);
		}
		if (ch->next_req_deadline)
			vmbus_note_deadline(vb, ch->next_req_deadline);
	}
}

/* After UNLOAD the host has released every channel and GPADL. */
void vmbus_channels_forget_all(struct vmbus *vb)
{
	while (vb->channels) {
		struct vmbus_channel *ch = vb->channels;
		struct vmbus_op *op = ch->open_op;

		vb->channels = ch->next;
		ch->next = NULL;
		ch->state = CHANNEL_CLOSED;
		ch->open_op = NULL;
		fail_requests(ch, -ENOTCONN);
		vmbus_op_finish(op, -ENOTCONN);
		free_memory(ch);
	}
}

/* --- sending ----------------------------------------------------------- */

static int write_packet(struct vmbus_channel *ch, const struct ring_seg *segs, unsigned n)
{
	uint32_t need = 0;
	bool signal;
	int rc;

	if (ch->state == CHANNEL_RESCINDED)
		return -ENODEV;
	if (ch->state != CHANNEL_OPEN)
		return -EPIPE;
	rc = ring_write(&ch->out, segs, n, &signal);
	if (rc == -EAGAIN && ch->out.batching) {
		/* Full in the middle of a batch: let the host see what is
		 * there, then go on batching. */
		ring_flush(&ch->out, &signal);
		if (signal)
			vmbus_channel_signal(ch);
		ring_batch_begin(&ch->out);
	}
	if (rc == -EAGAIN) {
		/* Ask the host to signal when there is room (we set the
		 * feature bit that promises this). */
		for (unsigned i = 0; i < n; i++)
			need += segs[i].len;
		ring_want_space(&ch->out, need + VMBUS_PKT_TRAILER);
		return -EAGAIN;
	}
	if (rc == -EPIPE)
		broken(ch);
	if (rc)
		return rc;
	if (ch->out.hdr->pending_send_sz)
		ring_want_space(&ch->out, 0);
	if (signal)
		vmbus_channel_signal(ch);
	return 0;
}

void vmbus_channel_batch_begin(struct vmbus_channel *ch)
{
	ring_batch_begin(&ch->out);
}

void vmbus_channel_batch_end(struct vmbus_channel *ch)
{
	bool signal;

	ring_flush(&ch->out, &signal);
	if (signal && ch->state == CHANNEL_OPEN)
		vmbus_channel_signal(ch);
}

static const uint8_t zero_pad[8];

/* A packet whose payload follows the 16-byte descriptor. */
static int send_simple(struct vmbus_channel *ch, uint16_t type, uint16_t flags, uint64_t tid,
		       const void *payload, uint32_t len)
{
	uint32_t padded = (len + 7) & ~7u;
	struct vmbus_pkt_desc d = {
		.type = type,
		.offset8 = 2,
		.len8 = (uint16_t)((16 + padded) / 8),
		.flags = flags,
		.trans_id = tid,
	};
	struct ring_seg segs[3] = { { &d, 16 }, { payload, len }, { zero_pad, padded - len } };

	if (16 + padded > 0xffffu * 8)
		return -EMSGSIZE;
	return write_packet(ch, segs, 3);
}

int vmbus_send_inband(struct vmbus_channel *ch, const void *payload, uint32_t len, uint64_t tid)
{
	return send_simple(ch, VMBUS_PKT_DATA_INBAND, tid ? VMBUS_PKT_FLAG_COMPLETION_REQUESTED : 0,
			   tid, payload, len);
}

int vmbus_send_completion(struct vmbus_channel *ch, uint64_t tid, const void *payload,
			  uint32_t len)
{
	return send_simple(ch, VMBUS_PKT_COMP, 0, tid, payload, len);
}

int vmbus_send_gpa_direct(struct vmbus_channel *ch, const struct vmbus_gpa_buf *bufs,
			  unsigned nbufs, const void *payload, uint32_t len, uint64_t tid)
{
	struct vmbus_gpa_direct_hdr *h = ch->scratch;
	uint8_t *p = (uint8_t *)(h + 1);
	uint32_t pfns = 0, hdr_len, padded = (len + 7) & ~7u;
	struct ring_seg segs[3];

	if (nbufs == 0 || !h)
		return -EINVAL;
	for (unsigned i = 0; i < nbufs; i++) {
		uint32_t off = bufs[i].gpa & (HVB_PAGE_SIZE - 1);

		/* No zero-byte ranges: OpenVMM treats them as corruption. */
		if (bufs[i].len == 0)
			return -EINVAL;
		pfns += (uint32_t)HVB_PAGES((uint64_t)off + bufs[i].len);
		if (pfns > VMBUS_GPA_DIRECT_MAX_PFNS)
			return -EMSGSIZE;
	}
	for (unsigned i = 0; i < nbufs; i++) {
		struct vmbus_gpa_range r = { bufs[i].len, (uint32_t)(bufs[i].gpa & (HVB_PAGE_SIZE - 1)) };
		uint64_t pfn = bufs[i].gpa >> HVB_PAGE_SHIFT;
		uint32_t n = (uint32_t)HVB_PAGES((uint64_t)r.byte_offset + r.byte_count);

		memcpy(p, &r, sizeof(r));
		p += sizeof(r);
		for (uint32_t j = 0; j < n; j++, p += 8) {
			uint64_t v = pfn + j;

			memcpy(p, &v, 8);
		}
	}
	hdr_len = (uint32_t)(p - (uint8_t *)h);
	if (hdr_len + padded > 0xffffu * 8)
		return -EMSGSIZE;
	memset(h, 0, sizeof(*h));
	h->desc.type = VMBUS_PKT_DATA_GPA_DIRECT;
	h->desc.offset8 = (uint16_t)(hdr_len / 8);
	h->desc.len8 = (uint16_t)((hdr_len + padded) / 8);
	h->desc.flags = tid ? VMBUS_PKT_FLAG_COMPLETION_REQUESTED : 0;
	h->desc.trans_id = tid;
	h->range_count = nbufs;
	segs[0] = (struct ring_seg){ h, hdr_len };
	segs[1] = (struct ring_seg){ payload, len };
	segs[2] = (struct ring_seg){ zero_pad, padded - len };
	return write_packet(ch, segs, 3);
}

/* --- receiving --------------------------------------------------------- */

static void dispatch(struct vmbus_channel *ch, const struct ring_pkt *pkt)
{
	if (pkt->type == VMBUS_PKT_COMP)
		on_completion(ch, pkt);
	else if (ch->params.on_packet)
		ch->params.on_packet(ch, pkt);
}

/* Batched read (facts 4.5): mask the host's signals while draining, then
 * unmask and look once more, so nothing slips in between. */
static int channel_poll(struct vmbus_channel *ch)
{
	uint8_t *buf = (uint8_t *)ch->scratch + SCRATCH_PAGES * HVB_PAGE_SIZE;
	struct ring_pkt pkt;
	int n = 0, rc = 0;
	bool signal;

	if (ch->state != CHANNEL_OPEN || !ring_pending_bytes(&ch->in))
		return 0;
	ring_set_mask(&ch->in, true);
	for (;;) {
		while (ch->state == CHANNEL_OPEN &&
		       (rc = ring_read(&ch->in, buf, ch->params.in_bytes, &pkt)) == 1) {
			dispatch(ch, &pkt);
			n++;
		}
		if (ch->state != CHANNEL_OPEN)
			break;
		if (rc < 0) {
			broken(ch);
			break;
		}
		ring_read_done(&ch->in, &signal);
		if (signal)
			vmbus_channel_signal(ch);
		ring_set_mask(&ch->in, false);
		if (!ring_pending_bytes(&ch->in))
			break;
		ring_set_mask(&ch->in, true);
	}
	return n;
}

int vmbus_channels_poll(struct vmbus *vb)
{
	int n = 0;

	for (struct vmbus_channel *ch = vb->channels, *next; ch; ch = next) {
		next = ch->next;
		n += channel_poll(ch);
	}
	return n;
}
