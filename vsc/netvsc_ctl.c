/* netvsc control exchanges: one at a time, an NVSP request answered by its
 * completion, or an RNDIS control message (through a send section, or GPA
 * direct) whose NVSP 108 completion and RNDIS *_CMPLT both have to come.
 * Receives data from the host: NVSP answers are copied out of the completion
 * (zero-filled to NETVSC_CTL_REPLY_MAX) before any field is read; RNDIS
 * completions have been length-checked by netvsc_rx.c and are matched here
 * by request id and type; every exchange has a deadline. */
#include <errno.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "netvsc_int.h"

/* --- control exchanges ------------------------------------------------------ */

static void ctl_finish(struct netvsc *nv, int status)
{
	struct netvsc_ctl *c = &nv->ctl;
	void (*next)(struct netvsc *, int) = c->next;

	if (c->timer.armed)
		vmbus_timer_cancel(nv->vb, &c->timer);
	c->busy = false;
	c->rid = 0;
	c->next = NULL;
	if (next)
		next(nv, status);
}

/* An exchange ends once its send is completed (so its section and request
 * are ours again) and, if a completion is due, that came, failed or timed
 * out. */
static void ctl_check(struct netvsc *nv)
{
	struct netvsc_ctl *c = &nv->ctl;

	if (!c->busy || !c->sent)
		return;
	if (c->status || !c->want_reply || c->replied)
		ctl_finish(nv, c->status);
}

static void ctl_error(struct netvsc_ctl *c, int status)
{
	if (!c->status)
		c->status = status;
}

/* The send of a control message completed: an NVSP answer (INIT_COMPLETE,
 * ..._BUF_COMPLETE), or the NVSP 108 of an RNDIS message. */
static void ctl_sent(struct vmbus_channel *ch, struct vmbus_request *req, int status,
		     const struct ring_pkt *pkt)
{
	struct netvsc *nv = ch->params.ctx;
	struct netvsc_ctl *c = &nv->ctl;
	uint32_t plen = pkt ? pkt->len - pkt->offset : 0, st;

	(void)req;
	if (c->section != NVSP_NO_SECTION)
		netvsc_section_put(nv, c->section, status);
	c->section = NVSP_NO_SECTION;
	c->sent = true;
	if (status) {
		ctl_error(c, status);
	} else if (!c->rndis) {
		memset(c->reply, 0, sizeof(c->reply));
		memcpy(c->reply, pkt->data + pkt->offset, HVB_MIN(plen, NETVSC_CTL_REPLY_MAX));
		c->reply_len = plen;
		c->replied = true;
	} else if (!netvsc_rndis_pkt_complete_ok(pkt, &st)) {
		log_err("%s: the host failed an RNDIS control message (NVSP status %u)", nv->name, st);
		ctl_error(c, -EIO);
	}
	ctl_check(nv);
}

static void ctl_timeout(struct vmbus_timer *t)
{
	struct netvsc *nv = t->ctx;
	struct netvsc_ctl *c = &nv->ctl;

	if (!c->busy || c->replied)
		return;
	log_err("%s: no RNDIS completion (type %#x) for request %u within %llu ms", nv->name,
		c->reply_type, c->rid, (unsigned long long)(NETVSC_CTL_TIMEOUT / HV_TICKS_PER_MS));
	ctl_error(c, -ETIMEDOUT);
	ctl_check(nv);
}

static void ctl_begin(struct netvsc *nv, bool rndis, uint32_t reply_type,
		      void (*next)(struct netvsc *, int))
{
	struct netvsc_ctl *c = &nv->ctl;

	c->busy = true;
	c->rndis = rndis;
	c->want_reply = reply_type != 0;
	c->reply_type = reply_type;
	c->sent = c->replied = false;
	c->status = 0;
	c->rid = 0;
	c->section = NVSP_NO_SECTION;
	c->reply_len = 0;
	c->next = next;
}

/* An NVSP request answered by its completion (40 bytes, zero-padded). */
int netvsc_nvsp_request(struct netvsc *nv, const struct nvsp_msg *m,
			void (*next)(struct netvsc *, int))
{
	uint64_t tid = vmbus_request_start(&nv->ch, ctl_sent, NULL, NETVSC_CTL_TIMEOUT);
	int rc;

	if (!tid)
		return -EPIPE;
	ctl_begin(nv, false, 0, next);
	rc = vmbus_send_inband(&nv->ch, m, NVSP_MSG_SIZE, tid);
	if (rc) {
		vmbus_request_cancel(&nv->ch, tid);
		nv->ctl.busy = false;
	}
	return rc;
}

/* An NVSP message without an answer. */
int netvsc_nvsp_post(struct netvsc *nv, const struct nvsp_msg *m)
{
	return vmbus_send_inband(&nv->ch, m, NVSP_MSG_SIZE, 0);
}

