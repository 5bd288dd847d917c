/* hvboot.efi: the UEFI entry (GNU-EFI). Before ExitBootServices it only
 * reads: the configuration, CPUID, the framebuffer, the ACPI RSDP, the
 * memory map. Then it leaves the firmware (on Hyper-V Gen2 the firmware owns
 * VMBus until then: touching the SynIC earlier crashes or resets the VM, as
 * iPXE found), takes the free memory for its page allocator, runs the main
 * flow (boot/flow.c) over the native or bridge seam, and hands off to Linux.
 * Every failure after ExitBootServices ends in a message, the VMBus
 * teardown, and a reset after reset_timeout seconds: never a silent hang. */
#include <efi.h>
#include <efilib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../arch/bridge.h"
#include "../arch/x86_64/bridge_uart.h"
#include "../arch/x86_64/linux_entry.h"
#include "../arch/x86_64/native.h"
#include "../arch/x86_64/uart16550.h"
#include "../lib/log.h"
#include "../lib/pagepool.h"
#include "../lib/util.h"
#include "../payload/linux.h"
#include "../payload/linux_proto.h"
#include "../vmbus/hv.h"
#include "config.h"
#include "fbcon.h"
#include "flow.h"
#include "pagetable.h"
#include "progress.h"


#define COM1 UART_COM1
#define MAP_SLACK_DESCS 16  /* the pool holding the map adds descriptors itself */
#define EBS_TRIES 8
#define POOL_MIN_PAGES 4096 /* 16 MiB: less is not worth starting */
#define AVOID_MAX 64

static struct hvb_config cfg;

/* --- console ---------------------------------------------------------------- */

static struct {
	bool serial, fb_on;
	struct fbcon fb;
	struct progress bar;
	bool bar_open; /* a progress line is on screen without its newline */
	uint64_t tsc_per_us;
} con;

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t now_us(void)
{
	return con.tsc_per_us ? rdtsc() / con.tsc_per_us : 0;
}

static void serial_putc(char c)
{
	/* Bounded: a UART that never drains (none there, or a stuck
	 * host) must not hang the boot. */
	for (unsigned i = 0; i < 100000 && !uart_put(COM1, (uint8_t)c); i++)
		__asm__ volatile("pause");
}

static void con_write(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (con.serial) {
			if (*p == '\n')
				serial_putc('\r');
			serial_putc(*p);
		}
		if (con.fb_on)
			fbcon_putc(&con.fb, *p);
	}
}

static void con_end_bar(void)
{
	if (con.bar_open) {
		con_write("\n");
		con.bar_open = false;
	}
}

static void log_sink(enum hvb_log_level level, const char *line, void *ctx)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };

	(void)ctx;
	con_end_bar();
	con_write("hvboot: ");
	con_write(tag[level]);
	con_write(line);
	con_write("\n");
}

static void out_line(const char *text, void *ctx)
{
	(void)ctx;
	con_end_bar();
	con_write(text);
	con_write("\n");
}

/* Diag's machine-readable lines: COM1 only, prefixed so a reader can pick
 * them out of everything else the serial port carries. */
static void out_json(const char *text, void *ctx)
{
	bool fb = con.fb_on;

	(void)ctx;
	con_end_bar();
	con.fb_on = false;
	con_write("HVBOOT-JSON ");
	con_write(text);
	con_write("\n");
	con.fb_on = fb;
}

/* flow's progress: a start (done 0 at elapsed 0), updates, and a final
 * call with done == total that may repeat what the last update drew.
 * The framebuffer is a screen: the line is redrawn in place. COM1 may be a
 * log file as well as a terminal: with progress=auto it gets the final
 * line only, with progress=on every update after a carriage return. */
