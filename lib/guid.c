#include "guid.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void guid_format(const struct guid *g, char out[GUID_STR_LEN])
{
	const uint8_t *b = g->b;

	snprintf(out, GUID_STR_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[3], b[2],
		 b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int guid_parse(const char *s, struct guid *g)
{
	/* Text position of each wire byte's high nibble. */
	static const uint8_t pos[16] = { 6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34 };

	if (strlen(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return -EINVAL;
	for (int i = 0; i < 16; i++) {
		int hi = hexval(s[pos[i]]), lo = hexval(s[pos[i] + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		g->b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

bool guid_equal(const struct guid *a, const struct guid *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}
