/* hvboot-host: the whole guest stack against an in-process hvsim, on any
 * Linux machine. The hosted counterpart of efi_main (stage 5).
 *   hvboot-host [options] inventory */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"
#include "echo.h"
#include "../sim/hvsim.h"
#include "../vmbus/hv.h"
#include "../vmbus/vmbus.h"

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
		"usage: hvboot-host [options] inventory | echo\n"
		"\n"
		"Runs hvboot's VMBus stack against an in-process hvsim host.\n"
		"  inventory            detect Hyper-V, set up the SynIC, connect to VMBus, list\n"
		"                       the offers, unload, tear down, audit the host state\n"
		"  echo                 the same, plus: open hvsim's echo channel, move data both\n"
		"                       ways (inband round trips, DMA through GPA-direct ranges),\n"
		"                       close it and tear its GPADL down\n"
		"options:\n"
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
	unsigned packets;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "vmbus-max", required_argument, 0, 'V' }, { "devices", required_argument, 0, 'd' },
		{ "trace", required_argument, 0, 't' },     { "seed", required_argument, 0, 's' },
		{ "threaded", no_argument, 0, 'T' },        { "verbose", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' },            { "packets", required_argument, 0, 'p' },
		{ 0, 0, 0, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->cfg.seed = 1;
	o->packets = 1000;
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
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 ||
	    (strcmp(argv[optind], "inventory") != 0 && strcmp(argv[optind], "echo") != 0)) {
		usage(stderr);
		return 2;
	}
	o->command = argv[optind];
	if (strcmp(o->command, "echo") == 0 && !o->cfg.devices) {
		static char devices[256];

		snprintf(devices, sizeof(devices), "%s,echo", hvsim_default_devices);
		o->cfg.devices = devices;
	}
	return 0;
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
		if (strcmp(o->command, "echo") == 0)
			rc = run_echo(&vb, o->packets);
		else
			vmbus_inventory(&vb, print_line, stdout);
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
