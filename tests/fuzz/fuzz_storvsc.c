/* libFuzzer target: storvsc's handling of host completions: the vstor_packet
 * copy and check, the SRB judgement (transfer length, sense bounded by both
 * lengths, fixed and descriptor formats), and REPORT LUNS parsing.
 * Input: [requested length u16][sense cap u8][completion payload ...]. */
#include <stdint.h>
#include <string.h>

#include "../../vsc/storvsc.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	struct storvsc_cmd cmd;
	struct vstor_packet vp;
	uint8_t luns[STORVSC_MAX_LUNS];
	unsigned skipped, count;
	char why[300];

	if (n < 3)
		return 0;
	memset(&cmd, 0, sizeof(cmd));
	cmd.len = (uint32_t)in[0] | (uint32_t)in[1] << 8;
	cmd.cdb[0] = SCSI_READ_16;
	if (storvsc_parse_completion(in + 3, (uint32_t)(n - 3), &vp) == 0) {
		int rc = storvsc_judge_srb(&vp.srb, in[2], &cmd);

		if (rc == 0 && cmd.transferred > cmd.len)
			__builtin_trap();
		cmd.status = rc;
		storvsc_describe(&cmd, why, sizeof(why));
	}
	count = storvsc_parse_report_luns(in + 3, (uint32_t)(n - 3), luns, STORVSC_MAX_LUNS, &skipped);
	for (unsigned i = 0; i < count; i++)
		if (luns[i] >= STORVSC_MAX_LUNS)
			__builtin_trap();
	return 0;
}
