/* The network stack end to end over slirp: DHCP, TFTP and HTTP downloads
 * into bounded buffers, with loss and reordering. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/sha256.h"
#include "fixture.h"
#include "netfix.h"
#include "netns.h"

TEST(net_dhcp_lease_from_slirp)
{
	struct nfx f = { .bootfile = "vmlinuz" };
	const struct net_lease *l;

	nfx_start(&f);
	nfx_dhcp(&f);
	l = net_lease(f.s);
	CHECK(l != NULL);
	CHECK_EQ(l->ip, 0x0a00020f);
	CHECK_EQ(l->mask, 0xffffff00);
	CHECK_EQ(l->gateway, 0x0a000202);
	CHECK_EQ(l->dns[0], 0x0a000203);
	CHECK_EQ(l->server, 0x0a000202);
	CHECK_EQ(l->next_server, 0x0a000202);
	CHECK(strcmp(l->bootfile, "vmlinuz") == 0);
	CHECK(strcmp(l->tftp_server, "") == 0);
	nfx_finish(&f);
}

/* Loads `name` (of `len` bytes, made by nfx_fill) from `url` into a buffer
 * of exactly that size and checks bytes and SHA-256. */
static void load_and_compare(struct nfx *f, const char *url, const uint8_t *want, size_t len)
{
	uint8_t *buf, d1[32], d2[32];
	size_t got = 0;
	int rc;

	rc = nfx_load(f, url, len, &buf, &got);
	CHECK_MSG(rc == 0, "%s: %d (%s)", url, rc, net_error(f->s));
	CHECK_MSG(got == len, "%s: got %zu bytes, want %zu", url, got, len);
	CHECK_MSG(len == 0 || memcmp(buf, want, len) == 0, "%s: the bytes differ", url);
	sha256(buf, got, d1);
	sha256(want, len, d2);
	CHECK(memcmp(d1, d2, 32) == 0);
	free(buf);
}

/* Every size at and around the block boundaries, and a few MiB. slirp's
 * TFTP server caps blksize at 1428 and has no windowsize (lock-step). */
TEST(net_tftp_sizes_from_slirp)
{
	static const size_t sizes[] = { 0, 1, 511, 512, 513, 1427, 1428, 1429, 2856, 3 << 20 };
	struct nfx f = { 0 };
	uint8_t *data = malloc(3 << 20);

	CHECK(data != NULL);
	nfx_fill(data, 3 << 20, 1);
	nfx_start(&f);
	nfx_dhcp(&f);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[32], url[64];

		snprintf(name, sizeof(name), "file%zu", sizes[i]);
		snprintf(url, sizeof(url), "tftp://10.0.2.2/%s", name);
		nfx_file(&f, name, data, sizes[i]);
		load_and_compare(&f, url, data, sizes[i]);
	}
	nfx_check_pools(&f);
	nfx_finish(&f);
	free(data);
}

static void http_url(char *url, size_t cap, const struct nfx *f, const char *path)
{
	snprintf(url, cap, "http://10.0.2.2:%u%s", f->httpd.port, path);
}

/* Plain, chunked, read-to-close, LF-only, split headers, a 100 Continue,
 * redirects relative and absolute: each the same bytes. */
TEST(net_http_variants)
{
	static const char *const kinds[] = { "/f/", "/chunked/", "/nolen/", "/lf/", "/split/",
					     "/interim/", "/redirect/3/", "/aredirect/" };
	static const size_t sizes[] = { 0, 1, 1460, 100000 };
	struct nfx f = { 0 };
	uint8_t *data = malloc(100000);

	CHECK(data != NULL);
	nfx_fill(data, 100000, 2);
	nfx_start(&f);
	httpd_start(&f.httpd, f.root);
	nfx_static(&f);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		char name[32];

		snprintf(name, sizeof(name), "h%zu", sizes[s]);
		nfx_file(&f, name, data, sizes[s]);
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			char path[64], url[128];

			snprintf(path, sizeof(path), "%s%s", kinds[k], name);
			http_url(url, sizeof(url), &f, path);
			load_and_compare(&f, url, data, sizes[s]);
		}
	}
	nfx_check_pools(&f);
	nfx_finish(&f);
	free(data);
}

