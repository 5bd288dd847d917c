/* The HTTP/1.1 GET client over lwIP's TCP raw API: one connection per
 * request ("Connection: close"), the response through http_parse.c
 * straight into the destination, redirects followed at most
 * NET_HTTP_REDIRECTS times, the whole transfer and every silence bounded. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lwip/pbuf.h"
#include "lwip/tcp.h"

#include "../lib/log.h"
#include "../lib/util.h"
#include "stack.h"

#define NET_HTTP_REDIRECTS 3

static void set_err(struct net_http *h, int err, const char *why)
{
	if (h->err == 0) {
		h->err = err;
		snprintf(h->why, sizeof(h->why), "%s", why);
	}
}

/* Detaches our callbacks and closes (or, failing that, aborts) the pcb;
 * lwIP forgets h afterwards. */
static void drop_pcb(struct net_http *h)
{
	struct tcp_pcb *pcb = h->pcb;

	if (!pcb)
		return;
	h->pcb = NULL;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
	tcp_err(pcb, NULL);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

static void push_request(struct net_http *h)
{
	size_t left = h->req_len - h->req_sent;
	u16_t room = tcp_sndbuf(h->pcb);
	u16_t k = (u16_t)HVB_MIN(left, (size_t)room);

	if (k == 0)
		return;
	if (tcp_write(h->pcb, h->req + h->req_sent, k, TCP_WRITE_FLAG_COPY) == ERR_OK) {
		h->req_sent += k;
		tcp_output(h->pcb);
	}
}

static void on_err(void *arg, err_t e)
{
	struct net_http *h = arg;

	if (!h)
		return;
	h->pcb = NULL; /* lwIP has freed it */
	h->closed = true;
	if (e == ERR_RST)
		set_err(h, -ECONNRESET, h->connected ? "the server reset the connection"
						     : "the server refused the connection");
	else
		set_err(h, -ECONNABORTED, "the connection failed");
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct net_http *h = arg;

	(void)pcb;
	(void)len;
	if (h && h->req_sent < h->req_len)
		push_request(h);
	return ERR_OK;
}

/* Every second or so while connected: a request that did not fit (or met
 * ERR_MEM) goes on without waiting for an ACK that may never come. */
static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
	struct net_http *h = arg;

	(void)pcb;
	if (h && h->connected && h->req_sent < h->req_len)
		push_request(h);
	return ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t e)
{
	struct net_http *h = arg;

	(void)pcb;
	if (!h)
		return ERR_OK;
	if (e != ERR_OK) {
		set_err(h, -ECONNREFUSED, "the connection failed");
		return ERR_OK;
	}
	h->connected = true;
	h->last_activity = net_now(h->s);
	push_request(h);
	return ERR_OK;
}

/* Feeds one pbuf chain to the parser. Stops at the end of the headers of
 * a response we do not want the body of, and at the end of the body. */
static void feed(struct net_http *h, struct pbuf *p)
{
	for (struct pbuf *q = p; q && !h->stop && !h->done; q = q->next) {
		const uint8_t *d = q->payload;
		size_t n = q->len, used;

		while (n > 0 && !h->stop && !h->done) {
			int rc = http_resp_feed(&h->resp, d, n, &used);

			d += used;
			n -= used;
			if (rc == HTTP_HEADERS && h->resp.status != 200)
				h->stop = true;
			else if (rc == HTTP_DONE ||
				 (rc == HTTP_HEADERS && h->resp.phase == HTTP_PH_DONE))
				h->done = true;
			else if (rc < 0)
				h->stop = true;
			else if (rc == HTTP_MORE && used == 0)
				break;
		}
	}
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t e)
{
	struct net_http *h = arg;

	if (!h) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p || e != ERR_OK) {
		/* The server closed its side. */
		if (p)
			pbuf_free(p);
		h->closed = true;
		if (!h->stop && !h->done) {
			if (http_resp_eof(&h->resp) == HTTP_DONE)
				h->done = true;
			else
				h->stop = true;
		}
		return ERR_OK;
	}
	h->last_activity = net_now(h->s);
	feed(h, p);
	/* The data is in the destination: open the window right away. */
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	net_progress_set(h->s, h->resp.got, h->resp.have_length ? h->resp.length : 0);
	return ERR_OK;
}

static bool finished(void *ctx)
{
	struct net_http *h = ctx;

	return h->done || h->stop || h->err;
}

/* One request/response: 0 with h->resp complete or stopped at the headers,
 * or an error after net_fail. */
