/* storvsc wire format (facts section 5): the vstor_packet carried inband or
 * behind a GPA-direct header, the vm_srb inside it, properties, operations,
 * protocol versions, SRB and NT status codes. Shared by the guest
 * (vsc/storvsc.c) and hvsim's storvsp. */
#ifndef VSC_STORVSC_PROTO_H
#define VSC_STORVSC_PROTO_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/* Protocol versions, major << 8 | minor. */
#define STORVSC_VERSION_WIN6 0x0200u
#define STORVSC_VERSION_WIN7 0x0402u
#define STORVSC_VERSION_WIN8 0x0501u
#define STORVSC_VERSION_WIN8_1 0x0600u
#define STORVSC_VERSION_WIN10 0x0602u

enum vstor_operation {
	VSTOR_OP_COMPLETE_IO = 1,
	VSTOR_OP_REMOVE_DEVICE = 2,
	VSTOR_OP_EXECUTE_SRB = 3,
	VSTOR_OP_RESET_LUN = 4,
	VSTOR_OP_RESET_ADAPTER = 5,
	VSTOR_OP_RESET_BUS = 6,
	VSTOR_OP_BEGIN_INITIALIZATION = 7,
	VSTOR_OP_END_INITIALIZATION = 8,
	VSTOR_OP_QUERY_PROTOCOL_VERSION = 9,
	VSTOR_OP_QUERY_PROPERTIES = 10,
	VSTOR_OP_ENUMERATE_BUS = 11,
	VSTOR_OP_FCHBA_DATA = 12,
	VSTOR_OP_CREATE_SUB_CHANNELS = 13,
};
#define VSTOR_FLAG_REQUEST_COMPLETION 1u

#define VMSTOR_SENSE_SIZE 20u         /* >= WIN8 */
#define VMSTOR_SENSE_SIZE_WIN7 18u    /* WIN6/WIN7 */
#define VMSTOR_SRB_SIZE 52u           /* >= WIN8 */
#define VMSTOR_SRB_SIZE_WIN7 36u      /* WIN6/WIN7: no Win8 extension */
#define VSTOR_PACKET_SIZE 64u         /* 12 + 52 */
#define VSTOR_PACKET_SIZE_WIN7 48u    /* 12 + 36 */

#pragma pack(push, 1)

struct vm_srb {
	uint16_t length;        /* 52, or 36 before WIN8 */
	uint8_t srb_status;     /* completion: SRB_STATUS_* (| 0x80 sense valid) */
	uint8_t scsi_status;    /* completion: SAM status */
	uint8_t port_number;
	uint8_t path_id;
	uint8_t target_id;
	uint8_t lun;
	uint8_t cdb_length;     /* <= 16 */
	uint8_t sense_info_length; /* request: sense room; completion: sense bytes */
	uint8_t data_in;        /* 0 write, 1 read, 2 no data */
	uint8_t reserved;
	uint32_t data_transfer_length; /* request: bytes; completion: bytes moved */
	union {
		uint8_t cdb[16];
		uint8_t sense_data[VMSTOR_SENSE_SIZE];
	};
	/* Win8 extension (absent before WIN8) */
	uint16_t reserve;
	uint8_t queue_tag;
	uint8_t queue_action;
	uint32_t srb_flags;
	uint32_t time_out_value; /* seconds */
	uint32_t queue_sort_key;
};
static_assert(sizeof(struct vm_srb) == VMSTOR_SRB_SIZE, "vm_srb is 52 bytes");
static_assert(offsetof(struct vm_srb, data_transfer_length) == 12, "data_transfer_length @12");
static_assert(offsetof(struct vm_srb, cdb) == 16, "cdb @16");
static_assert(offsetof(struct vm_srb, reserve) == VMSTOR_SRB_SIZE_WIN7, "Win8 extension @36");

