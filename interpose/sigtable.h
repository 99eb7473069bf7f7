/* The table of the program's signal dispositions (signal.c), for the other
 * calls that set them (sigcompat.c). */
#ifndef TS_SIGTABLE_H
#define TS_SIGTABLE_H

#include <signal.h>

/* The program's sigaction(): its table answered and kept, the shim's
 * handler in front where it belongs. */
int ts_program_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

#endif
