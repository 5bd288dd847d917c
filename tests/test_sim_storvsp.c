/* hvsim's storage VSP, driven through the guest channel layer with
 * hand-built vstor_packets (storvsp_util.c): the handshake at every
 * protocol version, completion sizes, and the SCSI commands against images
 * of known contents, sense and missing LUNs. Host faults are in
 * test_sim_storvsp_faults.c, the guest's mistakes and configuration in
 * test_sim_storvsp_guest.c. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "storvsp_util.h"

/* --- the handshake ------------------------------------------------------- */

TEST(storvsp_handshake_every_version)
{
	static const uint16_t versions[] = { STORVSC_VERSION_WIN6, STORVSC_VERSION_WIN7,
					     STORVSC_VERSION_WIN8, STORVSC_VERSION_WIN8_1,
					     STORVSC_VERSION_WIN10 };

	for (unsigned i = 0; i < ARRAY_SIZE(versions); i++) {
		uint16_t v = versions[i];
		struct vsc c;

		sp_config(&c, 1);
		sp_start(&c);
		sp_handshake(&c, v); /* 48-byte packets below WIN8: 48-byte completions */
		sp_op(&c, VSTOR_OP_QUERY_PROPERTIES, 0);
		CHECK_EQ(c.comp.p.status, NT_STATUS_INVALID_DEVICE_STATE); /* after END */
		CHECK_EQ(sp_stats(&c).version, v);
		/* one ENUMERATE_BUS from WIN7 on, as long as the version's packets */
		CHECK_EQ(c.enumerates, v >= STORVSC_VERSION_WIN7 ? 1 : 0);
		if (c.enumerates) {
			CHECK_EQ(c.enum_type, VMBUS_PKT_DATA_INBAND);
			CHECK_EQ(c.enum_flags, 0);
			CHECK_EQ(c.enum_len, v >= STORVSC_VERSION_WIN8 ? 64 : 48);
		}
		sp_finish(&c);
	}
}

TEST(storvsp_completions_mirror_the_request_size)
{
	struct vsc c;

	sp_config(&c, 0);
	sp_start(&c);
	c.size = VSTOR_PACKET_SIZE_WIN7; /* a Windows-style guest starts small */
	CHECK_EQ(sp_op(&c, VSTOR_OP_BEGIN_INITIALIZATION, 0)->status, 0);
	c.size = VSTOR_PACKET_SIZE;
	CHECK_EQ(sp_op(&c, VSTOR_OP_QUERY_PROTOCOL_VERSION, STORVSC_VERSION_WIN7)->status, 0);
	c.size = VSTOR_PACKET_SIZE_WIN7;
	sp_op(&c, VSTOR_OP_QUERY_PROPERTIES, 0);
	CHECK_EQ(c.comp.p.properties.max_channel_cnt, 0);
	CHECK_EQ(c.comp.p.properties.flags, 0);
	CHECK_EQ(c.comp.p.properties.max_transfer_bytes, 1u << 20);
	c.size = VSTOR_PACKET_SIZE;
	CHECK_EQ(sp_op(&c, VSTOR_OP_END_INITIALIZATION, 0)->status, 0);
	/* a longer request gets 64 bytes, never more */
	{
		uint8_t big[80];

		memset(big, 0, sizeof(big));
		big[0] = VSTOR_OP_RESET_BUS;
		sp_send(&c, big, sizeof(big), 0, 0);
		sp_wait_done(&c);
		CHECK_EQ(c.len, 64);
		CHECK_EQ(c.comp.p.status, 0);
	}
	sp_finish(&c);
}

