/* The network stack end to end over slirp: DHCP, TFTP and HTTP downloads
 * into bounded buffers, with loss and reordering. */
#include <stdlib.h>
#include <string.h>

#include "../lib/sha256.h"
#include "fixture.h"
#include "netfix.h"

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
	nfx_check_pools();
	nfx_finish(&f);
	free(data);
}
