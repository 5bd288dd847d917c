/* The main flow (see flow.h): portable, so the hosted tests run exactly what
 * hvboot.efi runs, against the in-process hvsim. */
#include "flow.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../lib/errname.h"
#include "../lib/log.h"
#include "../lib/util.h"
#include "../net/net.h"
#include "../payload/diskload.h"
#include "../vmbus/devclass.h"
#include "../vmbus/hv.h"
#include "../vmbus/vmbus.h"
#include "../vsc/netvsc.h"
#include "../vsc/storvsc.h"
#include "json.h"

#define FLOW_DEFAULT_TIMEOUT_S 30u
#define FLOW_DEFAULT_NET_MAX (256ull << 20)
#define DIAG_DISK_BYTES (64ull << 20) /* the disk throughput sample */

/* Everything of one run. Static: storvsc and netvsc are large, the image has
 * no malloc, and there is one flow per program. */
static struct flow {
	struct hv_seam *seam;
	const struct flow_params *p;
	struct flow_result *r;
	struct hv hv;
	struct vmbus vb;
	struct storvsc sc;
	struct netvsc nv;
	struct net_stack *net;
	struct disk_file df;
	struct net_lease lease;
	bool hv_up, vb_up, sc_up, nv_up;
	uint64_t timeout_ticks;
	/* the load in progress, for the progress callback */
	const char *label;
	uint64_t done, total, t0;
	uint32_t xorshift;
} F;

static void fail(struct flow *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct flow *f, const char *fmt, ...)
{
	va_list ap;

	if (f->r->error[0])
		return; /* the first failure is the one to report */
	va_start(ap, fmt);
	vsnprintf(f->r->error, sizeof(f->r->error), fmt, ap);
	va_end(ap);
	log_err("%s", f->r->error);
}

static void out_line(struct flow *f, const char *text)
{
	if (f->p->line)
		f->p->line(text, f->p->out_ctx);
}

static void out_json(struct flow *f, const char *text)
{
	if (f->p->json)
		f->p->json(text, f->p->out_ctx);
}

static void inventory_line(const char *text, void *ctx)
{
	out_line(ctx, text);
}

bool flow_is_disk(const char *spec)
{
	return spec && strncmp(spec, "scsi:", 5) == 0;
}

static uint64_t now_us(struct flow *f)
{
	return hv_time(&f->hv) / (HV_TICKS_PER_SEC / 1000000);
}

/* Waits for op with the flow's bound on top of the module's own deadlines:
 * whatever a module forgets, the flow does not hang. */
static int wait_op(struct flow *f, struct vmbus_op *op, const char *what)
{
	uint64_t deadline = hv_time(&f->hv) + f->timeout_ticks;

	while (op->status == -EINPROGRESS) {
		if (vmbus_loop_once(&f->vb))
			continue;
		if (hv_time(&f->hv) >= deadline) {
			fail(f, "%s: no answer from the host in %u s", what,
			     (unsigned)(f->timeout_ticks / HV_TICKS_PER_SEC));
			return -ETIMEDOUT;
		}
		hv_idle(f->seam);
	}
	return op->status;
}

/* --- progress --------------------------------------------------------------- */

static void progress_begin(struct flow *f, const char *label, uint64_t total)
{
	f->label = label;
	f->done = 0;
	f->total = total;
	f->t0 = now_us(f);
	if (f->p->progress)
		f->p->progress(f->p->progress_ctx, label, 0, total, 0);
}

static void progress_disk(void *ctx, uint64_t bytes)
{
	struct flow *f = ctx;

	f->done += bytes;
	if (f->p->progress)
		f->p->progress(f->p->progress_ctx, f->label, HVB_MIN(f->done, f->total), f->total,
			       now_us(f) - f->t0);
}

static void progress_net(const struct net_progress *np, void *ctx)
{
	struct flow *f = ctx;

	if (f->p->progress && f->label)
		f->p->progress(f->p->progress_ctx, f->label, np->bytes, np->total,
			       np->elapsed_ms * 1000);
}

static void progress_end(struct flow *f, uint64_t size)
{
	if (f->p->progress)
		f->p->progress(f->p->progress_ctx, f->label, size, size, now_us(f) - f->t0);
	f->label = NULL;
}

/* --- bring-up ---------------------------------------------------------------- */

static uint64_t net_now_ms(void *ctx)
{
	return hv_time(ctx) / HV_TICKS_PER_MS;
}

