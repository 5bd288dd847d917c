/* The TFTP client session (contract in tftp_proto.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tftp_proto.h"
#include "url.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool ascii_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
		if (x != y)
			return false;
	}
	return *a == *b;
}

/* Appends s and its NUL if they fit. */
static bool put_str(uint8_t *buf, size_t cap, size_t *n, const char *s)
{
	size_t l = strlen(s) + 1;

	if (l > cap - *n)
		return false;
	memcpy(buf + *n, s, l);
	*n += l;
	return true;
}

static void out_to(struct tftp_out *o, uint32_t ip, uint16_t port)
{
	o->ip = ip;
	o->port = port;
}

static void build_ack(struct tftp_session *s, struct tftp_out *o)
{
	put16(o->buf, TFTP_ACK);
	put16(o->buf + 2, (uint16_t)s->blocks);
	o->len = 4;
	out_to(o, s->server_ip, s->server_port);
	s->in_window = 0;
}

static void build_error(struct tftp_out *o, uint16_t code, const char *text)
{
	size_t n = 4;

	put16(o->buf, TFTP_ERROR);
	put16(o->buf + 2, code);
	if (!put_str(o->buf, sizeof(o->buf), &n, text))
		put_str(o->buf, sizeof(o->buf), &n, "");
	o->len = n;
}

static int build_rrq(struct tftp_session *s, struct tftp_out *o, bool with_options)
{
	char num[8];
	size_t n = 2;
	bool ok;

	put16(o->buf, TFTP_RRQ);
	ok = put_str(o->buf, sizeof(o->buf), &n, s->path) &&
	     put_str(o->buf, sizeof(o->buf), &n, "octet");
	s->options_sent = false;
	if (with_options && s->want.blksize && s->want.blksize != 512) {
		snprintf(num, sizeof(num), "%u", s->want.blksize);
		ok = ok && put_str(o->buf, sizeof(o->buf), &n, "blksize") &&
		     put_str(o->buf, sizeof(o->buf), &n, num);
		s->options_sent = true;
	}
	if (with_options && s->want.tsize) {
		ok = ok && put_str(o->buf, sizeof(o->buf), &n, "tsize") &&
		     put_str(o->buf, sizeof(o->buf), &n, "0");
		s->options_sent = true;
	}
	if (with_options && s->want.windowsize > 1) {
		snprintf(num, sizeof(num), "%u", s->want.windowsize);
		ok = ok && put_str(o->buf, sizeof(o->buf), &n, "windowsize") &&
		     put_str(o->buf, sizeof(o->buf), &n, num);
		s->options_sent = true;
	}
	if (!ok)
		return -EINVAL;
	o->len = n;
	out_to(o, s->server_ip, s->server_port);
	return 0;
}

int tftp_start(struct tftp_session *s, const char *path, uint32_t server_ip, uint16_t port,
	       const struct tftp_want *want, void *dst, size_t cap, struct tftp_out *out)
{
	memset(s, 0, sizeof(*s));
	out->len = 0;
	if (path[0] == '\0' || strlen(path) > TFTP_REQ_MAX)
		return -EINVAL;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	if ((want->blksize && (want->blksize < 8 || want->blksize > TFTP_BLKSIZE_MAX)) ||
	    want->windowsize > TFTP_WINDOW_MAX)
		return -EINVAL;
	s->path = path;
	s->dst = dst;
	s->cap = cap;
	s->want = *want;
	s->server_ip = server_ip;
	s->server_port = port;
	s->req_port = port;
	s->blksize = 512;
	s->windowsize = 1;
	s->state = TFTP_ST_REQUESTED;
	s->reacked_at = UINT64_MAX;
	return build_rrq(s, out, true);
}

static int fail(struct tftp_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct tftp_session *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
	s->state = TFTP_ST_FAILED;
	s->err = err;
	return err;
}

/* Fails the session and tells the server why. */
static int fail_tell(struct tftp_session *s, struct tftp_out *o, uint16_t code, int err,
		     const char *wire_text, const char *why)
{
	build_error(o, code, wire_text);
	out_to(o, s->server_ip, s->server_port);
	return fail(s, err, "%s", why);
}

/* Only printable bytes of the server's message, up to its NUL or the end. */
static void copy_text(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n && p[i] != 0 && j + 1 < cap; i++)
		dst[j++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	dst[j] = '\0';
}

static const char *error_name(uint16_t code)
{
	static const char *const names[] = {
		"not defined", "file not found", "access violation", "disk full",
		"illegal operation", "unknown transfer ID", "file exists", "no such user",
		"option negotiation refused",
	};
	return code < sizeof(names) / sizeof(names[0]) ? names[code] : "unknown error code";
}

