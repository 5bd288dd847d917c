/* netvsc: the guest side of the synthetic NIC (facts section 6). Brings the
 * channel up (NVSP version, NDIS config and version, receive and send
 * buffers, RNDIS initialisation and queries, packet filter), receives
 * frames through transfer-page packets (netvsc_rx.c), sends each frame
 * through a send-buffer section, and offers all that as a net_link. */
#ifndef VSC_NETVSC_H
#define VSC_NETVSC_H

#include "../net/link.h"
#include "../vmbus/channel.h"
#include "netvsc_proto.h"
#include "netvsc_rx.h"

/* Policy */
#define NETVSC_RING_BYTES (256u * 1024)       /* each direction */
#define NETVSC_RING_BYTES_MIN (128u * 1024)
#define NETVSC_RECV_BUF_BYTES (16u << 20)     /* as Linux */
#define NETVSC_RECV_BUF_MAX_V2 (15u << 20)    /* NVSP <= 2 */
#define NETVSC_RECV_BUF_MAX (31u << 20)       /* one GPADL: < 32 MiB */
#define NETVSC_SEND_BUF_BYTES (1u << 20)
#define NETVSC_SEND_BUF_MAX (15u << 20)
#define NETVSC_BUF_MIN (64u * 1024)
#define NETVSC_MAX_SECTIONS 512u              /* send sections in use at most (one request each) */
#define NETVSC_CTL_TIMEOUT (5 * HV_TICKS_PER_SEC)   /* NVSP answers, RNDIS completions */
#define NETVSC_SEND_TIMEOUT (5 * HV_TICKS_PER_SEC)  /* a frame's NVSP completion */
#define NETVSC_DRAIN_TIMEOUT (2 * HV_TICKS_PER_SEC) /* teardown: outstanding sends */
#define NETVSC_PENDING_COMPLETIONS 1024u      /* receive completions waiting for ring room */
#define NETVSC_CTL_REPLY_MAX 256u             /* bytes of an RNDIS completion kept */
#define NETVSC_MTU 1500u
#define NETVSC_RNDIS_MAX_TRANSFER 0x4000u     /* INITIALIZE MaxTransferSize, as Linux */

struct netvsc_params {
	uint32_t ring_bytes;     /* each direction; 0 = 256 KiB; at least 128 KiB */
	uint32_t recv_buf_bytes; /* 0 = 16 MiB; capped at 15 MiB (NVSP <= 2) or 31 MiB */
	uint32_t send_buf_bytes; /* 0 = 1 MiB; capped at 15 MiB */
	uint32_t max_version;    /* newest NVSP version to try; 0 = 6.1 */
};

enum netvsc_stage {
	NETVSC_IDLE,
	NETVSC_OPENING,
	NETVSC_INIT,        /* NVSP INIT, newest version first */
	NETVSC_RECV_BUF,    /* GPADL, then SEND_RECV_BUF */
	NETVSC_SEND_BUF,    /* GPADL, then SEND_SEND_BUF */
	NETVSC_RNDIS_INIT,
	NETVSC_QUERY_MTU,
	NETVSC_QUERY_MAC,
	NETVSC_QUERY_LINK,
	NETVSC_SET_FILTER,
	NETVSC_READY,
	NETVSC_FAILED,
	NETVSC_CLOSING,     /* netvsc_detach under way */
};

struct netvsc_stats {
	uint64_t frames_in, bytes_in;   /* frames handed to the link */
	uint64_t frames_out, bytes_out; /* frames the host took */
	uint64_t tx_failed;             /* sends the host completed with a failure status */
	uint64_t tx_lost;               /* sends never completed: their sections stay unused */
	uint64_t rx_failed_packets;     /* transfer-page packets completed with status 2 */
	uint64_t completions_dropped;   /* receive completions for which no room ever came */
	uint64_t unmatched;             /* RNDIS completions nobody waited for */
	unsigned link_changes;
};

struct netvsc;

/* One control exchange at a time: an NVSP request, or an RNDIS message
 * and its completion. next() continues the bring-up or teardown. */
struct netvsc_ctl {
	bool busy;
	bool rndis;                   /* an RNDIS message (else an NVSP request) */
	bool want_reply;              /* RNDIS: a *_CMPLT is expected */
	uint32_t reply_type;          /* ... of this type */
	bool sent;                    /* the send is completed (NVSP 108 or the request's COMP) */
	bool replied;                 /* the RNDIS completion came */
	int status;                   /* first error seen, else 0 */
	uint32_t rid;                 /* RNDIS request id waited for */
	uint32_t section;             /* its send section, or NVSP_NO_SECTION */
	uint8_t reply[NETVSC_CTL_REPLY_MAX]; /* NVSP answer or RNDIS completion, zero-filled */
	uint32_t reply_len;
	struct vmbus_timer timer;     /* deadline of the RNDIS completion */
	void (*next)(struct netvsc *nv, int status);
};

