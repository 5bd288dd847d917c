/* The sim backend of the hypervisor seam: the guest's four primitives and
 * its memory, bound to an in-process hvsim. In threaded mode the host runs in
 * its own thread and every primitive takes the simulator's lock, as a real
 * hypervisor serialises an exit against its own work. */
#include <sched.h>

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
			pthread_cond_signal(&sim->wake);
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

static void seam_idle(struct hv_seam *s)
{
	struct hvsim *sim = SIM_OF(s);

	if (sim->cfg.threaded)
		sched_yield();
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
