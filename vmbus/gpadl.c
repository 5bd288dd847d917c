/* GPADLs: describing a guest buffer to the host (facts 3.2). A header
 * carries the first 26 PFNs, bodies 28 each, sent back to back; the host
 * answers GPADL_CREATED once it has them all. */
#include <errno.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "vmbus.h"
#include "ring_proto.h"
#include "vmbus_internal.h"

void vmbus_op_start(struct vmbus_op *op)
{
	if (op)
		op->status = -EINPROGRESS;
}

void vmbus_op_finish(struct vmbus_op *op, int status)
{
	if (!op || op->status != -EINPROGRESS)
		return;
	op->status = status;
	if (op->done)
		op->done(op);
}

static void list_remove(struct vmbus *vb, struct vmbus_gpadl *g)
{
	for (struct vmbus_gpadl **pp = &vb->gpadls; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			g->next = NULL;
			return;
		}
	}
}

static struct vmbus_gpadl *find(struct vmbus *vb, uint32_t handle)
{
	for (struct vmbus_gpadl *g = vb->gpadls; g; g = g->next)
		if (g->handle == handle)
			return g;
	return NULL;
}

static void finish(struct vmbus *vb, struct vmbus_gpadl *g, enum vmbus_gpadl_state next, int status)
{
	struct vmbus_op *op = g->op;

	g->op = NULL;
	g->state = next;
	if (next == GPADL_IDLE)
		list_remove(vb, g);
	vmbus_op_finish(op, status);
}

int vmbus_gpadl_create_start(struct vmbus *vb, struct vmbus_gpadl *g, uint32_t relid, uint64_t gpa,
			     uint32_t npages, struct vmbus_op *op)
{
	struct vmbus_msg_gpadl_header hdr;
	struct vmbus_msg_gpadl_body body;
	uint64_t pfn = gpa >> HVB_PAGE_SHIFT;
	uint32_t n, sent;
	uint16_t st;

	memset(g, 0, sizeof(*g));
	if (vb->state != VMBUS_CONNECTED)
		return -ENOTCONN;
	if (npages == 0 || npages > VMBUS_GPADL_MAX_PAGES || (gpa & (HVB_PAGE_SIZE - 1))) {
		log_err("vmbus: relid %u: a GPADL of %u pages at 0x%llx cannot be described (1 to %u "
			"page-aligned pages)", relid, npages, (unsigned long long)gpa,
			VMBUS_GPADL_MAX_PAGES);
		return -E2BIG;
	}
	g->handle = vb->next_gpadl++;
	if (vb->next_gpadl == 0)
		vb->next_gpadl = VMBUS_GPADL_FIRST_HANDLE;
	g->relid = relid;
	g->npages = npages;
	g->gpa = gpa;

	memset(&hdr, 0, sizeof(hdr));
	hdr.hdr.msgtype = VMBUS_MSG_GPADL_HEADER;
	hdr.child_relid = relid;
	hdr.gpadl = g->handle;
	hdr.range_buflen = (uint16_t)(sizeof(struct vmbus_gpa_range) + 8u * npages);
	hdr.rangecount = 1;
	hdr.byte_count = npages * HVB_PAGE_SIZE;
	hdr.byte_offset = 0;
	n = HVB_MIN(npages, VMBUS_GPADL_HEADER_PFNS);
	for (uint32_t i = 0; i < n; i++)
		hdr.pfn[i] = pfn + i;
	st = vmbus_post(vb, &hdr, offsetof(struct vmbus_msg_gpadl_header, pfn) + 8 * n);
	for (sent = n; st == HV_STATUS_SUCCESS && sent < npages; sent += n) {
		memset(&body, 0, sizeof(body));
		body.hdr.msgtype = VMBUS_MSG_GPADL_BODY;
		body.gpadl = g->handle;
		n = HVB_MIN(npages - sent, VMBUS_GPADL_BODY_PFNS);
		for (uint32_t i = 0; i < n; i++)
			body.pfn[i] = pfn + sent + i;
		st = vmbus_post(vb, &body, offsetof(struct vmbus_msg_gpadl_body, pfn) + 8 * n);
	}
	if (st != HV_STATUS_SUCCESS) {
		/* The host may hold a partial GPADL under this handle; it goes at
		 * UNLOAD. The handle is never reused. */
		log_err("vmbus: relid %u: posting GPADL %#x failed with HV status 0x%04x (%s)", relid,
			g->handle, st, hv_status_name(st));
		return -EIO;
	}
	vmbus_op_start(op);
	g->op = op;
	g->state = GPADL_CREATING;
	g->deadline = hv_time(vb->hv) + VMBUS_GPADL_TIMEOUT;
	vmbus_note_deadline(vb, g->deadline);
	g->next = vb->gpadls;
	vb->gpadls = g;
	return 0;
}

