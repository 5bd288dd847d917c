/* The ring on its own: both ends in this process, no simulator. */
#include <errno.h>
#include <string.h>

#include "../lib/log.h"
#include "../vmbus/ring.h"
#include "harness.h"

#define PAGES 3 /* header + 2 data pages: 8192 bytes */

struct pair {
	uint8_t mem[PAGES * 4096] __attribute__((aligned(4096)));
	struct ring w, r; /* writer's and reader's view of one ring */
};

static void setup(struct pair *p)
{
	memset(p->mem, 0, sizeof(p->mem));
	CHECK_EQ(ring_init(&p->w, p->mem, sizeof(p->mem), "w"), 0);
	ring_reset(&p->w);
	CHECK_EQ(ring_init(&p->r, p->mem, sizeof(p->mem), "r"), 0);
	p->r.allowed_types = 1u << VMBUS_PKT_DATA_INBAND | 1u << VMBUS_PKT_COMP;
}

static int put(struct pair *p, uint32_t len, uint8_t fill, bool *signal)
{
	uint8_t buf[4096];

	memset(buf, fill, sizeof(buf));
	return ring_write_inband(&p->w, VMBUS_PKT_DATA_INBAND, 0, fill, buf, len, signal);
}

static void quiet(enum hvb_log_level l, const char *line, void *ctx)
{
	(void)l;
	(void)ctx;
	(void)line;
}

TEST(ring_unit_wrap_and_data)
{
	static struct pair p;
	static uint8_t buf[8192];
	struct ring_pkt pkt;
	bool sig;

	setup(&p);
	for (int round = 0; round < 500; round++) {
		uint32_t len = 1 + (uint32_t)(round * 37) % 3000;

		CHECK_EQ(put(&p, len, (uint8_t)round, &sig), 0);
		CHECK(sig); /* empty -> non-empty every time */
		CHECK_EQ(ring_read(&p.r, buf, sizeof(buf), &pkt), 1);
		CHECK_EQ(pkt.trans_id, (uint8_t)round);
		CHECK_EQ(pkt.len, 16 + ((len + 7) & ~7u));
		for (uint32_t i = 0; i < len; i++)
			CHECK(pkt.data[16 + i] == (uint8_t)round);
		ring_read_done(&p.r, &sig);
		CHECK(!sig); /* nobody asked for room */
		CHECK_EQ(ring_read(&p.r, buf, sizeof(buf), &pkt), 0);
	}
}

TEST(ring_unit_never_completely_full)
{
	static struct pair p;
	bool sig;
	int n = 0;

	setup(&p);
	while (put(&p, 1000, 1, &sig) == 0)
		n++;
	CHECK_EQ(n, 7); /* 8 x 1024 bytes would fill it exactly */
	CHECK_EQ(put(&p, 1000, 1, &sig), -EAGAIN);
	CHECK_EQ(put(&p, 8200, 1, &sig), -EMSGSIZE);
	CHECK(p.w.hdr->write_index != p.w.hdr->read_index);
}

TEST(ring_unit_pending_send_size_signals_on_transition)
{
	static struct pair p;
	static uint8_t buf[8192];
	struct ring_pkt pkt;
	bool sig;

	setup(&p);
	while (put(&p, 1000, 1, &sig) == 0)
		;
	CHECK(!ring_want_space(&p.w, 1024));
	/* reading one packet frees 1024 bytes: 1024 free is still not > 1024 */
	CHECK_EQ(ring_read(&p.r, buf, sizeof(buf), &pkt), 1);
	ring_read_done(&p.r, &sig);
	CHECK(sig); /* free went from 1024 (<= 1024) to 2048 (> 1024) */
	CHECK_EQ(ring_read(&p.r, buf, sizeof(buf), &pkt), 1);
	ring_read_done(&p.r, &sig);
	CHECK(!sig); /* already had room: no second signal */
	CHECK(ring_want_space(&p.w, 0));
	/* without the feature bit the reader never signals (pre-WS2012) */
	p.r.hdr->feature_bits = 0;
	ring_want_space(&p.w, 8000);
	CHECK_EQ(ring_read(&p.r, buf, sizeof(buf), &pkt), 1);
	ring_read_done(&p.r, &sig);
	CHECK(!sig);
}