static void on_progress(void *ctx, const char *label, uint64_t done, uint64_t total,
			uint64_t elapsed_us)
{
	char line[PROGRESS_LINE_MAX];
	uint64_t t = now_us();
	bool end = total && done == total;
	bool serial_live = cfg.progress == HVB_PROGRESS_ON;

	(void)ctx;
	if (cfg.progress == HVB_PROGRESS_OFF)
		return;
	if (done == 0 && elapsed_us == 0) {
		con_end_bar();
		progress_start(&con.bar, label, total, t);
		return;
	}
	if (con.bar.drew_end)
		return;
	con.bar.total = total;
	if (end)
		progress_finish(&con.bar, done, t, line, sizeof(line));
	else if (!progress_update(&con.bar, done, t, line, sizeof(line)))
		return;
	if (con.fb_on)
		fbcon_redraw_line(&con.fb, line);
	if (con.serial && (serial_live || end)) {
		for (const char *p = serial_live ? "\r" : ""; *p; p++)
			serial_putc(*p);
		for (const char *p = line; *p; p++)
			serial_putc(*p);
	}
	con.bar_open = true;
	if (end)
		con_end_bar();
}

/* --- before ExitBootServices ------------------------------------------------ */

static char conf_text[HVB_CONF_FILE_MAX + 1];
static char opts_text[HVB_CONF_LINE_MAX * 2];
static char err[HVB_CONF_ERR_MAX];

static void calibrate_tsc(void)
{
	uint64_t t0 = rdtsc(), t1;

	uefi_call_wrapper(BS->Stall, 1, 10000); /* 10 ms */
	t1 = rdtsc();
	con.tsc_per_us = (t1 - t0) / 10000;
	if (!con.tsc_per_us)
		con.tsc_per_us = 1;
}

/* \hvboot.conf from the volume the image came from; missing is fine. */
static int read_conf(EFI_LOADED_IMAGE *li, size_t *len)
{
	EFI_FILE_HANDLE root, fh;
	UINTN n = HVB_CONF_FILE_MAX + 1;
	EFI_STATUS st;

	*len = 0;
	root = LibOpenRoot(li->DeviceHandle);
	if (!root)
		return 0; /* not loaded from a file system (e.g. over the network) */
	st = uefi_call_wrapper(root->Open, 5, root, &fh, L"\\hvboot.conf", EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st)) {
		uefi_call_wrapper(root->Close, 1, root);
		return 0;
	}
	st = uefi_call_wrapper(fh->Read, 3, fh, &n, conf_text);
	uefi_call_wrapper(fh->Close, 1, fh);
	uefi_call_wrapper(root->Close, 1, root);
	if (EFI_ERROR(st)) {
		log_err("hvboot.conf: cannot read it (EFI status 0x%llx)", (unsigned long long)st);
		return -EIO;
	}
	if (n > HVB_CONF_FILE_MAX) {
		log_err("hvboot.conf is larger than %u bytes", HVB_CONF_FILE_MAX);
		return -EFBIG;
	}
	*len = n;
	return 0;
}

/* The load options are UCS-2 text when a shell or a boot entry passes
 * arguments, and may be binary data from a boot entry otherwise: only
 * printable ASCII is taken as options. */
static int read_options(EFI_LOADED_IMAGE *li, size_t *len)
{
	const CHAR16 *w = li->LoadOptions;
	size_t n = li->LoadOptionsSize / sizeof(CHAR16), o = 0;

	*len = 0;
	if (!w || n == 0)
		return 0;
	for (size_t i = 0; i < n && w[i]; i++) {
		if (w[i] > 0x7e || (w[i] < 0x20 && w[i] != '\t')) {
			log_warn("the load options are not text: ignored");
			return 0;
		}
		if (o + 1 >= sizeof(opts_text)) {
			log_err("load options: longer than %zu characters", sizeof(opts_text) - 1);
			return -E2BIG;
		}
		opts_text[o++] = (char)w[i];
	}
	opts_text[o] = 0;
	*len = o;
	return 0;
}

static int load_config(EFI_LOADED_IMAGE *li)
{
	size_t n;
	int rc;

	config_defaults(&cfg);
	rc = read_conf(li, &n);
	if (rc)
		return rc;
	if (n && config_parse_file(&cfg, conf_text, n, err, sizeof(err))) {
		log_err("%s", err);
		return -EINVAL;
	}
	rc = read_options(li, &n);
	if (rc)
		return rc;
	if (n && config_parse_options(&cfg, opts_text, n, err, sizeof(err))) {
		log_err("%s", err);
		return -EINVAL;
	}
	if (config_check(&cfg, err, sizeof(err))) {
		log_err("%s", err);
		return -EINVAL;
	}
	return 0;
}

