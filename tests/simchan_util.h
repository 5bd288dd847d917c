/* hvsim's host side of VMBus channels, driven directly by the tests
 * (test_sim_gpadl.c, test_sim_channels.c, test_sim_channel_faults.c): raw
 * channel messages through the seam, and the guest's half of the rings
 * laid out by hand with vmbus/ring.c. */
#ifndef TEST_SIMCHAN_UTIL_H
#define TEST_SIMCHAN_UTIL_H

#include "../lib/util.h"
#include "../sim/echo_proto.h"
#include "../vmbus/ring.h"
#include "fixture.h"

#define WAIT_TICKS (5 * HV_TICKS_PER_SEC) /* reference time; stepped mode: virtual */
#define RELID_ECHO 1u                     /* devices "echo,..." : the echo device is relid 1 */

/* A channel opened by hand: one GPADL for both rings, g2h pages [0, s),
 * h2g pages [s, npages). out/in are the guest's view. */
struct chan {
	struct fx *f;
	uint32_t relid, conn, handle, npages;
	void *mem;
	uint64_t *pfns;
	struct ring out, in;
	uint8_t rx[16384];
};

/* Each is described at its definition (simchan_util.c). */
void sc_post(struct fx *f, const void *msg, uint32_t len);
void sc_expect_msg(struct fx *f, uint32_t type, void *out, uint32_t len);
void sc_expect_silence(struct fx *f, uint64_t ticks);
void sc_start(struct fx *f, const char *devices, uint32_t faults);
void sc_bring_up(struct fx *f);
void sc_go(struct fx *f, const char *devices, uint32_t faults);
void sc_send_gpadl(struct fx *f, uint32_t relid, uint32_t handle, const uint64_t *pfns,
		   uint32_t n);
uint32_t sc_gpadl_status(struct fx *f, uint32_t relid, uint32_t handle);
void sc_teardown(struct fx *f, uint32_t relid, uint32_t handle);
uint64_t *sc_pages(struct fx *f, uint32_t n, void **mem);
void sc_finish_with_violations(struct fx *f, unsigned n, const char *needle);
void sc_open_post(struct fx *f, uint32_t relid, uint32_t handle, uint32_t s);
uint32_t sc_open_msg(struct fx *f, uint32_t relid, uint32_t handle, uint32_t s);
uint32_t chan_open_status(struct fx *f, struct chan *c, uint32_t relid, uint32_t s,
			  uint32_t h2g_pages);
void chan_open(struct fx *f, struct chan *c, uint32_t relid, uint32_t s, uint32_t h2g);
void chan_free(struct chan *c);
void chan_close(struct chan *c);
void chan_signal(struct chan *c);
void chan_send(struct chan *c, uint16_t flags, uint64_t tid, const void *p, uint32_t len);
void chan_recv(struct chan *c, struct ring_pkt *pkt);
bool sc_sief_bit(struct fx *f, unsigned bit);

#endif