TEST(ring_unit_interrupt_mask_suppresses_signal)
{
	static struct pair p;
	bool sig;

	setup(&p);
	ring_set_mask(&p.r, true);
	CHECK_EQ(put(&p, 10, 1, &sig), 0);
	CHECK(!sig);
	ring_set_mask(&p.r, false);
	CHECK_EQ(put(&p, 10, 1, &sig), 0);
	CHECK(!sig); /* not empty before: no signal either */
}

TEST(ring_unit_batch_publishes_once)
{
	static struct pair p;
	static uint8_t buf[8192];
	struct ring_pkt pkt;
	bool sig;

	setup(&p);
	ring_batch_begin(&p.w);
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(put(&p, 100, (uint8_t)i, &sig), 0);
		CHECK(!sig);
	}
	CHECK_EQ(ring_read(&p.r, buf, sizeof(buf), &pkt), 0); /* nothing published yet */
	ring_flush(&p.w, &sig);
	CHECK(sig);
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(ring_read(&p.r, buf, sizeof(buf), &pkt), 1);
		CHECK_EQ(pkt.trans_id, (uint64_t)i);
	}
	ring_flush(&p.w, &sig); /* nothing new: no signal */
	CHECK(!sig);
}

TEST(ring_unit_trailer_holds_start_index)
{
	static struct pair p;
	uint64_t trailer;
	bool sig;

	setup(&p);
	CHECK_EQ(put(&p, 8, 1, &sig), 0);  /* 24 bytes + trailer at 24 */
	CHECK_EQ(put(&p, 8, 2, &sig), 0);  /* starts at 32 */
	memcpy(&trailer, p.mem + 4096 + 32 + 24, 8);
	CHECK_EQ(trailer, 32ull << 32);
}

TEST(ring_unit_hostile_reader_index)
{
	static struct pair p;
	bool sig;

	hvb_log_set_sink(quiet, NULL);
	setup(&p);
	CHECK_EQ(put(&p, 100, 1, &sig), 0);
	/* a read index ahead of what was written: the writer must not believe
	 * the ring is nearly full forever (a silent wedge) */
	p.w.hdr->read_index = 4096;
	while ((put(&p, 1000, 1, &sig)) == 0)
		;
	CHECK(p.w.broken);
	CHECK_EQ(put(&p, 8, 1, &sig), -EPIPE);
	/* unaligned */
	setup(&p);
	p.w.hdr->read_index = 12;
	for (int i = 0; i < 10 && !p.w.broken; i++)
		put(&p, 1000, 1, &sig);
	CHECK(p.w.broken);
}

TEST(ring_unit_hostile_writer)
{
	static struct pair p;
	static uint8_t buf[8192];
	struct ring_pkt pkt;
	bool sig;
	struct vmbus_pkt_desc *d;

	hvb_log_set_sink(quiet, NULL);
	/* each corruption of a good packet breaks the reader, once, for good */
	for (int c = 0; c < 6; c++) {
		setup(&p);
		CHECK_EQ(put(&p, 64, 1, &sig), 0);
		d = (struct vmbus_pkt_desc *)(p.mem + 4096);
		switch (c) {
		case 0: d->type = 3; break;            /* type not carried */
		case 1: d->flags = 2; break;           /* unknown flag */
		case 2: d->offset8 = 1; break;         /* payload inside the descriptor */
		case 3: d->len8 = 1; break;            /* shorter than its offset */
		case 4: d->len8 = 200; break;          /* more than is available */
		case 5: p.r.hdr->write_index = 4; break; /* unaligned index */
		}
		CHECK_EQ(ring_read(&p.r, buf, sizeof(buf), &pkt), -EPIPE);
		CHECK(p.r.broken);
		CHECK_EQ(ring_read(&p.r, buf, sizeof(buf), &pkt), -EPIPE);
	}
	/* a packet larger than the reader's buffer */
	setup(&p);
	CHECK_EQ(put(&p, 2000, 1, &sig), 0);
	CHECK_EQ(ring_read(&p.r, buf, 1024, &pkt), -EPIPE);
}
