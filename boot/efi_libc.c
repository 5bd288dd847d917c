/* What newlib expects from an operating system, for the image: nothing in
 * hvboot calls these on purpose (no malloc, no stdio streams, no exit), but
 * newlib's own code refers to some of them (assert, abort). Each one logs
 * and stops safely instead of linking to nothing. */
#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

#include "../lib/log.h"

void __assert_func(const char *file, int line, const char *func, const char *expr)
	__attribute__((noreturn));
void __assert_func(const char *file, int line, const char *func, const char *expr)
{
	log_err("assertion failed: %s (%s:%d, %s)", expr, file, line, func ? func : "?");
	for (;;)
		__asm__ volatile("cli; hlt");
}

void abort(void) __attribute__((noreturn));
void abort(void)
{
	log_err("abort() called");
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* No heap: malloc fails cleanly rather than growing over memory the page
 * allocator owns. */
void *sbrk(ptrdiff_t incr);
void *sbrk(ptrdiff_t incr)
{
	(void)incr;
	errno = ENOMEM;
	return (void *)-1;
}
