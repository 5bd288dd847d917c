/* The storage VSP tests' fixture (test_sim_storvsp*.c): hvsim with
 * storvsc and echo, images of known contents, and the guest channel layer
 * with hand-built vstor_packets. */
#ifndef TEST_STORVSP_UTIL_H
#define TEST_STORVSP_UTIL_H

#include "../lib/util.h"
#include "../vmbus/channel.h"
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

/* Each is described at its definition (storvsp_util.c). */
void sp_make_image(struct vsc *c, unsigned i, uint64_t blocks, bool fill);
void sp_config(struct vsc *c, unsigned ndisks);
void sp_open_channel(struct vsc *c);
void sp_start(struct vsc *c);
void sp_finish(struct vsc *c);
void sp_finish_violated(struct vsc *c, unsigned n, const char *needle);
void sp_run_until(struct vsc *c, const bool *flag, uint64_t ticks);
void sp_run_for(struct vsc *c, uint64_t ticks);
uint64_t sp_send(struct vsc *c, const void *pkt, uint32_t size, uint64_t gpa, uint32_t len);
void sp_wait_done(struct vsc *c);
/* A vmbus_request callback: the completion into c->comp, c->done set. */
void sp_on_done(struct vmbus_channel *ch, struct vmbus_request *req, int status,
		const struct ring_pkt *pkt);
const struct vstor_packet *sp_checked(struct vsc *c);
const struct vstor_packet *sp_call(struct vsc *c, const struct vstor_packet *p, uint64_t gpa,
				  uint32_t len);
const struct vstor_packet *sp_op(struct vsc *c, uint32_t operation, uint16_t arg);
void sp_handshake(struct vsc *c, uint16_t version);
void sp_srb_packet(struct vsc *c, struct vstor_packet *p, uint8_t lun, const uint8_t *cdb,
		   unsigned cdb_len, uint8_t data_in, uint32_t len);
const struct vstor_packet *sp_scsi(struct vsc *c, uint8_t lun, const uint8_t *cdb,
				  unsigned cdb_len, uint8_t data_in, uint32_t off, uint32_t len);
void sp_rw10(uint8_t *cdb, uint8_t opcode, uint32_t lba, uint16_t n);
uint64_t sp_send_read(struct vsc *c, uint32_t lba, uint32_t n, uint32_t off);
const struct vstor_packet *sp_read10(struct vsc *c, uint8_t lun, uint32_t lba, uint16_t n,
				    uint32_t off);
bool sp_blocks_match(struct vsc *c, unsigned i, uint64_t lba, uint32_t n, uint32_t off);
bool sp_untouched(struct vsc *c, uint32_t from, uint32_t to);
void sp_check_sense(const struct vstor_packet *p, uint8_t srb, uint8_t key, uint8_t asc);
void sp_check_srb(const struct vstor_packet *p, uint32_t nt, uint8_t srb, uint8_t scsi,
		  uint32_t moved);
void sp_check_good(const struct vstor_packet *p, uint32_t moved);
struct hvsim_storvsp_stats sp_stats(struct vsc *c);
void sp_go(struct vsc *c);
void sp_ready(struct vsc *c, unsigned ndisks, uint32_t faults);
void sp_read_burst(struct vsc *c, uint32_t lba, unsigned k, uint32_t n, uint64_t *tids);

#endif
