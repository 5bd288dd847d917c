/* The boot fields of a DHCP reply, read by our own code rather than lwIP's:
 * lwIP runs the DHCP state machine but keeps neither option 66 nor 67, so
 * net/dhcp.c snoops the ACK off the wire and parses it here. Pure functions
 * on bytes (no lwIP), so they are unit-tested and fuzzed (fuzz_dhcp).
 *
 * The rules (research notes 2.7): every length is checked before the bytes
 * it covers are read; every loop advances; strings are copied with an
 * explicit destination size and never truncated silently. */
#ifndef NET_DHCP_OPTS_H
#define NET_DHCP_OPTS_H

#include <stddef.h>
#include <stdint.h>

#define DHCP_FIXED_LEN 236  /* op .. file, before the magic cookie */
#define DHCP_MIN_LEN 240    /* with the cookie */
#define DHCP_MAX_LEN 1472   /* a 1500-byte MTU less IP and UDP headers */
#define DHCP_STR_MAX 255    /* longest option 66 or 67 we keep (+ NUL) */

enum {
	DHCP_TYPE_OFFER = 2,
	DHCP_TYPE_ACK = 5,
	DHCP_TYPE_NAK = 6,
};

struct dhcp_boot_info {
	uint8_t msg_type;   /* option 53, 0 without one (BOOTP) */
	uint32_t xid;
	uint8_t chaddr[6];
	uint32_t yiaddr;    /* host byte order, as every address here */
	uint32_t siaddr;    /* next-server */
	uint32_t server_id; /* option 54, 0 without one */
	uint8_t overload;   /* option 52: 1 file, 2 sname, 3 both; 0 none */
	/* Option 66, else the sname field when it is not overloaded; "". */
	char tftp_server[DHCP_STR_MAX + 1];
	/* Option 67, else the file field when it is not overloaded; "". */
	char bootfile[DHCP_STR_MAX + 1];
};

/* Parses a BOOTREPLY (the UDP payload). 0, or -EINVAL for a malformed
 * message (short, not a reply, bad cookie, an option running past its
 * field, a bad overload or fixed-size option, a name with control bytes),
 * -E2BIG for a name over DHCP_STR_MAX. Repeated options 66 and 67 are
 * concatenated (RFC 3396); the file and sname fields are read for options
 * after the options field when option 52 says so (RFC 2132 9.3). */
int dhcp_parse_boot(const uint8_t *msg, size_t len, struct dhcp_boot_info *out);

/* If the Ethernet frame is an IPv4 UDP datagram from port 67 to port 68
 * (not a fragment, header and UDP checksums right, every length inside the
 * frame), points *payload at the UDP payload and returns 1; else 0. */
int dhcp_snoop_frame(const uint8_t *frame, size_t len, const uint8_t **payload,
		     size_t *payload_len);

/* Adds options 66 and 67 to the parameter request list (option 55) in a
 * message being built: options[0..*len) holds the options so far (no END
 * yet), cap is the room. Extends the last option when it is 55, else appends
 * a second 55 (RFC 3396 concatenates them). Leaves one byte for END; does
 * nothing when there is no room or both are asked for already. */
void dhcp_request_boot_options(uint8_t *options, size_t cap, uint16_t *len);

#endif