struct netvsc {
	struct vmbus *vb;
	struct vmbus_channel ch;
	struct netvsc_params params;
	char name[24];                /* "netvsc relid 2" */
	enum netvsc_stage stage;
	struct vmbus_op *op;          /* the caller's bring-up */
	struct vmbus_op open_op, gpadl_op;

	uint32_t nvsp_version, ndis_version;
	unsigned version_index;

	/* receive buffer: one GPADL, registered as NVSP_RECV_BUF_ID */
	uint8_t *recv_buf;
	uint64_t recv_gpa;
	uint32_t recv_bytes;
	struct vmbus_gpadl recv_gpadl;
	bool recv_sent;               /* SEND_RECV_BUF went out: REVOKE owed */
	uint32_t sub_alloc_size, sub_allocs;
	uint8_t *rx_copy;             /* private copy of one range */
	uint32_t rx_copy_pages;
	struct netvsc_rx rx;

	/* send buffer: sections of section_size bytes */
	uint8_t *send_buf;
	uint64_t send_gpa;
	uint32_t send_bytes;
	struct vmbus_gpadl send_gpadl;
	bool send_sent;
	bool recv_held, send_held;    /* the host may still hold the buffer: never freed */
	uint32_t section_size, sections;
	uint8_t section_state[NETVSC_MAX_SECTIONS]; /* free, busy, lost */
	unsigned sections_busy, next_section;

	void *ctl_page;               /* control messages that fit no section: GPA direct */
	uint64_t ctl_gpa;
	uint32_t next_rid;
	struct netvsc_ctl ctl;

	/* the RNDIS device */
	bool rndis_up;                /* INITIALIZE_CMPLT accepted: HALT owed */
	uint32_t max_pkts_per_msg, pkt_alignment;
	uint8_t mac[6];
	uint32_t mtu;
	bool link_up;

	/* receive completions that found the ring full */
	struct {
		uint64_t tid;
		uint32_t status;
	} pending[NETVSC_PENDING_COMPLETIONS];
	unsigned pending_head, npending;

	bool revoked;                 /* REVOKE_RECV_BUF sent: nothing more is received */
	struct net_link link;
	struct netvsc_stats stats;
};

/* Open the channel and bring the NIC up. op completes with 0 (READY: mac,
 * mtu, link_up known, the packet filter set) or -errno. After a failure
 * netvsc_detach releases what was set up. */
int netvsc_start(struct netvsc *nv, struct vmbus *vb, struct vmbus_offer *offer,
		 const struct netvsc_params *params, struct vmbus_op *op);
/* netvsc_start and wait; on failure everything is released again. */
int netvsc_attach(struct netvsc *nv, struct vmbus *vb, struct vmbus_offer *offer,
		  const struct netvsc_params *params);
/* Packet filter 0, HALT, wait for outstanding sends, revoke both buffers,
 * close the channel, tear the buffer GPADLs down (before the close below
 * VMBus 4.0, after it from 4.0 on), free the memory. 0 or the first error. */
int netvsc_detach(struct netvsc *nv);

/* Send one Ethernet frame (no FCS), copied into a send section: 0,
 * -EAGAIN (no free section or ring full: poll, then retry), -EMSGSIZE
 * (longer than 1514 bytes, 1518 with an 802.1Q tag, or a section),
 * -EINVAL (shorter than 14 bytes), -EIO (the NIC is not up). Never blocks. */
int netvsc_send(struct netvsc *nv, const void *frame, size_t len);
/* One pass of the event loop, then the receive completions still owed.
 * Received frames go to the link's receive(). Returns the work done. */
int netvsc_poll(struct netvsc *nv);
/* The NIC as a net_link (valid while attached; set receive/stack on it). */
struct net_link *netvsc_link(struct netvsc *nv);
/* One inventory line: MAC, MTU, link, versions, buffers, counters. */
void netvsc_inventory(const struct netvsc *nv, void (*out)(const char *line, void *ctx),
		      void *ctx);
/* "6.1", "2", ... for an NVSP version. */
const char *netvsc_nvsp_version_name(uint32_t version);

#endif
