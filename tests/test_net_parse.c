/* The pure network parsers on crafted bytes: the DHCP option walker and
 * frame snooper, and source URLs. Hostile input first: options that do
 * not advance, lengths past the end, overloading, names too long. */
#include <errno.h>
#include <string.h>

#include "../net/dhcp_opts.h"
#include "../net/port/chksum.h"
#include "../net/net.h"
#include "../net/url.h"
#include "harness.h"

/* ---- DHCP ---- */

/* The inventory's lease row: a prefix length for a contiguous mask, the
 * mask itself otherwise, "-" for what the lease lacks. */
TEST(net_lease_row_text)
{
	struct net_lease l = { .ip = 0x0a4d0080, .mask = 0xffff0000, .gateway = 0x0a4d0001,
			       .server = 0x0a4d0001, .tftp_server = "boot.example",
			       .bootfile = "pxe/boot.bin" };
	char row[640];

	net_lease_row(&l, row, sizeof(row));
	CHECK_MSG(strcmp(row, "lease 10.77.0.128/16  router 10.77.0.1  dns -  server 10.77.0.1  "
			      "next-server -  tftp-server boot.example  bootfile pxe/boot.bin") == 0,
		  "%s", row);
	l = (struct net_lease){ .ip = 0x0a000005, .mask = 0xff00ff00 };
	net_lease_row(&l, row, sizeof(row));
	CHECK_MSG(strcmp(row, "lease 10.0.0.5 255.0.255.0  router -  dns -  server -  next-server -  "
			      "tftp-server -  bootfile -") == 0, "%s", row);
	l.mask = 0xffffffff;
	net_lease_row(&l, row, sizeof(row));
	CHECK_MSG(strstr(row, "lease 10.0.0.5/32  "), "%s", row);
	l.mask = 0;
	net_lease_row(&l, row, sizeof(row));
	CHECK_MSG(strstr(row, "lease 10.0.0.5/0  "), "%s", row);
}

struct msg {
	uint8_t b[DHCP_MAX_LEN];
	size_t n;
};

/* A BOOTREPLY for 52:54:00:12:34:56 with xid 0x11223344, yiaddr 10.0.2.15,
 * siaddr 10.0.2.2, the cookie and no options yet. */
static void reply(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	m->b[0] = 2;
	m->b[1] = 1;
	m->b[2] = 6;
	memcpy(m->b + 4, "\x11\x22\x33\x44", 4);
	memcpy(m->b + 16, "\x0a\x00\x02\x0f", 4);
	memcpy(m->b + 20, "\x0a\x00\x02\x02", 4);
	memcpy(m->b + 28, "\x52\x54\x00\x12\x34\x56", 6);
	memcpy(m->b + 236, "\x63\x82\x53\x63", 4);
	m->n = 240;
}

static void opt(struct msg *m, const void *bytes, size_t n)
{
	memcpy(m->b + m->n, bytes, n);
	m->n += n;
}

#define OPT(m, lit) opt(m, lit, sizeof(lit) - 1)

