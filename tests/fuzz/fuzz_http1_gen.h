/* The exchanges fuzz_http1.c writes from its input in its second form: up to
 * six valid HTTP/1 requests and their responses, one after the other or
 * pipelined, the program as client or server, with the kept headers (Host,
 * User-Agent, traceparent, tracestate) in any order, case and blanks, and a
 * secret in everything that must never be kept: other headers (folded ones
 * too), query values, reason phrases, chunk extensions, trailers and bodies.
 * It remembers what each request's fields must be. */
#include <stdarg.h>

#define SECRET "SECRET"
#define GEN_MAX 6

struct gen_req {
	char method[16], path[700], query[400], host[200], ua[300], tp[100], ts[700];
	uint32_t present, flags;   /* flags: Connection's */
};
static struct gen_req gen_reqs[GEN_MAX];
static int gen_on;
static unsigned gen_n, gen_finals;
static uint8_t gen_req_dir;
static char gbuf[1 << 16];
static size_t glen;

struct rd {
	const uint8_t *p;
	size_t n;
};

static unsigned get(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(gbuf + glen, sizeof gbuf - glen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof gbuf - glen)
		fail("the written exchange is too long");
	glen += (size_t)n;
}

/* Appends to dst (of cap) from 0 to max characters of alphabet. */
static void word(struct rd *r, char *dst, size_t cap, unsigned max, const char *alphabet)
{
	size_t n = strlen(dst), k = strlen(alphabet);
	for (unsigned len = get(r) % (max + 1); len-- && n + 1 < cap;)
		dst[n++] = alphabet[get(r) % k];
	dst[n] = 0;
}

static void secret_bytes(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out("%c", SECRET[i % 6]);
}

static const char *name_case(struct rd *r, const char *lower, const char *upper, const char *title)
{
	unsigned c = get(r) % 3;
	return c == 0 ? lower : c == 1 ? upper : title;
}

/* A kept header: its name, then a value with blanks around it. */
static void kept(struct rd *r, const char *name, const char *value, const char *eol)
{
	static const char *const blanks[] = {"", " ", "\t ", "  "};
	unsigned b = get(r);
	out("%s:%s%s%s%s", name, blanks[b % 4], value, blanks[(b >> 2) % 4], eol);
}

static void body(struct rd *r, unsigned kind, const char *eol)
{
	if (kind == 1) {
		unsigned n = get(r) % 40;
		out("Content-Length: %u%s%s", n, eol, eol);
		secret_bytes(n);
	} else if (kind == 2) {
		out("Transfer-Encoding: chunked%s%s", eol, eol);
		for (unsigned m = get(r) % 3; m--;) {
			unsigned n = get(r) % 20 + 1;
			out("%x%s%s", n, get(r) & 1 ? ";x=" SECRET : "", eol);
			secret_bytes(n);
			out("%s", eol);
		}
		out("0%s%s", eol, get(r) & 1 ? "X-T: " SECRET "\r\n" : "");
		out("%s", eol);
	} else {
		out("%s", eol);
	}
}

