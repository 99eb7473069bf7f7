/* SQL statements: literals replaced by '?' (identifiers, parameters and
 * keywords kept, comments dropped) and the operation and table of a statement. */
#include "check_main.h"
#include "sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sanitizes a C string into a roomy buffer and compares with want. */
#define ck_sanitized(sql, want)                                                    \
	do {                                                                       \
		char out_[1024];                                                   \
		size_t n_ = ts_sql_sanitize((sql), strlen(sql), out_, sizeof out_); \
		ck_assert_str_eq(out_, (want));                                    \
		ck_assert_uint_eq(n_, strlen(want));                               \
	} while (0)

/* Describes a C string and compares operation and collection. */
#define ck_described(sql, op, coll)                                   \
	do {                                                          \
		struct ts_sql_info i_;                                \
		memset(&i_, 'x', sizeof i_);                          \
		ts_sql_describe((sql), strlen(sql), &i_);             \
		ck_assert_str_eq(i_.operation, (op));                 \
		ck_assert_str_eq(i_.collection, (coll));              \
	} while (0)

/* A copy of s in a heap block of exactly strlen(s) bytes, no NUL: reading
 * past the given length is an ASan error. */
static char *unterminated(const char *s)
{
	size_t n = strlen(s);
	char *p = malloc(n ? n : 1);
	memcpy(p, s, n);
	return p;
}

