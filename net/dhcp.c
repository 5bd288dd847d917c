/* Addresses: a DHCP lease through lwIP (with the boot fields from our own
 * parse of the ACK, netif.c snoops it), or a static setup. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/prot/dhcp.h"

#include "../lib/log.h"
#include "stack.h"

void net_port_dhcp_append(u8_t *options, size_t cap, u8_t msg_type, u16_t *len)
{
	/* Servers often send options 66 and 67 only to clients that ask. */
	if (msg_type == DHCP_DISCOVER || msg_type == DHCP_REQUEST || msg_type == DHCP_INFORM)
		dhcp_request_boot_options(options, cap, len);
}

static bool have_address(void *ctx)
{
	return dhcp_supplied_address(&((struct net_stack *)ctx)->netif) != 0;
}

/* The boot fields from the ACK that gave this lease. */
static void take_boot_fields(struct net_stack *s, struct net_lease *l)
{
	const struct dhcp *d = netif_dhcp_data(&s->netif);
	char ip[16];

	if (!s->ack_seen || s->ack.xid != d->xid) {
		log_warn("net: the DHCP ACK was not seen; the lease has no boot fields");
		return;
	}
	if (s->ack_err) {
		log_warn("net: the DHCP ACK's boot fields are malformed (%s); ignoring them",
			 s->ack_err == -E2BIG ? "a name over 255 bytes" : "bad options or names");
		return;
	}
	if (s->ack.yiaddr != l->ip) {
		net_ip_str(s->ack.yiaddr, ip);
		log_warn("net: the DHCP ACK gives %s, not the address lwIP took; ignoring its boot fields",
			 ip);
		return;
	}
	l->server = s->ack.server_id;
	l->next_server = s->ack.siaddr;
	memcpy(l->tftp_server, s->ack.tftp_server, sizeof(l->tftp_server));
	memcpy(l->bootfile, s->ack.bootfile, sizeof(l->bootfile));
}

int net_dhcp(struct net_stack *s, struct net_lease *out)
{
	struct net_lease *l = &s->lease;
	char ip[16], gw[16], srv[16];
	int rc;

	s->have_lease = false;
	s->ack_seen = false;
	memset(l, 0, sizeof(*l));
	if (dhcp_start(&s->netif) != ERR_OK)
		return net_fail(s, -ENOMEM, "lwIP could not start DHCP");
	rc = net_wait(s, have_address, s, net_now(s) + s->p.dhcp_timeout_ms);
	if (rc) {
		dhcp_release_and_stop(&s->netif);
		if (rc == -ETIMEDOUT && !s->link->up)
			return net_fail(s, rc, "no DHCP lease on link %s within %u ms: the link is down",
					s->link->name, s->p.dhcp_timeout_ms);
		if (rc == -ETIMEDOUT)
			return net_fail(s, rc,
					"no DHCP lease on link %s within %u ms (is a DHCP server on the network?)",
					s->link->name, s->p.dhcp_timeout_ms);
		return net_fail(s, rc, "the network stack stopped during DHCP");
	}
	l->ip = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&s->netif)));
	l->mask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&s->netif)));
	l->gateway = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&s->netif)));
	for (u8_t i = 0; i < 2; i++) {
		const ip_addr_t *d = dns_getserver(i);

		l->dns[i] = d && IP_IS_V4(d) ? net_ip4_host(d) : 0;
	}
	take_boot_fields(s, l);
	s->have_lease = true;
	if (out)
		*out = *l;
	net_ip_str(l->ip, ip);
	net_ip_str(l->gateway, gw);
	net_ip_str(l->next_server, srv);
	log_info("net: DHCP lease %s, gateway %s, next-server %s%s%s", ip, gw, srv,
		 l->bootfile[0] ? ", boot file " : "", l->bootfile);
	return 0;
}

static void ip_or_dash(uint32_t ip, char out[16])
{
	if (ip)
		net_ip_str(ip, out);
	else
		memcpy(out, "-", 2);
}

void net_lease_row(const struct net_lease *l, char *out, size_t cap)
{
	char ip[16], mask[20], gw[16], dns[16], srv[16], next[16];
	unsigned prefix = 0;

	while (prefix < 32 && (l->mask & (0x80000000u >> prefix)))
		prefix++;
	/* Contiguous: the ones end where the mask's bits end. */
	if (l->mask == (prefix ? ~0u << (32 - prefix) : 0)) {
		snprintf(mask, sizeof(mask), "/%u", prefix);
	} else {
		mask[0] = ' ';
		net_ip_str(l->mask, mask + 1);
	}
	net_ip_str(l->ip, ip);
	ip_or_dash(l->gateway, gw);
	ip_or_dash(l->dns[0], dns);
	ip_or_dash(l->server, srv);
	ip_or_dash(l->next_server, next);
	snprintf(out, cap, "lease %s%s  router %s  dns %s  server %s  next-server %s  tftp-server %s  "
		 "bootfile %s", ip, mask, gw, dns, srv, next, l->tftp_server[0] ? l->tftp_server : "-",
		 l->bootfile[0] ? l->bootfile : "-");
}

int net_static(struct net_stack *s, uint32_t ip, uint32_t mask, uint32_t gateway, uint32_t dns)
{
	ip4_addr_t a, m, g;
	ip_addr_t d;

	dhcp_release_and_stop(&s->netif);
	ip4_addr_set_u32(&a, lwip_htonl(ip));
	ip4_addr_set_u32(&m, lwip_htonl(mask));
	ip4_addr_set_u32(&g, lwip_htonl(gateway));
	netif_set_addr(&s->netif, &a, &m, &g);
	ip_addr_set_ip4_u32_val(d, lwip_htonl(dns));
	dns_setserver(0, dns ? &d : NULL);
	memset(&s->lease, 0, sizeof(s->lease));
	s->lease.ip = ip;
	s->lease.mask = mask;
	s->lease.gateway = gateway;
	s->lease.dns[0] = dns;
	s->have_lease = true;
	return 0;
}
