/* VMBus channel-management messages (facts section 3): the payload of a
 * SynIC message of type 1. Shared by the guest and hvsim's VMBus server.
 * Every struct is packed; every size the protocol fixes is asserted. */
#ifndef VMBUS_PROTO_H
#define VMBUS_PROTO_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/guid.h"

/* Versions, (major << 16) | minor (facts 3.3). */
#define VMBUS_VERSION_WS2008 0x0000000Du  /* 0.13 */
#define VMBUS_VERSION_WIN7 0x00010001u    /* 1.1 */
#define VMBUS_VERSION_WIN8 0x00020004u    /* 2.4 */
#define VMBUS_VERSION_WIN8_1 0x00030000u  /* 3.0 */
#define VMBUS_VERSION_WIN10 0x00040000u   /* 4.0 */
#define VMBUS_VERSION_WIN10_V4_1 0x00040001u
#define VMBUS_VERSION_WIN10_V5 0x00050000u
#define VMBUS_VERSION_WIN10_V5_1 0x00050001u
#define VMBUS_VERSION_WIN10_V5_2 0x00050002u
#define VMBUS_VERSION_WIN10_V5_3 0x00050003u
#define VMBUS_VERSION_COPPER 0x00060000u  /* 6.0 */
#define VMBUS_VERSION_MAJOR(v) ((v) >> 16)
#define VMBUS_VERSION_MINOR(v) ((v)&0xffff)

struct vmbus_version_info {
	uint32_t version;
	const char *name;     /* e.g. "WIN10_V5_3" */
	const char *text;     /* e.g. "5.3" */
};
/* The 11 versions, newest first. */
extern const struct vmbus_version_info vmbus_versions[];
extern const unsigned vmbus_version_count;
const struct vmbus_version_info *vmbus_version_lookup(uint32_t version);
/* Accepts "5.3", "0.13", "COPPER", "WIN10_V5_3" or a number (0x50003); returns 0 or -EINVAL. */
int vmbus_version_parse(const char *s, uint32_t *version);

/* Connection ids (facts 2.5) */
#define VMBUS_MESSAGE_CONNECTION_ID 1u
#define VMBUS_EVENT_CONNECTION_ID 2u
#define VMBUS_MONITOR_CONNECTION_ID 3u
#define VMBUS_MESSAGE_CONNECTION_ID_4 4u /* INITIATE_CONTACT at >= 5.0 */
#define VMBUS_MESSAGE_SINT 2u
#define VMBUS_MAX_RELID 2047u            /* one SIEF bit per relid */
#define VMBUS_MONITOR_IDS 128u

enum vmbus_msgtype {
	VMBUS_MSG_INVALID = 0,
	VMBUS_MSG_OFFERCHANNEL = 1,
	VMBUS_MSG_RESCIND_CHANNELOFFER = 2,
	VMBUS_MSG_REQUESTOFFERS = 3,
	VMBUS_MSG_ALLOFFERS_DELIVERED = 4,
	VMBUS_MSG_OPENCHANNEL = 5,
	VMBUS_MSG_OPENCHANNEL_RESULT = 6,
	VMBUS_MSG_CLOSECHANNEL = 7,
	VMBUS_MSG_GPADL_HEADER = 8,
	VMBUS_MSG_GPADL_BODY = 9,
	VMBUS_MSG_GPADL_CREATED = 10,
	VMBUS_MSG_GPADL_TEARDOWN = 11,
	VMBUS_MSG_GPADL_TORNDOWN = 12,
	VMBUS_MSG_RELID_RELEASED = 13,
	VMBUS_MSG_INITIATE_CONTACT = 14,
	VMBUS_MSG_VERSION_RESPONSE = 15,
	VMBUS_MSG_UNLOAD = 16,
	VMBUS_MSG_UNLOAD_RESPONSE = 17,
	VMBUS_MSG_OPEN_RESERVED_CHANNEL = 18,
	VMBUS_MSG_CLOSE_RESERVED_CHANNEL = 19,
	VMBUS_MSG_CLOSE_RESERVED_RESPONSE = 20,
	VMBUS_MSG_TL_CONNECT_REQUEST = 21,
	VMBUS_MSG_MODIFYCHANNEL = 22,
	VMBUS_MSG_TL_CONNECT_RESULT = 23,
	VMBUS_MSG_MODIFYCHANNEL_RESPONSE = 24,
	VMBUS_MSG_MODIFY_CONNECTION = 25,
	VMBUS_MSG_MODIFY_CONNECTION_RESPONSE = 26,
	VMBUS_MSG_PAUSE = 27,
	VMBUS_MSG_PAUSE_RESPONSE = 28,
	VMBUS_MSG_RESUME = 29,
	VMBUS_MSG_COUNT
};
/* "OFFERCHANNEL" etc.; "UNKNOWN" outside the table. */
const char *vmbus_msg_name(uint32_t msgtype);
/* Smallest valid payload for a host->guest message type, 0 when the type is
 * not one a host sends (facts 3.1 table). */
