/* SQLite: each execution of a prepared statement is one span, from its first
 * sqlite3_step() to SQLITE_DONE, an error, sqlite3_reset() or
 * sqlite3_finalize(); I/O done inside a step is its child. sqlite3_exec() is a
 * span of its own with the statements it runs as children (libsqlite3 calls
 * its public functions through the PLT, so they come through here).
 *
 * sqlite3.h is not needed: the few declarations are below. The helpers
 * (sqlite3_sql and friends) are taken from the library that defines the real
 * sqlite3_step, which may have been opened with RTLD_LOCAL (Python). */
#include "stmt.h"
#include "wrap.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <string.h>

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

enum { SQLITE_OK = 0, SQLITE_MISUSE = 21, SQLITE_ROW = 100, SQLITE_DONE = 101 };

int sqlite3_step(sqlite3_stmt *stmt);
int sqlite3_reset(sqlite3_stmt *stmt);
int sqlite3_finalize(sqlite3_stmt *stmt);
int sqlite3_prepare(sqlite3 *db, const char *sql, int n, sqlite3_stmt **out, const char **tail);
int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **out, const char **tail);
int sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned flags, sqlite3_stmt **out,
		       const char **tail);
int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **), void *arg,
		 char **errmsg);

/* Functions read, never wrapped. */
static struct {
	const char *(*sql)(sqlite3_stmt *);
	sqlite3 *(*db_handle)(sqlite3_stmt *);
	const char *(*db_filename)(sqlite3 *, const char *);
	const char *(*errmsg)(sqlite3 *);
	int (*extended_errcode)(sqlite3 *);
} api;
static _Atomic int api_state;   /* 0 not yet, 1 loaded, -1 missing */

/* Finds the helpers in the object that defines `real` (once per process). */
static bool load_api(void *real)
{
	int st = atomic_load_explicit(&api_state, memory_order_acquire);
	if (st)
		return st > 0;
	Dl_info info;
	void *h = NULL;
	if (dladdr(real, &info) && info.dli_fname)
		h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	if (h) {
		api.sql = (const char *(*)(sqlite3_stmt *))dlsym(h, "sqlite3_sql");
		api.db_handle = (sqlite3 * (*)(sqlite3_stmt *)) dlsym(h, "sqlite3_db_handle");
		api.db_filename = (const char *(*)(sqlite3 *, const char *))dlsym(h, "sqlite3_db_filename");
		api.errmsg = (const char *(*)(sqlite3 *))dlsym(h, "sqlite3_errmsg");
		api.extended_errcode = (int (*)(sqlite3 *))dlsym(h, "sqlite3_extended_errcode");
		dlclose(h);   /* RTLD_NOLOAD: only drops the reference just taken */
	}
	bool ok = api.sql && api.db_handle && api.db_filename && api.errmsg && api.extended_errcode;
	atomic_store_explicit(&api_state, ok ? 1 : -1, memory_order_release);
	return ok;
}

/* A statement SQLite would not compile ("no such table", a syntax error):
 * a span of its own, ERROR, with the text it was given (n bytes, or up to
 * its NUL when n < 0). */
static void not_prepared(struct ts_thread *t, sqlite3 *db, const char *sql, int n, int rc,
			 uint64_t t0, void *real)
{
	uint64_t t1 = ts_ticks();
	if (!load_api(real))
		return;
	char text[1024];
	size_t len = !sql ? 0 : n < 0 ? strnlen(sql, sizeof text - 1) :
		(size_t)n < sizeof text - 1 ? (size_t)n : sizeof text - 1;
	memcpy(text, sql ? sql : "", len);
	text[len] = 0;
	ts_record_sql_call(t, TS_OP_SQL_PREPARE, t->next_span++, t->cur_span, t0, t1, rc,
			   db ? api.extended_errcode(db) : rc, db ? api.db_filename(db, "main") : NULL,
			   db ? api.errmsg(db) : NULL, text);
}

static void prepared(struct ts_thread *t, sqlite3 *db, const char *sql, int n, sqlite3_stmt **out,
		     int rc, uint64_t t0, void *real)
{
	if (!t)
		return;
	int saved = errno;
	if (rc != SQLITE_OK)
		not_prepared(t, db, sql, n, rc, t0, real);
	else if (out && *out && load_api(real))   /* none: only a comment or white space */
		ts_record_stmt_prepared(t, *out, api.db_filename(db, "main"), api.sql(*out));
	errno = saved;
}

/* The calling thread, when SQLite is traced: the prepare is timed. */
static struct ts_thread *sql_caller(uint64_t *t0)
{
	struct ts_thread *t = ts_caller();
	if (!t || ts_family_off(TS_FAM_SQLITE))
		return NULL;
	*t0 = ts_ticks();
	return t;
}

