/* Hyper-V hypervisor interface (TLFS): CPUID leaves, synthetic MSRs,
 * hypercall codes and status values, the SynIC message slot.
 * Shared by the guest (vmbus/hv.c) and the hypervisor model (sim/hyperv.c).
 * Facts: shared/protocol/vmbus-facts.md sections 1 and 2. */
#ifndef HV_PROTO_H
#define HV_PROTO_H

#include <assert.h>
#include <stdint.h>

/* CPUID (facts 1.1-1.3) */
#define HV_CPUID_FEATURES 0x00000001u       /* ECX bit 31: hypervisor present */
#define HV_CPUID_HV_PRESENT (1u << 31)
#define HV_CPUID_VENDOR 0x40000000u         /* EAX max leaf, EBX..EDX vendor */
#define HV_CPUID_INTERFACE 0x40000001u      /* EAX "Hv#1" */
#define HV_CPUID_VERSION 0x40000002u
#define HV_CPUID_PRIVILEGES 0x40000003u
#define HV_CPUID_RECOMMENDATIONS 0x40000004u
#define HV_CPUID_LIMITS 0x40000005u

#define HV_VENDOR_EBX 0x7263694Du /* "Micr" */
#define HV_VENDOR_ECX 0x666F736Fu /* "osof" */
#define HV_VENDOR_EDX 0x76482074u /* "t Hv" */
#define HV_INTERFACE_HV1 0x31237648u /* "Hv#1" */

/* 0x40000003.EAX: MSR availability */
#define HV_PRIV_TIME_REF_COUNT (1u << 1)
#define HV_PRIV_SYNIC_MSRS (1u << 2)
#define HV_PRIV_SYNTIMER_MSRS (1u << 3)
#define HV_PRIV_HYPERCALL_MSRS (1u << 5)
#define HV_PRIV_VP_INDEX (1u << 6)
#define HV_PRIV_REFERENCE_TSC (1u << 9)
/* 0x40000003.EBX: partition privileges (high half) */
#define HV_PRIV_POST_MESSAGES (1u << 4)
#define HV_PRIV_SIGNAL_EVENTS (1u << 5)
/* 0x40000004.EAX */
#define HV_RECOMMEND_DEPRECATE_AUTOEOI (1u << 9)

/* Synthetic MSRs (facts 1.4) */
#define HV_MSR_GUEST_OS_ID 0x40000000u
#define HV_MSR_HYPERCALL 0x40000001u
#define HV_MSR_VP_INDEX 0x40000002u
#define HV_MSR_TIME_REF_COUNT 0x40000020u /* 100 ns units */
#define HV_MSR_SCONTROL 0x40000080u
#define HV_MSR_SVERSION 0x40000081u
#define HV_MSR_SIEFP 0x40000082u
#define HV_MSR_SIMP 0x40000083u
#define HV_MSR_EOM 0x40000084u
#define HV_MSR_SINT0 0x40000090u
#define HV_MSR_SINT(n) (HV_MSR_SINT0 + (n))

#define HV_MSR_ENABLE 1ull                 /* bit 0 of HYPERCALL, SIMP, SIEFP, SCONTROL */
#define HV_MSR_PAGE_MASK (~0xfffull)       /* bits 63:12: page GPA */
#define HV_MSR_RSVD_MASK 0xffeull          /* bits 11:1: preserve as read */
#define HV_HYPERCALL_LOCKED (1ull << 1)
#define HV_HYPERCALL_RSVDZ 0xffcull        /* bits 11:2: a write setting them #GPs */

#define HV_SINT_VECTOR_MASK 0xffull
#define HV_SINT_MASKED (1ull << 16)
#define HV_SINT_AUTO_EOI (1ull << 17)
#define HV_SINT_POLLING (1ull << 18)
#define HV_SINT_RESET 0x10000ull /* masked, vector 0 */
#define HV_SINT_COUNT 16

/* Open-source GUEST_OS_ID (facts 1.5): bit 63, OS type 62:56, OS id 55:48,
 * version 47:16. The hypervisor only cares that it is non-zero; the Hyper-V
 * UEFI firmware writes 1 << 40 while it owns the connection. */
#define HV_GUEST_OS_ID_OPEN_SOURCE (1ull << 63)
#define HV_GUEST_OS_ID_UEFI (1ull << 40)

