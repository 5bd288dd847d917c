/* The HTTP response parser (contract in http_parse.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http_parse.h"

void http_resp_init(struct http_resp *r, void *dst, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->dst = dst;
	r->cap = cap;
	r->phase = HTTP_PH_STATUS;
}

static int fail(struct http_resp *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct http_resp *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->phase = HTTP_PH_FAILED;
	r->err = err;
	return err;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool ieq(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n && b[i]; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return i == n && b[i] == '\0';
}

/* RFC 7230 tchar: what a header name is made of. */
static bool is_tchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Collects one line into r->line (without its LF, and without the CR just
 * before it). Returns 1 with a complete line, 0 when all n bytes went into
 * the line so far, or an error. *used counts the bytes taken, LF included. */
static int take_line(struct http_resp *r, const uint8_t *p, size_t n, size_t *used)
{
	const uint8_t *lf;
	size_t k;

	*used = 0;
	if (n == 0)
		return 0;
	lf = memchr(p, '\n', n);
	k = lf ? (size_t)(lf - p) : n;

	if (k > sizeof(r->line) - r->line_len)
		return fail(r, -EPROTO, "the HTTP server sent a line longer than %d bytes",
			    HTTP_LINE_MAX);
	memcpy(r->line + r->line_len, p, k);
	r->line_len += k;
	*used = lf ? k + 1 : k;
	if (!lf)
		return 0;
	if (r->line_len > 0 && r->line[r->line_len - 1] == '\r')
		r->line_len--;
	for (size_t i = 0; i < r->line_len; i++)
		if (r->line[i] == '\r' || r->line[i] == '\0')
			return fail(r, -EPROTO, "the HTTP server sent a line with a stray CR or NUL");
	return 1;
}

/* Header and trailer lines count against the section limit. */
static int count_header_bytes(struct http_resp *r, size_t used)
{
	r->header_bytes += used;
	if (r->header_bytes > HTTP_HEADERS_MAX)
		return fail(r, -EPROTO, "the HTTP server's header section is over %d bytes",
			    HTTP_HEADERS_MAX);
	return 0;
}

static int parse_status(struct http_resp *r)
{
	const char *l = r->line;
	size_t n = r->line_len, j = 0;

	/* HTTP/1.x SP 3DIGIT [SP reason] */
	if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || l[7] < '0' || l[7] > '9' || l[8] != ' ' ||
	    l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' ||
	    (n > 12 && l[12] != ' '))
		return fail(r, -EPROTO, "the server's answer does not start with an HTTP/1.x status line");
	r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	for (size_t i = 13; i < n && j + 1 < sizeof(r->reason); i++)
		r->reason[j++] = l[i] >= 0x20 && l[i] < 0x7f ? l[i] : '?';
	r->reason[j] = '\0';
	return 0;
}

