/* Channels, host side: OPENCHANNEL / CLOSECHANNEL, rescind and
 * RELID_RELEASED, signalling in both directions (facts 3.6), and servicing
 * the rings (facts 4) with the same vmbus/ring.c the guest uses. The host
 * treats everything in guest memory as untrusted: a ring the guest breaks
 * is a violation and the channel stops being served, never a crash. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "sim.h"

#define VP_NO_INTERRUPTS 0xFFFFFFFFu /* OPENCHANNEL target_vp: no host->guest interrupts */
#define IRQ_PAGE_HALF (HVB_PAGE_SIZE / 2) /* interrupt page: receive half, then send half */

static void lock(struct hvsim *sim)
{
	if (sim->cfg.threaded)
		pthread_mutex_lock(&sim->lock);
}

static void unlock(struct hvsim *sim)
{
	if (sim->cfg.threaded)
		pthread_mutex_unlock(&sim->lock);
}

/* --- signalling -------------------------------------------------------- */

/* Host -> guest (facts 3.6): from WIN8 bit <relid> in SIEF slot 2; before,
 * bit <relid> in the receive half of the interrupt page and SIEF bit 0
 * (the page first: a guest that sees bit 0 scans the page at once). */
static void signal_guest(struct hvsim *sim, struct sim_offer *o)
{
	uint8_t *page;

	if (o->target_vp == VP_NO_INTERRUPTS)
		return;
	if (sim->version >= VMBUS_VERSION_WIN8) {
		if (sim_synic_signal(sim, VMBUS_MESSAGE_SINT, o->relid))
			o->host_signals++;
		return;
	}
	if (!sim_synic_event_deliverable(sim, VMBUS_MESSAGE_SINT))
		return; /* dropped, as OpenVMM drops it */
	page = sim_gpa_map(sim, sim->int_page_gpa, HVB_PAGE_SIZE);
	if (!page)
		return; /* checked at INITIATE_CONTACT; an overlay moved over it since */
	__atomic_fetch_or(&page[o->relid / 8], (uint8_t)(1u << (o->relid % 8)), __ATOMIC_SEQ_CST);
	sim_synic_signal(sim, VMBUS_MESSAGE_SINT, 0);
	o->host_signals++;
}

/* Guest -> host for one channel. A signal is expected when the g2h ring has
 * something to read, or when the host waits for room on its h2g ring and
 * the guest's read made it. Anything else is counted as spurious (Hyper-V
 * throttles guests that signal when not expected), not a violation. In
 * threaded mode a signal can race a host that already read the packet, so
 * the count is exact only in stepped mode. */
static void guest_signal(struct hvsim *sim, struct sim_offer *o)
{
	bool room = o->waiting_space && o->ntx &&
		    ring_free_bytes(&o->out) > o->tx[0].len + VMBUS_PKT_TRAILER;

	o->guest_signals++;
	if (!room && ring_pending_bytes(&o->in) == 0)
		o->spurious_signals++;
	if (!o->kicked)
		o->kick_due = sim_now(sim) + (uint64_t)sim->cfg.response_latency_us * 10;
	o->kicked = true;
}

static struct sim_offer *chan_by_conn(struct hvsim *sim, uint32_t conn)
{
	for (unsigned i = 0; i < sim->noffers; i++) {
		struct sim_offer *o = &sim->offers[i];

		if (o->offered && o->state != SIM_CHAN_CLOSED && o->connection_id == conn)
			return o;
	}
	return NULL;
}

/* Per-channel connections exist from WIN7 on, and only while the channel
 * is open (OpenVMM creates the event port at open). Before WIN7 every
 * channel signals the shared event connection 2. */
bool sim_server_conn_known(struct hvsim *sim, uint32_t conn)
{
	if (!sim->connected)
		return false;
	if (sim->version < VMBUS_VERSION_WIN7)
		return conn == VMBUS_EVENT_CONNECTION_ID;
	return chan_by_conn(sim, conn) != NULL;
}

/* WS2008: the guest set bit <relid> in the send half of the interrupt page
 * before signalling connection 2; test-and-clear each bit to find who. */
