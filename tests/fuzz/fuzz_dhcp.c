/* libFuzzer target: the DHCP boot-field parser, the frame snooper and the
 * parameter-request writer (net/dhcp_opts.c).
 * Input: [u8 mode][bytes]
 *   mode 0-127: the bytes are a BOOTREPLY for dhcp_parse_boot
 *   mode 128-191: the bytes are an Ethernet frame for dhcp_snoop_frame,
 *                 whose payload (if any) goes to dhcp_parse_boot
 *   mode 192-255: the bytes are options being built (at most 68, as in
 *                 lwIP's messages) for dhcp_request_boot_options, with
 *                 room for (mode & 63) more
 * Checked: names are terminated inside their arrays, failures leave the
 * result zeroed, the snooped payload lies inside the frame, the request
 * writer stays within its room and keeps a byte for END. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "../../net/dhcp_opts.h"

static void parse(const uint8_t *p, size_t n)
{
	struct dhcp_boot_info i;
	int rc = dhcp_parse_boot(p, n, &i);

	if (memchr(i.bootfile, 0, sizeof(i.bootfile)) == NULL ||
	    memchr(i.tftp_server, 0, sizeof(i.tftp_server)) == NULL || i.overload > 3)
		__builtin_trap();
	if (rc != 0 && (i.bootfile[0] || i.tftp_server[0] || i.xid || i.msg_type))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	if (n < 1)
		return 0;
	if (in[0] < 128) {
		parse(in + 1, n - 1);
	} else if (in[0] < 192) {
		const uint8_t *p;
		size_t pn;

		if (dhcp_snoop_frame(in + 1, n - 1, &p, &pn)) {
			if (p < in + 1 || pn > n - 1 || (size_t)(p - (in + 1)) > n - 1 - pn)
				__builtin_trap();
			parse(p, pn);
		}
	} else {
		uint8_t o[68 + 64 + 1];
		size_t have = n - 1 > 68 ? 68 : n - 1;
		size_t cap = have + (in[0] & 63);
		uint16_t len = (uint16_t)have;

		memcpy(o, in + 1, have);
		o[cap] = 0xee; /* just past the room */
		dhcp_request_boot_options(o, cap, &len);
		if (len < have || (len > have && len + 1u > cap) || o[cap] != 0xee)
			__builtin_trap();
	}
	return 0;
}
