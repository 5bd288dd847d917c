/* lwIP's platform header for hvboot: fixed-width types from the compiler's
 * freestanding headers, printf formats, diagnostics into our log, and
 * LWIP_RAND from the caller's random source (net/stack.c). Nothing here
 * needs more of a libc than a boot loader has (memcpy, memset, strlen...). */
#ifndef HVB_LWIP_ARCH_CC_H
#define HVB_LWIP_ARCH_CC_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* inttypes.h, ctype.h and unistd.h are hosted headers: lwIP brings its own
 * replacements when told they are missing. */
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_UNISTD_H 1
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

/* ssize_t (a few lwIP lengths) normally comes from unistd.h; it is long on
 * x86_64 as in glibc, so both builds agree and hosted code that includes
 * <sys/types.h> too sees the same typedef. */
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif
typedef long ssize_t;

#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

/* lwIP's diagnostics go to our log. An assertion logs where it failed and
 * marks the stack broken: the operation in progress (and every later one)
 * then fails with an error instead of the machine hanging in a loop. */
void net_port_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void net_port_assert(const char *msg, const char *file, int line);
#define LWIP_PLATFORM_DIAG(x) do { net_port_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) net_port_assert((x), __FILE__, __LINE__)

uint32_t net_port_rand(void);
#define LWIP_RAND() net_port_rand()

#endif
