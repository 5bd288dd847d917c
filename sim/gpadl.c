/* GPADLs, host side (facts 3.2): GPADL_HEADER and GPADL_BODY assembled by
 * handle, GPADL_CREATED once every PFN has arrived, GPADL_TEARDOWN.
 *
 * A GPADL that goes wrong is answered once, with a failure status, when its
 * last PFN has arrived: the guest sends its bodies without waiting for an
 * answer, so an early answer would leave them arriving for a handle the
 * host no longer knows. Only when the count of outstanding words cannot be
 * known (a malformed header or body) is the failure sent at once. */
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "sim.h"

#define GPADL_MAX_PAGES_DEFAULT 8190u /* range_buflen is a u16: 8 + 8 * 8190 */
#define GPADL_HDR_FIXED 28u           /* header bytes before the first PFN */
#define GPADL_RANGES_AT 20u           /* the range area starts at range[0].byte_count */
#define GPADL_BODY_FIXED 16u

static uint32_t max_pages(struct hvsim *sim)
{
	return sim->cfg.gpadl_max_pages ? sim->cfg.gpadl_max_pages : GPADL_MAX_PAGES_DEFAULT;
}

static void gpadl_free(struct sim_gpadl *g)
{
	free(g->pfns);
	memset(g, 0, sizeof(*g));
}

/* A live (not failed) GPADL with this handle, in any state. */
struct sim_gpadl *sim_gpadl_find(struct hvsim *sim, uint32_t handle)
{
	for (unsigned i = 0; i < SIM_GPADL_SLOTS; i++) {
		struct sim_gpadl *g = &sim->gpadls[i];

		if (g->state != SIM_GPADL_FREE && !g->failed && g->handle == handle)
			return g;
	}
	return NULL;
}

/* The assembly a body with this handle belongs to (failed ones included:
 * they absorb their bodies). */
static struct sim_gpadl *find_assembling(struct hvsim *sim, uint32_t handle)
{
	for (unsigned i = 0; i < SIM_GPADL_SLOTS; i++) {
		struct sim_gpadl *g = &sim->gpadls[i];

		if (g->state == SIM_GPADL_ASSEMBLING && g->handle == handle)
			return g;
	}
	return NULL;
}

unsigned sim_gpadl_count(struct hvsim *sim, uint32_t relid)
{
	unsigned n = 0;

	for (unsigned i = 0; i < SIM_GPADL_SLOTS; i++) {
		struct sim_gpadl *g = &sim->gpadls[i];

		n += g->state != SIM_GPADL_FREE && !g->failed && (relid == 0 || g->relid == relid);
	}
	return n;
}

unsigned sim_gpadl_release(struct hvsim *sim, uint32_t relid)
{
	unsigned n = 0;

	for (unsigned i = 0; i < SIM_GPADL_SLOTS; i++) {
		struct sim_gpadl *g = &sim->gpadls[i];

		if (g->state == SIM_GPADL_FREE || (relid != 0 && g->relid != relid))
			continue;
		if (!g->failed) {
			n++;
			sim_timer_cancel(sim, SIM_TIMER_GPADL_CREATED, g->handle);
		}
		gpadl_free(g);
	}
	return n;
}

static void send_created(struct hvsim *sim, uint32_t relid, uint32_t handle, uint32_t status)
{
	struct vmbus_msg_gpadl_created m = { { VMBUS_MSG_GPADL_CREATED, 0 }, relid, handle, status };

	if (sim->cfg.faults & HVSIM_FAULT_GPADL_DELAY) {
		sim_timer_add(sim, status ? SIM_TIMER_PLAIN : SIM_TIMER_GPADL_CREATED, handle, &m,
			      sizeof(m));
		return;
	}
	if (status == 0)
		sim->stats.gpadls_created++;
	sim_server_send(sim, &m, sizeof(m));
}

bool sim_gpadl_created_due(struct hvsim *sim, uint32_t handle)
{
	struct sim_gpadl *g = sim_gpadl_find(sim, handle);

	if (!g || g->state != SIM_GPADL_PENDING)
		return false;
	g->state = SIM_GPADL_READY;
	sim->stats.gpadls_created++;
	return true;
}

