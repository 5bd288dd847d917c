#include "fixture.h"

#include <string.h>

static char logbuf[1 << 16];
static size_t loglen;

static void capture(enum hvb_log_level level, const char *line, void *ctx)
{
	size_t n = strlen(line);

	(void)level;
	(void)ctx;
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "      log: %s\n", line);
	if (loglen + n + 2 < sizeof(logbuf)) {
		memcpy(logbuf + loglen, line, n);
		loglen += n;
		logbuf[loglen++] = '\n';
		logbuf[loglen] = '\0';
	}
}

bool log_has(const char *needle) { return strstr(logbuf, needle) != NULL; }
void log_clear(void)
{
	loglen = 0;
	logbuf[0] = '\0';
}
void log_dump(void) { fprintf(stderr, "--- log ---\n%s--- end ---\n", logbuf); }
void log_capture(void)
{
	log_clear();
	hvb_log_set_sink(capture, NULL);
}

unsigned count_substr(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

const struct vmbus_params fx_short_timeouts = {
	.contact_timeout = 2 * HV_TICKS_PER_SEC,
	.offers_timeout = 2 * HV_TICKS_PER_SEC,
	.unload_timeout = 2 * HV_TICKS_PER_SEC,
};

void fx_config(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->cfg.seed = 1;
}

void log_capture_start(void)
{
	log_clear();
	hvb_log_set_sink(capture, NULL);
	hvb_log_set_level(HVB_LOG_DEBUG);
}

void fx_start(struct fx *f)
{
	FILE *trace = open_memstream(&f->trace_buf, &f->trace_len);

	CHECK(trace != NULL);
	f->cfg.trace = trace;
	log_capture_start();
	f->sim = hvsim_create(&f->cfg);
	CHECK(f->sim != NULL);
	f->seam = hvsim_seam(f->sim);
}

void fx_no_violations(struct fx *f)
{
	unsigned n = hvsim_violation_count(f->sim);

	for (unsigned i = 0; i < n; i++)
		fprintf(stderr, "    hvsim violation: %s\n", hvsim_violation(f->sim, i));
	CHECK_EQ(n, 0);
}

void fx_connect(struct fx *f)
{
	int rc = hv_init(&f->hv, f->seam);

	if (rc)
		log_dump();
	CHECK_EQ(rc, 0);
	rc = vmbus_connect(&f->vb, &f->hv, &fx_short_timeouts);
	if (rc)
		log_dump();
	CHECK_EQ(rc, 0);
}

void fx_finish(struct fx *f)
{
	char audit[512];

	CHECK_EQ(vmbus_unload(&f->vb), 0);
	hv_teardown(&f->hv);
	fx_no_violations(f);
	CHECK_MSG(hvsim_audit(f->sim, true, audit, sizeof(audit)), "%s", audit);
}

const char *fx_trace(struct fx *f)
{
	fflush(f->cfg.trace);
	return f->trace_buf ? f->trace_buf : "";
}

void fx_destroy(struct fx *f)
{
	hvsim_destroy(f->sim);
	fclose(f->cfg.trace);
	free(f->trace_buf);
	hvb_log_set_sink(NULL, NULL);
}

void fputs_line(const char *line, void *file)
{
	fprintf((FILE *)file, "%s\n", line);
}
