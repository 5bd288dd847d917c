/* hvsim: the host side. A model of what a Hyper-V host shows a guest (CPUID,
 * synthetic MSRs, hypercall page, SynIC, VMBus server and devices), run in
 * the guest's process (stepped or threaded) or as the bridge server of
 * hvboot.efi in QEMU (sim/bridge_server.c). Everything the guest does wrong is recorded as a
 * violation; everything it leaves behind shows in the audit. */
#ifndef HVSIM_H
#define HVSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../arch/hvseam.h"

/* What CPUID says (facts 1.1-1.3). */
enum hvsim_cpuid_profile {
	HVSIM_CPUID_HYPERV,       /* full Hyper-V */
	HVSIM_CPUID_NONE,         /* bare metal: no hypervisor bit */
	HVSIM_CPUID_OTHER_HV,     /* a hypervisor, but not "Hv#1" (e.g. plain KVM) */
	HVSIM_CPUID_NO_VENDOR,    /* "Hv#1" without the "Microsoft Hv" vendor (KVM+hv) */
	HVSIM_CPUID_NO_HYPERCALL, /* Hyper-V without hypercall MSRs */
	HVSIM_CPUID_NO_SYNIC,     /* Hyper-V without SynIC MSRs */
	HVSIM_CPUID_NO_POST,      /* Hyper-V without PostMessages/SignalEvents */
};

/* Host misbehaviour, for hostile-host tests. Seeded and reproducible. */
enum hvsim_fault {
	HVSIM_FAULT_SHORT_MSG = 1u << 0,      /* an OFFERCHANNEL cut to 100 bytes */
	HVSIM_FAULT_OVERSIZE_MSG = 1u << 1,   /* a slot claiming payload_size 250 */
	HVSIM_FAULT_UNKNOWN_TYPE = 1u << 2,   /* a channel message of type 99 */
	HVSIM_FAULT_HV_MSG_TYPE = 1u << 3,    /* a SynIC message of type 0x80000010 */
	HVSIM_FAULT_DUP_RELID = 1u << 4,      /* two offers with one relid */
	HVSIM_FAULT_OFFER_SIZE = 1u << 5,     /* a 190-byte offer at >= WIN7 */
	HVSIM_FAULT_EARLY_MSG = 1u << 6,      /* an offer before VERSION_RESPONSE */
	HVSIM_FAULT_BAD_RELID = 1u << 7,      /* offers with relid 0 and 4000 */
	HVSIM_FAULT_BAD_MONITOR = 1u << 8,    /* monitor_allocated with monitorid 200 */
	HVSIM_FAULT_NO_UNLOAD_RESPONSE = 1u << 9,
	HVSIM_FAULT_PORT_BUSY = 1u << 10,     /* the first posts get INSUFFICIENT_BUFFERS */
	HVSIM_FAULT_NO_VERSION_RESPONSE = 1u << 11,
	HVSIM_FAULT_NO_ALLOFFERS = 1u << 12,
	HVSIM_FAULT_VERSION_FAILED = 1u << 13, /* accepts, with connection_state 1 */
	HVSIM_FAULT_DIRTY_START = 1u << 14,   /* an earlier owner left the SynIC and hypercall page on */
	/* Channels. "First" = the first of its kind in the whole run. */
	HVSIM_FAULT_GPADL_BAD_STATUS = 1u << 15, /* first GPADL: GPADL_CREATED status 0xC0000001 */
	HVSIM_FAULT_GPADL_DROP = 1u << 16,       /* first GPADL: GPADL_CREATED never sent */
	HVSIM_FAULT_GPADL_DELAY = 1u << 17,      /* every GPADL_CREATED 100 ms late */
	HVSIM_FAULT_OPEN_FAIL = 1u << 18,        /* every valid OPENCHANNEL: status 0xC0000001 */
	HVSIM_FAULT_OPEN_DROP = 1u << 19,        /* no valid OPENCHANNEL is ever answered */
	HVSIM_FAULT_OPEN_DELAY = 1u << 20,       /* every OPENCHANNEL_RESULT 100 ms late */
	HVSIM_FAULT_RING_BAD_WRITE_INDEX = 1u << 21, /* first echo answer: write_index + 4 */
	HVSIM_FAULT_RING_BAD_READ_INDEX = 1u << 22,  /* first guest packet: read_index size + 8 */
	HVSIM_FAULT_RING_OVERSIZED = 1u << 23,   /* first echo answer: len8 claims the ring */
	HVSIM_FAULT_RING_BAD_TYPE = 1u << 24,    /* first echo answer: packet type 3 */
	HVSIM_FAULT_RING_BAD_TID = 1u << 25,     /* first completion: a COMP for tid + 0x10000 first */
	HVSIM_FAULT_RESCIND_DURING_OPEN = 1u << 26, /* echo OPENCHANNEL: RESCIND, no result */
	HVSIM_FAULT_RESCIND_DURING_IO = 1u << 27,   /* echo's 3rd guest packet: RESCIND, no answer */
};

