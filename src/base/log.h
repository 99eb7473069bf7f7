/* Diagnostics on stderr: silent unless TRACESHIM_LOG asks, except for real
 * misconfigurations, which are reported once per run. */
#ifndef TS_LOG_H
#define TS_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ts_log_level { TS_LOG_OFF = 0, TS_LOG_WARN = 1, TS_LOG_INFO = 2, TS_LOG_DEBUG = 3 };

extern int ts_log_level;

void ts_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A misconfiguration (or a failure the user must hear of): printed even when
 * logging is off, but each message once per run, that is once in the whole
 * process tree, unless TRACESHIM_LOG is warn or more. Name the variable and
 * show its value, unless the value may be a secret (header values never). */
void ts_warn_config(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Counts that message as reported in this run without printing it: where it
 * is known to be no misconfiguration, for children that would say it. */
void ts_warn_config_known(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The environment variable that carries the reported messages to children. */
#define TS_REPORTED_VAR "TRACESHIM_REPORTED"
/* Longest value of TS_REPORTED_VAR: 32 hashes of 8 hex digits, commas. */
#define TS_REPORTED_MAX 288
/* Takes the messages a parent reported (its TS_REPORTED_VAR value) as
 * reported here too. Malformed text is ignored. */
void ts_log_inherit(const char *list);
/* Writes the list of messages reported in this run so far (parent's
 * included), as TS_REPORTED_VAR holds it, into out; returns its length (0:
 * none). */
size_t ts_log_reported(char *out, size_t cap);

#define TS_DEBUG(...) do { if (ts_log_level >= TS_LOG_DEBUG) ts_log(TS_LOG_DEBUG, __VA_ARGS__); } while (0)
#define TS_INFO(...)  do { if (ts_log_level >= TS_LOG_INFO) ts_log(TS_LOG_INFO, __VA_ARGS__); } while (0)
#define TS_WARN(...)  do { if (ts_log_level >= TS_LOG_WARN) ts_log(TS_LOG_WARN, __VA_ARGS__); } while (0)

/* Says, on a program thread, what the background thread could not: its
 * own descriptor table had no room to reach the program's stderr. Async-
 * signal-safe; does nothing on the background thread. */
void ts_log_say_deferred(void);

/* Also keeps every line emitted in buf (up to cap bytes, *len used): an
 * agent's worker hands its diagnostics to the process it serves. */
void ts_log_capture(char *buf, size_t cap, _Atomic uint32_t *len);
/* While quiet, ts_warn_config() prints nothing: an agent's worker reads the
 * settings of the process it serves, which has reported what is wrong with
 * them itself. */
void ts_log_quiet(bool on);
/* Forgets the messages reported and the capture, and sets the level: an
 * agent's worker before it serves another process. */
void ts_log_reset(int level);

#endif