static void shared_event(struct hvsim *sim)
{
	uint8_t *send = sim_gpa_map(sim, sim->int_page_gpa, HVB_PAGE_SIZE);

	if (!send)
		return;
	send += IRQ_PAGE_HALF;
	for (unsigned byte = 0; byte <= VMBUS_MAX_RELID / 8; byte++) {
		uint8_t bits;

		if (!hvb_read8(&send[byte]))
			continue;
		bits = __atomic_exchange_n(&send[byte], 0, __ATOMIC_SEQ_CST);
		for (unsigned bit = 0; bit < 8; bit++) {
			struct sim_offer *o = sim_offer_by_relid(sim, byte * 8 + bit);

			/* A bit for a channel that is not open is ignored: the
			 * guest may have closed it after setting the bit. */
			if ((bits & (1u << bit)) && o && o->state != SIM_CHAN_CLOSED)
				guest_signal(sim, o);
		}
	}
}

bool sim_server_signal(struct hvsim *sim, uint32_t conn)
{
	struct sim_offer *o;

	if (!sim_server_conn_known(sim, conn))
		return false;
	if (sim->version < VMBUS_VERSION_WIN7) {
		shared_event(sim);
		return true;
	}
	o = chan_by_conn(sim, conn);
	guest_signal(sim, o);
	return true;
}

/* --- the host->guest ring ------------------------------------------------ */

/* Write the queued packets in order until one does not fit. */
static void flush(struct hvsim *sim, struct sim_offer *o)
{
	while (o->ntx) {
		struct sim_txpkt *t = &o->tx[0], tmp;
		struct ring_seg seg = { t->buf, t->len };
		bool sig;
		int rc = ring_write(&o->out, &seg, 1, &sig);

		if (rc == -EAGAIN) {
			/* A pre-WS2012 host polls (no pending_send_sz). */
			if (sim->cfg.no_pending_send_feature)
				return;
			/* Ask to be signalled; re-check, the room may be there. */
			if (ring_want_space(&o->out, t->len + VMBUS_PKT_TRAILER))
				continue;
			o->waiting_space = true;
			return;
		}
		if (rc == -EPIPE) {
			sim_violation(sim, "relid %u: the guest corrupted the read_index of the "
				      "host->guest ring; the host stops serving the channel", o->relid);
			o->stopped = true;
			o->ntx = 0;
			return;
		}
		if (rc == 0) {
			o->packets_out++;
			sim_trace_pkt(sim, false, o->relid, t->buf, t->len);
			if (t->bad_windex) /* HVSIM_FAULT_RING_BAD_WRITE_INDEX */
				hvb_write32(&o->out.hdr->write_index, o->out.write_priv + 4);
			if (sig)
				signal_guest(sim, o);
		} else {
			sim_violation(sim, "relid %u: a %u-byte answer can never fit the %u-byte "
				      "host->guest ring; dropped", o->relid, t->len, o->out.size);
		}
		tmp = o->tx[0];
		o->tx[0] = o->tx[1];
		o->tx[1] = tmp;
		o->ntx--;
	}
	if (o->waiting_space) {
		ring_want_space(&o->out, 0);
		o->waiting_space = false;
	}
}

void sim_chan_send(struct hvsim *sim, struct sim_offer *o, const void *pkt, uint32_t len,
		   bool bad_windex)
{
	struct sim_txpkt *t;

	if (o->ntx == ARRAY_SIZE(o->tx) || len > o->txcap) {
		/* Cannot happen: a device answers one read packet with at most
		 * two packets no larger than the ring it read from. */
		sim_violation(sim, "hvsim bug: relid %u: no room to queue a %u-byte packet",
			      o->relid, len);
		return;
	}
	t = &o->tx[o->ntx++];
	memcpy(t->buf, pkt, len);
	t->len = len;
	t->bad_windex = bad_windex;
	flush(sim, o);
}

/* --- servicing ----------------------------------------------------------- */

/* ring_read found the g2h ring broken (vmbus/ring.c logged exactly how):
 * the guest wrote a bad index or a malformed packet. */
static void ring_corrupt(struct hvsim *sim, struct sim_offer *o)
{
	uint32_t w = hvb_read32(&o->in.hdr->write_index);

	if (w >= o->in.size || (w & 7))
		sim_violation(sim, "relid %u: the guest->host ring's write_index %u is not an "
			      "8-byte offset inside its %u-byte data area; the host stops serving "
			      "the channel", o->relid, w, o->in.size);
	else
		sim_violation(sim, "relid %u: malformed packet at offset %u of the guest->host "
			      "ring (type, flags, offset8/len8 or length; see the log); the host "
			      "stops serving the channel", o->relid, o->in.read_priv);
	o->stopped = true;
}

/* storvsp's and netvsp's packets of one pass go out together: one
 * publication of the h2g write index and at most one signal; until then
 * storvsp's requests of the pass count as in flight (sim_storvsp_published). */
