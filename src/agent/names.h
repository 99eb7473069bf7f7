/* Strings kept for the life of the process, one copy of each text: span
 * names made at run time ("SELECT users"), and the names (keys) and span
 * names the program gives its own spans. Exporters may cache them by
 * address, and the drainer need not copy them for a span that stays open. */
#ifndef TS_NAMES_H
#define TS_NAMES_H

#include <stddef.h>

/* A copy of s that is never freed or changed; the same pointer for the same
 * text. NULL when the table is full (more distinct names than any trace
 * should hold) or memory is short. Drainer thread only. */
const char *ts_name_keep(const char *s, size_t len);
/* The same, in tables of their own (a program that names its spans from
 * data fills the table of span names, not the others): attribute names
 * of the program's spans and events, and the names of its spans. */
const char *ts_key_keep(const char *s, size_t len);
/* The same for the name at place `at` of an attribute list, remembered
 * there (places below 32: a span's list and a note's, say, at 0 and 16). */
const char *ts_key_keep_at(unsigned at, const char *s, size_t len);
const char *ts_user_name_keep(const char *s, size_t len);
/* Frees every name kept: only once nothing refers to them any more (a
 * worker between two processes). */
void ts_names_reset(void);

#endif