static struct linux_fb gop_fb;
static bool have_fb;

static void find_gop(void)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	EFI_GUID guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi;
	struct fb fb;

	if (EFI_ERROR(LibLocateProtocol(&guid, (void **)&gop)) || !gop || !gop->Mode)
		return;
	mi = gop->Mode->Info;
	if (mi->PixelFormat != PixelRedGreenBlueReserved8BitPerColor &&
	    mi->PixelFormat != PixelBlueGreenRedReserved8BitPerColor)
		return; /* bit masks or Blt only: no console there */
	gop_fb = (struct linux_fb){
		.base = gop->Mode->FrameBufferBase,
		.size = gop->Mode->FrameBufferSize,
		.width = mi->HorizontalResolution,
		.height = mi->VerticalResolution,
		.pixels_per_line = mi->PixelsPerScanLine,
		.format = mi->PixelFormat == PixelBlueGreenRedReserved8BitPerColor ? LINUX_FB_BGRX
										   : LINUX_FB_RGBX,
	};
	have_fb = true;
	fb = (struct fb){ (void *)(uintptr_t)gop_fb.base, gop_fb.width, gop_fb.height,
			  gop_fb.pixels_per_line,
			  gop_fb.format == LINUX_FB_BGRX ? FB_BGRX : FB_RGBX };
	if (cfg.console != HVB_CONSOLE_SERIAL && fbcon_init(&con.fb, &fb) == 0) {
		fbcon_clear(&con.fb);
		con.fb_on = true;
	}
}

static uint64_t find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	uint64_t old = 0;

	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];

		if (CompareGuid(&t->VendorGuid, &acpi20) == 0)
			return (uint64_t)(uintptr_t)t->VendorTable;
		if (CompareGuid(&t->VendorGuid, &acpi10) == 0)
			old = (uint64_t)(uintptr_t)t->VendorTable;
	}
	return old;
}

static struct linux_efi_map map;

/* GetMemoryMap + ExitBootServices, again when the key went stale (the
 * firmware may change the map between the two: UEFI 2.10, 7.4). */
static int exit_boot_services(EFI_HANDLE image)
{
	UINTN size = 0, key, dsize;
	UINT32 dver;
	EFI_STATUS st;
	void *buf = NULL;
	UINTN cap;

	st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, NULL, &key, &dsize, &dver);
	if (st != EFI_BUFFER_TOO_SMALL || dsize < sizeof(struct efi_mem_desc)) {
		log_err("GetMemoryMap failed (EFI status 0x%llx)", (unsigned long long)st);
		return -EIO;
	}
	cap = size + MAP_SLACK_DESCS * dsize;
	st = uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, cap, &buf);
	if (EFI_ERROR(st)) {
		log_err("no memory for the memory map");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < EBS_TRIES; i++) {
		size = cap;
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, buf, &key, &dsize, &dver);
		if (EFI_ERROR(st)) {
			log_err("GetMemoryMap failed (EFI status 0x%llx)", (unsigned long long)st);
			return -EIO;
		}
		st = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
		if (!EFI_ERROR(st)) {
			map = (struct linux_efi_map){ buf, (uint64_t)(uintptr_t)buf, size,
						      (uint32_t)dsize, dver };
			return 0;
		}
	}
	log_err("ExitBootServices kept failing (EFI status 0x%llx)", (unsigned long long)st);
	return -EIO;
}

/* --- after ExitBootServices ---------------------------------------------------- */

static struct native_seam ns;
static struct pagepool bpool;
static struct pagepool *pool;
static struct bridge br;
static struct bridge_uart bu;
static struct hv_seam *seam;

static const struct efi_mem_desc *desc_at(uint64_t i)
{
	return (const struct efi_mem_desc *)((const uint8_t *)map.descs + i * map.desc_size);
}

/* The pool: the largest free (conventional) range in [1 MiB, 4 GiB); its
 * first pages hold the pool's own bitmap. Never the image, its stack,
 * runtime regions or the map: those are not conventional memory. */