/* Several MiB over HTTP: the big window at work. */
TEST(net_http_large)
{
	size_t len = 8 << 20;
	struct nfx f = { 0 };
	uint8_t *data = malloc(len);
	char url[128];

	CHECK(data != NULL);
	nfx_fill(data, len, 3);
	nfx_start(&f);
	nfx_file(&f, "big", data, len);
	httpd_start(&f.httpd, f.root);
	nfx_static(&f);
	http_url(url, sizeof(url), &f, "/f/big");
	load_and_compare(&f, url, data, len);
	http_url(url, sizeof(url), &f, "/chunked/big");
	load_and_compare(&f, url, data, len);
	nfx_check_pools(&f);
	nfx_finish(&f);
	free(data);
}

static bool untouched(const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != 0xa5)
			return false;
	return true;
}

/* Loads what must fail with `err` and a message holding `says`. */
static void load_fails(struct nfx *f, const char *url, size_t cap, int err, const char *says,
		       bool nothing_written)
{
	uint8_t *buf;
	size_t got = 1;
	int rc = nfx_load(f, url, cap, &buf, &got);

	CHECK_MSG(rc == err, "%s: %d, want %d (%s)", url, rc, err, net_error(f->s));
	CHECK_MSG(strstr(net_error(f->s), says), "%s: \"%s\" lacks \"%s\"", url, net_error(f->s),
		  says);
	CHECK_EQ(got, 0);
	CHECK_MSG(!nothing_written || untouched(buf, cap), "%s: the buffer was written", url);
	free(buf);
}

TEST(net_http_errors)
{
	struct nfx f = { 0 };
	uint8_t data[5000];
	char url[128], want[160];

	nfx_fill(data, sizeof(data), 4);
	nfx_start(&f);
	nfx_file(&f, "x", data, sizeof(data));
	httpd_start(&f.httpd, f.root);
	nfx_static(&f);
	http_url(url, sizeof(url), &f, "/nothing");
	snprintf(want, sizeof(want), "HTTP 404 Not Found from 10.0.2.2:%u/nothing", f.httpd.port);
	load_fails(&f, url, 100, -EIO, want, true);
	/* Content-Length larger than the buffer: refused before any byte. */
	http_url(url, sizeof(url), &f, "/biglen/x");
	load_fails(&f, url, 8000, -EFBIG, "1000000000 bytes (Content-Length), more than the 8000-byte",
		   true);
	http_url(url, sizeof(url), &f, "/f/x");
	load_fails(&f, url, 4999, -EFBIG, "more than the 4999-byte buffer", true);
	/* A chunk or a read-to-close body that would pass the end. */
	http_url(url, sizeof(url), &f, "/chunked/x");
	load_fails(&f, url, 4999, -EFBIG, "chunked body is larger than the 4999-byte buffer", false);
	http_url(url, sizeof(url), &f, "/nolen/x");
	load_fails(&f, url, 4999, -EFBIG, "larger than the 4999-byte buffer", false);
	http_url(url, sizeof(url), &f, "/loop");
	load_fails(&f, url, 100, -ELOOP, "more than 3 redirects", true);
	http_url(url, sizeof(url), &f, "/redirect/4/x");
	load_fails(&f, url, 8000, -ELOOP, "more than 3 redirects", true);
	http_url(url, sizeof(url), &f, "/badchunk");
	load_fails(&f, url, 100, -EPROTO, "malformed chunk size line", true);
	http_url(url, sizeof(url), &f, "/close");
	load_fails(&f, url, 100, -EPROTO, "closed the connection without answering", true);
	netsrv_stop(&f.httpd);
	load_fails(&f, url, 100, -ECONNRESET, "refused the connection", true);
	nfx_check_pools(&f);
	nfx_finish(&f);
}

TEST(net_tftp_errors_from_slirp)
{
	struct nfx f = { 0 };
	uint8_t data[10000];

	nfx_fill(data, sizeof(data), 5);
	nfx_start(&f);
	nfx_file(&f, "x", data, sizeof(data));
	nfx_dhcp(&f);
	load_fails(&f, "tftp://10.0.2.2/missing", 100, -ENOENT,
		   "the TFTP server 10.0.2.2 answered with error 1 (file not found): \"File not found\"",
		   true);
	/* tsize larger than the buffer: refused before any data. */
	load_fails(&f, "tftp://10.0.2.2/x", 9999, -EFBIG,
		   "the file is 10000 bytes, more than the 9999-byte buffer", true);
	load_and_compare(&f, "tftp://10.0.2.2/x", data, sizeof(data));
	nfx_finish(&f);
}