TEST(storvsp_version_negotiation_and_order)
{
	struct vsc c;

	sp_config(&c, 1);
	c.f.cfg.storvsp_max_version = STORVSC_VERSION_WIN8_1; /* OpenVMM-like */
	sp_start(&c);
	CHECK_EQ(sp_op(&c, VSTOR_OP_QUERY_PROPERTIES, 0)->status, NT_STATUS_INVALID_DEVICE_STATE);
	CHECK_EQ(sp_op(&c, VSTOR_OP_BEGIN_INITIALIZATION, 0)->status, 0);
	CHECK_EQ(sp_op(&c, VSTOR_OP_BEGIN_INITIALIZATION, 0)->status,
		 NT_STATUS_INVALID_DEVICE_STATE);
	CHECK_EQ(sp_op(&c, VSTOR_OP_QUERY_PROTOCOL_VERSION, STORVSC_VERSION_WIN10)->status,
		 NT_STATUS_REVISION_MISMATCH);
	CHECK_EQ(c.comp.p.version.major_minor, STORVSC_VERSION_WIN10); /* echoed */
	CHECK_EQ(sp_op(&c, VSTOR_OP_QUERY_PROTOCOL_VERSION, 0x0500)->status,
		 NT_STATUS_REVISION_MISMATCH);
	CHECK_EQ(sp_op(&c, VSTOR_OP_QUERY_PROTOCOL_VERSION, STORVSC_VERSION_WIN8_1)->status, 0);
	CHECK_EQ(c.comp.p.version.major_minor, STORVSC_VERSION_WIN8_1);
	CHECK_EQ(sp_op(&c, VSTOR_OP_QUERY_PROTOCOL_VERSION, STORVSC_VERSION_WIN8)->status,
		 NT_STATUS_INVALID_DEVICE_STATE);
	CHECK_EQ(sp_op(&c, VSTOR_OP_RESET_BUS, 0)->status, NT_STATUS_INVALID_DEVICE_STATE);
	CHECK_EQ(sp_op(&c, VSTOR_OP_CREATE_SUB_CHANNELS, 1)->status,
		 NT_STATUS_INVALID_DEVICE_STATE);
	CHECK_EQ(sp_op(&c, VSTOR_OP_QUERY_PROPERTIES, 0)->status, 0);
	CHECK_EQ(sp_op(&c, VSTOR_OP_CREATE_SUB_CHANNELS, 1)->status, NT_STATUS_INVALID_PARAMETER);
	{
		uint8_t tur[6] = { SCSI_TEST_UNIT_READY };

		CHECK_EQ(sp_scsi(&c, 0, tur, 6, VSTOR_DATA_NONE, 0, 0)->status,
			 NT_STATUS_INVALID_DEVICE_STATE); /* before END_INITIALIZATION */
		CHECK_EQ(sp_op(&c, VSTOR_OP_END_INITIALIZATION, 0)->status, 0);
		sp_check_good(sp_scsi(&c, 0, tur, 6, VSTOR_DATA_NONE, 0, 0), 0);
	}
	CHECK_EQ(sp_op(&c, VSTOR_OP_RESET_BUS, 0)->status, 0);
	CHECK_EQ(sp_op(&c, VSTOR_OP_RESET_LUN, 0)->status, 0);
	CHECK_EQ(sp_op(&c, VSTOR_OP_RESET_ADAPTER, 0)->status, 0);
	CHECK_EQ(sp_op(&c, VSTOR_OP_CREATE_SUB_CHANNELS, 1)->status, NT_STATUS_INVALID_PARAMETER);
	CHECK_EQ(sp_stats(&c).version, STORVSC_VERSION_WIN8_1);
	/* a new open starts over */
	CHECK_EQ(vmbus_channel_close(&c.ch), 0);
	sp_open_channel(&c);
	CHECK_EQ(sp_op(&c, VSTOR_OP_END_INITIALIZATION, 0)->status, NT_STATUS_INVALID_DEVICE_STATE);
	sp_handshake(&c, STORVSC_VERSION_WIN8);
	sp_finish(&c);
}

/* --- SCSI commands -------------------------------------------------------- */