struct vstor_properties {
	uint32_t reserved;
	uint16_t max_channel_cnt;
	uint16_t reserved1;
	uint32_t flags;             /* bit 0: multi-channel */
	uint32_t max_transfer_bytes;
	uint64_t reserved2;
};
static_assert(sizeof(struct vstor_properties) == 24, "properties are 24 bytes");

struct vstor_packet {
	uint32_t operation;
	uint32_t flags;   /* VSTOR_FLAG_REQUEST_COMPLETION from the guest; 0 from the host */
	uint32_t status;  /* NTSTATUS from the host */
	union {
		struct vm_srb srb;
		struct vstor_properties properties;
		struct {
			uint16_t major_minor;
			uint16_t revision;
		} version;
		uint16_t sub_channel_count;
		uint8_t raw[52];
	};
};
static_assert(sizeof(struct vstor_packet) == VSTOR_PACKET_SIZE, "vstor_packet is 64 bytes");
static_assert(offsetof(struct vstor_packet, srb) == 12, "payload @12");

#pragma pack(pop)

#define VSTOR_PROPERTIES_MULTI_CHANNEL 1u

/* vm_srb.data_in */
#define VSTOR_DATA_OUT 0u
#define VSTOR_DATA_IN 1u
#define VSTOR_DATA_NONE 2u

/* vm_srb.srb_flags */
#define SRB_FLAGS_QUEUE_ACTION_ENABLE 0x00000002u
#define SRB_FLAGS_DISABLE_SYNCH_TRANSFER 0x00000008u
#define SRB_FLAGS_DATA_IN 0x00000040u
#define SRB_FLAGS_DATA_OUT 0x00000080u
#define SRB_FLAGS_NO_QUEUE_FREEZE 0x00000100u

/* vm_srb.srb_status: low 6 bits the code, 0x40 queue frozen, 0x80 sense valid */
#define SRB_STATUS_CODE(s) ((s)&0x3f)
#define SRB_STATUS_QUEUE_FROZEN 0x40u
#define SRB_STATUS_AUTOSENSE_VALID 0x80u
enum srb_status {
	SRB_STATUS_PENDING = 0x00,
	SRB_STATUS_SUCCESS = 0x01,
	SRB_STATUS_ABORTED = 0x02,
	SRB_STATUS_ERROR = 0x04,
	SRB_STATUS_BUSY = 0x05,
	SRB_STATUS_INVALID_REQUEST = 0x06,
	SRB_STATUS_INVALID_PATH_ID = 0x07,
	SRB_STATUS_NO_DEVICE = 0x08,
	SRB_STATUS_TIMEOUT = 0x09,
	SRB_STATUS_SELECTION_TIMEOUT = 0x0A,
	SRB_STATUS_COMMAND_TIMEOUT = 0x0B,
	SRB_STATUS_BUS_RESET = 0x0E,
	SRB_STATUS_DATA_OVERRUN = 0x12, /* also underrun: a short transfer */
	SRB_STATUS_INVALID_LUN = 0x20,
	SRB_STATUS_INVALID_TARGET_ID = 0x21,
	SRB_STATUS_INTERNAL_ERROR = 0x30,
};

/* NTSTATUS values hosts put in vstor_packet.status (facts 5.2, 5.7). */
#define NT_STATUS_SUCCESS 0x00000000u
#define NT_STATUS_BUFFER_OVERFLOW 0x80000005u
#define NT_STATUS_DEVICE_BUSY 0x80000011u
#define NT_STATUS_UNSUCCESSFUL 0xC0000001u
#define NT_STATUS_INVALID_PARAMETER 0xC000000Du
#define NT_STATUS_INVALID_DEVICE_REQUEST 0xC0000010u
#define NT_STATUS_REVISION_MISMATCH 0xC0000059u
#define NT_STATUS_DEVICE_DOES_NOT_EXIST 0xC00000C0u
#define NT_STATUS_IO_TIMEOUT 0xC00000B5u
#define NT_STATUS_INVALID_DEVICE_STATE 0xC0000184u
#define NT_STATUS_IO_DEVICE_ERROR 0xC0000185u

#endif
