/* The end-of-run summary: each process counts its spans per name (on the
 * background thread) and, when it ends, appends one block of text lines to
 * a file every process of the run shares. Whoever started the run (the
 * traceshim command, or the first traced process) reads the blocks back and
 * prints the table (report.c). */
#ifndef TS_SUMMARY_H
#define TS_SUMMARY_H

#include "span.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Summary on (TRACESHIM_SUMMARY=1): finds or creates the shared file.
 * Returns the file's path (to hand to children) or NULL when off. */
const char *ts_summary_init(bool on);

/* "TRACESHIM_SUMMARY_FILE=..." (i 0) and "TRACESHIM_SUMMARY_ROOT=..." (1),
 * for children's environments; NULL when off. */
const char *ts_summary_child_env(int i);
/* An exec is under way: the flush it makes is not the end of the process. */
void ts_summary_exec(bool pending);
/* A finished span (drainer thread). */
void ts_summary_span(const struct ts_span *s);
/* The process span, at its beginning and end. */
void ts_summary_process(const char *name, int pid, int ppid, uint64_t start_ns);
void ts_summary_process_end(uint64_t end_ns, int exit_code, bool failed);
/* Appends this process's block; the process that began the run then prints
 * the report on stderr (and removes the file). */
void ts_summary_finish(void);
/* Child after fork / new process span: counts start over. */
void ts_summary_reset(void);
/* As reset, and the file and settings too (until ts_summary_init again). */
void ts_summary_forget(void);

/* Reads every block of `path` and prints the report to `out`; false when the
 * file cannot be read. */
bool ts_summary_report(const char *path, FILE *out);

#endif