static int take_memory(void)
{
	uint64_t best = 0, best_pages = 0, n = map.size / map.desc_size;
	size_t bitmap_pages, npages;

	for (uint64_t i = 0; i < n; i++) {
		const struct efi_mem_desc *d = desc_at(i);
		uint64_t start = HVB_MAX(d->phys_start, 1ull << 20), end;

		if (d->type != EFI_MT_CONVENTIONAL || d->num_pages > (1ull << 40))
			continue;
		end = HVB_MIN(d->phys_start + d->num_pages * HVB_PAGE_SIZE, 1ull << 32);
		if (end > start && (end - start) / HVB_PAGE_SIZE > best_pages) {
			best = start;
			best_pages = (end - start) / HVB_PAGE_SIZE;
		}
	}
	if (best_pages < POOL_MIN_PAGES) {
		log_err("only %llu free pages below 4 GiB: not enough to run",
			(unsigned long long)best_pages);
		return -ENOMEM;
	}
	bitmap_pages = HVB_PAGES((best_pages + 63) / 64 * 8);
	npages = best_pages - bitmap_pages;
	memset((void *)(uintptr_t)best, 0, bitmap_pages * HVB_PAGE_SIZE);
	if (cfg.hv == HVB_HV_NATIVE) {
		native_seam_init(&ns, (void *)(uintptr_t)(best + bitmap_pages * HVB_PAGE_SIZE), npages,
				 (uint64_t *)(uintptr_t)best);
		pool = &ns.pool;
	} else {
		pagepool_init(&bpool, best + bitmap_pages * HVB_PAGE_SIZE,
			      (void *)(uintptr_t)(best + bitmap_pages * HVB_PAGE_SIZE), npages,
			      (uint64_t *)(uintptr_t)best);
		pool = &bpool;
	}
	log_info("memory: %llu MiB for hvboot at 0x%llx", (unsigned long long)(npages >> 8),
		 (unsigned long long)best);
	return 0;
}

static void *pool_alloc(void *ctx, size_t npages)
{
	uint64_t gpa;

	(void)ctx;
	return pagepool_alloc(pool, npages, &gpa);
}

static void pool_free(void *ctx, void *ptr, size_t npages)
{
	(void)ctx;
	pagepool_free(pool, ptr, npages);
}

static int open_seam(void)
{
	struct bridge_transport tr;
	struct bridge_mem mem = { .base = 0, .size = 0, .alloc = pool_alloc, .free = pool_free };
	int rc;

	if (cfg.hv == HVB_HV_NATIVE) {
		seam = &ns.seam;
		return 0;
	}
	rc = bridge_uart_init(&bu, UART_COM2, con.tsc_per_us * 1000000, &tr);
	if (rc) {
		log_err("bridge: no UART at COM2 (0x2f8) to reach hvsim");
		return rc;
	}
	bridge_init(&br, &tr, &mem);
	rc = bridge_attach(&br);
	if (rc) {
		log_err("bridge: %s", bridge_error(&br));
		return rc;
	}
	seam = bridge_seam(&br);
	return 0;
}

static void close_seam(void)
{
	bool clean = false;

	if (cfg.hv != HVB_HV_BRIDGE || !seam)
		return;
	if (bridge_detach(&br, &clean) == 0)
		log_info("bridge: detached; hvsim's audit is %s", clean ? "clean" : "NOT clean");
	else
		log_err("bridge: detach failed: %s", bridge_error(&br));
	seam = NULL;
}

static uint32_t cpu_random(void *ctx)
{
	static uint64_t x;
	uint64_t v;
	unsigned char ok = 0;
	bool *has_rdrand = ctx;

	/* RDRAND can fail transiently (carry clear): retry a few times, as
	 * Intel's guidance says, before mixing the TSC in instead. */
	for (int i = 0; *has_rdrand && i < 10 && !ok; i++)
		__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
	if (ok)
		return (uint32_t)(v ^ (v >> 32));
	if (!x)
		x = rdtsc() | 1;
	x ^= rdtsc();
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (uint32_t)(x >> 32);
}

