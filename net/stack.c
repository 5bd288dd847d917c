/* The stack: lwIP's platform functions (time, random numbers, diagnostics,
 * assertions), opening and closing, the poll loop and bounded waits. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/init.h"
#include "lwip/timeouts.h"

#include "../lib/log.h"
#include "stack.h"

/* lwIP is a set of globals, so the stack is one too. */
static struct net_stack the_stack;
static struct net_stack *cur;
static bool lwip_ready;
/* Kept after net_close: lwIP may still ask for the time or a random
 * number (a timer, a port) before the next net_open. */
static struct net_clock g_clock;
static struct net_random g_random;

u32_t sys_now(void)
{
	return g_clock.now_ms ? (u32_t)g_clock.now_ms(g_clock.ctx) : 0;
}

uint32_t net_port_rand(void)
{
	return g_random.next(g_random.ctx);
}

u32_t net_port_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
		       const ip_addr_t *remote_ip, u16_t remote_port)
{
	(void)local_ip;
	(void)local_port;
	(void)remote_ip;
	(void)remote_port;
	return net_port_rand();
}

void net_port_diag(const char *fmt, ...)
{
	char line[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_debug("lwip: %s", line);
}

void net_port_assert(const char *msg, const char *file, int line)
{
	log_err("net: lwIP assertion \"%s\" failed at %s:%d; the network stack is stopped",
		msg, file, line);
	if (cur)
		cur->broken = true;
}

int net_fail(struct net_stack *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	log_err("net: %s", s->err);
	return err;
}

static uint32_t dflt(uint32_t v, uint32_t d)
{
	return v ? v : d;
}

struct net_stack *net_open(const struct net_config *cfg)
{
	struct net_stack *s = &the_stack;
	struct net_link *l = cfg->link;

	if (cur) {
		log_err("net: a network stack is open already (lwIP allows one)");
		return NULL;
	}
	if (!l || !l->send || !l->poll || !l->idle || !cfg->clock.now_ms || !cfg->random.next) {
		log_err("net: the configuration lacks a link, a clock or a random source");
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->link = l;
	s->p.dhcp_timeout_ms = dflt(cfg->params.dhcp_timeout_ms, 20000);
	s->p.dns_timeout_ms = dflt(cfg->params.dns_timeout_ms, 10000);
	s->p.tftp_timeout_ms = dflt(cfg->params.tftp_timeout_ms, 1000);
	s->p.tftp_retries = dflt(cfg->params.tftp_retries, 5);
	s->p.tftp_blksize = (uint16_t)dflt(cfg->params.tftp_blksize, 1468);
	s->p.tftp_windowsize = (uint16_t)dflt(cfg->params.tftp_windowsize, 16);
	s->p.http_timeout_ms = dflt(cfg->params.http_timeout_ms, 600000);
	s->p.http_idle_ms = dflt(cfg->params.http_idle_ms, 20000);
	g_clock = cfg->clock;
	g_random = cfg->random;
	cur = s;
	if (!lwip_ready) {
		lwip_init();
		lwip_ready = true;
	}
	if (net_netif_add(s) != 0) {
		cur = NULL;
		return NULL;
	}
	s->open = true;
	return s;
}

void net_close(struct net_stack *s)
{
	if (!s || !s->open)
		return;
	if (s->http.pcb) {
		tcp_arg(s->http.pcb, NULL);
		tcp_abort(s->http.pcb);
		s->http.pcb = NULL;
	}
	/* The lease goes back to the server (the kernel asks for its own), and
	 * lwIP's DHCP state back to its heap, so a later net_open starts clean. */
	dhcp_release_and_stop(&s->netif);
	dhcp_cleanup(&s->netif);
	net_netif_remove(s);
	s->open = false;
	cur = NULL;
}

uint64_t net_now(struct net_stack *s)
{
	return s->cfg.clock.now_ms(s->cfg.clock.ctx);
}

int net_poll(struct net_stack *s)
{
	int n;

	net_netif_sync_link(s);
	n = net_netif_drain(s);
	n += s->link->poll(s->link);
	sys_check_timeouts();
	n += net_netif_drain(s);
	return n;
}

void net_progress_report(struct net_stack *s, bool force)
{
	uint64_t now;

	if (!s->cfg.progress || s->prog_start == 0)
		return;
	now = net_now(s);
	if (!force && now - s->prog_reported < NET_PROGRESS_MS)
		return;
	s->prog_reported = now;
	s->prog.elapsed_ms = now - s->prog_start;
	s->cfg.progress(&s->prog, s->cfg.progress_ctx);
}

int net_wait(struct net_stack *s, bool (*done)(void *ctx), void *ctx, uint64_t deadline_ms)
{
	for (;;) {
		if (s->broken)
			return -EIO;
		if (done(ctx))
			return 0;
		if (net_now(s) >= deadline_ms)
			return -ETIMEDOUT;
		if (net_poll(s) == 0)
			s->link->idle(s->link);
		net_progress_report(s, false);
	}
}

void net_progress_begin(struct net_stack *s)
{
	memset(&s->prog, 0, sizeof(s->prog));
	s->prog_start = net_now(s);
	if (s->prog_start == 0)
		s->prog_start = 1; /* 0 means "no transfer" */
	s->prog_reported = s->prog_start;
}

void net_progress_set(struct net_stack *s, uint64_t bytes, uint64_t total)
{
	s->prog.bytes = bytes;
	s->prog.total = total;
	s->prog.elapsed_ms = net_now(s) - s->prog_start;
}

void net_get_progress(const struct net_stack *s, struct net_progress *p)
{
	*p = s->prog;
}

void net_get_stats(const struct net_stack *s, struct net_stats *st)
{
	*st = s->stats;
}

const char *net_error(const struct net_stack *s)
{
	return s->err;
}

const struct net_lease *net_lease(const struct net_stack *s)
{
	return s->have_lease ? &s->lease : NULL;
}

static void dns_found(const char *name, const ip_addr_t *addr, void *arg)
{
	struct net_stack *s = &the_stack;
	uint32_t gen = (uint32_t)(uintptr_t)arg;

	(void)name;
	/* An answer to a lookup its caller gave up on is dropped. */
	if (gen != s->dns.gen)
		return;
	s->dns.done = true;
	if (addr && IP_IS_V4(addr)) {
		s->dns.found = true;
		s->dns.ip = net_ip4_host(addr);
	}
}

static bool dns_done(void *ctx)
{
	return ((struct net_stack *)ctx)->dns.done;
}

int net_resolve(struct net_stack *s, const char *host, uint32_t *ip)
{
	ip_addr_t addr;
	err_t e;
	int rc;

	if (net_parse_ipv4(host, strlen(host), ip) == 0)
		return 0;
	if (strlen(host) > NET_HOST_MAX)
		return net_fail(s, -EINVAL, "the host name %.40s... is too long", host);
	s->dns.gen++;
	s->dns.done = s->dns.found = false;
	e = dns_gethostbyname(host, &addr, dns_found, (void *)(uintptr_t)s->dns.gen);
	if (e == ERR_OK) {
		*ip = net_ip4_host(&addr);
		return 0;
	}
	if (e == ERR_VAL)
		return net_fail(s, -EIO, "cannot look up %s: no DNS server is known", host);
	if (e != ERR_INPROGRESS)
		return net_fail(s, -EIO, "cannot look up %s: lwIP refused the lookup (error %d)", host,
				e);
	rc = net_wait(s, dns_done, s, net_now(s) + s->p.dns_timeout_ms);
	if (rc == -ETIMEDOUT) {
		s->dns.gen++;
		return net_fail(s, rc, "no DNS answer for %s within %u ms", host,
				s->p.dns_timeout_ms);
	}
	if (rc)
		return net_fail(s, rc, "the network stack stopped while looking up %s", host);
	if (!s->dns.found)
		return net_fail(s, -ENOENT, "the DNS server does not know %s", host);
	*ip = s->dns.ip;
	return 0;
}
