/* hvsim's VMBus server: version negotiation, offers, the dispatcher for
 * channel messages (GPADLs in gpadl.c, channels in channel.c), unload, and
 * the checks that the guest follows the protocol. Host behaviour follows
 * OpenVMM's vmbus_server (facts 3.3, 7.2, Appendix A) unless a fault says
 * otherwise. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "../vmbus/devclass.h"
#include "echo_proto.h"
#include "sim.h"

const char hvsim_default_devices[] =
	"storvsc,netvsc,heartbeat,shutdown,timesync,kvp,keyboard,video";

#define SIM_CONNECTION_ID_BASE 0x2000u /* OpenVMM: relid | SINT 2 << 12 for VTL 0 */

static uint32_t max_version(struct hvsim *sim)
{
	return sim->cfg.vmbus_max ? sim->cfg.vmbus_max : VMBUS_VERSION_COPPER;
}

static void random_guid(struct hvsim *sim, struct guid *g)
{
	uint64_t a = sim_rand(sim), b = sim_rand(sim);

	memcpy(g->b, &a, 8);
	memcpy(g->b + 8, &b, 8);
	g->b[7] = (uint8_t)((g->b[7] & 0x0f) | 0x40); /* version 4 */
	g->b[8] = (uint8_t)((g->b[8] & 0x3f) | 0x80);
}

static int add_device(struct hvsim *sim, const char *key, unsigned count)
{
	const struct vmbus_devclass *dc = vmbus_devclass_by_key(key);

	if (!dc) {
		fprintf(stderr, "hvsim: unknown device class '%s' (known: ", key);
		for (unsigned i = 0; i < vmbus_devclass_count; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", vmbus_devclasses[i].key);
		fprintf(stderr, ")\n");
		return -EINVAL;
	}
	for (unsigned i = 0; i < count; i++) {
		static const struct guid echo = ECHO_CLASS_GUID;
		struct sim_offer *o;

		if (sim->noffers == SIM_MAX_CHANNELS) {
			fprintf(stderr, "hvsim: more than %u devices\n", SIM_MAX_CHANNELS);
			return -E2BIG;
		}
		o = &sim->offers[sim->noffers++];
		o->type = dc->guid;
		random_guid(sim, &o->instance);
		o->relid = sim->noffers;
		o->connection_id = SIM_CONNECTION_ID_BASE + o->relid;
		o->echo = guid_equal(&dc->guid, &echo);
		o->storvsp = strcmp(dc->key, "storvsc") == 0;
		o->netvsp = strcmp(dc->key, "netvsc") == 0;
	}
	return 0;
}

/* "storvsc,netvsc,heartbeat*30" */
int sim_server_init(struct hvsim *sim)
{
	const char *list = sim->cfg.devices ? sim->cfg.devices : hvsim_default_devices;
	char *copy = strdup(list), *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		char *star = strchr(tok, '*');
		unsigned long n = 1;

		if (star) {
			*star = '\0';
			n = strtoul(star + 1, NULL, 10);
			if (n == 0 || n > SIM_MAX_CHANNELS) {
				fprintf(stderr, "hvsim: bad device count in '%s*%s'\n", tok, star + 1);
				rc = -EINVAL;
				break;
			}
		}
		rc = add_device(sim, tok, (unsigned)n);
	}
	free(copy);
	return rc;
}

bool sim_server_accepts_conn(struct hvsim *sim, uint32_t conn)
{
	if (conn == VMBUS_MESSAGE_CONNECTION_ID)
		return true;
	/* Connection 4 exists only on hosts that speak 5.0 (pre-5.0 hosts
	 * answer HV_STATUS_INVALID_CONNECTION_ID, facts 3.3). */
	if (conn == VMBUS_MESSAGE_CONNECTION_ID_4)
		return max_version(sim) >= VMBUS_VERSION_WIN10_V5;
	return sim->connected && sim->version >= VMBUS_VERSION_WIN10_V5 && conn == sim->msg_conn_id;
}

struct sim_offer *sim_offer_by_relid(struct hvsim *sim, uint32_t relid)
{
	/* relids are assigned 1, 2, ... in offer order */
	if (relid == 0 || relid > sim->noffers)
		return NULL;
	return &sim->offers[relid - 1];
}

