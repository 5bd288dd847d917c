/* lwIP configuration for hvboot: a boot loader that downloads a kernel and
 * an initrd, single-threaded, polled, IPv4 only. lwIP's own defaults
 * (build/lwip-src/lwip/src/include/lwip/opt.h) hold for everything not set
 * here. Both lwIP itself and net/ are compiled with this file. */
#ifndef HVB_LWIPOPTS_H
#define HVB_LWIPOPTS_H

/* No OS: the raw (callback) API driven from one poll loop (net_poll). */
#define NO_SYS 1
#define LWIP_TIMERS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_CALLBACK_API 1

/* Protocols: only what a network boot needs. IPv6 is left out on purpose:
 * most of PixieFail was in IPv6, ND and DHCPv6 code. */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_DNS 1
#define LWIP_SINGLE_NETIF 1
#define LWIP_NETIF_HOSTNAME 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0

/* No fragments either way: reassembly is where GRUB and U-Boot had their
 * heap overflows. TFTP asks for blocks that fit the MTU and TCP uses the
 * MSS, so nothing we need arrives fragmented. Packets with IP options are
 * dropped too: nothing on a boot network needs them. */
#define IP_REASSEMBLY 0
#define IP_FRAG 0
#define IP_FORWARD 0
#define IP_OPTIONS_ALLOWED 0

/* Every incoming checksum is verified in software (the defaults; stated
 * here because netvsc offloads must never turn them off), with our faster
 * routine (net/chksum.c): lwIP's adds 16 bits at a time. */
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1
#include "chksum.h"
#define LWIP_CHKSUM net_port_chksum

/* DHCP: lwIP runs the state machine; net/dhcp.c reads the boot fields
 * (siaddr, options 66 and 67, overloading) from the ACK itself, so lwIP's
 * BOOTP file copy is off. The ARP probe of the offered address stays on. */
#define LWIP_DHCP_BOOTP_FILE 0
#define LWIP_DHCP_GET_NTP_SRV 0
#define DHCP_DOES_ARP_CHECK 1
#define LWIP_DHCP_MAX_DNS_SERVERS 2
#define DNS_MAX_SERVERS 2
#define DNS_TABLE_SIZE 4
#define DNS_MAX_NAME_LENGTH 256

/* TCP tuned for one fast download: a 1 MiB receive window (window scaling,
 * shift 5: 32768 << 5) lets a gigabit sender keep the pipe full at a few ms
 * of RTT (research notes 3.6). The window is only real if the pbufs and
 * segments to hold it exist, so the pools below are sized to it. Sending is
 * one small request, so the send side stays small. */
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 5
#define TCP_WND (1024 * 1024)
#define TCP_SND_BUF (8 * TCP_MSS)
#define TCP_SND_QUEUELEN 32
#define TCP_QUEUE_OOSEQ 1
#define TCP_OOSEQ_MAX_PBUFS 900
#define LWIP_TCP_KEEPALIVE 0
#define TCP_LISTEN_BACKLOG 0
#define MEMP_NUM_TCP_PCB 4
#define MEMP_NUM_TCP_PCB_LISTEN 1
#define MEMP_NUM_TCP_SEG 1024
/* DHCP, TFTP, and up to four for DNS (a random source port per query). */
#define MEMP_NUM_UDP_PCB 8

/* Memory: static pools (no malloc: the freestanding build has none).
 * Receive pbufs hold a whole Ethernet frame each (1514 bytes). */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT 8
#define MEM_SIZE (256 * 1024)
#define PBUF_POOL_SIZE 1024
#define PBUF_POOL_BUFSIZE 1536
#define MEMP_NUM_PBUF 64
#define ETH_PAD_SIZE 0

/* Statistics stay on: the tests check that every pbuf and segment comes
 * back after a download. */
#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0
#define MEM_STATS 1
#define MEMP_STATS 1

/* Hooks into net/ (declared in net/port/hooks.h): random TCP initial
 * sequence numbers (predictable ISNs were PixieFail CVE-2023-45236) and the
 * extra DHCP parameter request for the boot options. */
#define LWIP_HOOK_FILENAME "net/port/hooks.h"
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port) \
	net_port_tcp_isn(local_ip, local_port, remote_ip, remote_port)
#define LWIP_HOOK_DHCP_APPEND_OPTIONS(netif, dhcp, state, msg, msg_type, options_len_ptr) \
	net_port_dhcp_append(msg->options, sizeof(msg->options), msg_type, options_len_ptr)

#endif
