/* The bridge's transport on the target: COM2 polled, timeouts on the TSC. */
#ifndef ARCH_X86_64_BRIDGE_UART_H
#define ARCH_X86_64_BRIDGE_UART_H

#include <stdint.h>

#include "../bridge.h"

struct bridge_uart {
	uint16_t port;
	uint64_t tsc_per_us; /* calibrated by the boot code before ExitBootServices */
};

/* Sets the UART up (115200 8N1, FIFOs, no interrupts) and fills *tr.
 * tsc_hz: the TSC frequency. 0, -EINVAL for a TSC below 1 MHz, or -ENODEV
 * when no UART answers at port. */
int bridge_uart_init(struct bridge_uart *u, uint16_t port, uint64_t tsc_hz,
		     struct bridge_transport *tr);

#endif
