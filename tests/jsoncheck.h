/* A strict check of the one-object-per-line JSON diag mode prints: a flat
 * object of string, number, true/false/null members, escapes as RFC 8259
 * allows, nothing after the closing brace. Enough to prove a line parses
 * without a JSON library. */
#ifndef TEST_JSONCHECK_H
#define TEST_JSONCHECK_H

#include <stdbool.h>
#include <stddef.h>

/* Whether text[0, len) is exactly one such object. */
bool json_line_ok(const char *text, size_t len);

#endif
