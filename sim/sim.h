/* hvsim internals shared by its modules. Not for the guest. */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <poll.h>
#include <pthread.h>

#include "../lib/guid.h"
#include "../lib/pagepool.h"
#include "../vmbus/hv_proto.h"
#include "../vmbus/ring.h"
#include "../vmbus/vmbus_proto.h"
#include "hvsim.h"

#define SIM_GPA_BASE 0x100000ull     /* guest RAM starts at 1 MiB: GPAs are not pointers */
#define SIM_PORT_BUFFERS 16u         /* message buffers per port (facts 1.7) */
#define SIM_QUEUE_MAX 4096u          /* host->guest messages waiting per SINT */
#define SIM_MAX_VIOLATIONS 64u
#define SIM_MAX_CHANNELS 256u
#define SIM_MAX_GPADLS 256u          /* live GPADLs per connection */
#define SIM_GPADL_SLOTS 512u         /* room for failed assemblies still absorbing bodies too */
#define SIM_MAX_TIMERS 512u          /* delayed host messages (faults) */
#define SIM_DELAY_TICKS 1000000ull   /* 100 ms of reference time */
#define SIM_STATUS_FAILED 0xC0000001u /* STATUS_UNSUCCESSFUL: the failure status hvsim sends */
#define SIM_PKTS_PER_STEP 64u        /* inbound packets per channel per step: the guest must run */

/* A hypervisor overlay page (SIMP, SIEFP, hypercall page): while enabled it
 * hides the guest RAM at its GPA; its contents survive disable/enable.
 * page points at store, except in bridge mode: QEMU's guest reads its RAM
 * directly and nothing can hide it, so there an enabled overlay *is* the
 * guest's RAM page at its GPA. */
struct sim_overlay {
	uint8_t store[4096] __attribute__((aligned(4096)));
	uint8_t *page;
	uint64_t gpa;
	bool enabled;
};

struct sim_msgq {
	struct hv_message *msgs; /* ring of SIM_QUEUE_MAX */
	unsigned head, count;
};

struct sim_synic {
	uint64_t scontrol, simp, siefp;
	uint64_t sint[HV_SINT_COUNT];
	struct sim_overlay simp_page, siefp_page;
	struct sim_msgq queue[HV_SINT_COUNT];
};

/* A guest->host message waiting in the host's port. */
struct sim_port_msg {
	uint64_t due;       /* reference time the host notices it (response_latency_us) */
	uint32_t conn;
	uint32_t size;
	uint8_t data[HV_MESSAGE_PAYLOAD_MAX];
};

enum sim_chan_state {
	SIM_CHAN_CLOSED,
	SIM_CHAN_OPENING, /* OPENCHANNEL accepted, its result not sent yet (delay/drop faults) */
	SIM_CHAN_OPEN,
};

/* A packet the host has built but could not write yet (h2g ring full). */
struct sim_txpkt {
	uint8_t *buf;     /* capacity: the channel's txcap */
	uint32_t len;
	bool bad_windex;  /* HVSIM_FAULT_RING_BAD_WRITE_INDEX: publish write_index + 4 after it */
};

struct sim_vsp_chan;
struct sim_nv_chan;
struct sim_netvsp;

/* One offer and, once opened, its channel. Rings are seen from the host:
 * "in" is the guest->host ring (host consumes), "out" the host->guest ring
 * (host produces). */
struct sim_offer {
	struct guid type, instance;
	uint32_t relid;
	uint32_t connection_id;
	uint16_t subchannel;
	bool echo;      /* the echo device serves it */
	bool storvsp;   /* the storage VSP serves it (class storvsc) */
	bool netvsp;    /* the network VSP serves it (class netvsc) */
	bool offered;   /* sent on this connection */
	bool rescinded; /* RESCIND_CHANNELOFFER sent: gone for good */
	bool released;  /* RELID_RELEASED came after the rescind */

	enum sim_chan_state state;
	uint32_t ring_gpadl, openid, target_vp;
	struct ring in, out;
	bool stopped;       /* broken ring or rescinded: no longer serviced */
	bool kicked;        /* signalled: service the g2h ring on the next step */
	uint64_t kick_due;  /* when a slow host notices the signal (response_latency_us) */
	bool waiting_space; /* pending_send_sz set on the h2g ring */
	uint8_t *rxbuf;     /* one inbound packet: in.size bytes */
	struct sim_txpkt tx[2];
	unsigned ntx;
	uint32_t txcap;

