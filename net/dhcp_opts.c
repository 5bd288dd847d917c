/* DHCP boot fields: the option walker, the frame snooper and the parameter
 * request (contracts in dhcp_opts.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "dhcp_opts.h"

#define OPT_PAD 0
#define OPT_OVERLOAD 52
#define OPT_MSG_TYPE 53
#define OPT_SERVER_ID 54
#define OPT_PARAM_REQ 55
#define OPT_TFTP_SERVER 66
#define OPT_BOOTFILE 67
#define OPT_END 255

#define OFF_SNAME 44
#define LEN_SNAME 64
#define OFF_FILE 108
#define LEN_FILE 128

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Raw bytes of a string option, concatenated over its instances. */
struct rawstr {
	uint8_t b[DHCP_STR_MAX];
	size_t n;
	bool seen;
};

struct walk {
	struct dhcp_boot_info *out;
	struct rawstr tftp, file;
	bool seen_type, seen_server, seen_overload;
};

static int raw_append(struct rawstr *r, const uint8_t *v, size_t l)
{
	if (l > sizeof(r->b) - r->n)
		return -E2BIG;
	memcpy(r->b + r->n, v, l);
	r->n += l;
	r->seen = true;
	return 0;
}

/* A name is bytes without controls; trailing NULs (some servers count the
 * terminator in the option length) are dropped, any other NUL is an error. */
static int name_from(char *dst, const uint8_t *src, size_t n)
{
	while (n > 0 && src[n - 1] == 0)
		n--;
	if (n > DHCP_STR_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		if (src[i] < 0x20 || src[i] == 0x7f)
			return -EINVAL;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* A fixed field (sname, file): NUL-terminated inside the field, or the
 * whole field. */
static int name_from_field(char *dst, const uint8_t *src, size_t field_len)
{
	size_t n = 0;

	while (n < field_len && src[n] != 0)
		n++;
	return name_from(dst, src, n);
}

/* One area of options: the options field, or file/sname when overloaded.
 * Each pass of the loop advances by at least one byte, so it ends; each
 * length is checked against what is left before the value is touched. */
static int walk_area(struct walk *w, const uint8_t *p, size_t n, bool main_area)
{
	size_t i = 0;

	while (i < n) {
		uint8_t code = p[i];
		const uint8_t *v;
		size_t l;
		int rc = 0;

		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (code == OPT_END)
			return 0;
		if (n - i < 2)
			return -EINVAL; /* a code without its length byte */
		l = p[i + 1];
		if (l > n - i - 2)
			return -EINVAL; /* the value runs past the area */
		v = p + i + 2;
		switch (code) {
		case OPT_MSG_TYPE:
			if (l != 1 || w->seen_type)
				return -EINVAL;
			w->seen_type = true;
			w->out->msg_type = v[0];
			break;
		case OPT_SERVER_ID:
			if (l != 4 || w->seen_server)
				return -EINVAL;
			w->seen_server = true;
			w->out->server_id = get32(v);
			break;
		case OPT_OVERLOAD:
			/* Only the options field may say where more options are. */
			if (!main_area || l != 1 || w->seen_overload || v[0] < 1 || v[0] > 3)
				return -EINVAL;
			w->seen_overload = true;
			w->out->overload = v[0];
			break;
		case OPT_TFTP_SERVER:
			rc = raw_append(&w->tftp, v, l);
			break;
		case OPT_BOOTFILE:
			rc = raw_append(&w->file, v, l);
			break;
		default:
			break;
		}
		if (rc)
			return rc;
		i += 2 + l;
	}
	/* The area ended without END: nothing was cut (every option was whole),
	 * so take what is there rather than refuse a sloppy server. */
	return 0;
}

int dhcp_parse_boot(const uint8_t *msg, size_t len, struct dhcp_boot_info *out)
{
	static const uint8_t cookie[4] = { 99, 130, 83, 99 };
	struct walk w;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < DHCP_MIN_LEN)
		return -EINVAL;
	/* A BOOTREPLY for an Ethernet client. */
	if (msg[0] != 2 || msg[1] != 1 || msg[2] != 6)
		return -EINVAL;
	if (memcmp(msg + DHCP_FIXED_LEN, cookie, 4) != 0)
		return -EINVAL;
	out->xid = get32(msg + 4);
	out->yiaddr = get32(msg + 16);
	out->siaddr = get32(msg + 20);
	memcpy(out->chaddr, msg + 28, 6);

	memset(&w, 0, sizeof(w));
	w.out = out;
	rc = walk_area(&w, msg + DHCP_MIN_LEN, len - DHCP_MIN_LEN, true);
	/* RFC 2131 4.1: the options field, then file, then sname. */
	if (!rc && (out->overload & 1))
		rc = walk_area(&w, msg + OFF_FILE, LEN_FILE, false);
	if (!rc && (out->overload & 2))
		rc = walk_area(&w, msg + OFF_SNAME, LEN_SNAME, false);
	if (rc)
		goto fail;

	if (w.tftp.seen)
		rc = name_from(out->tftp_server, w.tftp.b, w.tftp.n);
	else if (!(out->overload & 2))
		rc = name_from_field(out->tftp_server, msg + OFF_SNAME, LEN_SNAME);
	if (rc)
		goto fail;
	if (w.file.seen)
		rc = name_from(out->bootfile, w.file.b, w.file.n);
	else if (!(out->overload & 1))
		rc = name_from_field(out->bootfile, msg + OFF_FILE, LEN_FILE);
	if (rc)
		goto fail;
	return 0;
fail:
	memset(out, 0, sizeof(*out));
	return rc;
}

/* The Internet checksum's one's-complement sum, folded; start with `sum`. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

int dhcp_snoop_frame(const uint8_t *frame, size_t len, const uint8_t **payload,
		     size_t *payload_len)
{
	const uint8_t *ip, *udp;
	size_t avail, ihl, tot, ulen;
	uint32_t sum;
	uint8_t pseudo[12];

	if (len < 14 + 20 || get16(frame + 12) != 0x0800)
		return 0;
	ip = frame + 14;
	avail = len - 14;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < 20 || ihl > avail)
		return 0;
	tot = get16(ip + 2);
	if (tot < ihl || tot > avail)
		return 0;
	/* Fragments (more-fragments set or an offset) are never ours. */
	if ((get16(ip + 6) & 0x3fff) != 0 || ip[9] != 17)
		return 0;
	if (csum_add(0, ip, ihl) != 0xffff)
		return 0;
	if (tot - ihl < 8)
		return 0;
	udp = ip + ihl;
	if (get16(udp) != 67 || get16(udp + 2) != 68)
		return 0;
	ulen = get16(udp + 4);
	if (ulen < 8 || ulen > tot - ihl)
		return 0;
	if (get16(udp + 6) != 0) {
		memcpy(pseudo, ip + 12, 8); /* source and destination */
		pseudo[8] = 0;
		pseudo[9] = 17;
		pseudo[10] = (uint8_t)(ulen >> 8);
		pseudo[11] = (uint8_t)ulen;
		sum = csum_add(0, pseudo, sizeof(pseudo));
		if (csum_add(sum, udp, ulen) != 0xffff)
			return 0;
	}
	*payload = udp + 8;
	*payload_len = ulen - 8;
	return 1;
}

