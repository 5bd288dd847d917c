/* A link: what the network stack (lwIP, net/) runs on. netvsc implements it
 * over VMBus; tests implement it over an in-process slirp. Frames are whole
 * Ethernet frames without FCS. */
#ifndef NET_LINK_H
#define NET_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net_link {
	char name[16];
	uint8_t mac[6];
	uint16_t mtu;        /* IP MTU: 1500 */
	bool up;             /* carrier */
	/* Queue one frame for sending: 0, -EAGAIN (no room now: try after
	 * poll), -EMSGSIZE, -EIO. The frame may be reused when it returns. */
	int (*send)(struct net_link *l, const void *frame, size_t len);
	/* Run the link (its event loop pass); receive() is called for each
	 * frame that arrived. Returns how much work was done (0 = idle). */
	int (*poll)(struct net_link *l);
	/* Nothing to do: let time pass / the host run. */
	void (*idle)(struct net_link *l);
	/* Set by the stack: called from poll() for every received frame; the
	 * frame is valid during the call only. */
	void (*receive)(struct net_link *l, const void *frame, size_t len);
	void *stack;         /* the stack's context */
	void *ctx;           /* the link's own context */
};

#endif
