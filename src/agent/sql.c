/* SQL statements (SQLite dialect): one tokenizer shared by the sanitizer (literals
 * become '?', comments go, whitespace collapses) and the describer (first keyword,
 * table of a plain statement). Every scan is bounded by len and the first NUL. */
#include "sql.h"

#include <stdbool.h>
#include <string.h>

enum kind { T_END, T_SPACE, T_WORD, T_QUOTED, T_STRING, T_NUMBER, T_BLOB, T_PARAM, T_PUNCT };
struct tok { enum kind kind; size_t start, end; };      /* [start, end) of the input */

static bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_xdigit(unsigned char c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
static bool is_word_start(unsigned char c) { return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' || c >= 0x80; }
static bool is_word_char(unsigned char c) { return is_word_start(c) || is_digit(c) || c == '$'; }
static bool not_newline(unsigned char c) { return c != '\n'; }
static char upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }

/* The length of sql up to len or its first NUL. */
static size_t clip(const char *sql, size_t len)
{
	const char *nul = sql ? memchr(sql, 0, len) : NULL;
	return nul ? (size_t)(nul - sql) : sql ? len : 0;
}

/* Past the quote closing a run opened before i (len if none); a doubled close is escaped if `doubled`. */
static size_t skip_quoted(const char *s, size_t len, size_t i, char close, bool doubled)
{
	while (i < len) {
		if (s[i++] != close)
			continue;
		if (!doubled || i >= len || s[i] != close)
			return i;
		i++;
	}
	return len;
}

/* Digits (as told by ok), with the '_' separators SQLite accepts between them. */
static size_t digits(const char *s, size_t len, size_t i, bool (*ok)(unsigned char))
{
	while (i < len && (ok((unsigned char)s[i]) || (s[i] == '_' && i + 1 < len && ok((unsigned char)s[i + 1]))))
		i++;
	return i;
}

static size_t skip_number(const char *s, size_t len, size_t i)
{
	if (s[i] == '0' && i + 2 < len && (s[i + 1] | 0x20) == 'x' && is_xdigit((unsigned char)s[i + 2]))
		return digits(s, len, i + 2, is_xdigit);
	i = digits(s, len, i, is_digit);
	if (i < len && s[i] == '.')
		i = digits(s, len, i + 1, is_digit);
	size_t j = i + 1 + (i + 1 < len && (s[i + 1] == '+' || s[i + 1] == '-'));    /* exponent */
	return i < len && (s[i] | 0x20) == 'e' && j < len && is_digit((unsigned char)s[j]) ? digits(s, len, j, is_digit) : i;
}

/* Past the bytes from i on that satisfy ok. */
static size_t span(const char *s, size_t len, size_t i, bool (*ok)(unsigned char))
{
	while (i < len && ok((unsigned char)s[i]))
		i++;
	return i;
}

/* Past the end of the block comment opened at i (len when unterminated). */
static size_t comment_end(const char *s, size_t len, size_t i)
{
	for (i += 3; i < len; i++)
		if (s[i - 1] == '*' && s[i] == '/')
			return i + 1;
	return len;
}

/* The token at s[i]: whitespace and comments are one T_SPACE token. */
static enum kind lex(const char *s, size_t len, size_t i, struct tok *t)
{
	unsigned char c = i < len ? (unsigned char)s[i] : 0, d = i + 1 < len ? (unsigned char)s[i + 1] : 0;
	enum kind k = T_PUNCT;
	size_t e = i + 1;
	if (i >= len)
		k = T_END, e = i;
	else if (is_space(c))
		k = T_SPACE, e = span(s, len, i, is_space);
	else if (c == '-' && d == '-')
		k = T_SPACE, e = span(s, len, i, not_newline);
	else if (c == '/' && d == '*')
		k = T_SPACE, e = comment_end(s, len, i);
	else if (c == '\'')
		k = T_STRING, e = skip_quoted(s, len, i + 1, '\'', true);
	else if (c == '"' || c == '`')
		k = T_QUOTED, e = skip_quoted(s, len, i + 1, (char)c, true);
	else if (c == '[')
		k = T_QUOTED, e = skip_quoted(s, len, i + 1, ']', false);
	else if ((c | 0x20) == 'x' && d == '\'')
		k = T_BLOB, e = skip_quoted(s, len, i + 2, '\'', false);
	else if (is_digit(c) || (c == '.' && is_digit(d)))
		k = T_NUMBER, e = skip_number(s, len, i);
	else if (c == '?' || ((c == ':' || c == '@' || c == '$') && is_word_char(d)))
		k = T_PARAM, e = span(s, len, i + 1, c == '?' ? is_digit : is_word_char);
	else if (is_word_start(c))
		k = T_WORD, e = span(s, len, i, is_word_char);
	*t = (struct tok){k, i, e};
	return k;
}

/* Where a cut at n bytes leaves s: without a trailing partial UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n)
{
	size_t k = n;
	while (k > 0 && n - k < 3 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
		k--;
	unsigned char lead = k ? (unsigned char)s[k - 1] : 0;
	size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	return k && n - (k - 1) < need ? k - 1 : n;
}

size_t ts_sql_sanitize(const char *sql, size_t len, char *out, size_t cap)
{
	if (!out || cap == 0)
		return 0;
	len = clip(sql, len);
	size_t n = 0;
	bool space = false, full = false;
	struct tok t;
	for (size_t i = 0; !full && lex(sql, len, i, &t) != T_END; i = t.end) {
		bool blank = t.kind == T_SPACE, literal = t.kind == T_STRING || t.kind == T_NUMBER || t.kind == T_BLOB;
		const char *src = literal ? "?" : sql + t.start;
		size_t m = blank ? 0 : literal ? 1 : t.end - t.start;
		if (space && !blank && n < cap - 1)
			out[n++] = ' ';
		space = blank && n > 0;                 /* comments and whitespace: one space, if any */
		if (m > cap - 1 - n)
			m = cap - 1 - n, full = true;
		memcpy(out + n, src, m);
		n += m;
	}
	for (n = utf8_cut(out, n); n > 0 && out[n - 1] == ' '; n--)
		;                                       /* a cut may end on a space */
	out[n] = 0;
	return n;
}

