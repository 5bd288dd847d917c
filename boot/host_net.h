/* hvboot-host's network side (hosted only). */
#ifndef BOOT_HOST_NET_H
#define BOOT_HOST_NET_H

#include <stdint.h>

#include "../vmbus/vmbus.h"

/* Bring the NIC and the network stack up, take a DHCP lease and, when spec
 * is given, load it (at most max_bytes) into OUT. Lines go to line(). */
int host_net_run(struct vmbus *vb, const char *spec, const char *out_path, uint64_t max_bytes,
		 void (*line)(const char *, void *), void *line_ctx);

#endif
