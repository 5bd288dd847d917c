#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Room kept for the closing brace and NUL. */
#define RESERVE 2

static void put(struct json *j, const char *text, size_t n)
{
	size_t keep = j->len;

	if (j->truncated)
		return;
	if (n > sizeof(j->buf) - RESERVE - j->len) {
		j->truncated = 1;
		j->len = keep;
		return;
	}
	memcpy(j->buf + j->len, text, n);
	j->len += n;
}

void json_begin(struct json *j, const char *type)
{
	j->len = 0;
	j->truncated = 0;
	put(j, "{", 1);
	json_str(j, "type", type);
}

/* key and the colon, with a comma before every member but the first. */
static size_t member(char *out, size_t cap, const struct json *j, const char *key)
{
	return (size_t)snprintf(out, cap, "%s\"%s\":", j->len > 1 ? "," : "", key);
}

void json_str(struct json *j, const char *key, const char *value)
{
	char tmp[JSON_LINE_MAX];
	size_t n = member(tmp, sizeof(tmp), j, key), start = j->len;

	if (n >= sizeof(tmp))
		return;
	tmp[n++] = '"';
	for (const unsigned char *p = (const unsigned char *)value; *p && n < sizeof(tmp) - 8; p++) {
		if (*p == '"' || *p == '\\') {
			tmp[n++] = '\\';
			tmp[n++] = (char)*p;
		} else if (*p < 0x20 || *p >= 0x7f) {
			n += (size_t)snprintf(tmp + n, 7, "\\u%04x", *p);
		} else {
			tmp[n++] = (char)*p;
		}
	}
	tmp[n++] = '"';
	put(j, tmp, n);
	if (j->truncated)
		j->len = start;
}

void json_u64(struct json *j, const char *key, uint64_t value)
{
	json_fmt(j, key, "%llu", (unsigned long long)value);
}

void json_fmt(struct json *j, const char *key, const char *fmt, ...)
{
	char tmp[JSON_LINE_MAX];
	size_t n = member(tmp, sizeof(tmp), j, key);
	va_list ap;
	int m;

	if (n >= sizeof(tmp))
		return;
	va_start(ap, fmt);
	m = vsnprintf(tmp + n, sizeof(tmp) - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= sizeof(tmp) - n) {
		j->truncated = 1;
		return;
	}
	put(j, tmp, n + (size_t)m);
}

const char *json_end(struct json *j)
{
	j->buf[j->len++] = '}';
	j->buf[j->len] = 0;
	return j->buf;
}
