/* callbacks: requests driven by callbacks from a single-threaded poll() loop.
 *
 * main starts 4 requests to a loopback server (a thread of this program) at
 * once; each one proceeds through callbacks (connected -> response ->
 * done) and the callbacks of different requests interleave. Each request
 * is an async span (ts_span_start) that ends in its last callback. Each
 * time a callback is registered, ts_handoff() marks it ("wait connect",
 * "wait response"...) and the context is kept with the callback; the loop
 * runs it under ts_handoff_run(), so in the trace each callback is a span
 * on main's lane, child of its request, with an arrow from where it was
 * registered, and the callback's reads and writes are under it. The request
 * for /missing fails.
 *
 *   traceshim run -o callbacks.pftrace -- ./callbacks
 *   LD_PRELOAD=path/to/libtraceshim.so ./callbacks
 *
 * The output is the same with or without the tracer. */
#include <traceshim.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NREQ 4

struct request;
typedef void (*callback_fn)(struct request *r);

/* What a request waits for, and what runs when it comes. */
struct callback {
	callback_fn fn;          /* NULL: nothing pending */
	const char *name;        /* the name of the span the callback runs in */
	short events;            /* POLLIN or POLLOUT on the request's fd; 0: next turn */
	ts_context_t ctx;        /* from ts_handoff(), where it was registered */
};

struct request {
	int id;
	const char *path;
	int fd;
	ts_span_t span;          /* ts_span_start(): ends in the last callback */
	struct callback cb;
	char response[128];
	size_t got;
	int failed;
	char result[160];
};

static struct sockaddr_in server_addr;
static atomic_bool server_stop;

/* The server: one connection at a time; reads "GET <path>\n", answers,
 * closes. Until main sets server_stop and connects once more. */
static void *server(void *arg)
{
	static const char *const pages[][2] = {
		{"/greeting", "200 hello, world"},
		{"/numbers", "200 1 1 2 3 5 8 13 21"},
		{"/weather", "200 sunny, 21 C"},
	};
	int lfd = (int)(intptr_t)arg;
	pthread_setname_np(pthread_self(), "server");
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0 && errno == EINTR)
			continue;
		if (c < 0 || atomic_load(&server_stop)) {
			if (c >= 0)
				close(c);
			break;
		}
		char req[128], path[128];
		size_t got = 0;
		ssize_t n;
		while (got < sizeof req - 1 && !memchr(req, '\n', got) &&
		       (n = read(c, req + got, sizeof req - 1 - got)) > 0)
			got += (size_t)n;
		req[got] = 0;
		const char *answer = "400 bad request";
		if (sscanf(req, "GET %127s", path) == 1) {
			answer = "404 not found";
			for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
				if (strcmp(path, pages[i][0]) == 0)
					answer = pages[i][1];
		}
		if (write(c, answer, strlen(answer)) < 0 || write(c, "\n", 1) < 0)
			perror("server write");
		close(c);
	}
	return NULL;
}

/* Registers the request's next callback. The hand-off marks this point in
 * the trace and gives the context the callback will run in. */
static void await(struct request *r, short events, const char *what, const char *name,
		  callback_fn fn)
{
	r->cb.fn = fn;
	r->cb.name = name;
	r->cb.events = events;
	r->cb.ctx = ts_handoff(ts_span_context(r->span), what);
}

static void on_done(struct request *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	ts_span_set(r->span, TS_ATTRS(ts_int("response.bytes", (int64_t)r->got)));
	ts_span_end(r->span, r->failed ? TS_STATUS_ERROR : TS_STATUS_OK);
}

/* Records the failure on the request's span and finishes it next turn. */
static void fail(struct request *r, const char *type, const char *message)
{
	r->failed = 1;
	snprintf(r->result, sizeof r->result, "failed: %s", message);
	ts_span_error(r->span, type, message);
	await(r, 0, "wait done", "on done", on_done);
}

static void on_response(struct request *r)
{
	ssize_t n = read(r->fd, r->response + r->got, sizeof r->response - 1 - r->got);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		fail(r, "io", strerror(errno));
		return;
	}
	if (n != 0) {   /* more to come, until the server closes */
		r->got += n > 0 ? (size_t)n : 0;
		await(r, POLLIN, "wait response", "on response", on_response);
		return;
	}
	/* End of the response: "<code> <text>\n". */
	r->response[r->got] = 0;
	r->response[strcspn(r->response, "\n")] = 0;
	if (strncmp(r->response, "200 ", 4) != 0) {
		fail(r, "http.status", r->response);
		return;
	}
	snprintf(r->result, sizeof r->result, "%s", r->response + 4);
	await(r, 0, "wait done", "on done", on_done);
}