TEST(storvsp_inquiry)
{
	uint8_t std[6] = { SCSI_INQUIRY, 0, 0, 0, 255, 0 };
	uint8_t vpd0[6] = { SCSI_INQUIRY, INQUIRY_EVPD, VPD_SUPPORTED_PAGES, 0, 255, 0 };
	uint8_t vpd80[6] = { SCSI_INQUIRY, INQUIRY_EVPD, VPD_UNIT_SERIAL_NUMBER, 0, 255, 0 };
	uint8_t vpd83[6] = { SCSI_INQUIRY, INQUIRY_EVPD, 0x83, 0, 255, 0 };
	struct vsc c;

	sp_ready(&c, 2, 0);
	sp_check_good(sp_scsi(&c, 0, std, 6, VSTOR_DATA_IN, 0, 255), 36);
	CHECK_EQ(c.buf[0], 0x00); /* direct access, connected */
	CHECK_EQ(c.buf[2], 6);
	CHECK_EQ(c.buf[3], 2);
	CHECK_EQ(c.buf[4], 31);
	CHECK(memcmp(c.buf + 8, "Msft    Virtual Disk    1.0 ", 28) == 0);
	sp_check_good(sp_scsi(&c, 0, vpd0, 6, VSTOR_DATA_IN, 0, 255), 6);
	CHECK(c.buf[1] == 0x00 && c.buf[3] == 2 && c.buf[4] == 0x00 && c.buf[5] == 0x80);
	sp_check_good(sp_scsi(&c, 1, vpd80, 6, VSTOR_DATA_IN, 0, 255), 15);
	CHECK(c.buf[1] == 0x80 && c.buf[3] == 11 && memcmp(c.buf + 4, "hvsim-lun-1", 11) == 0);
	sp_check_sense(sp_scsi(&c, 0, vpd83, 6, VSTOR_DATA_IN, 0, 255), 0x86, SENSE_ILLEGAL_REQUEST,
		       ASC_INVALID_FIELD_IN_CDB);
	/* allocation length 5: five bytes */
	std[4] = 5;
	sp_check_good(sp_scsi(&c, 0, std, 6, VSTOR_DATA_IN, 0, 255), 5);
	sp_finish(&c);
}

TEST(storvsp_read_capacity)
{
	uint8_t rc10[10] = { SCSI_READ_CAPACITY_10 };
	uint8_t rc16[16] = { SCSI_SERVICE_ACTION_IN_16, SCSI_SAI_READ_CAPACITY_16 };
	uint64_t huge = (1ull << 32) + 8; /* blocks: a 2 TiB sparse image */
	struct vsc c;

	rc16[13] = 32;
	sp_config(&c, 1);
	sp_make_image(&c, 1, huge, false);
	sp_go(&c);
	sp_check_good(sp_scsi(&c, 0, rc10, 10, VSTOR_DATA_IN, 0, 8), 8);
	CHECK(c.buf[0] == 0 && c.buf[1] == 0 && c.buf[2] == 0x0f && c.buf[3] == 0xff); /* 4095 */
	CHECK(c.buf[4] == 0 && c.buf[5] == 0 && c.buf[6] == 2 && c.buf[7] == 0);        /* 512 */
	sp_check_good(sp_scsi(&c, 0, rc16, 16, VSTOR_DATA_IN, 0, 32), 32);
	CHECK(c.buf[6] == 0x0f && c.buf[7] == 0xff && c.buf[10] == 2 && c.buf[11] == 0);
	sp_check_good(sp_scsi(&c, 1, rc10, 10, VSTOR_DATA_IN, 0, 8), 8);
	CHECK(c.buf[0] == 0xff && c.buf[1] == 0xff && c.buf[2] == 0xff && c.buf[3] == 0xff);
	sp_check_good(sp_scsi(&c, 1, rc16, 16, VSTOR_DATA_IN, 0, 32), 32);
	CHECK(c.buf[3] == 1 && c.buf[4] == 0 && c.buf[7] == 7); /* 2^32 + 7 */
	rc16[1] = 0x11; /* another service action */
	sp_check_sense(sp_scsi(&c, 0, rc16, 16, VSTOR_DATA_IN, 0, 32), 0x86, SENSE_ILLEGAL_REQUEST,
		       ASC_INVALID_FIELD_IN_CDB);
	sp_finish(&c);
}

