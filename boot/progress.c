/* Progress lines (progress.h). Every quantity is a uint64_t and every
 * product is checked against overflow first: a load of 2^64 bytes, a
 * clock that did not move and a total of 0 all give a line, never a trap. */
#include "progress.h"

#include <stdio.h>
#include <string.h>

#define FIELD_MAX 16 /* one size or rate field, with the NUL */

/* "512 B", "3.9 MiB", "1023.9 GiB": one decimal, cut (not rounded) so
 * that a number never reads as more than was loaded; at most 10 chars. */
static void fmt_size(uint64_t b, char out[FIELD_MAX])
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	uint64_t div = 1024;
	unsigned u = 0;

	if (b < 1024) {
		snprintf(out, FIELD_MAX, "%u B", (unsigned)b);
		return;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) && b / div >= 1024) {
		div <<= 10;
		u++;
	}
	/* div <= 2^60, so (b % div) * 10 < 2^64. */
	snprintf(out, FIELD_MAX, "%u.%u %s", (unsigned)(b / div),
		 (unsigned)((b % div) * 10 / div), units[u]);
}

/* Bytes per second as "999 B/s", "11.2 MB/s": at most 10 chars. */
static void fmt_rate(uint64_t bps, char out[FIELD_MAX])
{
	static const char *const units[] = { "kB/s", "MB/s", "GB/s", "TB/s", "PB/s", "EB/s" };
	uint64_t div = 1000;
	unsigned u = 0;

	if (bps < 1000) {
		snprintf(out, FIELD_MAX, "%u B/s", (unsigned)bps);
		return;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) && bps / div >= 1000) {
		div *= 1000;
		u++;
	}
	/* div <= 10^18, so (bps % div) * 10 < 10^19 < 2^64. */
	snprintf(out, FIELD_MAX, "%u.%u %s", (unsigned)(bps / div),
		 (unsigned)((bps % div) * 10 / div), units[u]);
}

/* done * 10^6 / us for us > 0, saturating, without overflow: whole
 * multiples of us exactly, and the remainder part (< 10^6) exactly unless
 * us is beyond 2^44 us (half a year), where both are shifted first. */
static uint64_t bytes_per_s(uint64_t done, uint64_t us)
{
	const uint64_t m = 1000000;
	uint64_t q = done / us, r = done % us, whole, part;

	if (q > UINT64_MAX / m)
		return UINT64_MAX;
	whole = q * m;
	while (r > UINT64_MAX / m) {
		r >>= 1;
		us >>= 1; /* stays above r, so above 0 */
	}
	part = r * m / us;
	return whole > UINT64_MAX - part ? UINT64_MAX : whole + part;
}

/* floor(done * scale / total) exactly, for total > 0 and scale <= 100:
 * done * scale may not fit 64 bits, so the product's remainder is built
 * by adding done scale times modulo total (never above total, so never
 * overflowing). scale when done reaches total. */
static unsigned fraction(uint64_t done, uint64_t total, unsigned scale)
{
	uint64_t acc = 0;
	unsigned v = 0;

	if (done >= total)
		return scale;
	for (unsigned i = 0; i < scale; i++) {
		if (acc >= total - done) { /* acc + done >= total */
			acc -= total - done;
			v++;
		} else {
			acc += done;
		}
	}
	return v;
}

void progress_format(const struct progress *p, uint64_t done, uint64_t now_us, char *line,
		     size_t len)
{
	char body[PROGRESS_LINE_MAX + 2 * FIELD_MAX];
	char got[FIELD_MAX], all[FIELD_MAX], rate[FIELD_MAX];
	uint64_t elapsed = now_us > p->start_us ? now_us - p->start_us : 0;

	if (len == 0)
		return;
	fmt_size(done, got);
	if (elapsed)
		fmt_rate(bytes_per_s(done, elapsed), rate);
	else
		snprintf(rate, sizeof(rate), "-- B/s"); /* no time yet, no rate */
	if (p->total) {
		char bar[PROGRESS_BAR_W + 1];
		unsigned cells = fraction(done, p->total, PROGRESS_BAR_W);

		memset(bar, '#', cells);
		memset(bar + cells, '-', PROGRESS_BAR_W - cells);
		bar[PROGRESS_BAR_W] = '\0';
		fmt_size(p->total, all);
		snprintf(body, sizeof(body), "%-*.*s [%s] %3u%%  %10s / %10s  %10s",
			 PROGRESS_LABEL_W, PROGRESS_LABEL_W, p->label, bar,
			 fraction(done, p->total, 100), got, all, rate);
	} else {
		snprintf(body, sizeof(body), "%-*.*s %10s  %10s", PROGRESS_LABEL_W,
			 PROGRESS_LABEL_W, p->label, got, rate);
	}
	snprintf(line, len, "%-*.*s", PROGRESS_LINE_W, PROGRESS_LINE_W, body);
}

void progress_start(struct progress *p, const char *label, uint64_t total, uint64_t now_us)
{
	size_t n = strlen(label);

	memset(p, 0, sizeof(*p));
	if (n > PROGRESS_LABEL_W)
		n = PROGRESS_LABEL_W;
	memcpy(p->label, label, n);
	p->total = total;
	p->start_us = now_us;
	p->last_us = now_us;
}

bool progress_update(struct progress *p, uint64_t done, uint64_t now_us, char *line,
		     size_t len)
{
	bool at_end = p->total && done >= p->total;

	/* A clock that went back draws nothing until it passes the last line. */
	if (p->drawn && !(at_end && !p->drew_end) &&
	    (now_us < p->last_us || now_us - p->last_us < PROGRESS_INTERVAL_US))
		return false;
	p->drawn = true;
	p->last_us = now_us;
	if (at_end)
		p->drew_end = true;
	progress_format(p, done, now_us, line, len);
	return true;
}

void progress_finish(struct progress *p, uint64_t done, uint64_t now_us, char *line,
		     size_t len)
{
	p->drawn = true;
	p->last_us = now_us;
	if (p->total && done >= p->total)
		p->drew_end = true;
	progress_format(p, done, now_us, line, len);
}
