/* Progress lines (boot/progress.c): the exact text at 0 %, 52 % and
 * 100 %, without a total, the unit boundaries, at most ten lines a second
 * but always the 100 % one, and no trap at zero elapsed time or at the
 * ends of 64 bits. */
#include <string.h>

#include "../boot/progress.h"
#include "harness.h"

#define MiB 1048576ull
#define TOTAL (15 * MiB / 2) /* 7.5 MiB */
#define DONE 4089447ull      /* 3.9 MiB (3.9000002), 52 % of TOTAL */

static void expect_line(int line, const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		test_fail(__FILE__, line, "\n  got  \"%s\"\n  want \"%s\"", got, want);
	if (strlen(got) != PROGRESS_LINE_W)
		test_fail(__FILE__, line, "%zu characters, not %d", strlen(got), PROGRESS_LINE_W);
}

#define CHECK_LINE(got, want) expect_line(__LINE__, got, want)

TEST(progress_known_total)
{
	struct progress p;
	char line[PROGRESS_LINE_MAX];

	progress_start(&p, "kernel", TOTAL, 1000000);
	/* The first update draws at once, even at t = 0 (no rate yet). */
	CHECK(progress_update(&p, 0, 1000000, line, sizeof(line)));
	CHECK_LINE(line, "kernel   [--------------------]   0%         0 B /    7.5 MiB      -- B/s");
	/* 52 %: 10.4 cells are 10; 4089447 bytes in 0.365 s are 11.2 MB/s. */
	CHECK(progress_update(&p, DONE, 1365000, line, sizeof(line)));
	CHECK_LINE(line, "kernel   [##########----------]  52%     3.9 MiB /    7.5 MiB   11.2 MB/s");
	/* 100 % in exactly one second. */
	CHECK(progress_update(&p, TOTAL, 2000000, line, sizeof(line)));
	CHECK_LINE(line, "kernel   [####################] 100%     7.5 MiB /    7.5 MiB    7.8 MB/s");
	progress_finish(&p, TOTAL, 2000000, line, sizeof(line));
	CHECK_LINE(line, "kernel   [####################] 100%     7.5 MiB /    7.5 MiB    7.8 MB/s");
	/* Floors, never rounds up: one byte short is 99 % and 19 cells. */
	progress_format(&p, TOTAL - 1, 2000000, line, sizeof(line));
	CHECK_LINE(line, "kernel   [###################-]  99%     7.4 MiB /    7.5 MiB    7.8 MB/s");
	/* More than announced (a lying server) is 100 %, not 101. */
	progress_format(&p, TOTAL + MiB, 2000000, line, sizeof(line));
	CHECK_LINE(line, "kernel   [####################] 100%     8.5 MiB /    7.5 MiB    8.9 MB/s");
	/* A long label is cut to 8 characters. */
	progress_start(&p, "initrd.img-6.1.0", 2048, 0);
	progress_format(&p, 1024, 500000, line, sizeof(line));
	CHECK_LINE(line, "initrd.i [##########----------]  50%     1.0 KiB /    2.0 KiB    2.0 kB/s");
}

TEST(progress_unknown_total)
{
	struct progress p;
	char line[PROGRESS_LINE_MAX];

	progress_start(&p, "initrd", 0, 0);
	CHECK(progress_update(&p, DONE, 365000, line, sizeof(line)));
	CHECK_LINE(line, "initrd      3.9 MiB   11.2 MB/s                                          ");
	/* No 100 % without a total: the rate limit alone decides. */
	CHECK(!progress_update(&p, DONE, 400000, line, sizeof(line)));
	progress_finish(&p, 3 * MiB, 1000000, line, sizeof(line));
	CHECK_LINE(line, "initrd      3.0 MiB    3.1 MB/s                                          ");
}

/* The size and rate fields for done bytes in us microseconds, checked
 * through a line without a total. */
static void expect_fields(int line, uint64_t done, uint64_t us, const char *size, const char *rate)
{
	struct progress p;
	char got[PROGRESS_LINE_MAX], want[PROGRESS_LINE_MAX + 32];

	progress_start(&p, "x", 0, 0);
	progress_format(&p, done, us, got, sizeof(got));
	snprintf(want, sizeof(want), "%-8s %10s  %10s", "x", size, rate);
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "%*s",
		 (int)(PROGRESS_LINE_W - strlen(want)), "");
	expect_line(line, got, want);
}

#define FIELDS(done, us, size, rate) expect_fields(__LINE__, done, us, size, rate)

