/* The event loop: single-threaded, polling. One pass looks at the SynIC
 * message slot, the event flags, every open channel's inbound ring and the
 * deadlines; waits run passes and let the host have the CPU (seam idle)
 * when a pass found nothing. Nothing else in the stack busy-waits. */
#include <errno.h>

#include "../lib/util.h"
#include "channel.h"
#include "vmbus_internal.h"

#define MESSAGES_PER_PASS 16 /* the slot is emptied first: it backs up the host's port */

void vmbus_note_deadline(struct vmbus *vb, uint64_t deadline)
{
	if (!vb->next_deadline || deadline < vb->next_deadline)
		vb->next_deadline = deadline;
}

/* The host sets a channel's event flag when it writes to an empty ring (or
 * frees room we waited for). Every open channel is polled on every pass, so
 * the flags only need clearing: atomically, a word at a time. Below WIN8 the
 * host sets only flag 0 and the channel's bit in the interrupt page. */
static int clear_event_flags(struct vmbus *vb)
{
	uint64_t *flags = (uint64_t *)(vb->hv->sief + VMBUS_SINT_SLOT * HV_SIEF_SLOT_BYTES);
	int seen = 0;

	for (unsigned i = 0; i < HV_SIEF_SLOT_BYTES / 8; i++) {
		if (__atomic_load_n(&flags[i], __ATOMIC_RELAXED) &&
		    __atomic_exchange_n(&flags[i], 0, __ATOMIC_SEQ_CST))
			seen = 1;
	}
	if (seen && vb->version < VMBUS_VERSION_WIN8 && vb->int_page) {
		uint64_t *recv = vb->int_page; /* receive half: bytes 0..2047 */

		for (unsigned i = 0; i < HVB_PAGE_SIZE / 2 / 8; i++)
			if (__atomic_load_n(&recv[i], __ATOMIC_RELAXED))
				__atomic_exchange_n(&recv[i], 0, __ATOMIC_SEQ_CST);
	}
	return seen;
}

void vmbus_timer_cancel(struct vmbus *vb, struct vmbus_timer *t)
{
	for (struct vmbus_timer **pp = &vb->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->next = NULL;
	t->armed = false;
}

void vmbus_timer_start(struct vmbus *vb, struct vmbus_timer *t, uint64_t delay)
{
	if (t->armed)
		vmbus_timer_cancel(vb, t);
	t->when = hv_time(vb->hv) + delay;
	t->armed = true;
	t->next = vb->timers;
	vb->timers = t;
	vmbus_note_deadline(vb, t->when);
}

static void run_timers(struct vmbus *vb, uint64_t now)
{
	struct vmbus_timer *t;
	bool again = true;

	/* A timer function may arm or cancel timers: rescan after each run. */
	while (again) {
		again = false;
		for (t = vb->timers; t; t = t->next) {
			if (now >= t->when) {
				vmbus_timer_cancel(vb, t);
				t->fn(t);
				again = true;
				break;
			}
		}
	}
	for (t = vb->timers; t; t = t->next)
		vmbus_note_deadline(vb, t->when);
}

static void check_deadlines(struct vmbus *vb)
{
	uint64_t now;

	if (!vb->next_deadline)
		return;
	now = hv_time(vb->hv);
	if (now < vb->next_deadline)
		return;
	vb->next_deadline = 0; /* the checks note what is still pending */
	vmbus_gpadl_check_deadlines(vb, now);
	vmbus_channels_check_deadlines(vb, now);
	run_timers(vb, now);
}

int vmbus_loop_once(struct vmbus *vb)
{
	int work = 0;

	for (int i = 0; i < MESSAGES_PER_PASS && vmbus_poll(vb); i++)
		work++;
	if (vb->hv->sief)
		work += clear_event_flags(vb);
	work += vmbus_channels_poll(vb);
	check_deadlines(vb);
	return work;
}

int vmbus_wait_op(struct vmbus *vb, struct vmbus_op *op)
{
	while (op->status == -EINPROGRESS)
		if (!vmbus_loop_once(vb))
			hv_idle(vb->hv->seam);
	return op->status;
}

int vmbus_wait_flag(struct vmbus *vb, const bool *flag, uint64_t timeout)
{
	uint64_t deadline = hv_time(vb->hv) + timeout;

	while (!*flag) {
		if (vmbus_loop_once(vb))
			continue;
		if (hv_time(vb->hv) >= deadline)
			return -ETIMEDOUT;
		hv_idle(vb->hv->seam);
	}
	return 0;
}
