/* SQL statements on the application side: the executions in progress on a
 * thread (one span from a statement's first step to its last) and the
 * records that describe statements to the drainer. No lock, no allocation,
 * no system call: statement text is copied into the ring as it is, and all
 * text work happens on the drainer, once per prepared statement. */
#ifndef TS_STMT_H
#define TS_STMT_H

#include "ops.h"
#include "thread.h"

#include <stddef.h>
#include <stdint.h>

/* The execution of `stmt` in progress on t, or a new one starting at t0 (a
 * child of the current span). Never NULL: when all places are taken, the
 * oldest execution is ended where its last call ended. */
struct ts_open_call *ts_stmt_exec(struct ts_thread *t, const void *stmt, uint64_t t0);
/* The execution of `stmt` in progress on t, or NULL. */
struct ts_open_call *ts_stmt_find(struct ts_thread *t, const void *stmt);
/* Ends execution e at t1 with result rc (on error: xcode, the extended result
 * code, and errmsg, the database's message; else 0 and NULL). */
void ts_stmt_end(struct ts_thread *t, struct ts_open_call *e, int rc, int xcode, uint64_t t1,
		 const char *errmsg);
/* Ends, at t1, the executions begun under span `parent` (statements an
 * sqlite3_exec() left unfinished). */
void ts_stmt_end_under(struct ts_thread *t, uint32_t parent, uint64_t t1);

/* A statement was prepared: its database file and SQL text. */
void ts_record_stmt_prepared(struct ts_thread *t, const void *stmt, const char *file,
			     const char *sql);
/* A statement was finalized: its address may be reused. */
void ts_record_stmt_finalized(struct ts_thread *t, const void *stmt);
/* One sqlite3_exec() call, span number `span` (its statements are children). */
void ts_record_sql_exec(struct ts_thread *t, uint32_t span, uint32_t parent, uint64_t t0,
			uint64_t t1, int rc, int xcode, const char *file, const char *errmsg,
			const char *sql);
/* The same for another call of that shape (op TS_OP_SQL_PREPARE: a
 * statement that did not compile, with the text it was given). */
void ts_record_sql_call(struct ts_thread *t, enum ts_op op, uint32_t span, uint32_t parent,
			uint64_t t0, uint64_t t1, int rc, int xcode, const char *file,
			const char *errmsg, const char *sql);

#endif
