/* hvsim's storage VSP, driven through the guest channel layer with
 * hand-built vstor_packets: the handshake at every protocol version,
 * completion sizes, the SCSI commands against images of known contents,
 * sense, missing LUNs, every storvsp fault, and protocol violations. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../lib/util.h"
#include "../vmbus/channel.h"
#include "../vmbus/devclass.h"
#include "../vsc/scsi_proto.h"
#include "../vsc/storvsc_proto.h"
#include "fixture.h"

#define BLOCKS 4096u                    /* 2 MiB images */
#define REQ_TIMEOUT (HV_TICKS_PER_SEC / 2)
#define BUF_PAGES 40u                   /* 160 KiB: more than a 64 KiB max transfer */
#define UNTOUCHED 0xEE                  /* guest buffer bytes before a transfer */
#define ST_DEVICE_ERROR NT_STATUS_IO_DEVICE_ERROR

struct vsc {
	struct fx f;
	struct vmbus_channel ch;
	char paths[2][40];       /* images, unlinked once hvsim has them open */
	const char *disks[3];
	int fds[2];
	uint32_t size;           /* vstor_packet bytes we send: 48 or 64 */
	uint8_t *buf;            /* BUF_PAGES of guest memory for data */
	uint64_t buf_gpa;
	bool done;               /* the last completion: */
	int status;
	uint16_t type;
	uint32_t len;
	union { struct vstor_packet p; uint8_t b[128]; } comp;
	uint64_t order[16];      /* tids in completion order */
	unsigned norder;
	unsigned enumerates;     /* unsolicited ENUMERATE_BUS: how many, the last one's shape */
	uint32_t enum_len;
	uint16_t enum_type, enum_flags;
};

/* Block i, 8-byte word j holds i << 16 | j: a misplaced block or word shows. */
static uint64_t word_at(uint64_t lba, unsigned j) { return lba << 16 | j; }

static void make_image(struct vsc *c, unsigned i, uint64_t blocks, bool fill)
{
	uint64_t block[512 / 8];
	int fd;

	snprintf(c->paths[i], sizeof(c->paths[i]), "/tmp/hvsim-disk-XXXXXX");
	fd = mkstemp(c->paths[i]);
	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, (off_t)(blocks * 512)), 0);
	for (uint64_t lba = 0; fill && lba < blocks; lba++) {
		for (unsigned j = 0; j < 64; j++)
			block[j] = word_at(lba + i * 0x100000, j);
		CHECK_EQ(pwrite(fd, block, 512, (off_t)(lba * 512)), 512);
	}
	c->fds[i] = fd;
	c->disks[i] = c->paths[i];
}

/* fx_config plus n images of BLOCKS blocks; adjust c->f.cfg, then start(). */
static void config(struct vsc *c, unsigned ndisks)
{
	memset(c, 0, sizeof(*c));
	fx_config(&c->f);
	c->f.cfg.devices = "storvsc,echo";
	for (unsigned i = 0; i < ndisks; i++)
		make_image(c, i, BLOCKS, true);
	c->f.cfg.disks = ndisks ? c->disks : NULL;
}

static void on_packet(struct vmbus_channel *ch, const struct ring_pkt *pkt)
{
	struct vsc *c = ch->params.ctx;
	uint32_t op = 0;

	if (pkt->len - pkt->offset >= 4)
		memcpy(&op, pkt->data + pkt->offset, 4);
	CHECK_EQ(pkt->trans_id, 0);
	CHECK_EQ(op, VSTOR_OP_ENUMERATE_BUS);
	c->enumerates++;
	c->enum_len = pkt->len - pkt->offset;
	c->enum_type = pkt->type;
	c->enum_flags = pkt->flags;
}

static void open_channel(struct vsc *c)
{
	struct vmbus_channel_params p = {
		.out_bytes = 65536, .in_bytes = 65536, .on_packet = on_packet, .ctx = c,
	};
	struct vmbus_offer *o = NULL;

	for (unsigned i = 0; i < c->f.vb.noffers && !o; i++)
		if (vmbus_devclass_by_guid(&c->f.vb.offers[i].type) == vmbus_devclass_by_key("storvsc"))
			o = &c->f.vb.offers[i];
	CHECK(o != NULL);
	CHECK_EQ(vmbus_channel_open(&c->f.vb, &c->ch, o, &p), 0);
}

static void start(struct vsc *c)
{
	fx_start(&c->f);
	for (unsigned i = 0; i < 2; i++)
		if (c->disks[i])
			unlink(c->paths[i]); /* hvsim holds it open; the test keeps its fd */
	fx_connect(&c->f);
	c->buf = c->f.seam->alloc(c->f.seam, BUF_PAGES, &c->buf_gpa);
	CHECK(c->buf != NULL);
	open_channel(c);
	c->size = VSTOR_PACKET_SIZE;
}

/* Close, unload, no violations, clean audit. */
static void finish(struct vsc *c)
{
	CHECK_EQ(vmbus_channel_close(&c->ch), 0);
	fx_finish(&c->f);
	fx_destroy(&c->f);
}

/* After violations: exactly n, the first containing needle. */
static void finish_violated(struct vsc *c, unsigned n, const char *needle)
{
	CHECK_EQ(hvsim_violation_count(c->f.sim), n);
	CHECK_MSG(strstr(hvsim_violation(c->f.sim, 0), needle), "violation '%s' lacks '%s'",
		  hvsim_violation(c->f.sim, 0), needle);
	CHECK_EQ(vmbus_shutdown(&c->f.vb), 0);
	hv_teardown(&c->f.hv);
	fx_destroy(&c->f);
}

static void on_done(struct vmbus_channel *ch, struct vmbus_request *req, int status,
		    const struct ring_pkt *pkt)
{
	struct vsc *c = req->ctx;

	(void)ch;
	c->status = status;
	c->len = pkt ? pkt->len - pkt->offset : 0;
	c->type = pkt ? pkt->type : 0;
	memset(c->comp.b, 0, sizeof(c->comp.b));
	if (pkt)
		memcpy(c->comp.b, pkt->data + pkt->offset, HVB_MIN(c->len, (uint32_t)sizeof(c->comp)));
	if (c->norder < ARRAY_SIZE(c->order))
		c->order[c->norder++] = req->tid;
	c->done = true;
}

