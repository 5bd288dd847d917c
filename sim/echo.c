/* The echo device (sim/echo_proto.h holds its contract): inband packets come
 * back, GPA-direct commands read or write guest memory and answer with a
 * completion. It also carries the ring faults, since its answers are the
 * packets a test can predict. */
#include <string.h>

#include "../lib/util.h"
#include "echo_proto.h"
#include "sim.h"

#define BAD_TID_OFFSET 0x10000u  /* HVSIM_FAULT_RING_BAD_TID */
#define BAD_PACKET_TYPE 0x3u     /* HVSIM_FAULT_RING_BAD_TYPE: RM_XFER_PAGESET */
#define RESCIND_AT_PACKET 3u     /* HVSIM_FAULT_RESCIND_DURING_IO */
#define GPA_DIRECT_RANGES_AT 24u /* after the descriptor, reserved and range_count */

/* Send one answer (descriptor first, in a buffer the caller owns), with the
 * faults that act on "the first echo answer" or "the first completion". */
static void answer(struct hvsim *sim, struct sim_offer *o, uint8_t *pkt, uint32_t len)
{
	uint32_t faults = sim->cfg.faults;
	struct vmbus_pkt_desc d;
	bool bad_windex = false;

	memcpy(&d, pkt, sizeof(d));
	if (d.type == VMBUS_PKT_COMP && !(sim->faults_fired & SIM_FIRED_COMP)) {
		sim->faults_fired |= SIM_FIRED_COMP;
		if (faults & HVSIM_FAULT_RING_BAD_TID) {
			/* An extra completion for a transaction the guest never
			 * started; the right one follows. */
			struct vmbus_pkt_desc bogus = d;

			bogus.trans_id += BAD_TID_OFFSET;
			memcpy(pkt, &bogus, sizeof(bogus));
			sim_chan_send(sim, o, pkt, len, false);
			memcpy(pkt, &d, sizeof(d));
		}
	}
	if (!(sim->faults_fired & SIM_FIRED_ANSWER)) {
		sim->faults_fired |= SIM_FIRED_ANSWER;
		if (faults & HVSIM_FAULT_RING_BAD_TYPE)
			d.type = BAD_PACKET_TYPE;
		if (faults & HVSIM_FAULT_RING_OVERSIZED) /* claims the whole ring */
			d.len8 = (uint16_t)HVB_MIN(0xffffu, o->out.size / 8);
		bad_windex = faults & HVSIM_FAULT_RING_BAD_WRITE_INDEX;
		memcpy(pkt, &d, sizeof(d));
	}
	sim_chan_send(sim, o, pkt, len, bad_windex);
}

/* The answer reuses the request's bytes: same payload at the same offset,
 * only the descriptor changes. */
static void inband(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt)
{
	uint8_t *buf = o->rxbuf; /* pkt->data: ours, and read only once */
	struct vmbus_pkt_desc d;
	uint32_t magic;

	if (pkt->len - pkt->offset >= sizeof(magic)) {
		memcpy(&magic, buf + pkt->offset, sizeof(magic));
		if (magic == ECHO_SINK_MAGIC)
			return;
	}
	/* The layout from the checked fields, not from the copy in buf:
	 * ring_read copied the descriptor twice, and the guest may have
	 * changed it in between. */
	memset(&d, 0, sizeof(d));
	d.offset8 = (uint16_t)(pkt->offset / 8);
	d.len8 = (uint16_t)(pkt->len / 8);
	if (pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED) {
		d.type = VMBUS_PKT_COMP;
		d.trans_id = pkt->trans_id;
	} else {
		d.type = VMBUS_PKT_DATA_INBAND;
	}
	memcpy(buf, &d, sizeof(d));
	answer(sim, o, buf, pkt->len);
}

/* Checks the range list inside [24, end): NULL or what is wrong. */
static const char *ranges_problem(const uint8_t *p, uint32_t end, uint32_t count)
{
	uint32_t off = GPA_DIRECT_RANGES_AT;

	if (count == 0)
		return "range_count is 0";
	for (uint32_t i = 0; i < count; i++) {
		struct vmbus_gpa_range r;
		uint64_t npfn;

		if (end < off || end - off < sizeof(r))
			return "a range header lies beyond the payload offset (offset8)";
		memcpy(&r, p + off, sizeof(r));
		off += sizeof(r);
		if (r.byte_offset >= HVB_PAGE_SIZE)
			return "a range's byte_offset is 4096 or more";
		npfn = HVB_PAGES((uint64_t)r.byte_offset + r.byte_count);
		if (npfn * 8 > end - off)
			return "a range's PFNs run beyond the payload offset (offset8)";
		off += (uint32_t)npfn * 8;
	}
	return NULL;
}