/* The storage VSP's misbehaviour (storvsp_faults). Seeded and reproducible;
 * "first" = the first of its kind in the whole run. */
enum hvsim_storvsp_fault {
	HVSIM_STORVSP_UNIT_ATTENTION = 1u << 0,  /* first media access per LUN: UNIT ATTENTION 0x29 */
	HVSIM_STORVSP_BUSY = 1u << 1,            /* first 3 READ/WRITEs: scsi BUSY, SRB BUSY, no data */
	HVSIM_STORVSP_MEDIUM_ERROR = 1u << 2,    /* every READ over medium_error_lba: MEDIUM ERROR 0x11 */
	HVSIM_STORVSP_SHORT_TRANSFER = 1u << 3,  /* every multi-block READ moves half: DATA_OVERRUN */
	HVSIM_STORVSP_DELAY = 1u << 4,           /* every I/O completion 5 ms of reference time late */
	HVSIM_STORVSP_REORDER = 1u << 5,         /* I/O completions held (4, or 1 ms), sent reversed */
	HVSIM_STORVSP_BOGUS_TID = 1u << 6,       /* first I/O completion: a COMP for tid + 0x10000 first */
	HVSIM_STORVSP_NO_ENUMERATE = 1u << 7,    /* no ENUMERATE_BUS after END_INITIALIZATION */
	HVSIM_STORVSP_BAD_COMPLETION_SIZE = 1u << 8, /* first I/O completion: 40 bytes, nothing else */
	HVSIM_STORVSP_OVERLONG_TRANSFER = 1u << 9,   /* first good READ: data_transfer_length + 512 */
};

/* The network VSP's misbehaviour (netvsp_faults). Seeded (sim_rand) and
 * reproducible; "first" = the first of its kind in the whole run. */
enum hvsim_netvsp_fault {
	HVSIM_NETVSP_LOSS = 1u << 0,         /* ~5% of frames dropped, both ways */
	HVSIM_NETVSP_DUPLICATE = 1u << 1,    /* ~5% of frames delivered twice, both ways */
	HVSIM_NETVSP_REORDER = 1u << 2,      /* ~5%: a frame held and delivered after the next (or 10 ms late) */
	HVSIM_NETVSP_CORRUPT = 1u << 3,      /* ~5% of frames to the guest: one payload byte flipped */
	HVSIM_NETVSP_BAD_RNDIS_OFFSET = 1u << 4,     /* first data message: DataOffset past its range */
	HVSIM_NETVSP_RANGE_OUTSIDE_BUFFER = 1u << 5, /* first transfer-page packet: an extra range past the buffer */
	HVSIM_NETVSP_RANGE_COUNT_OVERFLOW = 1u << 6, /* first data packet: range_count 0x20000000 */
	HVSIM_NETVSP_LINK_DOWN_UP = 1u << 7, /* after the first non-zero filter: MEDIA_DISCONNECT, MEDIA_CONNECT 50 ms later */
	HVSIM_NETVSP_BAD_COMPLETION = 1u << 8,       /* first QUERY_CMPLT: its buffer runs past the message */
};

