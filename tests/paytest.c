#include "paytest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/sha256.h"
#include "harness.h"

#define GUARD 4096

static char workdir[64];

void pt_need_tools(void)
{
	static const struct {
		const char *tool, *package;
	} tools[] = { { "mkfs.vfat", "dosfstools" }, { "mcopy", "mtools" },
		      { "sgdisk", "gdisk" }, { "sha256sum", "coreutils" } };
	char cmd[160];

	for (unsigned i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		snprintf(cmd, sizeof(cmd), "PATH=$PATH:/usr/sbin:/sbin command -v %s >/dev/null",
			 tools[i].tool);
		if (system(cmd) != 0) {
			static char reason[128];

			snprintf(reason, sizeof(reason), "%s is missing (Debian package %s: make deps)",
				 tools[i].tool, tools[i].package);
			test_skip(reason);
		}
	}
}

const char *pt_workdir(void)
{
	snprintf(workdir, sizeof(workdir), "/tmp/hvboot-payload-XXXXXX");
	CHECK(mkdtemp(workdir) != NULL);
	return workdir;
}

void pt_cleanup(void)
{
	char cmd[128];

	if (workdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", workdir);
		CHECK_EQ(system(cmd), 0);
		workdir[0] = '\0';
	}
}

void pt_sh(const char *fmt, ...)
{
	char body[8192], cmd[8448];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	CHECK(workdir[0] != '\0');
	/* MTOOLS_SKIP_CHECK: mtools otherwise refuses images whose geometry
	 * fields it does not like, and these are files, not floppies. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && export PATH=$PATH:/usr/sbin:/sbin MTOOLS_SKIP_CHECK=1 && (%s) >sh.log 2>&1",
		 workdir, body);
	st = system(cmd);
	if (st != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/sh.log >&2", workdir);
		(void)!system(cmd);
		test_fail(__FILE__, __LINE__, "command failed (%d): %s", st, body);
	}
}

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", workdir, name);
}

const char *pt_path(const char *name)
{
	static char path[512];

	path_of(path, sizeof(path), name);
	return path;
}

void pt_write_file(const char *name, size_t size, uint32_t seed)
{
	char path[512];
	uint32_t x = seed * 2654435761u + 1;
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, "wb");
	CHECK_MSG(f != NULL, "cannot create %s", path);
	for (size_t i = 0; i < size; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift32 */
		fputc((int)(x >> 24), f);
	}
	CHECK(fclose(f) == 0);
}

uint8_t *pt_read_file(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	uint8_t *data;
	long n;

	path_of(path, sizeof(path), name);
	f = fopen(path, "rb");
	CHECK_MSG(f != NULL, "cannot open %s", path);
	CHECK(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	CHECK(n >= 0);
	rewind(f);
	data = malloc((size_t)n + 1);
	CHECK(data != NULL);
	CHECK(fread(data, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return data;
}

void pt_sha256sum(const char *name, char hex[65])
{
	char out[80];
	size_t n;
	uint8_t *text;

	snprintf(out, sizeof(out), "%s.sum", name);
	pt_sh("sha256sum '%s' > '%s'", name, out);
	text = pt_read_file(out, &n);
	CHECK(n >= 64);
	memcpy(hex, text, 64);
	hex[64] = '\0';
	free(text);
}

void pt_check_file(struct fat_vol *v, const char *fat_path, const char *host_name)
{
	struct fat_file f;
	size_t want_len;
	uint8_t *want = pt_read_file(host_name, &want_len), *dst, digest[32];
	char hex[65], sum[65];
	uint64_t got = 0, size = 0;
	int rc = fat_open(v, fat_path, &f);

	if (rc)
		log_dump();
	CHECK_MSG(rc == 0, "fat_open(%s) = %d", fat_path, rc);
	CHECK_EQ(fat_stat(v, fat_path, &size), 0);
	CHECK_EQ(size, want_len);
	CHECK_EQ(f.size, want_len);
	dst = malloc(want_len + GUARD);
	CHECK(dst != NULL);
	memset(dst, 0xa5, want_len + GUARD);
	rc = fat_read(v, &f, dst, want_len, &got);
	if (rc)
		log_dump();
	CHECK_MSG(rc == 0, "fat_read(%s) = %d", fat_path, rc);
	CHECK_EQ(got, want_len);
	CHECK_MSG(memcmp(dst, want, want_len) == 0, "%s: loaded bytes differ from %s", fat_path,
		  host_name);
	for (size_t i = 0; i < GUARD; i++)
		CHECK_MSG(dst[want_len + i] == 0xa5, "%s: guard byte %zu overwritten", fat_path, i);
	sha256(dst, want_len, digest);
	sha256_hex(digest, hex);
	pt_sha256sum(host_name, sum);
	CHECK_MSG(strcmp(hex, sum) == 0, "%s: SHA-256 %s, sha256sum %s", fat_path, hex, sum);
	free(dst);
	free(want);
}