/* Reading one statement for ts_sql_describe: t is the current token, i past it. */
struct cur { const char *s; size_t len, i; struct tok t; };

/* The next token past whitespace and comments; T_END from the ';' on. */
static enum kind next(struct cur *c)
{
	while (lex(c->s, c->len, c->i, &c->t) == T_SPACE)
		c->i = c->t.end;
	if (c->t.kind == T_PUNCT && c->s[c->t.start] == ';')
		c->t.kind = T_END;
	if (c->t.kind != T_END)
		c->i = c->t.end;
	return c->t.kind;
}

static bool punct(const struct cur *c, char ch) { return c->t.kind == T_PUNCT && c->s[c->t.start] == ch; }

/* The current word, upper-cased, into out; false if it is no word or does not fit. */
static bool copy_upper(const struct cur *c, char *out, size_t cap)
{
	size_t n = c->t.end - c->t.start;
	if (c->t.kind != T_WORD || n >= cap)
		return false;
	for (size_t j = 0; j < n; j++)
		out[j] = upper(c->s[c->t.start + j]);
	out[n] = 0;
	return true;
}

/* Whether the token is one of the '|'-separated upper-case keywords of list. */
static bool kw(const struct cur *c, const char *list)
{
	char w[16];
	if (!copy_upper(c, w, sizeof w))
		return false;
	for (size_t n = strlen(w); *list; list += strcspn(list, "|"), list += *list == '|')
		if (!strncmp(list, w, n) && (list[n] == '|' || list[n] == 0))
			return true;
	return false;
}

/* Consumes the next token when it is one of the keywords of list. */
static bool accept(struct cur *c, const char *list)
{
	struct cur save = *c;
	if (next(c) == T_WORD && kw(c, list))
		return true;
	*c = save;
	return false;
}

