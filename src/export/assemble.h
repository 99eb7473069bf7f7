/* Complete spans from begin/end pairs. Perfetto takes a span's begin and end
 * as they happen; OTLP needs each span whole. An assembler keeps the spans
 * begun on one track (a stack: they nest) until their end arrives. */
#ifndef TS_ASSEMBLE_H
#define TS_ASSEMBLE_H

#include "span.h"

#include <stdbool.h>
#include <stddef.h>

struct ts_open_span;

struct ts_assembler {
	struct ts_open_span **stack;   /* each entry allocated once, never moved */
	size_t depth, cap;
};

/* Keeps a copy of s (its strings included) until the matching end. */
bool ts_assemble_begin(struct ts_assembler *a, const struct ts_span *s);

/* Closes the innermost open span with `end` (its end time, and any
 * attributes, status, events or rolled-up calls it carries; events and
 * rolled-up calls are not copied) and returns the whole span in *out; out
 * stays valid until the next call on this assembler, its events and
 * rolled-up calls as long as end's. false when no span is open. */
bool ts_assemble_end(struct ts_assembler *a, const struct ts_span *end, struct ts_span *out);

size_t ts_assemble_open(const struct ts_assembler *a);
void ts_assemble_free(struct ts_assembler *a);

#endif
