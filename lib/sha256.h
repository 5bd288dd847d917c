/* SHA-256 (FIPS 180-4): checks a loaded kernel or initrd against the digest
 * the boot configuration names. */
#ifndef HVB_SHA256_H
#define HVB_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN 65 /* 64 hex digits and the NUL */

struct sha256_ctx {
	uint32_t h[8];
	uint64_t bytes;   /* message length so far */
	uint8_t buf[64];  /* a partial block */
	size_t used;      /* bytes in buf, < 64 */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *p, size_t n);
/* Pads, writes the digest and leaves c to be initialised again. */
void sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_DIGEST_LEN]);

/* One call for a whole buffer. */
void sha256(const void *buf, size_t len, uint8_t out[SHA256_DIGEST_LEN]);
/* Lower-case hex, as sha256sum prints it. */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN]);
/* Exactly 64 hex digits (either case) and nothing else: 0 or -EINVAL. */
int sha256_parse_hex(const char *s, uint8_t out[SHA256_DIGEST_LEN]);

/* The CPU's SHA instructions are used when present. use = false forces the
 * portable code (tests compare the two); returns whether the CPU path is on. */
bool sha256_use_cpu(bool use);

#endif