static void sha_url(char *url, size_t cap, const char *base, const void *data, size_t len)
{
	uint8_t d[32];
	char hex[65];

	sha256(data, len, d);
	sha256_hex(d, hex);
	snprintf(url, cap, "%s#sha256=%s", base, hex);
}

TEST(net_load_digest_and_sources)
{
	struct nfx f = { .bootfile = "boot/kernel" };
	uint8_t data[3000], other[10];
	char url[200];
	uint8_t *buf;
	size_t got;

	nfx_fill(data, sizeof(data), 6);
	nfx_start(&f);
	{
		char dir[128];

		snprintf(dir, sizeof(dir), "%s/boot", f.root);
		CHECK(mkdir(dir, 0755) == 0);
	}
	nfx_file(&f, "boot/kernel", data, sizeof(data));
	/* No DHCP yet: net_load gets a lease itself; "dhcp" is its boot file. */
	load_and_compare(&f, "dhcp", data, sizeof(data));
	sha_url(url, sizeof(url), "dhcp", data, sizeof(data));
	load_and_compare(&f, url, data, sizeof(data));
	sha_url(url, sizeof(url), "tftp://10.0.2.2/boot/kernel", data, sizeof(data));
	load_and_compare(&f, url, data, sizeof(data));
	memset(other, 1, sizeof(other));
	sha_url(url, sizeof(url), "tftp://10.0.2.2/boot/kernel", other, sizeof(other));
	CHECK_EQ(nfx_load(&f, url, sizeof(data), &buf, &got), -EBADMSG);
	CHECK(strstr(net_error(f.s), "SHA-256 is "));
	CHECK_EQ(got, 0);
	free(buf);
	load_fails(&f, "ftp://10.0.2.2/x", 10, -EINVAL, "not tftp://, http:// or dhcp", true);
	load_fails(&f, "https://10.0.2.2/x", 10, -EINVAL, "https is not supported", true);
	load_fails(&f, "tftp://10.0.2.2/x#md5=00", 10, -EINVAL, "sha256=", true);
	load_fails(&f, "tftp://300.0.2.2/x", 10, -EINVAL, "not a valid IPv4", true);
	nfx_finish(&f);
}

/* The lease's boot file is an http:// URL (slirp's bootfile). */
TEST(net_load_dhcp_http_bootfile)
{
	struct nfx f = { 0 };
	uint8_t data[20000];
	char bootfile[100];

	nfx_fill(data, sizeof(data), 7);
	nfx_prepare(&f);
	nfx_file(&f, "k", data, sizeof(data));
	httpd_start(&f.httpd, f.root);
	snprintf(bootfile, sizeof(bootfile), "http://10.0.2.2:%u/chunked/k", f.httpd.port);
	f.bootfile = bootfile;
	nfx_start(&f);
	load_and_compare(&f, "dhcp", data, sizeof(data));
	nfx_finish(&f);
}

/* In a network namespace of its own: the DNS server needs 127.0.0.1:53,
 * which a resolver on this machine (a dnsmasq service, say) may hold;
 * slirp's NAT and the servers all live in that namespace. */
TEST(net_dns_names)
{
	static const char *const names[] = { "boot.test", "10.0.2.2", NULL };
	struct nfx f = { 0 };
	uint8_t data[1000];
	char url[128];
	const char *why;
	uint32_t ip;

	why = netns_enter();
	if (why)
		test_skip(why);
	nfx_fill(data, sizeof(data), 8);
	nfx_start(&f);
	nfx_file(&f, "k", data, sizeof(data));
	httpd_start(&f.httpd, f.root);
	CHECK_MSG(dnsd_start(&f.dnsd, names) == 0, "cannot bind 127.0.0.1:53 in a fresh namespace");
	/* Static addresses, the DNS server on the host (10.0.2.2:53). */
	CHECK_EQ(net_static(f.s, 0x0a00020f, 0xffffff00, 0x0a000202, 0x0a000202), 0);
	CHECK_EQ(net_resolve(f.s, "boot.test", &ip), 0);
	CHECK_EQ(ip, 0x0a000202);
	snprintf(url, sizeof(url), "http://boot.test:%u/f/k", f.httpd.port);
	load_and_compare(&f, url, data, sizeof(data));
	snprintf(url, sizeof(url), "http://nowhere.test:%u/f/k", f.httpd.port);
	load_fails(&f, url, 1000, -ENOENT, "does not know nowhere.test", true);
	nfx_finish(&f);
}

