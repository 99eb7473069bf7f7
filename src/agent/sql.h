/* SQL statements for database spans (SQLite dialect): the operation and table
 * of a statement, and its text with every literal replaced by '?' so that no
 * value (password, token, personal data) reaches a trace. No allocation and no
 * global state: the caller provides the buffers. The input ends at len or at
 * its first NUL byte, whichever comes first (as for sqlite3_prepare). */
#ifndef TS_SQL_H
#define TS_SQL_H

#include <stddef.h>

struct ts_sql_info {
	char operation[16];   /* "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "BEGIN", "COMMIT", "PRAGMA", ... upper-cased first keyword; "" when none */
	char collection[64];  /* the table the statement works on when it is plain, else "" */
};

/* Analyses one SQL statement (the first one if several): fills *info. */
void ts_sql_describe(const char *sql, size_t len, struct ts_sql_info *info);

/* Writes sql with every literal replaced by '?' into out (NUL-terminated, truncated to cap-1 bytes,
 * never mid-UTF-8 sequence); returns the length written. Comments are dropped, whitespace runs
 * collapse to one space, identifiers and parameters (?, ?NNN, :name, @name, $name) stay. */
size_t ts_sql_sanitize(const char *sql, size_t len, char *out, size_t cap);

#endif
