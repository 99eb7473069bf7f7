/* The stdio family's own attributes (stdioinfo.h). */
#include "stdioinfo.h"

#include "ops.h"
#include "stdiorec.h"

#include <string.h>

/* Scratch for the mode text; valid until the next decode. */
static char mode_buf[9];

static bool has_counts(const struct ts_rec *r, unsigned len)
{
	return (r->aux2 & TS_STDIO_COUNTS) && len >= sizeof(struct ts_stdio_counts);
}

unsigned ts_stdioinfo_path(const struct ts_rec *r, const uint8_t *payload, unsigned len,
			   const uint8_t **path)
{
	unsigned skip = has_counts(r, len) ? (unsigned)sizeof(struct ts_stdio_counts) : 0;
	*path = payload + skip;
	return len - skip;
}

static void counts_attrs(const struct ts_stdio_counts *c, struct ts_span *s)
{
	if (c->getc_calls) {
		ts_span_int(s, "traceshim.stdio.getc_calls", (int64_t)c->getc_calls);
		ts_span_int(s, "traceshim.stdio.getc_bytes", (int64_t)c->getc_bytes);
	}
	if (c->putc_calls) {
		ts_span_int(s, "traceshim.stdio.putc_calls", (int64_t)c->putc_calls);
		ts_span_int(s, "traceshim.stdio.putc_bytes", (int64_t)c->putc_bytes);
	}
}

void ts_stdioinfo_attrs(unsigned op, const struct ts_rec *r, const uint8_t *payload, unsigned len,
			struct ts_span *s)
{
	if (op == TS_OP_FOPEN || op == TS_OP_FREOPEN || op == TS_OP_FDOPEN)
		ts_span_str(s, "traceshim.stdio.mode", ts_stdio_mode_unpack(r->arg, mode_buf));
	if ((r->aux2 & TS_STDIO_EOF) && s->nattrs < TS_MAX_ATTRS)
		s->attrs[s->nattrs++] = (struct ts_attr){.key = "traceshim.stdio.eof",
							 .type = TS_VAL_BOOL, .v.b = true};
	if (has_counts(r, len)) {
		struct ts_stdio_counts c;
		memcpy(&c, payload, sizeof c);
		counts_attrs(&c, s);
	}
}
