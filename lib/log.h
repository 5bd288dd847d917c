/* Logging: one sink for the whole program. Every error a user can meet is a
 * sentence naming what failed, where, and what to do. */
#ifndef HVB_LOG_H
#define HVB_LOG_H

#include <stdarg.h>

enum hvb_log_level { HVB_LOG_ERR, HVB_LOG_WARN, HVB_LOG_INFO, HVB_LOG_DEBUG };

/* The sink receives one complete line without a trailing newline. */
typedef void (*hvb_log_sink)(enum hvb_log_level level, const char *line, void *ctx);

void hvb_log_set_sink(hvb_log_sink sink, void *ctx);
void hvb_log_set_level(enum hvb_log_level max_level);
void hvb_log(enum hvb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) hvb_log(HVB_LOG_ERR, __VA_ARGS__)
#define log_warn(...) hvb_log(HVB_LOG_WARN, __VA_ARGS__)
#define log_info(...) hvb_log(HVB_LOG_INFO, __VA_ARGS__)
#define log_debug(...) hvb_log(HVB_LOG_DEBUG, __VA_ARGS__)

#endif