static uint32_t net_xorshift(void *ctx)
{
	struct flow *f = ctx;
	uint32_t x = f->xorshift;

	if (!x)
		x = (uint32_t)(hv_time(&f->hv) * 2654435761u) | 1;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	f->xorshift = x;
	return x;
}

static struct blkdev *lun_dev(void *ctx, unsigned lun)
{
	struct storvsc_lun *l = storvsc_lun(ctx, lun);

	return l ? &l->dev : NULL;
}

/* The hypervisor interface and the VMBus connection. */
static int flow_connect(struct flow *f)
{
	struct vmbus_params vp = { .contact_timeout = f->timeout_ticks,
				   .offers_timeout = f->timeout_ticks };
	int rc;

	rc = hv_init(&f->hv, f->seam);
	if (rc) {
		fail(f, "no usable Hyper-V interface (%s): see the line above", hvb_strerror(rc));
		return rc;
	}
	f->hv_up = true;
	rc = vmbus_connect(&f->vb, &f->hv, &vp);
	if (rc) {
		fail(f, "cannot connect to VMBus (%s): see the line above", hvb_strerror(rc));
		return rc;
	}
	f->vb_up = true;
	return 0;
}

/* The wanted devices, started together and awaited; then DHCP. */
static int bring_up(struct flow *f, bool disk, bool net)
{
	const struct flow_params *p = f->p;
	struct storvsc_params sp = { .queue_depth = (uint16_t)(p->queue_depth ? p->queue_depth : 32) };
	struct vmbus_offer *so = NULL, *no = NULL;
	struct vmbus_op sop = { .status = 0 }, nop = { .status = 0 };
	uint64_t t0 = now_us(f);
	int rc;

	if (disk && !(so = vmbus_find_class(&f->vb, "storvsc"))) {
		fail(f, "the host offers no SCSI controller, and a payload is on scsi:");
		return -ENODEV;
	}
	if (net && !(no = vmbus_find_class(&f->vb, "netvsc"))) {
		fail(f, "the host offers no network adapter, and a payload is on the network");
		return -ENODEV;
	}
	/* Both started before either is awaited: the event loop drives the two
	 * handshakes at once, so bring-up costs the longer, not the sum. */
	if (so) {
		rc = storvsc_start(&f->sc, &f->vb, so, &sp, &sop);
		if (rc) {
			fail(f, "SCSI controller: cannot start (%s)", hvb_strerror(rc));
			return rc;
		}
		f->sc_up = true;
	}
	if (no) {
		rc = netvsc_start(&f->nv, &f->vb, no, NULL, &nop);
		f->nv_up = true; /* netvsc_detach releases a failed start too */
		if (rc) {
			fail(f, "network adapter: cannot start (%s)", hvb_strerror(rc));
			return rc;
		}
	}
	if (so && (rc = wait_op(f, &sop, "SCSI controller bring-up"))) {
		fail(f, "SCSI controller: bring-up failed (%s)", hvb_strerror(rc));
		return rc;
	}
	if (no && (rc = wait_op(f, &nop, "network adapter bring-up"))) {
		fail(f, "network adapter: bring-up failed (%s)", hvb_strerror(rc));
		return rc;
	}
	f->r->bringup_us = now_us(f) - t0;
	if (no) {
		struct net_config nc = { 0 };
		uint32_t ms = (uint32_t)(f->timeout_ticks / HV_TICKS_PER_MS);

		nc.link = netvsc_link(&f->nv);
		nc.clock = (struct net_clock){ net_now_ms, &f->hv };
		nc.random = p->random ? (struct net_random){ p->random, p->random_ctx }
				      : (struct net_random){ net_xorshift, f };
		nc.params.dhcp_timeout_ms = ms;
		nc.params.dns_timeout_ms = ms;
		nc.params.http_idle_ms = ms;
		nc.progress = progress_net;
		nc.progress_ctx = f;
		f->net = net_open(&nc);
		if (!f->net) {
			fail(f, "cannot start the network stack");
			return -ENOMEM;
		}
		rc = net_dhcp(f->net, &f->lease);
		if (rc) {
			fail(f, "no DHCP lease: %s", net_error(f->net));
			return rc;
		}
	}
	return 0;
}

/* Everything undone, whatever state the bring-up or the loads left. */
static int tear_down(struct flow *f)
{
	int rc = 0, r2;

	if (f->net) {
		net_close(f->net);
		f->net = NULL;
	}
	if (f->nv_up) {
		r2 = netvsc_detach(&f->nv);
		rc = rc ? rc : r2;
		f->nv_up = false;
	}
	if (f->sc_up) {
		r2 = storvsc_detach(&f->sc);
		rc = rc ? rc : r2;
		f->sc_up = false;
	}
	if (f->vb_up) {
		r2 = vmbus_shutdown(&f->vb);
		rc = rc ? rc : r2;
		f->vb_up = false;
	}
	if (f->hv_up) {
		hv_teardown(&f->hv);
		f->hv_up = false;
	}
	if (rc)
		fail(f, "VMBus teardown was not clean (%s): see the lines above", hvb_strerror(rc));
	return rc;
}

