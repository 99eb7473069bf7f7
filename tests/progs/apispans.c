/* Every call of traceshim.h in one program, for the API integration tests:
 * nesting with I/O, attributes replaced, events, errors, a span inside a
 * pthread-created thread, a span started on one thread and ended on
 * another, a context attached on another thread, a hand-off, and the
 * misuses that must be harmless. Prints the same lines on stdout with and
 * without the tracer. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "traceshim.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int devnull;

static void write_some(const char *what)
{
	if (write(devnull, what, strlen(what)) < 0)
		perror("write");
}

static void *in_thread(void *arg)
{
	(void)arg;
	ts_span_t s = ts_span_begin("in thread", TS_NO_ATTRS);
	write_some("thread");
	ts_span_end(s, TS_STATUS_OK);
	return NULL;
}

struct job {
	ts_context_t ctx;
	ts_span_t op;
};

static void under_op(void *arg)
{
	(void)arg;
	write_some("attached");
}

static void *worker(void *arg)
{
	struct job *j = arg;
	ts_span_t run = ts_handoff_run(j->ctx, "job", TS_ATTRS(ts_int("job.id", 7)));
	write_some("job");
	ts_span_end(run, TS_STATUS_UNSET);
	/* The started span: work under it here, then it ends here. */
	ts_with_span(j->op, under_op, NULL);
	ts_span_event(j->op, "finishing", TS_ATTRS(ts_str("where", "worker")));
	ts_span_end(j->op, TS_STATUS_OK);
	return NULL;
}

int main(void)
{
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	char key[16], value[16];
	snprintf(key, sizeof key, "%s", "app.mode");
	snprintf(value, sizeof value, "%s", "first");
	ts_span_t outer = ts_span_begin("outer", TS_ATTRS(ts_str(key, value), ts_int("app.count", 3),
						       ts_double("app.ratio", 0.5),
						       ts_bool("app.flag", true)));
	/* The program's buffers change: the span keeps what it was given. */
	snprintf(key, sizeof key, "%s", "garbage");
	snprintf(value, sizeof value, "%s", "garbage");
	write_some("outer");
	ts_span_t inner = ts_span_begin("inner", TS_NO_ATTRS);
	ts_span_set(inner, TS_ATTRS(ts_str("app.step", "one")));
	ts_span_set(inner, TS_ATTRS(ts_str("app.step", "two")));
	ts_span_event(inner, "checkpoint", TS_ATTRS(ts_int("app.n", 42)));
	write_some("inner");
	ts_span_end(inner, TS_STATUS_OK);
	ts_span_end(inner, TS_STATUS_ERROR);   /* twice: ignored */

	pthread_t th;
	pthread_create(&th, NULL, in_thread, NULL);
	pthread_join(th, NULL);

	struct job j;
	j.op = ts_span_start("operation", TS_ATTRS(ts_str("app.kind", "async")));
	j.ctx = ts_handoff(ts_context_capture(), "queue job");
	pthread_create(&th, NULL, worker, &j);
	pthread_join(th, NULL);

	/* Ending a span ends the spans begun inside it. */
	ts_span_t a = ts_span_begin("left open", TS_NO_ATTRS);
	ts_span_t b = ts_span_begin("closed by parent", TS_NO_ATTRS);
	ts_span_end(a, TS_STATUS_UNSET);
	ts_span_end(b, TS_STATUS_UNSET);   /* already ended with a */
	ts_context_detach(12345);          /* not a scope: ignored */
	ts_span_end(0, TS_STATUS_OK);

	char tp[64];
	size_t n = ts_traceparent(outer, tp, sizeof tp);
	ts_span_error(outer, "ValidationError", "bad input");
	ts_span_end(outer, TS_STATUS_UNSET);
	/* On stderr: stdout is the same with and without the tracer. */
	fprintf(stderr, "traceparent %s\n", n == 55 ? tp : n ? "bad" : "none");
	printf("done\n");
	close(devnull);
	return 0;
}