static void tftp_url(char *url, size_t cap, const struct nfx *f, const char *name)
{
	snprintf(url, cap, "tftp://10.0.2.2:%u/%s", f->tftpd.port, name);
}

/* Our TFTP server: blksize 1468 and windowsize 16 as asked; sizes around
 * the block and the window, and a file past the 16-bit block counter with
 * 8-byte blocks. */
TEST(net_tftp_windowed)
{
	static const size_t sizes[] = { 0, 1467, 1468, 1469, 11744, 23487, 23488, 23489, 2 << 20 };
	struct nfx f = { 0 };
	uint8_t *data = malloc(2 << 20);
	char url[128];

	CHECK(data != NULL);
	nfx_fill(data, 2 << 20, 9);
	nfx_start(&f);
	tftpd_start(&f.tftpd, f.root, TFTPD_NORMAL);
	nfx_static(&f);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "w%zu", sizes[i]);
		nfx_file(&f, name, data, sizes[i]);
		tftp_url(url, sizeof(url), &f, name);
		load_and_compare(&f, url, data, sizes[i]);
	}
	nfx_check_pools(&f);
	nfx_finish(&f);
	free(data);
}

TEST(net_tftp_block_number_rollover)
{
	size_t len = 65536 * 8 + 100; /* 65549 blocks of 8 bytes */
	struct nfx f = { .params = { .tftp_blksize = 8, .tftp_windowsize = 16 } };
	uint8_t *data = malloc(len);
	char url[128];

	CHECK(data != NULL);
	nfx_fill(data, len, 10);
	nfx_start(&f);
	tftpd_start(&f.tftpd, f.root, TFTPD_NORMAL);
	nfx_static(&f);
	nfx_file(&f, "r", data, len);
	tftp_url(url, sizeof(url), &f, "r");
	load_and_compare(&f, url, data, len);
	nfx_finish(&f);
	free(data);
}

/* Servers that ignore or refuse options get plain 512-byte lock-step. */
TEST(net_tftp_option_fallbacks)
{
	struct nfx f = { .params = { .tftp_timeout_ms = 200 } };
	uint8_t data[5000];
	char url[128];

	nfx_fill(data, sizeof(data), 11);
	nfx_start(&f);
	nfx_file(&f, "o", data, sizeof(data));
	nfx_static(&f);
	tftpd_start(&f.tftpd, f.root, TFTPD_IGNORE_OPTIONS);
	tftp_url(url, sizeof(url), &f, "o");
	load_and_compare(&f, url, data, sizeof(data));
	/* Without tsize the buffer is the only bound: the block that would
	 * pass it fails, and nothing past the end is written. */
	load_fails(&f, url, 4000, -EFBIG, "larger than the 4000-byte buffer", false);
	netsrv_stop(&f.tftpd);
	tftpd_start(&f.tftpd, f.root, TFTPD_REFUSE_OPTIONS);
	tftp_url(url, sizeof(url), &f, "o");
	load_and_compare(&f, url, data, sizeof(data));
	nfx_finish(&f);
}

/* Blocks of 1000 bytes here: a block one byte over 1468 would not even
 * arrive (fragmented, and fragments are dropped). */
