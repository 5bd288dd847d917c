/* The TFTP session and the HTTP response parser as pure functions on
 * crafted packets and byte streams: hostile servers, every split point,
 * block-number rollover, downloads that would pass the buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../net/http_parse.h"
#include "../net/tftp_proto.h"
#include "harness.h"

/* ---- TFTP ---- */

#define SRV 0x0a000202u
#define TID 4000

struct tt {
	struct tftp_session s;
	struct tftp_out o;
	uint8_t dst[70000];
	uint8_t pkt[TFTP_PKT_MAX + 8];
};

static void start(struct tt *t, size_t cap, uint16_t blksize, uint16_t window, bool tsize)
{
	struct tftp_want w = { .blksize = blksize, .windowsize = window, .tsize = tsize };

	memset(t->dst, 0xa5, sizeof(t->dst));
	CHECK_EQ(tftp_start(&t->s, "boot/k", SRV, 69, &w, t->dst, cap, &t->o), 0);
}

static int rx(struct tt *t, const void *p, size_t n)
{
	return tftp_rx(&t->s, SRV, TID, p, n, &t->o);
}

static int data(struct tt *t, unsigned block, size_t n, uint8_t fill)
{
	t->pkt[0] = 0;
	t->pkt[1] = 3;
	t->pkt[2] = (uint8_t)(block >> 8);
	t->pkt[3] = (uint8_t)block;
	memset(t->pkt + 4, fill, n);
	return rx(t, t->pkt, 4 + n);
}

static bool out_is_ack(const struct tt *t, unsigned block)
{
	return t->o.len == 4 && t->o.buf[1] == 4 && t->o.buf[2] == (uint8_t)(block >> 8) &&
	       t->o.buf[3] == (uint8_t)block && t->o.ip == SRV && t->o.port == TID;
}

static bool out_is_error(const struct tt *t, unsigned code)
{
	return t->o.len >= 5 && t->o.buf[1] == 5 && t->o.buf[3] == code;
}

static bool untouched(const uint8_t *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (p[i] != 0xa5)
			return false;
	return true;
}

#define OACK(t, lit) rx(t, "\0\6" lit, sizeof("\0\6" lit) - 1)

TEST(tftp_request_and_options)
{
	static const char want[] = "\0\1boot/k\0octet\0blksize\0" "1468\0tsize\0" "0\0windowsize\0" "8";
	struct tt *t = calloc(1, sizeof(*t));

	start(t, 10000, 1468, 8, true);
	CHECK_EQ(t->o.len, sizeof(want));
	CHECK(memcmp(t->o.buf, want, sizeof(want)) == 0);
	CHECK(t->o.ip == SRV && t->o.port == 69);
	/* The OACK picks smaller values; ACK 0 goes to the server's TID. */
	CHECK_EQ(OACK(t, "BLKSIZE\0" "1000\0tsize\0" "2500\0windowsize\0" "4\0"), TFTP_CONTINUE);
	CHECK(out_is_ack(t, 0));
	CHECK(t->s.blksize == 1000 && t->s.windowsize == 4 && t->s.tsize == 2500);
	/* The OACK again (ACK 0 lost): ACK 0 again. */
	CHECK_EQ(OACK(t, "blksize\0" "1000\0"), TFTP_CONTINUE);
	CHECK(out_is_ack(t, 0));
	CHECK_EQ(data(t, 1, 1000, 1), TFTP_CONTINUE);
	CHECK_EQ(t->o.len, 0); /* mid-window: no ACK */
	CHECK_EQ(data(t, 2, 1000, 2), TFTP_CONTINUE);
	CHECK_EQ(data(t, 3, 500, 3), TFTP_DONE);
	CHECK(out_is_ack(t, 3));
	CHECK(t->s.got == 2500 && t->dst[999] == 1 && t->dst[1000] == 2 && t->dst[2499] == 3);
	CHECK(untouched(t->dst, 2500, 10000));
	/* The last block again (our ACK was lost): ACKed again. */
	CHECK_EQ(data(t, 3, 500, 3), TFTP_DONE);
	CHECK(out_is_ack(t, 3));
	/* Bad requests. */
	struct tftp_want w = { .blksize = 7 };
	CHECK_EQ(tftp_start(&t->s, "k", SRV, 69, &w, t->dst, 1, &t->o), -EINVAL);
	w.blksize = 0;
	CHECK_EQ(tftp_start(&t->s, "", SRV, 69, &w, t->dst, 1, &t->o), -EINVAL);
	CHECK_EQ(tftp_start(&t->s, "a\nb", SRV, 69, &w, t->dst, 1, &t->o), -EINVAL);
	char longname[600];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_EQ(tftp_start(&t->s, longname, SRV, 69, &w, t->dst, 1, &t->o), -EINVAL);
	longname[505] = '\0'; /* 2 + 506 + 6 > 512 */
	CHECK_EQ(tftp_start(&t->s, longname, SRV, 69, &w, t->dst, 1, &t->o), -EINVAL);
	free(t);
}

