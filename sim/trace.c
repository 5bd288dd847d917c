/* The trace: one line per channel message and per ring packet, in the
 * format documented in hvsim(1):
 *   msg <g2h|h2g> conn=<connection id> type=<number> <NAME> len=<bytes> <hex>
 *   pkt <g2h|h2g> relid=<n> type=<n> flags=<n> tid=<n> len=<bytes> <hex>
 * <hex> is the whole channel message from its 8-byte header, or the whole
 * packet from its descriptor without the 8-byte trailer; lowercase. */
#include <string.h>

#include "sim.h"

/* Packets can be large: hex in chunks, not a call per byte. */
static void put_hex(FILE *f, const uint8_t *b, uint32_t len)
{
	static const char digits[] = "0123456789abcdef";
	char buf[1024];
	uint32_t n = 0;

	for (uint32_t i = 0; i < len; i++) {
		buf[n++] = digits[b[i] >> 4];
		buf[n++] = digits[b[i] & 15];
		if (n == sizeof(buf)) {
			fwrite(buf, 1, n, f);
			n = 0;
		}
	}
	fwrite(buf, 1, n, f);
	fputc('\n', f);
	fflush(f);
}

void sim_trace_msg(struct hvsim *sim, bool g2h, uint32_t conn, const void *msg, uint32_t len)
{
	const uint8_t *b = msg;
	uint32_t type = 0;
	FILE *f = sim->cfg.trace;

	if (!f)
		return;
	if (len >= 4)
		memcpy(&type, b, 4);
	fprintf(f, "msg %s conn=%u type=%u %s len=%u ", g2h ? "g2h" : "h2g", conn, type,
		vmbus_msg_name(type), len);
	put_hex(f, b, len);
}

void sim_trace_pkt(struct hvsim *sim, bool g2h, uint32_t relid, const void *pkt, uint32_t len)
{
	struct vmbus_pkt_desc d;
	FILE *f = sim->cfg.trace;

	if (!f)
		return;
	memset(&d, 0, sizeof(d));
	memcpy(&d, pkt, len < sizeof(d) ? len : sizeof(d));
	fprintf(f, "pkt %s relid=%u type=%u flags=%u tid=%llu len=%u ", g2h ? "g2h" : "h2g", relid,
		d.type, d.flags, (unsigned long long)d.trans_id, len);
	put_hex(f, pkt, len);
}
