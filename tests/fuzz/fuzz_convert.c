/* libFuzzer target: `traceshim convert` and `collect` turn the bytes of an
 * OTLP ExportTraceServiceRequest into Perfetto packets. Each input is
 * converted twice by one converter (a client re-sending a batch, and
 * parents and children meeting across requests): a refused body must leave
 * nothing behind, an accepted one a well-formed trace with every slice
 * closed and every time one the importer keeps. */
#include "convert.h"
#include "perfetto.h"
#include "trace_check.h"

#include <stdio.h>
#include <stdlib.h>

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_convert: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb *batch = ts_pf_batch();
	struct ts_convert *cv = ts_convert_new();
	if (!cv)
		fail("ts_convert_new failed");
	struct tc_ctx tc = {.check_times = true};
	for (int pass = 0; pass < 2; pass++) {
		pb_clear(batch);
		long spans = ts_convert_request(cv, data, size);
		if (spans < -1)
			fail("a span count below -1");
		if (spans < 0 && batch->len)
			fail("a refused request left packets in the batch");
		if (spans < 0)
			break;
		if (!pb_ok(batch))
			fail("the encoder ran out of memory");
		const char *err = tc_check(&tc, batch->data, batch->len);
		if (err)
			fail(err);
		if (tc_open_slices(&tc))
			fail("a slice left open after a request");
	}
	pb_clear(batch);
	tc_free(&tc);
	ts_convert_free(cv);
	return 0;
}
