/* The bridge wire format: hvboot.efi in QEMU (guest, arch/bridge.c) and the
 * hvsim process (host, sim/bridge_server.c) talk over COM2, a polled 16550
 * whose QEMU chardev is a unix socket served by hvsim. Only the guest->host
 * primitives travel here; guest memory is shared through QEMU's RAM file.
 * This header is the one source of truth for both ends.
 *
 * The stream:
 *   guest: BRIDGE_SYNC, then request frames, one at a time;
 *   host:  nothing until the sync (everything before it is OVMF's console
 *          noise and is discarded), then exactly one reply frame per
 *          request, never a byte unasked.
 * A frame is
 *   struct bridge_hdr (8 bytes) | payload (len bytes) | CRC-32 (4 bytes)
 * with the CRC (lib/crc32.h, IEEE) over header and payload. All integers are
 * little-endian (both ends are x86-64). A reply carries the request's seq and
 * op | BRIDGE_REPLY, or BRIDGE_OP_ERROR | BRIDGE_REPLY with a struct
 * bridge_error when the host cannot execute the request.
 *
 * The first request after the sync must be HELLO. HELLO's request and reply
 * layouts are frozen across protocol versions (version first), so two
 * different builds can always tell each other which version they speak.
 * A new sync between frames starts a new session (HELLO again). */
#ifndef ARCH_BRIDGE_PROTO_H
#define ARCH_BRIDGE_PROTO_H

#include <stddef.h>
#include <stdint.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the bridge structs are little-endian");

#define BRIDGE_PROTO_VERSION 1u

/* Sent once by the guest after ExitBootServices. SYN bytes around a name:
 * nothing OVMF prints (text and ANSI escapes) contains it, and it holds no
 * BRIDGE_SOF byte, so a host already in frame mode skips it until the last
 * byte completes it. */
#define BRIDGE_SYNC "\x16\x16hvboot-bridge-sync\x16\x16"
#define BRIDGE_SYNC_LEN (sizeof(BRIDGE_SYNC) - 1)

#define BRIDGE_SOF 0xB7u          /* first byte of every frame */
#define BRIDGE_REPLY 0x80u        /* op bit set in every reply */
#define BRIDGE_MAX_PAYLOAD 32u    /* a longer len is a corrupt frame */
#define BRIDGE_HELLO_MAGIC 0x52425648u /* "HVBR" */

/* How long one request may take, sending included, before the guest gives
 * up; also how long the time page may stand still. 2 s is ages for a local
 * socket and for QEMU's UART, which does not pace bytes at the baud rate. */
#define BRIDGE_TIMEOUT_US 2000000u

/* The MSR whose reads the time page replaces (HV_MSR_TIME_REF_COUNT in
 * vmbus/hv_proto.h; arch/ sits below vmbus/, so it is repeated here and
 * sim/bridge_server.c asserts that the two agree). */
#define BRIDGE_TIME_MSR 0x40000020u

enum bridge_op {
	BRIDGE_OP_HELLO = 1,     /* bridge_hello -> bridge_hello_reply */
	BRIDGE_OP_CPUID = 2,     /* bridge_cpuid -> bridge_cpuid_reply */
	BRIDGE_OP_RDMSR = 3,     /* bridge_rdmsr -> bridge_u64 (the value) */
	BRIDGE_OP_WRMSR = 4,     /* bridge_wrmsr -> empty: the write took effect */
	BRIDGE_OP_HYPERCALL = 5, /* bridge_hypercall -> bridge_u64 (RAX) */
	/* bridge_u64 (a GPA, 8-byte aligned) -> bridge_u64 (the time written).
	 * From now on the host keeps the reference time (100 ns units, as
	 * TIME_REF_COUNT reads) in the u64 at that GPA, rewritten every 50 to
	 * a few hundred us (as the host's timers allow), and the guest's
	 * clock reads cost no round trip. */
	BRIDGE_OP_TIME_PAGE = 6,
	/* empty -> bridge_detach_reply. The guest is done (VMBus torn down,
	 * about to hand off): the host stops writing the time page, prints its
	 * audit and ignores every later byte (Linux may probe the UART). */
	BRIDGE_OP_DETACH = 7,
	BRIDGE_OP_ERROR = 0x7f,  /* reply only: bridge_error */
};

struct bridge_hdr {
	uint8_t sof;  /* BRIDGE_SOF */
	uint8_t op;   /* enum bridge_op, | BRIDGE_REPLY in replies */
	uint16_t len; /* payload bytes, <= BRIDGE_MAX_PAYLOAD */
	uint32_t seq; /* chosen by the guest, echoed by the host */
};
_Static_assert(sizeof(struct bridge_hdr) == 8, "bridge_hdr is 8 bytes");
_Static_assert(offsetof(struct bridge_hdr, len) == 2, "len @2");
_Static_assert(offsetof(struct bridge_hdr, seq) == 4, "seq @4");