static void fill_source(struct flow_source *s, const char *label, const struct hvb_conf_source *c,
			bool has_sha, const uint8_t *sha)
{
	s->label = label;
	s->spec = c->kind == HVB_SRC_NONE ? NULL : c->text;
	s->has_sha256 = has_sha;
	if (has_sha)
		memcpy(s->sha256, sha, SHA256_DIGEST_LEN);
}

/* The used runs of the pool: what linux_plan must not hand to the kernel. */
static unsigned used_ranges(struct linux_range *out, unsigned max)
{
	unsigned n = 0;
	size_t i = 0;

	while (i < pool->npages && n < max) {
		size_t j;

		if (!(pool->bitmap[i / 64] >> (i % 64) & 1)) {
			i++;
			continue;
		}
		for (j = i; j < pool->npages && (pool->bitmap[j / 64] >> (j % 64) & 1); j++)
			;
		out[n].start = pool->base_gpa + i * HVB_PAGE_SIZE;
		out[n].end = pool->base_gpa + j * HVB_PAGE_SIZE;
		n++;
		i = j;
	}
	return n;
}

static uint64_t map_limit(void)
{
	uint64_t top = 1ull << 32;

	for (uint64_t i = 0; i < map.size / map.desc_size; i++) {
		const struct efi_mem_desc *d = desc_at(i);
		uint64_t end = d->phys_start + d->num_pages * HVB_PAGE_SIZE;

		if (d->num_pages < (1ull << 40) && end > top)
			top = end;
	}
	return top;
}

static int boot_linux(struct flow_result *r)
{
	static struct linux_image img;
	struct linux_range avoid[AVOID_MAX];
	struct linux_placement place;
	struct linux_boot_info info = { 0 };
	uint8_t *zp, *cmd;
	void *pt;
	uint64_t gpa, cr3, limit = map_limit();
	size_t cmd_len = strlen(cfg.cmdline), pt_pages = pagetable_pages(limit);
	unsigned navoid;
	int rc;

	rc = linux_parse(r->kernel.data, r->kernel.size, &img);
	if (rc)
		return rc;
	zp = pagepool_alloc(pool, 1, &gpa);
	cmd = pagepool_alloc(pool, HVB_PAGES(cmd_len + 1), &gpa);
	pt = pagepool_alloc(pool, pt_pages, &gpa);
	if (!zp || !cmd || !pt) {
		log_err("no memory for the zero page, the command line or the page tables");
		return -ENOMEM;
	}
	memcpy(cmd, cfg.cmdline, cmd_len + 1);
	navoid = used_ranges(avoid, AVOID_MAX);
	rc = linux_plan(&img, r->initrd.size, &map, avoid, navoid, &place);
	if (rc)
		return rc;
	memmove((void *)(uintptr_t)place.kernel_addr, (uint8_t *)r->kernel.data + img.pm_offset,
		img.pm_size);
	if (r->initrd.size)
		memmove((void *)(uintptr_t)place.initrd_addr, r->initrd.data, r->initrd.size);
	info.place = &place;
	info.cmdline = (const char *)cmd;
	info.cmdline_addr = (uint64_t)(uintptr_t)cmd;
	info.efi_map = &map;
	info.efi_systab = (uint64_t)(uintptr_t)ST;
	info.fb = have_fb ? &gop_fb : NULL;
	info.acpi_rsdp = find_rsdp();
	rc = linux_build_params(zp, &img, r->kernel.data, &info);
	if (rc)
		return rc;
	cr3 = pagetable_build(pt, (uint64_t)(uintptr_t)pt, limit);
	if (!cr3) {
		log_err("memory reaches past %u GiB: cannot build the handoff page tables", PT_MAX_GIB);
		return -ERANGE;
	}
	log_info("handing off to Linux at 0x%llx (initrd %llu bytes at 0x%llx)",
		 (unsigned long long)place.kernel_addr, (unsigned long long)place.initrd_size,
		 (unsigned long long)place.initrd_addr);
	close_seam();
	/* Our own identity map: executable everywhere (see pagetable.h). */
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
	hvb_linux_enter(linux_entry64(&place), (uint64_t)(uintptr_t)zp);
}