void sim_server_fini(struct hvsim *sim)
{
	for (unsigned i = 0; i < sim->noffers; i++)
		sim_chan_close(sim, &sim->offers[i]);
	sim_gpadl_release(sim, 0);
}

static uint32_t guest_conn(struct hvsim *sim)
{
	return sim->connected && sim->version >= VMBUS_VERSION_WIN10_V5 ? sim->msg_conn_id
								       : VMBUS_MESSAGE_CONNECTION_ID;
}

void sim_server_send(struct hvsim *sim, const void *msg, uint32_t len)
{
	sim_trace_msg(sim, false, guest_conn(sim), msg, len);
	sim_synic_post(sim, VMBUS_MESSAGE_SINT, HV_MESSAGE_TYPE_VMBUS, msg, len);
}

static void send_raw(struct hvsim *sim, uint32_t hv_type, uint8_t size, const void *msg,
		     uint32_t copy)
{
	struct hv_message m;

	memset(&m, 0, sizeof(m));
	m.type = hv_type;
	m.payload_size = size;
	memcpy(m.payload, msg, HVB_MIN(copy, (uint32_t)sizeof(m.payload)));
	sim_trace_msg(sim, false, guest_conn(sim), msg, HVB_MIN(copy, (uint32_t)size));
	sim_synic_post_raw(sim, VMBUS_MESSAGE_SINT, &m);
}

/* Everything of the old connection goes (UNLOAD, or INITIATE_CONTACT while
 * connected): channels are closed and GPADLs freed for the guest. Legal
 * (facts 7.2), but counted: the audit names what the guest never closed or
 * tore down itself. Rescinded relids stay gone, and one never released
 * stays in the audit. */
static void release_all(struct hvsim *sim, bool unload)
{
	unsigned chans = 0, gpadls = sim_gpadl_release(sim, 0);

	for (unsigned i = 0; i < sim->noffers; i++) {
		struct sim_offer *o = &sim->offers[i];

		if (o->state != SIM_CHAN_CLOSED) {
			chans++;
			sim_chan_close(sim, o);
		}
		o->offered = false;
	}
	sim_timer_cancel_all(sim);
	if (unload) {
		sim->gpadls_dropped_unload += gpadls;
		sim->chans_dropped_unload += chans;
	} else {
		sim->gpadls_dropped_reset += gpadls;
		sim->chans_dropped_reset += chans;
	}
	sim->connected = false;
	sim->int_page_gpa = 0;
	sim->version = 0;
	sim->offers_requested = false;
	sim->stats.version = 0;
}

static void build_offer(struct hvsim *sim, const struct sim_offer *o, struct vmbus_msg_offer *m)
{
	memset(m, 0, sizeof(*m));
	m->hdr.msgtype = VMBUS_MSG_OFFERCHANNEL;
	m->if_type = o->type;
	m->if_instance = o->instance;
	m->chn_flags = VMBUS_OFFER_FLAG_ENUMERATE_DEVICE_INTERFACE;
	m->sub_channel_index = o->subchannel;
	m->child_relid = o->relid;
	/* No monitored notification (monitor_allocated = 0, id 0xFF as
	 * OpenVMM); every channel has a dedicated interrupt. */
	m->monitorid = 0xff;
	if (sim->version >= VMBUS_VERSION_WIN7) {
		m->interrupt_flags = VMBUS_OFFER_DEDICATED_INTERRUPT;
		m->connection_id = o->connection_id;
	}
}

static uint32_t offer_size(struct hvsim *sim)
{
	return sim->version >= VMBUS_VERSION_WIN7 ? VMBUS_OFFER_SIZE : VMBUS_OFFER_SIZE_WS2008;
}