/* Run the guest loop (and so the host) until *flag or ticks passed. */
static void run_until(struct vsc *c, const bool *flag, uint64_t ticks)
{
	uint64_t end = hv_time(&c->f.hv) + ticks;

	while (!*flag && hv_time(&c->f.hv) < end)
		if (!vmbus_loop_once(&c->f.vb))
			hv_idle(c->f.seam);
}

static void run_for(struct vsc *c, uint64_t ticks)
{
	static const bool never;

	run_until(c, &never, ticks);
}

/* Send one packet (GPA-direct over [gpa, gpa + len) when len) and return its tid. */
static uint64_t send(struct vsc *c, const void *pkt, uint32_t size, uint64_t gpa, uint32_t len)
{
	uint64_t tid = vmbus_request_start(&c->ch, on_done, c, REQ_TIMEOUT);
	struct vmbus_gpa_buf b = { gpa, len };

	CHECK(tid != 0);
	c->done = false;
	if (len)
		CHECK_EQ(vmbus_send_gpa_direct(&c->ch, &b, 1, pkt, size, tid), 0);
	else
		CHECK_EQ(vmbus_send_inband(&c->ch, pkt, size, tid), 0);
	return tid;
}

static void wait_done(struct vsc *c)
{
	run_until(c, &c->done, 2 * REQ_TIMEOUT);
	CHECK(c->done);
	CHECK_EQ(c->status, 0);
}

/* A completion as storvsp must send it: type 11, as long as the request,
 * operation COMPLETE_IO, flags 0. */
static const struct vstor_packet *checked(struct vsc *c)
{
	CHECK_EQ(c->type, VMBUS_PKT_COMP);
	CHECK_EQ(c->len, c->size);
	CHECK_EQ(c->comp.p.operation, VSTOR_OP_COMPLETE_IO);
	CHECK_EQ(c->comp.p.flags, 0);
	return &c->comp.p;
}

static const struct vstor_packet *call(struct vsc *c, const struct vstor_packet *p, uint64_t gpa,
				       uint32_t len)
{
	send(c, p, c->size, gpa, len);
	wait_done(c);
	return checked(c);
}

/* A non-SCSI operation; arg goes to offset 12 (version, sub-channel count). */
static const struct vstor_packet *op(struct vsc *c, uint32_t operation, uint16_t arg)
{
	struct vstor_packet p;

	memset(&p, 0, sizeof(p));
	p.operation = operation;
	p.flags = VSTOR_FLAG_REQUEST_COMPLETION;
	p.version.major_minor = arg;
	return call(c, &p, 0, 0);
}

static void handshake(struct vsc *c, uint16_t version)
{
	c->size = version < STORVSC_VERSION_WIN8 ? VSTOR_PACKET_SIZE_WIN7 : VSTOR_PACKET_SIZE;
	CHECK_EQ(op(c, VSTOR_OP_BEGIN_INITIALIZATION, 0)->status, 0);
	CHECK_EQ(op(c, VSTOR_OP_QUERY_PROTOCOL_VERSION, version)->status, 0);
	CHECK_EQ(c->comp.p.version.major_minor, version);
	CHECK_EQ(op(c, VSTOR_OP_QUERY_PROPERTIES, 0)->status, 0);
	CHECK_EQ(op(c, VSTOR_OP_END_INITIALIZATION, 0)->status, 0);
	run_for(c, HV_TICKS_PER_MS); /* ENUMERATE_BUS, if any */
}

static void srb_packet(struct vsc *c, struct vstor_packet *p, uint8_t lun, const uint8_t *cdb,
		       unsigned cdb_len, uint8_t data_in, uint32_t len)
{
	memset(p, 0, sizeof(*p));
	p->operation = VSTOR_OP_EXECUTE_SRB;
	p->flags = VSTOR_FLAG_REQUEST_COMPLETION;
	p->srb.length = (uint16_t)(c->size - 12);
	p->srb.lun = lun;
	p->srb.cdb_length = (uint8_t)cdb_len;
	p->srb.sense_info_length = c->size == VSTOR_PACKET_SIZE ? VMSTOR_SENSE_SIZE
							       : VMSTOR_SENSE_SIZE_WIN7;
	p->srb.data_in = data_in;
	p->srb.data_transfer_length = len;
	memcpy(p->srb.cdb, cdb, cdb_len);
}

/* A SCSI command with its data at c->buf + off (len bytes, none if 0). */
static const struct vstor_packet *scsi(struct vsc *c, uint8_t lun, const uint8_t *cdb,
				       unsigned cdb_len, uint8_t data_in, uint32_t off, uint32_t len)
{
	struct vstor_packet p;

	srb_packet(c, &p, lun, cdb, cdb_len, data_in, len);
	return call(c, &p, c->buf_gpa + off, len);
}

static void rw10(uint8_t *cdb, uint8_t opcode, uint32_t lba, uint16_t n)
{
	memset(cdb, 0, 10);
	cdb[0] = opcode;
	cdb[2] = (uint8_t)(lba >> 24), cdb[3] = (uint8_t)(lba >> 16);
	cdb[4] = (uint8_t)(lba >> 8), cdb[5] = (uint8_t)lba;
	cdb[7] = (uint8_t)(n >> 8), cdb[8] = (uint8_t)n;
}

/* READ(10) of n blocks into c->buf + off, sent: its tid. */
static uint64_t send_read(struct vsc *c, uint32_t lba, uint32_t n, uint32_t off)
{
	struct vstor_packet p;
	uint8_t cdb[10];

	rw10(cdb, SCSI_READ_10, lba, (uint16_t)n);
	srb_packet(c, &p, 0, cdb, 10, VSTOR_DATA_IN, n * 512);
	return send(c, &p, c->size, c->buf_gpa + off, n * 512);
}

/* READ(10) of n blocks into c->buf + off (pre-filled with UNTOUCHED). */
static const struct vstor_packet *read10(struct vsc *c, uint8_t lun, uint32_t lba, uint16_t n,
					 uint32_t off)
{
	uint8_t cdb[10];

	memset(c->buf, UNTOUCHED, BUF_PAGES * HVB_PAGE_SIZE);
	rw10(cdb, SCSI_READ_10, lba, n);
	return scsi(c, lun, cdb, 10, VSTOR_DATA_IN, off, n * 512u);
}

