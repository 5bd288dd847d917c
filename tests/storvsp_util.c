/* The storage VSP tests' fixture (storvsp_util.h). */
#include "storvsp_util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../vmbus/devclass.h"

/* Block i, 8-byte word j holds i << 16 | j: a misplaced block or word shows. */
static uint64_t word_at(uint64_t lba, unsigned j) { return lba << 16 | j; }

void sp_make_image(struct vsc *c, unsigned i, uint64_t blocks, bool fill)
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

/* fx_config plus n images of BLOCKS blocks; adjust c->f.cfg, then sp_start(). */
void sp_config(struct vsc *c, unsigned ndisks)
{
	memset(c, 0, sizeof(*c));
	fx_config(&c->f);
	c->f.cfg.devices = "storvsc,echo";
	for (unsigned i = 0; i < ndisks; i++)
		sp_make_image(c, i, BLOCKS, true);
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

void sp_open_channel(struct vsc *c)
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

void sp_start(struct vsc *c)
{
	fx_start(&c->f);
	for (unsigned i = 0; i < 2; i++)
		if (c->disks[i])
			unlink(c->paths[i]); /* hvsim holds it open; the test keeps its fd */
	fx_connect(&c->f);
	c->buf = c->f.seam->alloc(c->f.seam, BUF_PAGES, &c->buf_gpa);
	CHECK(c->buf != NULL);
	sp_open_channel(c);
	c->size = VSTOR_PACKET_SIZE;
}

/* Close, unload, no violations, clean audit. */
void sp_finish(struct vsc *c)
{
	CHECK_EQ(vmbus_channel_close(&c->ch), 0);
	fx_finish(&c->f);
	fx_destroy(&c->f);
}

/* After violations: exactly n, the first containing needle. */
void sp_finish_violated(struct vsc *c, unsigned n, const char *needle)
{
	CHECK_EQ(hvsim_violation_count(c->f.sim), n);
	CHECK_MSG(strstr(hvsim_violation(c->f.sim, 0), needle), "violation '%s' lacks '%s'",
		  hvsim_violation(c->f.sim, 0), needle);
	CHECK_EQ(vmbus_shutdown(&c->f.vb), 0);
	hv_teardown(&c->f.hv);
	fx_destroy(&c->f);
}

void sp_on_done(struct vmbus_channel *ch, struct vmbus_request *req, int status,
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
void sp_run_until(struct vsc *c, const bool *flag, uint64_t ticks)
{
	uint64_t end = hv_time(&c->f.hv) + ticks;

	while (!*flag && hv_time(&c->f.hv) < end)
		if (!vmbus_loop_once(&c->f.vb))
			hv_idle(c->f.seam);
}

void sp_run_for(struct vsc *c, uint64_t ticks)
{
	static const bool never;

	sp_run_until(c, &never, ticks);
}

/* Send one packet (GPA-direct over [gpa, gpa + len) when len) and return its tid. */
uint64_t sp_send(struct vsc *c, const void *pkt, uint32_t size, uint64_t gpa, uint32_t len)
{
	uint64_t tid = vmbus_request_start(&c->ch, sp_on_done, c, REQ_TIMEOUT);
	struct vmbus_gpa_buf b = { gpa, len };

	CHECK(tid != 0);
	c->done = false;
	if (len)
		CHECK_EQ(vmbus_send_gpa_direct(&c->ch, &b, 1, pkt, size, tid), 0);
	else
		CHECK_EQ(vmbus_send_inband(&c->ch, pkt, size, tid), 0);
	return tid;
}

void sp_wait_done(struct vsc *c)
{
	sp_run_until(c, &c->done, 2 * REQ_TIMEOUT);
	CHECK(c->done);
	CHECK_EQ(c->status, 0);
}

/* A completion as storvsp must send it: type 11, as long as the request,
 * operation COMPLETE_IO, flags 0. */
const struct vstor_packet *sp_checked(struct vsc *c)
{
	CHECK_EQ(c->type, VMBUS_PKT_COMP);
	CHECK_EQ(c->len, c->size);
	CHECK_EQ(c->comp.p.operation, VSTOR_OP_COMPLETE_IO);
	CHECK_EQ(c->comp.p.flags, 0);
	return &c->comp.p;
}

const struct vstor_packet *sp_call(struct vsc *c, const struct vstor_packet *p, uint64_t gpa,
				   uint32_t len)
{
	sp_send(c, p, c->size, gpa, len);
	sp_wait_done(c);
	return sp_checked(c);
}

/* A non-SCSI operation; arg goes to offset 12 (version, sub-channel count). */
const struct vstor_packet *sp_op(struct vsc *c, uint32_t operation, uint16_t arg)
{
	struct vstor_packet p;

	memset(&p, 0, sizeof(p));
	p.operation = operation;
	p.flags = VSTOR_FLAG_REQUEST_COMPLETION;
	p.version.major_minor = arg;
	return sp_call(c, &p, 0, 0);
}

void sp_handshake(struct vsc *c, uint16_t version)
{
	c->size = version < STORVSC_VERSION_WIN8 ? VSTOR_PACKET_SIZE_WIN7 : VSTOR_PACKET_SIZE;
	CHECK_EQ(sp_op(c, VSTOR_OP_BEGIN_INITIALIZATION, 0)->status, 0);
	CHECK_EQ(sp_op(c, VSTOR_OP_QUERY_PROTOCOL_VERSION, version)->status, 0);
	CHECK_EQ(c->comp.p.version.major_minor, version);
	CHECK_EQ(sp_op(c, VSTOR_OP_QUERY_PROPERTIES, 0)->status, 0);
	CHECK_EQ(sp_op(c, VSTOR_OP_END_INITIALIZATION, 0)->status, 0);
	sp_run_for(c, HV_TICKS_PER_MS); /* ENUMERATE_BUS, if any */
}

void sp_srb_packet(struct vsc *c, struct vstor_packet *p, uint8_t lun, const uint8_t *cdb,
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
const struct vstor_packet *sp_scsi(struct vsc *c, uint8_t lun, const uint8_t *cdb,
				   unsigned cdb_len, uint8_t data_in, uint32_t off, uint32_t len)
{
	struct vstor_packet p;

	sp_srb_packet(c, &p, lun, cdb, cdb_len, data_in, len);
	return sp_call(c, &p, c->buf_gpa + off, len);
}

void sp_rw10(uint8_t *cdb, uint8_t opcode, uint32_t lba, uint16_t n)
{
	memset(cdb, 0, 10);
	cdb[0] = opcode;
	cdb[2] = (uint8_t)(lba >> 24), cdb[3] = (uint8_t)(lba >> 16);
	cdb[4] = (uint8_t)(lba >> 8), cdb[5] = (uint8_t)lba;
	cdb[7] = (uint8_t)(n >> 8), cdb[8] = (uint8_t)n;
}

/* READ(10) of n blocks into c->buf + off, sent: its tid. */
uint64_t sp_send_read(struct vsc *c, uint32_t lba, uint32_t n, uint32_t off)
{
	struct vstor_packet p;
	uint8_t cdb[10];

	sp_rw10(cdb, SCSI_READ_10, lba, (uint16_t)n);
	sp_srb_packet(c, &p, 0, cdb, 10, VSTOR_DATA_IN, n * 512);
	return sp_send(c, &p, c->size, c->buf_gpa + off, n * 512);
}

/* READ(10) of n blocks into c->buf + off (pre-filled with UNTOUCHED). */
const struct vstor_packet *sp_read10(struct vsc *c, uint8_t lun, uint32_t lba, uint16_t n,
				     uint32_t off)
{
	uint8_t cdb[10];

	memset(c->buf, UNTOUCHED, BUF_PAGES * HVB_PAGE_SIZE);
	sp_rw10(cdb, SCSI_READ_10, lba, n);
	return sp_scsi(c, lun, cdb, 10, VSTOR_DATA_IN, off, n * 512u);
}

/* Blocks [lba, lba + n) of image i are at c->buf + off. */
bool sp_blocks_match(struct vsc *c, unsigned i, uint64_t lba, uint32_t n, uint32_t off)
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

bool sp_untouched(struct vsc *c, uint32_t from, uint32_t to)
{
	for (uint32_t k = from; k < to; k++)
		if (c->buf[k] != UNTOUCHED)
			return false;
	return true;
}

/* CHECK CONDITION with fixed sense key/asc, srb status srb (0x80 included). */
void sp_check_sense(const struct vstor_packet *p, uint8_t srb, uint8_t key, uint8_t asc)
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
void sp_check_srb(const struct vstor_packet *p, uint32_t nt, uint8_t srb, uint8_t scsi,
		  uint32_t moved)
{
	CHECK_EQ(p->status, nt);
	CHECK_EQ(p->srb.srb_status, srb);
	CHECK_EQ(p->srb.scsi_status, scsi);
	CHECK_EQ(p->srb.data_transfer_length, moved);
}

void sp_check_good(const struct vstor_packet *p, uint32_t moved)
{
	sp_check_srb(p, 0, SRB_STATUS_SUCCESS, SCSI_STATUS_GOOD, moved);
}

struct hvsim_storvsp_stats sp_stats(struct vsc *c)
{
	struct hvsim_storvsp_stats st;

	CHECK_EQ(hvsim_storvsp_stats(c->f.sim, &st), 0);
	return st;
}

/* Started, and the handshake done at WIN10. */
void sp_go(struct vsc *c)
{
	sp_start(c);
	sp_handshake(c, STORVSC_VERSION_WIN10);
}

void sp_ready(struct vsc *c, unsigned ndisks, uint32_t faults)
{
	sp_config(c, ndisks);
	c->f.cfg.storvsp_faults = faults;
	sp_go(c);
}

/* k READs of n blocks from lba on, into c->buf in order, sent in one batch;
 * waits for all and checks the data. */
void sp_read_burst(struct vsc *c, uint32_t lba, unsigned k, uint32_t n, uint64_t *tids)
{
	c->norder = 0;
	vmbus_channel_batch_begin(&c->ch);
	for (unsigned i = 0; i < k; i++)
		tids[i] = sp_send_read(c, lba + i * n, n, i * n * 512);
	vmbus_channel_batch_end(&c->ch);
	while (c->norder < k)
		if (!vmbus_loop_once(&c->f.vb))
			hv_idle(c->f.seam);
	CHECK(sp_blocks_match(c, 0, lba, k * n, 0));
}
