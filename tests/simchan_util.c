/* The channel tests' helpers (simchan_util.h). */
#include "simchan_util.h"

#include <errno.h>
#include <string.h>

void sc_post(struct fx *f, const void *msg, uint32_t len)
{
	uint16_t st = hv_post_message(&f->hv, f->vb.msg_conn, msg, len);

	CHECK_MSG(st == HV_STATUS_SUCCESS, "post of %u bytes: HV status 0x%x", len, st);
}

/* The next host message must be of this type; copies len bytes of it. */
void sc_expect_msg(struct fx *f, uint32_t type, void *out, uint32_t len)
{
	uint64_t deadline = hv_time(&f->hv) + WAIT_TICKS;
	struct hv_message m;

	while (hv_time(&f->hv) < deadline) {
		if (hv_recv_message(&f->hv, &m)) {
			uint32_t t;

			memcpy(&t, m.payload, 4);
			CHECK_MSG(t == type, "expected host message %u (%s), got %u (%s)", type,
				  vmbus_msg_name(type), t, vmbus_msg_name(t));
			CHECK_EQ(m.payload_size, len);
			memcpy(out, m.payload, len);
			return;
		}
		hv_idle(f->seam);
	}
	test_fail(__FILE__, __LINE__, "no %s from the host", vmbus_msg_name(type));
}

/* No host message for `ticks` of reference time. */
void sc_expect_silence(struct fx *f, uint64_t ticks)
{
	uint64_t deadline = hv_time(&f->hv) + ticks;
	struct hv_message m;

	while (hv_time(&f->hv) < deadline) {
		if (hv_recv_message(&f->hv, &m))
			test_fail(__FILE__, __LINE__, "unexpected host message %u",
				  (unsigned)m.payload[0]);
		hv_idle(f->seam);
	}
}

/* A configuration to adjust, then sc_bring_up(); or sc_go() for both at once. */
void sc_start(struct fx *f, const char *devices, uint32_t faults)
{
	fx_config(f);
	f->cfg.devices = devices;
	f->cfg.faults = faults;
}

void sc_bring_up(struct fx *f)
{
	fx_start(f);
	fx_connect(f);
}

void sc_go(struct fx *f, const char *devices, uint32_t faults)
{
	sc_start(f, devices, faults);
	sc_bring_up(f);
}

/* GPADL_HEADER with up to 26 PFNs, then bodies of up to 28 (facts 3.2). */
void sc_send_gpadl(struct fx *f, uint32_t relid, uint32_t handle, const uint64_t *pfns,
		   uint32_t n)
{
	struct vmbus_msg_gpadl_header h;
	uint32_t k = n < VMBUS_GPADL_HEADER_PFNS ? n : VMBUS_GPADL_HEADER_PFNS;

	memset(&h, 0, sizeof(h));
	h.hdr.msgtype = VMBUS_MSG_GPADL_HEADER;
	h.child_relid = relid;
	h.gpadl = handle;
	h.range_buflen = (uint16_t)(8 + 8 * n);
	h.rangecount = 1;
	h.byte_count = n * HVB_PAGE_SIZE;
	memcpy(h.pfn, pfns, 8 * k);
	sc_post(f, &h, 28 + 8 * k);
	while (k < n) {
		struct vmbus_msg_gpadl_body b;
		uint32_t m = n - k < VMBUS_GPADL_BODY_PFNS ? n - k : VMBUS_GPADL_BODY_PFNS;

		memset(&b, 0, sizeof(b));
		b.hdr.msgtype = VMBUS_MSG_GPADL_BODY;
		b.gpadl = handle;
		memcpy(b.pfn, pfns + k, 8 * m);
		sc_post(f, &b, 16 + 8 * m);
		k += m;
	}
}

uint32_t sc_gpadl_status(struct fx *f, uint32_t relid, uint32_t handle)
{
	struct vmbus_msg_gpadl_created c;

	sc_expect_msg(f, VMBUS_MSG_GPADL_CREATED, &c, sizeof(c));
	CHECK_EQ(c.child_relid, relid);
	CHECK_EQ(c.gpadl, handle);
	return c.status;
}

void sc_teardown(struct fx *f, uint32_t relid, uint32_t handle)
{
	struct vmbus_msg_gpadl_teardown t = { { VMBUS_MSG_GPADL_TEARDOWN, 0 }, relid, handle };
	struct vmbus_msg_gpadl_torndown r;

	sc_post(f, &t, sizeof(t));
	sc_expect_msg(f, VMBUS_MSG_GPADL_TORNDOWN, &r, sizeof(r));
	CHECK_EQ(r.gpadl, handle);
}

/* n pages of guest RAM and their PFNs. */
uint64_t *sc_pages(struct fx *f, uint32_t n, void **mem)
{
	uint64_t gpa, *pfns = calloc(n, 8);

	*mem = f->seam->alloc(f->seam, n, &gpa);
	CHECK(*mem && pfns);
	for (uint32_t i = 0; i < n; i++)
		pfns[i] = (gpa >> 12) + i;
	return pfns;
}

