/* The bridge tests' fixture (bridge_util.h). */
#include "bridge_util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../boot/echo.h"
#include "../vsc/storvsc.h"

static_assert(BRIDGE_TIME_MSR == HV_MSR_TIME_REF_COUNT, "the time page replaces TIME_REF_COUNT");

uint64_t bfx_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void bfx_ram_create(struct ram *r)
{
	int fd;

	snprintf(r->path, sizeof(r->path), "/tmp/hvboot-ram-XXXXXX");
	fd = mkstemp(r->path);
	CHECK(fd >= 0);
	r->size = (size_t)RAM_MIB << 20;
	CHECK(ftruncate(fd, (off_t)r->size) == 0);
	r->map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(r->map != MAP_FAILED);
	close(fd);
	/* The guest's page allocator over part of its RAM, as the boot code
	 * will set pages aside before ExitBootServices. */
	pagepool_init(&r->pool, POOL_START, r->map + POOL_START, (r->size - POOL_START) / 4096,
		      r->bitmap);
}

void bfx_ram_destroy(struct ram *r)
{
	munmap(r->map, r->size);
	unlink(r->path);
}

static void *ram_alloc(void *ctx, size_t npages)
{
	uint64_t gpa;

	return pagepool_alloc(&((struct ram *)ctx)->pool, npages, &gpa);
}

static void ram_free(void *ctx, void *p, size_t npages)
{
	pagepool_free(&((struct ram *)ctx)->pool, p, npages);
}

