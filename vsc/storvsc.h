/* storvsc: the guest side of synthetic SCSI (facts section 5). Brings a
 * SCSI controller channel up (handshake, version negotiation, properties),
 * discovers its LUNs, and reads blocks with several requests in flight, data
 * described to the host as GPA-direct ranges over the destination itself. */
#ifndef VSC_STORVSC_H
#define VSC_STORVSC_H

#include "../payload/blkdev.h"
#include "../vmbus/channel.h"
#include "scsi.h"
#include "storvsc_proto.h"

/* Policy */
#define STORVSC_MAX_LUNS 64u
#define STORVSC_MAX_QUEUE 128u
#define STORVSC_DEFAULT_QUEUE 32u
#define STORVSC_RING_BYTES (256u * 1024)
#define STORVSC_CMD_TIMEOUT (30 * HV_TICKS_PER_SEC)
#define STORVSC_RETRIES 8u            /* UNIT ATTENTION, BUSY, QUEUE FULL, NOT READY */
#define STORVSC_MAX_TRANSFER_CAP (4u << 20) /* what one GPA-direct packet can describe */

struct storvsc;

/* One SCSI command: filled by the caller, results filled on completion. */
struct storvsc_cmd {
	uint8_t lun;
	uint8_t cdb[16];
	uint8_t cdb_len;
	bool data_in;       /* the device writes our buffer */
	void *buf;          /* guest memory when possible (zero copy) */
	uint32_t len;
	/* results */
	int status;         /* 0, or -EIO (SCSI/SRB error), -ETIMEDOUT, -EPROTO (host broke the protocol), ... */
	uint8_t srb_status, scsi_status;
	uint32_t transferred;
	struct scsi_sense sense;
	unsigned retries;
	void (*done)(struct storvsc_cmd *cmd);
	void *ctx;
	/* internal */
	struct storvsc *sc;
	uint64_t tid;
	bool bounced;
	bool control;               /* a handshake operation, not an SRB */
	uint32_t nt_status;         /* control: vstor_packet.status */
	struct vstor_packet reply;  /* control: the completion, zero-filled to 64 */
	struct vmbus_timer retry;   /* backoff before a retry */
};

struct storvsc_lun {
	struct storvsc *sc;
	uint8_t lun;
	uint8_t peripheral;
	char vendor[9], product[17], revision[5];
	uint32_t block_size;
	uint64_t blocks;
	struct blkdev dev;  /* "scsi:<lun>" */
};

struct storvsc_params {
	uint16_t queue_depth;   /* requests in flight per read; 0 = 32 */
	uint32_t ring_bytes;    /* each direction; 0 = 256 KiB */
	uint16_t max_version;   /* newest protocol to offer; 0 = 0x0602 */
};

/* One block read in progress (one per controller at a time). */
struct read_job {
	struct storvsc_lun *l;
	uint8_t *dst;
	uint64_t lba, count;
	uint64_t next;           /* blocks handed out */
	/* short transfers leave a remainder to reissue */
	uint64_t redo_lba[STORVSC_MAX_QUEUE];
	uint64_t redo_count[STORVSC_MAX_QUEUE];
	unsigned nredo, outstanding;
	int error;
	char why[240];
};

enum storvsc_stage {
	STORVSC_IDLE,
	STORVSC_OPENING,
	STORVSC_BEGIN,
	STORVSC_VERSION,
	STORVSC_PROPERTIES,
	STORVSC_END,
	STORVSC_REPORT_LUNS,
	STORVSC_PROBE,   /* INQUIRY, TEST UNIT READY, READ CAPACITY per LUN */
	STORVSC_READY,
	STORVSC_FAILED,
};

struct storvsc {
	struct vmbus *vb;
	struct vmbus_channel ch;
	struct storvsc_params params;
	char name[24];                /* "storvsc relid 1" */
	enum storvsc_stage stage;
	struct vmbus_op *op;          /* the caller's bring-up */
	struct vmbus_op open_op;

	uint16_t version;             /* negotiated */
	unsigned version_index;
	uint32_t packet_size;         /* 48 before WIN8 is accepted, 64 after */
	uint32_t sense_size;          /* 18 / 20 */
	uint32_t max_transfer;        /* from QUERY_PROPERTIES, whole pages */
	uint16_t max_channels;

	struct storvsc_lun luns[STORVSC_MAX_LUNS];
	unsigned nluns;
	uint8_t candidates[STORVSC_MAX_LUNS]; /* LUNs REPORT LUNS named */
	unsigned ncandidates, probe_index, probe_step;

	struct storvsc_cmd ctl;       /* handshake and discovery command */
	struct storvsc_cmd io[STORVSC_MAX_QUEUE]; /* block reads */
	struct read_job job;
	void *dma;                    /* one page for small command data */
	uint64_t dma_gpa;
	void *bounce;                 /* max_transfer bytes for non-guest buffers */
	uint64_t bounce_gpa;
	bool bounce_busy;

	unsigned inflight, max_inflight;
	unsigned enumerate_bus;       /* unsolicited ENUMERATE_BUS seen */
	uint64_t bytes_read;
};

/* Open the channel, negotiate, query properties, discover LUNs. op
 * completes with 0 (READY: luns[] filled) or -errno. */
int storvsc_start(struct storvsc *sc, struct vmbus *vb, struct vmbus_offer *offer,
		  const struct storvsc_params *params, struct vmbus_op *op);
int storvsc_attach(struct storvsc *sc, struct vmbus *vb, struct vmbus_offer *offer,
		   const struct storvsc_params *params);
/* Close the channel (rings and GPADL released). */
int storvsc_detach(struct storvsc *sc);

/* Submit one command (async). 0, or -EAGAIN (ring full or queue busy). */
int storvsc_submit(struct storvsc *sc, struct storvsc_cmd *cmd);
/* Submit and wait; retries as storvsc_submit does. */
int storvsc_exec(struct storvsc *sc, struct storvsc_cmd *cmd);
/* The LUN's block device, or NULL. */
struct storvsc_lun *storvsc_lun(struct storvsc *sc, unsigned lun);
/* One sentence for a failed command: LUN, LBA, opcode, sense, statuses. */
void storvsc_describe(const struct storvsc_cmd *cmd, char *buf, unsigned len);
/* Host data, checked (pure functions; fuzzed). A completion payload of len
 * bytes: 0 with a zero-filled copy in *out, or -EPROTO (shorter than a
 * pre-WIN8 vstor_packet or not COMPLETE_IO). */
int storvsc_parse_completion(const uint8_t *payload, uint32_t len, struct vstor_packet *out);
/* An SRB result for cmd (cmd->len = what was asked): fills the statuses,
 * transferred and the sense (at most sense_cap bytes); 0 good (maybe short),
 * -EIO SCSI/SRB failure, -EPROTO more bytes claimed than asked. */
int storvsc_judge_srb(const struct vm_srb *srb, uint32_t sense_cap, struct storvsc_cmd *cmd);
/* REPORT LUNS data of got bytes: up to max LUN numbers into luns. */
unsigned storvsc_parse_report_luns(const uint8_t *d, uint32_t got, uint8_t *luns, unsigned max,
				   unsigned *skipped);
/* Inventory lines: one per LUN. */
void storvsc_inventory(const struct storvsc *sc, void (*out)(const char *line, void *ctx),
		       void *ctx);

#endif
