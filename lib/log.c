#include "log.h"

#include <stdio.h>

static hvb_log_sink log_sink;
static void *log_ctx;
static enum hvb_log_level log_max = HVB_LOG_INFO;

void hvb_log_set_sink(hvb_log_sink sink, void *ctx)
{
	log_sink = sink;
	log_ctx = ctx;
}

void hvb_log_set_level(enum hvb_log_level max_level) { log_max = max_level; }

void hvb_log(enum hvb_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_sink)
		log_sink(level, line, log_ctx);
}
