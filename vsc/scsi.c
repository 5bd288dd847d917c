/* SCSI helpers. Sense data comes from the host: parsed only within len. */
#include "scsi.h"

#include <string.h>

bool scsi_sense_parse(const uint8_t *s, uint32_t len, struct scsi_sense *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return false;
	out->response = s[0] & 0x7f;
	switch (out->response) {
	case SENSE_FIXED_CURRENT:
	case SENSE_FIXED_DEFERRED:
		/* key at 2; ASC/ASCQ at 12/13 need the additional length to
		 * reach them (byte 7 counts bytes after byte 7). */
		if (len < 3)
			return false;
		out->key = s[2] & 0x0f;
		if (len >= 14 && s[7] >= 6) {
			out->asc = s[12];
			out->ascq = s[13];
		}
		if (len >= 7 && (s[0] & 0x80)) {
			out->info_valid = true;
			out->info = scsi_get_be32(s + 3);
		}
		break;
	case SENSE_DESC_CURRENT:
	case SENSE_DESC_DEFERRED: {
		uint32_t end, pos = 8;

		if (len < 4)
			return false;
		out->key = s[1] & 0x0f;
		out->asc = s[2];
		out->ascq = s[3];
		/* Descriptors after byte 8, bounded by both lengths; type 0
		 * is "information" (12 bytes: 0, 0x0a, valid bit, 0, 8 bytes). */
		end = len >= 8 ? 8u + s[7] : 0;
		if (end > len)
			end = len;
		while (pos + 2 <= end) {
			uint32_t dlen = 2u + s[pos + 1];

			if (pos + dlen > end)
				break;
			if (s[pos] == 0x00 && dlen >= 12 && (s[pos + 2] & 0x80)) {
				out->info_valid = true;
				out->info = scsi_get_be64(s + pos + 4);
			}
			pos += dlen; /* dlen >= 2: always advances */
		}
		break;
	}
	default:
		return false;
	}
	out->valid = true;
	return true;
}

const char *scsi_sense_key_name(uint8_t key)
{
	static const char *const names[16] = {
		"NO SENSE",        "RECOVERED ERROR", "NOT READY",      "MEDIUM ERROR",
		"HARDWARE ERROR",  "ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT",
		"BLANK CHECK",     "VENDOR SPECIFIC", "COPY ABORTED",   "ABORTED COMMAND",
		"EQUAL",           "VOLUME OVERFLOW", "MISCOMPARE",     "RESERVED",
	};
	return names[key & 0x0f];
}

const char *scsi_asc_name(uint8_t asc, uint8_t ascq)
{
	static const struct {
		uint8_t asc, ascq; /* ascq 0xff: any */
		const char *name;
	} table[] = {
		{ 0x04, 0xff, "logical unit not ready" },
		{ 0x03, 0x00, "write fault" },
		{ 0x11, 0x00, "unrecovered read error" },
		{ 0x1a, 0x00, "parameter list length error" },
		{ 0x20, 0x00, "invalid command operation code" },
		{ 0x21, 0x00, "logical block address out of range" },
		{ 0x24, 0x00, "invalid field in CDB" },
		{ 0x25, 0x00, "logical unit not supported" },
		{ 0x26, 0x00, "invalid field in parameter list" },
		{ 0x27, 0x00, "write protected" },
		{ 0x28, 0x00, "not ready to ready change, medium may have changed" },
		{ 0x29, 0xff, "power on, reset or bus device reset occurred" },
		{ 0x2a, 0x09, "capacity data has changed" },
		{ 0x2a, 0xff, "parameters changed" },
		{ 0x3a, 0xff, "medium not present" },
		{ 0x3f, 0xff, "operating conditions have changed" },
	};
	for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].asc == asc && (table[i].ascq == 0xff || table[i].ascq == ascq))
			return table[i].name;
	return NULL;
}

