/* A progress line for every load, drawn on the console and the serial
 * port with '\r' before it, so each line overwrites the last:
 *   kernel   [##########----------]  52%     3.9 MiB /    7.5 MiB   11.2 MB/s
 * and, when the total is unknown (HTTP without Content-Length, TFTP without
 * tsize), bytes and rate only. Every line is exactly PROGRESS_LINE_W
 * characters (padded with spaces), so a shorter one never leaves the tail
 * of a longer one behind on a serial terminal. Sizes are binary (KiB,
 * MiB), rates decimal (kB/s, MB/s) as curl and wget print them.
 * Integer arithmetic only (the image makes no assumption about SSE), and
 * no division by a zero elapsed time. Times are the caller's, in us. */
#ifndef BOOT_PROGRESS_H
#define BOOT_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROGRESS_LABEL_W 8              /* longer labels are cut */
#define PROGRESS_BAR_W 20
#define PROGRESS_LINE_W 73
#define PROGRESS_LINE_MAX (PROGRESS_LINE_W + 1) /* a buffer for one line */
#define PROGRESS_INTERVAL_US 100000     /* at most 10 lines per second */

struct progress {
	char label[PROGRESS_LABEL_W + 1];
	uint64_t total;    /* bytes; 0 = unknown */
	uint64_t start_us; /* progress_start's now_us */
	uint64_t last_us;  /* when the last line was made */
	bool drawn;        /* a line was made */
	bool drew_end;     /* the 100 % line was made */
};

void progress_start(struct progress *p, const char *label, uint64_t total, uint64_t now_us);

/* True, with the line in line (len >= PROGRESS_LINE_MAX or it is cut), when
 * one should be drawn: the first update, then at most every
 * PROGRESS_INTERVAL_US, and always once when done reaches a known total.
 * False leaves line untouched. */
bool progress_update(struct progress *p, uint64_t done, uint64_t now_us, char *line,
		     size_t len);

/* The last line, always (the rate is the average over the whole load); the
 * caller draws it and ends the line. */
void progress_finish(struct progress *p, uint64_t done, uint64_t now_us, char *line,
		     size_t len);

/* The line for done bytes at now_us, nothing else changed. */
void progress_format(const struct progress *p, uint64_t done, uint64_t now_us, char *line,
		     size_t len);

#endif
