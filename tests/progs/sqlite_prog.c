/* A C program linked with libsqlite3: sqlite3_exec with several statements,
 * a statement stepped part way then reset, one finalized mid-way, and a
 * failing insert. Prints what it read so the traced run can be compared. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static void check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
		exit(2);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: sqlite_prog DB\n");
		return 2;
	}
	sqlite3 *db;
	check(NULL, sqlite3_open(argv[1], &db), "open");
	check(db, sqlite3_exec(db,
			       "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT UNIQUE, qty INT);"
			       "INSERT INTO items(name, qty) VALUES ('bolt', 10), ('nut', 20), ('gear', 3);",
			       NULL, NULL, NULL), "exec");

	sqlite3_stmt *sel;
	check(db, sqlite3_prepare_v2(db, "SELECT name FROM items WHERE qty > ? ORDER BY id", -1, &sel,
				     NULL), "prepare select");
	sqlite3_bind_int(sel, 1, 5);
	/* First execution: only the first row is read, then reset. */
	check(db, sqlite3_step(sel), "step");
	printf("first: %s\n", (const char *)sqlite3_column_text(sel, 0));
	sqlite3_reset(sel);
	/* Second execution: every row. */
	int rows = 0;
	while (sqlite3_step(sel) == SQLITE_ROW)
		rows++;
	printf("rows: %d\n", rows);
	sqlite3_finalize(sel);

	sqlite3_stmt *ins;
	check(db, sqlite3_prepare_v2(db, "INSERT INTO items(name, qty) VALUES ('bolt', 1)", -1, &ins,
				     NULL), "prepare insert");
	int rc = sqlite3_step(ins);
	printf("duplicate insert: %d %s\n", rc, sqlite3_errmsg(db));
	sqlite3_finalize(ins);
	sqlite3_close(db);
	return 0;
}
