/* libFuzzer target: the ring read and write paths against a ring whose
 * header and contents the peer controls completely.
 * Input: 16 bytes of header (write_index, read_index, interrupt_mask,
 * pending_send_sz), then the data area (up to 8192 bytes, zero padded). */
#include <stdint.h>
#include <string.h>

#include "../../lib/log.h"
#include "fuzz_common.h"
#include "../../vmbus/ring.h"

#define DATA 8192u

static uint8_t mem[4096 + DATA] __attribute__((aligned(4096)));
static uint8_t pkt_buf[DATA];

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	struct ring r;
	struct ring_pkt pkt;
	bool signal;
	uint8_t payload[100] = { 0 };
	int rc, reads = 0;

	memset(mem, 0, sizeof(mem));
	if (n < 16)
		return 0;
	memcpy(mem, in, 16);
	memcpy(mem + 4096, in + 16, n - 16 > DATA ? DATA : n - 16);
	if (ring_init(&r, mem, sizeof(mem), "fuzz") != 0)
		return 0;
	r.allowed_types = 1u << 6 | 1u << 7 | 1u << 11;
	/* Every read either advances or stops: bound it by the ring size. */
	while ((rc = ring_read(&r, pkt_buf, (uint32_t)(in[0] & 1 ? sizeof(pkt_buf) : 256), &pkt)) == 1) {
		if (pkt.offset > pkt.len || pkt.len > sizeof(pkt_buf))
			__builtin_trap();
		if (++reads > (int)(DATA / 24))
			__builtin_trap(); /* more packets than can fit: a loop */
	}
	ring_read_done(&r, &signal);
	/* The peer also controls the read index a writer sees. */
	for (int i = 0; i < 3 && !r.broken; i++)
		(void)ring_write_inband(&r, 6, 0, 1, payload, (uint32_t)(in[1] % sizeof(payload)),
					&signal);
	(void)ring_pending_bytes(&r);
	(void)ring_free_bytes(&r);
	return 0;
}

