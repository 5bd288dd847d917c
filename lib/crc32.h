/* CRC-32 as GPT (UEFI spec 5.3) and Ethernet use it: IEEE 802.3, reflected,
 * polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF.
 * crc32("123456789") == 0xCBF43926. */
#ifndef HVB_CRC32_H
#define HVB_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC of n bytes at p. */
uint32_t crc32(const void *p, size_t n);

/* Incremental form: crc is the CRC of the bytes so far (0 for none), the
 * result the CRC of those bytes followed by these n. So
 * crc32_update(crc32_update(0, a, na), b, nb) == crc32 of a then b. */
uint32_t crc32_update(uint32_t crc, const void *p, size_t n);

#endif
