/* One JSON object per line, for machines reading diag output on COM1.
 * Fixed buffer, no allocation; strings from the host (INQUIRY vendor,
 * bootfile names) are escaped, control bytes as \u00XX. A line that would
 * not fit is cut at the last whole member and still closed. */
#ifndef BOOT_JSON_H
#define BOOT_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_LINE_MAX 512

struct json {
	char buf[JSON_LINE_MAX];
	size_t len;
	int truncated;
};

/* {"type":"<type>" ... */
void json_begin(struct json *j, const char *type);
void json_str(struct json *j, const char *key, const char *value);
void json_u64(struct json *j, const char *key, uint64_t value);
/* A member whose value is already JSON (e.g. "\"5.0\"" or a number). */
void json_fmt(struct json *j, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Closes the object; returns the line (no newline). */
const char *json_end(struct json *j);

#endif
