/* VMBus connection management. Facts: 3.1-3.4, 7.2, 7.3. Every host message
 * is validated (type known, payload at least the size its type needs, state
 * that expects it) before a handler reads a field of it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "devclass.h"
#include "channel.h"
#include "vmbus.h"
#include "vmbus_internal.h"

typedef void (*msg_handler)(struct vmbus *vb, const void *msg, uint32_t size);

static uint64_t param(uint64_t v, uint64_t dflt) { return v ? v : dflt; }

void vmbus_reject(struct vmbus *vb, const char *fmt, ...)
{
	char line[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	vb->rejected++;
	log_warn("vmbus: %s", line);
}

/* --- handlers ---------------------------------------------------------- */

static void on_version_response(struct vmbus *vb, const void *msg, uint32_t size)
{
	if (vb->state != VMBUS_CONTACTING) {
		vmbus_reject(vb, "ignored a VERSION_RESPONSE nobody asked for");
		return;
	}
	memset(&vb->version_response, 0, sizeof(vb->version_response));
	memcpy(&vb->version_response, msg, HVB_MIN(size, (uint32_t)sizeof(vb->version_response)));
	vb->got_version_response = true;
}

static const char *offer_problem(struct vmbus *vb, const struct vmbus_msg_offer *m, uint32_t size)
{
	uint32_t need = vb->version >= VMBUS_VERSION_WIN7 ? VMBUS_OFFER_SIZE : VMBUS_OFFER_SIZE_WS2008;
	static char why[96];

	if (size < need) {
		snprintf(why, sizeof(why), "it is %u bytes, VMBus %u.%u offers are %u", size,
			 VMBUS_VERSION_MAJOR(vb->version), VMBUS_VERSION_MINOR(vb->version), need);
		return why;
	}
	if (m->child_relid == 0 || m->child_relid > VMBUS_MAX_RELID)
		return "its relid is outside 1..2047";
	for (unsigned i = 0; i < vb->noffers; i++)
		if (vb->offers[i].relid == m->child_relid && !vb->offers[i].rescinded)
			return "its relid is already taken by an earlier offer";
	if (vb->version >= VMBUS_VERSION_WIN7) {
		if ((m->monitor_allocated & VMBUS_OFFER_MONITOR_ALLOCATED) &&
		    m->monitorid >= VMBUS_MONITOR_IDS)
			return "it has a monitor id beyond 127";
		if (m->connection_id & ~HV_CONNECTION_ID_MASK)
			return "its connection id has bits above 23 set";
	}
	if (vb->version < VMBUS_VERSION_WIN8 && m->sub_channel_index != 0)
		return "it is a sub-channel, which this VMBus version does not have";
	if (vb->noffers == VMBUS_MAX_OFFERS && !vmbus_find_offer(vb, m->child_relid))
		return "the offer table is full";
	return NULL;
}

static void on_offer(struct vmbus *vb, const void *msg, uint32_t size)
{
	struct vmbus_msg_offer m;
	struct vmbus_offer *o;
	const char *why;

	memset(&m, 0, sizeof(m));
	memcpy(&m, msg, HVB_MIN(size, (uint32_t)sizeof(m)));
	why = offer_problem(vb, &m, size);
	if (why) {
		vmbus_reject(vb, "rejected the offer of relid %u (%s): %s", m.child_relid,
		       vmbus_class_name(&m.if_type), why);
		return;
	}
	/* A relid the host rescinded earlier may be offered again (hot plug). */
	o = vmbus_find_offer(vb, m.child_relid);
	if (!o)
		o = &vb->offers[vb->noffers++];
	memset(o, 0, sizeof(*o));
	o->type = m.if_type;
	o->instance = m.if_instance;
	o->relid = m.child_relid;
	o->sub_channel = m.sub_channel_index;
	o->chn_flags = m.chn_flags;
	o->mmio_megabytes = m.mmio_megabytes;
	memcpy(o->user_def, m.user_def, sizeof(o->user_def));
	if (vb->version >= VMBUS_VERSION_WIN7) {
		/* WS2008 hosts have no fields from byte 189 on. */
		o->monitor_allocated = m.monitor_allocated & VMBUS_OFFER_MONITOR_ALLOCATED;
		o->monitor_id = o->monitor_allocated ? m.monitorid : 0;
		o->dedicated_interrupt = m.interrupt_flags & VMBUS_OFFER_DEDICATED_INTERRUPT;
		o->connection_id = m.connection_id;
	} else {
		o->connection_id = VMBUS_EVENT_CONNECTION_ID;
	}
	if (vb->all_offers_delivered) {
		log_info("vmbus: relid %u (%s) offered after the initial offers (hot plug)", o->relid,
			 vmbus_class_name(&o->type));
		if (vb->on_hotplug)
			vb->on_hotplug(vb, o, vb->hotplug_ctx);
	}
}

