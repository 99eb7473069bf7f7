/* Drainer side of SQL statement spans (see sqlinfo.h). Statements are keyed
 * by address; an address is forgotten when its statement is finalized, and
 * a new statement at the same address replaces the old one. */
#include "sqlinfo.h"

#include "config.h"
#include "names.h"
#include "ops.h"
#include "sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stmt_info {
	uint64_t stmt;
	const char *name;        /* permanent (names.h) */
	char *ns;                /* database file, "" for in-memory */
	char *text;              /* query text, sanitized unless TRACESHIM_SQL_RAW */
	struct ts_sql_info what;
};

/* Open addressing with backward-shift deletion; a power of two. */
#define TABLE_MAX 65536
static struct stmt_info **table;
static size_t cap, count;

static size_t slot_of(uint64_t stmt, size_t mask)
{
	return (size_t)((stmt >> 4) * 0x9E3779B97F4A7C15ull >> 40) & mask;
}

static bool grow(void)
{
	size_t ncap = cap ? cap * 2 : 256;
	if (ncap > TABLE_MAX)
		return false;
	struct stmt_info **n = calloc(ncap, sizeof *n);
	if (!n)
		return false;
	for (size_t i = 0; i < cap; i++) {
		if (!table[i])
			continue;
		size_t j = slot_of(table[i]->stmt, ncap - 1);
		while (n[j])
			j = (j + 1) & (ncap - 1);
		n[j] = table[i];
	}
	free(table);
	table = n;
	cap = ncap;
	return true;
}

static struct stmt_info **find(uint64_t stmt)
{
	if (!cap)
		return NULL;
	for (size_t i = slot_of(stmt, cap - 1);; i = (i + 1) & (cap - 1)) {
		if (!table[i])
			return NULL;
		if (table[i]->stmt == stmt)
			return &table[i];
	}
}

static void remove_at(size_t i)
{
	free(table[i]);
	table[i] = NULL;
	count--;
	/* Shift back the entries that probed past the hole. */
	for (size_t j = (i + 1) & (cap - 1); table[j]; j = (j + 1) & (cap - 1)) {
		size_t home = slot_of(table[j]->stmt, cap - 1);
		if (((j - home) & (cap - 1)) >= ((j - i) & (cap - 1))) {
			table[i] = table[j];
			table[j] = NULL;
			i = j;
		}
	}
}

void ts_sqlinfo_finalized(uint64_t stmt)
{
	struct stmt_info **e = find(stmt);
	if (e)
		remove_at((size_t)(e - table));
}

/* db.query.text: sanitized, or as written when TRACESHIM_SQL_RAW asks. */
static void query_text(char *out, size_t cap, const char *sql, size_t len)
{
	if (!ts_cfg.sql_raw) {
		ts_sql_sanitize(sql, len, out, cap);
		return;
	}
	if (len > cap - 1)
		len = cap - 1;
	memcpy(out, sql, len);
	out[len] = 0;
}

