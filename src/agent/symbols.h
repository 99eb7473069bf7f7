/* Code addresses to "function+offset (module)" lines for stack traces
 * (drain side only). A frame's module is known by its number from a
 * TS_REC_MODULE record (file and load bias); names come from that file's
 * symbol table (static functions, programs not linked with -rdynamic), else
 * its dynamic symbol table; C++ names are demangled when libstdc++ is
 * loaded. */
#ifndef TS_SYMBOLS_H
#define TS_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/* A TS_REC_MODULE record: module number id is the file path (len bytes)
 * loaded with bias `bias`. */
void ts_symbols_module(uint32_t id, uint64_t bias, const char *path, unsigned len);
/* Writes one line per frame ("#0 crash_here+0x11 (prog)"), NUL-terminated,
 * cut at cap; returns the length. modules[i] is frame i's module number
 * (0: unknown). Frames after the first are return addresses: they are looked
 * up one byte earlier, inside the call. */
size_t ts_symbols_format(const uint64_t *ips, const uint16_t *modules, unsigned n, char *out,
			 size_t cap);
/* The function of the ELF file at path containing offset (an address less
 * the load bias), and its start offset; NULL when none is known. */
const char *ts_symbols_in_file(const char *path, uint64_t offset, uint64_t *start);
/* A demangled C++ name into out, or the name itself when it is not one. */
const char *ts_symbols_demangle(const char *name, char *out, size_t cap);

/* Not the traced process (an agent's worker): libstdc++ may be loaded to
 * demangle names. */
void ts_symbols_may_load(void);
/* Forgets the modules and files of the process served (all freed and
 * unmapped): a worker's next process numbers its modules anew. */
void ts_symbols_reset(void);

#endif
