/* hvsim: the simulator as a command. --describe prints the host it would
 * model (CPUID leaves, VMBus versions, offers); --bridge serves hvboot.efi
 * running in QEMU (arch/bridge_proto.h over COM2's socket, guest RAM shared
 * through QEMU's memory-backend-file). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../vmbus/devclass.h"
#include "hvsim.h"
#include "sim.h"

#define ACCEPT_TIMEOUT_S 60 /* QEMU connects at its start, long before the guest syncs */

static void usage(FILE *f)
{
	fprintf(f, "usage: hvsim [--vmbus-max VERSION] [--devices LIST] [--seed N] [--cpuid PROFILE] "
		   "[--disk FILE]... [--net BACKEND] --describe\n"
		   "       hvsim --bridge SOCKET --guest-ram FILE [--disk FILE]... [--net BACKEND] "
		   "[--trace FILE] [--accept-timeout S] [host options]\n"
		   "  --describe         print the host model: CPUID leaves, VMBus versions, offers, "
		   "disks\n"
		   "  --bridge SOCKET    serve hvboot.efi in QEMU: listen on the unix socket SOCKET "
		   "(QEMU's COM2 chardev)\n"
		   "  --guest-ram FILE   QEMU's guest RAM file (memory-backend-file,share=on), mapped "
		   "at GPA 0\n"
		   "  --trace FILE       one line per VMBus message and ring packet (format in hvsim(1))\n"
		   "  --accept-timeout S how long to wait for QEMU to connect (default 60, 0 = "
		   "forever)\n"
		   "  --vmbus-max V      newest VMBus version (6.0 ... 0.13)\n"
		   "  --devices LIST     offered devices, e.g. storvsc,netvsc,heartbeat*4\n"
		   "  --cpuid PROFILE    hyperv | none | other | no-vendor | no-hypercall | no-synic | "
		   "no-post\n"
		   "  --disk FILE        a raw image as the next LUN of the first storvsc (repeatable)\n"
		   "  --net BACKEND      the first netvsc's network: loop, slirp[,tftp=DIR]"
		   "[,bootfile=NAME], tap:IFNAME\n"
		   "See hvsim(1).\n");
}

/* The bridge: listen, say so (a script waits for that line), serve QEMU's
 * one connection, exit 0 only after DETACH with a clean audit. */