TEST(tftp_hostile_oacks)
{
	static const struct {
		const char *p;
		size_t n;
	} bad[] = {
#define B(lit) { "\0\6" lit, sizeof("\0\6" lit) - 1 }
		B("blksize\0" "2000\0"),       /* more than asked */
		B("blksize\0" "7\0"),          /* less than 8 */
		B("windowsize\0" "9\0"),       /* more than asked */
		B("windowsize\0" "0\0"),
		B("timeout\0" "1\0"),          /* never asked */
		B("blksize\0" "512\0blksize\0" "512\0"), /* twice */
		B("blksize\0" "512"),          /* value not terminated */
		B("blksize"),                  /* no value */
		B("blksize\0" "\0"),           /* empty value */
		B("blksize\0" "5x\0"),
		B("tsize\0" "-1\0"),
		B("tsize\0" "123456789012345678901\0"), /* 21 digits */
#undef B
	};
	struct tt *t = calloc(1, sizeof(*t));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		start(t, 1000, 1468, 8, true);
		CHECK_MSG(rx(t, bad[i].p, bad[i].n) == -EPROTO, "OACK %zu was accepted", i);
		CHECK(out_is_error(t, 8) || out_is_error(t, 4));
		CHECK(untouched(t->dst, 0, 1000));
	}
	/* tsize larger than the buffer: ERROR 3 before any data. */
	start(t, 1000, 1468, 8, true);
	CHECK_EQ(OACK(t, "tsize\0" "1001\0"), -EFBIG);
	CHECK(out_is_error(t, 3));
	CHECK(strstr(t->s.msg, "1001 bytes, more than the 1000-byte buffer"));
	CHECK_EQ(data(t, 1, 512, 1), -EFBIG); /* failed stays failed */
	CHECK(untouched(t->dst, 0, 2000));
	/* An OACK nobody asked for (no options sent). */
	start(t, 1000, 0, 0, false);
	CHECK_EQ(OACK(t, "tsize\0" "10\0"), -EPROTO);
	free(t);
}

TEST(tftp_server_ignores_or_refuses_options)
{
	struct tt *t = calloc(1, sizeof(*t));

	/* DATA 1 straight away: 512-byte lock-step. */
	start(t, 2000, 1468, 8, true);
	CHECK_EQ(data(t, 1, 512, 1), TFTP_CONTINUE);
	CHECK(out_is_ack(t, 1));
	CHECK(t->s.blksize == 512 && t->s.windowsize == 1 && !t->s.have_tsize);
	CHECK_EQ(data(t, 2, 100, 2), TFTP_DONE);
	CHECK_EQ(t->s.got, 612);
	/* ERROR 8: the plain request again, to port 69, and a new TID. */
	start(t, 2000, 1468, 8, true);
	CHECK_EQ(rx(t, "\0\5\0\x08no options\0", 15), TFTP_CONTINUE);
	CHECK(t->o.port == 69 && t->o.len == sizeof("\0\1boot/k\0octet") &&
	      memcmp(t->o.buf, "\0\1boot/k\0octet", t->o.len) == 0);
	CHECK_EQ(tftp_rx(&t->s, SRV, TID + 1, (const uint8_t *)"\0\3\0\1x", 5, &t->o), TFTP_DONE);
	/* A second ERROR 8 is an error. */
	start(t, 2000, 1468, 8, true);
	CHECK_EQ(rx(t, "\0\5\0\x08no\0", 7), TFTP_CONTINUE);
	CHECK_EQ(rx(t, "\0\5\0\x08no\0", 7), -EIO);
	CHECK(strstr(t->s.msg, "error 8 (option negotiation refused): \"no\""));
	free(t);
}

