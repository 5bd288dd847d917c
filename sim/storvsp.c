/* storvsp: the host side of synthetic SCSI (facts 5) on storvsc channels.
 * The handshake is OpenVMM's state machine (BEGIN_INITIALIZATION, then
 * QUERY_PROTOCOL_VERSION until one is accepted, QUERY_PROPERTIES,
 * END_INITIALIZATION); every completion is exactly as long as its request
 * (at most 64 bytes), and anything OpenVMM treats as fatal (no completion
 * requested, a completion from the guest, an operation a guest does not
 * send, a bad data range) is a violation that stops the channel, with no
 * answer. SCSI commands go to sim/scsidisk.c; the completion-level faults
 * (delay, reorder, bogus ids, bad sizes) live here. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "../vsc/scsi_proto.h"
#include "../vsc/storvsc_proto.h"
#include "sim.h"

#define VSTOR_HDR offsetof(struct vstor_packet, srb) /* operation, flags, status */
#define PKT_MAX (sizeof(struct vmbus_pkt_desc) + VSTOR_PACKET_SIZE)
#define DEFAULT_MAX_TRANSFER (1u << 20)
#define BUSY_COMMANDS 3u            /* HVSIM_STORVSP_BUSY */
#define BOGUS_TID_OFFSET 0x10000u   /* HVSIM_STORVSP_BOGUS_TID */
#define BAD_COMPLETION_LEN 40u      /* HVSIM_STORVSP_BAD_COMPLETION_SIZE: < 48, a multiple of 8 */
#define OVERLONG_EXTRA 512u         /* HVSIM_STORVSP_OVERLONG_TRANSFER */
#define DELAY_TICKS 50000u          /* HVSIM_STORVSP_DELAY: 5 ms of reference time */
#define REORDER_TICKS 10000u        /* HVSIM_STORVSP_REORDER: 1 ms */
#define REORDER_BATCH 4u
#define HELD_MAX 256u               /* held completions; then the channel stops reading */
#define GPA_RANGE_AT sizeof(struct vmbus_gpa_direct_hdr)

/* The handshake (facts 5.4), one state per channel. */
enum vsp_state { VSP_BEGIN, VSP_VERSION, VSP_PROPERTIES, VSP_END, VSP_READY };

/* "First" storvsp faults (struct sim_storvsp.fired). */
enum vsp_fired {
	FIRED_IO_COMPLETION = 1u << 0, /* BOGUS_TID, BAD_COMPLETION_SIZE */
	FIRED_GOOD_READ = 1u << 1,     /* OVERLONG_TRANSFER */
};

/* A completion held back by the DELAY or REORDER fault. */
struct held {
	uint64_t ready;    /* reference time from which it may go */
	uint32_t len;
	bool bogus_first;  /* BOGUS_TID: a completion for another id goes first */
	uint8_t pkt[PKT_MAX];
};

struct sim_vsp_chan {
	enum vsp_state state;
	uint16_t version;
	unsigned outstanding;  /* requests read whose completion is not published */
	unsigned unpublished;  /* completions written in the current service batch */
	struct held *held;     /* DELAY/REORDER only */
	unsigned nheld;
	unsigned releasing;    /* the first ones of held[] committed to go */
	bool force;            /* no timer slot: release everything now */
	bool timer_armed;
	uint64_t timer_due;
};

/* One request being answered. */
struct vsp_req {
	struct hvsim *sim;
	struct sim_offer *o;
	struct sim_vsp_chan *c;
	const struct ring_pkt *pkt;
	struct vstor_packet p; /* the request, zero past the bytes that came */
	uint32_t size;         /* the completion's vstor_packet bytes: the request's, <= 64 */
};

static const uint16_t versions[] = {
	STORVSC_VERSION_WIN6, STORVSC_VERSION_WIN7, STORVSC_VERSION_WIN8,
	STORVSC_VERSION_WIN8_1, STORVSC_VERSION_WIN10,
};