struct hvsim_config {
	uint64_t seed;                  /* fixes all randomness */
	uint32_t vmbus_max;             /* newest version offered; 0 = 6.0 */
	uint32_t msg_conn_id;           /* VERSION_RESPONSE connection id for >= 5.0; 0 = 1 */
	enum hvsim_cpuid_profile cpuid;
	size_t mem_mib;                 /* guest RAM; 0 = 64 MiB */
	const char *devices;            /* "storvsc,netvsc,heartbeat*30"; NULL = default set */
	FILE *trace;                    /* one line per message and packet; NULL = off */
	bool threaded;                  /* host runs in its own thread */
	bool reserved_bits;             /* SynIC MSRs come up with reserved bits set (RsvdP test) */
	uint32_t faults;                /* enum hvsim_fault */
	uint32_t gpadl_max_pages;       /* largest GPADL accepted; 0 = 8190 (u16 range_buflen) */
	bool no_pending_send_feature;   /* pre-WS2012 host: feature_bits 0 in its h2g rings, it polls */
	bool host_polls;                /* host polls g2h rings every step (interrupt_mask 1) */
	/* storvsp: raw images served as LUN 0, 1, ... (path 0, target 0) of the
	 * first storvsc offer; NULL-terminated; NULL = no disks. */
	const char *const *disks;
	bool disks_writable;            /* default read-only: WRITE gets DATA PROTECT / 0x27 */
	uint16_t storvsp_max_version;   /* newest storvsc protocol accepted; 0 = 0x0602 (WIN10) */
	uint32_t storvsp_max_transfer;  /* QUERY_PROPERTIES max_transfer_bytes; 0 = 1 MiB */
	uint32_t storvsp_faults;        /* enum hvsim_storvsp_fault */
	uint64_t medium_error_lba;      /* for HVSIM_STORVSP_MEDIUM_ERROR */
	/* netvsp: the backend of the first netvsc offer: "loop" (answers ARP
	 * and ICMP echo for 10.0.2.2), "slirp", "slirp,tftp=DIR,bootfile=NAME",
	 * "tap:IFNAME"; NULL = none (the guest's frames are dropped). */
	const char *net;
	uint8_t mac[6];                 /* the NIC's MAC; all zero = 00:15:5d:00:00:01 */
	uint32_t netvsp_max_version;    /* newest NVSP version accepted; 0 = 0x60001 (6.1) */
	uint32_t netvsp_faults;         /* enum hvsim_netvsp_fault */
	/* A slow host: every guest message (HvPostMessage) and every channel
	 * signal is noticed this many microseconds of reference time late, so
	 * each request/response round trip costs at least that much (the
	 * bring-up benchmark: concurrent vs sequential). 0 = at once. */
	uint32_t response_latency_us;
	/* Bridge mode: guest RAM is this file (QEMU's memory-backend-file,
	 * share=on), mapped shared with GPA = file offset, instead of the
	 * private arena (mem_mib is ignored). The file must exist with its
	 * final size: a positive number of pages, at most 2 GiB (q35 keeps
	 * that much RAM below 4 GiB at GPA 0). Implies threaded: the guest
	 * runs in QEMU at the same time. NULL = in-process modes. */
	const char *guest_ram;
};

struct hvsim;

/* Returns NULL and prints why on a bad configuration. */
struct hvsim *hvsim_create(const struct hvsim_config *cfg);
void hvsim_destroy(struct hvsim *sim);
/* The guest's view: a seam bound to this simulator. */
struct hv_seam *hvsim_seam(struct hvsim *sim);
/* One host step (stepped mode; called from the guest's idle hook). */
void hvsim_step(struct hvsim *sim);

/* Guest protocol violations seen so far (a test fails on any). */
unsigned hvsim_violation_count(struct hvsim *sim);
const char *hvsim_violation(struct hvsim *sim, unsigned i);

/* Audit of what the guest left behind. handoff: the guest claims it handed
 * off, so UNLOAD must have been seen. Writes "audit: clean" or
 * "audit: <what is left>" (one line) into buf; returns true when clean. */
bool hvsim_audit(struct hvsim *sim, bool handoff, char *buf, size_t len);

/* Counters for tests. */
struct hvsim_stats {
	unsigned posts;              /* HvPostMessage calls that succeeded */
	unsigned hypercalls_failed;  /* answered with a status other than SUCCESS */
	unsigned messages_delivered; /* into the SINT2 slot */
	unsigned eom_writes;
	unsigned msr_writes_hv;      /* writes to synthetic MSRs */
	uint32_t last_post_conn;     /* connection of the last accepted post */
	uint32_t contact_conn;       /* connection INITIATE_CONTACT was accepted on */
	uint32_t version;            /* negotiated version, 0 when not connected */
	unsigned unloads;
	unsigned offers_sent;
	unsigned gpadls_created;     /* GPADL_CREATED with status 0 sent */
	unsigned gpadls_torn_down;   /* GPADL_TORNDOWN sent */
	unsigned opens;              /* OPENCHANNEL_RESULT with status 0 sent */
	unsigned closes;             /* CLOSECHANNEL of an open (or opening) channel */
};
void hvsim_get_stats(struct hvsim *sim, struct hvsim_stats *st);

/* One channel (relid) as the host sees it; counters are for the whole run. */
struct hvsim_channel_stats {
	bool offered;    /* offered on the current connection */
	bool open;       /* OPENCHANNEL answered with success, not closed since */
	bool rescinded;
	bool released;   /* RELID_RELEASED came after the rescind */
	unsigned guest_signals;    /* HvSignalEvent (or WS2008 interrupt-page bits) for it */
	unsigned spurious_signals; /* ... while its g2h ring was empty and the host waited for nothing */
	unsigned host_signals;     /* event flags set for the guest */
	unsigned packets_in;       /* packets the host read from the g2h ring */
	unsigned packets_out;      /* packets the host wrote into the h2g ring */
	unsigned gpadls;           /* GPADLs of this relid that exist now */
};
/* 0, or -ENOENT when the host has no channel with that relid. */
int hvsim_channel_stats(struct hvsim *sim, uint32_t relid, struct hvsim_channel_stats *st);

