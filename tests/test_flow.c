/* The main flow of hvboot.efi (boot/flow.c), hosted against the in-process
 * hvsim: kernel and initrd from a GPT/FAT disk and over the network,
 * digests, the failures a user meets (missing file, digest mismatch, no
 * device), diag mode's JSON lines, and after each a clean audit. */
#include <string.h>
#include <unistd.h>

#include "../boot/flow.h"
#include "../lib/util.h"
#include "fixture.h"
#include "jsoncheck.h"
#include "netsrv.h"
#include "paytest.h"

#define JSON_LINE_MAX_T 512

struct ft {
	struct fx fx;
	struct flow_params p;
	struct flow_result r;
	const char *disks[2];
	struct netsrv httpd;
	char url[200];
	unsigned progress_calls;
	uint64_t last_done, last_total;
	char json[64][JSON_LINE_MAX_T];
	unsigned njson;
	unsigned nlines;
};

static void on_progress(void *ctx, const char *label, uint64_t done, uint64_t total,
			uint64_t elapsed_us)
{
	struct ft *t = ctx;

	(void)label;
	(void)elapsed_us;
	CHECK(total == 0 || done <= total);
	t->progress_calls++;
	t->last_done = done;
	t->last_total = total;
}

static void on_line(const char *text, void *ctx)
{
	struct ft *t = ctx;

	(void)text;
	t->nlines++;
}

static void on_json(const char *text, void *ctx)
{
	struct ft *t = ctx;

	CHECK(strlen(text) < JSON_LINE_MAX_T);
	if (t->njson < 64)
		strcpy(t->json[t->njson++], text);
}

static uint32_t setup_latency_us; /* hvsim's response_latency_us for setup() */

/* A disk with /vmlinuz (300 KiB + 1) and /initrd.img (70 KiB), and the
 * same initrd served over HTTP. */
static void setup(struct ft *t, bool disk, bool net)
{
	const char *dir;

	memset(t, 0, sizeof(*t));
	pt_need_tools();
	dir = pt_workdir();
	pt_write_file("vmlinuz", 300 * 1024 + 1, 7);
	pt_write_file("initrd.img", 70 * 1024, 8);
	fx_config(&t->fx);
	if (disk) {
		pt_sh("%s/scripts/mkdisk.sh disk.img 64 vmlinuz:/vmlinuz initrd.img:/boot/initrd.img",
		      getenv("PWD") ? getenv("PWD") : ".");
		t->disks[0] = strdup(pt_path("disk.img"));
		t->fx.cfg.disks = t->disks;
		t->fx.cfg.mem_mib = 256;
	}
	if (net) {
		httpd_start(&t->httpd, dir);
		t->fx.cfg.net = "slirp";
		t->fx.cfg.threaded = true; /* slirp talks to real sockets in real time */
		t->fx.cfg.mem_mib = 512;
		snprintf(t->url, sizeof(t->url), "http://10.0.2.2:%u/f/initrd.img", t->httpd.port);
	}
	t->fx.cfg.response_latency_us = setup_latency_us;
	fx_start(&t->fx);
	t->p.kernel.label = "kernel";
	t->p.initrd.label = "initrd";
	t->p.timeout_s = 10;
	t->p.net_max_bytes = 16 << 20;
	t->p.progress = on_progress;
	t->p.line = on_line;
	t->p.json = on_json;
	t->p.progress_ctx = t->p.out_ctx = t;
}

static void check_same(const struct flow_buf *b, const char *name)
{
	size_t len;
	uint8_t *want = pt_read_file(name, &len);

	CHECK_EQ(b->size, len);
	CHECK(memcmp(b->data, want, len) == 0);
	CHECK(b->npages == HVB_MAX(HVB_PAGES(len), 1u));
	free(want);
}

static void finish(struct ft *t, bool handoff)
{
	char audit[256];

	CHECK_MSG(hvsim_audit(t->fx.sim, handoff, audit, sizeof(audit)), "%s", audit);
	fx_no_violations(&t->fx);
	if (t->httpd.pid)
		netsrv_stop(&t->httpd);
	fx_destroy(&t->fx);
	pt_cleanup();
}

static void hex_of_file(const char *name, struct flow_source *s)
{
	char hex[65];

	pt_sha256sum(name, hex);
	CHECK_EQ(sha256_parse_hex(hex, s->sha256), 0);
	s->has_sha256 = true;
}

TEST(flow_kernel_and_initrd_from_disk)
{
	static struct ft t;

	setup(&t, true, false);
	t.p.kernel.spec = "scsi:0/vmlinuz";
	t.p.initrd.spec = "scsi:0/boot/initrd.img";
	hex_of_file("vmlinuz", &t.p.kernel);
	CHECK_MSG(flow_boot(t.fx.seam, &t.p, &t.r) == 0, "%s", t.r.error);
	CHECK_EQ(t.r.error[0], 0);
	check_same(&t.r.kernel, "vmlinuz");
	check_same(&t.r.initrd, "initrd.img");
	CHECK(t.progress_calls >= 4);
	CHECK_EQ(t.last_done, t.last_total);
	/* the payloads outlive the teardown: the audit is of a handoff */
	finish(&t, true);
}

