/* Guest "physical" memory for the in-process simulator: an arena mapped at
 * whatever address mmap picks, whose GPAs start at SIM_GPA_BASE, so a GPA used
 * as a pointer (or the reverse) fails loudly. Overlay pages (hypercall page,
 * SIMP, SIEFP) hide the RAM at their GPA while enabled, as on Hyper-V.
 *
 * Bridge mode: QEMU's guest RAM file, mapped shared at GPA 0 (q35 with at
 * most 2 GiB puts all RAM at GPA 0..size, so GPA = file offset). The guest
 * allocates its own pages there; the pool only translates. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/util.h"
#include "sim.h"

#define SIM_BRIDGE_RAM_MAX (2ull << 30)

static int map_ram_file(struct hvsim *sim, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC), err;

	if (fd < 0) {
		err = errno;
		fprintf(stderr, "hvsim: cannot open the guest RAM file %s: %s (create it with its "
			"final size first, e.g. truncate -s 512M %s, and give QEMU the same size)\n",
			path, strerror(err), path);
		return -err;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (st.st_size & (HVB_PAGE_SIZE - 1)) || (uint64_t)st.st_size > SIM_BRIDGE_RAM_MAX) {
		fprintf(stderr, "hvsim: the guest RAM file %s must be a regular file of a positive "
			"number of 4 KiB pages, at most 2 GiB (q35 keeps only that much at GPA "
			"0..size); it has %lld bytes\n",
			path, (long long)st.st_size);
		close(fd);
		return -EINVAL;
	}
	sim->ram_size = (size_t)st.st_size;
	sim->ram = mmap(NULL, sim->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	close(fd); /* the mapping keeps the file */
	if (sim->ram == MAP_FAILED) {
		sim->ram = NULL;
		fprintf(stderr, "hvsim: cannot map the guest RAM file %s: %s\n", path, strerror(err));
		return -err;
	}
	sim->shared_ram = true;
	return 0;
}

int sim_mem_init(struct hvsim *sim)
{
	struct sim_overlay *ovs[] = { &sim->hypercall_page, &sim->synic.simp_page,
				      &sim->synic.siefp_page };
	size_t npages;
	int rc;

	for (unsigned i = 0; i < ARRAY_SIZE(ovs); i++)
		ovs[i]->page = ovs[i]->store;
	if (sim->cfg.guest_ram) {
		rc = map_ram_file(sim, sim->cfg.guest_ram);
		if (rc)
			return rc;
	} else {
		sim->ram_size = (sim->cfg.mem_mib ? sim->cfg.mem_mib : 64) << 20;
		sim->ram = mmap(NULL, sim->ram_size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (sim->ram == MAP_FAILED) {
			sim->ram = NULL;
			fprintf(stderr, "hvsim: cannot map %zu MiB of guest memory\n",
				sim->ram_size >> 20);
			return -ENOMEM;
		}
	}
	npages = sim->ram_size / HVB_PAGE_SIZE;
	sim->pool_bitmap = calloc((npages + 63) / 64, sizeof(uint64_t));
	if (!sim->pool_bitmap)
		return -ENOMEM;
	pagepool_init(&sim->pool, sim->shared_ram ? 0 : SIM_GPA_BASE, sim->ram, npages,
		      sim->pool_bitmap);
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
	uint8_t *ram;

	ov->enabled = (msr & HV_MSR_ENABLE) != 0;
	ov->gpa = gpa;
	ram = ov->enabled ? pagepool_ptr(&sim->pool, gpa, HVB_PAGE_SIZE) : NULL;
	if (ov->enabled && !ram)
		sim_violation(sim, "overlay page enabled at GPA 0x%llx, outside guest RAM",
			      (unsigned long long)gpa);
	if (!sim->shared_ram)
		return;
	/* Bridge mode: the overlay is the guest's page itself (a bad GPA keeps
	 * the private store, so hvsim never writes outside the file). The
	 * hypercall page gets its code written there, as Hyper-V fills it. */
	ov->page = ram ? ram : ov->store;
	if (ram && ov == &sim->hypercall_page)
		memcpy(ram, ov->store, HVB_PAGE_SIZE);
}
