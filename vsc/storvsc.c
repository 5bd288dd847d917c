/* storvsc. Receives data from the host: every completion is copied out of
 * the ring (ring.c), matched to an outstanding request (channel.c), then its
 * size, operation, transfer length and sense length are checked here before
 * any field is used. */
#include "storvsc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"

static const uint16_t versions[] = { STORVSC_VERSION_WIN10, STORVSC_VERSION_WIN8_1,
				     STORVSC_VERSION_WIN8, STORVSC_VERSION_WIN7,
				     STORVSC_VERSION_WIN6 };

static void bringup_step(struct storvsc_cmd *cmd);

static void complete(struct storvsc_cmd *cmd, int status)
{
	cmd->status = status;
	if (cmd->done)
		cmd->done(cmd);
}

/* --- sending ------------------------------------------------------------ */

/* Is [buf, buf + len) guest memory, physically contiguous? Then the host
 * moves the data straight there (zero copy). */
static uint64_t direct_gpa(struct storvsc *sc, const void *buf, uint32_t len)
{
	struct hv_seam *s = sc->vb->hv->seam;
	const uint8_t *p = buf;
	uint64_t gpa = s->gpa_of(s, p);

	if (gpa == UINT64_MAX)
		return UINT64_MAX;
	for (uint32_t off = HVB_PAGE_SIZE - (uint32_t)(gpa & (HVB_PAGE_SIZE - 1)); off < len;
	     off += HVB_PAGE_SIZE)
		if (s->gpa_of(s, p + off) != gpa + off)
			return UINT64_MAX;
	return gpa;
}

static void on_completion(struct vmbus_channel *ch, struct vmbus_request *req, int status,
			  const struct ring_pkt *pkt);

static int send_packet(struct storvsc *sc, struct storvsc_cmd *cmd, struct vstor_packet *vp)
{
	uint64_t tid = vmbus_request_start(&sc->ch, on_completion, cmd, STORVSC_CMD_TIMEOUT);
	struct vmbus_gpa_buf range;
	int rc;

	if (!tid)
		return sc->ch.state == CHANNEL_OPEN ? -EAGAIN : -EPIPE;
	cmd->tid = tid;
	cmd->bounced = false;
	if (cmd->len) {
		uint64_t gpa = direct_gpa(sc, cmd->buf, cmd->len);

		if (gpa == UINT64_MAX) {
			/* Not guest memory (a metadata buffer in ordinary
			 * memory): one bounce buffer, one such command at a time. */
			if (!sc->bounce || cmd->len > sc->max_transfer) {
				vmbus_request_cancel(&sc->ch, tid);
				return -EINVAL;
			}
			if (sc->bounce_busy) {
				vmbus_request_cancel(&sc->ch, tid);
				return -EAGAIN;
			}
			sc->bounce_busy = cmd->bounced = true;
			if (!cmd->data_in)
				memcpy(sc->bounce, cmd->buf, cmd->len);
			gpa = sc->bounce_gpa;
		}
		range = (struct vmbus_gpa_buf){ gpa, cmd->len };
		rc = vmbus_send_gpa_direct(&sc->ch, &range, 1, vp, sc->packet_size, tid);
	} else {
		rc = vmbus_send_inband(&sc->ch, vp, sc->packet_size, tid);
	}
	if (rc) {
		vmbus_request_cancel(&sc->ch, tid);
		if (cmd->bounced)
			sc->bounce_busy = cmd->bounced = false;
		return rc;
	}
	sc->inflight++;
	sc->max_inflight = HVB_MAX(sc->max_inflight, sc->inflight);
	return 0;
}

int storvsc_submit(struct storvsc *sc, struct storvsc_cmd *cmd)
{
	struct vstor_packet vp;
	struct vm_srb *srb = &vp.srb;

	if (cmd->len > sc->max_transfer || cmd->cdb_len == 0 || cmd->cdb_len > 16)
		return -EINVAL;
	cmd->sc = sc;
	cmd->control = false;
	cmd->status = -EINPROGRESS;
	memset(&vp, 0, sizeof(vp));
	vp.operation = VSTOR_OP_EXECUTE_SRB;
	vp.flags = VSTOR_FLAG_REQUEST_COMPLETION;
	srb->length = (uint16_t)(sc->packet_size - 12);
	srb->lun = cmd->lun;
	srb->cdb_length = cmd->cdb_len;
	srb->sense_info_length = (uint8_t)sc->sense_size;
	srb->data_in = cmd->len ? (cmd->data_in ? VSTOR_DATA_IN : VSTOR_DATA_OUT) : VSTOR_DATA_NONE;
	srb->data_transfer_length = cmd->len;
	memcpy(srb->cdb, cmd->cdb, 16);
	if (sc->packet_size == VSTOR_PACKET_SIZE) {
		srb->srb_flags = SRB_FLAGS_DISABLE_SYNCH_TRANSFER |
				 (cmd->len ? (cmd->data_in ? SRB_FLAGS_DATA_IN : SRB_FLAGS_DATA_OUT) : 0);
		srb->time_out_value = 60;
	}
	return send_packet(sc, cmd, &vp);
}

