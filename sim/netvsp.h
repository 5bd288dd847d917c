/* netvsp internals, shared by netvsp.c (what the guest sends: NVSP, RNDIS
 * control and data) and netvsp_rx.c (what goes to the guest: transfer-page
 * packets from the receive buffer's sub-allocations, the frame queue and
 * the faults). Not for other modules. */
#ifndef SIM_NETVSP_H
#define SIM_NETVSP_H

#include "../vsc/netvsc_proto.h"
#include "netdev.h"
#include "sim.h"

#define NV_FRAME_MAX 1518u          /* 1514 + an 802.1Q tag */
#define NV_RXQ 256u                 /* frames waiting for the guest (held while the filter is 0) */
#define NV_CTLQ 64u                 /* RNDIS messages waiting for a control sub-allocation */
#define NV_CTL_MSG_MAX 64u          /* the largest RNDIS message netvsp sends */
#define NV_CTL_SUBALLOCS 16u        /* sub-allocations 0..15 are for control messages */
#define NV_SECTION_SIZE 6144u       /* OpenVMM's send section size, whatever the guest thinks */
#define NV_RX_DATA_AT 256u          /* a frame's place in its sub-allocation (OpenVMM) */
#define NV_RX_EXTRA 36u             /* sub-allocation = 256 + MTU + 36 */
#define NV_MTU_MIN 1514u
#define NV_MTU_MAX 9216u
#define NV_MSG_MAX 65536u           /* the largest RNDIS byte run taken from the guest */
#define NV_MSGS_PER_PACKET 8u       /* INITIALIZE_CMPLT's MaxPacketsPerMessage */
#define NV_MAX_MDL 34u
#define NV_RX_BATCH 64u             /* frames per transfer-page packet, at most */

/* sim_nv_chan.sub_busy */
enum { NV_SUB_FREE, NV_SUB_HEAD, NV_SUB_MEMBER };

/* One channel, from OPENCHANNEL to its close. */
enum nv_state {
	NV_INIT,    /* waiting for an NVSP version it accepts */
	NV_SETUP,   /* NDIS version, NDIS config, buffers */
	NV_READY,   /* the first SEND_RNDIS_PKT came */
	NV_REVOKED, /* a buffer was revoked: nothing more is processed */
};

enum nv_rndis { NV_RNDIS_UNINIT, NV_RNDIS_UP, NV_RNDIS_HALTED };

struct nv_ctlmsg {
	uint32_t len;
	uint8_t data[NV_CTL_MSG_MAX];
};

struct sim_nv_chan {
	enum nv_state state;
	uint32_t version;
	bool got_ndis_ver, got_ndis_config, got_recv_buf, got_send_buf;
	uint32_t mtu;                 /* NDIS_CONFIG's, clamped: frame bytes */
	/* the receive buffer */
	uint32_t recv_gpadl;
	uint16_t recv_id;
	uint64_t recv_size;
	uint32_t sub_size, sub_count;
	uint8_t *sub_busy;            /* per sub-allocation: sent, the guest's COMP not yet seen:
	                                 NV_SUB_HEAD the packet's first range (its trans_id), else MEMBER */
	uint32_t *sub_next;           /* per sub-allocation: the next range of its packet, or UINT32_MAX */
	uint32_t *free_data;          /* free data sub-allocations, a stack (the last freed on top) */
	uint32_t data_free;           /* ... how many */
	bool recv_revoked;
	/* the send buffer */
	uint32_t send_gpadl;
	uint16_t send_id;
	uint64_t send_size;
	bool send_revoked;
	/* RNDIS */
	enum nv_rndis rndis;
	uint32_t filter;
	bool filter_seen;             /* LINK_DOWN_UP fires once */
	struct nv_ctlmsg ctlq[NV_CTLQ];
	unsigned ctlq_head, nctlq;
};

struct nv_frame {
	uint32_t len;
	uint8_t data[NV_FRAME_MAX];
};

/* REORDER's held frame for one direction. */
struct nv_hold {
	struct nv_frame f;
	bool holding;
	uint64_t since;
};

/* "First" netvsp faults that have been seen. */
enum nv_fired {
	NV_FIRED_XFER = 1u << 0,       /* RANGE_OUTSIDE_BUFFER */
	NV_FIRED_DATA = 1u << 1,       /* BAD_RNDIS_OFFSET */
	NV_FIRED_DATA_PKT = 1u << 2,   /* RANGE_COUNT_OVERFLOW */
	NV_FIRED_QUERY = 1u << 3,      /* BAD_COMPLETION */
};

struct sim_netvsp {
	struct sim_netdev *backend;
	char *spec;                   /* a copy of the config string (slirp's options point into it) */
	struct sim_slirp_config slirp;
	uint8_t mac[6];
	uint32_t max_version;
	uint32_t net_relid;           /* the offer whose frames the backend carries */
	struct nv_frame *rxq;         /* frames for the guest */
	unsigned rxq_head, nrxq;
	struct nv_hold hold_rx, hold_tx;
	uint32_t fired;
	struct hvsim_netvsp_stats stats;
	uint32_t td_relid, td_recv_gpadl, td_send_gpadl; /* the last channel's buffers, for teardown */
	uint8_t msg[NV_MSG_MAX];      /* the RNDIS bytes of one guest packet */
};

/* netvsp.c */
/* A violation that stops the channel. Returns false (the service loop stops). */
bool nv_stop(struct hvsim *sim, struct sim_offer *o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void nv_teardown_note(struct hvsim *sim, const char *event);
/* Copy between a GPADL and host memory; false if the GPADL is gone or the
 * bytes are not inside it. */
bool nv_gpadl_io(struct hvsim *sim, uint32_t handle, uint64_t off, void *buf, uint32_t len,
		 bool write);

/* netvsp_rx.c */
/* An RNDIS message for the guest in a control sub-allocation (queued until
 * one is free and the ring has room). */
void nv_ctl_send(struct hvsim *sim, struct sim_offer *o, const void *msg, uint32_t len);
/* A frame from the backend (the faults applied), and one from the guest. */
void nv_frame_to_guest(struct hvsim *sim, const void *frame, size_t len);
void nv_frame_from_guest(struct hvsim *sim, const uint8_t *frame, uint32_t len);
/* The guest's COMP of a transfer-page packet; false when it stopped the channel. */
bool nv_guest_completion(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt);
/* Deliver what REORDER held too long; true if it did work. */
bool nv_release_held(struct hvsim *sim);
/* Whether a service pass of o would send something now (a control
 * message or a frame has a sub-allocation and the ring has room). */
bool nv_can_pump(struct hvsim *sim, struct sim_offer *o);

#endif