TS_EXPORT int sqlite3_prepare(sqlite3 *db, const char *sql, int n, sqlite3_stmt **out,
			      const char **tail)
{
	TS_REAL(sqlite3_prepare, SQLITE_MISUSE);
	uint64_t t0 = 0;
	struct ts_thread *t = sql_caller(&t0);
	int rc = real(db, sql, n, out, tail);
	prepared(t, db, sql, n, out, rc, t0, (void *)real);
	return rc;
}

TS_EXPORT int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **out,
				 const char **tail)
{
	TS_REAL(sqlite3_prepare_v2, SQLITE_MISUSE);
	uint64_t t0 = 0;
	struct ts_thread *t = sql_caller(&t0);
	int rc = real(db, sql, n, out, tail);
	prepared(t, db, sql, n, out, rc, t0, (void *)real);
	return rc;
}

TS_EXPORT int sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned flags,
				 sqlite3_stmt **out, const char **tail)
{
	TS_REAL(sqlite3_prepare_v3, SQLITE_MISUSE);
	uint64_t t0 = 0;
	struct ts_thread *t = sql_caller(&t0);
	int rc = real(db, sql, n, flags, out, tail);
	prepared(t, db, sql, n, out, rc, t0, (void *)real);
	return rc;
}

TS_EXPORT int sqlite3_step(sqlite3_stmt *stmt)
{
	TS_REAL(sqlite3_step, SQLITE_MISUSE);
	struct ts_thread *t = ts_caller();
	if (!t || !stmt || ts_family_off(TS_FAM_SQLITE))
		return real(stmt);
	uint64_t t0 = ts_ticks();
	struct ts_open_call *e = ts_stmt_exec(t, stmt, t0);
	uint32_t span = e->span, saved = t->cur_span;
	t->cur_span = span;   /* the step's own I/O is the statement's child */
	int rc = real(stmt);
	uint64_t t1 = ts_ticks();
	int err = errno;
	t->cur_span = saved;
	/* A statement run from inside this one (a user function) may have
	 * taken the place of this execution: look it up again. */
	e = ts_stmt_find(t, stmt);
	if (e && e->span == span) {
		if (rc == SQLITE_ROW) {
			e->count++;
			e->t_last = t1;
		} else if (rc == SQLITE_DONE || !load_api((void *)real)) {
			ts_stmt_end(t, e, rc, 0, t1, NULL);
		} else {
			sqlite3 *db = api.db_handle(stmt);
			ts_stmt_end(t, e, rc, api.extended_errcode(db), t1, api.errmsg(db));
		}
	}
	errno = err;
	return rc;
}

/* An execution in progress ends here (reset, finalize). */
static void end_execution(sqlite3_stmt *stmt, bool finalized)
{
	struct ts_thread *t = ts_caller();
	if (!t || !stmt || ts_family_off(TS_FAM_SQLITE))
		return;
	struct ts_open_call *e = ts_stmt_find(t, stmt);
	if (e)
		ts_stmt_end(t, e, SQLITE_OK, 0, ts_ticks(), NULL);
	if (finalized)
		ts_record_stmt_finalized(t, stmt);
}

TS_EXPORT int sqlite3_reset(sqlite3_stmt *stmt)
{
	TS_REAL(sqlite3_reset, SQLITE_MISUSE);
	int saved = errno;
	end_execution(stmt, false);
	errno = saved;
	return real(stmt);
}

TS_EXPORT int sqlite3_finalize(sqlite3_stmt *stmt)
{
	TS_REAL(sqlite3_finalize, SQLITE_MISUSE);
	int saved = errno;
	end_execution(stmt, true);
	errno = saved;
	return real(stmt);
}

TS_EXPORT int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
			   void *arg, char **errmsg)
{
	TS_REAL(sqlite3_exec, SQLITE_MISUSE);
	struct ts_thread *t = ts_caller();
	if (!t || ts_family_off(TS_FAM_SQLITE))
		return real(db, sql, cb, arg, errmsg);
	uint32_t span = t->next_span++, parent = t->cur_span;
	t->cur_span = span;
	uint64_t t0 = ts_ticks();
	int rc = real(db, sql, cb, arg, errmsg);
	uint64_t t1 = ts_ticks();
	int err = errno;
	t->cur_span = parent;
	ts_stmt_end_under(t, span, t1);   /* a callback may have stopped it early */
	if (load_api((void *)real)) {
		bool failed = rc != SQLITE_OK;
		ts_record_sql_exec(t, span, parent, t0, t1, rc,
				   failed ? api.extended_errcode(db) : 0, api.db_filename(db, "main"),
				   failed ? api.errmsg(db) : NULL, sql);
	}
	errno = err;
	return rc;
}
