/* The bridge's transport on the target: bytes through a polled 16550 (COM2,
 * whose QEMU chardev is hvsim's socket), microseconds from the TSC (the
 * bridge needs a clock before its time page exists and one that does not
 * depend on the host). Freestanding. */
#include "bridge_uart.h"

#include <errno.h>

#include "uart16550.h"

static int u_put(void *ctx, uint8_t b) { return uart_put(((struct bridge_uart *)ctx)->port, b); }
static int u_get(void *ctx, uint8_t *b) { return uart_get(((struct bridge_uart *)ctx)->port, b); }

static uint64_t u_now_us(void *ctx)
{
	uint32_t lo, hi;

	/* LFENCE: the read is not moved before the polling that precedes it. */
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32 | lo) / ((struct bridge_uart *)ctx)->tsc_per_us;
}

int bridge_uart_init(struct bridge_uart *u, uint16_t port, uint64_t tsc_hz,
		     struct bridge_transport *tr)
{
	if (tsc_hz < 1000000)
		return -EINVAL;
	if (!uart_present(port))
		return -ENODEV;
	u->port = port;
	u->tsc_per_us = tsc_hz / 1000000;
	uart_init(port);
	*tr = (struct bridge_transport){ .put = u_put, .get = u_get, .now_us = u_now_us, .ctx = u };
	return 0;
}
