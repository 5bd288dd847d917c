#include "crc32.h"

/* Four bits at a time: a 16-entry table keeps the code small for the
 * freestanding build, and GPT checksums at most a few blocks and one entry
 * array, so a 256-entry table would buy nothing that matters.
 * table[i] is i shifted through the reflected polynomial four times. */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
	0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t crc32_update(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;

	/* The register holds the inverted CRC; undo the final xor of the
	 * previous call so calls chain. */
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= b[i];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
	}
	return ~crc;
}

uint32_t crc32(const void *p, size_t n) { return crc32_update(0, p, n); }