static int bridge_main(struct hvsim_config *cfg, const char *sock, int accept_timeout_s)
{
	struct hvsim *sim;
	int lfd, fd, rc;

	/* A closed socket must be an error we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	sim = hvsim_create(cfg);
	if (!sim)
		return 2;
	lfd = hvsim_bridge_listen(sock);
	if (lfd < 0) {
		hvsim_destroy(sim);
		return 2;
	}
	fprintf(stderr, "hvsim: bridge listening on %s\n", sock);
	fflush(stderr);
	fd = hvsim_bridge_accept(lfd, accept_timeout_s > 0 ? accept_timeout_s * 1000 : -1);
	close(lfd);
	unlink(sock);
	if (fd < 0) {
		hvsim_destroy(sim);
		return 2;
	}
	rc = hvsim_bridge_serve(sim, fd, stdout, stderr, NULL);
	close(fd);
	hvsim_destroy(sim);
	return rc;
}

static const char *const profiles[] = { "hyperv",       "none",     "other",  "no-vendor",
					"no-hypercall", "no-synic", "no-post" };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vmbus-max", required_argument, 0, 'V' }, { "devices", required_argument, 0, 'd' },
		{ "seed", required_argument, 0, 's' },      { "cpuid", required_argument, 0, 'c' },
		{ "describe", no_argument, 0, 'D' },        { "help", no_argument, 0, 'h' },
		{ "disk", required_argument, 0, 'k' },      { "net", required_argument, 0, 'n' },
		{ "bridge", required_argument, 0, 'b' },    { "guest-ram", required_argument, 0, 'r' },
		{ "trace", required_argument, 0, 't' },
		{ "accept-timeout", required_argument, 0, 'a' },
		{ 0, 0, 0, 0 },
	};
	struct hvsim_config cfg = { .seed = 1 };
	bool describe = false;
	const char *bridge = NULL, *trace = NULL;
	int accept_timeout = ACCEPT_TIMEOUT_S, rc;
	struct hvsim *sim;
	/* At most one --disk per argument: argc bounds the list. */
	const char **disks = calloc((size_t)argc + 1, sizeof(*disks));
	unsigned ndisks = 0;
	int c;

	if (!disks)
		return 2;
	cfg.disks = disks;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'V':
			if (vmbus_version_parse(optarg, &cfg.vmbus_max)) {
				fprintf(stderr, "hvsim: unknown VMBus version '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd': cfg.devices = optarg; break;
		case 's': cfg.seed = strtoull(optarg, NULL, 0); break;
		case 'c': {
			unsigned i;

			for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
				if (strcmp(optarg, profiles[i]) == 0)
					break;
			if (i == sizeof(profiles) / sizeof(profiles[0])) {
				fprintf(stderr, "hvsim: unknown CPUID profile '%s'\n", optarg);
				return 2;
			}
			cfg.cpuid = (enum hvsim_cpuid_profile)i;
			break;
		}
		case 'D': describe = true; break;
		case 'k': disks[ndisks++] = optarg; break;
		case 'n': cfg.net = optarg; break;
		case 'b': bridge = optarg; break;
		case 'r': cfg.guest_ram = optarg; break;
		case 't': trace = optarg; break;
		case 'a': accept_timeout = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (describe == !!bridge || optind != argc || !!bridge != !!cfg.guest_ram) {
		if (bridge && !cfg.guest_ram)
			fprintf(stderr, "hvsim: --bridge needs --guest-ram FILE (QEMU's "
				"memory-backend-file)\n");
		else if (cfg.guest_ram && !bridge)
			fprintf(stderr, "hvsim: --guest-ram is for --bridge\n");
		usage(stderr);
		return 2;
	}
	if (trace) {
		cfg.trace = fopen(trace, "w");
		if (!cfg.trace) {
			perror(trace);
			return 2;
		}
		setvbuf(cfg.trace, NULL, _IOLBF, 0); /* readable while QEMU runs */
	}
	if (bridge) {
		rc = bridge_main(&cfg, bridge, accept_timeout);
		if (cfg.trace)
			fclose(cfg.trace);
		free(disks);
		return rc;
	}
	sim = hvsim_create(&cfg);
	if (!sim)
		return 2;
	printf("CPUID\n");
	for (uint32_t leaf = 0x40000000; leaf <= 0x40000005; leaf++) {
		struct hv_cpuid r;

		sim_cpuid(sim, leaf, &r);
		printf("  0x%08x  eax=%08x ebx=%08x ecx=%08x edx=%08x\n", leaf, r.eax, r.ebx, r.ecx,
		       r.edx);
	}
	printf("VMBus versions accepted:");
	for (unsigned i = 0; i < vmbus_version_count; i++)
		if (vmbus_versions[i].version <= (cfg.vmbus_max ? cfg.vmbus_max : VMBUS_VERSION_COPPER))
			printf(" %s", vmbus_versions[i].text);
	printf("\nOffers\n");
	for (unsigned i = 0; i < sim->noffers; i++) {
		char inst[GUID_STR_LEN];
		const struct vmbus_devclass *dc = vmbus_devclass_by_guid(&sim->offers[i].type);

		guid_format(&sim->offers[i].instance, inst);
		printf("  relid %-3u %-10s %s conn=%u\n", sim->offers[i].relid, dc ? dc->key : "?",
		       inst, sim->offers[i].connection_id);
	}
	sim_storvsp_describe(sim, stdout);
	sim_netvsp_describe(sim, stdout);
	hvsim_destroy(sim);
	if (cfg.trace)
		fclose(cfg.trace);
	free(disks);
	return 0;
}