/* Blocks [lba, lba + n) of image i are at c->buf + off. */
static bool blocks_match(struct vsc *c, unsigned i, uint64_t lba, uint32_t n, uint32_t off)
{
	for (uint32_t b = 0; b < n; b++)
		for (unsigned j = 0; j < 64; j++) {
			uint64_t w;

			memcpy(&w, c->buf + off + b * 512 + j * 8, 8);
			if (w != word_at(lba + b + i * 0x100000, j))
				return false;
		}
	return true;
}

static bool untouched(struct vsc *c, uint32_t from, uint32_t to)
{
	for (uint32_t k = from; k < to; k++)
		if (c->buf[k] != UNTOUCHED)
			return false;
	return true;
}

/* CHECK CONDITION with fixed sense key/asc, srb status srb (0x80 included). */
static void check_sense(const struct vstor_packet *p, uint8_t srb, uint8_t key, uint8_t asc)
{
	CHECK_EQ(p->srb.scsi_status, SCSI_STATUS_CHECK_CONDITION);
	CHECK_EQ(p->srb.srb_status, srb);
	CHECK_EQ(p->status, ST_DEVICE_ERROR);
	CHECK_EQ(p->srb.data_transfer_length, 0);
	CHECK(p->srb.sense_info_length >= 14);
	CHECK_EQ(p->srb.sense_data[0] & 0x7f, SENSE_FIXED_CURRENT);
	CHECK_EQ(p->srb.sense_data[2] & 0xf, key);
	CHECK_EQ(p->srb.sense_data[7], 10);
	CHECK_EQ(p->srb.sense_data[12], asc);
	CHECK_EQ(p->srb.sense_data[13], 0);
}

/* The NT status, SRB status, SCSI status and bytes moved of an I/O completion. */
static void check_srb(const struct vstor_packet *p, uint32_t nt, uint8_t srb, uint8_t scsi,
		      uint32_t moved)
{
	CHECK_EQ(p->status, nt);
	CHECK_EQ(p->srb.srb_status, srb);
	CHECK_EQ(p->srb.scsi_status, scsi);
	CHECK_EQ(p->srb.data_transfer_length, moved);
}

static void check_good(const struct vstor_packet *p, uint32_t moved)
{
	check_srb(p, 0, SRB_STATUS_SUCCESS, SCSI_STATUS_GOOD, moved);
}

static struct hvsim_storvsp_stats stats(struct vsc *c)
{
	struct hvsim_storvsp_stats st;

	CHECK_EQ(hvsim_storvsp_stats(c->f.sim, &st), 0);
	return st;
}

/* Started, and the handshake done at WIN10. */
static void go(struct vsc *c)
{
	start(c);
	handshake(c, STORVSC_VERSION_WIN10);
}

static void ready(struct vsc *c, unsigned ndisks, uint32_t faults)
{
	config(c, ndisks);
	c->f.cfg.storvsp_faults = faults;
	go(c);
}

/* --- the handshake ------------------------------------------------------- */

TEST(storvsp_handshake_every_version)
{
	static const uint16_t versions[] = { STORVSC_VERSION_WIN6, STORVSC_VERSION_WIN7,
					     STORVSC_VERSION_WIN8, STORVSC_VERSION_WIN8_1,
					     STORVSC_VERSION_WIN10 };

	for (unsigned i = 0; i < ARRAY_SIZE(versions); i++) {
		uint16_t v = versions[i];
		struct vsc c;

		config(&c, 1);
		start(&c);
		handshake(&c, v); /* 48-byte packets below WIN8: 48-byte completions */
		op(&c, VSTOR_OP_QUERY_PROPERTIES, 0);
		CHECK_EQ(c.comp.p.status, NT_STATUS_INVALID_DEVICE_STATE); /* after END */
		CHECK_EQ(stats(&c).version, v);
		/* one ENUMERATE_BUS from WIN7 on, as long as the version's packets */
		CHECK_EQ(c.enumerates, v >= STORVSC_VERSION_WIN7 ? 1 : 0);
		if (c.enumerates) {
			CHECK_EQ(c.enum_type, VMBUS_PKT_DATA_INBAND);
			CHECK_EQ(c.enum_flags, 0);
			CHECK_EQ(c.enum_len, v >= STORVSC_VERSION_WIN8 ? 64 : 48);
		}
		finish(&c);
	}
}

TEST(storvsp_completions_mirror_the_request_size)
{
	struct vsc c;

	config(&c, 0);
	start(&c);
	c.size = VSTOR_PACKET_SIZE_WIN7; /* a Windows-style guest starts small */
	CHECK_EQ(op(&c, VSTOR_OP_BEGIN_INITIALIZATION, 0)->status, 0);
	c.size = VSTOR_PACKET_SIZE;
	CHECK_EQ(op(&c, VSTOR_OP_QUERY_PROTOCOL_VERSION, STORVSC_VERSION_WIN7)->status, 0);
	c.size = VSTOR_PACKET_SIZE_WIN7;
	op(&c, VSTOR_OP_QUERY_PROPERTIES, 0);
	CHECK_EQ(c.comp.p.properties.max_channel_cnt, 0);
	CHECK_EQ(c.comp.p.properties.flags, 0);
	CHECK_EQ(c.comp.p.properties.max_transfer_bytes, 1u << 20);
	c.size = VSTOR_PACKET_SIZE;
	CHECK_EQ(op(&c, VSTOR_OP_END_INITIALIZATION, 0)->status, 0);
	/* a longer request gets 64 bytes, never more */
	{
		uint8_t big[80];

		memset(big, 0, sizeof(big));
		big[0] = VSTOR_OP_RESET_BUS;
		send(&c, big, sizeof(big), 0, 0);
		wait_done(&c);
		CHECK_EQ(c.len, 64);
		CHECK_EQ(c.comp.p.status, 0);
	}
	finish(&c);
}

