/* Diagnostics on stderr: silent unless TRACESHIM_LOG asks, except for real
 * misconfigurations, which are reported once. */
#ifndef TS_LOG_H
#define TS_LOG_H

enum ts_log_level { TS_LOG_OFF = 0, TS_LOG_WARN = 1, TS_LOG_INFO = 2, TS_LOG_DEBUG = 3 };

extern int ts_log_level;

void ts_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Printed even when logging is off, but only once per process. */
void ts_warn_config(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define TS_DEBUG(...) do { if (ts_log_level >= TS_LOG_DEBUG) ts_log(TS_LOG_DEBUG, __VA_ARGS__); } while (0)
#define TS_INFO(...)  do { if (ts_log_level >= TS_LOG_INFO) ts_log(TS_LOG_INFO, __VA_ARGS__); } while (0)
#define TS_WARN(...)  do { if (ts_log_level >= TS_LOG_WARN) ts_log(TS_LOG_WARN, __VA_ARGS__); } while (0)

#endif