TEST(tftp_errors_and_strangers)
{
	struct tt *t = calloc(1, sizeof(*t));

	start(t, 2000, 0, 0, false);
	CHECK_EQ(rx(t, "\0\5\0\1No\x01such\xff" "file", 16), -ENOENT);
	CHECK(strstr(t->s.msg, "10.0.2.2 answered with error 1 (file not found): \"No?such?file\""));
	CHECK_EQ(t->o.len, 0); /* an ERROR is never answered */
	start(t, 2000, 0, 0, false);
	CHECK_EQ(rx(t, "\0\5", 2), -EIO); /* truncated ERROR: code 0, no text */
	start(t, 2000, 0, 0, false);
	CHECK_EQ(rx(t, "\0\5\0\3", 4), -ENOSPC);
	start(t, 2000, 0, 0, false);
	CHECK_EQ(rx(t, "\0\5\0\2denied", 10), -EACCES); /* no NUL: up to the end */
	CHECK(strstr(t->s.msg, "\"denied\""));
	/* Strangers: ERROR 5 to them, the transfer unharmed. */
	start(t, 2000, 0, 0, false);
	CHECK_EQ(data(t, 1, 512, 1), TFTP_CONTINUE);
	CHECK_EQ(tftp_rx(&t->s, SRV, TID + 7, (const uint8_t *)"\0\3\0\2zz", 6, &t->o), 0);
	CHECK(out_is_error(t, 5) && t->o.port == TID + 7 && t->o.ip == SRV);
	CHECK_EQ(tftp_rx(&t->s, 0x0a000209, TID, (const uint8_t *)"\0\3\0\2zz", 6, &t->o), 0);
	CHECK(out_is_error(t, 5) && t->o.ip == 0x0a000209);
	CHECK_EQ(t->s.strangers, 2);
	CHECK_EQ(data(t, 2, 0, 0), TFTP_DONE);
	CHECK(t->s.got == 512 && t->dst[511] == 1 && t->dst[512] == 0xa5);
	/* Illegal packets from the server. */
	start(t, 2000, 0, 0, false);
	CHECK_EQ(rx(t, "\0", 1), -EPROTO);
	CHECK(out_is_error(t, 4));
	start(t, 2000, 0, 0, false);
	CHECK_EQ(rx(t, "\0\1x\0octet\0", 11), -EPROTO);
	start(t, 2000, 0, 0, false);
	CHECK_EQ(rx(t, "\0\4\0\1", 4), -EPROTO);
	start(t, 2000, 0, 0, false);
	CHECK_EQ(rx(t, "\0\3\0", 3), -EPROTO);
	start(t, 2000, 0, 0, false);
	CHECK_EQ(rx(t, "\0\x09\0\1", 4), -EPROTO);
	free(t);
}

TEST(tftp_buffer_bounds)
{
	struct tt *t = calloc(1, sizeof(*t));

	/* No tsize: the block that would pass the buffer fails unwritten. */
	start(t, 1000, 0, 0, false);
	CHECK_EQ(data(t, 1, 512, 1), TFTP_CONTINUE);
	CHECK_EQ(data(t, 2, 512, 2), -EFBIG);
	CHECK(out_is_error(t, 3));
	CHECK(untouched(t->dst, 512, 2000));
	/* Exactly the buffer: fine, with the empty last block. */
	start(t, 1024, 0, 0, false);
	CHECK_EQ(data(t, 1, 512, 1), TFTP_CONTINUE);
	CHECK_EQ(data(t, 2, 512, 2), TFTP_CONTINUE);
	CHECK_EQ(data(t, 3, 0, 0), TFTP_DONE);
	CHECK_EQ(t->s.got, 1024);
	/* A zero-byte buffer and a zero-byte file. */
	start(t, 0, 0, 0, false);
	CHECK_EQ(data(t, 1, 0, 0), TFTP_DONE);
	start(t, 0, 0, 0, false);
	CHECK_EQ(data(t, 1, 1, 0), -EFBIG);
	/* A block over the block size; data past tsize; tsize not met. */
	start(t, 5000, 0, 0, false);
	CHECK_EQ(data(t, 1, 513, 1), -EPROTO);
	CHECK(untouched(t->dst, 0, 5000));
	start(t, 5000, 1000, 0, true);
	CHECK_EQ(OACK(t, "blksize\0" "1000\0tsize\0" "1500\0"), TFTP_CONTINUE);
	CHECK_EQ(data(t, 1, 1000, 1), TFTP_CONTINUE);
	CHECK_EQ(data(t, 2, 999, 2), -EPROTO);
	CHECK(untouched(t->dst, 1000, 5000));
	start(t, 5000, 1000, 0, true);
	CHECK_EQ(OACK(t, "blksize\0" "1000\0tsize\0" "1500\0"), TFTP_CONTINUE);
	CHECK_EQ(data(t, 1, 1000, 1), TFTP_CONTINUE);
	CHECK_EQ(data(t, 2, 400, 2), -EPROTO);
	CHECK(strstr(t->s.msg, "announced 1500 bytes and sent 1400"));
	free(t);
}