TEST(storvsp_version_negotiation_and_order)
{
	struct vsc c;

	config(&c, 1);
	c.f.cfg.storvsp_max_version = STORVSC_VERSION_WIN8_1; /* OpenVMM-like */
	start(&c);
	CHECK_EQ(op(&c, VSTOR_OP_QUERY_PROPERTIES, 0)->status, NT_STATUS_INVALID_DEVICE_STATE);
	CHECK_EQ(op(&c, VSTOR_OP_BEGIN_INITIALIZATION, 0)->status, 0);
	CHECK_EQ(op(&c, VSTOR_OP_BEGIN_INITIALIZATION, 0)->status, NT_STATUS_INVALID_DEVICE_STATE);
	CHECK_EQ(op(&c, VSTOR_OP_QUERY_PROTOCOL_VERSION, STORVSC_VERSION_WIN10)->status,
		 NT_STATUS_REVISION_MISMATCH);
	CHECK_EQ(c.comp.p.version.major_minor, STORVSC_VERSION_WIN10); /* echoed */
	CHECK_EQ(op(&c, VSTOR_OP_QUERY_PROTOCOL_VERSION, 0x0500)->status,
		 NT_STATUS_REVISION_MISMATCH);
	CHECK_EQ(op(&c, VSTOR_OP_QUERY_PROTOCOL_VERSION, STORVSC_VERSION_WIN8_1)->status, 0);
	CHECK_EQ(c.comp.p.version.major_minor, STORVSC_VERSION_WIN8_1);
	CHECK_EQ(op(&c, VSTOR_OP_QUERY_PROTOCOL_VERSION, STORVSC_VERSION_WIN8)->status,
		 NT_STATUS_INVALID_DEVICE_STATE);
	CHECK_EQ(op(&c, VSTOR_OP_RESET_BUS, 0)->status, NT_STATUS_INVALID_DEVICE_STATE);
	CHECK_EQ(op(&c, VSTOR_OP_CREATE_SUB_CHANNELS, 1)->status, NT_STATUS_INVALID_DEVICE_STATE);
	CHECK_EQ(op(&c, VSTOR_OP_QUERY_PROPERTIES, 0)->status, 0);
	CHECK_EQ(op(&c, VSTOR_OP_CREATE_SUB_CHANNELS, 1)->status, NT_STATUS_INVALID_PARAMETER);
	{
		uint8_t tur[6] = { SCSI_TEST_UNIT_READY };

		CHECK_EQ(scsi(&c, 0, tur, 6, VSTOR_DATA_NONE, 0, 0)->status,
			 NT_STATUS_INVALID_DEVICE_STATE); /* before END_INITIALIZATION */
		CHECK_EQ(op(&c, VSTOR_OP_END_INITIALIZATION, 0)->status, 0);
		check_good(scsi(&c, 0, tur, 6, VSTOR_DATA_NONE, 0, 0), 0);
	}
	CHECK_EQ(op(&c, VSTOR_OP_RESET_BUS, 0)->status, 0);
	CHECK_EQ(op(&c, VSTOR_OP_RESET_LUN, 0)->status, 0);
	CHECK_EQ(op(&c, VSTOR_OP_RESET_ADAPTER, 0)->status, 0);
	CHECK_EQ(op(&c, VSTOR_OP_CREATE_SUB_CHANNELS, 1)->status, NT_STATUS_INVALID_PARAMETER);
	CHECK_EQ(stats(&c).version, STORVSC_VERSION_WIN8_1);
	/* a new open starts over */
	CHECK_EQ(vmbus_channel_close(&c.ch), 0);
	open_channel(&c);
	CHECK_EQ(op(&c, VSTOR_OP_END_INITIALIZATION, 0)->status, NT_STATUS_INVALID_DEVICE_STATE);
	handshake(&c, STORVSC_VERSION_WIN8);
	finish(&c);
}

/* --- SCSI commands -------------------------------------------------------- */

TEST(storvsp_inquiry)
{
	uint8_t std[6] = { SCSI_INQUIRY, 0, 0, 0, 255, 0 };
	uint8_t vpd0[6] = { SCSI_INQUIRY, INQUIRY_EVPD, VPD_SUPPORTED_PAGES, 0, 255, 0 };
	uint8_t vpd80[6] = { SCSI_INQUIRY, INQUIRY_EVPD, VPD_UNIT_SERIAL_NUMBER, 0, 255, 0 };
	uint8_t vpd83[6] = { SCSI_INQUIRY, INQUIRY_EVPD, 0x83, 0, 255, 0 };
	struct vsc c;

	ready(&c, 2, 0);
	check_good(scsi(&c, 0, std, 6, VSTOR_DATA_IN, 0, 255), 36);
	CHECK_EQ(c.buf[0], 0x00); /* direct access, connected */
	CHECK_EQ(c.buf[2], 6);
	CHECK_EQ(c.buf[3], 2);
	CHECK_EQ(c.buf[4], 31);
	CHECK(memcmp(c.buf + 8, "Msft    Virtual Disk    1.0 ", 28) == 0);
	check_good(scsi(&c, 0, vpd0, 6, VSTOR_DATA_IN, 0, 255), 6);
	CHECK(c.buf[1] == 0x00 && c.buf[3] == 2 && c.buf[4] == 0x00 && c.buf[5] == 0x80);
	check_good(scsi(&c, 1, vpd80, 6, VSTOR_DATA_IN, 0, 255), 15);
	CHECK(c.buf[1] == 0x80 && c.buf[3] == 11 && memcmp(c.buf + 4, "hvsim-lun-1", 11) == 0);
	check_sense(scsi(&c, 0, vpd83, 6, VSTOR_DATA_IN, 0, 255), 0x86, SENSE_ILLEGAL_REQUEST,
		    ASC_INVALID_FIELD_IN_CDB);
	/* allocation length 5: five bytes */
	std[4] = 5;
	check_good(scsi(&c, 0, std, 6, VSTOR_DATA_IN, 0, 255), 5);
	finish(&c);
}