/* An RNDIS control message (its request id at byte 8 is filled in here):
 * through a send section, or GPA direct from the control page when none
 * is free or large enough. reply_type 0: no RNDIS completion (HALT). */
int netvsc_rndis_request(struct netvsc *nv, void *msg, uint32_t len, uint32_t reply_type,
			 void (*next)(struct netvsc *, int))
{
	struct netvsc_ctl *c = &nv->ctl;
	struct nvsp_msg m;
	uint32_t sec;
	uint64_t tid;
	int rc;

	if (c->busy)
		return -EBUSY;
	if (len > HVB_PAGE_SIZE)
		return -EMSGSIZE;
	if (++nv->next_rid == 0)
		nv->next_rid = 1;
	memcpy((uint8_t *)msg + 8, &nv->next_rid, 4);
	tid = vmbus_request_start(&nv->ch, ctl_sent, NULL, NETVSC_CTL_TIMEOUT);
	if (!tid)
		return -EPIPE;
	ctl_begin(nv, true, reply_type, next);
	c->rid = nv->next_rid;
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.rndis_pkt.channel_type = NVSP_RNDIS_CHANNEL_CONTROL;
	sec = netvsc_section_get(nv, len);
	if (sec != NVSP_NO_SECTION) {
		memcpy(nv->send_buf + (size_t)sec * nv->section_size, msg, len);
		m.rndis_pkt.send_buf_section_index = sec;
		m.rndis_pkt.send_buf_section_size = len;
		c->section = sec;
		rc = vmbus_send_inband(&nv->ch, &m, NVSP_MSG_SIZE, tid);
	} else {
		struct vmbus_gpa_buf b = { nv->ctl_gpa, len };

		memcpy(nv->ctl_page, msg, len);
		m.rndis_pkt.send_buf_section_index = NVSP_NO_SECTION;
		rc = vmbus_send_gpa_direct(&nv->ch, &b, 1, &m, NVSP_MSG_SIZE, tid);
	}
	if (rc) {
		vmbus_request_cancel(&nv->ch, tid);
		if (c->section != NVSP_NO_SECTION)
			netvsc_section_put(nv, c->section, 0);
		c->busy = false;
		return rc;
	}
	if (reply_type) {
		c->timer.fn = ctl_timeout;
		c->timer.ctx = nv;
		vmbus_timer_start(nv->vb, &c->timer, NETVSC_CTL_TIMEOUT);
	}
	return 0;
}

/* netvsc_rx.c found an RNDIS completion. */
void netvsc_rndis_completion(struct netvsc *nv, uint32_t type, uint32_t rid, int err,
			     const uint8_t *msg, uint32_t len)
{
	struct netvsc_ctl *c = &nv->ctl;

	if (!c->busy || !c->want_reply || c->replied || rid == 0 || rid != c->rid) {
		if (nv->stats.unmatched++ < 4)
			log_warn("%s: ignored an RNDIS completion (type %#x) for request %u, which is "
				 "not outstanding", nv->name, type, rid);
		return;
	}
	if (c->timer.armed)
		vmbus_timer_cancel(nv->vb, &c->timer);
	c->replied = true;
	if (type != c->reply_type) {
		log_err("%s: request %u was answered by RNDIS type %#x, not %#x", nv->name, rid, type,
			c->reply_type);
		ctl_error(c, -EPROTO);
	} else if (err) {
		ctl_error(c, err); /* netvsc_rx.c said what was wrong */
	} else {
		memset(c->reply, 0, sizeof(c->reply));
		memcpy(c->reply, msg, HVB_MIN(len, NETVSC_CTL_REPLY_MAX));
		c->reply_len = len;
	}
	ctl_check(nv);
}

/* --- the messages bring-up and teardown send ----------------------------------- */

int netvsc_query(struct netvsc *nv, uint32_t oid, void (*next)(struct netvsc *, int))
{
	struct rndis_query q = {
		.hdr = { RNDIS_MSG_QUERY, sizeof(q) },
		.oid = oid,
		.info_offset = sizeof(q) - RNDIS_HEADER_OFFSET,
	};

	return netvsc_rndis_request(nv, &q, sizeof(q), RNDIS_MSG_QUERY_C, next);
}

int netvsc_set_filter(struct netvsc *nv, uint32_t filter, void (*next)(struct netvsc *, int))
{
	struct {
		struct rndis_query q; /* SET has the QUERY layout */
		uint32_t value;
	} __attribute__((packed)) s = {
		.q = { .hdr = { RNDIS_MSG_SET, sizeof(s) },
		       .oid = OID_GEN_CURRENT_PACKET_FILTER,
		       .info_len = 4,
		       .info_offset = sizeof(s.q) - RNDIS_HEADER_OFFSET },
		.value = filter,
	};

	return netvsc_rndis_request(nv, &s, sizeof(s), RNDIS_MSG_SET_C, next);
}