/* The guest did something wrong: exactly these violations, and then the
 * audit names them. */
void sc_finish_with_violations(struct fx *f, unsigned n, const char *needle)
{
	char audit[512];

	CHECK_EQ(hvsim_violation_count(f->sim), n);
	CHECK_MSG(strstr(hvsim_violation(f->sim, 0), needle), "violation '%s' lacks '%s'",
		  hvsim_violation(f->sim, 0), needle);
	CHECK_EQ(vmbus_unload(&f->vb), 0);
	hv_teardown(&f->hv);
	CHECK(!hvsim_audit(f->sim, true, audit, sizeof(audit)));
	CHECK_MSG(strstr(audit, "protocol violation(s)"), "%s", audit);
	fx_destroy(f);
}

void sc_open_post(struct fx *f, uint32_t relid, uint32_t handle, uint32_t s)
{
	struct vmbus_msg_open_channel m;

	memset(&m, 0, sizeof(m));
	m.hdr.msgtype = VMBUS_MSG_OPENCHANNEL;
	m.child_relid = relid;
	m.openid = 0xabc0 + relid;
	m.ringbuffer_gpadl = handle;
	m.downstream_page_offset = s;
	sc_post(f, &m, sizeof(m));
}

/* OPENCHANNEL; returns the result's status. */
uint32_t sc_open_msg(struct fx *f, uint32_t relid, uint32_t handle, uint32_t s)
{
	struct vmbus_msg_open_result r;

	sc_open_post(f, relid, handle, s);
	sc_expect_msg(f, VMBUS_MSG_OPENCHANNEL_RESULT, &r, sizeof(r));
	CHECK_EQ(r.child_relid, relid);
	CHECK_EQ(r.openid, 0xabc0 + relid);
	return r.status;
}

uint32_t chan_open_status(struct fx *f, struct chan *c, uint32_t relid, uint32_t s,
			  uint32_t h2g_pages)
{
	uint8_t *base;

	memset(c, 0, sizeof(*c));
	c->f = f;
	c->relid = relid;
	c->conn = f->vb.offers[relid - 1].connection_id;
	c->handle = 0x100 + relid;
	c->npages = s + h2g_pages;
	c->pfns = sc_pages(f, c->npages, &c->mem);
	base = c->mem;
	CHECK_EQ(ring_init(&c->out, base, s * HVB_PAGE_SIZE, "test g2h"), 0);
	ring_reset(&c->out);
	CHECK_EQ(ring_init(&c->in, base + s * HVB_PAGE_SIZE, h2g_pages * HVB_PAGE_SIZE, "test h2g"), 0);
	ring_reset(&c->in);
	c->in.allowed_types = 1u << VMBUS_PKT_DATA_INBAND | 1u << VMBUS_PKT_COMP;
	sc_send_gpadl(f, relid, c->handle, c->pfns, c->npages);
	CHECK_EQ(sc_gpadl_status(f, relid, c->handle), 0);
	return sc_open_msg(f, relid, c->handle, s);
}

void chan_open(struct fx *f, struct chan *c, uint32_t relid, uint32_t s, uint32_t h2g)
{
	CHECK_EQ(chan_open_status(f, c, relid, s, h2g), 0);
}

void chan_free(struct chan *c)
{
	c->f->seam->free(c->f->seam, c->mem, c->npages);
	free(c->pfns);
}

void chan_close(struct chan *c)
{
	struct vmbus_msg_relid m = { { VMBUS_MSG_CLOSECHANNEL, 0 }, c->relid };

	sc_post(c->f, &m, sizeof(m));
	sc_teardown(c->f, c->relid, c->handle);
	chan_free(c);
}

void chan_signal(struct chan *c)
{
	CHECK_EQ(hv_signal_event(&c->f->hv, c->conn), HV_STATUS_SUCCESS);
}

/* Write one inband packet; signal the host if the ring says so. */
void chan_send(struct chan *c, uint16_t flags, uint64_t tid, const void *p, uint32_t len)
{
	bool sig;

	CHECK_EQ(ring_write_inband(&c->out, VMBUS_PKT_DATA_INBAND, flags, tid, p, len, &sig), 0);
	if (sig)
		chan_signal(c);
}

/* The next packet from the host, within the deadline. */
void chan_recv(struct chan *c, struct ring_pkt *pkt)
{
	uint64_t deadline = hv_time(&c->f->hv) + WAIT_TICKS;

	while (hv_time(&c->f->hv) < deadline) {
		int rc = ring_read(&c->in, c->rx, sizeof(c->rx), pkt);

		CHECK(rc >= 0);
		if (rc == 1) {
			bool sig;

			ring_read_done(&c->in, &sig);
			if (sig)
				chan_signal(c);
			return;
		}
		hv_idle(c->f->seam);
	}
	test_fail(__FILE__, __LINE__, "no packet from the host on relid %u", c->relid);
}

bool sc_sief_bit(struct fx *f, unsigned bit)
{
	return (f->hv.sief[VMBUS_SINT_SLOT * HV_SIEF_SLOT_BYTES + bit / 8] >> (bit % 8)) & 1;
}
