/* libFuzzer target: the HTTP response parser (net/http_parse.c), fed the
 * same response whole and in pieces whose sizes come from the input.
 * Input: [u8 buffer choice][u8 split seed][the response bytes]
 *   buffer choice bits 0-1: 0, 16, 4096 or 65536 bytes
 *   bit 2: the connection closes after the last byte
 * Checked: nothing is written past the buffer (a guard follows it), every
 * call takes at most what it was given, and the split changes nothing:
 * the result and the status, and unless it failed the byte count and the
 * bytes, are the same as for the whole response. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "../../net/http_parse.h"

#define GUARD 64

struct run {
	struct http_resp r;
	uint8_t dst[65536 + GUARD];
	int rc;
};

static struct run whole, split;

/* As the client: body only for a 200; stop at done or an error. */
static void run(struct run *x, size_t cap, const uint8_t *p, size_t n, uint32_t seed, bool eof)
{
	size_t off = 0;

	memset(x->dst, 0xa5, sizeof(x->dst));
	http_resp_init(&x->r, x->dst, cap);
	x->rc = HTTP_MORE;
	while (off < n) {
		size_t k = n - off, used = 0;

		if (seed) {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % 97;
			if (k > n - off)
				k = n - off;
		}
		x->rc = http_resp_feed(&x->r, p + off, k, &used);
		if (used > k)
			__builtin_trap();
		off += used;
		if (x->rc < 0 || x->rc == HTTP_DONE ||
		    (x->rc == HTTP_HEADERS && x->r.status != 200))
			break;
		if (x->rc == HTTP_MORE && used != k)
			__builtin_trap();
	}
	if (eof && (x->rc == HTTP_MORE || (x->rc == HTTP_HEADERS && x->r.status == 200)))
		x->rc = http_resp_eof(&x->r);
	for (size_t i = cap; i < cap + GUARD; i++)
		if (x->dst[i] != 0xa5)
			__builtin_trap();
	if (x->r.got > cap)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	static const size_t caps[4] = { 0, 16, 4096, 65536 };
	size_t cap;
	bool eof;

	if (n < 2)
		return 0;
	cap = caps[in[0] & 3];
	eof = in[0] & 4;
	run(&whole, cap, in + 2, n - 2, 0, eof);
	run(&split, cap, in + 2, n - 2, in[1] | 0x100u, eof);
	/* HTTP_HEADERS may come at a different call; what it leads to may not. */
	if (whole.rc != split.rc && !(whole.rc == HTTP_HEADERS || split.rc == HTTP_HEADERS))
		__builtin_trap();
	if (whole.rc < 0 && whole.rc != split.rc)
		__builtin_trap();
	if (whole.r.status != split.r.status)
		__builtin_trap();
	/* A failed body may have been written up to where each run failed. */
	if (whole.rc >= 0 && (whole.r.got != split.r.got || memcmp(whole.dst, split.dst, cap) != 0))
		__builtin_trap();
	return 0;
}