static int st_flush(struct sock_tr *t)
{
	size_t done = 0;

	while (done < t->nout) {
		ssize_t w = send(t->fd, t->out + done, t->nout - done, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	t->nout = 0;
	return 0;
}

static int st_put(void *ctx, uint8_t b)
{
	struct sock_tr *t = ctx;

	if (t->nout == sizeof(t->out) && st_flush(t))
		return -1;
	t->out[t->nout++] = b;
	return 1;
}

static int st_get(void *ctx, uint8_t *b)
{
	struct sock_tr *t = ctx;
	ssize_t r;

	if (t->nout && st_flush(t))
		return -1;
	if (t->pin == t->nin) {
		r = recv(t->fd, t->in, sizeof(t->in), MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (r <= 0)
			return -1; /* closed or broken */
		t->nin = (size_t)r;
		t->pin = 0;
	}
	*b = t->in[t->pin++];
	return 1;
}

static uint64_t st_now(void *ctx)
{
	(void)ctx;
	return bfx_mono_us();
}

static void *host_main(void *arg)
{
	struct host *h = arg;

	h->rc = hvsim_bridge_serve(h->sim, h->fd, h->out, h->log, &h->res);
	return NULL;
}

void bfx_guest_init(struct bfx *f, int fd)
{
	struct bridge_transport tr = { st_put, st_get, st_now, &f->tr };
	struct bridge_mem mem = { (uintptr_t)f->ram.map, 0, ram_alloc, ram_free, &f->ram };

	f->gfd = fd;
	f->tr.fd = fd;
	bridge_init(&f->br, &tr, &mem);
}

void bfx_start(struct bfx *f)
{
	int sv[2];

	log_capture_start();
	bfx_ram_create(&f->ram);
	f->cfg.seed = 1;
	f->cfg.guest_ram = f->ram.path;
	f->host.sim = hvsim_create(&f->cfg);
	CHECK(f->host.sim != NULL);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	f->host.fd = sv[1];
	f->host.out = open_memstream(&f->host.outbuf, &f->host.outlen);
	f->host.log = open_memstream(&f->host.logbuf, &f->host.loglen);
	CHECK(f->host.out && f->host.log);
	CHECK(pthread_create(&f->host.th, NULL, host_main, &f->host) == 0);
	bfx_guest_init(f, sv[0]);
}

void bfx_stop(struct bfx *f)
{
	close(f->gfd);
	pthread_join(f->host.th, NULL);
	fclose(f->host.out);
	fclose(f->host.log);
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "--- hvsim out ---\n%s--- hvsim log ---\n%s---\n", f->host.outbuf,
			f->host.logbuf);
}

void bfx_destroy(struct bfx *f)
{
	close(f->host.fd);
	hvsim_destroy(f->host.sim);
	free(f->host.outbuf);
	free(f->host.logbuf);
	bfx_ram_destroy(&f->ram);
	for (unsigned i = 0; i < 2; i++)
		if (f->disks[i])
			unlink(f->disks[i]);
	hvb_log_set_sink(NULL, NULL);
}

void bfx_attach_ok(struct bfx *f)
{
	int rc = bridge_attach(&f->br);

	CHECK_MSG(rc == 0, "bridge_attach: %d: %s", rc, bridge_error(&f->br));
}

const char *bfx_make_disk(void)
{
	static char path[40];
	uint64_t buf[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/hvboot-disk-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	for (uint64_t lba = 0; lba < DISK_MIB * 2048u; lba++) {
		for (unsigned i = 0; i < 64; i++)
			buf[i] = lba << 16 | i;
		CHECK(write(fd, buf, sizeof(buf)) == sizeof(buf));
	}
	close(fd);
	return path;
}

static bool check_blocks(const void *p, uint64_t lba, uint64_t count)
{
	const uint64_t *w = p;

	for (uint64_t b = 0; b < count; b++)
		for (unsigned i = 0; i < 64; i++)
			if (w[b * 64 + i] != ((lba + b) << 16 | i))
				return false;
	return true;
}

void bfx_run_guest_stack(struct bfx *f, bool with_disk)
{
	struct hv_seam *seam = bridge_seam(&f->br);
	static struct echo_client ec;
	static struct storvsc sc;
	struct vmbus_offer *o = NULL;
	char *inv = NULL;
	size_t invlen = 0;
	FILE *m = open_memstream(&inv, &invlen);
	uint64_t gpa;
	uint8_t *buf;
	int rc;

	rc = hv_init(&f->hv, seam);
	if (rc)
		log_dump();
	CHECK_EQ(rc, 0);
	rc = vmbus_connect(&f->vb, &f->hv, &fx_short_timeouts);
	if (rc)
		log_dump();
	CHECK_EQ(rc, 0);
	vmbus_inventory(&f->vb, fputs_line, m);
	fclose(m);
	CHECK_MSG(strstr(inv, "VMBus 6.0 (COPPER)"), "%s", inv);
	CHECK_MSG(strstr(inv, "Synthetic SCSI controller"), "%s", inv);
	free(inv);

	CHECK_EQ(echo_open(&ec, &f->vb, 16384), 0);
	rc = echo_exercise(&ec, 100, 400, 7);
	if (rc)
		log_dump();
	CHECK_EQ(rc, 0);
	CHECK_EQ(vmbus_channel_close(&ec.ch), 0);

	if (with_disk) {
		for (unsigned i = 0; i < f->vb.noffers; i++)
			if (strcmp(vmbus_class_name(&f->vb.offers[i].type), "Synthetic SCSI controller") == 0)
				o = &f->vb.offers[i];
		CHECK(o != NULL);
		CHECK_EQ(storvsc_attach(&sc, &f->vb, o, NULL), 0);
		CHECK_EQ(sc.nluns, 1);
		buf = seam->alloc(seam, 256, &gpa); /* 1 MiB, straight into the shared RAM */
		CHECK(buf != NULL);
		CHECK(gpa >= POOL_START && buf == f->ram.map + gpa);
		CHECK_EQ(blkdev_read(&storvsc_lun(&sc, 0)->dev, 100, 2048, buf), 0);
		CHECK(check_blocks(buf, 100, 2048));
		seam->free(seam, buf, 256);
		CHECK_EQ(storvsc_detach(&sc), 0);
	}
	CHECK_EQ(vmbus_shutdown(&f->vb), 0);
	hv_teardown(&f->hv);
}