static int parse_u64_dec(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

static int parse_header(struct http_resp *r)
{
	const char *l = r->line, *colon, *v;
	size_t n = r->line_len, name_len, vn;
	uint64_t x;

	if (l[0] == ' ' || l[0] == '\t')
		return fail(r, -EPROTO, "the HTTP server folded a header line (obsolete, refused)");
	colon = memchr(l, ':', n);
	if (!colon || colon == l)
		return fail(r, -EPROTO, "the HTTP server sent a header line without a name");
	name_len = (size_t)(colon - l);
	for (size_t i = 0; i < name_len; i++)
		if (!is_tchar(l[i]))
			return fail(r, -EPROTO, "the HTTP server sent a malformed header name");
	v = colon + 1;
	vn = n - name_len - 1;
	while (vn > 0 && (*v == ' ' || *v == '\t'))
		v++, vn--;
	while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;

	if (ieq(l, name_len, "content-length")) {
		if (parse_u64_dec(v, vn, &x) != 0)
			return fail(r, -EPROTO, "the HTTP server sent a malformed Content-Length");
		if (r->have_length && x != r->length)
			return fail(r, -EPROTO, "the HTTP server sent two different Content-Lengths");
		r->have_length = true;
		r->length = x;
	} else if (ieq(l, name_len, "transfer-encoding")) {
		if (r->chunked || !ieq(v, vn, "chunked"))
			return fail(r, -ENOTSUP,
				    "the HTTP server used a transfer coding other than chunked");
		r->chunked = true;
	} else if (ieq(l, name_len, "location")) {
		if (vn > HTTP_LOCATION_MAX)
			return fail(r, -EPROTO, "the HTTP server's Location is over %d bytes",
				    HTTP_LOCATION_MAX);
		memcpy(r->location, v, vn);
		r->location[vn] = '\0';
		r->have_location = true;
	}
	return 0;
}

/* The end of a header section: skip a 1xx, else pick how the body ends. */
static int headers_done(struct http_resp *r)
{
	if (r->status < 200) {
		if (++r->interim > HTTP_INTERIM_MAX)
			return fail(r, -EPROTO, "the HTTP server sent too many 1xx responses");
		r->have_length = r->chunked = r->have_location = false;
		r->phase = HTTP_PH_STATUS;
		return HTTP_MORE;
	}
	if (r->chunked) {
		r->phase = HTTP_PH_CHUNK_SIZE;
	} else if (r->have_length) {
		r->phase = r->length ? HTTP_PH_BODY_LENGTH : HTTP_PH_DONE;
		if (r->status == 200 && r->length > r->cap)
			return fail(r, -EFBIG,
				    "the file is %llu bytes (Content-Length), more than the %zu-byte buffer",
				    (unsigned long long)r->length, r->cap);
	} else {
		r->phase = HTTP_PH_BODY_CLOSE;
	}
	return HTTP_HEADERS;
}

static int chunk_size(struct http_resp *r)
{
	uint64_t x = 0;
	size_t i = 0;

	for (; i < r->line_len; i++) {
		char c = lower(r->line[i]);
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			break;
		if (i >= 15)
			return fail(r, -EPROTO, "the HTTP server sent an oversized chunk size");
		x = x << 4 | d;
	}
	/* Digits, then nothing, whitespace or a chunk extension. */
	if (i == 0 || (i < r->line_len && r->line[i] != ';' && r->line[i] != ' ' &&
		       r->line[i] != '\t'))
		return fail(r, -EPROTO, "the HTTP server sent a malformed chunk size line");
	if (x > r->cap - r->got)
		return fail(r, -EFBIG, "the chunked body is larger than the %zu-byte buffer", r->cap);
	r->chunk_left = x;
	r->phase = x ? HTTP_PH_CHUNK_DATA : HTTP_PH_TRAILER;
	return 0;
}

static size_t copy_body(struct http_resp *r, const uint8_t *p, size_t k)
{
	if (k == 0)
		return 0;
	memcpy(r->dst + r->got, p, k);
	r->got += k;
	return k;
}

static size_t min_size(uint64_t a, size_t b)
{
	return a < b ? (size_t)a : b;
}

/* What a complete line (r->line, r->line_len) means in the current phase;
 * the line buffer is empty again afterwards. */
static int on_line(struct http_resp *r)
{
	size_t len = r->line_len;
	int rc = HTTP_MORE;

	switch (r->phase) {
	case HTTP_PH_STATUS:
		rc = parse_status(r);
		if (rc == 0)
			r->phase = HTTP_PH_HEADERS;
		break;
	case HTTP_PH_HEADERS:
		rc = len == 0 ? headers_done(r) : parse_header(r);
		break;
	case HTTP_PH_CHUNK_SIZE:
		rc = chunk_size(r);
		break;
	case HTTP_PH_CHUNK_END:
		if (len != 0)
			rc = fail(r, -EPROTO, "the HTTP server's chunk is longer than its size line says");
		else
			r->phase = HTTP_PH_CHUNK_SIZE;
		break;
	case HTTP_PH_TRAILER:
		/* Trailer fields are read and dropped; an empty line ends them. */
		if (len == 0) {
			r->phase = HTTP_PH_DONE;
			rc = HTTP_DONE;
		}
		break;
	default:
		break;
	}
	r->line_len = 0;
	return rc;
}

/* One step: consumes some input, says what now. */
static int step(struct http_resp *r, const uint8_t *p, size_t n, size_t *used)
{
	size_t k;
	int rc;

	*used = 0;
	switch (r->phase) {
	case HTTP_PH_STATUS:
	case HTTP_PH_HEADERS:
	case HTTP_PH_TRAILER:
	case HTTP_PH_CHUNK_SIZE:
	case HTTP_PH_CHUNK_END:
		rc = take_line(r, p, n, used);
		if (rc < 0)
			return rc;
		if ((r->phase == HTTP_PH_STATUS || r->phase == HTTP_PH_HEADERS ||
		     r->phase == HTTP_PH_TRAILER) && count_header_bytes(r, *used))
			return r->err;
		return rc == 0 ? HTTP_MORE : on_line(r);
	case HTTP_PH_BODY_LENGTH:
		k = min_size(r->length - r->got, n);
		*used = copy_body(r, p, k);
		if (r->got == r->length) {
			r->phase = HTTP_PH_DONE;
			return HTTP_DONE;
		}
		return HTTP_MORE;
	case HTTP_PH_BODY_CLOSE:
		if (n > r->cap - r->got)
			return fail(r, -EFBIG, "the file is larger than the %zu-byte buffer", r->cap);
		*used = copy_body(r, p, n);
		return HTTP_MORE;
	case HTTP_PH_CHUNK_DATA:
		k = min_size(r->chunk_left, n);
		*used = copy_body(r, p, k);
		r->chunk_left -= k;
		if (r->chunk_left == 0)
			r->phase = HTTP_PH_CHUNK_END;
		return HTTP_MORE;
	case HTTP_PH_DONE:
		return HTTP_DONE;
	case HTTP_PH_FAILED:
	default:
		return r->err;
	}
}

int http_resp_feed(struct http_resp *r, const uint8_t *p, size_t n, size_t *used)
{
	size_t off = 0;

	*used = 0;
	for (;;) {
		size_t u = 0;
		int rc = step(r, p + off, n - off, &u);

		off += u;
		*used = off;
		if (rc != HTTP_MORE || off == n)
			return rc;
	}
}

int http_resp_eof(struct http_resp *r)
{
	switch (r->phase) {
	case HTTP_PH_DONE:
		return HTTP_DONE;
	case HTTP_PH_FAILED:
		return r->err;
	case HTTP_PH_BODY_CLOSE:
		r->phase = HTTP_PH_DONE;
		return HTTP_DONE;
	case HTTP_PH_BODY_LENGTH:
		return fail(r, -EPROTO, "the HTTP server closed the connection after %zu of %llu bytes",
			    r->got, (unsigned long long)r->length);
	case HTTP_PH_STATUS:
		if (r->interim == 0 && r->header_bytes == 0 && r->line_len == 0)
			return fail(r, -EPROTO, "the HTTP server closed the connection without answering");
		/* fall through */
	default:
		return fail(r, -EPROTO, "the HTTP server closed the connection mid-response");
	}
}
