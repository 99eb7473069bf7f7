/* Code addresses to "function+offset (module)" lines for stack traces
 * (drainer thread only). Names come from the dynamic symbol table, then
 * from the module file's own symbol table (static functions, programs not
 * linked with -rdynamic); C++ names are demangled when libstdc++ is loaded. */
#ifndef TS_SYMBOLS_H
#define TS_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/* Writes one line per frame ("#0 crash_here+0x11 (prog)"), NUL-terminated,
 * cut at cap; returns the length. Frames after the first are return
 * addresses: they are looked up one byte earlier, inside the call. */
size_t ts_symbols_format(const uint64_t *ips, unsigned n, char *out, size_t cap);
/* A demangled C++ name into out, or the name itself when it is not one. */
const char *ts_symbols_demangle(const char *name, char *out, size_t cap);

#endif
