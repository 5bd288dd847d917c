/* Host messages due later: the *_DELAY faults answer a GPADL or an open
 * 100 ms of reference time late, and storvsp's delay and reorder faults
 * wake up here to send what they held. Driven from the host step, so in
 * stepped mode the delay is virtual time and the run stays deterministic. */
#include <string.h>

#include "../lib/util.h"
#include "sim.h"

/* The object may have gone meanwhile (torn down, closed): then nothing is
 * sent. A success answer also makes the object usable only now. */
static bool timer_live(struct hvsim *sim, enum sim_timer_kind kind, uint32_t key)
{
	switch (kind) {
	case SIM_TIMER_GPADL_CREATED: return sim_gpadl_created_due(sim, key);
	case SIM_TIMER_OPEN_RESULT: return sim_chan_open_due(sim, key);
	case SIM_TIMER_STORVSP: sim_storvsp_timer(sim, key); return false;
	case SIM_TIMER_NETVSP: sim_netvsp_timer(sim, key); return false;
	default: return true;
	}
}

bool sim_timer_add_at(struct hvsim *sim, enum sim_timer_kind kind, uint32_t key, uint64_t due,
		      const void *msg, uint32_t len)
{
	for (unsigned i = 0; i < SIM_MAX_TIMERS; i++) {
		struct sim_timer *t = &sim->timers[i];

		if (t->used)
			continue;
		t->used = true;
		sim->ntimers++;
		t->kind = kind;
		t->key = key;
		t->due = due;
		t->seq = sim->timer_seq++;
		t->len = HVB_MIN(len, (uint32_t)sizeof(t->msg));
		if (t->len)
			memcpy(t->msg, msg, t->len);
		return true;
	}
	return false;
}

void sim_timer_add(struct hvsim *sim, enum sim_timer_kind kind, uint32_t key, const void *msg,
		   uint32_t len)
{
	/* More answers outstanding than the queue holds: a delay is a fault
	 * injection, not a promise, so the answer simply goes now. */
	if (!sim_timer_add_at(sim, kind, key, sim_now(sim) + SIM_DELAY_TICKS, msg, len) &&
	    timer_live(sim, kind, key))
		sim_server_send(sim, msg, len);
}

void sim_timer_cancel(struct hvsim *sim, enum sim_timer_kind kind, uint32_t key)
{
	for (unsigned i = 0; i < SIM_MAX_TIMERS && sim->ntimers; i++) {
		struct sim_timer *t = &sim->timers[i];

		if (t->used && t->kind == kind && t->key == key) {
			t->used = false;
			sim->ntimers--;
		}
	}
}

void sim_timer_cancel_all(struct hvsim *sim)
{
	for (unsigned i = 0; i < SIM_MAX_TIMERS; i++)
		sim->timers[i].used = false;
	sim->ntimers = 0;
}

/* Send what is due, oldest first so that two answers due in one step keep
 * the order in which the guest asked. */
bool sim_timer_step(struct hvsim *sim)
{
	uint64_t now = sim_now(sim);
	bool work = false;

	while (sim->ntimers) {
		struct sim_timer *t = NULL;

		for (unsigned i = 0; i < SIM_MAX_TIMERS; i++) {
			struct sim_timer *c = &sim->timers[i];

			if (c->used && c->due <= now &&
			    (!t || c->due < t->due || (c->due == t->due && c->seq < t->seq)))
				t = c;
		}
		if (!t)
			return work;
		t->used = false;
		sim->ntimers--;
		work = true;
		if (timer_live(sim, t->kind, t->key))
			sim_server_send(sim, t->msg, t->len);
	}
	return work;
}