TEST(flow_kernel_from_disk_initrd_over_http)
{
	static struct ft t;

	setup(&t, true, true);
	t.p.kernel.spec = "scsi:0/vmlinuz";
	t.p.initrd.spec = t.url;
	hex_of_file("initrd.img", &t.p.initrd);
	CHECK_MSG(flow_boot(t.fx.seam, &t.p, &t.r) == 0, "%s", t.r.error);
	check_same(&t.r.kernel, "vmlinuz");
	check_same(&t.r.initrd, "initrd.img");
	CHECK(t.r.bringup_us > 0);
	finish(&t, true);
}

TEST(flow_digest_mismatch_is_an_error_with_clean_teardown)
{
	static struct ft t;

	setup(&t, true, false);
	t.p.kernel.spec = "scsi:0/vmlinuz";
	hex_of_file("initrd.img", &t.p.kernel); /* the wrong file's digest */
	CHECK(flow_boot(t.fx.seam, &t.p, &t.r) == -EBADMSG);
	CHECK_MSG(strstr(t.r.error, "kernel: SHA-256 mismatch"), "%s", t.r.error);
	CHECK(t.r.kernel.data == NULL); /* released */
	finish(&t, true);
}

TEST(flow_missing_file_and_missing_device)
{
	static struct ft t;

	setup(&t, true, false);
	t.p.kernel.spec = "scsi:0/nonexistent";
	CHECK(flow_boot(t.fx.seam, &t.p, &t.r) != 0);
	CHECK_MSG(strstr(t.r.error, "kernel: cannot open scsi:0/nonexistent"), "%s", t.r.error);
	/* a network source on a host without a NIC backend still has the
	 * netvsc offer; a source on a LUN that does not exist: */
	t.p.kernel.spec = "scsi:3/vmlinuz";
	CHECK(flow_boot(t.fx.seam, &t.p, &t.r) != 0);
	CHECK_MSG(strstr(t.r.error, "kernel: cannot open scsi:3/vmlinuz"), "%s", t.r.error);
	finish(&t, true);
}

TEST(flow_no_scsi_controller)
{
	static struct ft t;

	memset(&t, 0, sizeof(t));
	fx_config(&t.fx);
	t.fx.cfg.devices = "netvsc";
	fx_start(&t.fx);
	t.p.kernel.label = "kernel";
	t.p.kernel.spec = "scsi:0/vmlinuz";
	t.p.timeout_s = 5;
	CHECK(flow_boot(t.fx.seam, &t.p, &t.r) == -ENODEV);
	CHECK_MSG(strstr(t.r.error, "no SCSI controller"), "%s", t.r.error);
	finish(&t, true);
}

static bool json_has(struct ft *t, const char *a, const char *b)
{
	for (unsigned i = 0; i < t->njson; i++)
		if (strstr(t->json[i], a) && (!b || strstr(t->json[i], b)))
			return true;
	return false;
}

TEST(flow_diag_json_names_what_the_host_offers)
{
	static struct ft t;

	setup(&t, true, true);
	t.p.initrd.spec = t.url;
	CHECK_MSG(flow_diag(t.fx.seam, &t.p, &t.r) == 0, "%s", t.r.error);
	for (unsigned i = 0; i < t.njson; i++) {
		size_t n = strlen(t.json[i]);

		CHECK_MSG(json_line_ok(t.json[i], n), "not JSON: %s", t.json[i]);
		CHECK(strncmp(t.json[i], "{\"type\":\"", 9) == 0);
	}
	CHECK(json_has(&t, "\"type\":\"hypervisor\"", "\"vendor\":\"Microsoft Hv\""));
	CHECK(json_has(&t, "\"type\":\"vmbus\"", "\"version\":\""));
	CHECK(json_has(&t, "\"type\":\"offer\"", "\"class\":\"storvsc\""));
	CHECK(json_has(&t, "\"type\":\"offer\"", "\"class\":\"netvsc\""));
	CHECK(json_has(&t, "\"type\":\"lun\"", "\"block_size\":512"));
	CHECK(json_has(&t, "\"type\":\"nic\"", "\"link\":\"up\""));
	CHECK(json_has(&t, "\"type\":\"lease\"", "\"ip\":\"10.0.2.15\""));
	CHECK(json_has(&t, "\"type\":\"throughput\"", "\"device\":\"scsi:0\""));
	CHECK(json_has(&t, "\"type\":\"throughput\"", "\"device\":\"net\""));
	CHECK(t.nlines > 5);
	finish(&t, true);
}

/* hvsim's response_latency_us: each guest message and signal is noticed
 * late, so a bring-up of about ten round trips takes about ten times it. */
TEST(flow_slow_host_latency_is_honoured)
{
	static struct ft t;

	setup(&t, true, false);
	t.p.kernel.spec = "scsi:0/vmlinuz";
	CHECK_MSG(flow_boot(t.fx.seam, &t.p, &t.r) == 0, "%s", t.r.error);
	CHECK(t.r.bringup_us < 2000);
	flow_release(t.fx.seam, &t.r);
	finish(&t, true);

	setup_latency_us = 1000;
	setup(&t, true, false);
	t.p.kernel.spec = "scsi:0/vmlinuz";
	CHECK_MSG(flow_boot(t.fx.seam, &t.p, &t.r) == 0, "%s", t.r.error);
	CHECK_MSG(t.r.bringup_us >= 5000, "%llu us", (unsigned long long)t.r.bringup_us);
	check_same(&t.r.kernel, "vmlinuz");
	finish(&t, true);
}
