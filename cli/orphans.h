/* Parent links that cross requests. A sender exports a span when it ends, so
 * children usually arrive in requests before their parent's. A child whose
 * parent has not arrived is remembered under the parent's id; when the
 * parent comes, the converter draws an arrow to each child waiting for it.
 * Bounded: past TS_ORPHANS_MAX waiting children, new ones are not kept. */
#ifndef TS_ORPHANS_H
#define TS_ORPHANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_ORPHANS_MAX (1u << 20)

struct ts_orphans;

struct ts_orphans *ts_orphans_new(void);
void ts_orphans_free(struct ts_orphans *o);
/* Remembers child_id as waiting for parent_id; false when full. */
bool ts_orphans_add(struct ts_orphans *o, uint64_t parent_id, uint64_t child_id);
/* Hands over (and forgets) the children waiting for parent_id: their count,
 * and a malloc'ed array of their ids in *out (NULL when none). */
size_t ts_orphans_take(struct ts_orphans *o, uint64_t parent_id, uint64_t **out);

#endif