/* Every PFN has arrived. */
static void complete(struct hvsim *sim, struct sim_gpadl *g)
{
	uint32_t faults = sim->cfg.faults;
	bool first = !(sim->faults_fired & SIM_FIRED_GPADL);

	if (g->failed) {
		send_created(sim, g->relid, g->handle, SIM_STATUS_FAILED);
		gpadl_free(g);
		return;
	}
	/* "The first GPADL": the first the host would have created. */
	sim->faults_fired |= SIM_FIRED_GPADL;
	if (first && (faults & HVSIM_FAULT_GPADL_BAD_STATUS)) {
		send_created(sim, g->relid, g->handle, SIM_STATUS_FAILED);
		gpadl_free(g);
		return;
	}
	g->state = SIM_GPADL_PENDING;
	if (first && (faults & HVSIM_FAULT_GPADL_DROP))
		return; /* usable never; GPADL_TEARDOWN still answered */
	if (faults & HVSIM_FAULT_GPADL_DELAY) {
		send_created(sim, g->relid, g->handle, 0); /* READY when it is sent */
		return;
	}
	g->state = SIM_GPADL_READY;
	send_created(sim, g->relid, g->handle, 0);
}

/* Takes n PFNs; the first that is not guest RAM fails the GPADL. */
static void take_pfns(struct hvsim *sim, struct sim_gpadl *g, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n && !g->failed; i++) {
		uint64_t pfn;

		memcpy(&pfn, src + 8 * i, 8);
		if (pfn > (UINT64_MAX >> HVB_PAGE_SHIFT) ||
		    !sim_gpa_map(sim, pfn << HVB_PAGE_SHIFT, HVB_PAGE_SIZE)) {
			sim_violation(sim, "gpadl %u: PFN %u is 0x%llx, not a page of guest RAM",
				      g->handle, g->nrecv, (unsigned long long)pfn);
			g->failed = true;
			free(g->pfns);
			g->pfns = NULL;
			return;
		}
		g->pfns[g->nrecv++] = pfn;
	}
}

static struct sim_gpadl *free_slot(struct hvsim *sim)
{
	for (unsigned i = 0; i < SIM_GPADL_SLOTS; i++)
		if (sim->gpadls[i].state == SIM_GPADL_FREE)
			return &sim->gpadls[i];
	return NULL;
}

/* Single-range checks (hvsim, like QEMU, takes nothing else). */
static bool range_ok(struct hvsim *sim, const struct vmbus_msg_gpadl_header *h, uint32_t total)
{
	if (h->rangecount != 1) {
		sim_violation(sim, "GPADL_HEADER gpadl %u: %u ranges; hvsim limitation: only "
			      "single-range GPADLs (as every guest sends)", h->gpadl, h->rangecount);
		return false;
	}
	if (total == 0) {
		sim_violation(sim, "GPADL_HEADER gpadl %u: no PFNs (range_buflen %u)", h->gpadl,
			      h->range_buflen);
		return false;
	}
	if (h->byte_offset != 0) {
		sim_violation(sim, "GPADL_HEADER gpadl %u: byte_offset %u; hvsim requires 0 (whole "
			      "pages, as every guest sends)", h->gpadl, h->byte_offset);
		return false;
	}
	if ((uint64_t)h->byte_count != (uint64_t)total * HVB_PAGE_SIZE) {
		sim_violation(sim, "GPADL_HEADER gpadl %u: byte_count %u, but range_buflen %u "
			      "announces %u PFNs (%llu bytes)", h->gpadl, h->byte_count,
			      h->range_buflen, total,
			      (unsigned long long)total * HVB_PAGE_SIZE);
		return false;
	}
	return true;
}

