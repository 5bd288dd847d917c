/* hvboot-host: the whole guest stack against an in-process hvsim, on any
 * Linux machine. The hosted counterpart of efi_main (stage 5).
 *   hvboot-host [options] inventory | echo | load SPEC OUT */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "../lib/sha256.h"
#include "../payload/diskload.h"
#include "../sim/hvsim.h"
#include "../vmbus/devclass.h"
#include "../vmbus/hv.h"
#include "../vmbus/vmbus.h"
#include "../vsc/storvsc.h"
#include "echo.h"
#include "host_net.h"

#define MAX_DISKS 8

static void log_to_stderr(enum hvb_log_level level, const char *line, void *ctx)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };

	(void)ctx;
	fprintf(stderr, "hvboot: %s%s\n", tag[level], line);
}

static void print_line(const char *line, void *ctx)
{
	fprintf((FILE *)ctx, "%s\n", line);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hvboot-host [options] inventory | echo | load SPEC OUT\n"
		"\n"
		"Runs hvboot's VMBus stack against an in-process hvsim host.\n"
		"  inventory            detect Hyper-V, set up the SynIC, connect to VMBus, list\n"
		"                       the offers (and the SCSI LUNs), unload, tear down, audit\n"
		"  echo                 the same, plus: open hvsim's echo channel, move data both\n"
		"                       ways (inband round trips, DMA through GPA-direct ranges),\n"
		"                       close it and tear its GPADL down\n"
		"  load SPEC OUT        load a file from a simulated disk or the network into OUT\n"
		"                       and print its size and SHA-256. SPEC: scsi:<lun>/<path>,\n"
		"                       scsi:<lun>:<partition>/<path>, scsi:<lun>@<lba>+<count>,\n"
		"                       tftp://host[:port]/path, http://host[:port]/path or dhcp\n"
		"                       (the lease's bootfile), optionally followed by\n"
		"                       #sha256=<64 hex digits>\n"
		"options:\n"
		"  --disk FILE          a raw disk image for the SCSI controller (repeatable:\n"
		"                       LUN 0, 1, ...)\n"
		"  --queue-depth N      storvsc requests in flight (default 32)\n"
		"  --net BACKEND        the simulated NIC's network: slirp[,tftp=DIR][,bootfile=NAME]\n"
		"                       (NAT to this machine's sockets at 10.0.2.2) or tap:IFNAME\n"
		"  --max-size BYTES     largest network download (default 512 MiB)\n"
		"  --vmbus-max VERSION  newest VMBus version the simulated host speaks (6.0 ... 0.13)\n"
		"  --devices LIST       devices the host offers, e.g. storvsc,netvsc,heartbeat*4\n"
		"  --trace FILE         write hvsim's message trace to FILE (see hvsim(1))\n"
		"  --seed N             seed for every random choice of the simulator\n"
		"  --threaded           run the host in its own thread (default: stepped)\n"
		"  --packets N          echo: round trips to make (default 1000)\n"
		"  --verbose            debug logging\n");
}