TEST(storvsp_read_capacity)
{
	uint8_t rc10[10] = { SCSI_READ_CAPACITY_10 };
	uint8_t rc16[16] = { SCSI_SERVICE_ACTION_IN_16, SCSI_SAI_READ_CAPACITY_16 };
	uint64_t huge = (1ull << 32) + 8; /* blocks: a 2 TiB sparse image */
	struct vsc c;

	rc16[13] = 32;
	config(&c, 1);
	make_image(&c, 1, huge, false);
	go(&c);
	check_good(scsi(&c, 0, rc10, 10, VSTOR_DATA_IN, 0, 8), 8);
	CHECK(c.buf[0] == 0 && c.buf[1] == 0 && c.buf[2] == 0x0f && c.buf[3] == 0xff); /* 4095 */
	CHECK(c.buf[4] == 0 && c.buf[5] == 0 && c.buf[6] == 2 && c.buf[7] == 0);        /* 512 */
	check_good(scsi(&c, 0, rc16, 16, VSTOR_DATA_IN, 0, 32), 32);
	CHECK(c.buf[6] == 0x0f && c.buf[7] == 0xff && c.buf[10] == 2 && c.buf[11] == 0);
	check_good(scsi(&c, 1, rc10, 10, VSTOR_DATA_IN, 0, 8), 8);
	CHECK(c.buf[0] == 0xff && c.buf[1] == 0xff && c.buf[2] == 0xff && c.buf[3] == 0xff);
	check_good(scsi(&c, 1, rc16, 16, VSTOR_DATA_IN, 0, 32), 32);
	CHECK(c.buf[3] == 1 && c.buf[4] == 0 && c.buf[7] == 7); /* 2^32 + 7 */
	rc16[1] = 0x11; /* another service action */
	check_sense(scsi(&c, 0, rc16, 16, VSTOR_DATA_IN, 0, 32), 0x86, SENSE_ILLEGAL_REQUEST,
		    ASC_INVALID_FIELD_IN_CDB);
	finish(&c);
}

