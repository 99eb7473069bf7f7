/* Parent links that cross requests. A sender exports a span when it ends, so
 * children usually arrive in requests before their parent's. A child whose
 * parent has not arrived is remembered under the parent's id; when the
 * parent comes, the converter draws an arrow to each child waiting for it.
 * Bounded: a child is forgotten (and counted) once TS_ORPHANS_MAX newer
 * children have come after it, its parent being the least likely to come.
 * Memory is one fixed table, touched as it fills. */
#ifndef TS_ORPHANS_H
#define TS_ORPHANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_ORPHANS_MAX (1u << 16)

struct ts_orphans;

struct ts_orphans *ts_orphans_new(void);
void ts_orphans_free(struct ts_orphans *o);
/* Remembers child_id as waiting for parent_id (forgetting the oldest when
 * full); false only for a zero parent id. */
bool ts_orphans_add(struct ts_orphans *o, uint64_t parent_id, uint64_t child_id);
/* Hands over (and forgets) the children waiting for parent_id: their count,
 * and a malloc'ed array of their ids in *out (NULL when none). */
size_t ts_orphans_take(struct ts_orphans *o, uint64_t parent_id, uint64_t **out);
/* Children waiting now, and forgotten so far to keep the bound. */
size_t ts_orphans_count(const struct ts_orphans *o);
uint64_t ts_orphans_evicted(const struct ts_orphans *o);

#endif
