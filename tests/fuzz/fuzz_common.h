/* Shared by the fuzz targets: logging off (a fuzzer makes millions of bad
 * inputs; each would log a line). */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include "../../lib/log.h"

static void fuzz_drop_log(enum hvb_log_level l, const char *line, void *ctx)
{
	(void)l;
	(void)line;
	(void)ctx;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	hvb_log_set_sink(fuzz_drop_log, NULL);
	return 0;
}

#endif