	unsigned guest_signals, spurious_signals, host_signals, packets_in, packets_out;
	struct sim_vsp_chan *vsp; /* storvsp's state while open (storvsp.c) */
	struct sim_nv_chan *nv;   /* netvsp's state while open (netvsp.c) */
};

enum sim_gpadl_state {
	SIM_GPADL_FREE,
	SIM_GPADL_ASSEMBLING, /* header seen, bodies outstanding */
	SIM_GPADL_PENDING,    /* complete, GPADL_CREATED not sent yet (delay/drop faults) */
	SIM_GPADL_READY,      /* GPADL_CREATED status 0 sent */
};

struct sim_gpadl {
	enum sim_gpadl_state state;
	bool failed;          /* answered with a failure once its last PFN arrives */
	uint32_t handle, relid;
	uint32_t words_left;  /* 8-byte range words still to come in bodies */
	uint32_t npfns, nrecv;
	uint64_t *pfns;       /* NULL for a failed assembly */
};

/* "First" faults act on the first of their kind in the whole run; these
 * bits remember that it has been seen (whether or not a fault used it). */
enum sim_fired {
	SIM_FIRED_GPADL = 1u << 0,  /* the first GPADL the host would create */
	SIM_FIRED_ANSWER = 1u << 1, /* the first echo answer */
	SIM_FIRED_COMP = 1u << 2,   /* the first echo completion */
	SIM_FIRED_PACKET = 1u << 3, /* the first guest packet read */
};

enum sim_timer_kind {
	SIM_TIMER_PLAIN,         /* a failure answer: always sent */
	SIM_TIMER_GPADL_CREATED, /* success: sent only if the GPADL still waits for it */
	SIM_TIMER_OPEN_RESULT,   /* success: sent only if the channel is still opening */
	SIM_TIMER_STORVSP,       /* storvsp's held completions (key: relid) are due: no message */
	SIM_TIMER_NETVSP,        /* netvsp's link comes back (key: relid): no message */
};

/* A host message due at a reference time (the *_DELAY faults). */
struct sim_timer {
	bool used;
	enum sim_timer_kind kind;
	uint64_t due, seq;
	uint32_t key;  /* gpadl handle or relid */
	uint32_t len;
	uint8_t msg[24];
};

/* One LUN of storvsp: a raw image file. */
struct sim_lun {
	const char *path;    /* the caller's string (config) */
	int fd;
	uint64_t blocks;     /* 512-byte blocks */
	bool unit_attention; /* HVSIM_STORVSP_UNIT_ATTENTION: still to be reported */
};

/* storvsp, device-wide (the per-channel part is struct sim_vsp_chan). */
struct sim_storvsp {
	struct sim_lun *luns;
	unsigned nluns;
	uint32_t disk_relid;   /* the first storvsc offer, whose path 0 target 0 has the LUNs */
	uint32_t max_transfer; /* QUERY_PROPERTIES max_transfer_bytes */
	uint16_t max_version;
	unsigned busy_left;    /* HVSIM_STORVSP_BUSY: READ/WRITEs still to refuse */
	uint32_t fired;        /* which "first ..." storvsp fault has been seen */
	struct hvsim_storvsp_stats stats;
};

struct hvsim {
	struct hvsim_config cfg;
	struct hv_seam seam;
	uint64_t rng;

	/* guest memory: a private arena at SIM_GPA_BASE, or in bridge mode
	 * (cfg.guest_ram) QEMU's RAM file mapped shared at GPA 0 */
	uint8_t *ram;
	size_t ram_size;
	bool shared_ram;
	struct pagepool pool;
	uint64_t *pool_bitmap;

	/* hypervisor */
	uint64_t guest_os_id, hypercall_msr;
	struct sim_overlay hypercall_page;
	struct sim_synic synic;
	uint64_t vtime;        /* stepped mode: 100 ns units */
	uint64_t t0_ns;        /* threaded mode: CLOCK_MONOTONIC at creation */
	unsigned busy_posts_left;

	/* the host's message port */
	struct sim_port_msg port[SIM_PORT_BUFFERS];
	unsigned port_head, port_count;