static void on_connected(struct request *r)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err) {
		fail(r, "connect", strerror(err));
		return;
	}
	char line[160];
	int n = snprintf(line, sizeof line, "GET %s\n", r->path);
	if (write(r->fd, line, (size_t)n) != n) {
		fail(r, "io", "short write");
		return;
	}
	await(r, POLLIN, "wait response", "on response", on_response);
}

static void open_connection(void *arg)
{
	struct request *r = arg;
	r->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (r->fd < 0) {
		fail(r, "socket", strerror(errno));
		return;
	}
	if (connect(r->fd, (struct sockaddr *)&server_addr, sizeof server_addr) != 0 &&
	    errno != EINPROGRESS) {
		fail(r, "connect", strerror(errno));
		return;
	}
	await(r, POLLOUT, "wait connect", "on connected", on_connected);
}

static void start_request(struct request *r)
{
	r->span = ts_span_start("request", TS_ATTRS(ts_int("request.id", r->id),
						      ts_str("request.path", r->path)));
	/* The socket and its connect are the request's own work. */
	ts_with_span(r->span, open_connection, r);
}

/* Runs a request's pending callback in a span, child of the request. */
static void run_callback(struct request *r)
{
	struct callback cb = r->cb;
	r->cb.fn = NULL;
	ts_span_t span = ts_handoff_run(cb.ctx, cb.name, TS_ATTRS(ts_int("request.id", r->id)));
	cb.fn(r);
	ts_span_end(span, TS_STATUS_UNSET);
}

/* Until no request waits for anything: the callbacks due on the next turn
 * first, then the ones whose fd is ready. */
static void event_loop(struct request *reqs, int n)
{
	for (;;) {
		struct pollfd pfd[NREQ];
		struct request *who[NREQ];
		int nfds = 0, next_turn = 0;
		for (int i = 0; i < n; i++)
			if (reqs[i].cb.fn && reqs[i].cb.events == 0) {
				who[next_turn++] = &reqs[i];
			}
		if (next_turn) {
			for (int i = 0; i < next_turn; i++)
				run_callback(who[i]);
			continue;
		}
		for (int i = 0; i < n; i++)
			if (reqs[i].cb.fn) {
				pfd[nfds].fd = reqs[i].fd;
				pfd[nfds].events = reqs[i].cb.events;
				pfd[nfds].revents = 0;
				who[nfds++] = &reqs[i];
			}
		if (!nfds)
			return;
		int ready = poll(pfd, (nfds_t)nfds, 10000);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0) {
			fprintf(stderr, "callbacks: poll: %s\n", ready ? strerror(errno) : "timeout");
			exit(1);
		}
		for (int i = 0; i < nfds; i++)
			if (pfd[i].revents)
				run_callback(who[i]);
	}
}

int main(void)
{
	socklen_t alen = sizeof server_addr;
	server_addr.sin_family = AF_INET;
	server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	server_addr.sin_port = 0;   /* any free port */
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	pthread_t th;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&server_addr, sizeof server_addr) != 0 ||
	    listen(lfd, NREQ) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&server_addr, &alen) != 0 ||
	    pthread_create(&th, NULL, server, (void *)(intptr_t)lfd) != 0) {
		perror("server");
		return 1;
	}

	static const char *const paths[NREQ] = {"/greeting", "/numbers", "/missing", "/weather"};
	struct request reqs[NREQ];
	memset(reqs, 0, sizeof reqs);
	for (int i = 0; i < NREQ; i++) {
		reqs[i].id = i;
		reqs[i].path = paths[i];
		reqs[i].fd = -1;
		start_request(&reqs[i]);   /* all in flight at once */
	}
	event_loop(reqs, NREQ);

	atomic_store(&server_stop, true);
	int wake = socket(AF_INET, SOCK_STREAM, 0);
	if (wake < 0 || connect(wake, (struct sockaddr *)&server_addr, sizeof server_addr) != 0) {
		perror("stop server");
		return 1;
	}
	close(wake);
	pthread_join(th, NULL);
	close(lfd);

	int failed = 0;
	for (int i = 0; i < NREQ; i++) {
		printf("request %d GET %-9s %s\n", i, reqs[i].path, reqs[i].result);
		failed += reqs[i].failed;
	}
	printf("%d requests, %d failed\n", NREQ, failed);
	return 0;
}