TEST(progress_units)
{
	FIELDS(0, 1000000, "0 B", "0 B/s");
	FIELDS(999, 1000000, "999 B", "999 B/s");
	FIELDS(1000, 1000000, "1000 B", "1.0 kB/s");
	FIELDS(1023, 1000000, "1023 B", "1.0 kB/s");
	FIELDS(1024, 1000000, "1.0 KiB", "1.0 kB/s");
	FIELDS(MiB - 1, 1000000, "1023.9 KiB", "1.0 MB/s");
	FIELDS(999999, 1000000, "976.5 KiB", "999.9 kB/s");
	FIELDS(MiB, 1000000, "1.0 MiB", "1.0 MB/s");
	FIELDS(1024 * MiB - 1, 1000000, "1023.9 MiB", "1.0 GB/s");
	FIELDS(1024 * MiB, 1000000, "1.0 GiB", "1.0 GB/s");
	FIELDS(5 * MiB, 2000000, "5.0 MiB", "2.6 MB/s");
	/* Slow: 1 byte in 3 s is 0 B/s, not a division trap. */
	FIELDS(1, 3000000, "1 B", "0 B/s");
	/* The ends of 64 bits: 16 EiB less one byte; a microsecond. */
	FIELDS(UINT64_MAX, 1000000, "15.9 EiB", "18.4 EB/s");
	FIELDS(UINT64_MAX, 1, "15.9 EiB", "18.4 EB/s");
	FIELDS(UINT64_MAX, UINT64_MAX, "15.9 EiB", "1.0 MB/s");
	FIELDS(1ull << 40, 1, "1.0 TiB", "1.0 EB/s");
	FIELDS(1ull << 60, 1, "1.0 EiB", "18.4 EB/s"); /* saturated */
	/* Zero elapsed time: no rate. */
	FIELDS(12345, 0, "12.0 KiB", "-- B/s");
}

TEST(progress_huge_total)
{
	struct progress p;
	char line[PROGRESS_LINE_MAX];

	/* done * 100 does not fit 64 bits here: still exact (24.99.. is 24). */
	progress_start(&p, "disk", UINT64_MAX, 0);
	progress_format(&p, UINT64_MAX / 4, 1, line, sizeof(line));
	CHECK_LINE(line, "disk     [####----------------]  24%     3.9 EiB /   15.9 EiB   18.4 EB/s");
	progress_format(&p, UINT64_MAX - 1, 1000000, line, sizeof(line));
	CHECK_LINE(line, "disk     [###################-]  99%    15.9 EiB /   15.9 EiB   18.4 EB/s");
	progress_format(&p, 1, 1000000, line, sizeof(line));
	CHECK_LINE(line, "disk     [--------------------]   0%         1 B /   15.9 EiB       1 B/s");
}

TEST(progress_rate_limit)
{
	struct progress p;
	char line[PROGRESS_LINE_MAX];

	progress_start(&p, "kernel", TOTAL, 5000000);
	strcpy(line, "untouched");
	CHECK(progress_update(&p, 0, 5000000, line, sizeof(line)));
	/* Within 100 ms: nothing, and the buffer is left alone. */
	strcpy(line, "untouched");
	CHECK(!progress_update(&p, 100, 5050000, line, sizeof(line)));
	CHECK(!progress_update(&p, 200, 5099999, line, sizeof(line)));
	CHECK(strcmp(line, "untouched") == 0);
	CHECK(progress_update(&p, 300, 5100000, line, sizeof(line)));
	CHECK(!progress_update(&p, 400, 5150000, line, sizeof(line)));
	/* 100 % always draws, once. */
	CHECK(progress_update(&p, TOTAL, 5160000, line, sizeof(line)));
	CHECK(strstr(line, "100%"));
	CHECK(!progress_update(&p, TOTAL, 5170000, line, sizeof(line)));
	CHECK(progress_update(&p, TOTAL, 5260000, line, sizeof(line)));
	/* Ten lines a second at most, however often it is asked. */
	progress_start(&p, "kernel", 0, 0);
	unsigned drawn = 0;
	for (uint64_t t = 0; t < 1000000; t += 1000)
		drawn += progress_update(&p, t, t, line, sizeof(line));
	CHECK_EQ(drawn, 10);
	/* A clock that steps back draws nothing until it passes the last line. */
	progress_start(&p, "kernel", TOTAL, 1000000);
	CHECK(progress_update(&p, 1, 1000000, line, sizeof(line)));
	CHECK(!progress_update(&p, 2, 500, line, sizeof(line)));
	CHECK(!progress_update(&p, 2, 1099999, line, sizeof(line)));
	CHECK(progress_update(&p, 2, 1100000, line, sizeof(line)));
	/* Before the start: no rate, no trap. */
	progress_format(&p, 100, 0, line, sizeof(line));
	CHECK(strstr(line, "-- B/s"));
}

TEST(progress_short_buffers)
{
	struct progress p;
	char line[PROGRESS_LINE_MAX];

	progress_start(&p, "kernel", TOTAL, 0);
	memset(line, '*', sizeof(line));
	progress_format(&p, DONE, 365000, line, 11);
	CHECK(strcmp(line, "kernel   [") == 0 && line[11] == '*');
	progress_format(&p, DONE, 365000, line, 1);
	CHECK(line[0] == '\0');
	line[0] = '*';
	progress_format(&p, DONE, 365000, line, 0);
	CHECK(line[0] == '*');
	progress_finish(&p, DONE, 365000, NULL, 0);
}