/* --- loads ----------------------------------------------------------------- */

static void buf_free(struct hv_seam *s, struct flow_buf *b)
{
	if (b->data)
		s->free(s, b->data, b->npages);
	memset(b, 0, sizeof(*b));
}

static int check_digest(struct flow *f, const struct flow_source *src, const uint8_t got[32])
{
	char want_hex[65], got_hex[65];

	if (!src->has_sha256 || memcmp(got, src->sha256, SHA256_DIGEST_LEN) == 0)
		return 0;
	sha256_hex(src->sha256, want_hex);
	sha256_hex(got, got_hex);
	fail(f, "%s: SHA-256 mismatch: %s has %s, sha256.%s expects %s", src->label, src->spec,
	     got_hex, src->label, want_hex);
	return -EBADMSG;
}

static int load_disk(struct flow *f, const struct flow_source *src, struct flow_buf *b)
{
	uint8_t digest[SHA256_DIGEST_LEN];
	struct blkdev *lun;
	int rc;

	rc = disk_file_open(&f->df, src->spec, lun_dev, &f->sc);
	if (rc) {
		fail(f, "%s: cannot open %s (%s): see the line above", src->label, src->spec, hvb_strerror(rc));
		return rc;
	}
	b->npages = HVB_MAX(HVB_PAGES(f->df.size), 1);
	b->data = f->seam->alloc(f->seam, b->npages, &b->gpa);
	if (!b->data) {
		fail(f, "%s: no memory for %llu bytes", src->label, (unsigned long long)f->df.size);
		b->npages = 0;
		return -ENOMEM;
	}
	lun = f->df.dev;
	lun->progress = progress_disk;
	lun->progress_ctx = f;
	progress_begin(f, src->label, f->df.size);
	rc = disk_file_read(&f->df, b->data, b->npages * HVB_PAGE_SIZE,
			    src->has_sha256 ? digest : NULL);
	lun->progress = NULL;
	if (rc) {
		fail(f, "%s: reading %s failed (%s): see the line above", src->label, src->spec, hvb_strerror(rc));
		return rc;
	}
	progress_end(f, f->df.size);
	b->size = f->df.size;
	return src->has_sha256 ? check_digest(f, src, digest) : 0;
}

static int load_net(struct flow *f, const struct flow_source *src, struct flow_buf *b)
{
	uint64_t max = f->p->net_max_bytes ? f->p->net_max_bytes : FLOW_DEFAULT_NET_MAX;
	uint8_t digest[SHA256_DIGEST_LEN];
	uint64_t used;
	size_t got = 0;
	int rc;

	b->npages = HVB_PAGES(max);
	b->data = f->seam->alloc(f->seam, b->npages, &b->gpa);
	if (!b->data) {
		fail(f, "%s: no memory for a download of up to %llu bytes", src->label,
		     (unsigned long long)max);
		b->npages = 0;
		return -ENOMEM;
	}
	progress_begin(f, src->label, 0);
	rc = net_load(f->net, src->spec, b->data, b->npages * HVB_PAGE_SIZE, &got,
		      src->has_sha256 ? digest : NULL);
	if (rc) {
		fail(f, "%s: %s", src->label, net_error(f->net));
		return rc;
	}
	progress_end(f, got);
	b->size = got;
	/* Give back what the download did not use. */
	used = HVB_MAX(HVB_PAGES(got), 1);
	if (used < b->npages) {
		f->seam->free(f->seam, (uint8_t *)b->data + used * HVB_PAGE_SIZE, b->npages - used);
		b->npages = used;
	}
	return check_digest(f, src, digest);
}

static int load(struct flow *f, const struct flow_source *src, struct flow_buf *b)
{
	return flow_is_disk(src->spec) ? load_disk(f, src, b) : load_net(f, src, b);
}

static void begin(struct flow *f, struct hv_seam *seam, const struct flow_params *p,
		  struct flow_result *r)
{
	memset(f, 0, sizeof(*f));
	memset(r, 0, sizeof(*r));
	f->seam = seam;
	f->p = p;
	f->r = r;
	f->timeout_ticks = (uint64_t)(p->timeout_s ? p->timeout_s : FLOW_DEFAULT_TIMEOUT_S) *
			   HV_TICKS_PER_SEC;
}

