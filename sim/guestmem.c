/* Guest "physical" memory for the in-process simulator: an arena mapped at
 * whatever address mmap picks, whose GPAs start at SIM_GPA_BASE, so a GPA used
 * as a pointer (or the reverse) fails loudly. Overlay pages (hypercall page,
 * SIMP, SIEFP) hide the RAM at their GPA while enabled, as on Hyper-V. */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../lib/util.h"
#include "sim.h"

int sim_mem_init(struct hvsim *sim)
{
	size_t npages;

	sim->ram_size = (sim->cfg.mem_mib ? sim->cfg.mem_mib : 64) << 20;
	sim->ram = mmap(NULL, sim->ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (sim->ram == MAP_FAILED) {
		sim->ram = NULL;
		return -ENOMEM;
	}
	npages = sim->ram_size / HVB_PAGE_SIZE;
	sim->pool_bitmap = calloc((npages + 63) / 64, sizeof(uint64_t));
	if (!sim->pool_bitmap)
		return -ENOMEM;
	pagepool_init(&sim->pool, SIM_GPA_BASE, sim->ram, npages, sim->pool_bitmap);
	return 0;
}

void sim_mem_fini(struct hvsim *sim)
{
	if (sim->ram)
		munmap(sim->ram, sim->ram_size);
	free(sim->pool_bitmap);
}

static struct sim_overlay *overlay_at(struct hvsim *sim, uint64_t page_gpa)
{
	struct sim_overlay *ovs[] = { &sim->hypercall_page, &sim->synic.simp_page,
				      &sim->synic.siefp_page };

	for (unsigned i = 0; i < ARRAY_SIZE(ovs); i++)
		if (ovs[i]->enabled && ovs[i]->gpa == page_gpa)
			return ovs[i];
	return NULL;
}

void *sim_gpa_map(struct hvsim *sim, uint64_t gpa, size_t len)
{
	uint64_t page = gpa & ~(uint64_t)(HVB_PAGE_SIZE - 1);
	struct sim_overlay *ov = overlay_at(sim, page);

	if (len == 0 || gpa + len < gpa)
		return NULL;
	if (ov)
		return gpa - page + len <= HVB_PAGE_SIZE ? ov->page + (gpa - page) : NULL;
	/* A range that starts in RAM but runs into an overlay would be split
	 * across two backings; nothing legitimate does that. */
	for (uint64_t p = page + HVB_PAGE_SIZE; p < gpa + len; p += HVB_PAGE_SIZE)
		if (overlay_at(sim, p))
			return NULL;
	return pagepool_ptr(&sim->pool, gpa, len);
}

int sim_gpa_read(struct hvsim *sim, uint64_t gpa, void *buf, size_t len, const char *what)
{
	void *p = sim_gpa_map(sim, gpa, len);

	if (!p) {
		sim_violation(sim, "%s: GPA 0x%llx (+%zu bytes) is not guest memory", what,
			      (unsigned long long)gpa, len);
		return -EFAULT;
	}
	memcpy(buf, p, len);
	return 0;
}

int sim_gpa_write(struct hvsim *sim, uint64_t gpa, const void *buf, size_t len, const char *what)
{
	void *p = sim_gpa_map(sim, gpa, len);

	if (!p) {
		sim_violation(sim, "%s: GPA 0x%llx (+%zu bytes) is not guest memory", what,
			      (unsigned long long)gpa, len);
		return -EFAULT;
	}
	memcpy(p, buf, len);
	return 0;
}

/* The overlay follows its MSR: contents stay with the overlay (they move to
 * the new GPA and survive disable), as OpenVMM's OverlayPage does. */
void sim_overlay_move(struct hvsim *sim, struct sim_overlay *ov, uint64_t msr)
{
	uint64_t gpa = msr & HV_MSR_PAGE_MASK;

	(void)sim;
	ov->enabled = (msr & HV_MSR_ENABLE) != 0;
	ov->gpa = gpa;
	if (ov->enabled && !pagepool_ptr(&sim->pool, gpa, HVB_PAGE_SIZE))
		sim_violation(sim, "overlay page enabled at GPA 0x%llx, outside guest RAM",
			      (unsigned long long)gpa);
}