/* The checks that fail the GPADL but still let its bodies be absorbed. */
static bool header_ok(struct hvsim *sim, const struct vmbus_msg_gpadl_header *h, uint32_t total)
{
	struct sim_offer *o = sim_offer_by_relid(sim, h->child_relid);

	if (h->gpadl == 0) {
		sim_violation(sim, "GPADL_HEADER with gpadl handle 0 (handles are non-zero)");
		return false;
	}
	if (sim_gpadl_find(sim, h->gpadl)) {
		sim_violation(sim, "GPADL_HEADER gpadl %u: that handle is already in use on this "
			      "connection", h->gpadl);
		return false;
	}
	if (!o || !o->offered) {
		sim_violation(sim, "GPADL_HEADER gpadl %u for relid %u, which is not offered",
			      h->gpadl, h->child_relid);
		return false;
	}
	if (o->rescinded) {
		sim_violation(sim, "GPADL_HEADER gpadl %u for relid %u, which was rescinded",
			      h->gpadl, h->child_relid);
		return false;
	}
	if (!range_ok(sim, h, total))
		return false;
	/* Host resource limits: refused, but the guest did nothing wrong. */
	if (total > max_pages(sim) || sim_gpadl_count(sim, 0) >= SIM_MAX_GPADLS)
		return false;
	return true;
}

void sim_gpadl_header(struct hvsim *sim, const uint8_t *data, uint32_t size)
{
	struct vmbus_msg_gpadl_header h;
	uint32_t n, words_total, words_hdr, total;
	struct sim_gpadl *g;
	bool ok;

	memset(&h, 0, sizeof(h));
	memcpy(&h, data, HVB_MIN(size, (uint32_t)sizeof(h)));
	n = size >= GPADL_HDR_FIXED ? (size - GPADL_HDR_FIXED) / 8 : 0;
	if (size < GPADL_HDR_FIXED || (size - GPADL_HDR_FIXED) % 8 || n > VMBUS_GPADL_HEADER_PFNS) {
		sim_violation(sim, "GPADL_HEADER of %u bytes; it is 28 + 8 n bytes, n <= 26", size);
		if (size >= 16)
			send_created(sim, h.child_relid, h.gpadl, SIM_STATUS_FAILED);
		return;
	}
	/* The header carries the first (size - 20) / 8 words of the range
	 * area (range header and PFNs), bodies the rest. */
	words_total = h.range_buflen / 8;
	words_hdr = (size - GPADL_RANGES_AT) / 8;
	if (h.range_buflen % 8 || words_hdr > words_total) {
		sim_violation(sim, "GPADL_HEADER gpadl %u: range_buflen %u does not cover the %u "
			      "PFNs the header carries", h.gpadl, h.range_buflen, n);
		send_created(sim, h.child_relid, h.gpadl, SIM_STATUS_FAILED);
		return;
	}
	g = free_slot(sim);
	if (!g || (find_assembling(sim, h.gpadl) && h.gpadl != 0)) {
		/* A second assembly with one handle would make its bodies
		 * ambiguous; a full table leaves nowhere to count them. */
		if (g)
			sim_violation(sim, "GPADL_HEADER gpadl %u: that handle is already being "
				      "assembled", h.gpadl);
		send_created(sim, h.child_relid, h.gpadl, SIM_STATUS_FAILED);
		return;
	}
	total = words_total - 1; /* the one range header; only used for single ranges */
	ok = header_ok(sim, &h, total); /* before g is taken: it must not find itself */
	memset(g, 0, sizeof(*g));
	g->state = SIM_GPADL_ASSEMBLING;
	g->handle = h.gpadl;
	g->relid = h.child_relid;
	g->words_left = words_total - words_hdr;
	g->failed = !ok;
	if (!g->failed) {
		g->npfns = total;
		g->pfns = calloc(total, sizeof(uint64_t));
		if (!g->pfns) {
			sim_violation(sim, "hvsim: out of memory for gpadl %u (%u PFNs)", h.gpadl,
				      total);
			g->failed = true;
		} else {
			take_pfns(sim, g, data + GPADL_HDR_FIXED, n);
		}
	}
	if (g->words_left == 0)
		complete(sim, g);
}

