/* The bridge tests' fixture (test_bridge*.c): guest RAM as a file both
 * sides map shared (the guest at its own address, so pointer = base + GPA
 * with base != 0), arch/bridge.c on a buffered stream-socket transport, and
 * hvsim's bridge server in a thread on the other end of a socketpair. */
#ifndef TEST_BRIDGE_UTIL_H
#define TEST_BRIDGE_UTIL_H

#include <pthread.h>

#include "../arch/bridge.h"
#include "../arch/bridge_proto.h"
#include "../lib/pagepool.h"
#include "../lib/util.h"
#include "fixture.h"

#define RAM_MIB 64
#define POOL_START (8u << 20) /* the guest's allocator: GPAs [8 MiB, RAM_MIB) */
#define DISK_MIB 4

/* --- guest RAM: a file both sides map ------------------------------------ */

struct ram {
	char path[40];
	uint8_t *map;
	size_t size;
	struct pagepool pool;
	uint64_t bitmap[(RAM_MIB << 20) / 4096 / 64];
};

/* --- the guest's transport: a stream socket ------------------------------ */

/* Buffered both ways, as a UART's FIFOs are: put collects a frame, get
 * sends it before looking for the answer. */
struct sock_tr {
	int fd;
	uint8_t out[256], in[256];
	size_t nout, nin, pin;
};

/* --- a bridge guest with hvsim's bridge server in a thread --------------- */

struct host {
	struct hvsim *sim;
	int fd;
	FILE *out, *log;
	char *outbuf, *logbuf;
	size_t outlen, loglen;
	struct hvsim_bridge_result res;
	int rc;
	pthread_t th;
};

struct bfx {
	struct ram ram;
	struct hvsim_config cfg;
	struct host host;
	int gfd;             /* the guest's end of the socket */
	struct sock_tr tr;
	struct bridge br;
	struct hv hv;
	struct vmbus vb;
	const char *disks[2];
};

uint64_t bfx_mono_us(void);
void bfx_ram_create(struct ram *r);
void bfx_ram_destroy(struct ram *r);
/* bridge_init on the socket fd with f->ram as guest memory. */
void bfx_guest_init(struct bfx *f, int fd);
/* hvsim in bridge mode on f->cfg (devices, disks), serving one end of a
 * socketpair in a thread; the guest gets the other end. */
void bfx_start(struct bfx *f);
/* The guest hangs up (QEMU exits); the server returns. */
void bfx_stop(struct bfx *f);
void bfx_destroy(struct bfx *f);
void bfx_attach_ok(struct bfx *f);
/* A disk of DISK_MIB whose every 8 bytes hold lba << 16 | word index; its path. */
const char *bfx_make_disk(void);
/* The guest stack on the bridge seam, as hvboot.efi will run it: detection
 * and SynIC, VMBus, the inventory, the echo device both ways (inband and
 * GPA-direct into the shared RAM), a storvsc read, the teardown. */
void bfx_run_guest_stack(struct bfx *f, bool with_disk);

#endif