static const char *span_name(const struct ts_sql_info *w)
{
	char buf[sizeof w->operation + sizeof w->collection + 1];
	if (!w->operation[0])
		return NULL;
	int n = w->collection[0] ? snprintf(buf, sizeof buf, "%s %s", w->operation, w->collection)
				 : snprintf(buf, sizeof buf, "%s", w->operation);
	return ts_name_keep(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void ts_sqlinfo_prepared(uint64_t stmt, const uint8_t *payload, unsigned len)
{
	const char *p = (const char *)payload;
	size_t ns_len = strnlen(p, len);
	const char *sql = ns_len < len ? p + ns_len + 1 : "";
	size_t sql_len = ns_len < len ? len - ns_len - 1 : 0;
	size_t text_cap = sql_len + 1;
	struct stmt_info *info = malloc(sizeof *info + ns_len + 1 + text_cap);
	if (!info)
		return;
	info->stmt = stmt;
	info->ns = (char *)(info + 1);
	memcpy(info->ns, p, ns_len);
	info->ns[ns_len] = 0;
	info->text = info->ns + ns_len + 1;
	query_text(info->text, text_cap, sql, sql_len);
	ts_sql_describe(sql, sql_len, &info->what);
	info->name = span_name(&info->what);

	struct stmt_info **old = find(stmt);
	if (old) {
		free(*old);
		*old = info;
		return;
	}
	if ((count + 1) * 4 > cap * 3 && !grow()) {
		free(info);   /* too many live statements: this one goes unnamed */
		return;
	}
	size_t i = slot_of(stmt, cap - 1);
	while (table[i])
		i = (i + 1) & (cap - 1);
	table[i] = info;
	count++;
}

/* Primary result code names (the low byte of an extended code). */
static const char *const rc_names[] = {
	[1] = "SQLITE_ERROR", [2] = "SQLITE_INTERNAL", [3] = "SQLITE_PERM", [4] = "SQLITE_ABORT",
	[5] = "SQLITE_BUSY", [6] = "SQLITE_LOCKED", [7] = "SQLITE_NOMEM", [8] = "SQLITE_READONLY",
	[9] = "SQLITE_INTERRUPT", [10] = "SQLITE_IOERR", [11] = "SQLITE_CORRUPT",
	[12] = "SQLITE_NOTFOUND", [13] = "SQLITE_FULL", [14] = "SQLITE_CANTOPEN",
	[15] = "SQLITE_PROTOCOL", [16] = "SQLITE_EMPTY", [17] = "SQLITE_SCHEMA",
	[18] = "SQLITE_TOOBIG", [19] = "SQLITE_CONSTRAINT", [20] = "SQLITE_MISMATCH",
	[21] = "SQLITE_MISUSE", [22] = "SQLITE_NOLFS", [23] = "SQLITE_AUTH", [24] = "SQLITE_FORMAT",
	[25] = "SQLITE_RANGE", [26] = "SQLITE_NOTADB",
};

/* Scratch for the strings a span points to; valid until the next decode. */
#define SCRATCH (TS_PAYLOAD_MAX_SLOTS * TS_REC_SIZE + 1)
static char code_buf[16], ns_buf[SCRATCH], msg_buf[SCRATCH], text_buf[SCRATCH];

/* rc is the step's or exec's result; xcode the extended code, when known. */
static void sql_error(struct ts_span *s, int rc, int xcode, const char *msg)
{
	if (rc == 0 || rc == 100 || rc == 101)   /* OK, ROW, DONE */
		return;
	int primary = rc & 0xff;
	const char *name = primary < (int)(sizeof rc_names / sizeof *rc_names) && rc_names[primary]
				   ? rc_names[primary] : "SQLITE_ERROR";
	snprintf(code_buf, sizeof code_buf, "%d", xcode ? xcode : rc);
	s->status = TS_STATUS_ERROR;
	s->error_type = name;
	s->status_message = msg && msg[0] ? msg : name;
	ts_span_const(s, "error.type", name);
	ts_span_str(s, "db.response.status_code", code_buf);
}

static const char *copy_str(char *buf, const void *p, size_t len)
{
	if (len > SCRATCH - 1)
		len = SCRATCH - 1;
	memcpy(buf, p, len);
	buf[len] = 0;
	return buf;
}

static void decode_stmt(const struct ts_rec *r, const uint8_t *payload, unsigned len,
			struct ts_span *s)
{
	struct stmt_info **e = find(r->arg);
	const struct stmt_info *info = e ? *e : NULL;
	ts_span_const(s, "db.system.name", "sqlite");
	if (info) {
		if (info->name)
			s->name = info->name;
		if (info->ns[0])
			ts_span_str(s, "db.namespace", info->ns);
		if (info->what.operation[0])
			ts_span_str(s, "db.operation.name", info->what.operation);
		if (info->what.collection[0])
			ts_span_str(s, "db.collection.name", info->what.collection);
		if (info->text[0])
			ts_span_str(s, "db.query.text", info->text);
	}
	ts_span_int(s, "db.response.returned_rows", r->aux2);
	sql_error(s, (int)r->ret, r->err, copy_str(msg_buf, payload, len));
}

static void decode_exec(const struct ts_rec *r, const uint8_t *payload, unsigned len,
			struct ts_span *s)
{
	/* Payload: database file, NUL, error message, NUL, SQL text. */
	const char *p = (const char *)payload, *end = p + len;
	size_t n1 = strnlen(p, len);
	const char *msg = n1 < len ? p + n1 + 1 : end;
	size_t n2 = strnlen(msg, (size_t)(end - msg));
	const char *sql = msg + n2 < end ? msg + n2 + 1 : end;
	size_t sql_len = (size_t)(end - sql);
	ts_span_const(s, "db.system.name", "sqlite");
	if (n1)
		ts_span_str(s, "db.namespace", copy_str(ns_buf, p, n1));
	query_text(text_buf, sizeof text_buf, sql, sql_len);
	if (text_buf[0])
		ts_span_str(s, "db.query.text", text_buf);
	if (r->ret != 0)
		sql_error(s, (int)r->ret, r->err, copy_str(msg_buf, msg, n2));
}

void ts_sqlinfo_decode(const struct ts_rec *r, const uint8_t *payload, unsigned len,
		       struct ts_span *s)
{
	if (r->op == TS_OP_SQL_EXEC || r->op == TS_OP_SQL_PREPARE)
		decode_exec(r, payload, len, s);
	else
		decode_stmt(r, payload, len, s);
}

void ts_sqlinfo_reset(void)
{
	for (size_t i = 0; i < cap; i++)
		free(table[i]);
	free(table);
	table = NULL;
	cap = count = 0;
}