void sim_gpadl_body(struct hvsim *sim, const uint8_t *data, uint32_t size)
{
	struct vmbus_msg_gpadl_body b;
	struct sim_gpadl *g;
	uint32_t n;

	memset(&b, 0, sizeof(b));
	memcpy(&b, data, HVB_MIN(size, (uint32_t)sizeof(b)));
	g = size >= GPADL_BODY_FIXED ? find_assembling(sim, b.gpadl) : NULL;
	n = size >= GPADL_BODY_FIXED ? (size - GPADL_BODY_FIXED) / 8 : 0;
	if (size < GPADL_BODY_FIXED || (size - GPADL_BODY_FIXED) % 8 || n == 0 ||
	    n > VMBUS_GPADL_BODY_PFNS) {
		sim_violation(sim, "GPADL_BODY of %u bytes; it is 16 + 8 n bytes, 1 <= n <= 28",
			      size);
		if (g) {
			send_created(sim, g->relid, g->handle, SIM_STATUS_FAILED);
			gpadl_free(g);
		}
		return;
	}
	if (!g) {
		sim_violation(sim, "GPADL_BODY for gpadl %u, which is not being assembled "
			      "(no GPADL_HEADER, or all its PFNs already came)", b.gpadl);
		return;
	}
	if (n > g->words_left) {
		sim_violation(sim, "GPADL_BODY gpadl %u: %u PFNs, but GPADL_HEADER announced only "
			      "%u more", b.gpadl, n, g->words_left);
		send_created(sim, g->relid, g->handle, SIM_STATUS_FAILED);
		gpadl_free(g);
		return;
	}
	if (!g->failed)
		take_pfns(sim, g, data + GPADL_BODY_FIXED, n);
	g->words_left -= n;
	if (g->words_left == 0)
		complete(sim, g);
}

void sim_gpadl_teardown(struct hvsim *sim, const uint8_t *data, uint32_t size)
{
	struct vmbus_msg_gpadl_teardown t;
	struct vmbus_msg_gpadl_torndown r = { { VMBUS_MSG_GPADL_TORNDOWN, 0 }, 0 };
	struct sim_offer *o;
	struct sim_gpadl *g;

	if (size < sizeof(t)) {
		sim_violation(sim, "GPADL_TEARDOWN of %u bytes; it is 16", size);
		return;
	}
	memcpy(&t, data, sizeof(t));
	g = sim_gpadl_find(sim, t.gpadl);
	if (!g) {
		/* Never answered, as Hyper-V does for an obsolete GPADL (facts 7.2). */
		sim_violation(sim, "GPADL_TEARDOWN of gpadl %u (relid %u), which does not exist",
			      t.gpadl, t.child_relid);
		return;
	}
	if (g->relid != t.child_relid) {
		sim_violation(sim, "GPADL_TEARDOWN of gpadl %u for relid %u; it belongs to relid %u",
			      t.gpadl, t.child_relid, g->relid);
		return;
	}
	if (g->state == SIM_GPADL_ASSEMBLING)
		sim_violation(sim, "GPADL_TEARDOWN of gpadl %u before all its PFNs were sent",
			      t.gpadl);
	o = sim_offer_by_relid(sim, g->relid);
	if (o && o->state != SIM_CHAN_CLOSED && o->ring_gpadl == g->handle) {
		if (o->state == SIM_CHAN_OPEN) {
			sim_violation(sim, "GPADL_TEARDOWN of gpadl %u: it holds the rings of open "
				      "channel relid %u; close the channel first", t.gpadl,
				      o->relid);
			return;
		}
		/* OPENCHANNEL never answered (a fault): the guest gave up on
		 * the open, and so does the host. */
		sim_chan_close(sim, o);
	}
	sim_netvsp_gpadl_teardown(sim, g->relid, g->handle);
	sim_timer_cancel(sim, SIM_TIMER_GPADL_CREATED, g->handle);
	gpadl_free(g);
	r.gpadl = t.gpadl;
	sim->stats.gpadls_torn_down++;
	sim_server_send(sim, &r, sizeof(r));
}