static void __attribute__((noreturn)) reset_after(unsigned seconds, EFI_STATUS why)
{
	uint64_t until;

	close_seam();
	if (seconds) {
		char line[80];

		snprintf(line, sizeof(line), "hvboot: resetting in %u s", seconds);
		out_line(line, NULL);
	}
	until = now_us() + (uint64_t)seconds * 1000000;
	while (now_us() < until)
		__asm__ volatile("pause");
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, why, 0, NULL);
	for (;;)
		__asm__ volatile("cli; hlt");
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	static struct flow_params p;
	static struct flow_result r;
	static bool has_rdrand;
	EFI_LOADED_IMAGE *li = NULL;
	struct hv_info info;
	struct hv_cpuid c;
	int rc;

	InitializeLib(image, systab);
	con.serial = true; /* until the configuration says otherwise */
	uart_init(COM1);
	hvb_log_set_sink(log_sink, NULL);
	calibrate_tsc();
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
				       (void **)&li)) ||
	    !li) {
		log_err("cannot find the loaded image");
		return EFI_LOAD_ERROR;
	}
	log_info("hvboot.efi at 0x%llx", (unsigned long long)(uintptr_t)li->ImageBase);
	if (load_config(li)) {
		/* Nothing is touched yet: the message stays up, then the reset
		 * (a bad line must be read, not scrolled away by the next entry). */
		log_err("fix hvboot.conf or the load options; resetting in %u s",
			cfg.reset_timeout_s);
		uefi_call_wrapper(BS->Stall, 1, (UINTN)cfg.reset_timeout_s * 1000000);
		uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, EFI_INVALID_PARAMETER, 0, NULL);
		return EFI_INVALID_PARAMETER;
	}
	con.serial = cfg.console != HVB_CONSOLE_FB;
	config_describe(&cfg, err, sizeof(err));
	log_info("config: %s", err);
	if (cfg.hv == HVB_HV_NATIVE) {
		struct native_seam probe;

		native_seam_init(&probe, NULL, 0, NULL);
		if (hv_detect(&probe.seam, &info)) {
			log_err("this machine is not a Hyper-V guest (see above) and hv=bridge is "
				"not set: returning to the firmware");
			return EFI_UNSUPPORTED;
		}
	} else if (!uart_present(UART_COM2)) {
		log_err("hv=bridge, but there is no UART at COM2 (0x2f8): returning to the firmware");
		return EFI_UNSUPPORTED;
	}
	native_seam_init(&ns, NULL, 0, NULL);
	ns.seam.cpuid(&ns.seam, 1, &c);
	has_rdrand = c.ecx >> 30 & 1;
	find_gop();
	if (exit_boot_services(image))
		return EFI_LOAD_ERROR;
	/* The firmware's timer interrupt handlers may be gone now: poll only. */
	__asm__ volatile("cli");
	log_info("left the firmware (ExitBootServices); %llu memory map entries",
		 (unsigned long long)(map.size / map.desc_size));
	if (take_memory() || open_seam())
		reset_after(cfg.reset_timeout_s, EFI_DEVICE_ERROR);
	fill_source(&p.kernel, "kernel", &cfg.kernel, cfg.has_sha256_kernel, cfg.sha256_kernel);
	fill_source(&p.initrd, "initrd", &cfg.initrd, cfg.has_sha256_initrd, cfg.sha256_initrd);
	p.timeout_s = cfg.timeout_s;
	p.queue_depth = cfg.queue_depth;
	p.random = cpu_random;
	p.random_ctx = &has_rdrand;
	p.progress = on_progress;
	p.line = out_line;
	p.json = out_json;
	if (cfg.mode == HVB_MODE_DIAG) {
		rc = flow_diag(seam, &p, &r);
		out_line(rc ? "diag: finished with errors" : "diag: done", NULL);
		reset_after(rc ? cfg.reset_timeout_s : 0, rc ? EFI_DEVICE_ERROR : EFI_SUCCESS);
	}
	rc = flow_boot(seam, &p, &r);
	if (rc == 0)
		rc = boot_linux(&r); /* returns only on failure */
	log_err("boot failed: %s", r.error[0] ? r.error : "see the lines above");
	reset_after(cfg.reset_timeout_s, EFI_DEVICE_ERROR);
}