struct opts {
	struct hvsim_config cfg;
	const char *trace_path;
	const char *command;
	const char *spec, *out;
	const char *disks[MAX_DISKS + 1];
	unsigned ndisks, packets, queue_depth;
	uint64_t max_size;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "vmbus-max", required_argument, 0, 'V' }, { "devices", required_argument, 0, 'd' },
		{ "trace", required_argument, 0, 't' },     { "seed", required_argument, 0, 's' },
		{ "threaded", no_argument, 0, 'T' },        { "verbose", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' },            { "packets", required_argument, 0, 'p' },
		{ "disk", required_argument, 0, 'D' },      { "queue-depth", required_argument, 0, 'q' },
		{ "net", required_argument, 0, 'N' },       { "max-size", required_argument, 0, 'M' },
		{ 0, 0, 0, 0 },
	};
	int c, left;

	memset(o, 0, sizeof(*o));
	o->cfg.seed = 1;
	o->packets = 1000;
	o->max_size = 512ull << 20;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'V':
			if (vmbus_version_parse(optarg, &o->cfg.vmbus_max)) {
				fprintf(stderr, "hvboot-host: unknown VMBus version '%s' (use 6.0, 5.3, "
					"5.2, 5.1, 5.0, 4.1, 4.0, 3.0, 2.4, 1.1 or 0.13)\n", optarg);
				return 2;
			}
			break;
		case 'd': o->cfg.devices = optarg; break;
		case 't': o->trace_path = optarg; break;
		case 's': o->cfg.seed = strtoull(optarg, NULL, 0); break;
		case 'T': o->cfg.threaded = true; break;
		case 'v': hvb_log_set_level(HVB_LOG_DEBUG); break;
		case 'p': o->packets = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'q': o->queue_depth = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'N': o->cfg.net = optarg; break;
		case 'M': o->max_size = strtoull(optarg, NULL, 0); break;
		case 'D':
			if (o->ndisks == MAX_DISKS) {
				fprintf(stderr, "hvboot-host: at most %u disks\n", MAX_DISKS);
				return 2;
			}
			o->disks[o->ndisks++] = optarg;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	left = argc - optind;
	o->command = left > 0 ? argv[optind] : "";
	if (!((left == 1 && (strcmp(o->command, "inventory") == 0 || strcmp(o->command, "echo") == 0)) ||
	      (left == 3 && strcmp(o->command, "load") == 0))) {
		usage(stderr);
		return 2;
	}
	if (left == 3) {
		o->spec = argv[optind + 1];
		o->out = argv[optind + 2];
	}
	if (strcmp(o->command, "echo") == 0 && !o->cfg.devices) {
		static char devices[256];

		snprintf(devices, sizeof(devices), "%s,echo", hvsim_default_devices);
		o->cfg.devices = devices;
	}
	if (o->ndisks) {
		uint64_t total = 0;
		struct stat st;

		o->cfg.disks = o->disks;
		for (unsigned i = 0; i < o->ndisks; i++)
			if (stat(o->disks[i], &st) == 0)
				total += (uint64_t)st.st_size;
		/* Guest RAM must hold what a load reads (mapped lazily: only the
		 * pages touched cost memory). */
		o->cfg.mem_mib = (size_t)HVB_MIN(64 + 2 * (total >> 20), 16384ull);
	}
	if (o->cfg.net) /* room for the largest download (mapped lazily) */
		o->cfg.mem_mib = HVB_MAX(o->cfg.mem_mib, (size_t)(128 + (o->max_size >> 20)));
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_echo(struct vmbus *vb, unsigned packets)
{
	static struct echo_client ec;
	int rc = echo_open(&ec, vb, 64 * 1024);

	if (rc)
		return rc;
	rc = echo_exercise(&ec, packets, 512, 1);
	if (rc == 0)
		printf("echo: %u round trips on %s (1-512 bytes each) and a DMA fill and sum over "
		       "5 pages: data intact; %llu signals\n", packets, ec.ch.name,
		       (unsigned long long)ec.ch.signals);
	return rc;
}

static struct blkdev *lun_dev(void *ctx, unsigned lun)
{
	struct storvsc_lun *l = storvsc_lun(ctx, lun);

	return l ? &l->dev : NULL;
}

static int run_load(struct vmbus *vb, struct storvsc *sc, const struct opts *o)
{
	static struct disk_file df;
	struct hv_seam *s = vb->hv->seam;
	uint8_t digest[SHA256_DIGEST_LEN];
	char hex[65];
	uint64_t gpa, pages;
	double t0, t;
	void *dst;
	FILE *out;
	int rc;

	rc = disk_file_open(&df, o->spec, lun_dev, sc);
	if (rc)
		return rc;
	pages = HVB_PAGES(df.size) ? HVB_PAGES(df.size) : 1;
	dst = s->alloc(s, pages, &gpa);
	if (!dst) {
		log_err("no room in guest memory for %llu bytes", (unsigned long long)df.size);
		return -ENOMEM;
	}
	t0 = now_s();
	rc = disk_file_read(&df, dst, pages * HVB_PAGE_SIZE, digest);
	t = now_s() - t0;
	if (rc == 0) {
		out = fopen(o->out, "wb");
		if (!out || fwrite(dst, 1, df.size, out) != df.size || fclose(out) != 0) {
			log_err("cannot write %s: %s", o->out, strerror(errno));
			rc = -EIO;
		} else {
			sha256_hex(digest, hex);
			printf("loaded %s from %s: %llu bytes in %.3f s, sha256 %s\n", o->spec, df.where,
			       (unsigned long long)df.size, t, hex);
		}
	}
	s->free(s, dst, pages);
	return rc;
}