static bool batched(const struct sim_offer *o) { return o->storvsp || o->netvsp; }

static void publish(struct hvsim *sim, struct sim_offer *o)
{
	bool sig;

	if (!batched(o))
		return;
	ring_flush(&o->out, &sig);
	if (sig)
		signal_guest(sim, o);
	if (o->storvsp)
		sim_storvsp_published(o);
}

static bool device_packet(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt)
{
	if (o->storvsp)
		return sim_storvsp_packet(sim, o, pkt);
	if (o->netvsp)
		return sim_netvsp_packet(sim, o, pkt);
	return sim_echo_packet(sim, o, pkt);
}

/* One pass over a kicked (or polled) channel: first what waits for room on
 * the h2g ring, then up to SIM_PKTS_PER_STEP inbound packets. Reading stops
 * while an answer waits for room: the guest's read then signals us. */
static bool service(struct hvsim *sim, struct sim_offer *o)
{
	bool work = false, sig, bad_read_index = false;
	struct ring_pkt pkt;

	o->kicked = false;
	if (batched(o))
		ring_batch_begin(&o->out);
	if (o->ntx) {
		unsigned before = o->ntx;

		flush(sim, o);
		work = o->ntx != before;
		if (o->ntx || o->stopped) {
			publish(sim, o);
			return work;
		}
	}
	if (o->storvsp)
		sim_storvsp_pump(sim, o); /* held completions that are due */
	for (unsigned n = 0; n < SIM_PKTS_PER_STEP && !o->ntx && !o->stopped &&
			     (!o->storvsp || sim_storvsp_ready(o)); n++) {
		int rc = ring_read(&o->in, o->rxbuf, o->in.size, &pkt);

		if (rc == 0)
			break;
		if (rc < 0) {
			ring_corrupt(sim, o);
			break;
		}
		work = true;
		o->packets_in++;
		sim_trace_pkt(sim, true, o->relid, pkt.data, pkt.len);
		if (!(sim->faults_fired & SIM_FIRED_PACKET)) {
			sim->faults_fired |= SIM_FIRED_PACKET;
			bad_read_index = sim->cfg.faults & HVSIM_FAULT_RING_BAD_READ_INDEX;
		}
		if (!device_packet(sim, o, &pkt) || bad_read_index)
			break;
	}
	ring_read_done(&o->in, &sig);
	if (sig && !o->stopped)
		signal_guest(sim, o);
	if (bad_read_index)
		hvb_write32(&o->in.hdr->read_index, o->in.size + 8);
	/* netvsp: frames and RNDIS answers, now that the guest's completions
	 * of this pass freed sub-allocations. */
	if (o->netvsp && !o->stopped) {
		unsigned before = o->packets_out + o->ntx;

		sim_netvsp_pump(sim, o);
		work |= o->packets_out + o->ntx != before;
	}
	publish(sim, o);
	/* More waiting (the batch limit, or packets written while we read
	 * without a signal because the ring was not empty): next step. */
	if (!o->stopped && !o->ntx && ring_pending_bytes(&o->in))
		o->kicked = true;
	return work;
}

void sim_chan_drain(struct hvsim *sim, struct sim_offer *o)
{
	for (unsigned pass = 0; pass < 64; pass++) {
		if (o->state != SIM_CHAN_OPEN || o->stopped || o->ntx || !ring_pending_bytes(&o->in))
			return;
		service(sim, o);
	}
}

static bool due(struct hvsim *sim, struct sim_offer *o)
{
	/* Only echo, storvsp and netvsp have a model behind them so far;
	 * other channels open and take signals, but nothing reads their rings. */
	if (o->state != SIM_CHAN_OPEN || o->stopped || !(o->echo || o->storvsp || o->netvsp))
		return false;
	/* storvsp holding all the completions it can: its timer kicks it. */
	if (o->storvsp && !sim_storvsp_ready(o) && !o->ntx)
		return false;
	/* Unkicked and unpolled rings are not read: a guest that forgets
	 * to signal shows up as a request that never completes. */
	if (o->kicked && o->kick_due && sim_now(sim) < o->kick_due)
		return false; /* a slow host has not noticed the signal yet */
	return o->kicked || sim->cfg.host_polls || (o->ntx && sim->cfg.no_pending_send_feature);
}

bool sim_chan_step(struct hvsim *sim)
{
	bool work = false;

	for (unsigned i = 0; i < sim->noffers; i++)
		if (due(sim, &sim->offers[i]))
			work |= service(sim, &sim->offers[i]);
	return work;
}

