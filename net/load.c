/* net_load: a source string to bytes in the destination and their SHA-256. */
#include <errno.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/sha256.h"
#include "stack.h"

int net_load(struct net_stack *s, const char *source, void *dst, size_t dst_len, size_t *got,
	     uint8_t digest[32])
{
	uint8_t sum[SHA256_DIGEST_LEN];
	char want_hex[SHA256_HEX_LEN], got_hex[SHA256_HEX_LEN];
	struct net_url u;
	const char *why;
	uint32_t ip;
	int rc;

	*got = 0;
	s->err[0] = '\0';
	if (s->broken)
		return net_fail(s, -EIO, "the network stack is stopped (an lwIP assertion failed)");
	if (net_url_parse(source, &u, &why))
		return net_fail(s, -EINVAL, "bad source \"%.200s\": %s", source, why);
	if (!s->have_lease) {
		rc = net_dhcp(s, NULL);
		if (rc)
			return rc;
	}
	if (u.scheme == NET_SCHEME_DHCP) {
		const struct net_lease *l = &s->lease;

		if (net_url_from_lease(&u, l->bootfile, l->tftp_server, l->next_server, &why))
			return net_fail(s, -ENOENT, "source dhcp: %s", why);
	}
	net_progress_begin(s);
	if (u.scheme == NET_SCHEME_TFTP) {
		rc = net_resolve(s, u.host, &ip);
		if (rc == 0)
			rc = net_tftp_get(s, &u, ip, dst, dst_len, got);
	} else {
		rc = net_http_get(s, &u, dst, dst_len, got);
	}
	if (rc) {
		*got = 0;
		return rc;
	}
	/* Hashing costs more than a fast download (one pass over the bytes
	 * at about a GB/s): only when someone reads the sum. */
	if (digest || u.has_digest)
		sha256(dst, *got, sum);
	if (digest)
		memcpy(digest, sum, sizeof(sum));
	if (u.has_digest && memcmp(sum, u.digest, sizeof(sum)) != 0) {
		sha256_hex(u.digest, want_hex);
		sha256_hex(sum, got_hex);
		*got = 0;
		return net_fail(s, -EBADMSG, "%.200s: SHA-256 is %s, the source says %s", source,
				got_hex, want_hex);
	}
	/* The bar reaches the end even for a transfer shorter than a tick. */
	net_progress_set(s, *got, *got);
	net_progress_report(s, true);
	log_info("net: loaded %zu bytes from %.200s", *got, source);
	return 0;
}
