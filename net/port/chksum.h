/* The Internet checksum lwIP uses (net/chksum.c): the ones' complement sum
 * of len bytes taken as 16-bit words in memory order, not inverted, in host
 * order, as LWIP_CHKSUM must return. Included by lwipopts.h, so it needs
 * nothing from lwIP. */
#ifndef HVB_NET_CHKSUM_H
#define HVB_NET_CHKSUM_H

#include <stdint.h>

uint16_t net_port_chksum(const void *data, int len);

#endif
