/* netvsc wire format (facts section 6): NVSP messages (the VMBus packet
 * payloads) and RNDIS messages (inside send-buffer sections, GPA-direct
 * ranges, or receive-buffer ranges of transfer-page packets). Shared by
 * the guest (vsc/netvsc.c) and hvsim's netvsp. All little-endian, packed. */
#ifndef VSC_NETVSC_PROTO_H
#define VSC_NETVSC_PROTO_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/* --- NVSP ------------------------------------------------------------- */

#define NVSP_VERSION_1 0x00002u
#define NVSP_VERSION_2 0x30002u
#define NVSP_VERSION_4 0x40000u
#define NVSP_VERSION_5 0x50000u
#define NVSP_VERSION_6 0x60000u
#define NVSP_VERSION_61 0x60001u
#define NDIS_VERSION_6_1 0x00060001u
#define NDIS_VERSION_6_30 0x0006001Eu

enum nvsp_msg_type {
	NVSP_MSG_INIT = 1,
	NVSP_MSG_INIT_COMPLETE = 2,
	NVSP_MSG1_SEND_NDIS_VER = 100,
	NVSP_MSG1_SEND_RECV_BUF = 101,
	NVSP_MSG1_SEND_RECV_BUF_COMPLETE = 102,
	NVSP_MSG1_REVOKE_RECV_BUF = 103,
	NVSP_MSG1_SEND_SEND_BUF = 104,
	NVSP_MSG1_SEND_SEND_BUF_COMPLETE = 105,
	NVSP_MSG1_REVOKE_SEND_BUF = 106,
	NVSP_MSG1_SEND_RNDIS_PKT = 107,
	NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE = 108,
	NVSP_MSG2_SEND_NDIS_CONFIG = 125,
	NVSP_MSG4_SEND_VF_ASSOCIATION = 128,
	NVSP_MSG4_SWITCH_DATA_PATH = 129,
	NVSP_MSG5_OID_QUERY_EX = 131,
	NVSP_MSG5_OID_QUERY_EX_COMPLETE = 132,
	NVSP_MSG5_SUBCHANNEL = 133,
	NVSP_MSG5_SEND_INDIRECTION_TABLE = 134,
};

/* NVSP status: only SUCCESS is success (OpenVMM answers a bad INIT with 0). */
#define NVSP_STAT_NONE 0u
#define NVSP_STAT_SUCCESS 1u
#define NVSP_STAT_FAIL 2u

#define NVSP_MSG_SIZE 40u /* what we send: zero-padded (hosts ignore < 32-byte messages) */
#define NVSP_MSG_SIZE_MIN 32u
#define NVSP_RNDIS_CHANNEL_DATA 0u
#define NVSP_RNDIS_CHANNEL_CONTROL 1u
#define NVSP_NO_SECTION 0xFFFFFFFFu
#define NVSP_RECV_BUF_ID 0xCAFEu /* transfer-page-set id of our receive buffer */
#define NVSP_SEND_BUF_ID 0u

#pragma pack(push, 1)

struct nvsp_init {               /* 1 */
	uint32_t min_protocol_ver;   /* the host matches this one exactly */
	uint32_t max_protocol_ver;
};
struct nvsp_init_complete {      /* 2 */
	uint32_t negotiated_protocol_ver; /* deprecated */
	uint32_t max_mdl_chain_len;
	uint32_t status;
};
struct nvsp_send_ndis_ver {      /* 100 */
	uint32_t ndis_major, ndis_minor;
};
struct nvsp_send_recv_buf {      /* 101 */
	uint32_t gpadl_handle;
	uint16_t id;
	uint16_t reserved;
};
struct nvsp_recv_buf_section {
	uint32_t offset;             /* must be 0 */
	uint32_t sub_alloc_size;
	uint32_t num_sub_allocs;
	uint32_t end_offset;
};
struct nvsp_send_recv_buf_complete { /* 102 */
	uint32_t status;
	uint32_t num_sections;       /* 1 */
	struct nvsp_recv_buf_section sections[1];
};
struct nvsp_revoke_buf {         /* 103, 106 */
	uint16_t id;
};
struct nvsp_send_send_buf {      /* 104 */
	uint32_t gpadl_handle;
	uint16_t id;
	uint16_t reserved;
};
struct nvsp_send_send_buf_complete { /* 105 */
	uint32_t status;
	uint32_t section_size;
};
struct nvsp_send_rndis_pkt {     /* 107 */
	uint32_t channel_type;       /* NVSP_RNDIS_CHANNEL_DATA / _CONTROL */
	uint32_t send_buf_section_index; /* NVSP_NO_SECTION: GPA direct */
	uint32_t send_buf_section_size;
};
struct nvsp_send_rndis_pkt_complete { /* 108 */
	uint32_t status;
};
struct nvsp_send_ndis_config {   /* 125 */
	uint32_t mtu;                /* MTU + 14 */
	uint32_t reserved;
	uint64_t capabilities;
};