TEST(tftp_windows_duplicates_and_gaps)
{
	struct tt *t = calloc(1, sizeof(*t));
	struct tftp_out o;

	start(t, 60000, 100, 4, false);
	CHECK_EQ(OACK(t, "blksize\0" "100\0windowsize\0" "4\0"), TFTP_CONTINUE);
	for (unsigned b = 1; b <= 4; b++)
		CHECK_EQ(data(t, b, 100, (uint8_t)b), TFTP_CONTINUE);
	CHECK(out_is_ack(t, 4));
	/* Block 6 before 5 (5 lost): ACK 4 once, then quiet. */
	CHECK_EQ(data(t, 6, 100, 6), TFTP_CONTINUE);
	CHECK(out_is_ack(t, 4));
	CHECK_EQ(data(t, 7, 100, 7), TFTP_CONTINUE);
	CHECK_EQ(t->o.len, 0);
	/* An old block: the same position, so still quiet. */
	CHECK_EQ(data(t, 3, 100, 3), TFTP_CONTINUE);
	CHECK_EQ(t->o.len, 0);
	CHECK_EQ(t->s.got, 400);
	/* The window restarts at 5. */
	for (unsigned b = 5; b <= 8; b++)
		CHECK_EQ(data(t, b, 100, (uint8_t)b), TFTP_CONTINUE);
	CHECK(out_is_ack(t, 8));
	CHECK(t->dst[450] == 5 && t->dst[799] == 8);
	/* Duplicates after progress: ACK 8 again, once. */
	CHECK_EQ(data(t, 8, 100, 8), TFTP_CONTINUE);
	CHECK(out_is_ack(t, 8));
	CHECK_EQ(data(t, 7, 100, 7), TFTP_CONTINUE);
	CHECK_EQ(t->o.len, 0);
	/* Silence: the ACK of the last in-order block; then the window
	 * counts from there. */
	CHECK_EQ(data(t, 9, 100, 9), TFTP_CONTINUE);
	tftp_timeout(&t->s, &o);
	CHECK(o.len == 4 && o.buf[3] == 9);
	for (unsigned b = 10; b <= 12; b++)
		CHECK_EQ(data(t, b, 100, (uint8_t)b), TFTP_CONTINUE);
	CHECK_EQ(t->o.len, 0);
	CHECK_EQ(data(t, 13, 100, 13), TFTP_CONTINUE);
	CHECK(out_is_ack(t, 13));
	/* Silence before any answer: the RRQ again. */
	start(t, 100, 512, 1, true);
	tftp_timeout(&t->s, &o);
	CHECK(o.len > 2 && o.buf[1] == 1 && o.port == 69);
	/* tftp_abort tells the server. */
	tftp_abort(&t->s, 0, "bye", &o);
	CHECK(o.len == 8 && o.buf[1] == 5);
	free(t);
}

/* 8-byte blocks past 65535: block numbers roll over to 0 and the data
 * lands where it belongs. */
TEST(tftp_block_number_rollover)
{
	struct tt *t = calloc(1, sizeof(*t));
	size_t cap = 65536 * 8 + 64;
	uint8_t *big = malloc(cap);
	struct tftp_want w = { .blksize = 8, .windowsize = 1 };
	uint64_t total = cap / 8 + 1;

	CHECK_EQ(tftp_start(&t->s, "r", SRV, 69, &w, big, cap, &t->o), 0);
	CHECK_EQ(OACK(t, "blksize\0" "8\0"), TFTP_CONTINUE);
	for (uint64_t k = 1; k <= total; k++) {
		size_t n = k == total ? 0 : 8;
		int rc = data(t, (unsigned)(k & 0xffff), n, (uint8_t)(k * 7));

		CHECK_EQ(rc, k == total ? TFTP_DONE : TFTP_CONTINUE);
		CHECK(out_is_ack(t, (unsigned)(k & 0xffff)));
	}
	CHECK_EQ(t->s.got, cap);
	for (uint64_t k = 1; k < total; k += 4099)
		CHECK_EQ(big[(k - 1) * 8], (uint8_t)(k * 7));
	free(big);
	free(t);
}

