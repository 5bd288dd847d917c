/* Network namespaces for tests that need real interfaces or well-known
 * ports: the test process (the harness forks one per test) moves into a
 * private namespace of its own, so nothing it binds or creates can collide
 * with the machine's services or another test, and everything goes away
 * when its last process exits. */
#ifndef TEST_NETNS_H
#define TEST_NETNS_H

#include <stdint.h>

/* unshare(CLONE_NEWNET), then `lo` up. NULL, or why it cannot be done (a
 * reason for test_skip: not root, or no CAP_SYS_ADMIN in a container). */
const char *netns_enter(void);

/* Addresses in host byte order (0x0a4d0001 is 10.77.0.1). 0 or -errno. */
int netns_if_up(const char *ifname);
int netns_if_addr(const char *ifname, uint32_t ip, uint32_t mask);
/* A persistent TAP interface (IFF_TAP | IFF_NO_PI, as sim/netdev_tap.c
 * attaches): it outlives this call's file descriptor, so others (hvsim's
 * tap backend, dnsmasq) can find it by name. It dies with the namespace. */
int netns_tap_create(const char *ifname);

#endif
