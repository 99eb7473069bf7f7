/* SQL statements on the drainer side: what each prepared statement is
 * (database, operation, table, query text), worked out once per statement,
 * and the spans of its executions. */
#ifndef TS_SQLINFO_H
#define TS_SQLINFO_H

#include "ring.h"
#include "span.h"

#include <stdint.h>

/* A TS_REC_SQL_PREPARED record: payload is the database file, NUL, SQL. */
void ts_sqlinfo_prepared(uint64_t stmt, const uint8_t *payload, unsigned len);
/* A TS_REC_SQL_FINALIZED record. */
void ts_sqlinfo_finalized(uint64_t stmt);
/* Forgets (and frees) every statement: a worker's next process starts anew. */
void ts_sqlinfo_reset(void);
/* Names the span of a statement execution or sqlite3_exec() record and adds
 * its database attributes (s already holds times and ids). */
void ts_sqlinfo_decode(const struct ts_rec *r, const uint8_t *payload, unsigned len,
		       struct ts_span *s);
/* Child after fork: the parent's table is left as it is (the child may go on
 * using statements the parent prepared). */

#endif
