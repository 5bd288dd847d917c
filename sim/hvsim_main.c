/* hvsim: the simulator as a command. Today it describes the host it would
 * model (CPUID leaves, VMBus versions, offers); the bridge server for
 * hvboot.efi in QEMU (--bridge) arrives with stage 5. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../vmbus/devclass.h"
#include "hvsim.h"
#include "sim.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: hvsim [--vmbus-max VERSION] [--devices LIST] [--seed N] [--cpuid PROFILE] "
		   "[--disk FILE]... [--net BACKEND] --describe\n"
		   "  --describe         print the host model: CPUID leaves, VMBus versions, offers, "
		   "disks\n"
		   "  --vmbus-max V      newest VMBus version (6.0 ... 0.13)\n"
		   "  --devices LIST     offered devices, e.g. storvsc,netvsc,heartbeat*4\n"
		   "  --cpuid PROFILE    hyperv | none | other | no-vendor | no-hypercall | no-synic | "
		   "no-post\n"
		   "  --disk FILE        a raw image as the next LUN of the first storvsc (repeatable)\n"
		   "  --net BACKEND      the first netvsc's network: loop, slirp[,tftp=DIR]"
		   "[,bootfile=NAME], tap:IFNAME\n"
		   "See hvsim(1).\n");
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
		{ 0, 0, 0, 0 },
	};
	struct hvsim_config cfg = { .seed = 1 };
	bool describe = false;
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
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!describe || optind != argc) {
		usage(stderr);
		return 2;
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
	free(disks);
	return 0;
}