static void request(struct rd *r, struct gen_req *q, unsigned opts)
{
	static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
					      "TRACE", "PROPFIND", "get"};
	const char *eol = get(r) & 1 ? "\n" : "\r\n";
	memset(q, 0, sizeof *q);
	strcpy(q->method, methods[get(r) % 10]);
	strcpy(q->path, "/");
	if (get(r) % 8 == 0)
		for (unsigned i = 0; i < 60; i++)
			strcat(q->path, "long-path");
	word(r, q->path, sizeof q->path, 60, "abcdefghijklmnopqrstuvwxyz0123456789/._-~%");
	out("%s %s", q->method, q->path);
	if (get(r) & 1) {
		q->present |= TS_HTTP1_F_QUERY;
		out("?");
		for (unsigned i = 0, n = get(r) % 5; i < n; i++) {
			char name[16] = "", value[16] = "";
			word(r, name, sizeof name, 8, "abcdefghijklmnopqrstuvwxyz_.");
			int with = get(r) % 3;
			if (with)
				word(r, value, sizeof value, 8, "abcdefghij0123456789");
			out("%s%s%s%s%s", i ? "&" : "", name, with ? "=" : "",
			    with && !(opts & TS_HTTP1_QUERY_RAW) ? SECRET : "", value);
			snprintf(q->query + strlen(q->query), sizeof q->query - strlen(q->query), "%s%s%s%s",
				 i ? "&" : "", name, with ? "=" : "",
				 !with ? "" : opts & TS_HTTP1_QUERY_RAW ? value : "REDACTED");
		}
	}
	out(" HTTP/1.%d%s", get(r) & 1, eol);
	for (unsigned i = 0, n = get(r) % 10; i < n; i++) {
		char v[300] = "";
		switch (get(r) % 8) {
		case 0:
			word(r, v, sizeof v, get(r) % 4 ? 40 : 180, "abcdefghijklmnopqrstuvwxyz0123456789.-:");
			if (!(q->present & TS_HTTP1_F_HOST))
				strcpy(q->host, v);
			q->present |= TS_HTTP1_F_HOST;
			kept(r, name_case(r, "host", "HOST", "Host"), v, eol);
			break;
		case 1:
			/* Blanks inside a value are kept, not around it. */
			strcpy(v, "a");
			word(r, v, sizeof v, get(r) % 4 ? 60 : 200, "abcdefghijklmnopqrstuvwxyz0123456789/.()");
			strcat(v, get(r) & 1 ? " x/1.0" : "");
			if (!(q->present & TS_HTTP1_F_USER_AGENT))
				strcpy(q->ua, v);
			q->present |= TS_HTTP1_F_USER_AGENT;
			kept(r, name_case(r, "user-agent", "USER-AGENT", "User-Agent"), v, eol);
			break;
		case 2:
			word(r, v, sizeof v, 80, "0123456789abcdef-");
			if (!(q->present & TS_HTTP1_F_TRACEPARENT))
				strcpy(q->tp, v);
			q->present |= TS_HTTP1_F_TRACEPARENT;
			kept(r, name_case(r, "traceparent", "TRACEPARENT", "Traceparent"), v, eol);
			break;
		case 3:
			word(r, v, sizeof v, 120, "abcdefghijklmnopqrstuvwxyz0123456789=,@*/");
			if (strlen(q->ts) + strlen(v) + 2 < sizeof q->ts) {
				if (q->present & TS_HTTP1_F_TRACESTATE)
					strcat(q->ts, ",");
				strcat(q->ts, v);
				q->present |= TS_HTTP1_F_TRACESTATE;
				kept(r, name_case(r, "tracestate", "TRACESTATE", "TraceState"), v, eol);
			}
			break;
		case 4:
			if (get(r) & 1) {
				out("Cookie: session=" SECRET "%s", eol);
			} else if (get(r) & 1) {
				out("Connection: %s%s", get(r) & 1 ? "Keep-Alive" : "TE, keep-alive;x=" SECRET, eol);
				q->flags |= TS_HTTP1_F_KEEP_ALIVE;
			} else {
				out("connection: " SECRET ", close%s", eol);
				q->flags |= TS_HTTP1_F_CLOSE;
			}
			break;
		case 5:
			out("Authorization: Bearer " SECRET "%s", eol);
			break;
		case 6:
			out("X-Folded: a%s " SECRET "%s", eol, eol);
			break;
		default:
			out("%s: " SECRET "%s", name_case(r, "x-host", "HOST-NAME", "Hosts"), eol);
			break;
		}
	}
	body(r, get(r) % 3, eol);
}

static void response(struct rd *r, const struct gen_req *q, int last)
{
	static const unsigned codes[] = {200, 201, 204, 304, 404, 500, 302};
	const char *eol = get(r) & 1 ? "\n" : "\r\n";
	if (get(r) % 4 == 0)
		out("HTTP/1.1 100 Continue " SECRET "%s%s", eol, get(r) & 1 ? "Server: " SECRET "\r\n\r\n" : eol);
	unsigned code = codes[get(r) % 7];
	out("HTTP/1.%d %u Reason " SECRET "%s", get(r) & 1, code, eol);
	for (unsigned n = get(r) % 4; n--;)
		out("%s: " SECRET "%s", get(r) & 1 ? "Set-Cookie" : "Server", eol);
	if (!strcmp(q->method, "HEAD") || code == 204 || code == 304) {
		out("%s%s", get(r) & 1 ? "Content-Length: 12\r\n" : "", eol);
		return;
	}
	unsigned kind = get(r) % 3;
	if (kind == 0 && !last)
		kind = 1;
	body(r, kind, eol);
	if (kind == 0)
		secret_bytes(get(r) % 30);   /* until the close */
}

static struct piece *gen_pieces;
static size_t gen_np, gen_cap;

