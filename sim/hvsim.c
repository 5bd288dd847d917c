/* hvsim: creation, the two in-process run modes, violations and the audit. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/util.h"
#include "sim.h"

#define STEP_BUSY_TICKS 10     /* 1 us of virtual time for a step that did work */
#define STEP_IDLE_TICKS 1000   /* 100 us for one that found nothing to do */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t sim_now(struct hvsim *sim)
{
	if (sim->cfg.threaded)
		return (mono_ns() - sim->t0_ns) / 100;
	return sim->vtime;
}

/* splitmix64: small, seedable, good enough for fault placement and GUIDs. */
uint64_t sim_rand(struct hvsim *sim)
{
	uint64_t z = (sim->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void sim_violation(struct hvsim *sim, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (sim->cfg.trace)
		fprintf(sim->cfg.trace, "violation %s\n", buf);
	if (sim->nviolations < SIM_MAX_VIOLATIONS)
		sim->violations[sim->nviolations] = strdup(buf);
	sim->nviolations++;
}

unsigned hvsim_violation_count(struct hvsim *sim) { return sim->nviolations; }

const char *hvsim_violation(struct hvsim *sim, unsigned i)
{
	if (i >= sim->nviolations || i >= SIM_MAX_VIOLATIONS || !sim->violations[i])
		return "(not recorded)";
	return sim->violations[i];
}

/* One host step: a guest message, due timers, the network backend, then
 * the channels. */
static bool step_locked(struct hvsim *sim)
{
	bool busy = sim_server_step(sim);

	busy |= sim_timer_step(sim);
	busy |= sim_netvsp_step(sim);
	busy |= sim_chan_step(sim);
	return busy;
}

void hvsim_step(struct hvsim *sim)
{
	bool busy;

	if (sim->cfg.threaded)
		return; /* the host thread does the work */
	busy = step_locked(sim);
	sim->vtime += busy ? STEP_BUSY_TICKS : STEP_IDLE_TICKS;
}

static void *host_thread(void *arg)
{
	struct hvsim *sim = arg;

	pthread_mutex_lock(&sim->lock);
	while (!sim->thread_stop) {
		if (step_locked(sim))
			continue;
		if (sim_chan_polling(sim)) {
			/* A polled ring (host_polls, a pre-WS2012 host waiting
			 * for room) is looked at continuously, as a polling host
			 * thread does: spin briefly outside the lock, never sleep. */
			pthread_mutex_unlock(&sim->lock);
			for (int i = 0; i < 64; i++)
				__builtin_ia32_pause();
			pthread_mutex_lock(&sim->lock);
		} else {
			/* A guest hypercall wakes us; timers need only
			 * millisecond precision. */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&sim->wake, &sim->lock, &ts);
		}
	}
	pthread_mutex_unlock(&sim->lock);
	return NULL;
}

struct hvsim *hvsim_create(const struct hvsim_config *cfg)
{
	struct hvsim *sim = aligned_alloc(4096, (sizeof(struct hvsim) + 4095) & ~(size_t)4095);

	if (!sim)
		return NULL;
	memset(sim, 0, sizeof(*sim));
	sim->cfg = *cfg;
	if (cfg->guest_ram)
		sim->cfg.threaded = true; /* the guest runs in QEMU meanwhile */
	sim->rng = cfg->seed;
	sim->t0_ns = mono_ns();
	pthread_mutex_init(&sim->lock, NULL);
	pthread_cond_init(&sim->wake, NULL);
	if (sim_mem_init(sim) != 0) { /* it said why */
		hvsim_destroy(sim);
		return NULL;
	}
	sim_hv_reset(sim);
	sim_seam_init(sim);
	if (sim_server_init(sim) != 0 || sim_storvsp_init(sim) != 0 || sim_netvsp_init(sim) != 0) {
		hvsim_destroy(sim);
		return NULL;
	}
	if (cfg->faults & HVSIM_FAULT_PORT_BUSY)
		sim->busy_posts_left = 3;
	if (cfg->faults & HVSIM_FAULT_DIRTY_START) {
		/* An earlier owner (firmware that did not unload, a crashed
		 * loader) left its registration, hypercall page and SynIC on,
		 * and a stale message in the VMBus slot. */
		uint64_t gpa = sim->pool.base_gpa + sim->ram_size - 3 * HVB_PAGE_SIZE;
		struct vmbus_msg_relid stale = { { VMBUS_MSG_RESCIND_CHANNELOFFER, 0 }, 7 };

		sim->guest_os_id = HV_GUEST_OS_ID_UEFI;
		sim->hypercall_msr = gpa | HV_MSR_ENABLE;
		sim_overlay_move(sim, &sim->hypercall_page, sim->hypercall_msr);
		sim->synic.simp = (gpa + HVB_PAGE_SIZE) | HV_MSR_ENABLE;
		sim_overlay_move(sim, &sim->synic.simp_page, sim->synic.simp);
		sim->synic.siefp = (gpa + 2 * HVB_PAGE_SIZE) | HV_MSR_ENABLE;
		sim_overlay_move(sim, &sim->synic.siefp_page, sim->synic.siefp);
		sim->synic.sint[VMBUS_MESSAGE_SINT] = HV_SINT_AUTO_EOI | 0x75;
		sim_synic_post(sim, VMBUS_MESSAGE_SINT, HV_MESSAGE_TYPE_VMBUS, &stale, sizeof(stale));
		sim->synic.siefp_page.page[VMBUS_MESSAGE_SINT * HV_SIEF_SLOT_BYTES] = 0x80;
	}
	if (sim->cfg.threaded) {
		if (pthread_create(&sim->thread, NULL, host_thread, sim) != 0) {
			fprintf(stderr, "hvsim: cannot start the host thread\n");
			hvsim_destroy(sim);
			return NULL;
		}
		sim->thread_running = true;
	}
	return sim;
}

void hvsim_destroy(struct hvsim *sim)
{
	if (!sim)
		return;
	if (sim->thread_running) {
		pthread_mutex_lock(&sim->lock);
		sim->thread_stop = true;
		pthread_cond_signal(&sim->wake);
		pthread_mutex_unlock(&sim->lock);
		pthread_join(sim->thread, NULL);
	}
	sim_server_fini(sim);
	sim_storvsp_fini(sim);
	sim_netvsp_fini(sim);
	sim_synic_fini(sim);
	sim_mem_fini(sim);
	for (unsigned i = 0; i < sim->nviolations && i < SIM_MAX_VIOLATIONS; i++)
		free(sim->violations[i]);
	pthread_mutex_destroy(&sim->lock);
	pthread_cond_destroy(&sim->wake);
	free(sim);
}

struct hv_seam *hvsim_seam(struct hvsim *sim) { return &sim->seam; }

void hvsim_get_stats(struct hvsim *sim, struct hvsim_stats *st)
{
	if (sim->cfg.threaded)
		pthread_mutex_lock(&sim->lock);
	*st = sim->stats;
	if (sim->cfg.threaded)
		pthread_mutex_unlock(&sim->lock);
}

void hvsim_post_to_guest(struct hvsim *sim, const void *payload, uint32_t len)
{
	if (sim->cfg.threaded)
		pthread_mutex_lock(&sim->lock);
	sim_server_send(sim, payload, len);
	if (sim->cfg.threaded)
		pthread_mutex_unlock(&sim->lock);
}

void sim_audit_add(char *buf, size_t len, size_t *pos, const char *what)
{
	int n = snprintf(buf + *pos, len - *pos, "%s%s", *pos > 7 ? ", " : "", what);

	if (n > 0)
		*pos = HVB_MIN(len - 1, *pos + (size_t)n);
}

bool hvsim_audit(struct hvsim *sim, bool handoff, char *buf, size_t len)
{
	struct sim_synic *sy = &sim->synic;
	size_t pos;
	char what[128];

	if (sim->cfg.threaded)
		pthread_mutex_lock(&sim->lock);
	pos = (size_t)snprintf(buf, len, "audit: ");
	sim_server_audit(sim, handoff, buf, len, &pos);
	for (unsigned i = 0; i < HV_SINT_COUNT; i++) {
		if (!(sy->sint[i] & HV_SINT_MASKED)) {
			snprintf(what, sizeof(what), "SINT%u unmasked", i);
			sim_audit_add(buf, len, &pos, what);
		}
	}
	if (sy->simp & HV_MSR_ENABLE)
		sim_audit_add(buf, len, &pos, "SIMP enabled");
	if (sy->siefp & HV_MSR_ENABLE)
		sim_audit_add(buf, len, &pos, "SIEFP enabled");
	if (sim->hypercall_msr & HV_MSR_ENABLE)
		sim_audit_add(buf, len, &pos, "hypercall page enabled");
	if (sim->guest_os_id != 0) {
		snprintf(what, sizeof(what), "GUEST_OS_ID 0x%llx", (unsigned long long)sim->guest_os_id);
		sim_audit_add(buf, len, &pos, what);
	}
	if (sim->nviolations) {
		snprintf(what, sizeof(what), "%u protocol violation(s)", sim->nviolations);
		sim_audit_add(buf, len, &pos, what);
	}
	if (pos == 7)
		snprintf(buf, len, "audit: clean");
	if (sim->cfg.threaded)
		pthread_mutex_unlock(&sim->lock);
	return strcmp(buf, "audit: clean") == 0;
}
