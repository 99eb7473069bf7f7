/* TS_LARGE marks a static array of 4 KiB or more: it goes to .lbss, which
 * the linker places after .bss. The small variables a process touches as
 * it starts then share a few pages instead of each pulling in a page of its
 * own between the big arrays, and untouched parts of the arrays still cost
 * nothing (they are zero-fill like .bss). Only for zero-initialised,
 * writable data. */
#ifndef TS_BASE_LARGE_H
#define TS_BASE_LARGE_H

#define TS_LARGE __attribute__((section(".lbss")))

#endif
