/* SCSI helpers for storvsc: CDB builders, sense parsing (fixed and
 * descriptor formats, bounded by what the host returned) and names for
 * error sentences. Pure functions, no I/O. */
#ifndef VSC_SCSI_H
#define VSC_SCSI_H

#include <stdbool.h>
#include <stdint.h>

#include "scsi_proto.h"

struct scsi_sense {
	bool valid;
	uint8_t response; /* 0x70..0x73 */
	uint8_t key, asc, ascq;
	bool info_valid;
	uint64_t info;    /* e.g. the failing LBA */
};

/* Parse len bytes of sense data; false (and valid = false) if it is not a
 * sense record we understand or is too short for its format. */
bool scsi_sense_parse(const uint8_t *sense, uint32_t len, struct scsi_sense *out);

const char *scsi_sense_key_name(uint8_t key);
/* "unrecovered read error", or NULL when not in our table. */
const char *scsi_asc_name(uint8_t asc, uint8_t ascq);
const char *scsi_status_name(uint8_t status);
const char *srb_status_name(uint8_t srb_status); /* the code, flags masked */
const char *scsi_opcode_name(uint8_t opcode);

/* CDB builders; each returns the CDB length. */
unsigned scsi_cdb_read(uint8_t cdb[16], uint64_t lba, uint32_t blocks); /* READ(10) or (16) */
unsigned scsi_cdb_inquiry(uint8_t cdb[16], bool evpd, uint8_t page, uint16_t alloc);
unsigned scsi_cdb_read_capacity10(uint8_t cdb[16]);
unsigned scsi_cdb_read_capacity16(uint8_t cdb[16], uint32_t alloc);
unsigned scsi_cdb_report_luns(uint8_t cdb[16], uint32_t alloc);
unsigned scsi_cdb_test_unit_ready(uint8_t cdb[16]);

/* Big-endian helpers for CDBs and SCSI data. */
static inline uint32_t scsi_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t scsi_get_be64(const uint8_t *p)
{
	return (uint64_t)scsi_get_be32(p) << 32 | scsi_get_be32(p + 4);
}

#endif