TEST(net_tftp_hostile_servers)
{
	struct nfx f = { .params = { .tftp_timeout_ms = 100, .tftp_retries = 3,
				     .tftp_blksize = 1000 } };
	uint8_t data[20000];
	char url[128], marker[128];

	nfx_fill(data, sizeof(data), 12);
	nfx_start(&f);
	nfx_file(&f, "h", data, sizeof(data));
	nfx_static(&f);
	/* A datagram from another port mid-transfer: ERROR 5 to it, and the
	 * transfer goes on. */
	tftpd_start(&f.tftpd, f.root, TFTPD_STRANGER);
	tftp_url(url, sizeof(url), &f, "h");
	load_and_compare(&f, url, data, sizeof(data));
	snprintf(marker, sizeof(marker), "%s/.stranger_got_error5", f.root);
	for (int i = 0; i < 100 && access(marker, F_OK) != 0; i++)
		usleep(10000);
	CHECK_MSG(access(marker, F_OK) == 0, "the stranger got no ERROR 5");
	netsrv_stop(&f.tftpd);
	tftpd_start(&f.tftpd, f.root, TFTPD_OVERSIZED);
	tftp_url(url, sizeof(url), &f, "h");
	load_fails(&f, url, sizeof(data), -EPROTO, "a 1001-byte block, larger than the agreed 1000", false);
	netsrv_stop(&f.tftpd);
	tftpd_start(&f.tftpd, f.root, TFTPD_DENY);
	tftp_url(url, sizeof(url), &f, "h");
	load_fails(&f, url, sizeof(data), -EACCES,
		   "error 2 (access violation): \"Access violation: not for you\"", true);
	netsrv_stop(&f.tftpd);
	tftpd_start(&f.tftpd, f.root, TFTPD_SILENT);
	tftp_url(url, sizeof(url), &f, "h");
	load_fails(&f, url, sizeof(data), -ETIMEDOUT, "no answer from the TFTP server after 4 tries",
		   true);
	nfx_finish(&f);
}

/* 5% of frames lost each way, 2% reordered, 5% of sends refused (-EAGAIN):
 * every download still completes with the right bytes. */
TEST(net_loss_and_reordering)
{
	size_t len = 1 << 20;
	struct nfx f = { .params = { .tftp_timeout_ms = 100, .tftp_retries = 30 },
			 .loss = 50, .reorder = 20, .busy = 50, .rng = 12345, .slirp_speed = 30 };
	uint8_t *data = malloc(len);
	struct net_stats st;
	char url[128];

	CHECK(data != NULL);
	nfx_fill(data, len, 13);
	nfx_start(&f);
	nfx_file(&f, "l", data, len);
	httpd_start(&f.httpd, f.root);
	tftpd_start(&f.tftpd, f.root, TFTPD_NORMAL);
	nfx_static(&f);
	f.impair = true;
	tftp_url(url, sizeof(url), &f, "l");
	load_and_compare(&f, url, data, len);
	/* TCP at 5% loss is slow (slirp's is 4.4BSD's: no SACK), so less. */
	nfx_file(&f, "m", data, len / 2);
	http_url(url, sizeof(url), &f, "/f/m");
	load_and_compare(&f, url, data, len / 2);
	http_url(url, sizeof(url), &f, "/chunked/m");
	load_and_compare(&f, url, data, len / 2);
	f.impair = false;
	net_get_stats(f.s, &st);
	CHECK_MSG(f.lost > 100 && f.reordered > 10 && f.refused > 10,
		  "lost %llu, reordered %llu, refused %llu", (unsigned long long)f.lost,
		  (unsigned long long)f.reordered, (unsigned long long)f.refused);
	CHECK(st.tx_busy_drops == 0); /* every refused send went through on a retry */
	nfx_check_pools(&f);
	nfx_finish(&f);
	free(data);
}

/* Lock-step (windowsize 1) under loss: duplicates re-acknowledged, lost
 * ACKs and blocks recovered by retransmission. */
TEST(net_tftp_lockstep_loss)
{
	size_t len = 150000;
	struct nfx f = { .params = { .tftp_timeout_ms = 100, .tftp_retries = 30,
				     .tftp_windowsize = 1 },
			 .loss = 50, .reorder = 20, .rng = 777 };
	uint8_t *data = malloc(len);
	char url[128];

	CHECK(data != NULL);
	nfx_fill(data, len, 14);
	nfx_start(&f);
	nfx_file(&f, "s", data, len);
	tftpd_start(&f.tftpd, f.root, TFTPD_NORMAL);
	nfx_static(&f);
	f.impair = true;
	tftp_url(url, sizeof(url), &f, "s");
	load_and_compare(&f, url, data, len);
	nfx_finish(&f);
	free(data);
}

