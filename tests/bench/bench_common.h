/* Shared by the benchmarks: a clock, quiet logging, the JSON line. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdio.h>
#include <time.h>

#include "../../lib/log.h"

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Only warnings and errors reach stderr. */
static inline void bench_quiet_log(enum hvb_log_level l, const char *line, void *ctx)
{
	(void)ctx;
	if (l <= HVB_LOG_WARN)
		fprintf(stderr, "bench: %s\n", line);
}

/* {"bench": NAME, "value": V, "unit": U, "ref": R, "ratio": V/R} */
static inline void bench_emit(const char *name, double value, const char *unit, double ref)
{
	printf("{\"bench\": \"%s\", \"value\": %.1f, \"unit\": \"%s\", \"ref\": %.1f, \"ratio\": %.3f}\n",
	       name, value, unit, ref, ref > 0 ? value / ref : 0.0);
	fflush(stdout);
}

#endif
