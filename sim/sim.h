/* hvsim internals shared by its modules. Not for the guest. */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <pthread.h>

#include "../lib/guid.h"
#include "../lib/pagepool.h"
#include "../vmbus/hv_proto.h"
#include "../vmbus/vmbus_proto.h"
#include "hvsim.h"

#define SIM_GPA_BASE 0x100000ull     /* guest RAM starts at 1 MiB: GPAs are not pointers */
#define SIM_PORT_BUFFERS 16u         /* message buffers per port (facts 1.7) */
#define SIM_QUEUE_MAX 4096u          /* host->guest messages waiting per SINT */
#define SIM_MAX_VIOLATIONS 64u
#define SIM_MAX_CHANNELS 256u

/* A hypervisor overlay page (SIMP, SIEFP, hypercall page): while enabled it
 * hides the guest RAM at its GPA; its contents survive disable/enable. */
struct sim_overlay {
	uint8_t page[4096] __attribute__((aligned(4096)));
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
	uint32_t conn;
	uint32_t size;
	uint8_t data[HV_MESSAGE_PAYLOAD_MAX];
};

struct sim_offer {
	struct guid type, instance;
	uint32_t relid;
	uint32_t connection_id;
	uint16_t subchannel;
	bool offered;   /* sent on this connection */
	bool open;
};

struct hvsim {
	struct hvsim_config cfg;
	struct hv_seam seam;
	uint64_t rng;

	/* guest memory */
	uint8_t *ram;
	size_t ram_size;
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
	bool offers_requested;
	bool unload_seen;
	struct sim_offer offers[SIM_MAX_CHANNELS];
	unsigned noffers;

	/* bookkeeping */
	struct hvsim_stats stats;
	char *violations[SIM_MAX_VIOLATIONS];
	unsigned nviolations;

	/* threaded mode */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool thread_running, thread_stop;
};

/* sim/hvsim.c */
void sim_violation(struct hvsim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t sim_rand(struct hvsim *sim);
uint64_t sim_now(struct hvsim *sim); /* reference time, 100 ns */
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
void sim_wrmsr(struct hvsim *sim, uint32_t msr, uint64_t v);
uint64_t sim_hypercall(struct hvsim *sim, uint64_t control, uint64_t in, uint64_t out);
/* Queue a message for SINT sint of the guest and deliver what can be. */
void sim_synic_post(struct hvsim *sim, unsigned sint, uint32_t type, const void *payload,
		    uint32_t len);
/* Put raw bytes into a SINT's queue, bypassing every check (hostile host). */
void sim_synic_post_raw(struct hvsim *sim, unsigned sint, const struct hv_message *m);
void sim_synic_fini(struct hvsim *sim);

/* sim/vmbus_server.c */
int sim_server_init(struct hvsim *sim);
bool sim_server_accepts_conn(struct hvsim *sim, uint32_t conn);
/* The guest signalled event connection conn; false if no channel owns it. */
bool sim_server_signal(struct hvsim *sim, uint32_t conn);
/* Handle one guest message from the port; returns true if it did work. */
bool sim_server_step(struct hvsim *sim);
void sim_server_send(struct hvsim *sim, const void *msg, uint32_t len);
void sim_server_audit(struct hvsim *sim, bool handoff, char *buf, size_t len, size_t *pos);

/* sim/seam_sim.c */
void sim_seam_init(struct hvsim *sim);

/* sim/trace.c */
void sim_trace_msg(struct hvsim *sim, bool g2h, uint32_t conn, const void *msg, uint32_t len);

#endif