/* Whether s ends in the middle of a UTF-8 sequence. */
static int ends_mid_utf8(const char *s, size_t n)
{
	size_t k = n, cont = 0;
	while (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
		k--, cont++;
	if (k == 0)
		return cont > 0;
	unsigned char lead = (unsigned char)s[k - 1];
	size_t need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
	return cont != need;
}

START_TEST(sanitize_strings)
{
	ck_sanitized("SELECT * FROM users WHERE name = 'bob' AND pw = 'it''s secret'",
		     "SELECT * FROM users WHERE name = ? AND pw = ?");
	ck_sanitized("SELECT 'a;b', '' FROM t", "SELECT ?, ? FROM t");
	ck_sanitized("INSERT INTO t VALUES('--not a comment', '/* nor this */')",
		     "INSERT INTO t VALUES(?, ?)");
	/* Unterminated: everything from the quote on. */
	ck_sanitized("SELECT * FROM t WHERE pw = 'hunter2 AND x = 1", "SELECT * FROM t WHERE pw = ?");
	ck_sanitized("SELECT 'it''s", "SELECT ?");
	ck_sanitized("SELECT '", "SELECT ?");
}
END_TEST

START_TEST(sanitize_numbers)
{
	ck_sanitized("SELECT 1, 42, 2.5, .5, 3., 1e5, 1.5E-3, 2e+10, 0x1F, 0XABCDEF, 1_000 FROM t",
		     "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM t");
	ck_sanitized("SELECT -5, a-1, 2*3 FROM t", "SELECT -?, a-?, ?*? FROM t");
	ck_sanitized("SELECT * FROM t LIMIT 10 OFFSET 20", "SELECT * FROM t LIMIT ? OFFSET ?");
}
END_TEST

START_TEST(sanitize_keeps_identifiers)
{
	ck_sanitized("SELECT t1.col2, a_3, x9y FROM t1 WHERE col2 = 42",
		     "SELECT t1.col2, a_3, x9y FROM t1 WHERE col2 = ?");
	ck_sanitized("SELECT main.t2.c FROM main.t2", "SELECT main.t2.c FROM main.t2");
	/* Quoted identifiers stay as written, inner spaces, quotes and digits included. */
	ck_sanitized("SELECT \"col  1\", `a'b`, [my 2] FROM \"t\"\"x\" WHERE \"c\" = 'v'",
		     "SELECT \"col  1\", `a'b`, [my 2] FROM \"t\"\"x\" WHERE \"c\" = ?");
	ck_sanitized("SELECT NULL, TRUE, false, null FROM t WHERE a IS NOT NULL",
		     "SELECT NULL, TRUE, false, null FROM t WHERE a IS NOT NULL");
}
END_TEST

START_TEST(sanitize_keeps_parameters)
{
	ck_sanitized("SELECT * FROM t WHERE a = ? AND b = ?1 AND c = ?12 AND d = :p1 AND e = @y AND f = $x2",
		     "SELECT * FROM t WHERE a = ? AND b = ?1 AND c = ?12 AND d = :p1 AND e = @y AND f = $x2");
	ck_sanitized("UPDATE t SET a=:a1,b=?2 WHERE c=3", "UPDATE t SET a=:a1,b=?2 WHERE c=?");
}
END_TEST

START_TEST(sanitize_blobs)
{
	ck_sanitized("INSERT INTO t VALUES (X'ABCD', x'00', X'')", "INSERT INTO t VALUES (?, ?, ?)");
	/* x alone is a name; an unterminated blob goes whole. */
	ck_sanitized("SELECT x, xx FROM t WHERE x = 1", "SELECT x, xx FROM t WHERE x = ?");
	ck_sanitized("SELECT X'DEAD", "SELECT ?");
}
END_TEST

START_TEST(sanitize_comments_and_whitespace)
{
	ck_sanitized("SELECT /* password=s3cret */ a -- token=abc\nFROM t", "SELECT a FROM t");
	ck_sanitized("SELECT a/*x*/FROM t", "SELECT a FROM t");
	ck_sanitized("SELECT a FROM t -- trailing", "SELECT a FROM t");
	ck_sanitized("SELECT a /* unterminated 'secret'", "SELECT a");
	ck_sanitized("SELECT a /*/ still a comment */ FROM t", "SELECT a FROM t");
	ck_sanitized("  \n\tSELECT   a,\r\n\n b  \t FROM\tt \n", "SELECT a, b FROM t");
	ck_sanitized("-- only a comment\n/* and another */  ", "");
	ck_sanitized("", "");
	ck_sanitized("   ", "");
}
END_TEST

START_TEST(sanitize_multi_statement)
{
	ck_sanitized("SELECT 1; INSERT INTO t VALUES ('a');", "SELECT ?; INSERT INTO t VALUES (?);");
}
END_TEST

START_TEST(sanitize_bounds)
{
	char out[64];
	/* len == 0, NULL input, zero capacity. */
	memset(out, 'z', sizeof out);
	ck_assert_uint_eq(ts_sql_sanitize("SELECT 1", 0, out, sizeof out), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(ts_sql_sanitize(NULL, 0, out, sizeof out), 0);
	ck_assert_str_eq(out, "");
	memset(out, 'z', sizeof out);
	ck_assert_uint_eq(ts_sql_sanitize("SELECT 1", 8, out, 0), 0);
	ck_assert_int_eq(out[0], 'z');
	/* Only len bytes are read: a number or string cut by len. */
	ck_assert_uint_eq(ts_sql_sanitize("SELECT 12345 FROM t", 9, out, sizeof out), 8);
	ck_assert_str_eq(out, "SELECT ?");
	ck_assert_uint_eq(ts_sql_sanitize("SELECT 'abc' FROM t", 10, out, sizeof out), 8);
	ck_assert_str_eq(out, "SELECT ?");
	const char *inputs[] = {"SELECT 'a", "SELECT \"a", "SELECT [a", "SELECT x'", "SELECT 1e",
				"SELECT 0x", "SELECT ?", "SELECT :", "SELECT /*", "SELECT -", "SELECT a--"};
	for (size_t k = 0; k < sizeof inputs / sizeof *inputs; k++) {
		char *p = unterminated(inputs[k]);
		size_t n = ts_sql_sanitize(p, strlen(inputs[k]), out, sizeof out);
		ck_assert_uint_eq(n, strlen(out));
		ck_assert(strncmp(out, "SELECT", 6) == 0);
		free(p);
	}
	/* An embedded NUL ends the input, as in SQLite. */
	const char nul[] = "SELECT 1\0 'secret' FROM t";
	ck_assert_uint_eq(ts_sql_sanitize(nul, sizeof nul - 1, out, sizeof out), 8);
	ck_assert_str_eq(out, "SELECT ?");
}
END_TEST

START_TEST(sanitize_truncation)
{
	char out[16];
	const char *sql = "SELECT a FROM t WHERE b = 'x'";
	memset(out, 'z', sizeof out);
	ck_assert_uint_eq(ts_sql_sanitize(sql, strlen(sql), out, 5), 4);
	ck_assert_str_eq(out, "SELE");
	ck_assert_int_eq(out[5], 'z');
	/* A cut on a space does not leave it. */
	ck_assert_uint_eq(ts_sql_sanitize(sql, strlen(sql), out, 8), 6);
	ck_assert_str_eq(out, "SELECT");
	ck_assert_uint_eq(ts_sql_sanitize(sql, strlen(sql), out, 1), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(ts_sql_sanitize(sql, strlen(sql), out, sizeof out), 15);
	ck_assert_str_eq(out, "SELECT a FROM t");
}
END_TEST

START_TEST(sanitize_utf8)
{
	char out[256];
	ck_sanitized("SELECT 'héllo wörld 😀' FROM \"tëst\" WHERE naïve = 1",
		     "SELECT ? FROM \"tëst\" WHERE naïve = ?");
	/* "é" is 2 bytes, "€" 3, "😀" 4: a cut never splits one. */
	const char *sql = "SELECT \"é€😀x\" FROM t";   /* the quote ends at byte 8 */
	ck_assert_uint_eq(ts_sql_sanitize(sql, strlen(sql), out, 10), 8);
	ck_assert_str_eq(out, "SELECT \"");
	ck_assert_uint_eq(ts_sql_sanitize(sql, strlen(sql), out, 11), 10);
	ck_assert_str_eq(out, "SELECT \"é");
	ck_assert_uint_eq(ts_sql_sanitize(sql, strlen(sql), out, 13), 10);
	ck_assert_uint_eq(ts_sql_sanitize(sql, strlen(sql), out, 17), 13);
	ck_assert_uint_eq(ts_sql_sanitize(sql, strlen(sql), out, 18), 17);
	ck_assert_str_eq(out, "SELECT \"é€😀");
	for (size_t cap = 1; cap < 40; cap++) {
		size_t n = ts_sql_sanitize(sql, strlen(sql), out, cap);
		ck_assert_uint_lt(n, cap);
		ck_assert_uint_eq(n, strlen(out));
		ck_assert(!ends_mid_utf8(out, n));
	}
}
END_TEST

START_TEST(long_statement)
{
	/* SELECT c0, c1, ... FROM big WHERE k = 'secret' AND n = 12345, over 10 KB. */
	size_t cap = 16384;
	char *sql = malloc(cap), *want = malloc(cap), *out = malloc(cap);
	size_t n = (size_t)snprintf(sql, cap, "SELECT ");
	for (int i = 0; n < 10 * 1024; i++)
		n += (size_t)snprintf(sql + n, cap - n, "%sc%d", i ? ", " : "", i);
	memcpy(want, sql, n);
	size_t w = n;
	n += (size_t)snprintf(sql + n, cap - n, " /* note */ FROM big WHERE k = 'secret' AND n = 12345");
	w += (size_t)snprintf(want + w, cap - w, " FROM big WHERE k = ? AND n = ?");
	ck_assert_uint_gt(n, 10 * 1024);
	ck_assert_uint_eq(ts_sql_sanitize(sql, n, out, cap), w);
	ck_assert_str_eq(out, want);
	ck_assert_ptr_null(strstr(out, "secret"));
	/* Truncated to a small buffer, still a prefix. */
	ck_assert_uint_eq(ts_sql_sanitize(sql, n, out, 100), 99);
	ck_assert(strncmp(out, want, 99) == 0);
	struct ts_sql_info info;
	ts_sql_describe(sql, n, &info);
	ck_assert_str_eq(info.operation, "SELECT");
	ck_assert_str_eq(info.collection, "big");
	free(sql);
	free(want);
	free(out);
}
END_TEST

START_TEST(describe_select)
{
	ck_described("SELECT * FROM users WHERE id = 1", "SELECT", "users");
	ck_described("select a from Users", "SELECT", "Users");
	ck_described("SeLeCt count(*) FrOm t", "SELECT", "t");
	ck_described("SELECT u.a FROM users AS u ORDER BY a, b LIMIT 1, 2", "SELECT", "users");
	ck_described("SELECT a FROM users u WHERE u.b IN (1, 2) GROUP BY a, b", "SELECT", "users");
	ck_described("SELECT a FROM t INDEXED BY ix WHERE a > 0", "SELECT", "t");
	/* Subqueries below depth 0 do not count. */
	ck_described("SELECT (SELECT max(x) FROM u, v), a FROM t", "SELECT", "t");
	ck_described("SELECT * FROM t WHERE id IN (SELECT id FROM u JOIN v)", "SELECT", "t");
	/* Not one plain table. */
	ck_described("SELECT * FROM a JOIN b ON a.id = b.id", "SELECT", "");
	ck_described("SELECT * FROM a LEFT OUTER JOIN b USING (id)", "SELECT", "");
	ck_described("SELECT * FROM a NATURAL JOIN b", "SELECT", "");
	ck_described("SELECT * FROM a, b WHERE a.x = b.x", "SELECT", "");
	ck_described("SELECT * FROM a x, b y", "SELECT", "");
	ck_described("SELECT * FROM (SELECT * FROM t)", "SELECT", "");
	ck_described("SELECT * FROM generate_series(1, 10)", "SELECT", "");
	ck_described("SELECT a FROM t UNION SELECT a FROM u", "SELECT", "");
	ck_described("SELECT 1 UNION ALL SELECT a FROM u", "SELECT", "");
	ck_described("SELECT 1", "SELECT", "");
	ck_described("SELECT * FROM", "SELECT", "");
	ck_described("SELECT * FROM 'literal'", "SELECT", "");
}
END_TEST

START_TEST(describe_names)
{
	ck_described("SELECT * FROM main.users", "SELECT", "main.users");
	ck_described("SELECT * FROM \"my table\" WHERE a = 1", "SELECT", "my table");
	ck_described("SELECT * FROM [my table]", "SELECT", "my table");
	ck_described("SELECT * FROM `my table`", "SELECT", "my table");
	ck_described("DELETE FROM \"main\".\"a\"\"b\"", "DELETE", "main.a\"b");
	ck_described("DELETE FROM main . t", "DELETE", "main.t");
	ck_described("SELECT * FROM main.", "SELECT", "");
	ck_described("SELECT * FROM \"unterminated", "SELECT", "");
	ck_described("SELECT * FROM t1", "SELECT", "t1");
	/* 63 bytes fit, 64 do not: never a truncated name. */
	char sql[256], name[80];
	memset(name, 'n', 63);
	name[63] = 0;
	snprintf(sql, sizeof sql, "UPDATE %s SET a = 1", name);
	ck_described(sql, "UPDATE", name);
	snprintf(sql, sizeof sql, "UPDATE n%s SET a = 1", name);
	ck_described(sql, "UPDATE", "");
	memset(name, 'n', 40);
	name[40] = 0;
	snprintf(sql, sizeof sql, "SELECT * FROM %s.%s", name, name);
	ck_described(sql, "SELECT", "");
}
END_TEST

START_TEST(describe_writes)
{
	ck_described("INSERT INTO t (a, b) VALUES (1, 2)", "INSERT", "t");
	ck_described("insert or replace into main.t values(1)", "INSERT", "main.t");
	ck_described("INSERT INTO t SELECT * FROM u", "INSERT", "t");
	ck_described("REPLACE INTO t VALUES (1)", "REPLACE", "t");
	ck_described("UPDATE users SET a = 1 WHERE id = ?", "UPDATE", "users");
	ck_described("UPDATE OR IGNORE users SET a = 1", "UPDATE", "users");
	ck_described("DELETE FROM sessions WHERE expires < ?", "DELETE", "sessions");
	ck_described("DeLeTe FrOm T", "DELETE", "T");
}
END_TEST

START_TEST(describe_schema)
{
	ck_described("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)", "CREATE", "t");
	ck_described("CREATE TABLE IF NOT EXISTS main.t(a)", "CREATE", "main.t");
	ck_described("CREATE TEMP TABLE t2 AS SELECT * FROM t", "CREATE", "t2");
	ck_described("create temporary table if not exists \"x y\" (a)", "CREATE", "x y");
	ck_described("CREATE INDEX idx_a ON users (a)", "CREATE", "users");
	ck_described("CREATE UNIQUE INDEX IF NOT EXISTS main.idx ON users(a, b)", "CREATE", "users");
	ck_described("CREATE VIEW v AS SELECT * FROM t", "CREATE", "");
	ck_described("DROP TABLE t", "DROP", "t");
	ck_described("DROP TABLE IF EXISTS main.t", "DROP", "main.t");
	ck_described("DROP INDEX idx", "DROP", "");
}
END_TEST

START_TEST(describe_other_statements)
{
	ck_described("BEGIN", "BEGIN", "");
	ck_described("begin immediate transaction", "BEGIN", "");
	ck_described("COMMIT", "COMMIT", "");
	ck_described("ROLLBACK TO sp1", "ROLLBACK", "");
	ck_described("PRAGMA journal_mode = WAL", "PRAGMA", "");
	ck_described("EXPLAIN QUERY PLAN SELECT * FROM t", "EXPLAIN", "");
	ck_described("VACUUM", "VACUUM", "");
	/* A first word that does not fit the operation buffer. */
	ck_described("ABCDEFGHIJKLMNOPQ x", "", "");
	ck_described("ABCDEFGHIJKLMNO x", "ABCDEFGHIJKLMNO", "");
}
END_TEST

START_TEST(describe_with)
{
	ck_described("WITH x AS (SELECT * FROM a), y(b) AS (SELECT 1) SELECT * FROM x", "SELECT", "");
	ck_described("WITH RECURSIVE c(n) AS (VALUES(1) UNION ALL SELECT n + 1 FROM c WHERE n < 9) "
		     "INSERT INTO t SELECT n FROM c", "INSERT", "");
	ck_described("with x as materialized (select 1) delete from t where a in x", "DELETE", "");
	ck_described("WITH x AS (SELECT 1) UPDATE t SET a = 1", "UPDATE", "");
}
END_TEST

START_TEST(describe_edges)
{
	ck_described("", "", "");
	ck_described("   \n\t ", "", "");
	ck_described("-- just a comment\n/* and another */", "", "");
	ck_described("  -- hi\n /* x */ select * from t", "SELECT", "t");
	ck_described("'abc'", "", "");
	ck_described("(SELECT 1)", "", "");
	ck_described("42", "", "");
	/* Multi-statement: the first one only; empty ones before it are skipped. */
	ck_described("SELECT * FROM a; DELETE FROM b", "SELECT", "a");
	ck_described("SELECT 1; SELECT * FROM b", "SELECT", "");
	ck_described("SELECT * FROM a;, b", "SELECT", "a");
	ck_described(" ; ;UPDATE b SET x = 1", "UPDATE", "b");
	struct ts_sql_info info;
	memset(&info, 'x', sizeof info);
	ts_sql_describe(NULL, 0, &info);
	ck_assert_str_eq(info.operation, "");
	ck_assert_str_eq(info.collection, "");
	ts_sql_describe("SELECT * FROM t", 0, &info);
	ck_assert_str_eq(info.operation, "");
	/* len and embedded NULs bound the input. */
	ts_sql_describe("SELECT * FROM tab WHERE", 17, &info);
	ck_assert_str_eq(info.collection, "tab");
	ts_sql_describe("SELECT * FROM tab", 16, &info);
	ck_assert_str_eq(info.collection, "ta");
	const char nul[] = "DELETE FROM\0 t";
	ts_sql_describe(nul, sizeof nul - 1, &info);
	ck_assert_str_eq(info.operation, "DELETE");
	ck_assert_str_eq(info.collection, "");
	const char *inputs[] = {"SELECT * FROM tab", "INSERT INTO \"t", "CREATE INDEX i ON", "WITH x AS (",
				"DROP TABLE IF", "SELECT * FROM main.", "UPDATE [t"};
	for (size_t k = 0; k < sizeof inputs / sizeof *inputs; k++) {
		char *p = unterminated(inputs[k]);
		ts_sql_describe(p, strlen(inputs[k]), &info);
		ck_assert_uint_lt(strlen(info.operation), sizeof info.operation);
		free(p);
	}
	char *p = unterminated("SELECT * FROM tab");
	ts_sql_describe(p, 17, &info);
	ck_assert_str_eq(info.collection, "tab");
	free(p);
}
END_TEST

TS_CHECK_SUITE("sql",
	       sanitize_strings,
	       sanitize_numbers,
	       sanitize_keeps_identifiers,
	       sanitize_keeps_parameters,
	       sanitize_blobs,
	       sanitize_comments_and_whitespace,
	       sanitize_multi_statement,
	       sanitize_bounds,
	       sanitize_truncation,
	       sanitize_utf8,
	       long_statement,
	       describe_select,
	       describe_names,
	       describe_writes,
	       describe_schema,
	       describe_other_statements,
	       describe_with,
	       describe_edges)
