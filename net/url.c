/* Source strings (url.h). Every field is copied with its destination's size
 * checked first; anything unexpected is refused with a phrase saying what. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/sha256.h"
#include "url.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Printable ASCII without space: what a path may hold. */
static bool is_path_char(char c)
{
	return c > 0x20 && c < 0x7f;
}

int net_parse_ipv4(const char *s, size_t n, uint32_t *ip)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		uint32_t x = 0;
		size_t digits = 0;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return -EINVAL;
			i++;
		}
		while (i < n && is_digit(s[i]) && digits < 4) {
			x = x * 10 + (uint32_t)(s[i] - '0');
			i++;
			digits++;
		}
		/* "010" could be read as octal elsewhere: refuse it. */
		if (digits == 0 || digits > 3 || x > 255 || (digits > 1 && s[i - digits] == '0'))
			return -EINVAL;
		v = v << 8 | x;
	}
	if (i != n)
		return -EINVAL;
	*ip = v;
	return 0;
}

void net_ip_str(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

/* A DNS name: letters, digits, '-' and '.', labels of 1-63, at most 253. */
static bool valid_name(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > NET_HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (is_alnum(s[i]) || s[i] == '-') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

static int set_host(struct net_url *u, const char *h, size_t n, const char **why)
{
	bool numeric = true;

	for (size_t i = 0; i < n; i++)
		if (!is_digit(h[i]) && h[i] != '.')
			numeric = false;
	if (numeric && n > 0) {
		/* All digits and dots is an address or nothing: never a name. */
		if (net_parse_ipv4(h, n, &u->ip) != 0) {
			*why = "the host is not a valid IPv4 address";
			return -EINVAL;
		}
		u->host_is_ip = true;
	} else if (!valid_name(h, n)) {
		*why = "the host is not a valid DNS name or IPv4 address";
		return -EINVAL;
	}
	memcpy(u->host, h, n);
	u->host[n] = '\0';
	return 0;
}

static int set_path(struct net_url *u, const char *p, size_t n, const char **why)
{
	if (n > NET_PATH_MAX) {
		*why = "the path is too long";
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_path_char(p[i])) {
			*why = "the path holds a space or a control character";
			return -EINVAL;
		}
	memcpy(u->path, p, n);
	u->path[n] = '\0';
	return 0;
}

/* "#sha256=<64 hex>" or nothing; frag points after the '#'. */
static int set_digest(struct net_url *u, const char *frag, const char **why)
{
	static const char key[] = "sha256=";

	if (strncmp(frag, key, sizeof(key) - 1) != 0 ||
	    sha256_parse_hex(frag + sizeof(key) - 1, u->digest) != 0) {
		*why = "the part after '#' is not sha256= and 64 hex digits";
		return -EINVAL;
	}
	u->has_digest = true;
	return 0;
}

/* host[:port]/path after the scheme; end is where the fragment begins. */
static int parse_authority_path(struct net_url *u, const char *s, const char *end,
				const char **why)
{
	const char *slash = memchr(s, '/', (size_t)(end - s));
	const char *colon, *host_end;

	if (!slash) {
		*why = "there is no path after the host";
		return -EINVAL;
	}
	colon = memchr(s, ':', (size_t)(slash - s));
	host_end = colon ? colon : slash;
	if (set_host(u, s, (size_t)(host_end - s), why))
		return -EINVAL;
	if (colon) {
		uint32_t port = 0;
		const char *p = colon + 1;

		if (p == slash || slash - p > 5) {
			*why = "the port is not a number 1-65535";
			return -EINVAL;
		}
		for (; p < slash; p++) {
			if (!is_digit(*p)) {
				*why = "the port is not a number 1-65535";
				return -EINVAL;
			}
			port = port * 10 + (uint32_t)(*p - '0');
		}
		if (port == 0 || port > 65535) {
			*why = "the port is not a number 1-65535";
			return -EINVAL;
		}
		u->port = (uint16_t)port;
	}
	if (u->scheme == NET_SCHEME_TFTP) {
		/* RFC 3617: the file name is the path without its first slash. */
		if (end - slash < 2) {
			*why = "there is no file name after the host";
			return -EINVAL;
		}
		return set_path(u, slash + 1, (size_t)(end - slash - 1), why);
	}
	return set_path(u, slash, (size_t)(end - slash), why);
}

int net_url_parse(const char *s, struct net_url *u, const char **why)
{
	const char *hash = strchr(s, '#');
	const char *end = hash ? hash : s + strlen(s);

	memset(u, 0, sizeof(*u));
	*why = "";
	if (hash && set_digest(u, hash + 1, why))
		return -EINVAL;
	if ((size_t)(end - s) == 4 && memcmp(s, "dhcp", 4) == 0) {
		u->scheme = NET_SCHEME_DHCP;
		return 0;
	}
	if (strncmp(s, "tftp://", 7) == 0) {
		u->scheme = NET_SCHEME_TFTP;
		u->port = 69;
		return parse_authority_path(u, s + 7, end, why);
	}
	if (strncmp(s, "http://", 7) == 0) {
		u->scheme = NET_SCHEME_HTTP;
		u->port = 80;
		return parse_authority_path(u, s + 7, end, why);
	}
	if (strncmp(s, "https://", 8) == 0)
		*why = "https is not supported (use http with #sha256=)";
	else
		*why = "the source is not tftp://, http:// or dhcp";
	return -EINVAL;
}

int net_url_from_lease(struct net_url *u, const char *bootfile, const char *tftp_server,
		       uint32_t siaddr, const char **why)
{
	struct net_url n;
	char ip[16];

	*why = "";
	if (bootfile[0] == '\0') {
		*why = "the DHCP lease names no boot file (option 67 or the file field)";
		return -EINVAL;
	}
	if (strncmp(bootfile, "tftp://", 7) == 0 || strncmp(bootfile, "http://", 7) == 0) {
		if (strchr(bootfile, '#')) {
			*why = "the DHCP boot file URL has a '#' part";
			return -EINVAL;
		}
		if (net_url_parse(bootfile, &n, why))
			return -EINVAL;
	} else {
		memset(&n, 0, sizeof(n));
		n.scheme = NET_SCHEME_TFTP;
		n.port = 69;
		if (tftp_server[0]) {
			if (set_host(&n, tftp_server, strlen(tftp_server), why))
				return -EINVAL;
		} else if (siaddr != 0) {
			net_ip_str(siaddr, ip);
			if (set_host(&n, ip, strlen(ip), why))
				return -EINVAL;
		} else {
			*why = "the DHCP lease names a boot file but no TFTP server (option 66 or next-server)";
			return -EINVAL;
		}
		if (set_path(&n, bootfile, strlen(bootfile), why))
			return -EINVAL;
	}
	n.has_digest = u->has_digest;
	memcpy(n.digest, u->digest, sizeof(n.digest));
	*u = n;
	return 0;
}

int net_url_redirect(const struct net_url *base, const char *location, struct net_url *out,
		     const char **why)
{
	struct net_url n;

	*why = "";
	if (location[0] == '/' && location[1] != '/') {
		n = *base;
		if (strchr(location, '#')) {
			*why = "the redirect has a '#' part";
			return -EINVAL;
		}
		if (set_path(&n, location, strlen(location), why))
			return -EINVAL;
	} else if (strncmp(location, "http://", 7) == 0) {
		if (strchr(location, '#')) {
			*why = "the redirect has a '#' part";
			return -EINVAL;
		}
		if (net_url_parse(location, &n, why))
			return -EINVAL;
	} else {
		*why = "the redirect is not to an http:// URL or an absolute path";
		return -EINVAL;
	}
	n.has_digest = base->has_digest;
	memcpy(n.digest, base->digest, sizeof(n.digest));
	*out = n;
	return 0;
}

void net_url_str(const struct net_url *u, char *out, size_t cap)
{
	bool default_port = u->port == (u->scheme == NET_SCHEME_HTTP ? 80 : 69);
	const char *sep = u->scheme == NET_SCHEME_TFTP ? "/" : "";

	if (default_port)
		snprintf(out, cap, "%s%s%s", u->host, sep, u->path);
	else
		snprintf(out, cap, "%s:%u%s%s", u->host, u->port, sep, u->path);
}