/* The storage VSP over the whole run (every storvsc channel). */
struct hvsim_storvsp_stats {
	unsigned commands;        /* EXECUTE_SRB requests completed */
	unsigned reads, writes;   /* READ(10/16), WRITE(10/16) to an existing LUN */
	unsigned errors;          /* EXECUTE_SRB completions with an SRB status other than SUCCESS */
	uint64_t bytes_read;      /* image -> guest memory by READs */
	uint64_t bytes_written;   /* guest memory -> image by WRITEs */
	unsigned max_in_flight;   /* most requests read but not yet completed (published) at once */
	uint16_t version;         /* the protocol version accepted last; 0 = none yet */
};
/* 0, or -ENODEV when the host has no storvsc device. */
int hvsim_storvsp_stats(struct hvsim *sim, struct hvsim_storvsp_stats *st);

/* The network VSP over the whole run (every netvsc channel). */
struct hvsim_netvsp_stats {
	unsigned frames_to_guest;   /* data transfer-page packets sent */
	unsigned frames_from_guest; /* valid RNDIS PACKETs taken from the guest */
	unsigned dropped;           /* frames lost: LOSS, a full queue, no backend, bad size */
	unsigned control_msgs;      /* RNDIS control messages from the guest */
	uint32_t nvsp_version;      /* the NVSP version accepted last; 0 = none yet */
	uint32_t packet_filter;     /* the current RNDIS packet filter */
	bool rndis_up;              /* INITIALIZE done, no HALT since */
	unsigned tx_malformed;      /* guest RNDIS messages completed with status 2 */
	unsigned rx_failed;         /* transfer-page packets the guest completed with status 2 */
	/* The last channel's teardown as netvsp saw it, in order, e.g.
	 * "revoke-recv,gpadl-recv,revoke-send,gpadl-send,close". */
	char teardown[96];
};
/* 0, or -ENODEV when the host has no netvsc device. */
int hvsim_netvsp_stats(struct hvsim *sim, struct hvsim_netvsp_stats *st);
/* The network backend (see sim/netdev.h), or NULL. */
struct sim_netdev;
struct sim_netdev *hvsim_netdev(struct hvsim *sim);

/* Hot-unplug: send RESCIND_CHANNELOFFER for an offered relid and stop
 * serving it. The guest must then close it (if open) and send
 * RELID_RELEASED. Does nothing for a relid not offered or already rescinded. */
void hvsim_rescind(struct hvsim *sim, uint32_t relid);
/* Hot plug: add a device of class key ("echo", "storvsc", ...); if the guest
 * already has its offers, it gets one more. Returns the relid or -errno. */
int hvsim_hotplug(struct hvsim *sim, const char *key);

/* Low-level access for hypervisor-model tests: post a channel message to
 * the guest's SINT2 as the VMBus server would. */
void hvsim_post_to_guest(struct hvsim *sim, const void *payload, uint32_t len);

/* --- bridge mode (sim/bridge_server.c) ---------------------------------
 * hvboot.efi in QEMU: its guest->host primitives arrive over COM2 as
 * arch/bridge_proto.h frames on a stream socket; its memory is the shared
 * RAM file of cfg.guest_ram. */

/* A unix socket listening at path (a stale socket file there is replaced).
 * Returns the fd, or -errno with one line on stderr. */
int hvsim_bridge_listen(const char *path);
/* Waits up to timeout_ms (< 0: forever) for one connection; the fd or
 * -errno (-ETIMEDOUT) with one line on stderr. Closes nothing. */
int hvsim_bridge_accept(int listen_fd, int timeout_ms);

struct hvsim_bridge_result {
	bool detached;        /* DETACH came */
	bool clean;           /* the audit (at DETACH, else at the close) was clean */
	char audit[512];      /* "audit: clean" or "audit: <what is left>" */
	unsigned requests;    /* frames executed (HELLO included) */
	unsigned bad_frames;  /* frames dropped: bad length or checksum */
	uint64_t discarded;   /* bytes outside frames: before the sync, between frames */
	uint64_t ignored;     /* bytes after DETACH */
};

/* Serves one connection (fd, a connected stream socket; not closed) until
 * it closes: discards everything before the sync string, executes each
 * request under the simulator's lock as the sim seam does, keeps the time
 * page current from a thread of its own (every 50 us asked), and after DETACH
 * prints the audit line to out and ignores every later byte. Without
 * DETACH the audit is printed when the connection closes. Notes (bad
 * frames, version mismatch, the close) go to log (NULL: stderr). The
 * simulator must be in bridge mode (cfg.guest_ram). Returns 0 after DETACH
 * with a clean audit, 1 otherwise; res (may be NULL) gets the details. */
int hvsim_bridge_serve(struct hvsim *sim, int fd, FILE *out, FILE *log,
		       struct hvsim_bridge_result *res);

/* "storvsc,netvsc" etc.: the default device list. */
extern const char hvsim_default_devices[];

#endif