int flow_boot(struct hv_seam *seam, const struct flow_params *p, struct flow_result *r)
{
	struct flow *f = &F;
	bool disk, net;
	int rc, rc2;

	begin(f, seam, p, r);
	if (!p->kernel.spec) {
		fail(f, "no kernel to load: set kernel=");
		return -EINVAL;
	}
	disk = flow_is_disk(p->kernel.spec) || flow_is_disk(p->initrd.spec);
	net = !flow_is_disk(p->kernel.spec) || (p->initrd.spec && !flow_is_disk(p->initrd.spec));
	rc = flow_connect(f);
	if (rc == 0)
		rc = bring_up(f, disk, net);
	if (rc == 0)
		rc = load(f, &p->kernel, &r->kernel);
	if (rc == 0 && p->initrd.spec)
		rc = load(f, &p->initrd, &r->initrd);
	rc2 = tear_down(f);
	rc = rc ? rc : rc2;
	if (rc)
		flow_release(seam, r);
	return rc;
}

void flow_release(struct hv_seam *seam, struct flow_result *r)
{
	buf_free(seam, &r->kernel);
	buf_free(seam, &r->initrd);
}

/* --- diag ------------------------------------------------------------------- */

static void diag_hv(struct flow *f)
{
	const struct hv_info *i = &f->hv.info;
	struct json j;
	char line[200];

	snprintf(line, sizeof(line), "hypervisor: %s %u.%u build %u, privileges %08x:%08x, "
		 "features %08x, recommendations %08x", i->vendor, i->version_major,
		 i->version_minor, i->build, i->priv_ebx, i->priv_eax, i->features_edx,
		 i->recommendations);
	out_line(f, line);
	json_begin(&j, "hypervisor");
	json_str(&j, "vendor", i->vendor);
	json_fmt(&j, "version", "\"%u.%u\"", i->version_major, i->version_minor);
	json_u64(&j, "build", i->build);
	json_fmt(&j, "privileges", "\"0x%08x%08x\"", i->priv_ebx, i->priv_eax);
	json_fmt(&j, "features", "\"0x%08x\"", i->features_edx);
	out_json(f, json_end(&j));
}

static void diag_vmbus(struct flow *f)
{
	struct json j;
	char id[GUID_STR_LEN];

	json_begin(&j, "vmbus");
	json_fmt(&j, "version", "\"%u.%u\"", f->vb.version >> 16, f->vb.version & 0xffff);
	json_u64(&j, "offers", f->vb.noffers);
	out_json(f, json_end(&j));
	vmbus_inventory(&f->vb, inventory_line, f);
	for (unsigned i = 0; i < f->vb.noffers; i++) {
		const struct vmbus_offer *o = &f->vb.offers[i];
		const struct vmbus_devclass *dc = vmbus_devclass_by_guid(&o->type);

		json_begin(&j, "offer");
		json_u64(&j, "relid", o->relid);
		json_str(&j, "class", dc ? dc->key : "unknown");
		json_str(&j, "name", vmbus_class_name(&o->type));
		guid_format(&o->type, id);
		json_str(&j, "type", id);
		guid_format(&o->instance, id);
		json_str(&j, "instance", id);
		json_u64(&j, "sub_channel", o->sub_channel);
		out_json(f, json_end(&j));
	}
}

static void diag_rate(struct flow *f, const char *device, uint64_t bytes, uint64_t us)
{
	struct json j;
	char line[160];
	uint64_t kbps = us ? bytes * 1000 / us : 0; /* bytes/us * 1000 = kB/s */

	snprintf(line, sizeof(line), "throughput %s: %llu bytes in %llu.%03llu s, %llu.%01llu MB/s",
		 device, (unsigned long long)bytes, (unsigned long long)(us / 1000000),
		 (unsigned long long)(us / 1000 % 1000), (unsigned long long)(kbps / 1000),
		 (unsigned long long)(kbps / 100 % 10));
	out_line(f, line);
	json_begin(&j, "throughput");
	json_str(&j, "device", device);
	json_u64(&j, "bytes", bytes);
	json_u64(&j, "us", us);
	json_u64(&j, "kb_per_s", kbps);
	out_json(f, json_end(&j));
}