/* Hostile offers, each a separate test of the guest's validation. */
static void send_bad_offers(struct hvsim *sim)
{
	uint32_t faults = sim->cfg.faults;
	struct sim_offer bogus = { 0 };
	struct vmbus_msg_offer m;

	bogus.type = vmbus_devclasses[0].guid;
	random_guid(sim, &bogus.instance);
	bogus.relid = sim->noffers + 100;
	bogus.connection_id = SIM_CONNECTION_ID_BASE + bogus.relid;
	if (faults & HVSIM_FAULT_SHORT_MSG) {
		build_offer(sim, &bogus, &m);
		sim_server_send(sim, &m, 100);
	}
	if (faults & HVSIM_FAULT_OVERSIZE_MSG) {
		build_offer(sim, &bogus, &m);
		send_raw(sim, HV_MESSAGE_TYPE_VMBUS, 250, &m, sizeof(m));
	}
	if (faults & HVSIM_FAULT_UNKNOWN_TYPE) {
		struct vmbus_msg_header h = { 99, 0 };

		sim_server_send(sim, &h, sizeof(h));
	}
	if (faults & HVSIM_FAULT_HV_MSG_TYPE) {
		uint8_t timer[24] = { 0 };

		send_raw(sim, 0x80000010u, sizeof(timer), timer, sizeof(timer));
	}
	if ((faults & HVSIM_FAULT_DUP_RELID) && sim->noffers > 0) {
		build_offer(sim, &bogus, &m);
		m.child_relid = sim->offers[0].relid;
		sim_server_send(sim, &m, offer_size(sim));
	}
	if ((faults & HVSIM_FAULT_OFFER_SIZE) && sim->version >= VMBUS_VERSION_WIN7) {
		build_offer(sim, &bogus, &m);
		sim_server_send(sim, &m, VMBUS_OFFER_SIZE_WS2008);
	}
	if (faults & HVSIM_FAULT_BAD_RELID) {
		build_offer(sim, &bogus, &m);
		m.child_relid = 0;
		sim_server_send(sim, &m, offer_size(sim));
		m.child_relid = 4000;
		sim_server_send(sim, &m, offer_size(sim));
	}
	if (faults & HVSIM_FAULT_BAD_MONITOR) {
		build_offer(sim, &bogus, &m);
		m.monitor_allocated = VMBUS_OFFER_MONITOR_ALLOCATED;
		m.monitorid = 200;
		sim_server_send(sim, &m, offer_size(sim));
	}
}

static void handle_initiate_contact(struct hvsim *sim, uint32_t conn, const uint8_t *data,
				    uint32_t size)
{
	struct vmbus_msg_initiate_contact ic;
	struct vmbus_msg_version_response vr;
	uint32_t vr_size = VMBUS_VERSION_RESPONSE_SIZE;
	bool ok;

	if (size < sizeof(ic)) {
		sim_violation(sim, "INITIATE_CONTACT of %u bytes; it is 40", size);
		return;
	}
	memcpy(&ic, data, sizeof(ic));
	if (sim->connected)
		release_all(sim, false); /* a new contact resets the bus */
	memset(&vr, 0, sizeof(vr));
	vr.hdr.msgtype = VMBUS_MSG_VERSION_RESPONSE;
	ok = vmbus_version_lookup(ic.version) && ic.version <= max_version(sim);
	if (ok && ic.target_vcpu != 0) {
		sim_violation(sim, "INITIATE_CONTACT: target_vcpu %u, but VP_INDEX is 0",
			      ic.target_vcpu);
		ok = false;
	}
	if (ok && (!ic.monitor_page1) != (!ic.monitor_page2)) {
		/* Both monitor pages or neither (OpenVMM). */
		sim_violation(sim, "INITIATE_CONTACT: exactly one monitor page given");
		vr.version_supported = 1;
		vr.connection_state = 2;
		sim_server_send(sim, &vr, vr_size);
		return;
	}
	if (ok && ic.version >= VMBUS_VERSION_WIN10_V5 && conn == VMBUS_MESSAGE_CONNECTION_ID_4 &&
	    ic.msg_sint != VMBUS_MESSAGE_SINT) {
		sim_violation(sim, "INITIATE_CONTACT: msg_sint %u; hvsim delivers on SINT2",
			      ic.msg_sint);
		ok = false;
	}
	if (ok && ic.version < VMBUS_VERSION_WIN10_V5 && ic.version < VMBUS_VERSION_WIN8 &&
	    !sim_gpa_map(sim, ic.interrupt_page, HVB_PAGE_SIZE)) {
		sim_violation(sim, "INITIATE_CONTACT: interrupt page 0x%llx is not guest memory",
			      (unsigned long long)ic.interrupt_page);
		ok = false;
	}
	if (ok) {
		sim->connected = true;
		sim->version = ic.version;
		sim->target_vcpu = ic.target_vcpu;
		/* The host uses the interrupt page only below WIN8 (facts 3.6). */
		sim->int_page_gpa = ic.version < VMBUS_VERSION_WIN8 ? ic.interrupt_page : 0;
		sim->msg_conn_id = sim->cfg.msg_conn_id ? sim->cfg.msg_conn_id : 1;
		sim->stats.version = ic.version;
		sim->stats.contact_conn = conn;
		vr.version_supported = 1;
		if (sim->cfg.faults & HVSIM_FAULT_VERSION_FAILED)
			vr.connection_state = 1;
		vr.msg_conn_id = ic.version >= VMBUS_VERSION_WIN10_V5 ? sim->msg_conn_id : ic.version;
		if (ic.version >= VMBUS_VERSION_COPPER)
			vr_size = VMBUS_VERSION_RESPONSE_SIZE_V6; /* supported_features = 0 */
		if (sim->cfg.faults & HVSIM_FAULT_EARLY_MSG) {
			struct vmbus_msg_offer m;

			build_offer(sim, &sim->offers[0], &m);
			sim_server_send(sim, &m, offer_size(sim));
		}
	}
	if (sim->cfg.faults & HVSIM_FAULT_NO_VERSION_RESPONSE)
		return;
	sim_server_send(sim, &vr, vr_size);
}