uint32_t vmbus_msg_min_size(uint32_t msgtype);

#pragma pack(push, 1)

struct vmbus_msg_header {
	uint32_t msgtype;
	uint32_t padding; /* send 0 */
};

/* OFFERCHANNEL (1), 196 bytes (190 from a WS2008 host). */
struct vmbus_msg_offer {
	struct vmbus_msg_header hdr;
	struct guid if_type;        /* device class (facts 8) */
	struct guid if_instance;    /* sub-channels repeat their primary's */
	uint64_t reserved1;         /* channel latency before WIN8; ignore */
	uint64_t reserved2;
	uint16_t chn_flags;         /* VMBUS_OFFER_FLAG_* */
	uint16_t mmio_megabytes;
	uint8_t user_def[120];      /* device specific */
	uint16_t sub_channel_index; /* >= WIN8: 0 = primary */
	uint16_t mmio_megabytes_optional;
	uint32_t child_relid;       /* >= 1 */
	uint8_t monitorid;          /* valid only if monitor_allocated */
	uint8_t monitor_allocated;  /* bit 0; >= WIN7 */
	uint16_t interrupt_flags;   /* bit 0 is_dedicated_interrupt; >= WIN7 */
	uint32_t connection_id;     /* guest->host signal connection; >= WIN7 */
};
#define VMBUS_OFFER_SIZE 196u
#define VMBUS_OFFER_SIZE_WS2008 190u /* no interrupt flags, no connection id */
static_assert(sizeof(struct vmbus_msg_offer) == VMBUS_OFFER_SIZE, "offer is 196 bytes");
static_assert(offsetof(struct vmbus_msg_offer, chn_flags) == 56, "chn_flags @56");
static_assert(offsetof(struct vmbus_msg_offer, sub_channel_index) == 180, "subch @180");
static_assert(offsetof(struct vmbus_msg_offer, child_relid) == 184, "relid @184");
static_assert(offsetof(struct vmbus_msg_offer, monitorid) == 188, "monitorid @188");
static_assert(offsetof(struct vmbus_msg_offer, interrupt_flags) == 190, "int flags @190");
static_assert(offsetof(struct vmbus_msg_offer, connection_id) == 192, "conn id @192");

#define VMBUS_OFFER_FLAG_ENUMERATE_DEVICE_INTERFACE 0x0001u
#define VMBUS_OFFER_FLAG_NAMED_PIPE_MODE 0x0010u
#define VMBUS_OFFER_FLAG_TLNPI_PROVIDER 0x2000u
#define VMBUS_OFFER_DEDICATED_INTERRUPT 0x0001u
#define VMBUS_OFFER_MONITOR_ALLOCATED 0x01u

/* RESCIND_CHANNELOFFER (2), CLOSECHANNEL (7), RELID_RELEASED (13): 12 bytes. */
struct vmbus_msg_relid {
	struct vmbus_msg_header hdr;
	uint32_t child_relid;
};
static_assert(sizeof(struct vmbus_msg_relid) == 12, "relid message is 12 bytes");

/* OPENCHANNEL (5), 148 bytes. */
struct vmbus_msg_open_channel {
	struct vmbus_msg_header hdr;
	uint32_t child_relid;
	uint32_t openid;                 /* echoed in OPENCHANNEL_RESULT */
	uint32_t ringbuffer_gpadl;
	uint32_t target_vp;              /* VP_INDEX; 0xFFFFFFFF = no interrupts */
	uint32_t downstream_page_offset; /* first page of the host->guest ring */
	uint8_t userdata[120];
};
static_assert(sizeof(struct vmbus_msg_open_channel) == 148, "OPENCHANNEL is 148 bytes");

/* OPENCHANNEL_RESULT (6), 20 bytes. */
struct vmbus_msg_open_result {
	struct vmbus_msg_header hdr;
	uint32_t child_relid;
	uint32_t openid;
	uint32_t status; /* 0 = success */
};
static_assert(sizeof(struct vmbus_msg_open_result) == 20, "OPENCHANNEL_RESULT is 20 bytes");