	/* VMBus server */
	bool connected;
	uint32_t version;
	uint32_t msg_conn_id;   /* accepted besides 1 (and 4 at >= 5.0) */
	uint32_t target_vcpu;
	uint64_t int_page_gpa;  /* < WIN8: the interrupt page of INITIATE_CONTACT */
	bool offers_requested;
	bool unload_seen;
	struct sim_offer offers[SIM_MAX_CHANNELS];
	unsigned noffers;
	struct sim_gpadl gpadls[SIM_GPADL_SLOTS];
	struct sim_timer timers[SIM_MAX_TIMERS];
	unsigned ntimers;       /* used entries: most steps have none to scan */
	uint64_t timer_seq;
	uint32_t faults_fired;  /* SIM_FIRED_*: which "first ..." has been seen */
	/* what UNLOAD or a new INITIATE_CONTACT had to release for the guest */
	unsigned gpadls_dropped_unload, gpadls_dropped_reset;
	unsigned chans_dropped_unload, chans_dropped_reset;

	struct sim_storvsp vsp;
	struct sim_netvsp *netvsp; /* netvsp.c; NULL when no netvsc is offered */

	/* bookkeeping */
	struct hvsim_stats stats;
	char *violations[SIM_MAX_VIOLATIONS];
	unsigned nviolations;

	/* threaded mode */
	pthread_mutex_t lock;
	int wake_fd;            /* eventfd: the guest (or destroy) wakes an idle host thread */
	bool host_asleep;       /* the host thread is (about to be) in poll(): wake_fd needed */
	/* The other way: an idle guest sleeps until the host gives it
	 * something (guest_events counts messages and event flags set) */
	unsigned guest_events;  /* atomic */
	int guest_waiting;      /* atomic: the guest is in (or entering) its wait */
	pthread_mutex_t gw_lock;
	pthread_cond_t gw_cond;
	unsigned guest_seen, guest_spins; /* the guest thread's own */
	pthread_t thread;
	bool thread_running, thread_stop;
};