/* The SCSI controller, when there are disks: attach, list, run the load. */
static int run_disks(struct vmbus *vb, const struct opts *o)
{
	static struct storvsc sc;
	struct storvsc_params p = { .queue_depth = (uint16_t)o->queue_depth };
	struct vmbus_offer *offer = vmbus_find_class(vb, "storvsc");
	int rc, rc2;

	if (!offer) {
		log_err("the host offers no SCSI controller");
		return -ENODEV;
	}
	rc = storvsc_attach(&sc, vb, offer, &p);
	if (rc)
		return rc;
	if (strcmp(o->command, "load") == 0)
		rc = run_load(vb, &sc, o);
	else
		storvsc_inventory(&sc, print_line, stdout);
	rc2 = storvsc_detach(&sc);
	return rc ? rc : rc2;
}

/* Detection, SynIC, VMBus; the command; close, unload and teardown. */
static int run(struct hv_seam *seam, const struct opts *o)
{
	struct hv hv;
	static struct vmbus vb;
	int rc, rc2;

	rc = hv_init(&hv, seam);
	if (rc)
		return rc;
	rc = vmbus_connect(&vb, &hv, NULL);
	if (rc == 0) {
		if (strcmp(o->command, "echo") == 0) {
			rc = run_echo(&vb, o->packets);
		} else if (strcmp(o->command, "load") == 0) {
			rc = strncmp(o->spec, "scsi:", 5) == 0
				     ? run_disks(&vb, o)
				     : host_net_run(&vb, o->spec, o->out, o->max_size, print_line, stdout);
		} else {
			vmbus_inventory(&vb, print_line, stdout);
			if (o->ndisks)
				rc = run_disks(&vb, o);
			if (rc == 0 && o->cfg.net)
				rc = host_net_run(&vb, NULL, NULL, 0, print_line, stdout);
		}
		rc2 = vmbus_shutdown(&vb);
		rc = rc ? rc : rc2;
	}
	hv_teardown(&hv);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct hvsim *sim;
	FILE *trace = NULL;
	char audit[512];
	bool clean;
	int rc;

	hvb_log_set_sink(log_to_stderr, NULL);
	rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	if (strcmp(o.command, "load") == 0 && strncmp(o.spec, "scsi:", 5) != 0 && !o.cfg.net) {
		fprintf(stderr, "hvboot-host: '%s' is a network source: give the NIC a network "
			"with --net slirp (or tap:IFNAME)\n", o.spec);
		return 2;
	}
	if (o.trace_path) {
		trace = fopen(o.trace_path, "w");
		if (!trace) {
			fprintf(stderr, "hvboot-host: cannot write the trace to %s: %s\n", o.trace_path,
				strerror(errno));
			return 2;
		}
		o.cfg.trace = trace;
	}
	sim = hvsim_create(&o.cfg);
	if (!sim)
		return 2;
	rc = run(hvsim_seam(sim), &o);
	clean = hvsim_audit(sim, rc == 0, audit, sizeof(audit));
	for (unsigned i = 0; i < hvsim_violation_count(sim); i++)
		fprintf(stderr, "hvsim: violation: %s\n", hvsim_violation(sim, i));
	printf("%s\n", audit);
	hvsim_destroy(sim);
	if (trace)
		fclose(trace);
	return rc == 0 && clean ? 0 : 1;
}
