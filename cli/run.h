/* traceshim run: one command and everything it starts, traced into one trace. */
#ifndef TS_CLI_RUN_H
#define TS_CLI_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

int ts_run_main(int argc, char **argv);
void ts_run_usage(FILE *to);
/* libtraceshim.so next to this program, or in the install's libdir. */
bool ts_find_library(char *out, size_t cap);

#endif
