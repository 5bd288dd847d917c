/* The trace: one line per channel message (and, from stage 2, ring packet),
 * in the format documented in hvsim(1):
 *   msg <g2h|h2g> conn=<connection id> type=<number> <NAME> len=<bytes> <hex>
 * <hex> is the whole channel message from its 8-byte header, lowercase. */
#include <string.h>

#include "sim.h"

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
	for (uint32_t i = 0; i < len; i++)
		fprintf(f, "%02x", b[i]);
	fputc('\n', f);
	fflush(f);
}
