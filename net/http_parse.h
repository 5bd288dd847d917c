/* The HTTP/1.1 response parser of the GET client: incremental (bytes arrive
 * in whatever pieces TCP delivers, a header may be split anywhere), pure
 * (no lwIP), so it is unit-tested and fuzzed with random splits (fuzz_http).
 *
 * What it promises: the body goes straight into dst[0..cap) and never past
 * it (a Content-Length or a chunk larger than what is left fails before any
 * of it is written; a body read to the close fails at the first byte that
 * would not fit); every line is bounded (HTTP_LINE_MAX) and so is the whole
 * header section (HTTP_HEADERS_MAX); lines end with LF, a CR just before it
 * is dropped and a CR anywhere else is refused (GRUB CVE-2022-28734 was an
 * off-by-one on exactly these); chunk-size lines are hex digits that must
 * fit; obsolete line folding, conflicting lengths and transfer codings
 * other than chunked are refused. */
#ifndef NET_HTTP_PARSE_H
#define NET_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_LINE_MAX 2048
#define HTTP_HEADERS_MAX 16384
#define HTTP_LOCATION_MAX 1280
#define HTTP_INTERIM_MAX 4 /* 1xx responses skipped before the real one */

enum http_phase {
	HTTP_PH_STATUS,
	HTTP_PH_HEADERS,
	HTTP_PH_BODY_LENGTH,
	HTTP_PH_BODY_CLOSE,
	HTTP_PH_CHUNK_SIZE,
	HTTP_PH_CHUNK_DATA,
	HTTP_PH_CHUNK_END,
	HTTP_PH_TRAILER,
	HTTP_PH_DONE,
	HTTP_PH_FAILED,
};

struct http_resp {
	uint8_t *dst;
	size_t cap;
	enum http_phase phase;
	/* The status line and the headers that matter. */
	int status;
	char reason[64];
	bool have_length;
	uint64_t length;
	bool chunked;
	bool have_location;
	char location[HTTP_LOCATION_MAX + 1];
	/* The body. */
	size_t got;
	uint64_t chunk_left;
	/* Line assembly. */
	char line[HTTP_LINE_MAX];
	size_t line_len;
	size_t header_bytes;
	unsigned interim;
	int err;
	char msg[160]; /* what went wrong, a sentence without the URL */
};

#define HTTP_MORE 0    /* all input consumed, more is needed */
#define HTTP_HEADERS 1 /* the header section is complete: look at status */
#define HTTP_DONE 2    /* the body is complete */

void http_resp_init(struct http_resp *r, void *dst, size_t cap);
/* Takes up to n bytes; *used says how many. Returns HTTP_MORE, HTTP_HEADERS
 * (once, when the final response's headers are complete; feeding on reads
 * the body, which only a caller that wants this response's body does),
 * HTTP_DONE, or a negative errno with r->msg set: -EPROTO (malformed),
 * -EFBIG (larger than dst), -ENOTSUP (a transfer coding we lack). Once
 * done or failed it takes nothing more. */
int http_resp_feed(struct http_resp *r, const uint8_t *p, size_t n, size_t *used);
/* The server closed the connection: HTTP_DONE when the body is complete
 * (or was to be read until the close), else -EPROTO with r->msg. */
int http_resp_eof(struct http_resp *r);

#endif
