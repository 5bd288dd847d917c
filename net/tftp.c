/* The TFTP client over lwIP's UDP raw API: carries datagrams between a
 * udp_pcb and the protocol session (tftp_proto.c), and owns the timers. */
#include <errno.h>
#include <string.h>

#include "lwip/pbuf.h"
#include "lwip/udp.h"

#include "../lib/log.h"
#include "../lib/util.h"
#include "stack.h"
#include "tftp_proto.h"

struct tftp_ctx {
	struct net_stack *s;
	struct udp_pcb *pcb;
	struct tftp_session ses;
	int result;             /* TFTP_CONTINUE, TFTP_DONE or an error */
	uint64_t last_progress; /* when the last in-order block (or the first answer) came */
	uint64_t blocks_seen;
	bool answered;
	uint64_t oversized;
	uint8_t buf[NET_FRAME_MAX];
};

static void send_out(struct tftp_ctx *c, const struct tftp_out *o)
{
	struct pbuf *p;
	ip_addr_t to;

	if (o->len == 0)
		return;
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)o->len, PBUF_RAM);
	if (!p)
		return; /* like a lost datagram: the retransmission covers it */
	pbuf_take(p, o->buf, (u16_t)o->len);
	ip_addr_set_ip4_u32_val(to, lwip_htonl(o->ip));
	udp_sendto(c->pcb, p, &to, o->port);
	pbuf_free(p);
}

static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
		    u16_t port)
{
	struct tftp_ctx *c = arg;
	struct tftp_out out;
	size_t len = p->tot_len;
	int rc;

	(void)pcb;
	if (len > sizeof(c->buf) || !IP_IS_V4(addr)) {
		/* Cannot happen with a 1500-byte MTU and no reassembly. */
		c->oversized++;
		pbuf_free(p);
		return;
	}
	pbuf_copy_partial(p, c->buf, (u16_t)len, 0);
	pbuf_free(p);
	if (c->result != TFTP_CONTINUE)
		return;
	rc = tftp_rx(&c->ses, net_ip4_host(addr), port, c->buf, len, &out);
	send_out(c, &out);
	/* Only progress (or the server's first answer) puts off the
	 * retransmission: a stream of duplicates or strangers does not. */
	if (c->ses.blocks != c->blocks_seen || (!c->answered && c->ses.tid_known)) {
		c->blocks_seen = c->ses.blocks;
		c->answered = c->ses.tid_known;
		c->last_progress = net_now(c->s);
		net_progress_set(c->s, c->ses.got, c->ses.have_tsize ? c->ses.tsize : 0);
	}
	c->result = rc;
}

static bool finished(void *ctx)
{
	return ((struct tftp_ctx *)ctx)->result != TFTP_CONTINUE;
}

/* The context is large (a frame buffer, the session) and lives only while
 * its pcb does: the pcb is removed before net_tftp_get returns. */
static struct tftp_ctx the_ctx;

int net_tftp_get(struct net_stack *s, const struct net_url *u, uint32_t ip, void *dst,
		 size_t cap, size_t *got)
{
	struct tftp_ctx *c = &the_ctx;
	struct tftp_want want;
	struct tftp_out out;
	char where[NET_HOST_MAX + NET_PATH_MAX + 16];
	uint64_t last_sent, mark;
	unsigned tries = 0;
	int rc;

	net_url_str(u, where, sizeof(where));
	/* Blocks no larger than the MTU carries unfragmented. */
	want.blksize = (uint16_t)HVB_MIN(s->p.tftp_blksize, s->link->mtu - 32);
	want.windowsize = (uint16_t)HVB_MIN(s->p.tftp_windowsize, TFTP_WINDOW_MAX);
	want.tsize = true;
	memset(c, 0, sizeof(*c));
	c->s = s;
	rc = tftp_start(&c->ses, u->path, ip, u->port, &want, dst, cap, &out);
	if (rc)
		return net_fail(s, rc, "tftp://%s: the path cannot be requested (too long or control characters)",
				where);
	c->pcb = udp_new();
	if (!c->pcb)
		return net_fail(s, -ENOMEM, "tftp://%s: lwIP has no UDP pcb free", where);
	if (udp_bind(c->pcb, IP4_ADDR_ANY, 0) != ERR_OK) {
		udp_remove(c->pcb);
		return net_fail(s, -EADDRINUSE, "tftp://%s: no local UDP port", where);
	}
	udp_recv(c->pcb, on_recv, c);
	c->result = TFTP_CONTINUE;
	send_out(c, &out);
	c->last_progress = last_sent = net_now(s);
	mark = 0;
	/* Silence for tftp_timeout_ms after the later of the last progress and
	 * the last retransmission sends the RRQ or the ACK again; tftp_retries
	 * of those in a row without progress end the transfer. */
	for (;;) {
		uint64_t due = HVB_MAX(c->last_progress, last_sent) + s->p.tftp_timeout_ms;

		rc = net_wait(s, finished, c, due);
		if (rc != -ETIMEDOUT)
			break;
		if (net_now(s) < HVB_MAX(c->last_progress, last_sent) + s->p.tftp_timeout_ms)
			continue;
		/* Progress since the last retransmission starts the count again
		 * (blocks, or the server's first answer: blocks + 1 after it). */
		if (c->ses.blocks + c->answered != mark)
			tries = 0;
		if (++tries > s->p.tftp_retries)
			break;
		tftp_timeout(&c->ses, &out);
		send_out(c, &out);
		last_sent = net_now(s);
		mark = c->ses.blocks + c->answered;
	}
	if (rc == -ETIMEDOUT) {
		tftp_abort(&c->ses, TFTP_ENOTDEF, "timed out", &out);
		send_out(c, &out);
	}
	udp_remove(c->pcb);
	c->pcb = NULL;
	if (rc == -EIO)
		return net_fail(s, rc, "tftp://%s: the network stack stopped", where);
	if (rc == -ETIMEDOUT && !c->ses.tid_known)
		return net_fail(s, rc, "tftp://%s: no answer from the TFTP server after %u tries of %u ms",
				where, s->p.tftp_retries + 1, s->p.tftp_timeout_ms);
	if (rc == -ETIMEDOUT)
		return net_fail(s, rc, "tftp://%s: the TFTP server went silent after %zu bytes (%u tries of %u ms)",
				where, c->ses.got, s->p.tftp_retries + 1, s->p.tftp_timeout_ms);
	if (c->result < 0)
		return net_fail(s, c->result, "tftp://%s: %s", where, c->ses.msg);
	*got = c->ses.got;
	/* What the server agreed to: real servers differ (dnsmasq honours
	 * blksize and tsize but ignores windowsize). */
	log_debug("net: tftp://%s: %zu bytes in blocks of %u, window %u%s%s", where, c->ses.got,
		  c->ses.blksize, c->ses.windowsize, c->ses.have_tsize ? ", tsize given" : "",
		  c->ses.fell_back ? ", after the server refused the options" : "");
	return 0;
}