static void gen_piece(uint8_t dir, size_t from)
{
	if (gen_np < gen_cap)
		gen_pieces[gen_np++] = (struct piece){dir, (const uint8_t *)gbuf + from, glen - from};
}

/* Writes the exchange chosen by data into pieces; returns their number. */
static size_t gen_exchange(const uint8_t *data, size_t size, unsigned opts, struct piece *pieces, size_t cap)
{
	struct rd r = {data, size};
	struct piece whole[2 * GEN_MAX + 2];
	gen_on = 1;
	glen = 0;
	gen_pieces = whole;
	gen_np = 0;
	gen_cap = sizeof whole / sizeof *whole;
	unsigned flags = get(&r);
	gen_n = flags % GEN_MAX + 1;
	gen_req_dir = (flags >> 3) & 1;
	int pipelined = (flags >> 4) & 1;
	for (unsigned i = 0; i < gen_n; i++) {
		size_t from = glen;
		request(&r, &gen_reqs[i], opts);
		gen_piece(gen_req_dir, from);
		if (!pipelined) {
			from = glen;
			response(&r, &gen_reqs[i], i + 1 == gen_n);
			gen_piece(!gen_req_dir, from);
		}
	}
	for (unsigned i = 0; pipelined && i < gen_n; i++) {
		size_t from = glen;
		response(&r, &gen_reqs[i], i + 1 == gen_n);
		gen_piece(!gen_req_dir, from);
	}
	/* Then the sizes of the calls, as long as the input lasts. */
	size_t n = 0;
	for (size_t i = 0; i < gen_np; i++)
		for (size_t off = 0; off < whole[i].len && n < cap;) {
			size_t len = r.n ? get(&r) % 64 + 1 : whole[i].len - off;
			if (len > whole[i].len - off)
				len = whole[i].len - off;
			pieces[n++] = (struct piece){whole[i].dir, whole[i].p + off, len};
			off += len;
		}
	return n;
}

static void gen_reset(void)
{
	gen_finals = 0;
}

static void gen_event(const struct ts_http1_event *e)
{
	if (gen_on && e->kind == TS_HTTP1_END && e->dir != gen_req_dir && !(e->flags & TS_HTTP1_F_INTERIM))
		gen_finals++;
}

/* got must be want, or a prefix of it when cut. */
static void same_field(const char *got, const char *want, int cut, const char *what)
{
	if (strstr(got, SECRET))
		fail("a secret in a kept field");
	if (cut ? strncmp(got, want, strlen(got)) || strlen(want) <= strlen(got) : strcmp(got, want)) {
		fprintf(stderr, "%s: got \"%s\", wrote \"%s\"\n", what, got, want);
		fail("a field is not what was written");
	}
}

static void gen_check_request(const struct ts_http1_event *e, unsigned opts)
{
	(void)opts;
	if (!gen_on)
		return;
	if (e->seq >= gen_n || e->dir != gen_req_dir)
		fail("a request that was not written");
	const struct gen_req *q = &gen_reqs[e->seq];
	const struct ts_http1_request *r = e->req;
	uint32_t kinds = TS_HTTP1_F_QUERY | TS_HTTP1_F_HOST | TS_HTTP1_F_USER_AGENT | TS_HTTP1_F_TRACEPARENT |
			 TS_HTTP1_F_TRACESTATE;
	if ((e->flags & kinds) != q->present)
		fail("other headers found than written");
	if ((e->flags & (TS_HTTP1_F_CLOSE | TS_HTTP1_F_KEEP_ALIVE)) != q->flags)
		fail("other Connection options found than written");
	same_field(r->method, q->method, 0, "method");
	same_field(r->path, q->path, e->flags & TS_HTTP1_F_PATH_CUT, "path");
	same_field(r->query, q->query, e->flags & TS_HTTP1_F_QUERY_CUT, "query");
	same_field(r->host, q->host, e->flags & TS_HTTP1_F_HOST_CUT, "host");
	same_field(r->user_agent, q->ua, e->flags & TS_HTTP1_F_USER_AGENT_CUT, "user-agent");
	same_field(r->traceparent, q->tp, e->flags & TS_HTTP1_F_TRACEPARENT_CUT, "traceparent");
	same_field(r->tracestate, q->ts, e->flags & TS_HTTP1_F_TRACESTATE_CUT, "tracestate");
}

static void gen_check_end(unsigned heads, unsigned stops)
{
	if (heads != gen_n || stops || gen_finals != gen_n)
		fail("a written exchange not read as written (requests, responses, or a stop)");
}