const char *scsi_status_name(uint8_t st)
{
	switch (st) {
	case SCSI_STATUS_GOOD: return "GOOD";
	case SCSI_STATUS_CHECK_CONDITION: return "CHECK CONDITION";
	case SCSI_STATUS_CONDITION_MET: return "CONDITION MET";
	case SCSI_STATUS_BUSY: return "BUSY";
	case SCSI_STATUS_RESERVATION_CONFLICT: return "RESERVATION CONFLICT";
	case SCSI_STATUS_TASK_SET_FULL: return "TASK SET FULL";
	case SCSI_STATUS_ACA_ACTIVE: return "ACA ACTIVE";
	case SCSI_STATUS_TASK_ABORTED: return "TASK ABORTED";
	default: return "unknown status";
	}
}

const char *srb_status_name(uint8_t s)
{
	switch (s & 0x3f) {
	case 0x00: return "PENDING";
	case 0x01: return "SUCCESS";
	case 0x02: return "ABORTED";
	case 0x03: return "ABORT_FAILED";
	case 0x04: return "ERROR";
	case 0x05: return "BUSY";
	case 0x06: return "INVALID_REQUEST";
	case 0x07: return "INVALID_PATH_ID";
	case 0x08: return "NO_DEVICE";
	case 0x09: return "TIMEOUT";
	case 0x0a: return "SELECTION_TIMEOUT";
	case 0x0b: return "COMMAND_TIMEOUT";
	case 0x0e: return "BUS_RESET";
	case 0x12: return "DATA_OVERRUN";
	case 0x20: return "INVALID_LUN";
	case 0x21: return "INVALID_TARGET_ID";
	case 0x22: return "BAD_FUNCTION";
	case 0x30: return "INTERNAL_ERROR";
	default: return "unknown SRB status";
	}
}

const char *scsi_opcode_name(uint8_t op)
{
	switch (op) {
	case SCSI_TEST_UNIT_READY: return "TEST UNIT READY";
	case SCSI_INQUIRY: return "INQUIRY";
	case SCSI_READ_CAPACITY_10: return "READ CAPACITY(10)";
	case SCSI_SERVICE_ACTION_IN_16: return "READ CAPACITY(16)";
	case SCSI_READ_10: return "READ(10)";
	case SCSI_READ_16: return "READ(16)";
	case SCSI_WRITE_10: return "WRITE(10)";
	case SCSI_WRITE_16: return "WRITE(16)";
	case SCSI_REPORT_LUNS: return "REPORT LUNS";
	default: return "SCSI command";
	}
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

unsigned scsi_cdb_read(uint8_t cdb[16], uint64_t lba, uint32_t blocks)
{
	memset(cdb, 0, 16);
	if (lba + blocks <= 0xffffffffull && blocks <= 0xffff) {
		cdb[0] = SCSI_READ_10;
		put_be32(cdb + 2, (uint32_t)lba);
		cdb[7] = (uint8_t)(blocks >> 8);
		cdb[8] = (uint8_t)blocks;
		return 10;
	}
	cdb[0] = SCSI_READ_16;
	put_be32(cdb + 2, (uint32_t)(lba >> 32));
	put_be32(cdb + 6, (uint32_t)lba);
	put_be32(cdb + 10, blocks);
	return 16;
}

unsigned scsi_cdb_inquiry(uint8_t cdb[16], bool evpd, uint8_t page, uint16_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_INQUIRY;
	cdb[1] = evpd ? 1 : 0;
	cdb[2] = page;
	cdb[3] = (uint8_t)(alloc >> 8);
	cdb[4] = (uint8_t)alloc;
	return 6;
}

unsigned scsi_cdb_read_capacity10(uint8_t cdb[16])
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_READ_CAPACITY_10;
	return 10;
}

unsigned scsi_cdb_read_capacity16(uint8_t cdb[16], uint32_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_SERVICE_ACTION_IN_16;
	cdb[1] = SCSI_SAI_READ_CAPACITY_16;
	put_be32(cdb + 10, alloc);
	return 16;
}

unsigned scsi_cdb_report_luns(uint8_t cdb[16], uint32_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_REPORT_LUNS;
	put_be32(cdb + 6, alloc);
	return 12;
}

unsigned scsi_cdb_test_unit_ready(uint8_t cdb[16])
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_TEST_UNIT_READY;
	return 6;
}
