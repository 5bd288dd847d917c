/* GUIDs in Microsoft's mixed-endian wire order (facts 3.2): Data1 u32 LE,
 * Data2 u16 LE, Data3 u16 LE, Data4[8] as written. */
#ifndef HVB_GUID_H
#define HVB_GUID_H

#include <stdbool.h>
#include <stdint.h>

struct guid {
	uint8_t b[16]; /* wire bytes */
};

#define GUID_STR_LEN 37 /* 36 characters and the NUL */

/* Build the wire form from the textual fields, e.g.
 * GUID_INIT(0xf8615163, 0xdf3e, 0x46c5, 0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e). */
#define GUID_INIT(d1, d2, d3, a, b_, c, d, e, f, g, h)                                     \
	{ { (d1) & 0xff, ((d1) >> 8) & 0xff, ((d1) >> 16) & 0xff, ((d1) >> 24) & 0xff,      \
	    (d2) & 0xff, ((d2) >> 8) & 0xff, (d3) & 0xff, ((d3) >> 8) & 0xff, a, b_, c, d, e, \
	    f, g, h } }

void guid_format(const struct guid *g, char out[GUID_STR_LEN]);
/* Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; returns 0 or -EINVAL. */
int guid_parse(const char *s, struct guid *g);
bool guid_equal(const struct guid *a, const struct guid *b);

#endif