struct nvsp_msg {
	uint32_t type;
	union {
		struct nvsp_init init;
		struct nvsp_init_complete init_complete;
		struct nvsp_send_ndis_ver ndis_ver;
		struct nvsp_send_recv_buf recv_buf;
		struct nvsp_send_recv_buf_complete recv_buf_complete;
		struct nvsp_revoke_buf revoke;
		struct nvsp_send_send_buf send_buf;
		struct nvsp_send_send_buf_complete send_buf_complete;
		struct nvsp_send_rndis_pkt rndis_pkt;
		struct nvsp_send_rndis_pkt_complete rndis_pkt_complete;
		struct nvsp_send_ndis_config ndis_config;
		uint8_t raw[NVSP_MSG_SIZE - 4];
	};
};
static_assert(sizeof(struct nvsp_msg) == NVSP_MSG_SIZE, "NVSP message is 40 bytes");
static_assert(offsetof(struct nvsp_msg, recv_buf_complete.sections) == 12, "sections @12");
static_assert(offsetof(struct nvsp_msg, rndis_pkt.send_buf_section_size) == 12, "size @12");
static_assert(offsetof(struct nvsp_msg, ndis_config.capabilities) == 12, "caps @12");

#pragma pack(pop)

/* --- RNDIS ------------------------------------------------------------ */

#define RNDIS_MSG_PACKET 0x00000001u
#define RNDIS_MSG_INIT 0x00000002u
#define RNDIS_MSG_INIT_C 0x80000002u
#define RNDIS_MSG_HALT 0x00000003u
#define RNDIS_MSG_QUERY 0x00000004u
#define RNDIS_MSG_QUERY_C 0x80000004u
#define RNDIS_MSG_SET 0x00000005u
#define RNDIS_MSG_SET_C 0x80000005u
#define RNDIS_MSG_RESET 0x00000006u
#define RNDIS_MSG_RESET_C 0x80000006u
#define RNDIS_MSG_INDICATE 0x00000007u
#define RNDIS_MSG_KEEPALIVE 0x00000008u
#define RNDIS_MSG_KEEPALIVE_C 0x80000008u
#define RNDIS_MSG_SET_EX 0x00000009u /* OpenVMM: defined, not implemented */

#define RNDIS_STATUS_SUCCESS 0x00000000u
#define RNDIS_STATUS_FAILURE 0xC0000001u
#define RNDIS_STATUS_NOT_SUPPORTED 0xC00000BBu
#define RNDIS_STATUS_INVALID_DATA 0xC0010015u
#define RNDIS_STATUS_MEDIA_CONNECT 0x4001000Bu
#define RNDIS_STATUS_MEDIA_DISCONNECT 0x4001000Cu
#define RNDIS_STATUS_LINK_SPEED_CHANGE 0x40010013u
#define RNDIS_STATUS_NETWORK_CHANGE 0x40010018u

#define OID_GEN_MAXIMUM_FRAME_SIZE 0x00010106u
#define OID_GEN_LINK_SPEED 0x00010107u
#define OID_GEN_CURRENT_PACKET_FILTER 0x0001010Eu
#define OID_GEN_MAXIMUM_TOTAL_SIZE 0x00010111u
#define OID_GEN_MEDIA_CONNECT_STATUS 0x00010114u
#define OID_802_3_PERMANENT_ADDRESS 0x01010101u
#define OID_802_3_CURRENT_ADDRESS 0x01010102u