int hvsim_hotplug(struct hvsim *sim, const char *key)
{
	struct vmbus_msg_offer m;
	struct sim_offer *o;
	int rc;

	if (sim->cfg.threaded)
		pthread_mutex_lock(&sim->lock);
	rc = add_device(sim, key, 1);
	if (rc == 0 && sim->connected && sim->offers_requested) {
		/* After ALLOFFERS_DELIVERED a new device is one more offer. */
		o = &sim->offers[sim->noffers - 1];
		build_offer(sim, o, &m);
		sim_server_send(sim, &m, offer_size(sim));
		o->offered = true;
		sim->stats.offers_sent++;
	}
	if (sim->cfg.threaded)
		pthread_mutex_unlock(&sim->lock);
	return rc == 0 ? (int)sim->offers[sim->noffers - 1].relid : rc;
}

static void handle_request_offers(struct hvsim *sim)
{
	if (sim->offers_requested) {
		sim_violation(sim, "REQUESTOFFERS sent twice on one connection");
		return;
	}
	sim->offers_requested = true;
	for (unsigned i = 0; i < sim->noffers; i++) {
		struct vmbus_msg_offer m;

		if (sim->offers[i].rescinded)
			continue; /* hot-unplugged: gone for good */
		build_offer(sim, &sim->offers[i], &m);
		sim_server_send(sim, &m, offer_size(sim));
		sim->offers[i].offered = true;
		sim->stats.offers_sent++;
	}
	send_bad_offers(sim);
	if (!(sim->cfg.faults & HVSIM_FAULT_NO_ALLOFFERS)) {
		struct vmbus_msg_header h = { VMBUS_MSG_ALLOFFERS_DELIVERED, 0 };

		sim_server_send(sim, &h, sizeof(h));
	}
}

static void handle_unload(struct hvsim *sim)
{
	struct vmbus_msg_header h = { VMBUS_MSG_UNLOAD_RESPONSE, 0 };

	/* Host action: release every channel and GPADL, then answer (7.2). */
	release_all(sim, true);
	sim->unload_seen = true;
	sim->stats.unloads++;
	if (!(sim->cfg.faults & HVSIM_FAULT_NO_UNLOAD_RESPONSE))
		sim_server_send(sim, &h, sizeof(h));
}