TEST(storvsp_report_luns_two_disks)
{
	uint8_t cdb[12] = { SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct vsc c;

	sp_ready(&c, 2, 0);
	sp_check_good(sp_scsi(&c, 0, cdb, 12, VSTOR_DATA_IN, 0, 256), 24);
	CHECK(c.buf[0] == 0 && c.buf[1] == 0 && c.buf[2] == 0 && c.buf[3] == 16);
	CHECK(c.buf[8] == 0 && c.buf[9] == 0 && c.buf[16] == 0 && c.buf[17] == 1);
	sp_check_good(sp_scsi(&c, 9, cdb, 12, VSTOR_DATA_IN, 0, 256), 24); /* any LUN address */
	sp_finish(&c);
}

TEST(storvsp_read_several_pages)
{
	uint8_t cdb[16] = { SCSI_READ_16 };
	struct hvsim_storvsp_stats st;
	struct vsc c;

	sp_ready(&c, 2, 0);
	/* 24 blocks (12 KiB) into a buffer that starts mid-page: 4 pages */
	sp_check_good(sp_read10(&c, 0, 100, 24, 512), 24 * 512);
	CHECK(sp_blocks_match(&c, 0, 100, 24, 512));
	CHECK(sp_untouched(&c, 0, 512) && sp_untouched(&c, 512 + 24 * 512, 512 + 24 * 512 + 512));
	/* the last blocks of LUN 1 */
	sp_check_good(sp_read10(&c, 1, BLOCKS - 8, 8, 4000), 8 * 512);
	CHECK(sp_blocks_match(&c, 1, BLOCKS - 8, 8, 4000));
	/* READ(16), and a buffer larger than the transfer */
	cdb[9] = 7;
	cdb[13] = 3;
	memset(c.buf, UNTOUCHED, BUF_PAGES * HVB_PAGE_SIZE);
	sp_check_good(sp_scsi(&c, 0, cdb, 16, VSTOR_DATA_IN, 0, 8192), 3 * 512);
	CHECK(sp_blocks_match(&c, 0, 7, 3, 0) && sp_untouched(&c, 3 * 512, 8192));
	st = sp_stats(&c);
	CHECK_EQ(st.reads, 3);
	CHECK_EQ(st.bytes_read, 35 * 512);
	CHECK_EQ(st.commands, 3);
	CHECK_EQ(st.errors, 0);
	sp_finish(&c);
}

TEST(storvsp_write_and_read_back)
{
	uint8_t cdb[16], back[4096];
	struct vsc c;

	sp_config(&c, 1);
	c.f.cfg.disks_writable = true;
	sp_go(&c);
	for (unsigned k = 0; k < 4096; k++)
		c.buf[8 + k] = (uint8_t)(k * 13 + 1);
	sp_rw10(cdb, SCSI_WRITE_10, 10, 8);
	sp_check_good(sp_scsi(&c, 0, cdb, 10, VSTOR_DATA_OUT, 8, 4096), 4096);
	CHECK_EQ(pread(c.fds[0], back, 4096, 10 * 512), 4096);
	CHECK(memcmp(back, c.buf + 8, 4096) == 0);
	memset(cdb, 0, 16);
	cdb[0] = SCSI_WRITE_16;
	cdb[9] = 30;
	cdb[13] = 1;
	sp_check_good(sp_scsi(&c, 0, cdb, 16, VSTOR_DATA_OUT, 8, 512), 512);
	CHECK_EQ(pread(c.fds[0], back, 512, 30 * 512), 512);
	CHECK(memcmp(back, c.buf + 8, 512) == 0);
	sp_check_good(sp_read10(&c, 0, 10, 8, 0), 4096);
	CHECK_EQ(pread(c.fds[0], back, 4096, 10 * 512), 4096);
	CHECK(memcmp(back, c.buf, 4096) == 0);
	CHECK_EQ(sp_stats(&c).bytes_written, 4608);
	CHECK_EQ(sp_stats(&c).writes, 2);
	/* data the wrong way */
	sp_rw10(cdb, SCSI_WRITE_10, 10, 1);
	sp_check_sense(sp_scsi(&c, 0, cdb, 10, VSTOR_DATA_IN, 0, 512), 0x86, SENSE_ILLEGAL_REQUEST,
		       ASC_INVALID_FIELD_IN_CDB);
	sp_finish(&c);
}

TEST(storvsp_scsi_errors)
{
	uint8_t cdb[16] = { 0x5A }; /* MODE SENSE(10): not served */
	uint8_t inq[6] = { SCSI_INQUIRY, 0, 0, 0, 36, 0 }, tur[6] = { SCSI_TEST_UNIT_READY };
	const struct vstor_packet *p;
	struct vsc c;

	sp_config(&c, 1);
	c.f.cfg.storvsp_max_transfer = 65536;
	sp_go(&c);
	sp_check_sense(sp_scsi(&c, 0, cdb, 10, VSTOR_DATA_IN, 0, 64), 0x86, SENSE_ILLEGAL_REQUEST,
		       ASC_INVALID_OPCODE);
	/* read-only: the image stays as it was */
	memset(c.buf, 0x5a, 512);
	sp_rw10(cdb, SCSI_WRITE_10, 3, 1);
	sp_check_sense(sp_scsi(&c, 0, cdb, 10, VSTOR_DATA_OUT, 0, 512), 0x84, SENSE_DATA_PROTECT,
		       ASC_WRITE_PROTECTED);
	CHECK_EQ(pread(c.fds[0], c.buf, 512, 3 * 512), 512);
	CHECK(sp_blocks_match(&c, 0, 3, 1, 0));
	sp_check_sense(sp_read10(&c, 0, BLOCKS - 1, 2, 0), 0x86, SENSE_ILLEGAL_REQUEST,
		       ASC_LBA_OUT_OF_RANGE);
	CHECK(sp_untouched(&c, 0, 1024));
	memset(cdb, 0, 16);
	cdb[0] = SCSI_READ_16;
	cdb[4] = 1; /* LBA 2^40 */
	cdb[13] = 1;
	sp_check_sense(sp_scsi(&c, 0, cdb, 16, VSTOR_DATA_IN, 0, 512), 0x86, SENSE_ILLEGAL_REQUEST,
		       ASC_LBA_OUT_OF_RANGE);
	/* max_transfer_bytes: 128 blocks fit, 129 do not */
	sp_check_good(sp_read10(&c, 0, 0, 128, 0), 65536);
	sp_check_sense(sp_read10(&c, 0, 0, 129, 0), 0x86, SENSE_ILLEGAL_REQUEST,
		       ASC_INVALID_FIELD_IN_CDB);
	/* the buffer smaller than the CDB's transfer */
	sp_rw10(cdb, SCSI_READ_10, 0, 4);
	sp_check_sense(sp_scsi(&c, 0, cdb, 10, VSTOR_DATA_IN, 0, 1024), 0x86, SENSE_ILLEGAL_REQUEST,
		       ASC_INVALID_FIELD_IN_CDB);
	/* a LUN that does not exist */
	sp_check_good(sp_scsi(&c, 4, inq, 6, VSTOR_DATA_IN, 0, 36), 36);
	CHECK_EQ(c.buf[0], INQUIRY_PERIPHERAL_NOT_PRESENT);
	p = sp_scsi(&c, 4, tur, 6, VSTOR_DATA_NONE, 0, 0);
	sp_check_srb(p, NT_STATUS_DEVICE_DOES_NOT_EXIST, SRB_STATUS_INVALID_LUN,
		     SCSI_STATUS_CHECK_CONDITION, 0);
	CHECK_EQ(p->srb.sense_info_length, 0); /* no sense */
	sp_check_srb(sp_read10(&c, 4, 0, 1, 0), NT_STATUS_DEVICE_DOES_NOT_EXIST,
		     SRB_STATUS_INVALID_LUN, SCSI_STATUS_CHECK_CONDITION, 0);
	CHECK(sp_untouched(&c, 0, 512));
	CHECK_EQ(sp_stats(&c).errors, 8);
	sp_finish(&c);
}

TEST(storvsp_sense_fits_what_was_asked)
{
	uint8_t cdb[10] = { 0x5A };
	struct vstor_packet p;
	struct vsc c;

	sp_config(&c, 1);
	sp_start(&c);
	sp_handshake(&c, STORVSC_VERSION_WIN7); /* 48-byte packets, sense 18 */
	sp_check_sense(sp_scsi(&c, 0, cdb, 10, VSTOR_DATA_IN, 0, 64), 0x86, SENSE_ILLEGAL_REQUEST,
		       ASC_INVALID_OPCODE);
	CHECK_EQ(c.comp.p.srb.sense_info_length, 18);
	CHECK_EQ(c.len, 48);
	sp_srb_packet(&c, &p, 0, cdb, 10, VSTOR_DATA_IN, 64);
	p.srb.sense_info_length = 8;
	sp_call(&c, &p, c.buf_gpa, 64);
	CHECK_EQ(c.comp.p.srb.sense_info_length, 8);
	CHECK_EQ(c.comp.p.srb.sense_data[2], SENSE_ILLEGAL_REQUEST);
	CHECK_EQ(c.comp.p.srb.sense_data[12], 0); /* cut after byte 8 */
	sp_finish(&c);
}