struct seen {
	unsigned calls;
	uint64_t last_bytes, total;
	bool backwards;
};

static void on_progress(const struct net_progress *p, void *ctx)
{
	struct seen *s = ctx;

	s->calls++;
	if (p->bytes < s->last_bytes)
		s->backwards = true;
	s->last_bytes = p->bytes;
	s->total = p->total;
}

static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

void net_port_assert(const char *msg, const char *file, int line);

/* Progress during a transfer; one stack at a time; close and open again;
 * an lwIP assertion stops the stack instead of hanging it. */
TEST(net_stack_lifecycle)
{
	size_t len = 4 << 20;
	struct seen seen = { 0 };
	struct nfx f = { .progress = on_progress, .progress_ctx = &seen };
	uint8_t *data = malloc(len);
	struct net_progress p;
	char url[128];

	CHECK(data != NULL);
	nfx_fill(data, len, 15);
	nfx_start(&f);
	nfx_file(&f, "p", data, len);
	httpd_start(&f.httpd, f.root);
	nfx_static(&f);
	CHECK(net_open(&f.cfg) == NULL);
	CHECK(log_has("a network stack is open already"));
	tftpd_start(&f.tftpd, f.root, TFTPD_NORMAL);
	snprintf(url, sizeof(url), "tftp://10.0.2.2:%u/p", f.tftpd.port);
	load_and_compare(&f, url, data, len);
	net_get_progress(f.s, &p);
	CHECK_EQ(p.bytes, len);
	CHECK(seen.calls > 0 && !seen.backwards && seen.total == len);
	/* Close, open again on the same link: a fresh lease works. */
	net_close(f.s);
	f.s = net_open(&f.cfg);
	CHECK(f.s != NULL);
	nfx_dhcp(&f);
	http_url(url, sizeof(url), &f, "/f/p");
	load_and_compare(&f, url, data, len);
	/* An lwIP assertion: logged, and every later operation fails. */
	net_port_assert("test", "here.c", 1);
	CHECK(log_has("lwIP assertion \"test\" failed at here.c:1"));
	CHECK_EQ(net_wait(f.s, never, NULL, net_now(f.s) + 1000), -EIO);
	load_fails(&f, url, len, -EIO, "the network stack is stopped", true);
	nfx_finish(&f);
	free(data);
}

/* Every wait ends: DHCP on a dead link or one that loses everything, an
 * HTTP server that accepts and says nothing. */
TEST(net_timeouts)
{
	struct nfx f = { .params = { .dhcp_timeout_ms = 300, .http_idle_ms = 300,
				     .http_timeout_ms = 60000 },
			 .loss = 1000 };
	char url[128];
	uint8_t *buf;
	size_t got;

	nfx_start(&f);
	httpd_start(&f.httpd, f.root);
	f.link.up = false;
	CHECK_EQ(net_dhcp(f.s, NULL), -ETIMEDOUT);
	CHECK(strstr(net_error(f.s), "within 300 ms: the link is down"));
	f.link.up = true;
	f.impair = true;
	CHECK_EQ(net_dhcp(f.s, NULL), -ETIMEDOUT);
	CHECK(strstr(net_error(f.s), "is a DHCP server on the network?"));
	/* net_load without an address tries DHCP first, and says so. */
	CHECK_EQ(nfx_load(&f, "dhcp", 10, &buf, &got), -ETIMEDOUT);
	free(buf);
	f.impair = false;
	nfx_static(&f);
	http_url(url, sizeof(url), &f, "/hang");
	load_fails(&f, url, 10, -ETIMEDOUT, "no data for 300 ms", true);
	/* The whole-transfer bound, with a patient idle bound. */
	net_close(f.s);
	f.cfg.params.http_timeout_ms = 200;
	f.cfg.params.http_idle_ms = 10000;
	f.s = net_open(&f.cfg);
	CHECK(f.s != NULL);
	nfx_static(&f);
	load_fails(&f, url, 10, -ETIMEDOUT, "the transfer took longer than 200 ms", true);
	nfx_finish(&f);
}