/* GPADL_HEADER (8): 28 + 8 n bytes, n <= 26. */
#define VMBUS_GPADL_HEADER_PFNS 26u
#define VMBUS_GPADL_BODY_PFNS 28u
struct vmbus_msg_gpadl_header {
	struct vmbus_msg_header hdr;
	uint32_t child_relid;
	uint32_t gpadl;        /* guest-chosen, non-zero, unique per connection */
	uint16_t range_buflen; /* bytes of all ranges incl. PFNs: 8 + 8 n for one range */
	uint16_t rangecount;
	uint32_t byte_count;   /* range[0] */
	uint32_t byte_offset;
	uint64_t pfn[VMBUS_GPADL_HEADER_PFNS];
};
static_assert(offsetof(struct vmbus_msg_gpadl_header, pfn) == 28, "header PFNs @28");
static_assert(sizeof(struct vmbus_msg_gpadl_header) == 236, "GPADL_HEADER max 236 bytes");

/* GPADL_BODY (9): 16 + 8 n bytes, n <= 28. */
struct vmbus_msg_gpadl_body {
	struct vmbus_msg_header hdr;
	uint32_t msgnumber; /* 0 */
	uint32_t gpadl;
	uint64_t pfn[VMBUS_GPADL_BODY_PFNS];
};
static_assert(offsetof(struct vmbus_msg_gpadl_body, pfn) == 16, "body PFNs @16");
static_assert(sizeof(struct vmbus_msg_gpadl_body) == 240, "GPADL_BODY max 240 bytes");

/* GPADL_CREATED (10), 20 bytes. */
struct vmbus_msg_gpadl_created {
	struct vmbus_msg_header hdr;
	uint32_t child_relid;
	uint32_t gpadl;
	uint32_t status; /* 0 = success */
};
static_assert(sizeof(struct vmbus_msg_gpadl_created) == 20, "GPADL_CREATED is 20 bytes");

/* GPADL_TEARDOWN (11), 16 bytes. */
struct vmbus_msg_gpadl_teardown {
	struct vmbus_msg_header hdr;
	uint32_t child_relid;
	uint32_t gpadl;
};
static_assert(sizeof(struct vmbus_msg_gpadl_teardown) == 16, "GPADL_TEARDOWN is 16 bytes");

/* GPADL_TORNDOWN (12), 12 bytes. */
struct vmbus_msg_gpadl_torndown {
	struct vmbus_msg_header hdr;
	uint32_t gpadl;
};
static_assert(sizeof(struct vmbus_msg_gpadl_torndown) == 12, "GPADL_TORNDOWN is 12 bytes");

/* INITIATE_CONTACT (14), 40 bytes (56 with a 6.0 client id, unused here).
 * Offset 16 is the interrupt page GPA below 5.0 and msg_sint/msg_vtl/
 * feature_flags from 5.0 on. */
struct vmbus_msg_initiate_contact {
	struct vmbus_msg_header hdr;
	uint32_t version;
	uint32_t target_vcpu;
	union {
		uint64_t interrupt_page; /* < 5.0 */
		struct {
			uint8_t msg_sint;       /* >= 5.0: 2 */
			uint8_t msg_vtl;        /* >= 5.1: 0 */
			uint16_t reserved;
			uint32_t feature_flags; /* >= 6.0 */
		};
	};
	uint64_t monitor_page1; /* host->guest; both or neither */
	uint64_t monitor_page2; /* guest->host */
};
static_assert(sizeof(struct vmbus_msg_initiate_contact) == 40, "INITIATE_CONTACT is 40 bytes");

/* VERSION_RESPONSE (15), 16 bytes (20 at 6.0 with supported_features). */
struct vmbus_msg_version_response {
	struct vmbus_msg_header hdr;
	uint8_t version_supported; /* non-zero = accepted */
	uint8_t connection_state;  /* 0 = success; garbage below WIN8 */
	uint16_t padding;
	uint32_t msg_conn_id;      /* >= 5.0: connection for later posts; < 5.0: the version */
	uint32_t supported_features; /* 6.0 only */
};
#define VMBUS_VERSION_RESPONSE_SIZE 16u
#define VMBUS_VERSION_RESPONSE_SIZE_V6 20u
static_assert(sizeof(struct vmbus_msg_version_response) == 20, "VERSION_RESPONSE is 16/20 bytes");

#pragma pack(pop)

#endif