TEST(dhcp_boot_fields_from_options)
{
	struct dhcp_boot_info i;
	struct msg m;

	reply(&m);
	OPT(&m, "\x35\x01\x05" "\x36\x04\x0a\x00\x02\x02" "\x42\x0ctftp.example"
		"\x43\x0apxelinux.0" "\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), 0);
	CHECK_EQ(i.msg_type, 5);
	CHECK_EQ(i.xid, 0x11223344);
	CHECK_EQ(i.yiaddr, 0x0a00020f);
	CHECK_EQ(i.siaddr, 0x0a000202);
	CHECK_EQ(i.server_id, 0x0a000202);
	CHECK(strcmp(i.tftp_server, "tftp.example") == 0);
	CHECK(strcmp(i.bootfile, "pxelinux.0") == 0);
	CHECK(memcmp(i.chaddr, "\x52\x54\x00\x12\x34\x56", 6) == 0);
}

TEST(dhcp_boot_fields_from_sname_and_file)
{
	struct dhcp_boot_info i;
	struct msg m;

	reply(&m);
	memcpy(m.b + 44, "server.example", 14);
	memcpy(m.b + 108, "boot/vmlinuz", 12);
	OPT(&m, "\x35\x01\x05\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), 0);
	CHECK(strcmp(i.tftp_server, "server.example") == 0);
	CHECK(strcmp(i.bootfile, "boot/vmlinuz") == 0);
	/* Options 66 and 67 win over the fields; a full 128-byte file field
	 * without a NUL is taken whole, never read past. */
	memset(m.b + 108, 'f', 128);
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), 0);
	CHECK_EQ(strlen(i.bootfile), 128);
	m.n = 240;
	OPT(&m, "\x43\x03opt\x42\x01s\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), 0);
	CHECK(strcmp(i.bootfile, "opt") == 0);
	CHECK(strcmp(i.tftp_server, "s") == 0);
}

TEST(dhcp_option_overload)
{
	struct dhcp_boot_info i;
	struct msg m;

	/* file holds options (67), sname holds options (66). */
	reply(&m);
	memcpy(m.b + 108, "\x43\x05k.efi\xff", 8);
	memcpy(m.b + 44, "\x00\x00\x42\x02ts\xff", 7);
	OPT(&m, "\x35\x01\x05\x34\x01\x03\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), 0);
	CHECK_EQ(i.overload, 3);
	CHECK(strcmp(i.bootfile, "k.efi") == 0);
	CHECK(strcmp(i.tftp_server, "ts") == 0);
	/* Overloaded fields are never read as names. */
	reply(&m);
	memcpy(m.b + 108, "\x00\xff", 2);
	memcpy(m.b + 44, "name", 4);
	OPT(&m, "\x34\x01\x01\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), 0);
	CHECK(strcmp(i.bootfile, "") == 0);
	CHECK(strcmp(i.tftp_server, "name") == 0);
	/* Overload only in the options field, with one byte of 1-3. */
	reply(&m);
	memcpy(m.b + 108, "\x34\x01\x02\xff", 4);
	OPT(&m, "\x34\x01\x01\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	reply(&m);
	OPT(&m, "\x34\x01\x04\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	reply(&m);
	OPT(&m, "\x34\x02\x01\x01\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	/* An option in an overloaded field running past the field. */
	reply(&m);
	memcpy(m.b + 44 + 60, "\x42\x09", 2);
	OPT(&m, "\x34\x01\x02\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
}

TEST(dhcp_hostile_option_lists)
{
	struct dhcp_boot_info i;
	struct msg m;

	/* Length-0 options advance by their two bytes; pads by one; a list
	 * without END ends at the message's end. */
	reply(&m);
	OPT(&m, "\x42\x00\x43\x00\x00\x00\x00\x0c\x00");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), 0);
	CHECK(strcmp(i.bootfile, "") == 0);
	reply(&m);
	memset(m.b + 240, 0, 1000);
	m.n = 1240;
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), 0);
	/* A code without its length byte, a length past the end. */
	reply(&m);
	OPT(&m, "\x43");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	reply(&m);
	OPT(&m, "\x43\x05" "abcd");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	reply(&m);
	OPT(&m, "\x0c\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	/* Fixed-size options with the wrong size, or twice. */
	reply(&m);
	OPT(&m, "\x35\x02\x05\x05\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	reply(&m);
	OPT(&m, "\x35\x01\x05\x35\x01\x05\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	reply(&m);
	OPT(&m, "\x36\x03\x0a\x00\x02\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	/* Short, a request, a wrong cookie, a non-Ethernet client. */
	reply(&m);
	CHECK_EQ(dhcp_parse_boot(m.b, 239, &i), -EINVAL);
	CHECK_EQ(dhcp_parse_boot(m.b, 0, &i), -EINVAL);
	m.b[0] = 1;
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	reply(&m);
	m.b[239] = 0;
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	reply(&m);
	m.b[2] = 16;
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
}

TEST(dhcp_boot_names)
{
	struct dhcp_boot_info i;
	uint8_t long_opt[2 + 255];
	struct msg m;

	/* Repeated options concatenate (RFC 3396). */
	reply(&m);
	OPT(&m, "\x43\x03vml\x43\x04inuz\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), 0);
	CHECK(strcmp(i.bootfile, "vmlinuz") == 0);
	/* A terminating NUL counted in the option is dropped... */
	reply(&m);
	OPT(&m, "\x43\x04" "abc\0" "\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), 0);
	CHECK(strcmp(i.bootfile, "abc") == 0);
	/* ...one inside the name, or a control byte, is refused. */
	reply(&m);
	OPT(&m, "\x43\x04" "a\0bc" "\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	reply(&m);
	OPT(&m, "\x43\x03" "a\nb" "\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	reply(&m);
	memcpy(m.b + 44, "bad\x01", 4);
	OPT(&m, "\xff");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -EINVAL);
	/* 255 bytes fit; 256 (two options) do not, and nothing is cut. */
	long_opt[0] = 67;
	long_opt[1] = 255;
	memset(long_opt + 2, 'x', 255);
	reply(&m);
	opt(&m, long_opt, sizeof(long_opt));
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), 0);
	CHECK_EQ(strlen(i.bootfile), 255);
	OPT(&m, "\x43\x01y");
	CHECK_EQ(dhcp_parse_boot(m.b, m.n, &i), -E2BIG);
	CHECK(strcmp(i.bootfile, "") == 0);
}

/* A UDP 67 -> 68 frame around a payload, checksums right. */
static size_t frame(uint8_t *f, const uint8_t *payload, size_t n)
{
	uint32_t sum = 0;
	size_t ulen = 8 + n, tot = 20 + ulen;
	uint8_t *ip = f + 14, *udp = ip + 20;

	memset(f, 0, 14 + tot);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x02\x02\xff\xff\xff\xff", 8);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
	udp[1] = 67;
	udp[3] = 68;
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	memcpy(udp + 8, payload, n); /* UDP checksum 0: none */
	return 14 + tot;
}

TEST(dhcp_snoop_frames)
{
	uint8_t f[1600], pay[300];
	const uint8_t *p;
	size_t n, pn;

	memset(pay, 0x5a, sizeof(pay));
	n = frame(f, pay, sizeof(pay));
	CHECK_EQ(dhcp_snoop_frame(f, n, &p, &pn), 1);
	CHECK(p == f + 42 && pn == sizeof(pay));
	/* Trailing Ethernet padding is not payload. */
	CHECK_EQ(dhcp_snoop_frame(f, n + 10, &p, &pn), 1);
	CHECK_EQ(pn, sizeof(pay));
	/* Every cut of the frame is refused or stays inside it. */
	for (size_t cut = 0; cut < n; cut++)
		CHECK_EQ(dhcp_snoop_frame(f, cut, &p, &pn), 0);
	/* A bad IP checksum, a fragment, a short IHL, a UDP length past the
	 * IP packet, other ports, a bad UDP checksum. */
	f[14 + 10] ^= 1;
	CHECK_EQ(dhcp_snoop_frame(f, n, &p, &pn), 0);
	f[14 + 10] ^= 1;
	f[14 + 6] = 0x20; /* more fragments */
	CHECK_EQ(dhcp_snoop_frame(f, n, &p, &pn), 0);
	f[14 + 6] = 0;
	f[14] = 0x44;
	CHECK_EQ(dhcp_snoop_frame(f, n, &p, &pn), 0);
	f[14] = 0x45;
	f[34 + 5] = 0xff;
	CHECK_EQ(dhcp_snoop_frame(f, n, &p, &pn), 0);
	n = frame(f, pay, sizeof(pay));
	f[34 + 3] = 69;
	CHECK_EQ(dhcp_snoop_frame(f, n, &p, &pn), 0);
	n = frame(f, pay, sizeof(pay));
	f[34 + 6] = 0x12;
	f[34 + 7] = 0x34;
	CHECK_EQ(dhcp_snoop_frame(f, n, &p, &pn), 0);
}

TEST(dhcp_parameter_request)
{
	uint8_t o[68];
	uint16_t n;

	/* The last option is 55: it grows. */
	memcpy(o, "\x35\x01\x01\x39\x02\x05\xdc\x37\x03\x01\x03\x06", 12);
	n = 12;
	dhcp_request_boot_options(o, sizeof(o), &n);
	CHECK_EQ(n, 14);
	CHECK(memcmp(o + 7, "\x37\x05\x01\x03\x06\x42\x43", 7) == 0);
	/* Asked already: nothing changes. */
	dhcp_request_boot_options(o, sizeof(o), &n);
	CHECK_EQ(n, 14);
	/* 55 is not last: a second 55. */
	memcpy(o, "\x37\x01\x01\x35\x01\x03", 6);
	n = 6;
	dhcp_request_boot_options(o, sizeof(o), &n);
	CHECK_EQ(n, 10);
	CHECK(memcmp(o + 6, "\x37\x02\x42\x43", 4) == 0);
	/* No room (END needs a byte): nothing. */
	n = 6;
	dhcp_request_boot_options(o, 10, &n);
	CHECK_EQ(n, 6);
	dhcp_request_boot_options(o, 11, &n);
	CHECK_EQ(n, 10);
}

/* ---- URLs ---- */

static int parse(const char *s, struct net_url *u)
{
	const char *why;

	return net_url_parse(s, u, &why);
}

TEST(url_sources)
{
	static const char hex[] = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
	char s[200], str[300];
	struct net_url u;

	CHECK_EQ(parse("tftp://10.0.2.2/boot/vmlinuz", &u), 0);
	CHECK(u.scheme == NET_SCHEME_TFTP && u.host_is_ip && u.ip == 0x0a000202 && u.port == 69);
	CHECK(strcmp(u.path, "boot/vmlinuz") == 0 && !u.has_digest);
	net_url_str(&u, str, sizeof(str));
	CHECK(strcmp(str, "10.0.2.2/boot/vmlinuz") == 0);
	CHECK_EQ(parse("http://boot.example:8080/k?x=1", &u), 0);
	CHECK(u.scheme == NET_SCHEME_HTTP && !u.host_is_ip && u.port == 8080);
	CHECK(strcmp(u.host, "boot.example") == 0 && strcmp(u.path, "/k?x=1") == 0);
	net_url_str(&u, str, sizeof(str));
	CHECK(strcmp(str, "boot.example:8080/k?x=1") == 0);
	CHECK_EQ(parse("http://h/", &u), 0);
	CHECK(u.port == 80 && strcmp(u.path, "/") == 0);
	snprintf(s, sizeof(s), "dhcp#sha256=%s", hex);
	CHECK_EQ(parse(s, &u), 0);
	CHECK(u.scheme == NET_SCHEME_DHCP && u.has_digest && u.digest[0] == 0 && u.digest[31] == 0xff);
	snprintf(s, sizeof(s), "tftp://h/x#sha256=%.63s", hex);
	CHECK_EQ(parse(s, &u), -EINVAL);
	snprintf(s, sizeof(s), "tftp://h/x#sha256=%s0", hex);
	CHECK_EQ(parse(s, &u), -EINVAL);
}

TEST(url_refusals)
{
	static const char *const bad[] = {
		"", "dhcpx", "ftp://h/x", "https://h/x", "tftp://", "tftp://h", "tftp://h/",
		"http://h", "http://:80/x", "http://h:/x", "http://h:0/x", "http://h:65536/x",
		"http://h:8a/x", "http://h:123456/x", "tftp://1.2.3/x", "tftp://1.2.3.4.5/x",
		"tftp://256.1.1.1/x", "tftp://01.2.3.4/x", "tftp://a..b/x", "tftp://.a/x",
		"tftp://a_b/x", "tftp://h/a b", "tftp://h/a\tb", "http://h/\x7f", "tftp://h/x#",
		"tftp://h/x#frag", "http://user@h/x",
	};
	char longhost[300], longpath[1100];
	struct net_url u;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(parse(bad[i], &u) == -EINVAL, "\"%s\" was accepted", bad[i]);
	/* A 64-byte label, a 254-byte name, a 1025-byte path. */
	memset(longhost, 'a', sizeof(longhost));
	memcpy(longhost, "tftp://", 7);
	memcpy(longhost + 7 + 64, "/x", 3);
	CHECK_EQ(parse(longhost, &u), -EINVAL);
	memset(longhost + 7, 'a', sizeof(longhost) - 7);
	for (int i = 7 + 60; i < 7 + 254; i += 61)
		longhost[i] = '.';
	memcpy(longhost + 7 + 254, "/x", 3);
	CHECK_EQ(parse(longhost, &u), -EINVAL);
	memcpy(longhost + 7 + 253, "/x", 3);
	CHECK_EQ(parse(longhost, &u), 0);
	memset(longpath, 'p', sizeof(longpath));
	memcpy(longpath, "http://h/", 9);
	longpath[8 + 1024] = '\0'; /* the path is from the '/' at 8 */
	CHECK_EQ(parse(longpath, &u), 0);
	longpath[8 + 1024] = 'p';
	longpath[8 + 1025] = '\0';
	CHECK_EQ(parse(longpath, &u), -EINVAL);
}

TEST(url_from_lease_and_redirects)
{
	struct net_url u, r;
	const char *why;
	char ip[16];

	CHECK_EQ(parse("dhcp", &u), 0);
	CHECK_EQ(net_url_from_lease(&u, "pxe/k", "", 0x0a000202, &why), 0);
	CHECK(u.scheme == NET_SCHEME_TFTP && u.ip == 0x0a000202 && strcmp(u.path, "pxe/k") == 0);
	CHECK_EQ(parse("dhcp", &u), 0);
	CHECK_EQ(net_url_from_lease(&u, "k", "tftp.example", 0x0a000202, &why), 0);
	CHECK(strcmp(u.host, "tftp.example") == 0);
	CHECK_EQ(parse("dhcp", &u), 0);
	CHECK_EQ(net_url_from_lease(&u, "http://10.0.0.1:81/k", "", 0, &why), 0);
	CHECK(u.scheme == NET_SCHEME_HTTP && u.port == 81);
	CHECK_EQ(parse("dhcp", &u), 0);
	CHECK_EQ(net_url_from_lease(&u, "", "", 0x0a000202, &why), -EINVAL);
	CHECK(strstr(why, "no boot file"));
	CHECK_EQ(net_url_from_lease(&u, "k", "", 0, &why), -EINVAL);
	CHECK(strstr(why, "no TFTP server"));
	CHECK_EQ(net_url_from_lease(&u, "k", "bad host!", 0, &why), -EINVAL);
	CHECK_EQ(net_url_from_lease(&u, "http://h/k#sha256=00", "", 0, &why), -EINVAL);

	CHECK_EQ(parse("http://h:8080/a/b", &u), 0);
	u.has_digest = true;
	u.digest[0] = 7;
	CHECK_EQ(net_url_redirect(&u, "/c", &r, &why), 0);
	CHECK(strcmp(r.host, "h") == 0 && r.port == 8080 && strcmp(r.path, "/c") == 0);
	CHECK(r.has_digest && r.digest[0] == 7);
	CHECK_EQ(net_url_redirect(&u, "http://10.1.1.1/d", &r, &why), 0);
	CHECK(r.host_is_ip && r.port == 80 && r.has_digest);
	CHECK_EQ(net_url_redirect(&u, "//other/x", &r, &why), -EINVAL);
	CHECK_EQ(net_url_redirect(&u, "https://h/x", &r, &why), -EINVAL);
	CHECK_EQ(net_url_redirect(&u, "c", &r, &why), -EINVAL);
	CHECK_EQ(net_url_redirect(&u, "/c#x", &r, &why), -EINVAL);
	CHECK_EQ(net_url_redirect(&u, "tftp://h/x", &r, &why), -EINVAL);
	net_ip_str(0xc0a80001, ip);
	CHECK(strcmp(ip, "192.168.0.1") == 0);
}

/* ---- the checksum lwIP verifies every segment with ---- */

/* RFC 1071 the slow way: 16-bit words in memory order (a little-endian
 * host), an odd last byte padded with zero, end-around carries. */
static uint16_t ref_chksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] | (uint32_t)p[i + 1] << 8;
	if (n & 1)
		sum += p[n - 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Every length 0-300 at every start alignment 0-7, a full frame, all-ones
 * data (carries on every add) and lwIP's "len <= 0" case. */
TEST(net_chksum_matches_rfc1071)
{
	static uint8_t buf[2048 + 8];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n <= 300; n++)
			CHECK_MSG(net_port_chksum(buf + off, (int)n) == ref_chksum(buf + off, n),
				  "offset %zu, %zu bytes", off, n);
	CHECK(net_port_chksum(buf + 3, 1514) == ref_chksum(buf + 3, 1514));
	memset(buf, 0xff, sizeof(buf));
	CHECK(net_port_chksum(buf + 1, 2048) == ref_chksum(buf + 1, 2048));
	CHECK(net_port_chksum(buf, 2047) == ref_chksum(buf, 2047));
	CHECK(net_port_chksum(buf, 0) == 0);
	CHECK(net_port_chksum(buf, -5) == 0);
}
