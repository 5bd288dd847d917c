/* The TFTP client's protocol: RFC 1350 reads with the blksize (RFC 2348),
 * tsize (RFC 2349) and windowsize (RFC 7440) options. Pure: the session
 * takes each datagram (with its source) and says what to send back, so the
 * whole protocol is unit-tested and fuzzed (fuzz_tftp) without a network;
 * net/tftp.c carries the datagrams over lwIP's UDP.
 *
 * What it promises: nothing is written outside dst[0..cap) (a tsize above
 * cap fails before any data, a block that would pass cap fails without
 * being written: U-Boot CVE-2018-18439); every length is checked before it
 * is read; datagrams from anyone but the server's transfer id are answered
 * with ERROR 5 and otherwise ignored; block numbers roll over from 65535 to
 * 0; a server that ignores the options gets plain 512-byte lock-step. */
#ifndef NET_TFTP_PROTO_H
#define NET_TFTP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TFTP_PORT 69
/* The largest block asked for: a 1500-byte MTU less IP, UDP and TFTP
 * headers, so no block is ever fragmented (lwIP does not reassemble). */
#define TFTP_BLKSIZE_MAX 1468
#define TFTP_PKT_MAX (4 + TFTP_BLKSIZE_MAX)
#define TFTP_REQ_MAX 512    /* RFC 2347: a request fits 512 bytes */
#define TFTP_WINDOW_MAX 64
#define TFTP_MSG_MAX 200

enum tftp_opcode { TFTP_RRQ = 1, TFTP_WRQ, TFTP_DATA, TFTP_ACK, TFTP_ERROR, TFTP_OACK };

enum tftp_errcode {
	TFTP_ENOTDEF = 0,
	TFTP_ENOTFOUND = 1,
	TFTP_EACCESS = 2,
	TFTP_ENOSPACE = 3,
	TFTP_EBADOP = 4,
	TFTP_EBADID = 5,
	TFTP_EEXISTS = 6,
	TFTP_ENOUSER = 7,
	TFTP_EOPTNEG = 8,
};

/* What to ask the server for. blksize 0 or 512 and windowsize 0 or 1 are
 * not sent (they are the defaults). */
struct tftp_want {
	uint16_t blksize;    /* 8..TFTP_BLKSIZE_MAX */
	uint16_t windowsize; /* 1..TFTP_WINDOW_MAX */
	bool tsize;
};

/* A datagram to send; len 0: nothing. */
struct tftp_out {
	uint8_t buf[TFTP_REQ_MAX];
	size_t len;
	uint32_t ip; /* host byte order */
	uint16_t port;
};

enum tftp_state { TFTP_ST_REQUESTED, TFTP_ST_DATA, TFTP_ST_DONE, TFTP_ST_FAILED };

struct tftp_session {
	/* Set by tftp_start. */
	const char *path;
	uint8_t *dst;
	size_t cap;
	struct tftp_want want;
	uint32_t server_ip;
	uint16_t req_port;    /* where requests go: 69 or the URL's port */
	uint16_t server_port; /* req_port until the server's TID is known */
	bool tid_known;
	bool options_sent;
	bool fell_back;       /* asked again without options after ERROR 8 */
	/* Agreed (the defaults until an OACK says otherwise). */
	uint16_t blksize;
	uint16_t windowsize;
	bool have_tsize;
	uint64_t tsize;
	/* Progress. */
	enum tftp_state state;
	uint64_t blocks;      /* blocks received in order */
	size_t got;           /* bytes written to dst */
	unsigned in_window;   /* in-order blocks since the last ACK */
	uint64_t reacked_at;  /* `blocks` when a duplicate or gap was last answered */
	uint64_t strangers;   /* datagrams from other transfer ids */
	int err;              /* negative errno once failed */
	char msg[TFTP_MSG_MAX]; /* what went wrong, a sentence without the URL */
};

/* Results of tftp_rx. */
#define TFTP_CONTINUE 0
#define TFTP_DONE 1

/* Starts a read of `path` from server_ip:port into dst[0..cap): fills `out`
 * with the RRQ. 0, or -EINVAL (empty path, control bytes, a request over
 * 512 bytes, a want out of range). */
int tftp_start(struct tftp_session *s, const char *path, uint32_t server_ip, uint16_t port,
	       const struct tftp_want *want, void *dst, size_t cap, struct tftp_out *out);
/* One datagram from src_ip:src_port. Returns TFTP_CONTINUE, TFTP_DONE (the
 * last block arrived; s->got bytes in dst) or a negative errno with s->msg
 * set (the session has failed): -ENOENT, -EACCES, -ENOSPC, -EIO (the
 * server's ERROR), -EFBIG (does not fit dst), -EPROTO (a protocol
 * violation). In every case `out` may hold a datagram to send (an ACK, the
 * RRQ again, an ERROR to the server or to a stranger). */
int tftp_rx(struct tftp_session *s, uint32_t src_ip, uint16_t src_port,
	    const uint8_t *pkt, size_t len, struct tftp_out *out);
/* Nothing arrived in time: `out` gets the datagram to send again (the RRQ
 * or the ACK of the last in-order block). The caller bounds the retries. */
void tftp_timeout(struct tftp_session *s, struct tftp_out *out);
/* An ERROR datagram to the server for a transfer the caller abandons. */
void tftp_abort(struct tftp_session *s, uint16_t code, const char *text, struct tftp_out *out);

#endif