bool sim_server_step(struct hvsim *sim)
{
	struct sim_port_msg pm;
	uint32_t type;

	if (sim->port_count == 0 || sim_now(sim) < sim->port[sim->port_head].due)
		return false;
	pm = sim->port[sim->port_head];
	sim->port_head = (sim->port_head + 1) % SIM_PORT_BUFFERS;
	sim->port_count--;
	if (pm.size < sizeof(struct vmbus_msg_header)) {
		sim_violation(sim, "channel message of %u bytes: shorter than its header", pm.size);
		return true;
	}
	memcpy(&type, pm.data, 4);
	if (type == VMBUS_MSG_INITIATE_CONTACT) {
		handle_initiate_contact(sim, pm.conn, pm.data, pm.size);
		return true;
	}
	if (!sim->connected) {
		sim_violation(sim, "%s (%u) while not connected: dropped", vmbus_msg_name(type), type);
		return true;
	}
	if (sim->version >= VMBUS_VERSION_WIN10_V5 && pm.conn != sim->msg_conn_id)
		sim_violation(sim, "%s posted on connection %u; VERSION_RESPONSE named %u",
			      vmbus_msg_name(type), pm.conn, sim->msg_conn_id);
	switch (type) {
	case VMBUS_MSG_REQUESTOFFERS:
		handle_request_offers(sim);
		break;
	case VMBUS_MSG_UNLOAD:
		handle_unload(sim);
		break;
	case VMBUS_MSG_GPADL_HEADER:
		sim_gpadl_header(sim, pm.data, pm.size);
		break;
	case VMBUS_MSG_GPADL_BODY:
		sim_gpadl_body(sim, pm.data, pm.size);
		break;
	case VMBUS_MSG_GPADL_TEARDOWN:
		sim_gpadl_teardown(sim, pm.data, pm.size);
		break;
	case VMBUS_MSG_OPENCHANNEL:
		sim_chan_open(sim, pm.data, pm.size);
		break;
	case VMBUS_MSG_CLOSECHANNEL:
		sim_chan_close_msg(sim, pm.data, pm.size);
		break;
	case VMBUS_MSG_RELID_RELEASED:
		sim_chan_relid_released(sim, pm.data, pm.size);
		break;
	default:
		sim_violation(sim, "unexpected guest message %s (%u)", vmbus_msg_name(type), type);
		break;
	}
	return true;
}

static void audit_count(char *buf, size_t len, size_t *pos, unsigned n, const char *what)
{
	char line[128];

	if (n) {
		snprintf(line, sizeof(line), "%u %s", n, what);
		sim_audit_add(buf, len, pos, line);
	}
}

void sim_server_audit(struct hvsim *sim, bool handoff, char *buf, size_t len, size_t *pos)
{
	unsigned open = 0, opening = 0;
	char what[64];

	for (unsigned i = 0; i < sim->noffers; i++) {
		open += sim->offers[i].state == SIM_CHAN_OPEN;
		opening += sim->offers[i].state == SIM_CHAN_OPENING;
	}
	audit_count(buf, len, pos, open, "channel(s) open");
	audit_count(buf, len, pos, opening, "channel(s) opening (OPENCHANNEL unanswered, never closed)");
	audit_count(buf, len, pos, sim_gpadl_count(sim, 0), "GPADL(s) never torn down");
	audit_count(buf, len, pos, sim->chans_dropped_unload,
		    "channel(s) never closed (released by UNLOAD)");
	audit_count(buf, len, pos, sim->gpadls_dropped_unload,
		    "GPADL(s) never torn down (released by UNLOAD)");
	audit_count(buf, len, pos, sim->chans_dropped_reset,
		    "channel(s) never closed (released by a new INITIATE_CONTACT)");
	audit_count(buf, len, pos, sim->gpadls_dropped_reset,
		    "GPADL(s) never torn down (released by a new INITIATE_CONTACT)");
	for (unsigned i = 0; i < sim->noffers; i++) {
		if (sim->offers[i].rescinded && !sim->offers[i].released) {
			snprintf(what, sizeof(what), "relid %u rescinded but never released",
				 sim->offers[i].relid);
			sim_audit_add(buf, len, pos, what);
		}
	}
	if (handoff && (!sim->unload_seen || sim->connected))
		sim_audit_add(buf, len, pos, "VMBus still connected (no UNLOAD)");
}
