/* The lwIP hooks hvboot sets in lwipopts.h; lwIP includes this file in the
 * sources that call them (LWIP_HOOK_FILENAME), so it only sees lwIP types. */
#ifndef HVB_LWIP_HOOKS_H
#define HVB_LWIP_HOOKS_H

#include "lwip/ip_addr.h"

/* A TCP initial sequence number from the caller's random source. */
u32_t net_port_tcp_isn(const ip_addr_t *local_ip, u16_t local_port,
		       const ip_addr_t *remote_ip, u16_t remote_port);
/* Appends a second parameter request list (options 66 and 67, RFC 3396
 * concatenates repeated options) to DISCOVER and REQUEST messages. */
void net_port_dhcp_append(u8_t *options, size_t cap, u8_t msg_type, u16_t *len);

#endif
