/* The tap backend: the guest's frames go to an existing TAP interface (a
 * real L2 segment: a bridge, a veth pair, ...) and what the interface
 * receives goes to the guest. The interface must exist already (ip tuntap
 * add dev NAME mode tap user USER): hvsim never creates network devices.
 * Reads are non-blocking, from poll(). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "netdev.h"

#define FRAME_MAX 65536u /* a TAP read returns one frame; an MTU of up to 64 KiB */
#define READS_PER_POLL 64

struct tap {
	struct sim_netdev nd;
	int fd;
	char label[IFNAMSIZ + 8]; /* "tap:NAME" */
	uint8_t buf[FRAME_MAX];
	unsigned write_errors;
};

static void tap_send(struct sim_netdev *nd, const void *frame, size_t len)
{
	struct tap *t = (struct tap *)nd;

	/* A full queue drops the frame, as a NIC does. */
	if (write(t->fd, frame, len) < 0 && errno != EAGAIN && t->write_errors++ == 0)
		fprintf(stderr, "hvsim: %s: write: %s (further errors not shown)\n", t->label,
			strerror(errno));
}

static int tap_poll(struct sim_netdev *nd)
{
	struct tap *t = (struct tap *)nd;
	int n = 0;

	for (int i = 0; i < READS_PER_POLL; i++) {
		ssize_t r = read(t->fd, t->buf, sizeof(t->buf));

		if (r <= 0)
			break; /* EAGAIN: nothing more now */
		if (r >= 14 && nd->deliver) {
			nd->deliver(nd->deliver_ctx, t->buf, (size_t)r);
			n++;
		}
	}
	return n;
}

/* A frame to read makes the interface readable. */
static unsigned tap_wait_fds(struct sim_netdev *nd, struct pollfd *fds, unsigned max,
			     int *timeout_ms)
{
	struct tap *t = (struct tap *)nd;

	(void)timeout_ms;
	if (max == 0)
		return 0;
	fds[0] = (struct pollfd){ .fd = t->fd, .events = POLLIN };
	return 1;
}

static void tap_destroy(struct sim_netdev *nd)
{
	struct tap *t = (struct tap *)nd;

	close(t->fd);
	free(t);
}

struct sim_netdev *sim_netdev_tap(const char *ifname)
{
	struct ifreq ifr;
	struct tap *t;
	int fd;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ) {
		fprintf(stderr, "hvsim: tap: '%s' is not an interface name (1 to %u characters)\n",
			ifname ? ifname : "", IFNAMSIZ - 1);
		return NULL;
	}
	if (if_nametoindex(ifname) == 0) {
		fprintf(stderr, "hvsim: tap:%s: no such interface; create it first (ip tuntap add "
			"dev %s mode tap user $USER)\n", ifname, ifname);
		return NULL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "hvsim: tap:%s: cannot open /dev/net/tun: %s\n", ifname,
			strerror(errno));
		return NULL;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		fprintf(stderr, "hvsim: tap:%s: cannot attach (%s)%s\n", ifname, strerror(e),
			e == EPERM ? ": it needs CAP_NET_ADMIN, or a TAP interface created for this "
				     "user"
			: e == EINVAL ? ": is it a TAP (not a TUN) interface?" : "");
		close(fd);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		return NULL;
	}
	t->fd = fd;
	snprintf(t->label, sizeof(t->label), "tap:%s", ifname);
	t->nd.name = t->label;
	t->nd.send = tap_send;
	t->nd.poll = tap_poll;
	t->nd.wait_fds = tap_wait_fds;
	t->nd.destroy = tap_destroy;
	return &t->nd;
}
