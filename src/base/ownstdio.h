/* The shim's own stdio: the streams it opens itself (the run's summary it
 * prints, the file it reads it from, popen's pipe) go to libc's functions
 * directly, never through the shim's stdio wrappers (interpose/stdio*.c),
 * so they are never traced and the core never calls a wrapper.
 *
 * A file that uses the plain names may define TS_OWNSTDIO_NAMES and include
 * this last: the names then stand for the ts_own_ ones. */
#ifndef TS_OWNSTDIO_H
#define TS_OWNSTDIO_H

#include <stdio.h>

FILE *ts_own_fopen(const char *path, const char *mode);
FILE *ts_own_fdopen(int fd, const char *mode);
int ts_own_fclose(FILE *f);
char *ts_own_fgets(char *buf, int n, FILE *f);
int ts_own_fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ts_own_fputc(int c, FILE *f);
int ts_own_fflush(FILE *f);

#ifdef TS_OWNSTDIO_NAMES
#define fopen ts_own_fopen
#define fdopen ts_own_fdopen
#define fclose ts_own_fclose
#define fgets ts_own_fgets
#define fprintf ts_own_fprintf
#define fputc ts_own_fputc
#define fflush ts_own_fflush
#endif

#endif