/* A handshake step: an operation with no SRB, answered in cmd->reply. */
static int send_control(struct storvsc *sc, uint32_t operation, const void *body, uint32_t len)
{
	struct storvsc_cmd *cmd = &sc->ctl;
	struct vstor_packet vp;

	memset(&vp, 0, sizeof(vp));
	vp.operation = operation;
	vp.flags = VSTOR_FLAG_REQUEST_COMPLETION;
	if (len)
		memcpy(vp.raw, body, len);
	memset(cmd, 0, sizeof(*cmd));
	cmd->sc = sc;
	cmd->control = true;
	cmd->status = -EINPROGRESS;
	cmd->done = bringup_step;
	cmd->ctx = sc;
	return send_packet(sc, cmd, &vp);
}

/* --- completions --------------------------------------------------------- */

static bool retryable(const struct storvsc_cmd *cmd, uint64_t *delay)
{
	const struct scsi_sense *s = &cmd->sense;

	*delay = 0;
	if (cmd->retries >= STORVSC_RETRIES)
		return false;
	if (cmd->scsi_status == SCSI_STATUS_CHECK_CONDITION && s->valid) {
		if (s->key == SENSE_UNIT_ATTENTION)
			return true; /* reported once: ask again at once */
		if (s->key == SENSE_NOT_READY && s->asc == ASC_LUN_NOT_READY && s->ascq == 0x01) {
			*delay = 100 * HV_TICKS_PER_MS; /* becoming ready */
			return true;
		}
	}
	if (cmd->scsi_status == SCSI_STATUS_BUSY || cmd->scsi_status == SCSI_STATUS_TASK_SET_FULL ||
	    SRB_STATUS_CODE(cmd->srb_status) == SRB_STATUS_BUSY) {
		*delay = (1ull << cmd->retries) * HV_TICKS_PER_MS; /* 1, 2, 4 ... 128 ms */
		return true;
	}
	return false;
}

static void retry_fire(struct vmbus_timer *t)
{
	struct storvsc_cmd *cmd = t->ctx;
	int rc = storvsc_submit(cmd->sc, cmd);

	if (rc == -EAGAIN)
		vmbus_timer_start(cmd->sc->vb, &cmd->retry, HV_TICKS_PER_MS); /* ring full: soon */
	else if (rc)
		complete(cmd, rc);
}

int storvsc_judge_srb(const struct vm_srb *srb, uint32_t sense_cap, struct storvsc_cmd *cmd)
{
	uint8_t code = SRB_STATUS_CODE(srb->srb_status);

	cmd->srb_status = srb->srb_status;
	cmd->scsi_status = srb->scsi_status;
	cmd->transferred = srb->data_transfer_length;
	memset(&cmd->sense, 0, sizeof(cmd->sense));
	if (cmd->transferred > cmd->len) {
		cmd->transferred = 0;
		return -EPROTO; /* more than we asked for: host misbehaviour */
	}
	/* Sense only with CHECK CONDITION and AUTOSENSE_VALID, and never more
	 * than we asked for or the union holds. */
	if (srb->scsi_status == SCSI_STATUS_CHECK_CONDITION &&
	    (srb->srb_status & SRB_STATUS_AUTOSENSE_VALID))
		scsi_sense_parse(srb->sense_data,
				 HVB_MIN((uint32_t)srb->sense_info_length,
					 HVB_MIN(sense_cap, (uint32_t)VMSTOR_SENSE_SIZE)),
				 &cmd->sense);
	if (srb->scsi_status == SCSI_STATUS_GOOD &&
	    (code == SRB_STATUS_SUCCESS || code == SRB_STATUS_DATA_OVERRUN))
		return 0; /* short transfers: the caller looks at transferred */
	return -EIO;
}

/* Judge a completed SRB. Retries stay in here: done() sees the final answer. */
static void scsi_result(struct storvsc *sc, struct storvsc_cmd *cmd, const struct vm_srb *srb)
{
	uint32_t asked = cmd->len;
	uint64_t delay;
	int rc = storvsc_judge_srb(srb, sc->sense_size, cmd);

	if (rc == -EPROTO) {
		log_err("%s: LUN %u: the host claims %u bytes moved for a %u-byte %s: rejected",
			sc->name, cmd->lun, srb->data_transfer_length, asked,
			scsi_opcode_name(cmd->cdb[0]));
		complete(cmd, -EPROTO);
		return;
	}
	if (rc == 0) {
		complete(cmd, 0);
		return;
	}
	if (retryable(cmd, &delay)) {
		cmd->retries++;
		log_debug("%s: LUN %u: %s answered %s (%s), retry %u", sc->name, cmd->lun,
			  scsi_opcode_name(cmd->cdb[0]), scsi_status_name(cmd->scsi_status),
			  cmd->sense.valid ? scsi_sense_key_name(cmd->sense.key) : "no sense",
			  cmd->retries);
		if (delay == 0 && storvsc_submit(sc, cmd) == 0)
			return;
		cmd->retry.fn = retry_fire;
		cmd->retry.ctx = cmd;
		vmbus_timer_start(sc->vb, &cmd->retry, delay ? delay : HV_TICKS_PER_MS);
		return;
	}
	complete(cmd, -EIO);
}

