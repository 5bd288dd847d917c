/* Where a file comes from: the source strings net_load takes.
 *   tftp://host[:port]/path   the file "path" (RFC 3617: without the slash)
 *   http://host[:port]/path   an HTTP/1.1 GET of /path
 *   dhcp                      the lease's boot file: a tftp:// or http://
 *                             URL, or a TFTP path on the server option 66
 *                             names, else on next-server (siaddr)
 * each optionally followed by #sha256=<64 hex digits>. Hosts are dotted
 * quads or DNS names. Paths are sent as written (no percent-decoding) and
 * may hold only printable ASCII without spaces. Pure code (no lwIP). */
#ifndef NET_URL_H
#define NET_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_HOST_MAX 253
#define NET_PATH_MAX 1024

enum net_scheme { NET_SCHEME_TFTP, NET_SCHEME_HTTP, NET_SCHEME_DHCP };

struct net_url {
	enum net_scheme scheme;
	char host[NET_HOST_MAX + 1]; /* "" for dhcp */
	bool host_is_ip;
	uint32_t ip;                 /* when host_is_ip; host byte order */
	uint16_t port;               /* 69 or 80 unless given */
	char path[NET_PATH_MAX + 1];
	bool has_digest;
	uint8_t digest[32];
};

/* 0, or -EINVAL with *why a phrase ("the port is not a number 1-65535"). */
int net_url_parse(const char *s, struct net_url *u, const char **why);
/* Turns a parsed "dhcp" source into the URL the lease names, keeping its
 * digest. tftp_server (option 66 or sname) may be "" and siaddr 0. */
int net_url_from_lease(struct net_url *u, const char *bootfile, const char *tftp_server,
		       uint32_t siaddr, const char **why);
/* The target of an HTTP redirect: an absolute http:// URL, or an absolute
 * path on the same host and port. The digest stays the original's. */
int net_url_redirect(const struct net_url *base, const char *location, struct net_url *out,
		     const char **why);
/* "host[:port]/path" as a user wrote it, for messages (port only if not
 * the default). */
void net_url_str(const struct net_url *u, char *out, size_t cap);

/* A strict dotted quad: four decimal numbers 0-255, no leading zeros
 * beyond "0", nothing else. 0 or -EINVAL. */
int net_parse_ipv4(const char *s, size_t n, uint32_t *ip);
void net_ip_str(uint32_t ip, char out[16]);

#endif