#define NDIS_PACKET_TYPE_DIRECTED 0x01u
#define NDIS_PACKET_TYPE_MULTICAST 0x02u
#define NDIS_PACKET_TYPE_ALL_MULTICAST 0x04u
#define NDIS_PACKET_TYPE_BROADCAST 0x08u
#define NDIS_PACKET_TYPE_PROMISCUOUS 0x20u

#pragma pack(push, 1)

/* Every RNDIS message starts so; offsets inside a message are relative to
 * byte 8 (the field after MessageLength). */
struct rndis_hdr {
	uint32_t msg_type;
	uint32_t msg_len; /* whole message, these 8 bytes included */
};

struct rndis_init {              /* 24 bytes */
	struct rndis_hdr hdr;
	uint32_t request_id;
	uint32_t major, minor;       /* 1.0 */
	uint32_t max_transfer_size;
};
struct rndis_init_c {            /* 52 bytes */
	struct rndis_hdr hdr;
	uint32_t request_id;
	uint32_t status;
	uint32_t major, minor;
	uint32_t device_flags;
	uint32_t medium;             /* 0 = 802.3 */
	uint32_t max_packets_per_msg;
	uint32_t max_transfer_size;
	uint32_t packet_alignment;   /* alignment = 1 << this */
	uint32_t af_list_offset, af_list_size;
};
struct rndis_halt {              /* 12 bytes */
	struct rndis_hdr hdr;
	uint32_t request_id;
};
struct rndis_query {             /* 28 bytes + buffer; SET has the same layout */
	struct rndis_hdr hdr;
	uint32_t request_id;
	uint32_t oid;
	uint32_t info_len;
	uint32_t info_offset;        /* from byte 8: 20 puts the buffer at byte 28 */
	uint32_t device_vc_handle;
};
struct rndis_query_c {           /* 24 bytes + buffer */
	struct rndis_hdr hdr;
	uint32_t request_id;
	uint32_t status;
	uint32_t info_len;
	uint32_t info_offset;        /* from byte 8 */
};
struct rndis_set_c {             /* 16 bytes */
	struct rndis_hdr hdr;
	uint32_t request_id;
	uint32_t status;
};
struct rndis_indicate {          /* 20 bytes + buffer */
	struct rndis_hdr hdr;
	uint32_t status;
	uint32_t status_len;
	uint32_t status_offset;      /* from byte 8 */
};
struct rndis_keepalive_c {
	struct rndis_hdr hdr;
	uint32_t request_id;
	uint32_t status;
};
struct rndis_packet {            /* 44-byte header; frame at 8 + data_offset */
	struct rndis_hdr hdr;
	uint32_t data_offset;
	uint32_t data_len;
	uint32_t oob_offset, oob_len, oob_count;
	uint32_t ppi_offset;         /* per-packet info at 8 + ppi_offset */
	uint32_t ppi_len;
	uint32_t vc_handle;
	uint32_t reserved;
};
struct rndis_ppi {               /* per-packet-info element header */
	uint32_t size;               /* whole element */
	uint32_t type;
	uint32_t offset;             /* from the element to its data, normally 12 */
};

#pragma pack(pop)

static_assert(sizeof(struct rndis_init) == 24, "INITIALIZE is 24 bytes");
static_assert(sizeof(struct rndis_init_c) == 52, "INITIALIZE_CMPLT is 52 bytes");
static_assert(sizeof(struct rndis_query) == 28, "QUERY is 28 bytes");
static_assert(sizeof(struct rndis_query_c) == 24, "QUERY_CMPLT is 24 bytes");
static_assert(sizeof(struct rndis_set_c) == 16, "SET_CMPLT is 16 bytes");
static_assert(sizeof(struct rndis_indicate) == 20, "INDICATE_STATUS is 20 bytes");
static_assert(sizeof(struct rndis_packet) == 44, "PACKET header is 44 bytes");
static_assert(sizeof(struct rndis_ppi) == 12, "PPI header is 12 bytes");

#define RNDIS_HEADER_OFFSET 8u /* offsets in RNDIS messages count from here */
#define ETH_FRAME_MAX 1514u    /* MTU 1500 + Ethernet header */

#endif
