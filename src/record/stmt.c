/* Application side of SQL statement spans (see stmt.h). */
#include "stmt.h"

#include "record.h"

#include <string.h>

struct ts_open_call *ts_stmt_find(struct ts_thread *t, const void *stmt)
{
	for (unsigned i = 0; i < TS_OPEN_CALLS; i++)
		if (t->open_calls[i].key == stmt)
			return &t->open_calls[i];
	return NULL;
}

struct ts_open_call *ts_stmt_exec(struct ts_thread *t, const void *stmt, uint64_t t0)
{
	struct ts_open_call *e = ts_stmt_find(t, stmt);
	if (e)
		return e;
	e = ts_stmt_find(t, NULL);
	if (!e) {
		/* A program that leaves many statements half-stepped: the oldest
		 * one ends where it was last seen working. */
		e = &t->open_calls[0];
		for (unsigned i = 1; i < TS_OPEN_CALLS; i++)
			if (t->open_calls[i].t0 < e->t0)
				e = &t->open_calls[i];
		ts_stmt_end(t, e, 0, 0, e->t_last, NULL);
	}
	*e = (struct ts_open_call){.key = stmt, .span = t->next_span++, .parent = t->cur_span,
				   .t0 = t0, .t_last = t0};
	return e;
}

/* Copies NUL-separated fields into buf; returns the length used. A field is
 * cut to what fits after the fields before it: the SQL text comes last. */
static unsigned pack(char *buf, unsigned cap, const char *const *fields, unsigned n)
{
	unsigned len = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned seps = n - 1 - i;   /* separators still to write */
		unsigned room = cap - len > seps ? cap - len - seps : 0;
		const char *f = fields[i] ? fields[i] : "";
		size_t want = strnlen(f, room);
		memcpy(buf + len, f, want);
		len += (unsigned)want;
		if (i + 1 < n)
			buf[len++] = 0;
	}
	return len;
}

#define PAYLOAD_MAX (TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE)

void ts_stmt_end(struct ts_thread *t, struct ts_open_call *e, int rc, int xcode, uint64_t t1,
		 const char *errmsg)
{
	struct ts_rec rec;
	ts_rec_fill(&rec, t, TS_OP_SQL_STMT, -1, rc, xcode, e->t0, t1);
	rec.span = e->span;
	rec.parent = e->parent;
	rec.arg = (uint64_t)(uintptr_t)e->key;
	rec.aux2 = (uint32_t)(e->count < UINT32_MAX ? e->count : UINT32_MAX);
	e->key = NULL;
	char buf[256];
	unsigned len = errmsg ? (unsigned)strnlen(errmsg, sizeof buf) : 0;
	memcpy(buf, errmsg ? errmsg : "", len);
	ts_record_put(t, &rec, buf, len, 0);   /* payload length in aux, rows in aux2 */
}

void ts_stmt_end_under(struct ts_thread *t, uint32_t parent, uint64_t t1)
{
	for (unsigned i = 0; i < TS_OPEN_CALLS; i++) {
		struct ts_open_call *e = &t->open_calls[i];
		if (e->key && e->parent == parent)
			ts_stmt_end(t, e, 0, 0, t1 > e->t_last ? e->t_last : t1, NULL);
	}
}

void ts_record_stmt_prepared(struct ts_thread *t, const void *stmt, const char *file,
			     const char *sql)
{
	char buf[PAYLOAD_MAX];
	const char *fields[] = {file, sql};
	unsigned len = pack(buf, sizeof buf, fields, 2);
	struct ts_rec rec = {.type = TS_REC_SQL_PREPARED, .fd = -1,
			     .arg = (uint64_t)(uintptr_t)stmt};
	ts_record_put(t, &rec, buf, len, 0);
}

void ts_record_stmt_finalized(struct ts_thread *t, const void *stmt)
{
	struct ts_rec rec = {.type = TS_REC_SQL_FINALIZED, .fd = -1,
			     .arg = (uint64_t)(uintptr_t)stmt};
	ts_record_put(t, &rec, NULL, 0, 0);
}

void ts_record_sql_exec(struct ts_thread *t, uint32_t span, uint32_t parent, uint64_t t0,
			uint64_t t1, int rc, int xcode, const char *file, const char *errmsg,
			const char *sql)
{
	ts_record_sql_call(t, TS_OP_SQL_EXEC, span, parent, t0, t1, rc, xcode, file, errmsg, sql);
}

void ts_record_sql_call(struct ts_thread *t, enum ts_op op, uint32_t span, uint32_t parent,
			uint64_t t0, uint64_t t1, int rc, int xcode, const char *file,
			const char *errmsg, const char *sql)
{
	struct ts_rec rec;
	ts_rec_fill(&rec, t, op, -1, rc, xcode, t0, t1);
	rec.span = span;
	rec.parent = parent;
	char buf[PAYLOAD_MAX];
	const char *fields[] = {file, errmsg, sql};
	ts_record_put(t, &rec, buf, pack(buf, sizeof buf, fields, 3), 0);
}
