/* Small helpers shared by every layer (guest, hvsim, tests). */
#ifndef HVB_UTIL_H
#define HVB_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define HVB_MIN(a, b) ((a) < (b) ? (a) : (b))
#define HVB_MAX(a, b) ((a) > (b) ? (a) : (b))
#define HVB_PAGE_SIZE 4096u
#define HVB_PAGE_SHIFT 12
#define HVB_PAGES(bytes) (((bytes) + HVB_PAGE_SIZE - 1) / HVB_PAGE_SIZE)
#define HVB_UNUSED(x) ((void)(x))

/* Full barrier: mfence on x86. The SynIC protocol needs it between the
 * write that frees a message slot and the read of its pending flag. */
static inline void hvb_mb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* Reads and writes of memory the other side (host or guest) writes
 * concurrently: one access each, never torn, never cached by the compiler. */
static inline uint32_t hvb_read32(const volatile void *p)
{
	return __atomic_load_n((const volatile uint32_t *)p, __ATOMIC_ACQUIRE);
}
static inline void hvb_write32(volatile void *p, uint32_t v)
{
	__atomic_store_n((volatile uint32_t *)p, v, __ATOMIC_RELEASE);
}
static inline uint8_t hvb_read8(const volatile void *p)
{
	return __atomic_load_n((const volatile uint8_t *)p, __ATOMIC_ACQUIRE);
}

#endif