static void diag_disk(struct flow *f)
{
	struct json j;
	struct storvsc_lun *l;
	struct flow_buf b = { 0 };
	uint64_t blocks, t0;
	int rc;

	storvsc_inventory(&f->sc, inventory_line, f);
	for (unsigned i = 0; i < f->sc.nluns; i++) {
		l = &f->sc.luns[i];
		json_begin(&j, "lun");
		json_u64(&j, "lun", l->lun);
		json_str(&j, "vendor", l->vendor);
		json_str(&j, "product", l->product);
		json_str(&j, "revision", l->revision);
		json_u64(&j, "block_size", l->block_size);
		json_u64(&j, "blocks", l->blocks);
		out_json(f, json_end(&j));
	}
	if (!f->sc.nluns) {
		out_line(f, "throughput scsi: no LUN to measure");
		return;
	}
	l = &f->sc.luns[0];
	if (!l->block_size || !l->blocks)
		return;
	blocks = HVB_MIN(DIAG_DISK_BYTES / l->block_size, l->blocks);
	b.npages = HVB_PAGES(blocks * l->block_size);
	b.data = f->seam->alloc(f->seam, b.npages, &b.gpa);
	if (!b.data) {
		out_line(f, "throughput scsi: no memory for the sample");
		return;
	}
	t0 = now_us(f);
	rc = blkdev_read(&l->dev, 0, blocks, b.data);
	if (rc == 0)
		diag_rate(f, l->dev.name, blocks * l->block_size, now_us(f) - t0);
	else
		fail(f, "%s: the throughput read failed (%s)", l->dev.name, hvb_strerror(rc));
	buf_free(f->seam, &b);
}

static void ip_text(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void diag_net(struct flow *f)
{
	const struct flow_params *p = f->p;
	const struct flow_source *src = NULL;
	const struct net_lease *l = &f->lease;
	struct json j;
	struct flow_buf b = { 0 };
	char a[16], m[16], g[16], s[16], line[400];
	uint64_t t0;

	netvsc_inventory(&f->nv, inventory_line, f);
	json_begin(&j, "nic");
	json_fmt(&j, "mac", "\"%02x:%02x:%02x:%02x:%02x:%02x\"", f->nv.mac[0], f->nv.mac[1],
		 f->nv.mac[2], f->nv.mac[3], f->nv.mac[4], f->nv.mac[5]);
	json_u64(&j, "mtu", f->nv.mtu);
	json_str(&j, "link", f->nv.link_up ? "up" : "down");
	out_json(f, json_end(&j));
	ip_text(l->ip, a);
	ip_text(l->mask, m);
	ip_text(l->gateway, g);
	ip_text(l->server, s);
	snprintf(line, sizeof(line), "DHCP lease: %s mask %s router %s server %s bootfile \"%s\"",
		 a, m, g, s, l->bootfile);
	out_line(f, line);
	json_begin(&j, "lease");
	json_str(&j, "ip", a);
	json_str(&j, "mask", m);
	json_str(&j, "router", g);
	json_str(&j, "server", s);
	json_str(&j, "bootfile", l->bootfile);
	out_json(f, json_end(&j));
	if (p->initrd.spec && !flow_is_disk(p->initrd.spec))
		src = &p->initrd;
	else if (p->kernel.spec && !flow_is_disk(p->kernel.spec))
		src = &p->kernel;
	if (!src) {
		out_line(f, "throughput net: no network source configured (kernel= or initrd=)");
		return;
	}
	t0 = now_us(f);
	if (load_net(f, src, &b) == 0)
		diag_rate(f, "net", b.size, now_us(f) - t0);
	buf_free(f->seam, &b);
}

int flow_diag(struct hv_seam *seam, const struct flow_params *p, struct flow_result *r)
{
	struct flow *f = &F;
	int rc, rc2;

	begin(f, seam, p, r);
	rc = flow_connect(f);
	if (f->hv_up)
		diag_hv(f);
	if (rc == 0) {
		bool disk = vmbus_find_class(&f->vb, "storvsc") != NULL;
		bool net = vmbus_find_class(&f->vb, "netvsc") != NULL;
		char line[120];

		diag_vmbus(f);
		rc = bring_up(f, disk, net); /* whatever the host offers of the two */
		if (rc == 0) {
			snprintf(line, sizeof(line), "bring-up: %s%s%s ready in %llu us",
				 disk ? "storvsc" : "", disk && net ? " and " : "",
				 net ? "netvsc" : "", (unsigned long long)r->bringup_us);
			out_line(f, line);
			if (disk)
				diag_disk(f);
			if (net)
				diag_net(f);
		}
	}
	rc2 = tear_down(f);
	rc = rc ? rc : rc2;
	if (rc == 0 && r->error[0])
		rc = -EIO;
	return rc;
}
