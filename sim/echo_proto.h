/* hvsim's echo test device: a VMBus channel that exercises every data path.
 * Shared by hvsim (the device) and the hosted guest code that drives it
 * (hvboot-host echo, tests, benchmarks). Not a Hyper-V device. */
#ifndef SIM_ECHO_PROTO_H
#define SIM_ECHO_PROTO_H

#include <assert.h>
#include <stdint.h>

#include "../lib/guid.h"

/* Class GUID of the echo device (hvboot's own, random). */
#define ECHO_CLASS_GUID \
	GUID_INIT(0x6d1a3c52, 0x8f0e, 0x4b9a, 0x9c, 0x3d, 0x5e, 0x27, 0x1b, 0x44, 0xa0, 0x7f)

/* Behaviour:
 * - DATA_INBAND with COMPLETION_REQUESTED: answered by a COMP packet with the
 *   same trans_id and the same payload.
 * - DATA_INBAND without it: echoed back as DATA_INBAND, trans_id 0, same payload.
 * - DATA_USING_GPA_DIRECT whose payload is a struct echo_cmd: the device
 *   reads (ECHO_OP_SUM) or writes (ECHO_OP_FILL) the described ranges and
 *   answers with a COMP packet carrying a struct echo_reply.
 * - DATA_INBAND whose payload starts with ECHO_SINK_MAGIC: consumed, no answer
 *   (for throughput benchmarks). */
#define ECHO_SINK_MAGIC 0x4b4e4953u /* "SINK" */

enum echo_op {
	ECHO_OP_SUM = 1,  /* host reads the ranges: reply.hash = FNV-1a 64 of the bytes */
	ECHO_OP_FILL = 2, /* host writes byte i = (seed + i * 7) & 0xff over the ranges */
};

struct echo_cmd {
	uint32_t op;
	uint32_t seed;
};
static_assert(sizeof(struct echo_cmd) == 8, "echo_cmd is 8 bytes");

struct echo_reply {
	uint32_t op;
	uint32_t status; /* 0 = ok, 1 = a range was not guest memory, 2 = bad command */
	uint64_t bytes;  /* bytes read or written */
	uint64_t hash;   /* ECHO_OP_SUM: FNV-1a 64 of the bytes, in range order */
};
static_assert(sizeof(struct echo_reply) == 24, "echo_reply is 24 bytes");

#define ECHO_FNV_OFFSET 0xcbf29ce484222325ull
#define ECHO_FNV_PRIME 0x100000001b3ull

static inline uint64_t echo_fnv1a(uint64_t h, const void *p, uint64_t n)
{
	const uint8_t *b = p;

	for (uint64_t i = 0; i < n; i++)
		h = (h ^ b[i]) * ECHO_FNV_PRIME;
	return h;
}

static inline uint8_t echo_fill_byte(uint32_t seed, uint64_t i)
{
	return (uint8_t)((seed + i * 7) & 0xff);
}

#endif