int storvsc_parse_completion(const uint8_t *payload, uint32_t len, struct vstor_packet *out)
{
	memset(out, 0, sizeof(*out));
	/* 48 bytes before WIN8, 64 after; never trust more than 64. */
	memcpy(out, payload, HVB_MIN(len, (uint32_t)sizeof(*out)));
	if (len < VSTOR_PACKET_SIZE_WIN7 || out->operation != VSTOR_OP_COMPLETE_IO)
		return -EPROTO;
	return 0;
}

static void on_completion(struct vmbus_channel *ch, struct vmbus_request *req, int status,
			  const struct ring_pkt *pkt)
{
	struct storvsc_cmd *cmd = req->ctx;
	struct storvsc *sc = cmd->sc;
	struct vstor_packet vp;

	(void)ch;
	sc->inflight--;
	if (cmd->bounced)
		sc->bounce_busy = false;
	if (status) {
		complete(cmd, status); /* timeout, rescind, broken ring */
		return;
	}
	if (storvsc_parse_completion(pkt->data + pkt->offset, pkt->len - pkt->offset, &vp) != 0) {
		log_err("%s: a %u-byte completion with operation %u is not a valid vstor_packet: "
			"rejected", sc->name, pkt->len - pkt->offset, vp.operation);
		complete(cmd, -EPROTO);
		return;
	}
	if (cmd->bounced && cmd->data_in)
		memcpy(cmd->buf, sc->bounce, HVB_MIN(vp.srb.data_transfer_length, cmd->len));
	if (cmd->control) {
		cmd->nt_status = vp.status;
		cmd->reply = vp;
		complete(cmd, 0);
		return;
	}
	scsi_result(sc, cmd, &vp.srb);
}

/* Unsolicited packets (trans_id 0) and anything inband from the host. */
static void on_packet(struct vmbus_channel *ch, const struct ring_pkt *pkt)
{
	struct storvsc *sc = ch->params.ctx;
	uint32_t plen = pkt->len - pkt->offset, op;

	if (pkt->type != VMBUS_PKT_DATA_INBAND || plen < 4) {
		log_warn("%s: ignored an unexpected packet (type %u, %u bytes)", sc->name, pkt->type,
			 plen);
		return;
	}
	memcpy(&op, pkt->data + pkt->offset, 4);
	switch (op) {
	case VSTOR_OP_ENUMERATE_BUS:
		/* LUNs changed: the host announces it after END_INITIALIZATION.
		 * Discovery runs after that anyway; later changes are noted. */
		sc->enumerate_bus++;
		log_info("%s: the host asks for a bus rescan (ENUMERATE_BUS)", sc->name);
		break;
	case VSTOR_OP_REMOVE_DEVICE:
		log_warn("%s: the host removed a device (REMOVE_DEVICE)", sc->name);
		break;
	default:
		log_warn("%s: ignored an unsolicited packet with operation %u", sc->name, op);
		break;
	}
}

/* --- synchronous execution --------------------------------------------- */

static void exec_done(struct storvsc_cmd *cmd) { (void)cmd; }

int storvsc_exec(struct storvsc *sc, struct storvsc_cmd *cmd)
{
	int rc;

	cmd->done = exec_done;
	for (;;) {
		rc = storvsc_submit(sc, cmd);
		if (rc != -EAGAIN)
			break;
		if (!vmbus_loop_once(sc->vb))
			hv_idle(sc->vb->hv->seam);
	}
	if (rc)
		return rc;
	while (cmd->status == -EINPROGRESS) /* bounded: every request has a deadline */
		if (!vmbus_loop_once(sc->vb))
			hv_idle(sc->vb->hv->seam);
	return cmd->status;
}

/* --- errors as sentences ------------------------------------------------ */

static uint64_t cdb_lba(const uint8_t *cdb)
{
	if (cdb[0] == SCSI_READ_16 || cdb[0] == SCSI_WRITE_16)
		return scsi_get_be64(cdb + 2);
	if (cdb[0] == SCSI_READ_10 || cdb[0] == SCSI_WRITE_10)
		return scsi_get_be32(cdb + 2);
	return UINT64_MAX;
}