void dhcp_request_boot_options(uint8_t *options, size_t cap, uint16_t *len)
{
	static const uint8_t want[2] = { OPT_TFTP_SERVER, OPT_BOOTFILE };
	uint8_t add[2];
	size_t n = *len, i = 0, last = SIZE_MAX, k = 0;
	bool have[2] = { false, false };

	if (n > cap)
		return;
	/* Find the last option and what the request lists already hold. */
	while (i < n) {
		if (options[i] == OPT_PAD) {
			i++;
			continue;
		}
		if (n - i < 2 || options[i + 1] > n - i - 2)
			return; /* not a message we built: leave it alone */
		if (options[i] == OPT_PARAM_REQ)
			for (size_t j = 0; j < options[i + 1]; j++)
				for (size_t x = 0; x < 2; x++)
					if (options[i + 2 + j] == want[x])
						have[x] = true;
		last = i;
		i += 2 + (size_t)options[i + 1];
	}
	for (size_t x = 0; x < 2; x++)
		if (!have[x])
			add[k++] = want[x];
	if (k == 0)
		return;
	/* One byte stays free for END. */
	if (last != SIZE_MAX && options[last] == OPT_PARAM_REQ &&
	    last + 2 + options[last + 1] == n && options[last + 1] + k <= 255 &&
	    n + k + 1 <= cap) {
		memcpy(options + n, add, k);
		options[last + 1] = (uint8_t)(options[last + 1] + k);
		*len = (uint16_t)(n + k);
	} else if (n + 2 + k + 1 <= cap) {
		options[n] = OPT_PARAM_REQ;
		options[n + 1] = (uint8_t)k;
		memcpy(options + n + 2, add, k);
		*len = (uint16_t)(n + 2 + k);
	}
}
