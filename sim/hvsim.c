/* hvsim: creation, the two in-process run modes, violations and the audit. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "../lib/util.h"
#include "sim.h"

#define STEP_BUSY_TICKS 10     /* 1 us of virtual time for a step that did work */
#define STEP_IDLE_TICKS 1000   /* 100 us for one that found nothing to do */
#define IDLE_MAX_MS 1          /* the longest an idle host thread sleeps (its own timers) */
#define IDLE_FDS 64            /* backend descriptors it waits on */

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

void sim_wake_host(struct hvsim *sim)
{
	uint64_t one = 1;
	ssize_t rc;

	if (!sim->host_asleep)
		return;
	sim->host_asleep = false;
	/* It fails only when the counter would overflow, and then the
	 * descriptor is readable anyway. */
	rc = write(sim->wake_fd, &one, sizeof(one));
	(void)rc;
}

void sim_wake_guest(struct hvsim *sim)
{
	if (!sim->cfg.threaded)
		return;
	/* Sequentially consistent with the guest's store of guest_waiting and
	 * load of guest_events (seam_sim.c): either it sees the new count or
	 * we see it waiting. */
	__atomic_fetch_add(&sim->guest_events, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sim->guest_waiting, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&sim->gw_lock);
		pthread_cond_signal(&sim->gw_cond);
		pthread_mutex_unlock(&sim->gw_lock);
	}
}

/* Nothing to do: sleep, without the lock, until the guest signals (a
 * hypercall writes wake_fd), the network backend has something (its
 * sockets or TAP descriptor become ready, or its timers are due), or at
 * most IDLE_MAX_MS for hvsim's own timers, which need only millisecond
 * precision. Frames arriving from the network thus wake the host at once
 * instead of at the next tick of a timed sleep. */
static void host_sleep(struct hvsim *sim)
{
	struct pollfd fds[1 + IDLE_FDS];
	int timeout = IDLE_MAX_MS;
	unsigned n = 1;
	uint64_t v;
	ssize_t rc;

	fds[0] = (struct pollfd){ .fd = sim->wake_fd, .events = POLLIN };
	n += sim_netvsp_wait_fds(sim, fds + 1, IDLE_FDS, &timeout);
	if (timeout == 0)
		return;
	sim->host_asleep = true;
	pthread_mutex_unlock(&sim->lock);
	poll(fds, n, timeout);
	pthread_mutex_lock(&sim->lock);
	sim->host_asleep = false;
	/* Reset the counter (EAGAIN when nobody wrote: non-blocking). */
	rc = read(sim->wake_fd, &v, sizeof(v));
	(void)rc;
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
			host_sleep(sim);
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
	sim->wake_fd = -1;
	pthread_mutex_init(&sim->lock, NULL);
	pthread_mutex_init(&sim->gw_lock, NULL);
	{
		pthread_condattr_t ca;

		/* The guest's timed wait must not jump with the wall clock. */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&sim->gw_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
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
		sim->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (sim->wake_fd < 0) {
			fprintf(stderr, "hvsim: cannot make the host thread's eventfd\n");
			hvsim_destroy(sim);
			return NULL;
		}
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
		sim_wake_host(sim);
		pthread_mutex_unlock(&sim->lock);
		pthread_join(sim->thread, NULL);
	}
	if (sim->wake_fd >= 0)
		close(sim->wake_fd);
	sim_server_fini(sim);
	sim_storvsp_fini(sim);
	sim_netvsp_fini(sim);
	sim_synic_fini(sim);
	sim_mem_fini(sim);
	for (unsigned i = 0; i < sim->nviolations && i < SIM_MAX_VIOLATIONS; i++)
		free(sim->violations[i]);
	pthread_mutex_destroy(&sim->lock);
	pthread_mutex_destroy(&sim->gw_lock);
	pthread_cond_destroy(&sim->gw_cond);
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
