/* SCSI (SPC/SBC) as storvsc uses it: operation codes, status, sense keys,
 * the fixed and descriptor sense formats. Shared by the guest and hvsim. */
#ifndef VSC_SCSI_PROTO_H
#define VSC_SCSI_PROTO_H

#include <stdint.h>

enum scsi_opcode {
	SCSI_TEST_UNIT_READY = 0x00,
	SCSI_REQUEST_SENSE = 0x03,
	SCSI_INQUIRY = 0x12,
	SCSI_READ_CAPACITY_10 = 0x25,
	SCSI_READ_10 = 0x28,
	SCSI_WRITE_10 = 0x2A,
	SCSI_READ_16 = 0x88,
	SCSI_WRITE_16 = 0x8A,
	SCSI_SERVICE_ACTION_IN_16 = 0x9E, /* service action 0x10: READ CAPACITY (16) */
	SCSI_REPORT_LUNS = 0xA0,
};
#define SCSI_SAI_READ_CAPACITY_16 0x10

/* SAM status */
enum scsi_status {
	SCSI_STATUS_GOOD = 0x00,
	SCSI_STATUS_CHECK_CONDITION = 0x02,
	SCSI_STATUS_CONDITION_MET = 0x04,
	SCSI_STATUS_BUSY = 0x08,
	SCSI_STATUS_RESERVATION_CONFLICT = 0x18,
	SCSI_STATUS_TASK_SET_FULL = 0x28,
	SCSI_STATUS_ACA_ACTIVE = 0x30,
	SCSI_STATUS_TASK_ABORTED = 0x40,
};

enum scsi_sense_key {
	SENSE_NO_SENSE = 0x0,
	SENSE_RECOVERED_ERROR = 0x1,
	SENSE_NOT_READY = 0x2,
	SENSE_MEDIUM_ERROR = 0x3,
	SENSE_HARDWARE_ERROR = 0x4,
	SENSE_ILLEGAL_REQUEST = 0x5,
	SENSE_UNIT_ATTENTION = 0x6,
	SENSE_DATA_PROTECT = 0x7,
	SENSE_BLANK_CHECK = 0x8,
	SENSE_VENDOR_SPECIFIC = 0x9,
	SENSE_COPY_ABORTED = 0xA,
	SENSE_ABORTED_COMMAND = 0xB,
	SENSE_VOLUME_OVERFLOW = 0xD,
	SENSE_MISCOMPARE = 0xE,
};

/* Sense response codes (byte 0 & 0x7f) */
#define SENSE_FIXED_CURRENT 0x70
#define SENSE_FIXED_DEFERRED 0x71
#define SENSE_DESC_CURRENT 0x72
#define SENSE_DESC_DEFERRED 0x73
/* Fixed format: key byte 2 bits 3..0, ASC byte 12, ASCQ byte 13, additional
 * length byte 7. Descriptor format: key byte 1, ASC 2, ASCQ 3, additional
 * length byte 7, descriptors from byte 8. */

/* ASC/ASCQ used here */
#define ASC_LUN_NOT_READY 0x04
#define ASC_UNRECOVERED_READ_ERROR 0x11
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD_IN_CDB 0x24
#define ASC_LUN_NOT_SUPPORTED 0x25
#define ASC_WRITE_PROTECTED 0x27
#define ASC_POWER_ON_RESET 0x29
#define ASC_PARAMETERS_CHANGED 0x2A
#define ASC_MEDIUM_NOT_PRESENT 0x3A
#define ASC_OPERATING_CONDITIONS_CHANGED 0x3F

/* INQUIRY standard data: peripheral byte 0 (qualifier 7:5, type 4:0),
 * vendor 8..15, product 16..31, revision 32..35. */
#define INQUIRY_PERIPHERAL_NOT_PRESENT 0x7F

/* Added for hvsim's disk: INQUIRY CDB byte 1 bit 0 asks for the VPD page in
 * byte 2; the two VPD pages every disk has; fixed-format sense is 18 bytes
 * (additional length 10) and byte 0 bit 7 says the information field
 * (bytes 3..6) is valid; a write the medium could not take. */
#define INQUIRY_EVPD 0x01
#define VPD_SUPPORTED_PAGES 0x00
#define VPD_UNIT_SERIAL_NUMBER 0x80
#define SENSE_FIXED_LEN 18
#define SENSE_INFO_VALID 0x80
#define ASC_WRITE_ERROR 0x0C

#endif
