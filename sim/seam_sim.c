/* The sim backend of the hypervisor seam: the guest's four primitives and
 * its memory, bound to an in-process hvsim. In threaded mode the host runs in
 * its own thread and every primitive takes the simulator's lock, as a real
 * hypervisor serialises an exit against its own work. */
#include <sched.h>
#include <time.h>

#include "sim.h"

#define SIM_OF(s) ((struct hvsim *)((char *)(s)-offsetof(struct hvsim, seam)))

static void lock(struct hvsim *sim)
{
	if (sim->cfg.threaded)
		pthread_mutex_lock(&sim->lock);
}

static void unlock(struct hvsim *sim, bool wake_host)
{
	if (sim->cfg.threaded) {
		if (wake_host)
			sim_wake_host(sim);
		pthread_mutex_unlock(&sim->lock);
	}
}

static void seam_cpuid(struct hv_seam *s, uint32_t leaf, struct hv_cpuid *out)
{
	struct hvsim *sim = SIM_OF(s);

	lock(sim);
	sim_cpuid(sim, leaf, out);
	unlock(sim, false);
}

static uint64_t seam_rdmsr(struct hv_seam *s, uint32_t msr)
{
	struct hvsim *sim = SIM_OF(s);
	uint64_t v;

	/* The reference counter is the host's clock and no state of its: read
	 * without the lock, or every time check of a polling guest would wait
	 * for the host thread's step (Hyper-V's reference TSC page gives it
	 * without an exit too). */
	if (sim->cfg.threaded && sim_time_ref_lockless(sim, msr, &v))
		return v;
	lock(sim);
	v = sim_rdmsr(sim, msr);
	unlock(sim, false);
	return v;
}

static void seam_wrmsr(struct hv_seam *s, uint32_t msr, uint64_t v)
{
	struct hvsim *sim = SIM_OF(s);

	lock(sim);
	sim_wrmsr(sim, msr, v);
	unlock(sim, false);
}

static uint64_t seam_hypercall(struct hv_seam *s, uint64_t control, uint64_t in, uint64_t out)
{
	struct hvsim *sim = SIM_OF(s);
	uint64_t r;

	lock(sim);
	r = sim_hypercall(sim, control, in, out);
	unlock(sim, true);
	return r;
}

static void *seam_map(struct hv_seam *s, uint64_t gpa, size_t len)
{
	struct hvsim *sim = SIM_OF(s);
	void *p;

	lock(sim);
	p = sim_gpa_map(sim, gpa, len);
	unlock(sim, false);
	return p;
}

static uint64_t seam_gpa_of(struct hv_seam *s, const void *ptr)
{
	struct hvsim *sim = SIM_OF(s);
	struct sim_overlay *ovs[] = { &sim->hypercall_page, &sim->synic.simp_page,
				      &sim->synic.siefp_page };
	const uint8_t *p = ptr;

	for (unsigned i = 0; i < 3; i++)
		if (ovs[i]->enabled && p >= ovs[i]->page && p < ovs[i]->page + 4096)
			return ovs[i]->gpa + (uint64_t)(p - ovs[i]->page);
	return pagepool_gpa(&sim->pool, ptr);
}

static void *seam_alloc(struct hv_seam *s, size_t npages, uint64_t *gpa)
{
	struct hvsim *sim = SIM_OF(s);
	void *p;

	lock(sim);
	p = pagepool_alloc(&sim->pool, npages, gpa);
	unlock(sim, false);
	return p;
}

static void seam_free(struct hv_seam *s, void *ptr, size_t npages)
{
	struct hvsim *sim = SIM_OF(s);

	lock(sim);
	pagepool_free(&sim->pool, ptr, npages);
	unlock(sim, false);
}

#define GUEST_SPINS 64        /* idle calls that only yield before the guest sleeps */
#define GUEST_SLEEP_NS 1000000 /* its longest sleep: its own timers need no better */

/* Threaded mode: a guest that found nothing to do yields for a while (the
 * host's answer is usually microseconds away), then sleeps until the host
 * gives it a message or sets an event flag, at most GUEST_SLEEP_NS. A
 * polling guest on a real vCPU costs the host nothing; here it would take
 * a core from the host thread and the servers it talks to. Sleeping is
 * safe because everything a guest waits for from the host comes with a
 * message or an event flag (rings signal on empty to non-empty and on the
 * room asked for); whatever else it waits for is time, bounded here. */
static void idle_threaded(struct hvsim *sim)
{
	unsigned ev = __atomic_load_n(&sim->guest_events, __ATOMIC_SEQ_CST);
	struct timespec ts;

	if (ev != sim->guest_seen) {
		/* Something came since the last idle: the next pass sees it. */
		sim->guest_seen = ev;
		sim->guest_spins = 0;
		return;
	}
	if (sim->guest_spins < GUEST_SPINS) {
		sim->guest_spins++;
		sched_yield();
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += GUEST_SLEEP_NS;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&sim->gw_lock);
	__atomic_store_n(&sim->guest_waiting, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sim->guest_events, __ATOMIC_SEQ_CST) == sim->guest_seen)
		pthread_cond_timedwait(&sim->gw_cond, &sim->gw_lock, &ts);
	__atomic_store_n(&sim->guest_waiting, 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&sim->gw_lock);
}

static void seam_idle(struct hv_seam *s)
{
	struct hvsim *sim = SIM_OF(s);

	if (sim->cfg.threaded)
		idle_threaded(sim);
	else
		hvsim_step(sim);
}

void sim_seam_init(struct hvsim *sim)
{
	sim->seam = (struct hv_seam){
		.name = "sim",
		.cpuid = seam_cpuid,
		.rdmsr = seam_rdmsr,
		.wrmsr = seam_wrmsr,
		.hypercall = seam_hypercall,
		.map = seam_map,
		.gpa_of = seam_gpa_of,
		.alloc = seam_alloc,
		.free = seam_free,
		.idle = seam_idle,
	};
}
