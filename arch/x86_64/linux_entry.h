/* The jump into Linux (linux_entry.asm, nasm): loads its own GDT with the
 * flat __BOOT_CS (0x10) and __BOOT_DS (0x18) the 64-bit boot protocol asks
 * for, reloads every segment register, clears the other registers and
 * RFLAGS, and jumps to entry with RSI = boot_params. Call it last, after
 * ExitBootServices and VMBus teardown, with the kernel, initrd, zero page
 * and command line in place and identity-mapped. */
#ifndef ARCH_X86_64_LINUX_ENTRY_H
#define ARCH_X86_64_LINUX_ENTRY_H

#include <stdint.h>

/* entry: linux_entry64(&placement); boot_params: the zero page's address. */
__attribute__((noreturn)) void hvb_linux_enter(uint64_t entry, uint64_t boot_params);

#endif