void storvsc_describe(const struct storvsc_cmd *cmd, char *buf, unsigned len)
{
	const struct scsi_sense *s = &cmd->sense;
	uint64_t lba = cdb_lba(cmd->cdb);
	char where[40] = "", sense[160] = "";
	const char *asc;

	if (lba != UINT64_MAX)
		snprintf(where, sizeof(where), " at LBA %llu", (unsigned long long)lba);
	if (s->valid) {
		asc = scsi_asc_name(s->asc, s->ascq);
		snprintf(sense, sizeof(sense), "%s, %s (ASC 0x%02x, ASCQ 0x%02x)%s",
			 scsi_sense_key_name(s->key), asc ? asc : "unlisted condition", s->asc, s->ascq,
			 s->info_valid ? "" : "");
		if (s->info_valid && s->key == SENSE_MEDIUM_ERROR)
			snprintf(sense + strlen(sense), sizeof(sense) - strlen(sense),
				 " at LBA %llu", (unsigned long long)s->info);
	} else {
		snprintf(sense, sizeof(sense), "no sense data");
	}
	if (cmd->status == -ETIMEDOUT)
		snprintf(buf, len, "scsi:%u: %s%s got no answer in %llu s", cmd->lun,
			 scsi_opcode_name(cmd->cdb[0]), where,
			 (unsigned long long)(STORVSC_CMD_TIMEOUT / HV_TICKS_PER_SEC));
	else if (cmd->status == -EPROTO)
		snprintf(buf, len, "scsi:%u: %s%s: the host's answer broke the protocol", cmd->lun,
			 scsi_opcode_name(cmd->cdb[0]), where);
	else if (cmd->status == -ENODEV || cmd->status == -EPIPE)
		snprintf(buf, len, "scsi:%u: %s%s: the controller channel is gone", cmd->lun,
			 scsi_opcode_name(cmd->cdb[0]), where);
	else
		snprintf(buf, len, "scsi:%u: %s%s failed: %s; SCSI status %s, SRB status %s (0x%02x)%s",
			 cmd->lun, scsi_opcode_name(cmd->cdb[0]), where, sense,
			 scsi_status_name(cmd->scsi_status), srb_status_name(cmd->srb_status),
			 cmd->srb_status, cmd->retries ? " after retries" : "");
}

/* --- bring-up: handshake, then discovery ---------------------------------- */

static void bringup_done(struct storvsc *sc, int status)
{
	struct vmbus_op *op = sc->op;

	sc->stage = status ? STORVSC_FAILED : STORVSC_READY;
	sc->op = NULL;
	vmbus_op_finish(op, status);
}

static void fail(struct storvsc *sc, int status, const char *what)
{
	log_err("%s: %s", sc->name, what);
	bringup_done(sc, status);
}

static int scsi_ctl(struct storvsc *sc, uint8_t lun, unsigned cdb_len, uint32_t len)
{
	struct storvsc_cmd *cmd = &sc->ctl;

	cmd->lun = lun;
	cmd->cdb_len = (uint8_t)cdb_len;
	cmd->data_in = len != 0;
	cmd->buf = sc->dma;
	cmd->len = len;
	cmd->retries = 0;
	cmd->done = bringup_step;
	cmd->ctx = sc;
	memset(sc->dma, 0, HVB_PAGE_SIZE);
	return storvsc_submit(sc, cmd);
}

static void start_probe(struct storvsc *sc);

/* REPORT LUNS: header (list length, big-endian) then 8-byte entries with
 * the LUN in bytes 0..1 (peripheral addressing: bits 13..0). Reads only
 * within got bytes; returns how many LUNs went into luns[]. */
unsigned storvsc_parse_report_luns(const uint8_t *d, uint32_t got, uint8_t *luns, unsigned max,
				   unsigned *skipped)
{
	uint32_t list = got >= 8 ? scsi_get_be32(d) : 0;
	uint32_t n = HVB_MIN(list, got - HVB_MIN(got, 8u)) / 8;
	unsigned count = 0;

	*skipped = 0;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = d + 8 + 8 * i;
		unsigned lun = (unsigned)(e[0] & 0x3f) << 8 | e[1];

		if ((e[0] >> 6) > 1 || lun >= STORVSC_MAX_LUNS || count == max) {
			(*skipped)++;
			continue;
		}
		luns[count++] = (uint8_t)lun;
	}
	return count;
}

static void parse_report_luns(struct storvsc *sc, const uint8_t *d, uint32_t got)
{
	unsigned skipped;

	sc->ncandidates = storvsc_parse_report_luns(d, got, sc->candidates, STORVSC_MAX_LUNS,
						     &skipped);
	if (skipped)
		log_warn("%s: REPORT LUNS names %u LUN(s) beyond the %u hvboot addresses: skipped",
			 sc->name, skipped, STORVSC_MAX_LUNS);
}