static int exchange(struct net_stack *s, const struct net_url *u, uint32_t ip, void *dst,
		    size_t cap, uint64_t deadline, const char *where)
{
	struct net_http *h = &s->http;
	ip_addr_t addr;
	char host[NET_HOST_MAX + 8];
	err_t e;
	int n, rc;

	memset(h, 0, sizeof(*h));
	h->s = s;
	http_resp_init(&h->resp, dst, cap);
	if (u->port == 80)
		snprintf(host, sizeof(host), "%s", u->host);
	else
		snprintf(host, sizeof(host), "%s:%u", u->host, u->port);
	n = snprintf(h->req, sizeof(h->req),
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: hvboot\r\nAccept: */*\r\n"
		     "Connection: close\r\n\r\n", u->path, host);
	if (n < 0 || (size_t)n >= sizeof(h->req))
		return net_fail(s, -EINVAL, "http://%s: the request does not fit", where);
	h->req_len = (size_t)n;
	h->pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!h->pcb)
		return net_fail(s, -ENOMEM, "http://%s: lwIP has no TCP pcb free", where);
	tcp_arg(h->pcb, h);
	tcp_err(h->pcb, on_err);
	tcp_recv(h->pcb, on_recv);
	tcp_sent(h->pcb, on_sent);
	tcp_poll(h->pcb, on_poll, 2);
	ip_addr_set_ip4_u32_val(addr, lwip_htonl(ip));
	h->last_activity = net_now(s);
	e = tcp_connect(h->pcb, &addr, u->port, on_connected);
	if (e != ERR_OK) {
		drop_pcb(h);
		if (e == ERR_RTE)
			return net_fail(s, -ENETUNREACH, "http://%s: no route to the server", where);
		return net_fail(s, -ENOMEM, "http://%s: lwIP could not start the connection", where);
	}
	for (;;) {
		uint64_t idle_end = h->last_activity + s->p.http_idle_ms;

		rc = net_wait(s, finished, h, HVB_MIN(deadline, idle_end));
		if (rc != -ETIMEDOUT)
			break;
		if (net_now(s) >= deadline) {
			rc = net_fail(s, rc, "http://%s: the transfer took longer than %u ms (%zu bytes so far)",
				      where, s->p.http_timeout_ms, h->resp.got);
			break;
		}
		if (net_now(s) >= h->last_activity + s->p.http_idle_ms) {
			rc = net_fail(s, rc, "http://%s: %s for %u ms", where,
				      h->connected ? "no data" : "no connection", s->p.http_idle_ms);
			break;
		}
	}
	drop_pcb(h);
	if (rc == -EIO)
		return net_fail(s, rc, "http://%s: the network stack stopped", where);
	if (rc)
		return rc;
	if (h->resp.phase == HTTP_PH_FAILED)
		return net_fail(s, h->resp.err, "http://%s: %s", where, h->resp.msg);
	if (!h->done && !h->stop)
		return net_fail(s, h->err, "http://%s: %s", where, h->why);
	return 0;
}

int net_http_get(struct net_stack *s, const struct net_url *url, void *dst, size_t cap,
		 size_t *got)
{
	struct net_url u = *url;
	uint64_t deadline = net_now(s) + s->p.http_timeout_ms;
	char where[NET_HOST_MAX + NET_PATH_MAX + 16];

	for (unsigned hop = 0;; hop++) {
		struct http_resp *r = &s->http.resp;
		const char *why;
		uint32_t ip;
		int rc, st;

		net_url_str(&u, where, sizeof(where));
		rc = net_resolve(s, u.host, &ip);
		if (rc)
			return rc;
		rc = exchange(s, &u, ip, dst, cap, deadline, where);
		if (rc)
			return rc;
		st = r->status;
		if (st == 200) {
			*got = r->got;
			return 0;
		}
		if (st != 301 && st != 302 && st != 307 && st != 308)
			return net_fail(s, -EIO, "HTTP %d %s from %s", st, r->reason, where);
		if (!r->have_location)
			return net_fail(s, -EPROTO, "HTTP %d %s from %s has no Location", st, r->reason,
					where);
		if (hop == NET_HTTP_REDIRECTS)
			return net_fail(s, -ELOOP, "http://%s: more than %d redirects", where,
					NET_HTTP_REDIRECTS);
		if (net_url_redirect(&u, r->location, &u, &why))
			return net_fail(s, -EPROTO, "http://%s: cannot follow the redirect: %s", where,
					why);
		log_info("net: HTTP %d: http://%s redirects to %s", st, where, r->location);
	}
}
