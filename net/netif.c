/* The lwIP network interface over a struct net_link: frames from the link
 * go to ethernet_input, frames from lwIP are copied out of their pbuf chain
 * and handed to link->send. */
#include <errno.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#include "../lib/log.h"
#include "stack.h"

static err_t linkoutput(struct netif *nif, struct pbuf *p)
{
	struct net_stack *s = nif->state;
	struct net_link *l = s->link;
	size_t len = p->tot_len;
	int rc;

	if (len > sizeof(s->txbuf) || len > (size_t)l->mtu + 14 ||
	    pbuf_copy_partial(p, s->txbuf, (u16_t)len, 0) != len) {
		s->stats.tx_errors++;
		return ERR_IF;
	}
	/* Pad short frames with zeros, never with whatever the buffer held
	 * before (U-Boot CVE-2024-42040 leaked stale memory that way). */
	if (len < NET_MIN_FRAME) {
		memset(s->txbuf + len, 0, NET_MIN_FRAME - len);
		len = NET_MIN_FRAME;
	}
	rc = l->send(l, s->txbuf, len);
	/* No room: let the link run (it may free its ring) a bounded number of
	 * times. Frames that arrive meanwhile are held, because lwIP is in the
	 * middle of sending and must not be entered again. */
	for (unsigned i = 0; rc == -EAGAIN && i < NET_TX_TRIES; i++) {
		s->in_output = true;
		if (l->poll(l) == 0)
			l->idle(l);
		s->in_output = false;
		rc = l->send(l, s->txbuf, len);
	}
	if (rc == 0) {
		s->stats.tx_frames++;
		return ERR_OK;
	}
	if (rc == -EAGAIN) {
		/* Dropped like a frame lost on the wire: TCP retransmits it, the
		 * UDP clients time out and retry. */
		s->stats.tx_busy_drops++;
		return ERR_OK;
	}
	s->stats.tx_errors++;
	return ERR_IF;
}

/* Watches DHCP replies go by: lwIP keeps no option 66 or 67, so the latest
 * ACK for our MAC is parsed here with our own checks (dhcp_opts.c). */
static void snoop_dhcp(struct net_stack *s, const uint8_t *frame, size_t len)
{
	struct dhcp_boot_info info;
	const uint8_t *msg;
	size_t n;
	int rc;

	if (!dhcp_snoop_frame(frame, len, &msg, &n))
		return;
	rc = dhcp_parse_boot(msg, n, &info);
	if (rc == 0 && (info.msg_type != DHCP_TYPE_ACK || memcmp(info.chaddr, s->link->mac, 6) != 0))
		return;
	if (rc != 0) {
		/* Only a reply that claims to be for us counts as a bad ACK. */
		if (n < DHCP_MIN_LEN || memcmp(msg + 28, s->link->mac, 6) != 0)
			return;
		memset(&info, 0, sizeof(info));
		info.xid = (uint32_t)msg[4] << 24 | (uint32_t)msg[5] << 16 | (uint32_t)msg[6] << 8 | msg[7];
	}
	s->ack = info;
	s->ack_err = rc;
	s->ack_seen = true;
}

static void input_frame(struct net_stack *s, const void *frame, size_t len)
{
	struct pbuf *p;

	s->stats.rx_frames++;
	snoop_dhcp(s, frame, len);
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
	if (!p) {
		s->stats.rx_dropped++;
		return;
	}
	if (pbuf_take(p, frame, (u16_t)len) != ERR_OK || s->netif.input(p, &s->netif) != ERR_OK)
		pbuf_free(p);
}

static void on_frame(struct net_link *l, const void *frame, size_t len)
{
	struct net_stack *s = l->stack;

	if (len < 14 || len > NET_FRAME_MAX) {
		s->stats.rx_dropped++;
		return;
	}
	if (s->in_output) {
		unsigned slot;

		if (s->defer_count == NET_DEFER_MAX) {
			s->stats.rx_dropped++;
			return;
		}
		slot = (s->defer_head + s->defer_count) % NET_DEFER_MAX;
		memcpy(s->defer[slot].data, frame, len);
		s->defer[slot].len = (uint16_t)len;
		s->defer_count++;
		s->stats.rx_deferred++;
		return;
	}
	input_frame(s, frame, len);
}

int net_netif_drain(struct net_stack *s)
{
	int n = 0;

	/* input_frame may transmit and so defer more frames: take one at a
	 * time from the head, and stop after what was there at the start so
	 * the loop is bounded. */
	for (unsigned todo = s->defer_count; todo > 0 && s->defer_count > 0; todo--) {
		unsigned slot = s->defer_head;
		uint8_t frame[NET_FRAME_MAX];
		size_t len = s->defer[slot].len;

		memcpy(frame, s->defer[slot].data, len);
		s->defer_head = (slot + 1) % NET_DEFER_MAX;
		s->defer_count--;
		input_frame(s, frame, len);
		n++;
	}
	return n;
}

static err_t netif_setup(struct netif *nif)
{
	struct net_stack *s = nif->state;

	nif->name[0] = 'h';
	nif->name[1] = 'v';
	nif->output = etharp_output;
	nif->linkoutput = linkoutput;
	nif->mtu = s->link->mtu;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(nif->hwaddr, s->link->mac, ETH_HWADDR_LEN);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

int net_netif_add(struct net_stack *s)
{
	struct net_link *l = s->link;

	if (l->mtu < 576 || l->mtu > 1500) {
		log_err("net: link %s has an MTU of %u; the stack needs 576-1500", l->name, l->mtu);
		return -EINVAL;
	}
	l->receive = on_frame;
	l->stack = s;
	if (!netif_add(&s->netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, s, netif_setup,
		       ethernet_input)) {
		log_err("net: lwIP refused the interface on link %s", l->name);
		return -EIO;
	}
	netif_set_default(&s->netif);
	netif_set_up(&s->netif);
	net_netif_sync_link(s);
	return 0;
}

void net_netif_remove(struct net_stack *s)
{
	netif_set_down(&s->netif);
	netif_remove(&s->netif);
	s->link->receive = NULL;
	s->link->stack = NULL;
	s->defer_count = 0;
}

void net_netif_sync_link(struct net_stack *s)
{
	if (s->link->up && !netif_is_link_up(&s->netif))
		netif_set_link_up(&s->netif);
	else if (!s->link->up && netif_is_link_up(&s->netif))
		netif_set_link_down(&s->netif);
}