static int on_error(struct tftp_session *s, const uint8_t *pkt, size_t len, struct tftp_out *o)
{
	uint16_t code = len >= 4 ? get16(pkt + 2) : 0;
	char text[96], ip[16];
	int err;

	/* A server that refuses options (RFC 2347) gets the plain request once. */
	if (code == TFTP_EOPTNEG && s->state == TFTP_ST_REQUESTED && s->options_sent &&
	    !s->fell_back) {
		s->fell_back = true;
		s->tid_known = false;
		s->server_port = s->req_port; /* where the first request went */
		return build_rrq(s, o, false) ? fail(s, -EINVAL, "the request does not fit") :
						 TFTP_CONTINUE;
	}
	copy_text(text, sizeof(text), len > 4 ? pkt + 4 : pkt, len > 4 ? len - 4 : 0);
	net_ip_str(s->server_ip, ip);
	err = code == TFTP_ENOTFOUND ? -ENOENT :
	      code == TFTP_EACCESS   ? -EACCES :
	      code == TFTP_ENOSPACE  ? -ENOSPC : -EIO;
	/* No answer to an ERROR (RFC 1350). */
	return fail(s, err, "the TFTP server %s answered with error %u (%s): \"%s\"", ip, code,
		    error_name(code), text);
}

/* A decimal option value: 1-20 digits, no overflow. */
static bool parse_u64(const char *v, uint64_t *out)
{
	uint64_t x = 0;
	size_t n = 0;

	for (; *v; v++, n++) {
		if (*v < '0' || *v > '9' || n >= 20 || x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (uint64_t)(*v - '0');
	}
	if (n == 0)
		return false;
	*out = x;
	return true;
}

static int on_oack(struct tftp_session *s, const uint8_t *pkt, size_t len, struct tftp_out *o)
{
	bool seen_blk = false, seen_tsize = false, seen_win = false;
	size_t i = 2;

	if (s->state == TFTP_ST_DATA && s->blocks == 0) {
		/* Our ACK 0 was lost and the server sent its OACK again. */
		build_ack(s, o);
		return TFTP_CONTINUE;
	}
	if (s->state != TFTP_ST_REQUESTED || !s->options_sent)
		return fail_tell(s, o, TFTP_EBADOP, -EPROTO, "unexpected OACK",
				 "the TFTP server sent an option acknowledgement nobody asked for");
	while (i < len) {
		const char *name = (const char *)pkt + i, *val;
		const uint8_t *nul = memchr(pkt + i, 0, len - i), *nul2;
		uint64_t v;

		if (!nul || (size_t)(nul - pkt) + 1 >= len)
			return fail_tell(s, o, TFTP_EBADOP, -EPROTO, "malformed OACK",
					 "the TFTP server's option acknowledgement is malformed");
		val = (const char *)nul + 1;
		nul2 = memchr(nul + 1, 0, len - (size_t)(nul + 1 - pkt));
		if (!nul2 || !parse_u64(val, &v))
			return fail_tell(s, o, TFTP_EBADOP, -EPROTO, "malformed OACK",
					 "the TFTP server's option acknowledgement is malformed");
		i = (size_t)(nul2 - pkt) + 1;
		if (ascii_ieq(name, "blksize") && !seen_blk && s->want.blksize &&
		    s->want.blksize != 512) {
			seen_blk = true;
			if (v < 8 || v > s->want.blksize)
				return fail_tell(s, o, TFTP_EOPTNEG, -EPROTO, "bad blksize",
						 "the TFTP server chose a block size out of range");
			s->blksize = (uint16_t)v;
		} else if (ascii_ieq(name, "tsize") && !seen_tsize && s->want.tsize) {
			seen_tsize = true;
			s->have_tsize = true;
			s->tsize = v;
		} else if (ascii_ieq(name, "windowsize") && !seen_win && s->want.windowsize > 1) {
			seen_win = true;
			if (v < 1 || v > s->want.windowsize)
				return fail_tell(s, o, TFTP_EOPTNEG, -EPROTO, "bad windowsize",
						 "the TFTP server chose a window size out of range");
			s->windowsize = (uint16_t)v;
		} else {
			return fail_tell(s, o, TFTP_EOPTNEG, -EPROTO, "unrequested option",
					 "the TFTP server acknowledged an option we did not ask for");
		}
	}
	if (s->have_tsize && s->tsize > s->cap) {
		char why[TFTP_MSG_MAX];

		snprintf(why, sizeof(why),
			 "the file is %llu bytes, more than the %zu-byte buffer",
			 (unsigned long long)s->tsize, s->cap);
		return fail_tell(s, o, TFTP_ENOSPACE, -EFBIG, "file too large", why);
	}
	s->state = TFTP_ST_DATA;
	build_ack(s, o);
	return TFTP_CONTINUE;
}

static int on_data(struct tftp_session *s, const uint8_t *pkt, size_t len, struct tftp_out *o)
{
	uint16_t block, expected;
	size_t n;

	if (len < 4)
		return fail_tell(s, o, TFTP_EBADOP, -EPROTO, "short DATA",
				 "the TFTP server sent a truncated data packet");
	n = len - 4;
	if (s->state == TFTP_ST_REQUESTED)
		s->state = TFTP_ST_DATA; /* no OACK: every option was ignored */
	if (n > s->blksize) {
		char why[TFTP_MSG_MAX];

		snprintf(why, sizeof(why),
			 "the TFTP server sent a %zu-byte block, larger than the agreed %u",
			 n, s->blksize);
		return fail_tell(s, o, TFTP_EBADOP, -EPROTO, "block too large", why);
	}
	block = get16(pkt + 2);
	expected = (uint16_t)(s->blocks + 1);
	if (block != expected) {
		/* An old block (our ACK was lost) or one past a lost block: ACK
		 * the last in-order block once per position, which restarts the
		 * server's window there (RFC 7440). Our timeout repeats it. */
		if (s->reacked_at != s->blocks) {
			s->reacked_at = s->blocks;
			build_ack(s, o);
		}
		return TFTP_CONTINUE;
	}
	if (n > s->cap - s->got) {
		char why[TFTP_MSG_MAX];

		snprintf(why, sizeof(why), "the file is larger than the %zu-byte buffer", s->cap);
		return fail_tell(s, o, TFTP_ENOSPACE, -EFBIG, "file too large", why);
	}
	if (s->have_tsize && n > s->tsize - s->got)
		return fail_tell(s, o, TFTP_EBADOP, -EPROTO, "more data than tsize",
				 "the TFTP server sent more data than the size it announced");
	if (n)
		memcpy(s->dst + s->got, pkt + 4, n);
	s->got += n;
	s->blocks++;
	s->in_window++;
	if (n < s->blksize) {
		build_ack(s, o);
		if (s->have_tsize && s->got != s->tsize)
			return fail(s, -EPROTO,
				    "the TFTP server announced %llu bytes and sent %zu",
				    (unsigned long long)s->tsize, s->got);
		s->state = TFTP_ST_DONE;
		return TFTP_DONE;
	}
	if (s->in_window >= s->windowsize)
		build_ack(s, o);
	return TFTP_CONTINUE;
}

int tftp_rx(struct tftp_session *s, uint32_t src_ip, uint16_t src_port,
	    const uint8_t *pkt, size_t len, struct tftp_out *o)
{
	uint16_t op;

	o->len = 0;
	if (s->state == TFTP_ST_FAILED)
		return s->err;
	/* The server's first answer fixes its transfer id (RFC 1350 4);
	 * anyone else is told so and otherwise ignored. */
	if (src_ip != s->server_ip || (s->tid_known && src_port != s->server_port)) {
		s->strangers++;
		build_error(o, TFTP_EBADID, "Unknown transfer ID");
		out_to(o, src_ip, src_port);
		return s->state == TFTP_ST_DONE ? TFTP_DONE : TFTP_CONTINUE;
	}
	if (s->state == TFTP_ST_DONE) {
		/* The last block again: our final ACK was lost. */
		if (len >= 4 && get16(pkt) == TFTP_DATA && get16(pkt + 2) == (uint16_t)s->blocks)
			build_ack(s, o);
		return TFTP_DONE;
	}
	if (!s->tid_known) {
		s->tid_known = true;
		s->server_port = src_port;
	}
	if (len < 2)
		return fail_tell(s, o, TFTP_EBADOP, -EPROTO, "short packet",
				 "the TFTP server sent a packet too short to have an opcode");
	op = get16(pkt);
	switch (op) {
	case TFTP_DATA:
		return on_data(s, pkt, len, o);
	case TFTP_OACK:
		return on_oack(s, pkt, len, o);
	case TFTP_ERROR:
		return on_error(s, pkt, len, o);
	default:
		return fail_tell(s, o, TFTP_EBADOP, -EPROTO, "illegal operation",
				 "the TFTP server sent an opcode a reader never gets");
	}
}

void tftp_timeout(struct tftp_session *s, struct tftp_out *o)
{
	o->len = 0;
	if (s->state == TFTP_ST_REQUESTED)
		build_rrq(s, o, !s->fell_back);
	else if (s->state == TFTP_ST_DATA)
		build_ack(s, o);
}

void tftp_abort(struct tftp_session *s, uint16_t code, const char *text, struct tftp_out *o)
{
	o->len = 0;
	if (s->state != TFTP_ST_REQUESTED && s->state != TFTP_ST_DATA)
		return;
	build_error(o, code, text);
	out_to(o, s->server_ip, s->server_port);
	s->state = TFTP_ST_FAILED;
	s->err = -ECANCELED;
}
