/* A polled 16550 UART (the bridge's COM2 on the target): port I/O, 115200
 * 8N1, FIFOs on, no interrupts. Interrupts stay off because hvboot polls
 * everything after ExitBootServices and has no IDT of its own. Freestanding:
 * only inline asm and stdint. */
#ifndef ARCH_X86_64_UART16550_H
#define ARCH_X86_64_UART16550_H

#include <stdbool.h>
#include <stdint.h>

#define UART_COM1 0x3F8u
#define UART_COM2 0x2F8u /* the bridge */

/* Registers (offsets from the base port). DLL/DLM replace RBR/IER while
 * LCR.DLAB is set. */
#define UART_RBR 0 /* read: received byte */
#define UART_THR 0 /* write: byte to send */
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2 /* write: FIFO control */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7

#define UART_LCR_8N1 0x03u
#define UART_LCR_DLAB 0x80u
#define UART_FCR_ENABLE 0x01u
#define UART_FCR_CLEAR 0x06u   /* both FIFOs emptied */
#define UART_FCR_TRIG14 0xC0u
#define UART_MCR_DTR_RTS 0x03u /* OUT2 (bit 3) clear: the IRQ line stays off */
#define UART_LSR_DR 0x01u      /* a received byte is waiting */
#define UART_LSR_THRE 0x20u    /* the transmit holding register (FIFO) has room */
#define UART_CLOCK_DIV_115200 1u /* 1.8432 MHz / 16 / 115200 */

static inline void hvb_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t hvb_inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* Is a UART there? The scratch register keeps what is written; an absent
 * port reads 0xFF whatever is written. */
static inline bool uart_present(uint16_t port)
{
	hvb_outb(port + UART_SCR, 0x5A);
	if (hvb_inb(port + UART_SCR) != 0x5A)
		return false;
	hvb_outb(port + UART_SCR, 0xA5);
	return hvb_inb(port + UART_SCR) == 0xA5;
}

/* 115200 8N1, FIFOs on and emptied, no interrupts. */
static inline void uart_init(uint16_t port)
{
	hvb_outb(port + UART_IER, 0);
	hvb_outb(port + UART_LCR, UART_LCR_DLAB);
	hvb_outb(port + UART_DLL, UART_CLOCK_DIV_115200 & 0xff);
	hvb_outb(port + UART_DLM, UART_CLOCK_DIV_115200 >> 8);
	hvb_outb(port + UART_LCR, UART_LCR_8N1);
	hvb_outb(port + UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR | UART_FCR_TRIG14);
	hvb_outb(port + UART_MCR, UART_MCR_DTR_RTS);
}

/* Non-blocking, as struct bridge_transport wants: 1 = done, 0 = not now. */
static inline int uart_put(uint16_t port, uint8_t b)
{
	if (!(hvb_inb(port + UART_LSR) & UART_LSR_THRE))
		return 0;
	hvb_outb(port + UART_THR, b);
	return 1;
}

static inline int uart_get(uint16_t port, uint8_t *b)
{
	if (!(hvb_inb(port + UART_LSR) & UART_LSR_DR))
		return 0;
	*b = hvb_inb(port + UART_RBR);
	return 1;
}

#endif