bool sim_chan_polling(struct hvsim *sim)
{
	for (unsigned i = 0; i < sim->noffers; i++)
		if (due(sim, &sim->offers[i]))
			return true;
	return false;
}

/* --- open, close, rescind ------------------------------------------------ */

void sim_chan_close(struct hvsim *sim, struct sim_offer *o)
{
	sim_timer_cancel(sim, SIM_TIMER_OPEN_RESULT, o->relid);
	sim_storvsp_close(sim, o);
	sim_netvsp_close(sim, o);
	free(o->rxbuf);
	for (unsigned i = 0; i < ARRAY_SIZE(o->tx); i++)
		free(o->tx[i].buf);
	o->rxbuf = NULL;
	memset(o->tx, 0, sizeof(o->tx));
	memset(&o->in, 0, sizeof(o->in));
	memset(&o->out, 0, sizeof(o->out));
	o->ntx = 0;
	o->txcap = 0;
	o->state = SIM_CHAN_CLOSED;
	o->ring_gpadl = 0;
	o->kicked = o->waiting_space = o->stopped = false;
}

bool sim_chan_rescind(struct hvsim *sim, struct sim_offer *o)
{
	struct vmbus_msg_relid m = { { VMBUS_MSG_RESCIND_CHANNELOFFER, 0 }, o->relid };

	if (!o->offered || o->rescinded)
		return false;
	sim_server_send(sim, &m, sizeof(m));
	o->rescinded = true;
	o->stopped = true;
	/* An open the guest never saw answered is not open for it: it owes
	 * no CLOSECHANNEL for that. */
	if (o->state == SIM_CHAN_OPENING)
		sim_chan_close(sim, o);
	return true;
}

void hvsim_rescind(struct hvsim *sim, uint32_t relid)
{
	struct sim_offer *o;

	lock(sim);
	o = sim_offer_by_relid(sim, relid);
	if (o)
		sim_chan_rescind(sim, o);
	unlock(sim);
}

bool sim_chan_open_due(struct hvsim *sim, uint32_t relid)
{
	struct sim_offer *o = sim_offer_by_relid(sim, relid);

	if (!o || o->state != SIM_CHAN_OPENING)
		return false;
	o->state = SIM_CHAN_OPEN;
	sim->stats.opens++;
	return true;
}

/* Pages [first, first + n) of a GPADL, as one pointer: hvsim needs each
 * ring contiguous in guest RAM. */
static void *map_run(struct hvsim *sim, const struct sim_gpadl *g, uint32_t first, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++)
		if (g->pfns[first + i] != g->pfns[first] + i)
			return NULL;
	return sim_gpa_map(sim, g->pfns[first] << HVB_PAGE_SHIFT, (size_t)n * HVB_PAGE_SIZE);
}

/* Everything OPENCHANNEL must satisfy; on success the two rings are set up
 * in o->in and o->out (nothing written to guest memory yet). */