struct vmbus_offer *vmbus_find_offer(struct vmbus *vb, uint32_t relid)
{
	for (unsigned i = 0; i < vb->noffers; i++)
		if (vb->offers[i].relid == relid)
			return &vb->offers[i];
	return NULL;
}

struct vmbus_offer *vmbus_find_class(struct vmbus *vb, const char *key)
{
	const struct vmbus_devclass *dc = vmbus_devclass_by_key(key);

	for (unsigned i = 0; dc && i < vb->noffers; i++)
		if (guid_equal(&vb->offers[i].type, &dc->guid) && !vb->offers[i].rescinded &&
		    vb->offers[i].sub_channel == 0)
			return &vb->offers[i];
	return NULL;
}

static void on_all_offers(struct vmbus *vb, const void *msg, uint32_t size)
{
	(void)msg;
	(void)size;
	vb->all_offers_delivered = true;
}

static void on_unload_response(struct vmbus *vb, const void *msg, uint32_t size)
{
	(void)msg;
	(void)size;
	if (vb->state != VMBUS_UNLOADING) {
		vmbus_reject(vb, "ignored an UNLOAD_RESPONSE nobody asked for");
		return;
	}
	vb->unload_response = true;
}

static const msg_handler handlers[VMBUS_MSG_COUNT] = {
	[VMBUS_MSG_OFFERCHANNEL] = on_offer,
	[VMBUS_MSG_RESCIND_CHANNELOFFER] = vmbus_on_rescind,
	[VMBUS_MSG_OPENCHANNEL_RESULT] = vmbus_on_open_result,
	[VMBUS_MSG_GPADL_CREATED] = vmbus_on_gpadl_created,
	[VMBUS_MSG_GPADL_TORNDOWN] = vmbus_on_gpadl_torndown,
	[VMBUS_MSG_ALLOFFERS_DELIVERED] = on_all_offers,
	[VMBUS_MSG_VERSION_RESPONSE] = on_version_response,
	[VMBUS_MSG_UNLOAD_RESPONSE] = on_unload_response,
};

/* --- dispatch ---------------------------------------------------------- */

static void dispatch(struct vmbus *vb, const struct hv_message *m)
{
	uint32_t size = m->payload_size, type;

	if (size < sizeof(struct vmbus_msg_header)) {
		vmbus_reject(vb, "rejected a host message of %u bytes (shorter than a header)", size);
		return;
	}
	memcpy(&type, m->payload, sizeof(type));
	if (type >= VMBUS_MSG_COUNT || !vmbus_msg_min_size(type)) {
		vmbus_reject(vb, "ignored host message type %u (%s): not one a host sends", type,
		       vmbus_msg_name(type));
		return;
	}
	if (size < vmbus_msg_min_size(type)) {
		vmbus_reject(vb, "rejected %s of %u bytes: it needs at least %u", vmbus_msg_name(type), size,
		       vmbus_msg_min_size(type));
		return;
	}
	/* Until the host has answered our contact, anything else is stale
	 * (from an earlier connection); after UNLOAD, all but its answer is
	 * moot (facts 7.2, 7.5). */
	if (vb->state == VMBUS_CONTACTING && type != VMBUS_MSG_VERSION_RESPONSE) {
		vmbus_reject(vb, "discarded %s received before VERSION_RESPONSE", vmbus_msg_name(type));
		return;
	}
	if (vb->state == VMBUS_UNLOADING && type != VMBUS_MSG_UNLOAD_RESPONSE) {
		log_debug("vmbus: discarded %s while unloading", vmbus_msg_name(type));
		return;
	}
	if (vb->state == VMBUS_DISCONNECTED) {
		vmbus_reject(vb, "discarded %s: not connected", vmbus_msg_name(type));
		return;
	}
	if (!handlers[type]) {
		log_info("vmbus: no handler for %s; ignored", vmbus_msg_name(type));
		return;
	}
	handlers[type](vb, m->payload, size);
}

int vmbus_poll(struct vmbus *vb)
{
	struct hv_message m;
	unsigned before = vb->hv->rejected_messages;
	int got = hv_recv_message(vb->hv, &m);

	if (got)
		dispatch(vb, &m);
	vb->rejected += vb->hv->rejected_messages - before;
	return got || vb->hv->rejected_messages != before;
}

/* --- connect ----------------------------------------------------------- */

static uint16_t post(struct vmbus *vb, uint32_t conn, const void *msg, uint32_t len)
{
	return hv_post_message(vb->hv, conn, msg, len);
}

