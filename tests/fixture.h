/* Test fixtures: an hvsim with a guest on top, and captured log lines. */
#ifndef TEST_FIXTURE_H
#define TEST_FIXTURE_H

#include "../lib/log.h"
#include "../sim/hvsim.h"
#include "../vmbus/hv.h"
#include "../vmbus/vmbus.h"
#include "harness.h"

struct fx {
	struct hvsim_config cfg;
	struct hvsim *sim;
	struct hv_seam *seam;
	struct hv hv;
	struct vmbus vb;
	char *trace_buf;
	size_t trace_len;
};

/* Default config: stepped, seed 1, full Hyper-V, default devices. */
void fx_config(struct fx *f);
/* Creates the simulator from f->cfg (with a trace in memory) and starts
 * capturing log lines. */
void fx_start(struct fx *f);
/* hv_init + vmbus_connect; CHECKs both succeed. */
void fx_connect(struct fx *f);
/* unload, teardown, audit clean, no violations. */
void fx_finish(struct fx *f);
void fx_destroy(struct fx *f);
/* Fail the test if hvsim recorded violations. */
void fx_no_violations(struct fx *f);

/* Captured log lines (all levels); fx_start starts capturing, or call
 * log_capture_start for tests without a simulator. */
void log_capture_start(void);
bool log_has(const char *needle);
void log_clear(void);
void log_dump(void);
/* Starts capturing log lines without a simulator (the network tests). */
void log_capture(void);
/* The trace so far (NUL-terminated). */
const char *fx_trace(struct fx *f);
unsigned count_substr(const char *hay, const char *needle);

/* Short waits for tests of timeouts (virtual time: fast anyway). */
extern const struct vmbus_params fx_short_timeouts;

#endif

/* An inventory line sink writing to a FILE. */
void fputs_line(const char *line, void *file);
