/* Helpers for the payload tests: scratch directories, shell commands that
 * build images with Debian's tools (dosfstools, mtools, gdisk), test files,
 * sha256sum, and the whole-file check every loaded
 * file goes through. */
#ifndef TEST_PAYTEST_H
#define TEST_PAYTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../payload/fat.h"
#include "fixture.h"

/* Skips the test (one line naming the package) when a tool is missing. */
void pt_need_tools(void);
/* A fresh directory under /tmp; later pt_sh commands run in it. */
const char *pt_workdir(void);
/* The full path of a work-directory file (a static buffer). */
const char *pt_path(const char *name);
/* Removes the directory pt_workdir made. */
void pt_cleanup(void);
/* Runs a shell command in the work directory with /usr/sbin on PATH;
 * fails the test, showing its output, unless it exits 0. */
void pt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Creates work-directory file name with size pseudo-random bytes. */
void pt_write_file(const char *name, size_t size, uint32_t seed);
/* The contents of a work-directory file (malloc'd; *len set). */
uint8_t *pt_read_file(const char *name, size_t *len);
/* sha256sum's digest of a work-directory file, as hex. */
void pt_sha256sum(const char *name, char hex[65]);


/* Opens fat_path on v and reads it into a buffer of exactly its size with
 * a guard region behind; checks the bytes equal work-directory file
 * host_name, its SHA-256 equals sha256sum's, and the guard is untouched. */
void pt_check_file(struct fat_vol *v, const char *fat_path, const char *host_name);

#endif