TEST(storvsp_report_luns_two_disks)
{
	uint8_t cdb[12] = { SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	struct vsc c;

	ready(&c, 2, 0);
	check_good(scsi(&c, 0, cdb, 12, VSTOR_DATA_IN, 0, 256), 24);
	CHECK(c.buf[0] == 0 && c.buf[1] == 0 && c.buf[2] == 0 && c.buf[3] == 16);
	CHECK(c.buf[8] == 0 && c.buf[9] == 0 && c.buf[16] == 0 && c.buf[17] == 1);
	check_good(scsi(&c, 9, cdb, 12, VSTOR_DATA_IN, 0, 256), 24); /* any LUN address */
	finish(&c);
}

TEST(storvsp_read_several_pages)
{
	uint8_t cdb[16] = { SCSI_READ_16 };
	struct hvsim_storvsp_stats st;
	struct vsc c;

	ready(&c, 2, 0);
	/* 24 blocks (12 KiB) into a buffer that starts mid-page: 4 pages */
	check_good(read10(&c, 0, 100, 24, 512), 24 * 512);
	CHECK(blocks_match(&c, 0, 100, 24, 512));
	CHECK(untouched(&c, 0, 512) && untouched(&c, 512 + 24 * 512, 512 + 24 * 512 + 512));
	check_good(read10(&c, 1, BLOCKS - 8, 8, 4000), 8 * 512); /* the last blocks of LUN 1 */
	CHECK(blocks_match(&c, 1, BLOCKS - 8, 8, 4000));
	/* READ(16), and a buffer larger than the transfer */
	cdb[9] = 7;
	cdb[13] = 3;
	memset(c.buf, UNTOUCHED, BUF_PAGES * HVB_PAGE_SIZE);
	check_good(scsi(&c, 0, cdb, 16, VSTOR_DATA_IN, 0, 8192), 3 * 512);
	CHECK(blocks_match(&c, 0, 7, 3, 0) && untouched(&c, 3 * 512, 8192));
	st = stats(&c);
	CHECK_EQ(st.reads, 3);
	CHECK_EQ(st.bytes_read, 35 * 512);
	CHECK_EQ(st.commands, 3);
	CHECK_EQ(st.errors, 0);
	finish(&c);
}

TEST(storvsp_write_and_read_back)
{
	uint8_t cdb[16], back[4096];
	struct vsc c;

	config(&c, 1);
	c.f.cfg.disks_writable = true;
	go(&c);
	for (unsigned k = 0; k < 4096; k++)
		c.buf[8 + k] = (uint8_t)(k * 13 + 1);
	rw10(cdb, SCSI_WRITE_10, 10, 8);
	check_good(scsi(&c, 0, cdb, 10, VSTOR_DATA_OUT, 8, 4096), 4096);
	CHECK_EQ(pread(c.fds[0], back, 4096, 10 * 512), 4096);
	CHECK(memcmp(back, c.buf + 8, 4096) == 0);
	memset(cdb, 0, 16);
	cdb[0] = SCSI_WRITE_16;
	cdb[9] = 30;
	cdb[13] = 1;
	check_good(scsi(&c, 0, cdb, 16, VSTOR_DATA_OUT, 8, 512), 512);
	CHECK_EQ(pread(c.fds[0], back, 512, 30 * 512), 512);
	CHECK(memcmp(back, c.buf + 8, 512) == 0);
	check_good(read10(&c, 0, 10, 8, 0), 4096);
	CHECK_EQ(pread(c.fds[0], back, 4096, 10 * 512), 4096);
	CHECK(memcmp(back, c.buf, 4096) == 0);
	CHECK_EQ(stats(&c).bytes_written, 4608);
	CHECK_EQ(stats(&c).writes, 2);
	/* data the wrong way */
	rw10(cdb, SCSI_WRITE_10, 10, 1);
	check_sense(scsi(&c, 0, cdb, 10, VSTOR_DATA_IN, 0, 512), 0x86, SENSE_ILLEGAL_REQUEST,
		    ASC_INVALID_FIELD_IN_CDB);
	finish(&c);
}

TEST(storvsp_scsi_errors)
{
	uint8_t cdb[16] = { 0x5A }; /* MODE SENSE(10): not served */
	uint8_t inq[6] = { SCSI_INQUIRY, 0, 0, 0, 36, 0 }, tur[6] = { SCSI_TEST_UNIT_READY };
	const struct vstor_packet *p;
	struct vsc c;

	config(&c, 1);
	c.f.cfg.storvsp_max_transfer = 65536;
	go(&c);
	check_sense(scsi(&c, 0, cdb, 10, VSTOR_DATA_IN, 0, 64), 0x86, SENSE_ILLEGAL_REQUEST,
		    ASC_INVALID_OPCODE);
	/* read-only: the image stays as it was */
	memset(c.buf, 0x5a, 512);
	rw10(cdb, SCSI_WRITE_10, 3, 1);
	check_sense(scsi(&c, 0, cdb, 10, VSTOR_DATA_OUT, 0, 512), 0x84, SENSE_DATA_PROTECT,
		    ASC_WRITE_PROTECTED);
	CHECK_EQ(pread(c.fds[0], c.buf, 512, 3 * 512), 512);
	CHECK(blocks_match(&c, 0, 3, 1, 0));
	check_sense(read10(&c, 0, BLOCKS - 1, 2, 0), 0x86, SENSE_ILLEGAL_REQUEST,
		    ASC_LBA_OUT_OF_RANGE);
	CHECK(untouched(&c, 0, 1024));
	memset(cdb, 0, 16);
	cdb[0] = SCSI_READ_16;
	cdb[4] = 1; /* LBA 2^40 */
	cdb[13] = 1;
	check_sense(scsi(&c, 0, cdb, 16, VSTOR_DATA_IN, 0, 512), 0x86, SENSE_ILLEGAL_REQUEST,
		    ASC_LBA_OUT_OF_RANGE);
	/* max_transfer_bytes: 128 blocks fit, 129 do not */
	check_good(read10(&c, 0, 0, 128, 0), 65536);
	check_sense(read10(&c, 0, 0, 129, 0), 0x86, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	/* the buffer smaller than the CDB's transfer */
	rw10(cdb, SCSI_READ_10, 0, 4);
	check_sense(scsi(&c, 0, cdb, 10, VSTOR_DATA_IN, 0, 1024), 0x86, SENSE_ILLEGAL_REQUEST,
		    ASC_INVALID_FIELD_IN_CDB);
	/* a LUN that does not exist */
	check_good(scsi(&c, 4, inq, 6, VSTOR_DATA_IN, 0, 36), 36);
	CHECK_EQ(c.buf[0], INQUIRY_PERIPHERAL_NOT_PRESENT);
	p = scsi(&c, 4, tur, 6, VSTOR_DATA_NONE, 0, 0);
	check_srb(p, NT_STATUS_DEVICE_DOES_NOT_EXIST, SRB_STATUS_INVALID_LUN,
		  SCSI_STATUS_CHECK_CONDITION, 0);
	CHECK_EQ(p->srb.sense_info_length, 0); /* no sense */
	check_srb(read10(&c, 4, 0, 1, 0), NT_STATUS_DEVICE_DOES_NOT_EXIST, SRB_STATUS_INVALID_LUN,
		  SCSI_STATUS_CHECK_CONDITION, 0);
	CHECK(untouched(&c, 0, 512));
	CHECK_EQ(stats(&c).errors, 8);
	finish(&c);
}

TEST(storvsp_sense_fits_what_was_asked)
{
	uint8_t cdb[10] = { 0x5A };
	struct vstor_packet p;
	struct vsc c;

	config(&c, 1);
	start(&c);
	handshake(&c, STORVSC_VERSION_WIN7); /* 48-byte packets, sense 18 */
	check_sense(scsi(&c, 0, cdb, 10, VSTOR_DATA_IN, 0, 64), 0x86, SENSE_ILLEGAL_REQUEST,
		    ASC_INVALID_OPCODE);
	CHECK_EQ(c.comp.p.srb.sense_info_length, 18);
	CHECK_EQ(c.len, 48);
	srb_packet(&c, &p, 0, cdb, 10, VSTOR_DATA_IN, 64);
	p.srb.sense_info_length = 8;
	call(&c, &p, c.buf_gpa, 64);
	CHECK_EQ(c.comp.p.srb.sense_info_length, 8);
	CHECK_EQ(c.comp.p.srb.sense_data[2], SENSE_ILLEGAL_REQUEST);
	CHECK_EQ(c.comp.p.srb.sense_data[12], 0); /* cut after byte 8 */
	finish(&c);
}

/* --- faults ---------------------------------------------------------------- */

TEST(storvsp_fault_unit_attention)
{
	uint8_t tur[6] = { SCSI_TEST_UNIT_READY }, inq[6] = { SCSI_INQUIRY, 0, 0, 0, 36, 0 };
	struct vsc c;

	ready(&c, 2, HVSIM_STORVSP_UNIT_ATTENTION);
	check_good(scsi(&c, 0, inq, 6, VSTOR_DATA_IN, 0, 36), 36); /* not a media access */
	check_sense(scsi(&c, 0, tur, 6, VSTOR_DATA_NONE, 0, 0), 0x84, SENSE_UNIT_ATTENTION,
		    ASC_POWER_ON_RESET);
	check_good(scsi(&c, 0, tur, 6, VSTOR_DATA_NONE, 0, 0), 0);
	check_sense(read10(&c, 1, 5, 2, 0), 0x84, SENSE_UNIT_ATTENTION, ASC_POWER_ON_RESET);
	CHECK(untouched(&c, 0, 1024));
	check_good(read10(&c, 1, 5, 2, 0), 1024);
	CHECK(blocks_match(&c, 1, 5, 2, 0));
	finish(&c);
}

TEST(storvsp_fault_busy)
{
	uint8_t cdb[10];
	struct vsc c;

	ready(&c, 1, HVSIM_STORVSP_BUSY);
	for (int i = 0; i < 3; i++) {
		check_srb(read10(&c, 0, 0, 4, 0), NT_STATUS_DEVICE_BUSY, SRB_STATUS_BUSY,
			  SCSI_STATUS_BUSY, 0);
		CHECK(untouched(&c, 0, 2048));
	}
	check_good(read10(&c, 0, 0, 4, 0), 2048);
	CHECK(blocks_match(&c, 0, 0, 4, 0));
	rw10(cdb, SCSI_WRITE_10, 0, 1); /* busy no longer: read-only answers */
	check_sense(scsi(&c, 0, cdb, 10, VSTOR_DATA_OUT, 0, 512), 0x84, SENSE_DATA_PROTECT,
		    ASC_WRITE_PROTECTED);
	finish(&c);
}

TEST(storvsp_fault_medium_error)
{
	const struct vstor_packet *p;
	struct vsc c;

	config(&c, 1);
	c.f.cfg.storvsp_faults = HVSIM_STORVSP_MEDIUM_ERROR;
	c.f.cfg.medium_error_lba = 50;
	go(&c);
	for (int i = 0; i < 2; i++) { /* every time */
		p = read10(&c, 0, 40, 20, 0);
		check_sense(p, 0x84, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR);
		CHECK_EQ(p->srb.sense_data[0], SENSE_INFO_VALID | SENSE_FIXED_CURRENT);
		CHECK(p->srb.sense_data[3] == 0 && p->srb.sense_data[5] == 0 &&
		      p->srb.sense_data[6] == 50);
		CHECK(untouched(&c, 0, 20 * 512));
	}
	check_sense(read10(&c, 0, 50, 1, 0), 0x84, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR);
	check_good(read10(&c, 0, 51, 8, 0), 4096);
	check_good(read10(&c, 0, 42, 8, 0), 4096);
	finish(&c);
}

TEST(storvsp_fault_short_transfer)
{
	struct vsc c;

	ready(&c, 1, HVSIM_STORVSP_SHORT_TRANSFER);
	check_srb(read10(&c, 0, 8, 8, 0), NT_STATUS_BUFFER_OVERFLOW, SRB_STATUS_DATA_OVERRUN,
		  SCSI_STATUS_GOOD, 2048);
	CHECK(blocks_match(&c, 0, 8, 4, 0) && untouched(&c, 2048, 4096));
	CHECK_EQ(read10(&c, 0, 8, 3, 0)->srb.data_transfer_length, 512); /* rounded down */
	check_good(read10(&c, 0, 8, 1, 0), 512);                          /* one block: all */
	CHECK_EQ(stats(&c).bytes_read, 3072);
	finish(&c);
}

TEST(storvsp_fault_delay)
{
	uint64_t t0;
	struct vsc c;

	ready(&c, 1, HVSIM_STORVSP_DELAY);
	t0 = hv_time(&c.f.hv);
	check_good(read10(&c, 0, 0, 2, 0), 1024);
	CHECK(hv_time(&c.f.hv) - t0 >= 5 * HV_TICKS_PER_MS);
	CHECK(hv_time(&c.f.hv) - t0 < 20 * HV_TICKS_PER_MS);
	t0 = hv_time(&c.f.hv);
	CHECK_EQ(op(&c, VSTOR_OP_RESET_BUS, 0)->status, 0); /* not an I/O: not late */
	CHECK(hv_time(&c.f.hv) - t0 < HV_TICKS_PER_MS);
	finish(&c);
}

/* k READs of n blocks from lba on, into c->buf in order, sent in one batch;
 * waits for all and checks the data. */
static void read_burst(struct vsc *c, uint32_t lba, unsigned k, uint32_t n, uint64_t *tids)
{
	c->norder = 0;
	vmbus_channel_batch_begin(&c->ch);
	for (unsigned i = 0; i < k; i++)
		tids[i] = send_read(c, lba + i * n, n, i * n * 512);
	vmbus_channel_batch_end(&c->ch);
	while (c->norder < k)
		if (!vmbus_loop_once(&c->f.vb))
			hv_idle(c->f.seam);
	CHECK(blocks_match(c, 0, lba, k * n, 0));
}

TEST(storvsp_fault_reorder)
{
	uint64_t tids[4], t0;
	struct vsc c;

	ready(&c, 1, HVSIM_STORVSP_REORDER);
	read_burst(&c, 0, 4, 1, tids);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(c.order[i], tids[3 - i]);
	CHECK(stats(&c).max_in_flight >= 4);
	t0 = hv_time(&c.f.hv);
	check_good(read10(&c, 0, 0, 1, 0), 512); /* alone: held for 1 ms */
	CHECK(hv_time(&c.f.hv) - t0 >= HV_TICKS_PER_MS);
	finish(&c);
}

TEST(storvsp_max_in_flight)
{
	uint64_t tids[8];
	struct vsc c;

	ready(&c, 1, 0);
	check_good(read10(&c, 0, 0, 1, 0), 512);
	CHECK_EQ(stats(&c).max_in_flight, 1);
	read_burst(&c, 0, 8, 1, tids);
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(c.order[i], tids[i]);
	CHECK_EQ(stats(&c).max_in_flight, 8);
	finish(&c);
}

TEST(storvsp_fault_bogus_tid)
{
	char needle[64];
	uint64_t tid;
	struct vsc c;

	ready(&c, 1, HVSIM_STORVSP_BOGUS_TID);
	tid = send_read(&c, 0, 1, 0);
	wait_done(&c);
	check_good(checked(&c), 512);
	snprintf(needle, sizeof(needle), "type=11 flags=0 tid=%llu ",
		 (unsigned long long)(tid + 0x10000));
	CHECK(strstr(fx_trace(&c.f), needle));
	CHECK_EQ(c.ch.stale_completions, 1);
	check_good(read10(&c, 0, 0, 1, 0), 512);
	CHECK_EQ(c.ch.stale_completions, 1); /* only the first */
	finish(&c);
}

TEST(storvsp_fault_no_enumerate)
{
	struct vsc c;

	ready(&c, 1, HVSIM_STORVSP_NO_ENUMERATE);
	run_for(&c, 10 * HV_TICKS_PER_MS);
	CHECK_EQ(c.enumerates, 0);
	finish(&c);
}

/* The host sends only the 40-byte completion: a guest that drops it (it
 * is shorter than any vstor_packet) sees that request time out. */
TEST(storvsp_fault_bad_completion_size)
{
	struct vsc c;

	ready(&c, 1, HVSIM_STORVSP_BAD_COMPLETION_SIZE);
	send_read(&c, 0, 1, 0);
	wait_done(&c);
	CHECK_EQ(c.len, 40);
	run_for(&c, 10 * HV_TICKS_PER_MS);
	CHECK_EQ(c.ch.stale_completions, 0); /* nothing else came for it */
	check_good(read10(&c, 0, 0, 1, 0), 512); /* the next one is whole */
	finish(&c);
}

TEST(storvsp_fault_overlong_transfer)
{
	struct vsc c;

	ready(&c, 1, HVSIM_STORVSP_OVERLONG_TRANSFER);
	check_good(read10(&c, 0, 0, 4, 0), 2048 + 512); /* more than asked */
	check_good(read10(&c, 0, 0, 4, 0), 2048);
	finish(&c);
}

/* --- the guest's mistakes --------------------------------------------------- */

/* A request after a violation gets nothing: the channel is no longer served. */
static void check_stopped(struct vsc *c)
{
	uint8_t tur[6] = { SCSI_TEST_UNIT_READY };
	struct vstor_packet p;

	srb_packet(c, &p, 0, tur, 6, VSTOR_DATA_NONE, 0);
	send(c, &p, c->size, 0, 0);
	run_until(c, &c->done, 2 * REQ_TIMEOUT);
	CHECK(c->done && c->status == -ETIMEDOUT);
}

TEST(storvsp_violations_stop_the_channel)
{
	static const char *const why[] = {
		"no COMPLETION_REQUESTED", "a completion packet", "operation 12",
		"fewer than data_transfer_length", "2 data ranges", "without a data range",
		"data_in 1 (read) without",
	};
	uint8_t cdb[10];

	rw10(cdb, SCSI_READ_10, 0, 2);
	for (unsigned k = 0; k < ARRAY_SIZE(why); k++) {
		struct vmbus_gpa_buf two[2];
		struct vstor_packet p;
		struct vsc c;

		ready(&c, 1, 0);
		srb_packet(&c, &p, 0, cdb, 10, VSTOR_DATA_IN, 1024);
		two[0] = (struct vmbus_gpa_buf){ c.buf_gpa, 512 };
		two[1] = (struct vmbus_gpa_buf){ c.buf_gpa + 4096, 512 };
		if (k == 0) {
			CHECK_EQ(vmbus_send_inband(&c.ch, &p, c.size, 0), 0);
		} else if (k == 1) {
			CHECK_EQ(vmbus_send_completion(&c.ch, 77, &p, c.size), 0);
		} else if (k == 2) {
			p.operation = VSTOR_OP_FCHBA_DATA;
			send(&c, &p, c.size, 0, 0);
		} else if (k == 3) {
			send(&c, &p, c.size, c.buf_gpa, 512);
		} else if (k == 4) {
			uint64_t tid = vmbus_request_start(&c.ch, on_done, &c, REQ_TIMEOUT);

			CHECK_EQ(vmbus_send_gpa_direct(&c.ch, two, 2, &p, c.size, tid), 0);
		} else {
			if (k == 6)
				p.srb.data_transfer_length = 0;
			send(&c, &p, c.size, 0, 0);
		}
		check_stopped(&c);
		finish_violated(&c, 1, why[k]);
	}
}

TEST(storvsp_page_outside_guest_memory)
{
	struct vstor_packet p;
	uint8_t cdb[10];
	struct vsc c;

	ready(&c, 1, 0);
	rw10(cdb, SCSI_READ_10, 0, 1);
	srb_packet(&c, &p, 0, cdb, 10, VSTOR_DATA_IN, 512);
	check_srb(call(&c, &p, 1ull << 40, 512), ST_DEVICE_ERROR, SRB_STATUS_ERROR, 0, 0);
	check_good(read10(&c, 0, 0, 1, 0), 512); /* served still */
	CHECK_EQ(vmbus_channel_close(&c.ch), 0);
	finish_violated(&c, 1, "is not guest memory");
}

/* --- configuration, threaded mode, the command ----------------------------- */

/* hvsim_create's complaint about a disk, from stderr. */
static void create_fails(struct vsc *c, const char *devices, const char *needle)
{
	char out[512], path[] = "/tmp/hvsim-err-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	CHECK(fd >= 0 && saved >= 0);
	c->f.cfg.devices = devices;
	fflush(stderr);
	dup2(fd, 2);
	CHECK(hvsim_create(&c->f.cfg) == NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	close(fd);
	unlink(path);
	CHECK(n > 0);
	out[n] = '\0';
	CHECK_MSG(strstr(out, needle) && strchr(out, '\n') == out + n - 1, "stderr: %s", out);
}

TEST(storvsp_bad_disks_fail_creation)
{
	struct vsc c;

	config(&c, 1);
	CHECK_EQ(ftruncate(c.fds[0], 1000), 0);
	create_fails(&c, NULL, "is 1000 bytes, not a multiple of the 512-byte block");
	CHECK_EQ(ftruncate(c.fds[0], 0), 0);
	create_fails(&c, NULL, "is empty");
	CHECK_EQ(ftruncate(c.fds[0], 512), 0);
	create_fails(&c, "echo", "no storvsc device is offered");
	unlink(c.paths[0]);
	create_fails(&c, NULL, "No such file or directory");
}

TEST(storvsp_describe_lists_luns)
{
	char cmd[200], out[4096];
	struct vsc c;
	FILE *p;
	size_t n;

	config(&c, 2);
	CHECK_EQ(ftruncate(c.fds[1], 3 << 20), 0);
	snprintf(cmd, sizeof(cmd), "build/hvsim --describe --disk %s --disk %s", c.paths[0],
		 c.paths[1]);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	CHECK_EQ(pclose(p), 0);
	unlink(c.paths[0]);
	unlink(c.paths[1]);
	CHECK_MSG(strstr(out, "Disks: storvsc relid 1, path 0, target 0, read-only"), "%s", out);
	CHECK_MSG(strstr(out, "lun 0   2097152 bytes (2.0 MiB, 4096 blocks)"), "%s", out);
	CHECK_MSG(strstr(out, "lun 1   3145728 bytes (3.0 MiB, 6144 blocks)"), "%s", out);
}

/* The host in its own thread: 32 MiB in 1 MiB READs, four at a time. */
TEST(storvsp_threaded_bulk_read)
{
	const uint32_t blocks = 2048, chunks = 32; /* 1 MiB each */
	uint64_t tids[4];
	struct vsc c;

	memset(&c, 0, sizeof(c));
	fx_config(&c.f);
	c.f.cfg.devices = "storvsc";
	c.f.cfg.threaded = true;
	make_image(&c, 0, chunks * blocks, true);
	c.f.cfg.disks = c.disks;
	start(&c);
	c.f.seam->free(c.f.seam, c.buf, BUF_PAGES);
	c.buf = c.f.seam->alloc(c.f.seam, 4 * blocks / 8, &c.buf_gpa);
	CHECK(c.buf != NULL);
	handshake(&c, STORVSC_VERSION_WIN10);
	for (uint32_t i = 0; i < chunks; i += 4)
		read_burst(&c, i * blocks, 4, blocks, tids);
	CHECK_EQ(stats(&c).bytes_read, (uint64_t)chunks * blocks * 512);
	finish(&c);
}