uint16_t vmbus_post(struct vmbus *vb, const void *msg, uint32_t len)
{
	return post(vb, vb->msg_conn, msg, len);
}

/* One INITIATE_CONTACT: 1 = accepted, 0 = refused, -errno = failure.
 * *no_conn4 is set when the host has no connection 4 (pre-5.0 host). */
static int try_version(struct vmbus *vb, const struct vmbus_version_info *vi, bool *no_conn4)
{
	struct vmbus_msg_initiate_contact ic;
	struct vmbus_msg_version_response *vr = &vb->version_response;
	uint32_t v = vi->version;
	uint32_t conn = v >= VMBUS_VERSION_WIN10_V5 ? VMBUS_MESSAGE_CONNECTION_ID_4
						     : VMBUS_MESSAGE_CONNECTION_ID;
	uint64_t timeout = param(vb->params.contact_timeout, VMBUS_CONTACT_TIMEOUT);
	uint16_t st;

	memset(&ic, 0, sizeof(ic));
	ic.hdr.msgtype = VMBUS_MSG_INITIATE_CONTACT;
	ic.version = v;
	ic.target_vcpu = vb->hv->vp_index;
	if (v >= VMBUS_VERSION_WIN10_V5) {
		ic.msg_sint = VMBUS_SINT_SLOT;
		ic.msg_vtl = 0;
		ic.feature_flags = 0; /* plain 5.x behaviour at 6.0 */
	} else {
		ic.interrupt_page = vb->int_page_gpa;
	}
	ic.monitor_page1 = vb->monitor_gpa;
	ic.monitor_page2 = vb->monitor_gpa + HVB_PAGE_SIZE;

	vb->got_version_response = false;
	vb->state = VMBUS_CONTACTING;
	st = post(vb, conn, &ic, sizeof(ic));
	if (st == HV_STATUS_INVALID_CONNECTION_ID && conn == VMBUS_MESSAGE_CONNECTION_ID_4) {
		/* A pre-5.0 host refuses connection 4 outright (facts 3.3). */
		log_info("vmbus: the host has no connection 4, so no VMBus 5.0 or newer; trying "
			 "older versions on connection 1");
		*no_conn4 = true;
		return 0;
	}
	if (st != HV_STATUS_SUCCESS) {
		log_err("vmbus: posting INITIATE_CONTACT %s failed with HV status 0x%04x (%s)",
			vi->text, st, hv_status_name(st));
		return -EIO;
	}
	if (vmbus_wait_flag(vb, &vb->got_version_response, timeout)) {
		log_err("vmbus: no VERSION_RESPONSE to INITIATE_CONTACT %s within %llu ms: the "
			"host's VMBus server does not answer", vi->text,
			(unsigned long long)(timeout / HV_TICKS_PER_MS));
		return -ETIMEDOUT;
	}
	if (!vr->version_supported)
		return 0;
	/* Below WIN8 the state byte may be uninitialised (mu_msvm). */
	if (v >= VMBUS_VERSION_WIN8 && vr->connection_state != 0) {
		log_err("vmbus: the host accepted VMBus %s but reports connection state %u (%s)",
			vi->text, vr->connection_state,
			vr->connection_state == 1 ? "low resources" : "unknown failure");
		return -EIO;
	}
	vb->msg_conn = VMBUS_MESSAGE_CONNECTION_ID;
	if (v >= VMBUS_VERSION_WIN10_V5) {
		if (vr->msg_conn_id == 0 || (vr->msg_conn_id & ~HV_CONNECTION_ID_MASK)) {
			log_err("vmbus: VERSION_RESPONSE names message connection 0x%x, not a valid "
				"24-bit id", vr->msg_conn_id);
			return -EPROTO;
		}
		vb->msg_conn = vr->msg_conn_id;
	}
	vb->version = v;
	return 1;
}

static int negotiate(struct vmbus *vb)
{
	bool no_conn4 = false;

	for (unsigned i = 0; i < vmbus_version_count; i++) {
		const struct vmbus_version_info *vi = &vmbus_versions[i];
		int rc;

		if (no_conn4 && vi->version >= VMBUS_VERSION_WIN10_V5)
			continue;
		rc = try_version(vb, vi, &no_conn4);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			log_info("vmbus: connected at VMBus %s (%s), message connection %u", vi->text,
				 vi->name, vb->msg_conn);
			return 0;
		}
		log_debug("vmbus: host refused VMBus %s", vi->text);
	}
	log_err("vmbus: the host accepted none of the %u VMBus versions from 6.0 down to 0.13",
		vmbus_version_count);
	return -EPROTONOSUPPORT;
}