#define BRIDGE_CRC_LEN 4u
#define BRIDGE_FRAME_MAX (sizeof(struct bridge_hdr) + BRIDGE_MAX_PAYLOAD + BRIDGE_CRC_LEN)

/* HELLO: frozen layouts (see above). */
struct bridge_hello {
	uint32_t version; /* BRIDGE_PROTO_VERSION of the guest */
	uint32_t magic;   /* BRIDGE_HELLO_MAGIC */
};
_Static_assert(sizeof(struct bridge_hello) == 8, "bridge_hello is 8 bytes");

struct bridge_hello_reply {
	uint32_t version;   /* BRIDGE_PROTO_VERSION of the host; the guest compares */
	uint32_t reserved;  /* 0 */
	uint64_t ram_bytes; /* guest RAM the host mapped: GPAs [0, ram_bytes) */
};
_Static_assert(sizeof(struct bridge_hello_reply) == 16, "bridge_hello_reply is 16 bytes");

struct bridge_cpuid {
	uint32_t leaf;
	uint32_t subleaf; /* ECX */
};
_Static_assert(sizeof(struct bridge_cpuid) == 8, "bridge_cpuid is 8 bytes");

struct bridge_cpuid_reply {
	uint32_t eax, ebx, ecx, edx;
};
_Static_assert(sizeof(struct bridge_cpuid_reply) == 16, "bridge_cpuid_reply is 16 bytes");

struct bridge_rdmsr {
	uint32_t msr;
	uint32_t reserved; /* 0 */
};
_Static_assert(sizeof(struct bridge_rdmsr) == 8, "bridge_rdmsr is 8 bytes");

struct bridge_wrmsr {
	uint32_t msr;
	uint32_t reserved; /* 0 */
	uint64_t value;
};
_Static_assert(sizeof(struct bridge_wrmsr) == 16, "bridge_wrmsr is 16 bytes");
_Static_assert(offsetof(struct bridge_wrmsr, value) == 8, "value @8");

/* RCX, RDX, R8 of the x86-64 hypercall convention (arch/hvseam.h). */
struct bridge_hypercall {
	uint64_t control;
	uint64_t in;
	uint64_t out;
};
_Static_assert(sizeof(struct bridge_hypercall) == 24, "bridge_hypercall is 24 bytes");
_Static_assert(sizeof(struct bridge_hypercall) <= BRIDGE_MAX_PAYLOAD, "largest payload fits");

struct bridge_u64 {
	uint64_t value;
};
_Static_assert(sizeof(struct bridge_u64) == 8, "bridge_u64 is 8 bytes");

struct bridge_detach_reply {
	uint32_t clean;      /* 1: the host's audit was clean */
	uint32_t violations; /* protocol violations the host recorded */
};
_Static_assert(sizeof(struct bridge_detach_reply) == 8, "bridge_detach_reply is 8 bytes");

enum bridge_err {
	BRIDGE_ERR_NO_HELLO = 1,  /* a request before a successful HELLO */
	BRIDGE_ERR_BAD_OP = 2,    /* an op the host does not know */
	BRIDGE_ERR_BAD_LEN = 3,   /* a payload of the wrong size for its op, or a HELLO without the magic */
	BRIDGE_ERR_BAD_GPA = 4,   /* TIME_PAGE outside guest RAM or unaligned */
	BRIDGE_ERR_VERSION = 5,   /* HELLO was refused: versions differ */
};

struct bridge_error {
	uint32_t code; /* enum bridge_err */
	uint32_t op;   /* the request's op */
};
_Static_assert(sizeof(struct bridge_error) == 8, "bridge_error is 8 bytes");

static inline const char *bridge_op_name(unsigned op)
{
	switch (op & ~BRIDGE_REPLY) {
	case BRIDGE_OP_HELLO: return "HELLO";
	case BRIDGE_OP_CPUID: return "CPUID";
	case BRIDGE_OP_RDMSR: return "RDMSR";
	case BRIDGE_OP_WRMSR: return "WRMSR";
	case BRIDGE_OP_HYPERCALL: return "HYPERCALL";
	case BRIDGE_OP_TIME_PAGE: return "TIME_PAGE";
	case BRIDGE_OP_DETACH: return "DETACH";
	case BRIDGE_OP_ERROR: return "ERROR";
	default: return "unknown op";
	}
}

static inline const char *bridge_err_name(uint32_t code)
{
	switch (code) {
	case BRIDGE_ERR_NO_HELLO: return "no HELLO yet";
	case BRIDGE_ERR_BAD_OP: return "unknown op";
	case BRIDGE_ERR_BAD_LEN: return "wrong payload size";
	case BRIDGE_ERR_BAD_GPA: return "GPA outside guest RAM or unaligned";
	case BRIDGE_ERR_VERSION: return "protocol versions differ";
	default: return "unknown error";
	}
}

#endif