static void *page_of(struct hvsim *sim, uint64_t pfn)
{
	if (pfn > (UINT64_MAX >> HVB_PAGE_SHIFT))
		return NULL;
	return sim_gpa_map(sim, pfn << HVB_PAGE_SHIFT, HVB_PAGE_SIZE);
}

/* Walk every byte of every range, page by page. With run false only check
 * that every page is guest memory. Returns false on the first that is not. */
static bool walk(struct hvsim *sim, const uint8_t *p, uint32_t count, const struct echo_cmd *cmd,
		 struct echo_reply *rep, bool run)
{
	uint32_t off = GPA_DIRECT_RANGES_AT;

	for (uint32_t i = 0; i < count; i++) {
		struct vmbus_gpa_range r;
		uint64_t left, npfn;
		uint32_t in_page;

		memcpy(&r, p + off, sizeof(r));
		off += sizeof(r);
		npfn = HVB_PAGES((uint64_t)r.byte_offset + r.byte_count);
		left = r.byte_count;
		in_page = r.byte_offset;
		for (uint64_t j = 0; j < npfn; j++, off += 8, in_page = 0) {
			uint64_t pfn;
			uint8_t *page;
			uint32_t n = (uint32_t)HVB_MIN(left, (uint64_t)(HVB_PAGE_SIZE - in_page));

			memcpy(&pfn, p + off, sizeof(pfn));
			page = page_of(sim, pfn);
			if (!page)
				return false;
			if (!run)
				continue;
			if (cmd->op == ECHO_OP_SUM) {
				rep->hash = echo_fnv1a(rep->hash, page + in_page, n);
			} else {
				for (uint32_t k = 0; k < n; k++)
					page[in_page + k] = echo_fill_byte(cmd->seed, rep->bytes + k);
			}
			rep->bytes += n;
			left -= n;
		}
	}
	return true;
}

static void gpa_direct(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt)
{
	const uint8_t *p = pkt->data;
	struct {
		struct vmbus_pkt_desc d;
		struct echo_reply r;
	} out;
	struct echo_cmd cmd = { 0, 0 };
	uint32_t count = 0;
	const char *why;

	memset(&out, 0, sizeof(out));
	if (pkt->offset >= GPA_DIRECT_RANGES_AT)
		memcpy(&count, p + offsetof(struct vmbus_gpa_direct_hdr, range_count), 4);
	if (pkt->len - pkt->offset >= sizeof(cmd))
		memcpy(&cmd, p + pkt->offset, sizeof(cmd));
	out.r.op = cmd.op;
	why = pkt->offset < GPA_DIRECT_RANGES_AT ? "offset8 leaves no room for the range list"
						  : ranges_problem(p, pkt->offset, count);
	if (why) {
		sim_violation(sim, "relid %u: GPA-direct packet (trans_id %llu): %s", o->relid,
			      (unsigned long long)pkt->trans_id, why);
		out.r.status = 2;
	} else if (pkt->len - pkt->offset < sizeof(cmd) ||
		   (cmd.op != ECHO_OP_SUM && cmd.op != ECHO_OP_FILL)) {
		out.r.status = 2;
	} else if (!walk(sim, p, count, &cmd, &out.r, false)) {
		out.r.status = 1; /* the device reports it; the guest may test exactly that */
	} else {
		if (cmd.op == ECHO_OP_SUM)
			out.r.hash = ECHO_FNV_OFFSET;
		walk(sim, p, count, &cmd, &out.r, true);
	}
	out.d.type = VMBUS_PKT_COMP;
	out.d.offset8 = sizeof(out.d) / 8;
	out.d.len8 = sizeof(out) / 8;
	out.d.trans_id = pkt->trans_id;
	answer(sim, o, (uint8_t *)&out, sizeof(out));
}

bool sim_echo_packet(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt)
{
	if ((sim->cfg.faults & HVSIM_FAULT_RESCIND_DURING_IO) && o->packets_in == RESCIND_AT_PACKET) {
		sim_chan_rescind(sim, o);
		return false;
	}
	switch (pkt->type) {
	case VMBUS_PKT_DATA_INBAND:
		inband(sim, o, pkt);
		break;
	case VMBUS_PKT_DATA_GPA_DIRECT:
		gpa_direct(sim, o, pkt);
		break;
	default: /* VMBUS_PKT_COMP: allowed on the ring, but nothing asked for one */
		sim_violation(sim, "relid %u: a completion (trans_id %llu) the echo device never "
			      "asked for", o->relid, (unsigned long long)pkt->trans_id);
		break;
	}
	return true;
}