/* sim/hvsim.c */
void sim_violation(struct hvsim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t sim_rand(struct hvsim *sim);
uint64_t sim_now(struct hvsim *sim); /* reference time, 100 ns */
/* Threaded mode, the lock held: the host thread looks again now if it is
 * idle (a guest hypercall may have given it work). */
void sim_wake_host(struct hvsim *sim);
/* The host gave the guest something (a message, an event flag): an idle
 * guest looks again. */
void sim_wake_guest(struct hvsim *sim);
/* Append ", what" to an audit line being built in buf. */
void sim_audit_add(char *buf, size_t len, size_t *pos, const char *what);

/* sim/guestmem.c: checked access to guest physical memory (overlays first).
 * A guest mistake is a violation, never a crash of hvsim. */
void *sim_gpa_map(struct hvsim *sim, uint64_t gpa, size_t len);
int sim_gpa_read(struct hvsim *sim, uint64_t gpa, void *buf, size_t len, const char *what);
int sim_gpa_write(struct hvsim *sim, uint64_t gpa, const void *buf, size_t len, const char *what);
int sim_mem_init(struct hvsim *sim);
void sim_mem_fini(struct hvsim *sim);
void sim_overlay_move(struct hvsim *sim, struct sim_overlay *ov, uint64_t msr);

/* sim/hyperv.c: the hypervisor model */
void sim_hv_reset(struct hvsim *sim);
void sim_cpuid(struct hvsim *sim, uint32_t leaf, struct hv_cpuid *r);
uint64_t sim_rdmsr(struct hvsim *sim, uint32_t msr);
/* TIME_REF_COUNT when the guest may read it (true, *v set): needs no lock
 * (sim_now depends on nothing the host thread changes). */
bool sim_time_ref_lockless(struct hvsim *sim, uint32_t msr, uint64_t *v);
void sim_wrmsr(struct hvsim *sim, uint32_t msr, uint64_t v);
uint64_t sim_hypercall(struct hvsim *sim, uint64_t control, uint64_t in, uint64_t out);
/* Queue a message for SINT sint of the guest and deliver what can be. */
void sim_synic_post(struct hvsim *sim, unsigned sint, uint32_t type, const void *payload,
		    uint32_t len);
/* Put raw bytes into a SINT's queue, bypassing every check (hostile host). */
void sim_synic_post_raw(struct hvsim *sim, unsigned sint, const struct hv_message *m);
/* Whether an event on SINT sint would reach the guest (SCONTROL, SIEFP, SINT). */
bool sim_synic_event_deliverable(struct hvsim *sim, unsigned sint);
/* Atomically set event flag `flag` in SINT sint's SIEF slot; false when the
 * event was dropped because it is not deliverable (as OpenVMM does). */
bool sim_synic_signal(struct hvsim *sim, unsigned sint, unsigned flag);
void sim_synic_fini(struct hvsim *sim);

/* sim/vmbus_server.c */
int sim_server_init(struct hvsim *sim);
void sim_server_fini(struct hvsim *sim);
bool sim_server_accepts_conn(struct hvsim *sim, uint32_t conn);
/* Handle one guest message from the port; returns true if it did work. */
bool sim_server_step(struct hvsim *sim);
void sim_server_send(struct hvsim *sim, const void *msg, uint32_t len);
void sim_server_audit(struct hvsim *sim, bool handoff, char *buf, size_t len, size_t *pos);
struct sim_offer *sim_offer_by_relid(struct hvsim *sim, uint32_t relid);

/* sim/gpadl.c: GPADL_HEADER/BODY assembly, GPADL_TEARDOWN */
void sim_gpadl_header(struct hvsim *sim, const uint8_t *data, uint32_t size);
void sim_gpadl_body(struct hvsim *sim, const uint8_t *data, uint32_t size);
void sim_gpadl_teardown(struct hvsim *sim, const uint8_t *data, uint32_t size);
/* A complete GPADL whose GPADL_CREATED was sent, or NULL. */
struct sim_gpadl *sim_gpadl_find(struct hvsim *sim, uint32_t handle);
/* Free every GPADL of relid (all relids if relid is 0); returns how many
 * existed (failed assemblies not counted). */
unsigned sim_gpadl_release(struct hvsim *sim, uint32_t relid);
unsigned sim_gpadl_count(struct hvsim *sim, uint32_t relid);
/* A delayed GPADL_CREATED is due: the GPADL becomes usable if it still exists. */
bool sim_gpadl_created_due(struct hvsim *sim, uint32_t handle);

/* sim/channel.c: open, close, rescind, signalling, servicing the rings */
void sim_chan_open(struct hvsim *sim, const uint8_t *data, uint32_t size);
void sim_chan_close_msg(struct hvsim *sim, const uint8_t *data, uint32_t size);
void sim_chan_relid_released(struct hvsim *sim, const uint8_t *data, uint32_t size);
/* Stop serving a channel and free its buffers (state CLOSED). */
void sim_chan_close(struct hvsim *sim, struct sim_offer *o);
/* Send RESCIND_CHANNELOFFER; false if the relid is not offered or gone. */
bool sim_chan_rescind(struct hvsim *sim, struct sim_offer *o);
/* A delayed OPENCHANNEL_RESULT is due: the channel opens if still opening. */
bool sim_chan_open_due(struct hvsim *sim, uint32_t relid);
/* The guest signalled event connection conn; false if nothing owns it.
 * sim_server_conn_known asks the same without signalling. */
bool sim_server_conn_known(struct hvsim *sim, uint32_t conn);
bool sim_server_signal(struct hvsim *sim, uint32_t conn);
/* Service every channel that is due; returns true if it did work. */
bool sim_chan_step(struct hvsim *sim);
/* Whether the host thread should poll soon rather than sleep. */
bool sim_chan_polling(struct hvsim *sim);
/* Service the g2h ring now, until it is empty (bounded): what the guest
 * wrote before a channel message takes effect first. */
void sim_chan_drain(struct hvsim *sim, struct sim_offer *o);
/* Queue a packet (descriptor first) for the h2g ring and write what fits. */
void sim_chan_send(struct hvsim *sim, struct sim_offer *o, const void *pkt, uint32_t len,
		   bool bad_windex);

/* sim/echo.c: the echo device. Handles one inbound packet; returns false
 * when the channel must stop (it rescinded the channel). */
bool sim_echo_packet(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt);

/* sim/storvsp.c: the storage VSP (facts 5) on storvsc channels */
int sim_storvsp_init(struct hvsim *sim); /* opens the disks; -errno, said on stderr */
void sim_storvsp_fini(struct hvsim *sim);
int sim_storvsp_open(struct hvsim *sim, struct sim_offer *o);
void sim_storvsp_close(struct hvsim *sim, struct sim_offer *o);
/* One inbound packet; false when the channel stopped (a violation) or
 * storvsp cannot take more now: the service loop then stops reading. */
bool sim_storvsp_packet(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt);
/* Whether storvsp takes another packet now (room for held completions). */
bool sim_storvsp_ready(struct sim_offer *o);
/* Send the held completions that are due, while the h2g queue is empty. */
void sim_storvsp_pump(struct hvsim *sim, struct sim_offer *o);
/* The service loop published its batch of answers on the h2g ring. */
void sim_storvsp_published(struct sim_offer *o);
/* SIM_TIMER_STORVSP fired for relid. */
void sim_storvsp_timer(struct hvsim *sim, uint32_t relid);
void sim_storvsp_describe(struct hvsim *sim, FILE *f);

/* sim/netvsp.c, netvsp_rx.c: the network VSP (facts 6) on netvsc channels */
int sim_netvsp_init(struct hvsim *sim); /* the backend; -errno, said on stderr */
void sim_netvsp_fini(struct hvsim *sim);
int sim_netvsp_open(struct hvsim *sim, struct sim_offer *o);
void sim_netvsp_close(struct hvsim *sim, struct sim_offer *o);
/* One inbound packet; false when the channel stopped (a violation). */
bool sim_netvsp_packet(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt);
/* Queued control messages and frames into the h2g ring, while it has room. */
void sim_netvsp_pump(struct hvsim *sim, struct sim_offer *o);
/* Poll the backend, release held frames; true if it did work. */
bool sim_netvsp_step(struct hvsim *sim);
/* The backend's descriptors and deadline for an idle host thread
 * (netdev.h, wait_fds); 0 descriptors when it has none. */
unsigned sim_netvsp_wait_fds(struct hvsim *sim, struct pollfd *fds, unsigned max,
			     int *timeout_ms);
/* SIM_TIMER_NETVSP fired for relid. */
void sim_netvsp_timer(struct hvsim *sim, uint32_t relid);
/* A GPADL of relid is being torn down (before it is freed). */
void sim_netvsp_gpadl_teardown(struct hvsim *sim, uint32_t relid, uint32_t handle);
void sim_netvsp_describe(struct hvsim *sim, FILE *f);

/* sim/scsidisk.c: the SCSI disk behind storvsp's LUNs. The data buffer is
 * the request's one GPA range, already checked to be guest RAM. */
#define SIM_SENSE_LEN 18u /* fixed-format sense, as hvsim writes it */
struct sim_scsi_req {
	const uint8_t *cdb;      /* 16 bytes */
	uint8_t path, target, lun, data_in;
	bool has_luns;           /* the channel whose path 0 target 0 holds the disks */
	uint32_t len;            /* data_transfer_length: buffer bytes usable */
	const uint8_t *pfns;     /* the range's u64 PFNs (in the packet copy); NULL: no buffer */
	uint32_t byte_offset;    /* of the buffer in its first page */
};
struct sim_scsi_res {
	uint8_t scsi_status;
	uint8_t srb_status;      /* SRB_STATUS_*, with AUTOSENSE_VALID when sense_len */
	uint32_t moved;          /* bytes transferred */
	uint8_t sense_len;       /* 0 or SIM_SENSE_LEN */
	uint8_t sense[SIM_SENSE_LEN];
};
int sim_disks_open(struct hvsim *sim);
void sim_disks_close(struct hvsim *sim);
void sim_scsi_execute(struct hvsim *sim, const struct sim_scsi_req *rq, struct sim_scsi_res *res);
/* CHECK CONDITION with fixed-format sense; info_valid: information = info. */
void sim_scsi_sense(struct sim_scsi_res *res, uint8_t srb, uint8_t key, uint8_t asc, uint8_t ascq,
		    bool info_valid, uint64_t info);
/* The page of a PFN as a host pointer, or NULL if it is not guest memory. */
uint8_t *sim_pfn_page(struct hvsim *sim, uint64_t pfn);

/* sim/timers.c: host messages due later (reference time) */
void sim_timer_add(struct hvsim *sim, enum sim_timer_kind kind, uint32_t key, const void *msg,
		   uint32_t len);
/* At reference time due; false when every slot is taken (nothing queued). */
bool sim_timer_add_at(struct hvsim *sim, enum sim_timer_kind kind, uint32_t key, uint64_t due,
		      const void *msg, uint32_t len);
void sim_timer_cancel(struct hvsim *sim, enum sim_timer_kind kind, uint32_t key);
void sim_timer_cancel_all(struct hvsim *sim);
bool sim_timer_step(struct hvsim *sim);

/* sim/seam_sim.c */
void sim_seam_init(struct hvsim *sim);

/* sim/trace.c */
void sim_trace_msg(struct hvsim *sim, bool g2h, uint32_t conn, const void *msg, uint32_t len);
/* A ring packet (descriptor first, len bytes, no trailer). */
void sim_trace_pkt(struct hvsim *sim, bool g2h, uint32_t relid, const void *pkt, uint32_t len);

#endif