/* ---- HTTP ---- */

struct ht {
	struct http_resp r;
	uint8_t dst[4096 + 64];
};

/* Feeds s[0..n) in pieces of `piece` bytes (0: whole) until a result
 * other than HTTP_MORE; goes on past HTTP_HEADERS only for a 200, as the
 * client does. */
static int feed(struct ht *h, size_t cap, const char *s, size_t n, size_t piece, bool eof)
{
	size_t off = 0, used;
	int rc = HTTP_MORE;

	memset(h->dst, 0xa5, sizeof(h->dst));
	http_resp_init(&h->r, h->dst, cap);
	while (off < n) {
		size_t k = piece && piece < n - off ? piece : n - off;

		rc = http_resp_feed(&h->r, (const uint8_t *)s + off, k, &used);
		CHECK(used <= k);
		off += used;
		if (rc < 0 || rc == HTTP_DONE || (rc == HTTP_HEADERS && h->r.status != 200))
			return rc;
		if (rc == HTTP_MORE && used < k)
			CHECK_MSG(0, "MORE without taking everything");
	}
	return eof ? http_resp_eof(&h->r) : rc;
}

#define FEED(h, cap, lit, piece, eof) feed(h, cap, lit, sizeof(lit) - 1, piece, eof)

TEST(http_responses_at_every_split)
{
	static const struct {
		const char *s;
		size_t body_len;
		bool eof;
	} ok[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 5, false },
		{ "HTTP/1.1 200 OK\nServer: x\nContent-Length: 5\n\nhello", 5, false },
		{ "HTTP/1.0 200\r\n\r\nhello", 5, true },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2;a=b\r\nhe\r\n"
		  "3 \r\nllo\r\n0\r\nX-T: 1\r\n\r\n", 5, false },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\n\n5\nhello\n0\n\n", 5, false },
		{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length:  5 \r\n\r\nhello", 5, false },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 5, false },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, false },
	};
	struct ht *h = calloc(1, sizeof(*h));

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t n = strlen(ok[i].s);

		for (size_t piece = 0; piece <= n; piece++) {
			int rc = feed(h, 100, ok[i].s, n, piece, ok[i].eof);

			CHECK_MSG(rc == HTTP_DONE || (ok[i].body_len == 0 && rc == HTTP_HEADERS),
				  "response %zu in pieces of %zu: %d (%s)", i, piece, rc, h->r.msg);
			CHECK_EQ(h->r.status, 200);
			CHECK_EQ(h->r.got, ok[i].body_len);
			CHECK(memcmp(h->dst, "hello", ok[i].body_len) == 0);
			CHECK(h->dst[ok[i].body_len] == 0xa5);
		}
	}
	free(h);
}

TEST(http_status_location_and_reason)
{
	struct ht *h = calloc(1, sizeof(*h));

	CHECK_EQ(FEED(h, 100, "HTTP/1.1 302 Found\r\nLocation: /x/y\r\n\r\nmoved", 0, false),
		 HTTP_HEADERS);
	CHECK(h->r.status == 302 && h->r.have_location && strcmp(h->r.location, "/x/y") == 0);
	CHECK(strcmp(h->r.reason, "Found") == 0);
	CHECK(h->dst[0] == 0xa5); /* the body of a redirect is not read */
	CHECK_EQ(FEED(h, 100, "HTTP/1.1 404 Not\x01" "Found\r\n\r\n", 0, false), HTTP_HEADERS);
	CHECK(strcmp(h->r.reason, "Not?Found") == 0);
	/* A 404 with a Content-Length over the buffer is not a size error. */
	CHECK_EQ(FEED(h, 10, "HTTP/1.1 404 Not Found\r\nContent-Length: 99\r\n\r\n", 0, false),
		 HTTP_HEADERS);
	free(h);
}

