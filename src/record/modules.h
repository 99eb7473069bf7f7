/* The loaded modules (the program, its shared libraries) as the recording
 * side knows them, so that records can say which file a code address is in
 * and the drain side never has to ask the process (see modules.c for why a
 * snapshot). Each module has a number, process-wide and never reused, that
 * TS_REC_MODULE and TS_REC_EXCEPTION records carry. */
#ifndef TS_MODULES_H
#define TS_MODULES_H

#include "registry.h"   /* TS_MODULES_MAX */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


struct ts_module {
	uint32_t id;             /* 1..TS_MODULES_MAX */
	uint64_t bias;           /* load bias (link_map l_addr) */
	const char *path;        /* not NUL-terminated: path_len bytes */
	unsigned path_len;
};

/* Brings the snapshot up to date with the loader's list (cheap when nothing
 * was loaded or unloaded since). Takes the loader's list lock: never from a
 * signal handler. */
void ts_modules_refresh(void);
/* The module holding code address pc, from the snapshot as it is.
 * Async-signal-safe: no lock, no allocation, no system call. */
bool ts_modules_find(uint64_t pc, struct ts_module *out);
/* The exported (dynamic symbol table) function containing addr, read from
 * the loaded image the way dladdr() does, without the loader's lock; NULL
 * when there is none. The name lives as long as its module. */
const char *ts_modules_symbol(uint64_t addr);
/* Child after fork: a refresh the fork cut short is over. */
void ts_modules_after_fork(void);

#endif