/* Appends the name token at *n of out, unquoted; false if it is no name or does not fit. */
static bool append_part(const struct cur *c, char *out, size_t cap, size_t *n)
{
	size_t i = c->t.start, end = c->t.end;
	char close = 0;
	if (c->t.kind == T_QUOTED)
		close = c->s[i] == '[' ? ']' : c->s[i], i++;
	else if (c->t.kind != T_WORD)
		return false;
	for (; i < end; i++) {
		if (close && c->s[i] == close) {
			if (close == ']' || i + 1 >= end)
				return true;            /* the closing quote */
			i++;                            /* a doubled quote: one quote */
		}
		if (*n + 1 >= cap)
			return false;
		out[(*n)++] = c->s[i];
	}
	return !close;                                  /* unterminated: no name */
}

/* Reads [schema.]name into out; "" (and false) when there is none or it does not fit. */
static bool read_name(struct cur *c, char *out, size_t cap)
{
	size_t n = 0;
	for (next(c); n + 1 < cap && append_part(c, out, cap, &n); next(c)) {
		struct cur save = *c;
		if (next(c) != T_PUNCT || !punct(c, '.')) {
			*c = save;
			out[n] = 0;
			return n > 0;
		}
		out[n++] = '.';                         /* fits: append_part left room for a NUL */
	}
	out[0] = 0;
	return false;
}

/* SELECT: the table when exactly one plain table follows FROM at depth 0. */
static void select_table(struct cur *c, char *out, size_t cap)
{
	bool in_from = false;
	int depth = 0;
	while (next(c) != T_END) {
		if (in_from && punct(c, '('))
			break;                          /* a subquery or table-valued function */
		depth += punct(c, '(') - punct(c, ')');
		if (depth != 0 || punct(c, ')'))
			continue;
		if (kw(c, "UNION|EXCEPT|INTERSECT"))
			break;                          /* compound: several tables */
		if (in_from) {
			if (kw(c, "WHERE|GROUP|ORDER|LIMIT|HAVING|WINDOW"))
				in_from = false;
			else if ((c->t.kind != T_WORD && c->t.kind != T_QUOTED) || kw(c, "JOIN"))
				break;                  /* comma, join or subquery */
		} else if (kw(c, "FROM")) {
			if (!read_name(c, out, cap))
				break;
			in_from = true;
		}
	}
	if (c->t.kind != T_END)
		out[0] = 0;
}

void ts_sql_describe(const char *sql, size_t len, struct ts_sql_info *info)
{
	if (!info)
		return;
	info->operation[0] = info->collection[0] = 0;
	struct cur c = {sql, clip(sql, len), 0, {T_END, 0, 0}};
	while (lex(c.s, c.len, c.i, &c.t) == T_SPACE || punct(&c, ';'))
		c.i = c.t.end;                          /* empty statements before the first */
	char *op = info->operation, *coll = info->collection;
	size_t cap = sizeof info->collection;
	if (next(&c) != T_WORD || !copy_upper(&c, op, sizeof info->operation))
		return;
	if (kw(&c, "WITH")) {           /* the main statement: its keyword at depth 0, after the CTEs */
		for (int depth = 0; next(&c) != T_END; depth += punct(&c, '(') - punct(&c, ')'))
			if (depth == 0 && kw(&c, "SELECT|INSERT|UPDATE|DELETE|REPLACE") && copy_upper(&c, op, sizeof info->operation))
				break;
	} else if (kw(&c, "SELECT")) {
		select_table(&c, coll, cap);
	} else if (kw(&c, "INSERT|REPLACE|UPDATE|DELETE")) {
		if (op[0] != 'D' && accept(&c, "OR"))
			next(&c);                       /* the conflict resolution */
		if (op[0] == 'U' || accept(&c, op[0] == 'D' ? "FROM" : "INTO"))
			read_name(&c, coll, cap);
	} else if (kw(&c, "CREATE|DROP|ALTER")) {
		accept(&c, "TEMP|TEMPORARY|UNIQUE|VIRTUAL");
		if (accept(&c, "TABLE")) {
			while (accept(&c, "IF|NOT|EXISTS"))
				;
			read_name(&c, coll, cap);
		} else if (op[0] == 'C' && accept(&c, "INDEX")) {
			while (next(&c) != T_END && !kw(&c, "ON"))
				;
			if (kw(&c, "ON"))
				read_name(&c, coll, cap);
		}
	}
}