static bool open_ok(struct hvsim *sim, struct sim_offer *o, const struct vmbus_msg_open_channel *m)
{
	struct sim_gpadl *g = sim_gpadl_find(sim, m->ringbuffer_gpadl);
	uint32_t s = m->downstream_page_offset, relid = m->child_relid;
	void *in, *out;
	char name[32];

	if (!o || !o->offered) {
		sim_violation(sim, "OPENCHANNEL for relid %u, which is not offered", relid);
		return false;
	}
	if (o->rescinded) {
		sim_violation(sim, "OPENCHANNEL for relid %u, which was rescinded", relid);
		return false;
	}
	if (o->state != SIM_CHAN_CLOSED) {
		sim_violation(sim, "OPENCHANNEL for relid %u, which is already open", relid);
		return false;
	}
	if (!g || g->state != SIM_GPADL_READY || g->relid != relid) {
		sim_violation(sim, "OPENCHANNEL relid %u: ring gpadl %u %s", relid,
			      m->ringbuffer_gpadl,
			      !g ? "does not exist"
			      : g->state != SIM_GPADL_READY ? "is not created (no GPADL_CREATED yet)"
							    : "belongs to another relid");
		return false;
	}
	if (s < 2 || s > g->npfns || g->npfns - s < 2) {
		sim_violation(sim, "OPENCHANNEL relid %u: downstream_page_offset %u in a %u-page "
			      "ring GPADL; each ring needs a header page and a data page", relid, s,
			      g->npfns);
		return false;
	}
	if (m->target_vp != 0 && m->target_vp != VP_NO_INTERRUPTS) {
		sim_violation(sim, "OPENCHANNEL relid %u: target_vp %u; the only VP is 0 "
			      "(0xFFFFFFFF: no interrupts)", relid, m->target_vp);
		return false;
	}
	in = map_run(sim, g, 0, s);
	out = map_run(sim, g, s, g->npfns - s);
	if (!in || !out) {
		sim_violation(sim, "OPENCHANNEL relid %u: the %s ring's pages are not consecutive "
			      "guest RAM; hvsim limitation: each ring must be contiguous", relid,
			      !in ? "guest->host" : "host->guest");
		return false;
	}
	snprintf(name, sizeof(name), "hvsim relid %u g2h", relid);
	if (ring_init(&o->in, in, s * HVB_PAGE_SIZE, name)) {
		sim_violation(sim, "OPENCHANNEL relid %u: the guest->host ring's indices (write %u, "
			      "read %u) are not 8-byte offsets inside its %u-byte data area", relid,
			      o->in.hdr->write_index, o->in.hdr->read_index, o->in.size);
		return false;
	}
	snprintf(name, sizeof(name), "hvsim relid %u h2g", relid);
	if (ring_init(&o->out, out, (g->npfns - s) * HVB_PAGE_SIZE, name)) {
		sim_violation(sim, "OPENCHANNEL relid %u: the host->guest ring's indices (write %u, "
			      "read %u) are not 8-byte offsets inside its %u-byte data area", relid,
			      o->out.hdr->write_index, o->out.hdr->read_index, o->out.size);
		return false;
	}
	return true;
}

/* The channel is opening: buffers, and the host's fields of both ring
 * headers (facts 4.1, OpenVMM). */
static bool commit_open(struct hvsim *sim, struct sim_offer *o,
			const struct vmbus_msg_open_channel *m)
{
	o->txcap = HVB_MAX(o->in.size, 64u);
	o->rxbuf = malloc(o->in.size);
	for (unsigned i = 0; i < ARRAY_SIZE(o->tx); i++)
		o->tx[i].buf = malloc(o->txcap);
	if (!o->rxbuf || !o->tx[0].buf || !o->tx[1].buf ||
	    (o->storvsp && sim_storvsp_open(sim, o) != 0) ||
	    (o->netvsp && sim_netvsp_open(sim, o) != 0)) {
		sim_violation(sim, "hvsim: out of memory for the buffers of relid %u", o->relid);
		sim_chan_close(sim, o);
		return false;
	}
	o->in.allowed_types = 1u << VMBUS_PKT_DATA_INBAND | 1u << VMBUS_PKT_DATA_GPA_DIRECT |
			      1u << VMBUS_PKT_COMP;
	o->ring_gpadl = m->ringbuffer_gpadl;
	o->openid = m->openid;
	o->target_vp = m->target_vp;
	o->ntx = 0;
	o->kicked = o->waiting_space = o->stopped = false;
	hvb_write32(&o->out.hdr->pending_send_sz, 0);
	hvb_write32(&o->out.hdr->feature_bits,
		    sim->cfg.no_pending_send_feature ? 0 : VMBUS_RING_FEAT_PENDING_SEND_SZ);
	hvb_write32(&o->in.hdr->interrupt_mask, sim->cfg.host_polls ? 1 : 0);
	hvb_mb();
	o->state = SIM_CHAN_OPENING;
	return true;
}

static void open_answer(struct hvsim *sim, const struct vmbus_msg_open_result *r)
{
	if (sim->cfg.faults & HVSIM_FAULT_OPEN_DELAY)
		sim_timer_add(sim, r->status ? SIM_TIMER_PLAIN : SIM_TIMER_OPEN_RESULT, r->child_relid,
			      r, sizeof(*r));
	else
		sim_server_send(sim, r, sizeof(*r));
}

