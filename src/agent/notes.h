/* What the program adds to one of its spans while it is open (drainer side):
 * attributes, events and an error, with their text, until the span ends. */
#ifndef TS_NOTES_H
#define TS_NOTES_H

#include "span.h"

#include <stdbool.h>
#include <stddef.h>

#define TS_NOTES_EVENTS 128   /* as OpenTelemetry's default span limit */

struct ts_text_chunk;

struct ts_notes {
	unsigned nattrs, nevents, cap_events, dropped_events;
	bool failed;                     /* an error was recorded */
	const char *error_type, *error_message;
	struct ts_attr attrs[TS_MAX_ATTRS];
	struct ts_event *events;
	struct ts_text_chunk *text;      /* where the strings live (textpool.h) */
};

/* A fresh, empty set (ts_notes_free() to reuse one). */
void ts_notes_init(struct ts_notes *n);
void ts_notes_free(struct ts_notes *n);
/* Empties the set, keeping its memory for the next span's notes. */
void ts_notes_clear(struct ts_notes *n);
/* Sets attributes (a key set before is replaced); copies their text. */
void ts_notes_attrs(struct ts_notes *n, const struct ts_attr *attrs, unsigned nattrs);
void ts_notes_event(struct ts_notes *n, const char *name, uint64_t time_ns,
		    const struct ts_attr *attrs, unsigned nattrs);
/* An "exception" event, error.type, and status ERROR. */
void ts_notes_error(struct ts_notes *n, const char *type, const char *message, uint64_t time_ns);
/* Adds the notes to the span that ends: attributes, events (after any s
 * already has; both must stay valid until the export call returns) and the
 * status. status: the one the program ended the span with. */
void ts_notes_apply(const struct ts_notes *n, struct ts_span *s, int status);

#endif
