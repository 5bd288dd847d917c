/* Network namespaces for tests (netns.h): plain ioctls, so the tests need
 * no iproute2. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"

static int ifreq_for(const char *ifname, struct ifreq *ifr)
{
	if (strlen(ifname) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, ifname, strlen(ifname));
	return 0;
}

/* One ioctl on an AF_INET datagram socket (how interface flags and
 * addresses are set without netlink). */
static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

int netns_if_up(const char *ifname)
{
	struct ifreq ifr;
	int rc = ifreq_for(ifname, &ifr);

	if (rc == 0)
		rc = if_ioctl(SIOCGIFFLAGS, &ifr);
	if (rc)
		return rc;
	ifr.ifr_flags |= IFF_UP;
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

static void set_sin(struct sockaddr *sa, uint32_t ip)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(ip) };

	memcpy(sa, &sin, sizeof(sin));
}

int netns_if_addr(const char *ifname, uint32_t ip, uint32_t mask)
{
	struct ifreq ifr;
	int rc = ifreq_for(ifname, &ifr);

	if (rc)
		return rc;
	set_sin(&ifr.ifr_addr, ip);
	rc = if_ioctl(SIOCSIFADDR, &ifr);
	if (rc)
		return rc;
	set_sin(&ifr.ifr_netmask, mask);
	return if_ioctl(SIOCSIFNETMASK, &ifr);
}

int netns_tap_create(const char *ifname)
{
	struct ifreq ifr;
	int fd, rc = ifreq_for(ifname, &ifr);

	if (rc)
		return rc;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) != 0 || ioctl(fd, TUNSETPERSIST, 1) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

const char *netns_enter(void)
{
	static char why[160];
	int rc;

	if (geteuid() != 0)
		return "needs root (a private network namespace)";
	if (unshare(CLONE_NEWNET) != 0) {
		snprintf(why, sizeof(why), "cannot make a network namespace: unshare(CLONE_NEWNET): %s",
			 strerror(errno));
		return why;
	}
	/* A new namespace has only lo, and it is down. */
	rc = netns_if_up("lo");
	if (rc) {
		snprintf(why, sizeof(why), "cannot bring lo up in a new network namespace: %s",
			 strerror(-rc));
		return why;
	}
	return NULL;
}