static bool stop(struct vsp_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool stop(struct vsp_req *r, const char *fmt, ...)
{
	char why[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sim_violation(r->sim, "relid %u: storvsc packet (trans_id %llu): %s; the host stops serving "
		      "the channel", r->o->relid, (unsigned long long)r->pkt->trans_id, why);
	r->o->stopped = true;
	return false;
}

/* --- sending ---------------------------------------------------------------- */

/* Every completion goes through here, so in-flight requests are counted
 * where they are published: at once outside a service batch, at its end
 * inside one (sim_storvsp_published). */
static void emit(struct hvsim *sim, struct sim_offer *o, const uint8_t *pkt, uint32_t len,
		 bool bogus_first)
{
	struct sim_vsp_chan *c = o->vsp;

	if (bogus_first) {
		/* A completion for a transaction the guest never started;
		 * the right one follows. */
		struct vmbus_pkt_desc d;
		uint8_t bogus[PKT_MAX];

		memcpy(bogus, pkt, len);
		memcpy(&d, bogus, sizeof(d));
		d.trans_id += BOGUS_TID_OFFSET;
		memcpy(bogus, &d, sizeof(d));
		sim_chan_send(sim, o, bogus, len, false);
	}
	sim_chan_send(sim, o, pkt, len, false);
	if (o->out.batching)
		c->unpublished++;
	else if (c->outstanding)
		c->outstanding--;
}

/* Descriptor and vstor_packet of a completion: r->size bytes, the payload
 * cut or zero-filled to fit (facts 5.4: completions mirror the request). */
static uint32_t build(const struct vsp_req *r, uint32_t status, const void *payload, uint32_t plen,
		      uint8_t *out)
{
	struct vmbus_pkt_desc d = {
		.type = VMBUS_PKT_COMP,
		.offset8 = sizeof(d) / 8,
		.len8 = (uint16_t)((sizeof(d) + r->size) / 8),
		.trans_id = r->pkt->trans_id,
	};
	struct vstor_packet v;

	memset(&v, 0, sizeof(v));
	v.operation = VSTOR_OP_COMPLETE_IO;
	v.status = status;
	if (plen)
		memcpy(v.raw, payload, HVB_MIN(plen, r->size - (uint32_t)VSTOR_HDR));
	memcpy(out, &d, sizeof(d));
	memcpy(out + sizeof(d), &v, r->size);
	return (uint32_t)sizeof(d) + r->size;
}

static bool answer(struct vsp_req *r, uint32_t status, const void *payload, uint32_t plen)
{
	uint8_t pkt[PKT_MAX];
	uint32_t len = build(r, status, payload, plen, pkt);

	emit(r->sim, r->o, pkt, len, false);
	return true;
}

static bool out_of_order(struct vsp_req *r)
{
	return answer(r, NT_STATUS_INVALID_DEVICE_STATE, NULL, 0);
}

/* --- held completions (DELAY, REORDER) --------------------------------------- */

/* How many of the first held completions may go now. */
static unsigned releasable(struct hvsim *sim, struct sim_vsp_chan *c, uint64_t now)
{
	unsigned ready = 0;

	if (c->force)
		return c->nheld;
	while (ready < c->nheld && c->held[ready].ready <= now)
		ready++;
	if (!(sim->cfg.storvsp_faults & HVSIM_STORVSP_REORDER) || ready == 0)
		return ready;
	if (ready >= REORDER_BATCH || now >= c->held[0].ready + REORDER_TICKS)
		return ready;
	return 0;
}

/* A timer for when the next held completion may go; false if every timer
 * slot is taken. */
static bool arm(struct hvsim *sim, struct sim_offer *o, uint64_t now)
{
	struct sim_vsp_chan *c = o->vsp;
	uint64_t due = UINT64_MAX;
	unsigned ready = 0;

	while (ready < c->nheld && c->held[ready].ready <= now)
		ready++;
	if (ready < c->nheld)
		due = c->held[ready].ready;
	if (ready && (sim->cfg.storvsp_faults & HVSIM_STORVSP_REORDER))
		due = HVB_MIN(due, c->held[0].ready + REORDER_TICKS);
	if (c->timer_armed && c->timer_due <= due)
		return true;
	if (c->timer_armed)
		sim_timer_cancel(sim, SIM_TIMER_STORVSP, o->relid);
	c->timer_due = due;
	c->timer_armed = sim_timer_add_at(sim, SIM_TIMER_STORVSP, o->relid, due, NULL, 0);
	return c->timer_armed;
}

void sim_storvsp_pump(struct hvsim *sim, struct sim_offer *o)
{
	bool reverse = sim->cfg.storvsp_faults & HVSIM_STORVSP_REORDER;
	struct sim_vsp_chan *c = o->vsp;
	uint64_t now = sim_now(sim);

	if (!c || !c->held)
		return;
	for (;;) {
		/* One at a time, and only into an empty queue: a completion
		 * may be two packets (BOGUS_TID). */
		while (!o->ntx && !o->stopped) {
			unsigned i;
			struct held h;

			if (!c->releasing)
				c->releasing = releasable(sim, c, now);
			if (!c->releasing)
				break;
			i = reverse ? c->releasing - 1 : 0;
			h = c->held[i];
			memmove(&c->held[i], &c->held[i + 1], (c->nheld - i - 1) * sizeof(h));
			c->nheld--;
			c->releasing--;
			emit(sim, o, h.pkt, h.len, h.bogus_first);
		}
		if (!c->nheld)
			c->force = false;
		/* Blocked on the ring: the guest's read signals us. */
		if (!c->nheld || c->releasing || o->ntx || o->stopped)
			return;
		if (arm(sim, o, now))
			return;
		/* A delay is a fault injection, not a promise. */
		c->force = true;
	}
}

void sim_storvsp_timer(struct hvsim *sim, uint32_t relid)
{
	struct sim_offer *o = sim_offer_by_relid(sim, relid);

	if (!o || !o->vsp)
		return;
	o->vsp->timer_armed = false;
	sim_storvsp_pump(sim, o);
	/* Reading may have stopped while the held queue was full. */
	if (!o->stopped && ring_pending_bytes(&o->in))
		o->kicked = true;
}

bool sim_storvsp_ready(struct sim_offer *o)
{
	return !o->vsp || !o->vsp->held || o->vsp->nheld < HELD_MAX;
}

void sim_storvsp_published(struct sim_offer *o)
{
	struct sim_vsp_chan *c = o->vsp;

	if (!c)
		return;
	c->outstanding -= HVB_MIN(c->unpublished, c->outstanding);
	c->unpublished = 0;
}

/* An EXECUTE_SRB completion, with the faults on "I/O completions". */
static bool answer_io(struct vsp_req *r, uint32_t status, const struct vm_srb *srb)
{
	uint32_t faults = r->sim->cfg.storvsp_faults;
	struct sim_vsp_chan *c = r->c;
	bool bogus = false;
	uint8_t pkt[PKT_MAX];
	uint32_t len = build(r, status, srb, sizeof(*srb), pkt);

	if (!(r->sim->vsp.fired & FIRED_IO_COMPLETION)) {
		r->sim->vsp.fired |= FIRED_IO_COMPLETION;
		bogus = faults & HVSIM_STORVSP_BOGUS_TID;
		if (faults & HVSIM_STORVSP_BAD_COMPLETION_SIZE) {
			/* Shorter than any vstor_packet: the guest must drop
			 * it, and its request then times out. */
			struct vmbus_pkt_desc d;

			len = (uint32_t)sizeof(d) + BAD_COMPLETION_LEN;
			memcpy(&d, pkt, sizeof(d));
			d.len8 = (uint16_t)(len / 8);
			memcpy(pkt, &d, sizeof(d));
		}
	}
	if (!c->held || c->nheld == HELD_MAX) {
		emit(r->sim, r->o, pkt, len, bogus);
		return true;
	}
	c->held[c->nheld] = (struct held){
		.ready = sim_now(r->sim) + (faults & HVSIM_STORVSP_DELAY ? DELAY_TICKS : 0),
		.len = len,
		.bogus_first = bogus,
	};
	memcpy(c->held[c->nheld].pkt, pkt, len);
	c->nheld++;
	sim_storvsp_pump(r->sim, r->o);
	return true;
}

/* --- the handshake ------------------------------------------------------------ */

static bool op_begin(struct vsp_req *r)
{
	if (r->c->state != VSP_BEGIN)
		return out_of_order(r);
	r->c->state = VSP_VERSION;
	return answer(r, NT_STATUS_SUCCESS, NULL, 0);
}

static bool version_ok(struct hvsim *sim, uint16_t v)
{
	for (unsigned i = 0; i < ARRAY_SIZE(versions); i++)
		if (versions[i] == v)
			return v <= sim->vsp.max_version;
	return false;
}

/* The completion echoes the version asked for, accepted or not (mu_msvm
 * asserts it); a refused one leaves the state as it was. */
static bool op_version(struct vsp_req *r)
{
	uint16_t echo[2] = { r->p.version.major_minor, 0 };

	if (r->c->state != VSP_VERSION)
		return out_of_order(r);
	if (!version_ok(r->sim, echo[0]))
		return answer(r, NT_STATUS_REVISION_MISMATCH, echo, sizeof(echo));
	r->c->version = echo[0];
	r->c->state = VSP_PROPERTIES;
	r->sim->vsp.stats.version = echo[0];
	return answer(r, NT_STATUS_SUCCESS, echo, sizeof(echo));
}

/* No sub-channels, so no multi-channel flag. */
static bool op_properties(struct vsp_req *r)
{
	struct vstor_properties p;

	if (r->c->state != VSP_PROPERTIES)
		return out_of_order(r);
	memset(&p, 0, sizeof(p));
	p.max_transfer_bytes = r->sim->vsp.max_transfer;
	r->c->state = VSP_END;
	return answer(r, NT_STATUS_SUCCESS, &p, sizeof(p));
}

/* ENUMERATE_BUS, unsolicited: inband, trans_id 0, no completion wanted,
 * as long as the largest packet of the version (facts 5.7). */
static void enumerate_bus(struct vsp_req *r)
{
	uint32_t size = r->c->version >= STORVSC_VERSION_WIN8 ? VSTOR_PACKET_SIZE
							      : VSTOR_PACKET_SIZE_WIN7;
	struct vmbus_pkt_desc d = {
		.type = VMBUS_PKT_DATA_INBAND,
		.offset8 = sizeof(d) / 8,
		.len8 = (uint16_t)((sizeof(d) + size) / 8),
	};
	uint8_t pkt[PKT_MAX];
	uint32_t op = VSTOR_OP_ENUMERATE_BUS;

	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, &d, sizeof(d));
	memcpy(pkt + sizeof(d), &op, sizeof(op));
	sim_chan_send(r->sim, r->o, pkt, (uint32_t)sizeof(d) + size, false);
}

static bool op_end(struct vsp_req *r)
{
	if (r->c->state != VSP_END)
		return out_of_order(r);
	r->c->state = VSP_READY;
	answer(r, NT_STATUS_SUCCESS, NULL, 0);
	if (r->c->version >= STORVSC_VERSION_WIN7 &&
	    !(r->sim->cfg.storvsp_faults & HVSIM_STORVSP_NO_ENUMERATE))
		enumerate_bus(r);
	return true;
}

/* "These operations have always been no-ops" (OpenVMM). */
static bool op_reset(struct vsp_req *r)
{
	if (r->c->state != VSP_READY)
		return out_of_order(r);
	return answer(r, NT_STATUS_SUCCESS, NULL, 0);
}

/* max_channel_cnt is 0: no count can be enabled. */
static bool op_sub_channels(struct vsp_req *r)
{
	if (r->c->state != VSP_END && r->c->state != VSP_READY)
		return out_of_order(r);
	return answer(r, NT_STATUS_INVALID_PARAMETER, NULL, 0);
}

/* --- EXECUTE_SRB ----------------------------------------------------------------- */

/* The data buffer (facts 5.7): exactly one GPA-direct range that covers
 * data_transfer_length, or none for a command without data. Fills rq and
 * *range_len (the range's byte_count); false with the reason in why. */
static bool data_range(struct vsp_req *r, struct sim_scsi_req *rq, uint32_t *range_len,
		       char *why, size_t len)
{
	const struct ring_pkt *pkt = r->pkt;
	const struct vm_srb *s = &r->p.srb;
	struct vmbus_gpa_range range;
	uint32_t count;
	uint64_t npfn;

	*range_len = 0;
	if (pkt->type == VMBUS_PKT_DATA_INBAND) {
		if (s->data_transfer_length)
			snprintf(why, len, "data_transfer_length %u without a data range (an inband "
				 "packet)", s->data_transfer_length);
		else if (s->data_in == VSTOR_DATA_IN)
			snprintf(why, len, "data_in 1 (read) without a data range");
		else
			return true;
		return false;
	}
	if (pkt->offset < GPA_RANGE_AT + sizeof(range)) {
		snprintf(why, len, "offset8 leaves no room for a data range");
		return false;
	}
	memcpy(&count, pkt->data + offsetof(struct vmbus_gpa_direct_hdr, range_count), 4);
	memcpy(&range, pkt->data + GPA_RANGE_AT, sizeof(range));
	npfn = HVB_PAGES((uint64_t)range.byte_offset + range.byte_count);
	if (count != 1)
		snprintf(why, len, "%u data ranges; storvsp takes exactly one", count);
	else if (range.byte_count == 0)
		snprintf(why, len, "a zero-byte data range");
	else if (range.byte_offset >= HVB_PAGE_SIZE)
		snprintf(why, len, "the range's byte_offset %u is 4096 or more", range.byte_offset);
	else if (npfn * 8 > pkt->offset - GPA_RANGE_AT - sizeof(range))
		snprintf(why, len, "the range's PFNs run beyond the payload offset (offset8)");
	else if (range.byte_count < s->data_transfer_length)
		snprintf(why, len, "the range's %u bytes are fewer than data_transfer_length %u",
			 range.byte_count, s->data_transfer_length);
	else
		why = NULL;
	if (why)
		return false;
	rq->pfns = pkt->data + GPA_RANGE_AT + sizeof(range);
	rq->byte_offset = range.byte_offset;
	*range_len = range.byte_count;
	return true;
}

/* Every page the guest described must be its RAM. */
static bool pages_ok(struct vsp_req *r, const struct sim_scsi_req *rq, uint32_t range_len)
{
	uint64_t npfn = HVB_PAGES((uint64_t)rq->byte_offset + range_len);

	for (uint64_t i = 0; i < npfn; i++) {
		uint64_t pfn;

		memcpy(&pfn, rq->pfns + i * 8, sizeof(pfn));
		if (!sim_pfn_page(r->sim, pfn)) {
			sim_violation(r->sim, "relid %u: EXECUTE_SRB (trans_id %llu): page %llu of the "
				      "data range (PFN 0x%llx) is not guest memory; answered with "
				      "SRB_STATUS_ERROR", r->o->relid,
				      (unsigned long long)r->pkt->trans_id, (unsigned long long)i,
				      (unsigned long long)pfn);
			return false;
		}
	}
	return true;
}

/* vstor_packet.status from the SRB status (facts 5.7). */
static uint32_t nt_status(uint8_t srb_status)
{
	switch (SRB_STATUS_CODE(srb_status)) {
	case SRB_STATUS_SUCCESS: return NT_STATUS_SUCCESS;
	case SRB_STATUS_DATA_OVERRUN: return NT_STATUS_BUFFER_OVERFLOW;
	case SRB_STATUS_BUSY: return NT_STATUS_DEVICE_BUSY;
	case SRB_STATUS_INVALID_LUN:
	case SRB_STATUS_INVALID_TARGET_ID:
	case SRB_STATUS_NO_DEVICE: return NT_STATUS_DEVICE_DOES_NOT_EXIST;
	default: return NT_STATUS_IO_DEVICE_ERROR;
	}
}

/* A fresh vm_srb, as OpenVMM answers (so nothing of the request is echoed):
 * length 52, cdb_length 16, the status pair, bytes moved, and the sense
 * cut to what the guest asked for. */
static bool answer_srb(struct vsp_req *r, const struct sim_scsi_res *res)
{
	const struct vm_srb *req = &r->p.srb;
	struct sim_storvsp *v = &r->sim->vsp;
	struct vm_srb out;

	memset(&out, 0, sizeof(out));
	out.length = sizeof(out);
	out.srb_status = res->srb_status;
	out.scsi_status = res->scsi_status;
	out.cdb_length = sizeof(req->cdb);
	out.data_transfer_length = res->moved;
	if (res->sense_len) {
		out.sense_info_length = HVB_MIN(res->sense_len, req->sense_info_length);
		memcpy(out.sense_data, res->sense, out.sense_info_length);
		if (!out.sense_info_length) /* no room for it: not valid */
			out.srb_status &= (uint8_t)~SRB_STATUS_AUTOSENSE_VALID;
	}
	if (SRB_STATUS_CODE(out.srb_status) != SRB_STATUS_SUCCESS)
		v->stats.errors++;
	if ((req->cdb[0] == SCSI_READ_10 || req->cdb[0] == SCSI_READ_16) &&
	    out.srb_status == SRB_STATUS_SUCCESS && !(v->fired & FIRED_GOOD_READ)) {
		v->fired |= FIRED_GOOD_READ;
		if (r->sim->cfg.storvsp_faults & HVSIM_STORVSP_OVERLONG_TRANSFER)
			out.data_transfer_length = req->data_transfer_length + OVERLONG_EXTRA;
	}
	return answer_io(r, nt_status(out.srb_status), &out);
}

static bool op_execute(struct vsp_req *r)
{
	const struct vm_srb *s = &r->p.srb;
	struct sim_scsi_req rq = {
		.cdb = s->cdb,
		.path = s->path_id,
		.target = s->target_id,
		.lun = s->lun,
		.data_in = s->data_in,
		.has_luns = r->o->relid == r->sim->vsp.disk_relid,
		.len = s->data_transfer_length,
	};
	struct sim_scsi_res res;
	uint32_t range_len;
	char why[120];

	if (!data_range(r, &rq, &range_len, why, sizeof(why)))
		return stop(r, "EXECUTE_SRB: %s", why);
	if (r->c->state != VSP_READY)
		return out_of_order(r);
	r->sim->vsp.stats.commands++;
	if (rq.pfns && !pages_ok(r, &rq, range_len)) {
		memset(&res, 0, sizeof(res));
		res.srb_status = SRB_STATUS_ERROR;
	} else if (s->data_transfer_length > r->sim->vsp.max_transfer) {
		/* More than QUERY_PROPERTIES allowed. */
		memset(&res, 0, sizeof(res));
		sim_scsi_sense(&res, SRB_STATUS_INVALID_REQUEST, SENSE_ILLEGAL_REQUEST,
			       ASC_INVALID_FIELD_IN_CDB, 0, false, 0);
	} else {
		sim_scsi_execute(r->sim, &rq, &res);
	}
	return answer_srb(r, &res);
}

/* --- dispatch ---------------------------------------------------------------------- */

/* What a guest may send (OpenVMM accepts 3-10 and 13). */
static const struct {
	uint32_t operation;
	bool (*handle)(struct vsp_req *r);
} ops[] = {
	{ VSTOR_OP_EXECUTE_SRB, op_execute },
	{ VSTOR_OP_RESET_LUN, op_reset },
	{ VSTOR_OP_RESET_ADAPTER, op_reset },
	{ VSTOR_OP_RESET_BUS, op_reset },
	{ VSTOR_OP_BEGIN_INITIALIZATION, op_begin },
	{ VSTOR_OP_END_INITIALIZATION, op_end },
	{ VSTOR_OP_QUERY_PROTOCOL_VERSION, op_version },
	{ VSTOR_OP_QUERY_PROPERTIES, op_properties },
	{ VSTOR_OP_CREATE_SUB_CHANNELS, op_sub_channels },
};

bool sim_storvsp_packet(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt)
{
	struct vsp_req r = { .sim = sim, .o = o, .c = o->vsp, .pkt = pkt };
	uint32_t body = pkt->len - pkt->offset;
	struct sim_storvsp *v = &sim->vsp;

	if (pkt->type == VMBUS_PKT_COMP)
		return stop(&r, "a completion packet; storvsp never asks for one");
	if (!(pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED))
		return stop(&r, "no COMPLETION_REQUESTED flag; every storvsc request is answered "
			    "by a completion");
	if (body < VSTOR_HDR)
		return stop(&r, "a %u-byte vstor_packet; its header alone is 12 bytes", body);
	memset(&r.p, 0, sizeof(r.p));
	memcpy(&r.p, pkt->data + pkt->offset, HVB_MIN(body, (uint32_t)sizeof(r.p)));
	r.size = HVB_MIN(body, VSTOR_PACKET_SIZE);
	for (unsigned i = 0; i < ARRAY_SIZE(ops); i++) {
		if (ops[i].operation != r.p.operation)
			continue;
		if (++r.c->outstanding > v->stats.max_in_flight)
			v->stats.max_in_flight = r.c->outstanding;
		return ops[i].handle(&r);
	}
	return stop(&r, "operation %u is not one a guest sends (3-10, 13)", r.p.operation);
}

/* --- life cycle ---------------------------------------------------------------------- */

int sim_storvsp_open(struct hvsim *sim, struct sim_offer *o)
{
	struct sim_vsp_chan *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	if (sim->cfg.storvsp_faults & (HVSIM_STORVSP_DELAY | HVSIM_STORVSP_REORDER)) {
		c->held = calloc(HELD_MAX, sizeof(*c->held));
		if (!c->held) {
			free(c);
			return -ENOMEM;
		}
	}
	o->vsp = c; /* a new channel starts the handshake again */
	return 0;
}

void sim_storvsp_close(struct hvsim *sim, struct sim_offer *o)
{
	if (!o->vsp)
		return;
	if (o->vsp->timer_armed)
		sim_timer_cancel(sim, SIM_TIMER_STORVSP, o->relid);
	free(o->vsp->held);
	free(o->vsp);
	o->vsp = NULL;
}

int sim_storvsp_init(struct hvsim *sim)
{
	struct sim_storvsp *v = &sim->vsp;
	int rc;

	v->max_transfer = sim->cfg.storvsp_max_transfer ? sim->cfg.storvsp_max_transfer
							: DEFAULT_MAX_TRANSFER;
	v->max_version = sim->cfg.storvsp_max_version ? sim->cfg.storvsp_max_version
						      : STORVSC_VERSION_WIN10;
	v->busy_left = sim->cfg.storvsp_faults & HVSIM_STORVSP_BUSY ? BUSY_COMMANDS : 0;
	for (unsigned i = 0; i < sim->noffers && !v->disk_relid; i++)
		if (sim->offers[i].storvsp)
			v->disk_relid = sim->offers[i].relid;
	rc = sim_disks_open(sim);
	if (rc)
		return rc;
	if (v->nluns && !v->disk_relid) {
		fprintf(stderr, "hvsim: %u disk(s) given, but no storvsc device is offered to serve "
			"them (add storvsc to the device list)\n", v->nluns);
		return -EINVAL;
	}
	return 0;
}

void sim_storvsp_fini(struct hvsim *sim)
{
	sim_disks_close(sim);
}

int hvsim_storvsp_stats(struct hvsim *sim, struct hvsim_storvsp_stats *st)
{
	int rc = -ENODEV;

	if (sim->cfg.threaded)
		pthread_mutex_lock(&sim->lock);
	for (unsigned i = 0; i < sim->noffers; i++) {
		if (sim->offers[i].storvsp) {
			*st = sim->vsp.stats;
			rc = 0;
			break;
		}
	}
	if (sim->cfg.threaded)
		pthread_mutex_unlock(&sim->lock);
	return rc;
}

void sim_storvsp_describe(struct hvsim *sim, FILE *f)
{
	struct sim_storvsp *v = &sim->vsp;

	if (!v->nluns)
		return;
	fprintf(f, "Disks: storvsc relid %u, path 0, target 0, %s, 512-byte blocks\n", v->disk_relid,
		sim->cfg.disks_writable ? "writable" : "read-only");
	for (unsigned i = 0; i < v->nluns; i++) {
		uint64_t bytes = v->luns[i].blocks * 512;

		fprintf(f, "  lun %-3u %llu bytes (%.1f MiB, %llu blocks)  %s\n", i,
			(unsigned long long)bytes, (double)bytes / (1 << 20),
			(unsigned long long)v->luns[i].blocks, v->luns[i].path);
	}
}