/* Hypercall input value (facts 1.6) */
#define HV_CALL_POST_MESSAGE 0x005Cu
#define HV_CALL_SIGNAL_EVENT 0x005Du
#define HV_CALL_FAST (1ull << 16)
#define HV_CALL_CODE_MASK 0xffffull
/* Bits that must be 0 in a simple (non-rep) call: variable header size,
 * reserved bits, rep count, rep start index. */
#define HV_CALL_SIMPLE_RSVD_MASK 0xfffffffffffe0000ull
#define HV_CALL_STATUS(rax) ((uint16_t)((rax) & 0xffff))

/* HV_STATUS (facts 1.6) */
enum hv_status {
	HV_STATUS_SUCCESS = 0x0000,
	HV_STATUS_INVALID_HYPERCALL_CODE = 0x0002,
	HV_STATUS_INVALID_HYPERCALL_INPUT = 0x0003,
	HV_STATUS_INVALID_ALIGNMENT = 0x0004,
	HV_STATUS_INVALID_PARAMETER = 0x0005,
	HV_STATUS_ACCESS_DENIED = 0x0006,
	HV_STATUS_INVALID_PARTITION_STATE = 0x0007,
	HV_STATUS_OPERATION_DENIED = 0x0008,
	HV_STATUS_INSUFFICIENT_MEMORY = 0x000B,
	HV_STATUS_INVALID_VP_INDEX = 0x000E,
	HV_STATUS_INVALID_PORT_ID = 0x0011,
	HV_STATUS_INVALID_CONNECTION_ID = 0x0012,
	HV_STATUS_INSUFFICIENT_BUFFERS = 0x0013,
	HV_STATUS_INVALID_SYNIC_STATE = 0x0018,
};
const char *hv_status_name(uint16_t status);

/* HvPostMessage input block (facts 1.7): 256 bytes, 8-byte aligned, never
 * crossing a page. */
#define HV_MESSAGE_PAYLOAD_MAX 240
#define HV_MESSAGE_TYPE_NONE 0u
#define HV_MESSAGE_TYPE_VMBUS 1u
#define HV_MESSAGE_TYPE_HYPERVISOR_MASK 0x80000000u /* hypervisor-generated types */
#define HV_CONNECTION_ID_MASK 0x00ffffffu

struct hv_post_message_input {
	uint32_t connection_id; /* bits 23:0; 31:24 reserved zero */
	uint32_t reserved;
	uint32_t message_type;  /* VMBus: 1 */
	uint32_t payload_size;  /* <= 240 */
	uint8_t payload[HV_MESSAGE_PAYLOAD_MAX];
};
static_assert(sizeof(struct hv_post_message_input) == 256, "post message input is 256 bytes");

/* HvSignalEvent input (facts 1.8): connection id, flag number, reserved. */
struct hv_signal_event_input {
	uint32_t connection_id;
	uint16_t flag_number;
	uint16_t reserved;
};
static_assert(sizeof(struct hv_signal_event_input) == 8, "signal event input is 8 bytes");

/* SynIC message slot (facts 2.2): 16 slots of 256 bytes in the SIMP page. */
#define HV_MSG_FLAG_PENDING 0x01u
struct hv_message {
	uint32_t type;         /* 0 = slot empty */
	uint8_t payload_size;  /* <= 240 */
	uint8_t flags;         /* bit 0: MessagePending */
	uint16_t reserved;
	uint64_t origination;  /* sender port id; unused by VMBus */
	uint8_t payload[HV_MESSAGE_PAYLOAD_MAX];
};
static_assert(sizeof(struct hv_message) == 256, "hv_message is 256 bytes");
static_assert(__builtin_offsetof(struct hv_message, payload_size) == 4, "payload_size @4");
static_assert(__builtin_offsetof(struct hv_message, flags) == 5, "flags @5");
static_assert(__builtin_offsetof(struct hv_message, payload) == 16, "payload @16");

/* SIEF page: 16 slots of 256 bytes = 2048 flag bits per SINT (facts 2.4). */
#define HV_SIEF_SLOT_BYTES 256u
#define HV_SIEF_FLAGS_PER_SINT 2048u

#endif
