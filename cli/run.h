/* traceshim run: one command and everything it starts, traced into one trace. */
#ifndef TS_CLI_RUN_H
#define TS_CLI_RUN_H

#include <stdio.h>

int ts_run_main(int argc, char **argv);
void ts_run_usage(FILE *to);

#endif