TEST(http_hostile_responses)
{
	static const struct {
		const char *s;
		size_t n;
		int err;
		bool eof;
	} bad[] = {
#define R(lit, e, eof) { lit, sizeof(lit) - 1, e, eof }
		R("HTTP/2 200 OK\r\n\r\n", -EPROTO, false),
		R("HTTP/1.1 20 OK\r\n\r\n", -EPROTO, false),
		R("HTTP/1.1 200OK\r\n\r\n", -EPROTO, false),
		R("\r\nHTTP/1.1 200 OK\r\n\r\n", -EPROTO, false),
		R("hello", -EPROTO, true),
		R("", -EPROTO, true),
		R("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", -EPROTO, false),        /* stray CR */
		R("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", -EPROTO, false),        /* NUL */
		R("HTTP/1.1 200 OK\r\n folded\r\n\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\n: x\r\n\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", -EFBIG, false),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -ENOTSUP, false),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		  -ENOTSUP, false),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n", -EFBIG, false),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", -EPROTO, false),
		R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab", -EPROTO, true),
		R("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", -EPROTO, true),
		R("HTTP/1.1 200 OK\r\nContent-Len", -EPROTO, true),
		R("HTTP/1.1 100 A\r\n\r\nHTTP/1.1 100 A\r\n\r\nHTTP/1.1 100 A\r\n\r\n"
		  "HTTP/1.1 100 A\r\n\r\nHTTP/1.1 100 A\r\n\r\n", -EPROTO, false),
#undef R
	};
	struct ht *h = calloc(1, sizeof(*h));
	char big[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = feed(h, 100, bad[i].s, bad[i].n, 0, bad[i].eof);

		CHECK_MSG(rc == bad[i].err, "response %zu: %d, want %d (%s)", i, rc, bad[i].err,
			  h->r.msg);
		CHECK(h->r.msg[0] != '\0');
		CHECK(h->dst[100] == 0xa5);
	}
	/* Read to close: the first byte past the buffer fails, unwritten. */
	memcpy(big, "HTTP/1.1 200 OK\r\n\r\n", 19);
	memset(big + 19, 'b', 101);
	CHECK_EQ(feed(h, 100, big, 19 + 101, 7, true), -EFBIG);
	CHECK(h->r.got <= 100 && h->dst[100] == 0xa5);
	free(h);
}

TEST(http_line_and_header_limits)
{
	struct ht *h = calloc(1, sizeof(*h));
	size_t n = 0, cap = HTTP_HEADERS_MAX + 4096;
	char *s = malloc(cap);

	/* One line of HTTP_LINE_MAX bytes (CR included) fits; one more does not. */
	n = (size_t)sprintf(s, "HTTP/1.1 200 OK\r\nX: ");
	memset(s + n, 'x', HTTP_LINE_MAX - 4);
	n += HTTP_LINE_MAX - 4;
	n += (size_t)sprintf(s + n, "\r\nContent-Length: 0\r\n\r\n");
	CHECK_EQ(feed(h, 10, s, n, 0, false), HTTP_HEADERS);
	n = (size_t)sprintf(s, "HTTP/1.1 200 OK\r\nX: ");
	memset(s + n, 'x', HTTP_LINE_MAX - 3);
	n += HTTP_LINE_MAX - 3;
	n += (size_t)sprintf(s + n, "\r\n\r\n");
	CHECK_EQ(feed(h, 10, s, n, 3, false), -EPROTO);
	CHECK(strstr(h->r.msg, "line longer than"));
	/* Many short headers: the section limit. */
	n = (size_t)sprintf(s, "HTTP/1.1 200 OK\r\n");
	while (n < HTTP_HEADERS_MAX + 100)
		n += (size_t)sprintf(s + n, "X-Pad: 0123456789\r\n");
	n += (size_t)sprintf(s + n, "\r\n");
	CHECK_EQ(feed(h, 10, s, n, 1000, false), -EPROTO);
	CHECK(strstr(h->r.msg, "header section is over"));
	/* A Location over the limit. */
	n = (size_t)sprintf(s, "HTTP/1.1 301 M\r\nLocation: /");
	memset(s + n, 'l', HTTP_LOCATION_MAX);
	n += HTTP_LOCATION_MAX;
	n += (size_t)sprintf(s + n, "\r\n\r\n");
	CHECK_EQ(feed(h, 10, s, n, 0, false), -EPROTO);
	free(s);
	free(h);
}