static void free_lent_pages(struct vmbus *vb)
{
	struct hv_seam *s = vb->hv->seam;

	s->free(s, vb->int_page, 1);
	s->free(s, vb->monitor_pages, 2);
	vb->int_page = vb->monitor_pages = NULL;
}

int vmbus_connect(struct vmbus *vb, struct hv *hv, const struct vmbus_params *params)
{
	struct vmbus_msg_header req = { VMBUS_MSG_REQUESTOFFERS, 0 };
	uint64_t timeout;
	uint16_t st;
	int rc;

	memset(vb, 0, sizeof(*vb));
	vb->hv = hv;
	vb->next_gpadl = VMBUS_GPADL_FIRST_HANDLE;
	if (params)
		vb->params = *params;
	/* The interrupt page (used below WIN8) and both monitor pages (always
	 * both or neither), zeroed; the host may write them until UNLOAD. */
	vb->int_page = hv->seam->alloc(hv->seam, 1, &vb->int_page_gpa);
	vb->monitor_pages = hv->seam->alloc(hv->seam, 2, &vb->monitor_gpa);
	if (!vb->int_page || !vb->monitor_pages) {
		log_err("vmbus: out of memory for the interrupt and monitor pages");
		free_lent_pages(vb);
		return -ENOMEM;
	}
	rc = negotiate(vb);
	if (rc)
		goto err;
	vb->state = VMBUS_CONNECTED;

	st = post(vb, vb->msg_conn, &req, sizeof(req));
	if (st != HV_STATUS_SUCCESS) {
		log_err("vmbus: posting REQUESTOFFERS failed with HV status 0x%04x (%s)", st,
			hv_status_name(st));
		rc = -EIO;
		goto err_unload;
	}
	timeout = param(vb->params.offers_timeout, VMBUS_OFFERS_TIMEOUT);
	if (vmbus_wait_flag(vb, &vb->all_offers_delivered, timeout)) {
		log_err("vmbus: ALLOFFERS_DELIVERED did not come within %llu ms (%u offers so far)",
			(unsigned long long)(timeout / HV_TICKS_PER_MS), vb->noffers);
		rc = -ETIMEDOUT;
		goto err_unload;
	}
	log_info("vmbus: %u offers%s", vb->noffers,
		 vb->rejected ? " (some host messages were rejected, see above)" : "");
	return 0;

err_unload:
	vmbus_unload(vb);
	return rc;
err:
	/* No connection: the host never saw our pages (or refused them). */
	vb->state = VMBUS_DISCONNECTED;
	free_lent_pages(vb);
	return rc;
}

int vmbus_unload(struct vmbus *vb)
{
	struct vmbus_msg_header msg = { VMBUS_MSG_UNLOAD, 0 };
	uint64_t timeout = param(vb->params.unload_timeout, VMBUS_UNLOAD_TIMEOUT);
	uint16_t st;
	int rc = 0;

	if (vb->state == VMBUS_DISCONNECTED)
		return 0;
	vb->unload_response = false;
	vb->state = VMBUS_UNLOADING;
	st = post(vb, vb->msg_conn, &msg, sizeof(msg));
	if (st != HV_STATUS_SUCCESS) {
		log_err("vmbus: posting UNLOAD failed with HV status 0x%04x (%s)", st,
			hv_status_name(st));
		rc = -EIO;
	} else if (vmbus_wait_flag(vb, &vb->unload_response, timeout)) {
		log_err("vmbus: no UNLOAD_RESPONSE within %llu ms: the host may still own VMBus "
			"memory; it stays reserved",
			(unsigned long long)(timeout / HV_TICKS_PER_MS));
		rc = -ETIMEDOUT;
	}
	vb->state = VMBUS_DISCONNECTED;
	if (rc == 0) {
		/* The host released every channel and GPADL before answering. */
		vmbus_channels_forget_all(vb);
		vmbus_gpadl_forget_all(vb);
		free_lent_pages(vb);
	}
	/* else: keep every page the host was lent; it may still write them. */
	return rc;
}

int vmbus_shutdown(struct vmbus *vb)
{
	int rc = 0, r;

	/* Each close takes the channel off the list, whatever happens. */
	while (vb->channels) {
		r = vmbus_channel_close(vb->channels);
		rc = rc ? rc : r;
	}
	for (struct vmbus_gpadl *g = vb->gpadls, *next; g; g = next) {
		next = g->next;
		if (g->state == GPADL_READY) {
			r = vmbus_gpadl_teardown(vb, g);
			rc = rc ? rc : r;
		}
	}
	r = vmbus_unload(vb);
	return rc ? rc : r;
}