int vmbus_gpadl_teardown_start(struct vmbus *vb, struct vmbus_gpadl *g, struct vmbus_op *op)
{
	struct vmbus_msg_gpadl_teardown msg = { { VMBUS_MSG_GPADL_TEARDOWN, 0 }, g->relid, g->handle };
	uint16_t st;

	if (g->state != GPADL_READY)
		return -EINVAL;
	if (vb->state != VMBUS_CONNECTED)
		return -ENOTCONN;
	st = vmbus_post(vb, &msg, sizeof(msg));
	if (st != HV_STATUS_SUCCESS) {
		log_err("vmbus: relid %u: posting GPADL_TEARDOWN %#x failed with HV status 0x%04x "
			"(%s)", g->relid, g->handle, st, hv_status_name(st));
		return -EIO;
	}
	vmbus_op_start(op);
	g->op = op;
	g->state = GPADL_TEARING_DOWN;
	g->deadline = hv_time(vb->hv) + VMBUS_GPADL_TIMEOUT;
	vmbus_note_deadline(vb, g->deadline);
	return 0;
}

int vmbus_gpadl_create(struct vmbus *vb, struct vmbus_gpadl *g, uint32_t relid, uint64_t gpa,
		       uint32_t npages)
{
	struct vmbus_op op = { 0 };
	int rc = vmbus_gpadl_create_start(vb, g, relid, gpa, npages, &op);

	return rc ? rc : vmbus_wait_op(vb, &op);
}

int vmbus_gpadl_teardown(struct vmbus *vb, struct vmbus_gpadl *g)
{
	struct vmbus_op op = { 0 };
	int rc = vmbus_gpadl_teardown_start(vb, g, &op);

	return rc ? rc : vmbus_wait_op(vb, &op);
}

void vmbus_on_gpadl_created(struct vmbus *vb, const void *msg, uint32_t size)
{
	struct vmbus_msg_gpadl_created m;
	struct vmbus_gpadl *g;

	memcpy(&m, msg, HVB_MIN(size, (uint32_t)sizeof(m)));
	g = find(vb, m.gpadl);
	if (!g || g->state != GPADL_CREATING || g->relid != m.child_relid) {
		vmbus_reject(vb, "ignored GPADL_CREATED for GPADL %#x of relid %u: none is being "
			     "created", m.gpadl, m.child_relid);
		return;
	}
	if (m.status != 0) {
		log_err("vmbus: relid %u: the host refused GPADL %#x (%u pages) with status %#x",
			g->relid, g->handle, g->npages, m.status);
		finish(vb, g, GPADL_IDLE, -EIO);
		return;
	}
	finish(vb, g, GPADL_READY, 0);
}

void vmbus_on_gpadl_torndown(struct vmbus *vb, const void *msg, uint32_t size)
{
	struct vmbus_msg_gpadl_torndown m;
	struct vmbus_gpadl *g;

	memcpy(&m, msg, HVB_MIN(size, (uint32_t)sizeof(m)));
	g = find(vb, m.gpadl);
	if (!g || g->state != GPADL_TEARING_DOWN) {
		vmbus_reject(vb, "ignored GPADL_TORNDOWN for GPADL %#x: none is being torn down",
			     m.gpadl);
		return;
	}
	finish(vb, g, GPADL_IDLE, 0);
}

/* Deadlines of GPADL operations. A creation that timed out may still be
 * answered later: the handle is never reused, the answer is ignored. A
 * teardown that timed out leaves the buffer with the host: the caller must
 * not reuse that memory. */
void vmbus_gpadl_check_deadlines(struct vmbus *vb, uint64_t now)
{
	struct vmbus_gpadl *g = vb->gpadls, *next;

	for (; g; g = next) {
		next = g->next;
		if (g->state != GPADL_CREATING && g->state != GPADL_TEARING_DOWN)
			continue;
		if (now >= g->deadline) {
			bool creating = g->state == GPADL_CREATING;

			log_err("vmbus: relid %u: no %s for GPADL %#x within %llu ms", g->relid,
				creating ? "GPADL_CREATED" : "GPADL_TORNDOWN", g->handle,
				(unsigned long long)(VMBUS_GPADL_TIMEOUT / HV_TICKS_PER_MS));
			finish(vb, g, GPADL_IDLE, -ETIMEDOUT);
		} else {
			vmbus_note_deadline(vb, g->deadline);
		}
	}
}

/* After UNLOAD or a reset the host has forgotten every GPADL (facts 7.2):
 * a teardown would never be answered. */
void vmbus_gpadl_forget_all(struct vmbus *vb)
{
	while (vb->gpadls)
		finish(vb, vb->gpadls, GPADL_IDLE, -ENOTCONN);
}

void vmbus_gpadl_forget(struct vmbus *vb, struct vmbus_gpadl *g)
{
	g->op = NULL; /* whoever waited on it has been told by the caller */
	list_remove(vb, g);
	g->state = GPADL_IDLE;
}