static void copy_str(char *dst, const uint8_t *src, unsigned n)
{
	unsigned end = n;

	for (unsigned i = 0; i < n; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	while (end > 0 && dst[end - 1] == ' ')
		end--;
	dst[end] = '\0';
}

static void lun_add(struct storvsc *sc, uint8_t lun, const uint8_t *inq);
static void probe_next(struct storvsc *sc);

/* The probe of one LUN: INQUIRY, TEST UNIT READY, READ CAPACITY (10),
 * READ CAPACITY (16) when (10) says "more than 2^32 blocks". */
static void probe_result(struct storvsc *sc, struct storvsc_cmd *cmd)
{
	uint8_t lun = sc->candidates[sc->probe_index];
	struct storvsc_lun *l = sc->nluns ? &sc->luns[sc->nluns - 1] : NULL;
	const uint8_t *d = sc->dma;
	char why[240];

	if (cmd->status) {
		storvsc_describe(cmd, why, sizeof(why));
		log_warn("%s: %s; LUN %u skipped", sc->name, why, lun);
		if (sc->probe_step > 0 && l && l->lun == lun)
			sc->nluns--; /* half-probed */
		sc->probe_index++;
		sc->probe_step = 0;
		probe_next(sc);
		return;
	}
	switch (sc->probe_step) {
	case 0: /* INQUIRY */
		if (cmd->transferred < 36 || (d[0] & 0xe0) != 0 || d[0] == INQUIRY_PERIPHERAL_NOT_PRESENT) {
			sc->probe_index++; /* no logical unit here */
			probe_next(sc);
			return;
		}
		lun_add(sc, lun, d);
		sc->probe_step = 1;
		scsi_ctl(sc, lun, scsi_cdb_test_unit_ready(sc->ctl.cdb), 0);
		return;
	case 1: /* TEST UNIT READY */
		sc->probe_step = 2;
		scsi_ctl(sc, lun, scsi_cdb_read_capacity10(sc->ctl.cdb), 8);
		return;
	case 2: /* READ CAPACITY (10) */
		if (cmd->transferred < 8)
			break;
		if (scsi_get_be32(d) == 0xffffffffu) {
			sc->probe_step = 3;
			scsi_ctl(sc, lun, scsi_cdb_read_capacity16(sc->ctl.cdb, 32), 32);
			return;
		}
		l->blocks = (uint64_t)scsi_get_be32(d) + 1;
		l->block_size = scsi_get_be32(d + 4);
		goto check;
	case 3: /* READ CAPACITY (16) */
		if (cmd->transferred < 12)
			break;
		l->blocks = scsi_get_be64(d) + 1;
		l->block_size = scsi_get_be32(d + 8);
		goto check;
	}
	log_warn("%s: LUN %u: capacity data too short (%u bytes); skipped", sc->name, lun,
		 cmd->transferred);
	sc->nluns--;
	goto next;
check:
	/* The host's numbers: a block size we can address, a non-empty disk,
	 * no wrap-around (blocks == 0 after +1 means 2^64). */
	if (l->block_size < 512 || l->block_size > 4096 || (l->block_size & (l->block_size - 1)) ||
	    l->blocks == 0) {
		log_warn("%s: LUN %u reports %llu blocks of %u bytes; skipped", sc->name, lun,
			 (unsigned long long)l->blocks, l->block_size);
		sc->nluns--;
		goto next;
	}
	l->dev.block_size = l->block_size;
	l->dev.blocks = l->blocks;
next:
	sc->probe_index++;
	sc->probe_step = 0;
	probe_next(sc);
}

static void probe_next(struct storvsc *sc)
{
	if (sc->probe_index >= sc->ncandidates) {
		log_info("%s: protocol %u.%u, max transfer %u KiB, %u LUN(s)", sc->name,
			 sc->version >> 8, sc->version & 0xff, sc->max_transfer / 1024, sc->nluns);
		bringup_done(sc, 0);
		return;
	}
	sc->stage = STORVSC_PROBE;
	if (scsi_ctl(sc, sc->candidates[sc->probe_index],
		     scsi_cdb_inquiry(sc->ctl.cdb, false, 0, 96), 96) != 0)
		fail(sc, -EIO, "cannot send INQUIRY");
}

static void start_probe(struct storvsc *sc)
{
	sc->probe_index = 0;
	sc->probe_step = 0;
	probe_next(sc);
}

static int send_version(struct storvsc *sc)
{
	uint16_t body[2] = { versions[sc->version_index], 0 };

	return send_control(sc, VSTOR_OP_QUERY_PROTOCOL_VERSION, body, sizeof(body));
}

/* Every handshake and discovery completion lands here. */
static void bringup_step(struct storvsc_cmd *cmd)
{
	struct storvsc *sc = cmd->ctx;
	char why[200];
	int rc = 0;

	if (sc->stage != STORVSC_PROBE && sc->stage != STORVSC_REPORT_LUNS && cmd->status) {
		snprintf(why, sizeof(why), "handshake step %u got no valid answer (%d)", sc->stage,
			 cmd->status);
		fail(sc, cmd->status, why);
		return;
	}
	switch (sc->stage) {
	case STORVSC_BEGIN:
		if (cmd->nt_status) {
			snprintf(why, sizeof(why), "BEGIN_INITIALIZATION refused (status %#x)",
				 cmd->nt_status);
			fail(sc, -EIO, why);
			return;
		}
		sc->stage = STORVSC_VERSION;
		while (sc->version_index + 1 < ARRAY_SIZE(versions) &&
		       versions[sc->version_index] > sc->params.max_version)
			sc->version_index++;
		rc = send_version(sc);
		break;
	case STORVSC_VERSION:
		if (cmd->nt_status == 0) {
			sc->version = versions[sc->version_index];
			/* From WIN8 on, packets carry the 16-byte SRB extension. */
			sc->packet_size = sc->version >= STORVSC_VERSION_WIN8 ? VSTOR_PACKET_SIZE
									   : VSTOR_PACKET_SIZE_WIN7;
			sc->sense_size = sc->version >= STORVSC_VERSION_WIN8 ? VMSTOR_SENSE_SIZE
									  : VMSTOR_SENSE_SIZE_WIN7;
			sc->stage = STORVSC_PROPERTIES;
			rc = send_control(sc, VSTOR_OP_QUERY_PROPERTIES, NULL, 0);
			break;
		}
		/* Any refusal (REVISION_MISMATCH, INVALID_DEVICE_STATE): next. */
		if (++sc->version_index == ARRAY_SIZE(versions)) {
			fail(sc, -EPROTONOSUPPORT,
			     "the host accepts none of the storvsc protocols 6.2, 6.0, 5.1, 4.2, 2.0");
			return;
		}
		rc = send_version(sc);
		break;
	case STORVSC_PROPERTIES: {
		const struct vstor_properties *p = &cmd->reply.properties;

		if (cmd->nt_status) {
			snprintf(why, sizeof(why), "QUERY_PROPERTIES refused (status %#x)",
				 cmd->nt_status);
			fail(sc, -EIO, why);
			return;
		}
		/* The host's limit, never a constant of ours; whole pages. */
		sc->max_transfer = p->max_transfer_bytes & ~(HVB_PAGE_SIZE - 1);
		if (sc->max_transfer == 0) {
			snprintf(why, sizeof(why), "the host reports a maximum transfer of %u bytes",
				 p->max_transfer_bytes);
			fail(sc, -EPROTO, why);
			return;
		}
		sc->max_transfer = HVB_MIN(sc->max_transfer, STORVSC_MAX_TRANSFER_CAP);
		sc->max_channels = p->max_channel_cnt;
		sc->stage = STORVSC_END;
		rc = send_control(sc, VSTOR_OP_END_INITIALIZATION, NULL, 0);
		break;
	}
	case STORVSC_END: {
		struct hv_seam *s = sc->vb->hv->seam;

		if (cmd->nt_status) {
			snprintf(why, sizeof(why), "END_INITIALIZATION refused (status %#x)",
				 cmd->nt_status);
			fail(sc, -EIO, why);
			return;
		}
		sc->bounce = s->alloc(s, sc->max_transfer / HVB_PAGE_SIZE, &sc->bounce_gpa);
		if (!sc->bounce) {
			fail(sc, -ENOMEM, "out of memory for the bounce buffer");
			return;
		}
		sc->stage = STORVSC_REPORT_LUNS;
		rc = scsi_ctl(sc, 0, scsi_cdb_report_luns(sc->ctl.cdb, 8 + 8 * STORVSC_MAX_LUNS),
			      8 + 8 * STORVSC_MAX_LUNS);
		break;
	}
	case STORVSC_REPORT_LUNS:
		if (cmd->status == 0) {
			parse_report_luns(sc, sc->dma, cmd->transferred);
		} else {
			/* Some hosts lack REPORT LUNS: probe the first eight. */
			storvsc_describe(cmd, why, sizeof(why));
			log_warn("%s: %s; probing LUNs 0-7 instead", sc->name, why);
			sc->ncandidates = 8;
			for (unsigned i = 0; i < 8; i++)
				sc->candidates[i] = (uint8_t)i;
		}
		start_probe(sc);
		return;
	case STORVSC_PROBE:
		probe_result(sc, cmd);
		return;
	default:
		return;
	}
	if (rc)
		fail(sc, rc, "cannot send the next handshake step");
}

static void on_open(struct vmbus_op *op)
{
	struct storvsc *sc = op->ctx;

	if (op->status) {
		fail(sc, op->status, "the controller channel did not open");
		return;
	}
	sc->stage = STORVSC_BEGIN;
	/* Start small (48-byte packets, as the Hyper-V firmware does) until a
	 * WIN8 or newer protocol is accepted. */
	sc->packet_size = VSTOR_PACKET_SIZE_WIN7;
	sc->sense_size = VMSTOR_SENSE_SIZE_WIN7;
	if (send_control(sc, VSTOR_OP_BEGIN_INITIALIZATION, NULL, 0))
		fail(sc, -EIO, "cannot send BEGIN_INITIALIZATION");
}

/* --- block reads ---------------------------------------------------------- */


static void read_done(struct storvsc_cmd *cmd)
{
	struct read_job *j = cmd->ctx;
	uint32_t bs = j->l->block_size, want = cmd->len / bs, got;
	uint64_t lba = cdb_lba(cmd->cdb);

	j->outstanding--;
	if (cmd->status) {
		if (!j->error) {
			j->error = cmd->status;
			storvsc_describe(cmd, j->why, sizeof(j->why));
		}
		return;
	}
	if (cmd->transferred % bs) {
		if (!j->error) {
			j->error = -EPROTO;
			snprintf(j->why, sizeof(j->why), "scsi:%u: READ at LBA %llu moved %u bytes, not "
				 "whole %u-byte blocks", cmd->lun, (unsigned long long)lba,
				 cmd->transferred, bs);
		}
		return;
	}
	got = cmd->transferred / bs;
	if (got && j->l->dev.progress)
		j->l->dev.progress(j->l->dev.progress_ctx, (uint64_t)got * bs);
	if (got < want) {
		/* A short transfer: read the rest again; it must progress. */
		if (got == 0 && cmd->retries++ >= STORVSC_RETRIES) {
			if (!j->error) {
				j->error = -EIO;
				snprintf(j->why, sizeof(j->why), "scsi:%u: READ at LBA %llu keeps "
					 "returning no data", cmd->lun, (unsigned long long)lba);
			}
			return;
		}
		j->redo_lba[j->nredo] = lba + got;
		j->redo_count[j->nredo++] = want - got;
	}
	cmd->retries = 0;
}

static struct storvsc_cmd *free_io(struct storvsc *sc)
{
	for (unsigned i = 0; i < sc->params.queue_depth; i++)
		if (sc->io[i].status != -EINPROGRESS)
			return &sc->io[i];
	return NULL;
}

static int issue(struct read_job *j, uint64_t lba, uint64_t blocks)
{
	struct storvsc *sc = j->l->sc;
	struct storvsc_cmd *cmd = free_io(sc);
	int rc;

	if (!cmd)
		return -EAGAIN;
	memset(cmd, 0, sizeof(*cmd));
	cmd->lun = j->l->lun;
	cmd->cdb_len = (uint8_t)scsi_cdb_read(cmd->cdb, lba, (uint32_t)blocks);
	cmd->data_in = true;
	cmd->buf = j->dst + (lba - j->lba) * j->l->block_size;
	cmd->len = (uint32_t)(blocks * j->l->block_size);
	cmd->done = read_done;
	cmd->ctx = j;
	rc = storvsc_submit(sc, cmd);
	if (rc == 0)
		j->outstanding++;
	else
		cmd->status = rc;
	return rc;
}

/* Split at the host's max transfer, keep queue_depth requests in flight,
 * each straight into its place in dst. */
static int lun_read(struct blkdev *d, uint64_t lba, uint64_t count, void *dst)
{
	struct storvsc_lun *l = d->ctx;
	struct storvsc *sc = l->sc;
	uint64_t chunk = sc->max_transfer / l->block_size;
	struct read_job *j = &sc->job;
	int rc = 0;

	if (lba >= l->blocks || count > l->blocks - lba)
		return -ERANGE;
	if (j->l) {
		log_err("%s: a read is already in progress on this controller", d->name);
		return -EBUSY;
	}
	memset(j, 0, sizeof(*j));
	j->l = l;
	j->dst = dst;
	j->lba = lba;
	j->count = count;
	for (;;) {
		vmbus_channel_batch_begin(&sc->ch);
		while (!j->error && j->outstanding < sc->params.queue_depth) {
			if (j->nredo) {
				rc = issue(j, j->redo_lba[j->nredo - 1], j->redo_count[j->nredo - 1]);
				if (rc == 0)
					j->nredo--;
			} else if (j->next < count) {
				uint64_t n = HVB_MIN(chunk, count - j->next);

				rc = issue(j, lba + j->next, n);
				if (rc == 0)
					j->next += n;
			} else {
				break;
			}
			if (rc == -EAGAIN)
				break;
			if (rc && !j->error) {
				j->error = rc;
				snprintf(j->why, sizeof(j->why), "%s: cannot send a READ (%d)", d->name, rc);
			}
		}
		vmbus_channel_batch_end(&sc->ch);
		if (j->outstanding == 0 && (j->error || (j->next == count && j->nredo == 0)))
			break;
		if (!vmbus_loop_once(sc->vb))
			hv_idle(sc->vb->hv->seam);
	}
	j->l = NULL;
	if (j->error) {
		log_err("%s", j->why);
		return j->error;
	}
	sc->bytes_read += count * l->block_size;
	return 0;
}

static void lun_add(struct storvsc *sc, uint8_t lun, const uint8_t *inq)
{
	struct storvsc_lun *l = &sc->luns[sc->nluns++];

	memset(l, 0, sizeof(*l));
	l->sc = sc;
	l->lun = lun;
	l->peripheral = inq[0];
	copy_str(l->vendor, inq + 8, 8);
	copy_str(l->product, inq + 16, 16);
	copy_str(l->revision, inq + 32, 4);
	snprintf(l->dev.name, sizeof(l->dev.name), "scsi:%u", lun);
	l->dev.read = lun_read;
	l->dev.ctx = l;
}

/* --- attach / detach ---------------------------------------------------- */

int storvsc_start(struct storvsc *sc, struct vmbus *vb, struct vmbus_offer *offer,
		  const struct storvsc_params *params, struct vmbus_op *op)
{
	struct vmbus_channel_params cp = { 0 };
	struct hv_seam *s = vb->hv->seam;
	int rc;

	memset(sc, 0, sizeof(*sc));
	sc->vb = vb;
	if (params)
		sc->params = *params;
	if (!sc->params.queue_depth)
		sc->params.queue_depth = STORVSC_DEFAULT_QUEUE;
	sc->params.queue_depth = HVB_MIN(sc->params.queue_depth, (uint16_t)STORVSC_MAX_QUEUE);
	if (!sc->params.ring_bytes)
		sc->params.ring_bytes = STORVSC_RING_BYTES;
	if (!sc->params.max_version)
		sc->params.max_version = STORVSC_VERSION_WIN10;
	snprintf(sc->name, sizeof(sc->name), "storvsc relid %u", offer->relid);
	for (unsigned i = 0; i < STORVSC_MAX_QUEUE; i++)
		sc->io[i].status = 0;
	sc->dma = s->alloc(s, 1, &sc->dma_gpa);
	if (!sc->dma)
		return -ENOMEM;
	cp.out_bytes = cp.in_bytes = sc->params.ring_bytes;
	cp.max_requests = (uint16_t)(sc->params.queue_depth + 2); /* + control, + a retry */
	cp.on_packet = on_packet;
	cp.ctx = sc;
	vmbus_op_start(op);
	sc->op = op;
	sc->open_op.done = on_open;
	sc->open_op.ctx = sc;
	sc->stage = STORVSC_OPENING;
	rc = vmbus_channel_open_start(vb, &sc->ch, offer, &cp, &sc->open_op);
	if (rc) {
		s->free(s, sc->dma, 1);
		sc->dma = NULL;
		sc->op = NULL;
		op->status = rc;
	}
	return rc;
}

int storvsc_attach(struct storvsc *sc, struct vmbus *vb, struct vmbus_offer *offer,
		   const struct storvsc_params *params)
{
	struct vmbus_op op = { 0 };
	int rc = storvsc_start(sc, vb, offer, params, &op);

	return rc ? rc : vmbus_wait_op(vb, &op);
}

int storvsc_detach(struct storvsc *sc)
{
	struct hv_seam *s = sc->vb->hv->seam;
	int rc = vmbus_channel_close(&sc->ch);

	for (unsigned i = 0; i < STORVSC_MAX_QUEUE; i++)
		if (sc->io[i].retry.armed)
			vmbus_timer_cancel(sc->vb, &sc->io[i].retry);
	if (sc->ctl.retry.armed)
		vmbus_timer_cancel(sc->vb, &sc->ctl.retry);
	/* The host may hold our buffers only while the channel is open. */
	if (rc == 0) {
		s->free(s, sc->dma, 1);
		if (sc->bounce)
			s->free(s, sc->bounce, sc->max_transfer / HVB_PAGE_SIZE);
		sc->dma = sc->bounce = NULL;
	}
	sc->stage = STORVSC_IDLE;
	return rc;
}

struct storvsc_lun *storvsc_lun(struct storvsc *sc, unsigned lun)
{
	for (unsigned i = 0; i < sc->nluns; i++)
		if (sc->luns[i].lun == lun)
			return &sc->luns[i];
	return NULL;
}

void storvsc_inventory(const struct storvsc *sc, void (*out)(const char *line, void *ctx),
		       void *ctx)
{
	char line[200];

	for (unsigned i = 0; i < sc->nluns; i++) {
		const struct storvsc_lun *l = &sc->luns[i];
		uint64_t bytes = l->blocks * l->block_size;

		snprintf(line, sizeof(line), "scsi:%-3u %-8s %-16s %-4s  %llu blocks of %u bytes (%llu MiB)",
			 l->lun, l->vendor, l->product, l->revision, (unsigned long long)l->blocks,
			 l->block_size, (unsigned long long)(bytes >> 20));
		out(line, ctx);
	}
}