void sim_chan_open(struct hvsim *sim, const uint8_t *data, uint32_t size)
{
	struct vmbus_msg_open_channel m;
	struct vmbus_msg_open_result r = { { VMBUS_MSG_OPENCHANNEL_RESULT, 0 }, 0, 0, 0 };
	uint32_t faults = sim->cfg.faults;
	struct sim_offer *o;

	memset(&m, 0, sizeof(m));
	memcpy(&m, data, HVB_MIN(size, (uint32_t)sizeof(m)));
	r.child_relid = m.child_relid;
	r.openid = m.openid;
	r.status = SIM_STATUS_FAILED;
	if (size != sizeof(m)) {
		sim_violation(sim, "OPENCHANNEL of %u bytes; it is 148", size);
		if (size >= 16)
			open_answer(sim, &r);
		return;
	}
	o = sim_offer_by_relid(sim, m.child_relid);
	if (!open_ok(sim, o, &m)) {
		if (o && o->state == SIM_CHAN_CLOSED)
			sim_chan_close(sim, o); /* forget rings set up by a failed check */
		open_answer(sim, &r);
		return;
	}
	if ((faults & HVSIM_FAULT_RESCIND_DURING_OPEN) && o->echo) {
		sim_chan_close(sim, o); /* never opened */
		sim_chan_rescind(sim, o);
		return;
	}
	if ((faults & HVSIM_FAULT_OPEN_FAIL) || !commit_open(sim, o, &m)) {
		sim_chan_close(sim, o);
		open_answer(sim, &r);
		return;
	}
	if (faults & HVSIM_FAULT_OPEN_DROP)
		return; /* opening for ever: a CLOSECHANNEL or teardown ends it */
	r.status = 0;
	if (faults & HVSIM_FAULT_OPEN_DELAY) {
		open_answer(sim, &r); /* open when it is sent */
		return;
	}
	o->state = SIM_CHAN_OPEN;
	sim->stats.opens++;
	sim_server_send(sim, &r, sizeof(r));
}

void sim_chan_close_msg(struct hvsim *sim, const uint8_t *data, uint32_t size)
{
	struct vmbus_msg_relid m;
	struct sim_offer *o;

	if (size < sizeof(m)) {
		sim_violation(sim, "CLOSECHANNEL of %u bytes; it is 12", size);
		return;
	}
	memcpy(&m, data, sizeof(m));
	o = sim_offer_by_relid(sim, m.child_relid);
	if (!o || !o->offered) {
		sim_violation(sim, "CLOSECHANNEL for relid %u, which is not offered", m.child_relid);
		return;
	}
	if (o->state == SIM_CHAN_CLOSED) {
		/* After a rescind the guest may close what it never opened. */
		if (!o->rescinded)
			sim_violation(sim, "CLOSECHANNEL for relid %u, which is not open",
				      m.child_relid);
		return;
	}
	/* netvsp handles what the guest wrote before closing (its REVOKEs). */
	if (o->netvsp)
		sim_chan_drain(sim, o);
	/* Its GPADLs stay until torn down. */
	sim_chan_close(sim, o);
	sim->stats.closes++;
}

void sim_chan_relid_released(struct hvsim *sim, const uint8_t *data, uint32_t size)
{
	struct vmbus_msg_relid m;
	struct sim_offer *o;

	if (size < sizeof(m)) {
		sim_violation(sim, "RELID_RELEASED of %u bytes; it is 12", size);
		return;
	}
	memcpy(&m, data, sizeof(m));
	o = sim_offer_by_relid(sim, m.child_relid);
	if (!o || !o->rescinded || !o->offered) {
		sim_violation(sim, "RELID_RELEASED for relid %u, which %s", m.child_relid,
			      o && o->released ? "was released already"
					       : "was not rescinded (hvsim expects it only then)");
		return;
	}
	if (o->state != SIM_CHAN_CLOSED) {
		sim_violation(sim, "RELID_RELEASED for relid %u before its CLOSECHANNEL",
			      m.child_relid);
		sim_chan_close(sim, o);
	}
	/* The guest may skip GPADL_TEARDOWN for a rescinded channel (Linux
	 * does): its GPADLs go now, and that is no leak. */
	sim_gpadl_release(sim, o->relid);
	o->released = true;
	o->offered = false;
}

/* --- stats --------------------------------------------------------------- */

int hvsim_channel_stats(struct hvsim *sim, uint32_t relid, struct hvsim_channel_stats *st)
{
	struct sim_offer *o;

	lock(sim);
	o = sim_offer_by_relid(sim, relid);
	if (o) {
		memset(st, 0, sizeof(*st));
		st->offered = o->offered;
		st->open = o->state == SIM_CHAN_OPEN;
		st->rescinded = o->rescinded;
		st->released = o->released;
		st->guest_signals = o->guest_signals;
		st->spurious_signals = o->spurious_signals;
		st->host_signals = o->host_signals;
		st->packets_in = o->packets_in;
		st->packets_out = o->packets_out;
		st->gpadls = sim_gpadl_count(sim, relid);
	}
	unlock(sim);
	return o ? 0 : -ENOENT;
}
