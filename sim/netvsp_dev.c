/* netvsp, device-wide: the backend named by the configuration ("loop",
 * "slirp[,tftp=DIR][,bootfile=NAME]", "tap:IFNAME"), attached to the first
 * netvsc offer; its polling from the host step (stepped and threaded mode
 * alike: both run hvsim's step); stats and the description. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "netvsp.h"

#define DEFAULT_MAC { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x01 }

static void lock(struct hvsim *sim)
{
	if (sim->cfg.threaded)
		pthread_mutex_lock(&sim->lock);
}

static void unlock(struct hvsim *sim)
{
	if (sim->cfg.threaded)
		pthread_mutex_unlock(&sim->lock);
}

static uint64_t now_ns(void *ctx)
{
	return sim_now(ctx) * 100;
}

static void deliver(void *ctx, const void *frame, size_t len)
{
	nv_frame_to_guest(ctx, frame, len);
}

/* "slirp,tftp=DIR,bootfile=NAME": the options point into n->spec. */
static struct sim_netdev *slirp(struct hvsim *sim, struct sim_netvsp *n)
{
	char *save = NULL, *opt = strtok_r(n->spec, ",", &save); /* "slirp" */

	while ((opt = strtok_r(NULL, ",", &save)) != NULL) {
		if (strncmp(opt, "tftp=", 5) == 0 && opt[5]) {
			n->slirp.tftp_root = opt + 5;
		} else if (strncmp(opt, "bootfile=", 9) == 0 && opt[9]) {
			n->slirp.bootfile = opt + 9;
		} else {
			fprintf(stderr, "hvsim: unknown slirp option '%s' (tftp=DIR, bootfile=NAME)\n",
				opt);
			return NULL;
		}
	}
	n->slirp.now_ns = now_ns;
	n->slirp.now_ctx = sim;
	return sim_netdev_slirp(&n->slirp);
}

static int open_backend(struct hvsim *sim, struct sim_netvsp *n, const char *spec)
{
	n->spec = strdup(spec);
	if (!n->spec)
		return -ENOMEM;
	if (strcmp(spec, "loop") == 0) {
		n->backend = sim_netdev_loop();
	} else if (strncmp(spec, "tap:", 4) == 0) {
		n->backend = sim_netdev_tap(spec + 4);
	} else if (strcmp(spec, "slirp") == 0 || strncmp(spec, "slirp,", 6) == 0) {
		n->backend = slirp(sim, n);
	} else {
		fprintf(stderr, "hvsim: unknown network backend '%s' (loop, slirp[,tftp=DIR]"
			"[,bootfile=NAME], tap:IFNAME)\n", spec);
		return -EINVAL;
	}
	if (!n->backend)
		return -EINVAL; /* the backend said why */
	n->backend->deliver = deliver;
	n->backend->deliver_ctx = sim;
	return 0;
}

int sim_netvsp_init(struct hvsim *sim)
{
	static const uint8_t zero[6], def[6] = DEFAULT_MAC;
	struct sim_netvsp *n;
	uint32_t relid = 0;
	int rc;

	for (unsigned i = 0; i < sim->noffers && !relid; i++)
		if (sim->offers[i].netvsp)
			relid = sim->offers[i].relid;
	if (!relid) {
		if (sim->cfg.net) {
			fprintf(stderr, "hvsim: a network backend (%s) is given, but no netvsc device "
				"is offered (add netvsc to the device list)\n", sim->cfg.net);
			return -EINVAL;
		}
		return 0;
	}
	n = calloc(1, sizeof(*n));
	if (n)
		n->rxq = calloc(NV_RXQ, sizeof(*n->rxq));
	if (!n || !n->rxq) {
		free(n);
		return -ENOMEM;
	}
	sim->netvsp = n;
	n->net_relid = relid;
	memcpy(n->mac, memcmp(sim->cfg.mac, zero, 6) ? sim->cfg.mac : def, 6);
	n->max_version = sim->cfg.netvsp_max_version ? sim->cfg.netvsp_max_version
						     : NVSP_VERSION_61;
	if (sim->cfg.net) {
		rc = open_backend(sim, n, sim->cfg.net);
		if (rc)
			return rc; /* sim_netvsp_fini frees it */
	}
	return 0;
}

void sim_netvsp_fini(struct hvsim *sim)
{
	struct sim_netvsp *n = sim->netvsp;

	if (!n)
		return;
	if (n->backend)
		n->backend->destroy(n->backend);
	free(n->spec);
	free(n->rxq);
	free(n);
	sim->netvsp = NULL;
}

bool sim_netvsp_step(struct hvsim *sim)
{
	struct sim_netvsp *n = sim->netvsp;
	bool work = false;

	if (!n)
		return false;
	if (n->backend)
		work = n->backend->poll(n->backend) > 0;
	work |= nv_release_held(sim);
	/* Frames or answers that can go now: the channel's service pass
	 * sends them (batched with what it answers). */
	for (unsigned i = 0; i < sim->noffers; i++) {
		struct sim_offer *o = &sim->offers[i];

		if (o->netvsp && !o->kicked && nv_can_pump(sim, o))
			o->kicked = true;
	}
	return work;
}

unsigned sim_netvsp_wait_fds(struct hvsim *sim, struct pollfd *fds, unsigned max,
			     int *timeout_ms)
{
	struct sim_netvsp *n = sim->netvsp;

	if (!n || !n->backend || !n->backend->wait_fds)
		return 0;
	return n->backend->wait_fds(n->backend, fds, max, timeout_ms);
}

int hvsim_netvsp_stats(struct hvsim *sim, struct hvsim_netvsp_stats *st)
{
	int rc = -ENODEV;

	lock(sim);
	if (sim->netvsp) {
		*st = sim->netvsp->stats;
		rc = 0;
	}
	unlock(sim);
	return rc;
}

struct sim_netdev *hvsim_netdev(struct hvsim *sim)
{
	return sim->netvsp ? sim->netvsp->backend : NULL;
}

void sim_netvsp_describe(struct hvsim *sim, FILE *f)
{
	struct sim_netvsp *n = sim->netvsp;

	if (!n)
		return;
	fprintf(f, "Network: netvsc relid %u, MAC %02x:%02x:%02x:%02x:%02x:%02x, NVSP up to %#x, "
		"backend %s\n", n->net_relid, n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
		n->mac[5], n->max_version, n->backend ? n->backend->name : "none (frames dropped)");
}
